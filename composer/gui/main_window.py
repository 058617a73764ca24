"""The main window: the piano roll in the centre, menus and toolbars around it, file handling,
and docks where panels (generation, mixer, history) live."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStyle,
    QToolBar,
    QUndoView,
    QWidget,
)

from composer.gui import icons
from composer.gui.chorale_browser import ChoraleBrowser, CorpusLoader
from composer.gui.document import ScoreDocument
from composer.gui.piano_roll import PianoRollView, Tool
from composer.gui.recent_files import RecentFiles
from composer.gui.score_bar import ScoreBar
from composer.music.corpus import Corpus, load_corpus
from composer.music.files import OPEN_SUFFIXES, FileFormatError, read_score, write_score
from composer.music.score import VOICE_NAMES, Score, ScoreError

APP_NAME = "Composer"
MIDI_SUFFIXES = (".mid", ".midi")
OPEN_FILTER = ("Scores (" + " ".join(f"*{s}" for s in OPEN_SUFFIXES) + ");;"
               "MIDI files (*.mid *.midi);;MusicXML files (*.musicxml *.xml *.mxl);;All files (*)")
MIDI_FILTER = "MIDI files (*.mid *.midi)"
MUSICXML_FILTER = "MusicXML files (*.musicxml)"
GRID_CHOICES = (("1/16", 1), ("1/8", 2), ("1/4", 4), ("1/2", 8), ("Bar", 0))
LENGTH_CHOICES = (("1/16", 1), ("1/8", 2), ("Dotted 1/8", 3), ("1/4", 4), ("Dotted 1/4", 6),
                  ("1/2", 8), ("Dotted 1/2", 12), ("Whole", 16))


def _load_corpus(progress, cancel) -> Corpus:  # noqa: ANN001 - the worker's calling convention
    return load_corpus(progress=progress, cancel=cancel)


class MainWindow(QMainWindow):
    """`settings` and `corpus_loader` are injectable so tests neither touch the user's settings
    nor read the whole corpus."""

    def __init__(self, settings: QSettings | None = None,
                 corpus_loader: CorpusLoader = _load_corpus,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings()
        self.recent = RecentFiles(self.settings)
        self.corpus_loader = corpus_loader
        self.corpus: Corpus | None = None
        self.chorale_browser: ChoraleBrowser | None = None  # while it is open
        self.document = ScoreDocument(parent=self)
        self._untitled_name = "Untitled"
        self.roll = PianoRollView(self.document)
        self.setCentralWidget(self.roll)
        self.setWindowIcon(icons.app_icon())
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)

        self._create_actions()
        self._create_menus()
        self._create_toolbars()
        self._create_status_bar()
        self._create_docks()

        self.document.pathChanged.connect(self._update_title)
        self.document.modifiedChanged.connect(self._update_title)
        self.document.scoreChanged.connect(self._grid_changed)  # "Bar" follows the metre
        self.roll.selectionChanged.connect(self._selection_changed)
        self.roll.activeVoiceChanged.connect(self._voice_changed)
        self.roll.toolChanged.connect(self._tool_changed)
        self.roll.hoverChanged.connect(self.hover_label.setText)
        self._update_title()
        self._selection_changed(0)
        self._restore_layout()
        self.roll.setFocus()

    # --- construction --------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut=None, *, tip: str = "",  # noqa: ANN001
                icon=None, view_scoped: bool = False) -> QAction:  # noqa: ANN001
        action = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, list):
                action.setShortcuts(shortcut)
            else:
                action.setShortcut(shortcut)
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        if icon is not None:
            action.setIcon(icon)
        if view_scoped:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.roll.addAction(action)
        else:
            self.addAction(action)
        action.triggered.connect(slot)
        return action

    def _create_actions(self) -> None:
        style = self.style()
        key = QKeySequence.StandardKey
        sp = QStyle.StandardPixmap
        self.new_action = self._action("&New", self.new_document, key.New,
                                       tip="Start an empty score",
                                       icon=style.standardIcon(sp.SP_FileIcon))
        self.new_chorale_action = self._action(
            "New from &Bach Chorale…", self.new_from_chorale, QKeySequence("Ctrl+Shift+N"),
            tip="Start from the opening bars of one of Bach's chorales",
            icon=icons.app_icon())
        self.open_action = self._action("&Open…", self.open_document, key.Open,
                                        tip="Open a MIDI or MusicXML file",
                                        icon=style.standardIcon(sp.SP_DialogOpenButton))
        self.save_action = self._action("&Save", self.save, key.Save,
                                        tip="Save as MIDI (keeps everything the score holds)",
                                        icon=style.standardIcon(sp.SP_DialogSaveButton))
        self.save_as_action = self._action("Save &As…", self.save_as, key.SaveAs)
        self.export_midi_action = self._action("Export &MIDI…", self.export_midi)
        self.export_musicxml_action = self._action("Export Music&XML…", self.export_musicxml)
        self.quit_action = self._action("&Quit", self.close, key.Quit)

        stack = self.document.undo_stack
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(key.Undo)
        self.undo_action.setIcon(style.standardIcon(sp.SP_ArrowBack))
        self.redo_action = stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence(key.Redo), QKeySequence("Ctrl+Shift+Z")])
        self.redo_action.setIcon(style.standardIcon(sp.SP_ArrowForward))
        self.addActions([self.undo_action, self.redo_action])

        roll = self.roll
        self.cut_action = self._action("Cu&t", roll.cut, key.Cut, view_scoped=True)
        self.copy_action = self._action("&Copy", roll.copy, key.Copy, view_scoped=True)
        self.paste_action = self._action("&Paste at Playhead", roll.paste, key.Paste,
                                         view_scoped=True)
        self.delete_action = self._action("&Delete", roll.delete_selection,
                                          [QKeySequence(Qt.Key.Key_Delete),
                                           QKeySequence(Qt.Key.Key_Backspace)],
                                          view_scoped=True)
        self.select_all_action = self._action("Select &All", roll.select_all, key.SelectAll,
                                              view_scoped=True)
        self.clear_selection_action = self._action("Clear Selection", roll.clear_selection,
                                                   QKeySequence(Qt.Key.Key_Escape),
                                                   view_scoped=True)
        self.nudge_actions = [
            self._action(text, lambda _=False, d=direction, b=by_beat: self._nudge(d, b),
                         QKeySequence(seq), view_scoped=True)
            for text, direction, by_beat, seq in (
                ("Earlier by a Step", -1, False, "Left"), ("Later by a Step", 1, False, "Right"),
                ("Earlier by a Beat", -1, True, "Shift+Left"),
                ("Later by a Beat", 1, True, "Shift+Right"))]
        self.transpose_actions = [
            self._action(text, lambda _=False, s=semis: roll.transpose(s), QKeySequence(seq),
                         view_scoped=True)
            for text, semis, seq in (("Up a Semitone", 1, "Up"), ("Down a Semitone", -1, "Down"),
                                     ("Up an Octave", 12, "Shift+Up"),
                                     ("Down an Octave", -12, "Shift+Down"))]

        self.voice_group = QActionGroup(self)
        self.voice_actions = []
        for voice, name in enumerate(VOICE_NAMES):
            action = self._action(name, lambda _=False, v=voice: roll.set_active_voice(v),
                                  QKeySequence(str(voice + 1)), icon=icons.voice_icon(voice),
                                  tip=f"Draw and edit the {name.lower()} (key {voice + 1})",
                                  view_scoped=True)
            action.setCheckable(True)
            action.setIconText(name[0])
            self.voice_group.addAction(action)
            self.voice_actions.append(action)
        self.voice_actions[roll.active_voice].setChecked(True)

        self.tool_group = QActionGroup(self)
        self.draw_tool_action = self._action(
            "&Draw", lambda: roll.set_tool(Tool.DRAW), QKeySequence("D"),
            icon=icons.draw_tool_icon(), view_scoped=True,
            tip="Draw: click to add a note to the active voice, drag to set its length (D)")
        self.select_tool_action = self._action(
            "&Select", lambda: roll.set_tool(Tool.SELECT), QKeySequence("V"),
            icon=icons.select_tool_icon(), view_scoped=True,
            tip="Select: drag on empty space for a rubber band (V); in Draw, hold Ctrl or Shift")
        for action in (self.draw_tool_action, self.select_tool_action):
            action.setCheckable(True)
            self.tool_group.addAction(action)
        self.draw_tool_action.setChecked(True)

        self.fermata_action = self._action(
            "Toggle &Fermata at Playhead", roll.toggle_fermata, QKeySequence("F"),
            tip="Mark or unmark a phrase end (fermata) where the playhead is (F)",
            view_scoped=True)

        self.zoom_in_action = self._action("Zoom &In", roll.zoom_in,
                                           [QKeySequence(key.ZoomIn), QKeySequence("Ctrl+=")])
        self.zoom_out_action = self._action("Zoom &Out", roll.zoom_out, key.ZoomOut)
        self.taller_action = self._action("Taller Rows", lambda: roll.zoom_pitch(1.2),
                                          QKeySequence("Ctrl+Alt+="))
        self.shorter_action = self._action("Shorter Rows", lambda: roll.zoom_pitch(1 / 1.2),
                                           QKeySequence("Ctrl+Alt+-"))
        self.fit_action = self._action("&Fit to Window", roll.fit_to_window,
                                       QKeySequence("Ctrl+0"))
        self.clear_loop_action = self._action("Clear Loop Range",
                                              lambda: self.document.set_loop_range(None))
        self.about_action = self._action("&About Composer", self._about)

    def _create_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new_action, self.new_chorale_action, self.open_action])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action])
        file_menu.addSeparator()
        file_menu.addActions([self.export_midi_action, self.export_musicxml_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.cut_action, self.copy_action, self.paste_action,
                              self.delete_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.select_all_action, self.clear_selection_action])
        edit_menu.addSeparator()
        move_menu = edit_menu.addMenu("&Move Notes")
        move_menu.addActions(self.nudge_actions)
        transpose_menu = edit_menu.addMenu("&Transpose")
        transpose_menu.addActions(self.transpose_actions)

        self.view_menu = bar.addMenu("&View")
        self.view_menu.addActions([self.zoom_in_action, self.zoom_out_action, self.taller_action,
                                   self.shorter_action, self.fit_action])
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.clear_loop_action)
        self.view_menu.addSeparator()
        self.panels_menu = self.view_menu.addMenu("&Panels")

        notes_menu = bar.addMenu("&Notes")
        notes_menu.addActions([self.draw_tool_action, self.select_tool_action])
        notes_menu.addSeparator()
        notes_menu.addActions(self.voice_actions)
        notes_menu.addSeparator()
        notes_menu.addAction(self.fermata_action)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about_action)
        self.menus = {"file": file_menu, "edit": edit_menu, "view": self.view_menu,
                      "notes": notes_menu, "help": help_menu}

    def _create_toolbars(self) -> None:
        main = QToolBar("Main")
        main.setObjectName("mainToolBar")
        main.setIconSize(QSize(20, 20))
        main.addActions([self.new_action, self.open_action, self.save_action])
        main.addSeparator()
        main.addActions([self.undo_action, self.redo_action])
        self.addToolBar(main)

        edit = QToolBar("Notes")
        edit.setObjectName("notesToolBar")
        edit.setIconSize(QSize(20, 20))
        edit.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        edit.addActions([self.draw_tool_action, self.select_tool_action])
        edit.addSeparator()
        edit.addActions(self.voice_actions)
        edit.addSeparator()
        self.grid_combo = QComboBox()
        self.grid_combo.setToolTip("Snap grid")
        for text, steps in GRID_CHOICES:
            self.grid_combo.addItem(text, steps)
        self.grid_combo.currentIndexChanged.connect(self._grid_changed)
        self.length_combo = QComboBox()
        self.length_combo.setToolTip("Length of a drawn note")
        for text, steps in LENGTH_CHOICES:
            self.length_combo.addItem(text, steps)
        self.length_combo.setCurrentIndex(3)
        self.length_combo.currentIndexChanged.connect(
            lambda _: self.roll.set_note_length(self.length_combo.currentData()))
        edit.addWidget(QLabel(" Grid "))
        edit.addWidget(self.grid_combo)
        edit.addWidget(QLabel("  Note "))
        edit.addWidget(self.length_combo)
        self.addToolBar(edit)

        self.score_bar = ScoreBar(self.document)
        self.addToolBar(self.score_bar)

    def _create_status_bar(self) -> None:
        status = self.statusBar()
        self.hover_label = QLabel()
        self.hover_label.setMinimumWidth(260)
        self.voice_label = QLabel()
        self.selection_label = QLabel()
        status.addPermanentWidget(self.hover_label)
        status.addPermanentWidget(self.voice_label)
        status.addPermanentWidget(self.selection_label)
        self._voice_changed(self.roll.active_voice)

    def _create_docks(self) -> None:
        history = QUndoView(self.document.undo_stack)
        history.setEmptyLabel("<Opened>")
        dock = QDockWidget("History")
        dock.setObjectName("historyDock")
        dock.setWidget(history)
        self.history_view = history
        self.add_panel(dock)

    def add_panel(self, dock: QDockWidget,
                  area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea) -> None:
        """Dock a panel, list it under View ▸ Panels and restore where the user left it.
        The dock needs a unique objectName for its place to be remembered."""
        if not dock.objectName():
            raise ValueError("a panel needs an objectName to remember its place")
        self.addDockWidget(area, dock)
        self.panels_menu.addAction(dock.toggleViewAction())
        self.restoreDockWidget(dock)

    # --- settings ------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)

    def _save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    # --- title and status ----------------------------------------------------------------
    def display_name(self) -> str:
        path = self.document.path
        return path.name if path is not None else self._untitled_name

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.display_name()}[*] — {APP_NAME}")
        self.setWindowModified(self.document.modified)

    def _selection_changed(self, count: int) -> None:
        self.selection_label.setText(
            "No notes selected" if count == 0 else
            f"{count} note{'s' if count != 1 else ''} selected")
        for action in (self.cut_action, self.copy_action, self.delete_action):
            action.setEnabled(count > 0)

    def _voice_changed(self, voice: int) -> None:
        if hasattr(self, "voice_actions"):
            self.voice_actions[voice].setChecked(True)
        self.voice_label.setText(f"Voice: {VOICE_NAMES[voice]}")

    def _tool_changed(self, tool: Tool) -> None:
        (self.draw_tool_action if tool is Tool.DRAW else self.select_tool_action).setChecked(True)

    def _grid_changed(self, _index: int = 0) -> None:
        steps = self.grid_combo.currentData() or self.document.score.steps_per_bar
        self.roll.set_grid(steps)

    def _nudge(self, direction: int, by_beat: bool) -> None:
        beat = self.document.score.time_signature.steps_per_beat
        self.roll.nudge(direction * (beat if by_beat else 1))

    def _about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<b>{APP_NAME}</b><p>Write four-voice chorales with a neural "
                          "partner trained on Bach's chorales.</p>")

    # --- documents -----------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document (saved, discarded or unchanged)."""
        if not self.document.modified:
            return True
        buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                   | QMessageBox.StandardButton.Cancel)
        answer = QMessageBox.question(
            self, "Unsaved changes",
            f"“{self.display_name()}” has changes that are not saved.\n"
            "Save them before closing it?", buttons, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def _replace_document(self, score: Score, path: Path | None, name: str = "Untitled") -> None:
        self._untitled_name = name
        self.roll.clear_selection()
        self.document.reset(score, path)
        self.roll.show_start()
        self._update_title()

    def new_document(self) -> None:
        if self.maybe_save():
            self._replace_document(Score(), None)

    def new_from_chorale(self) -> None:
        if not self.maybe_save():
            return
        browser = ChoraleBrowser(self.corpus, self.corpus_loader, self)
        browser.corpusLoaded.connect(self._keep_corpus)
        self.chorale_browser = browser
        try:
            if browser.exec() != ChoraleBrowser.DialogCode.Accepted:
                return
            entry, seed = browser.selected_entry(), browser.seed()
        finally:
            self.chorale_browser = None
            browser.deleteLater()
        if entry is None or seed is None:
            return
        bars = -(-seed.length // seed.steps_per_bar)
        self._replace_document(seed, None, f"BWV {entry.bwv} seed")
        self.statusBar().showMessage(
            f"Opened the first {bars} bar{'s' if bars != 1 else ''} of {entry.title} "
            f"(BWV {entry.bwv}, {entry.key or 'no key'})", 8000)

    def _keep_corpus(self, corpus: Corpus) -> None:
        self.corpus = corpus

    def open_document(self) -> None:
        if not self.maybe_save():
            return
        start = str(self.document.path.parent) if self.document.path else ""
        name, _ = QFileDialog.getOpenFileName(self, "Open Score", start, OPEN_FILTER)
        if name:
            self.load(Path(name))

    def open_path(self, path: Path) -> bool:
        """Open a file, asking about unsaved changes first (drops, Open Recent, command line)."""
        return self.maybe_save() and self.load(path)

    def load(self, path: Path) -> bool:
        path = Path(path)
        if not path.exists():
            self.recent.remove(path)
            self._cannot_open(path, "The file does not exist (any more). Check that it was not "
                                    "moved or renamed.")
            return False
        try:
            result = read_score(path)
        except FileFormatError as error:
            self._cannot_open(path, str(error))
            return False
        except ScoreError as error:
            self._cannot_open(path, f"{error}. The file holds music this editor cannot "
                                    "represent; try exporting it again from its program.")
            return False
        except OSError as error:
            self._cannot_open(path, f"{error.strerror or error}. Check that the file can be "
                                    "read.")
            return False
        self._replace_document(result.score, path)
        self.recent.add(path)
        note = "; ".join(result.messages)
        self.statusBar().showMessage(f"Opened {path.name}" + (f" — {note}" if note else ""),
                                     10000)
        return True

    def _cannot_open(self, path: Path, reason: str) -> None:
        QMessageBox.warning(self, "Cannot open file",
                            f"“{path.name}” could not be opened.\n\n{reason}")

    def save(self) -> bool:
        path = self.document.path
        if path is None or path.suffix.lower() not in MIDI_SUFFIXES:
            return self.save_as()
        return self._write(path)

    def save_as(self) -> bool:
        path = self._ask_save_path("Save As", MIDI_FILTER, ".mid")
        return path is not None and self._write(path)

    def _suggested_path(self, suffix: str) -> str:
        path = self.document.path
        if path is not None:
            return str(path.with_suffix(suffix))
        return self._untitled_name.replace(" ", "-") + suffix

    def _ask_save_path(self, title: str, file_filter: str, suffix: str) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(self, title, self._suggested_path(suffix),
                                              file_filter)
        if not name:
            return None
        path = Path(name)
        allowed = MIDI_SUFFIXES if suffix in MIDI_SUFFIXES else (".musicxml", ".xml", ".mxl")
        return path if path.suffix.lower() in allowed else path.with_name(path.name + suffix)

    def _write(self, path: Path) -> bool:
        if not self._export(path):
            return False
        self.document.mark_saved(path)
        self.recent.add(path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {path.name}", 5000)
        return True

    def _export(self, path: Path) -> bool:
        try:
            write_score(path, self.document.score)
        except (OSError, ScoreError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            QMessageBox.critical(self, "Cannot save",
                                 f"“{path.name}” could not be written.\n\n{reason}. Choose "
                                 "another folder or file name; your music is still here.")
            return False
        return True

    def export_midi(self) -> None:
        path = self._ask_save_path("Export MIDI", MIDI_FILTER, ".mid")
        if path is not None and self._export(path):
            self.statusBar().showMessage(f"Exported {path.name}", 5000)

    def export_musicxml(self) -> None:
        path = self._ask_save_path("Export MusicXML", MUSICXML_FILTER, ".musicxml")
        if path is not None and self._export(path):
            self.statusBar().showMessage(f"Exported {path.name}", 5000)

    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        paths = self.recent.paths()
        for number, path in enumerate(paths, 1):
            action = menu.addAction(f"&{number % 10}  {path.name}")
            action.setStatusTip(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if paths:
            menu.addSeparator()
        clear = menu.addAction("Clear Menu", self.recent.clear)
        clear.setEnabled(bool(paths))

    # --- window events -------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_path(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped_path(event)
        if path is not None:
            event.acceptProposedAction()
            self.open_path(path)

    @staticmethod
    def _dropped_path(event: QDragEnterEvent | QDropEvent) -> Path | None:
        mime = event.mimeData()
        for url in mime.urls() if mime.hasUrls() else []:
            if url.isLocalFile() and url.toLocalFile().lower().endswith(OPEN_SUFFIXES):
                return Path(url.toLocalFile())
        return None

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.maybe_save():
            self._save_layout()
            event.accept()
        else:
            event.ignore()
