"""The main window: the piano roll in the centre, menus and toolbars around it, file handling,
and docks where panels (generation, mixer, history) live.

Parts beyond the editor itself (playback, generation, notation) are installed through the
window's declared API — `add_dock`, `add_toolbar`, `add_menu`, `add_file_action` and the
action collection — by functions passed as `parts`. The saved layout is restored once,
after every part is in place: a dock or toolbar restored before it exists lands on top of
the menu bar.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStyle,
    QToolBar,
    QUndoView,
    QWidget,
)

from composer.gui import icons, theme
from composer.gui.actions import ActionCollection
from composer.gui.chorale_browser import ChoraleBrowser, CorpusLoader
from composer.gui.document import ScoreDocument
from composer.gui.editor_actions import create_editor_actions
from composer.gui.editor_toolbars import ICON_SIZE, NotesToolBar, hand_focus_back
from composer.gui.opening import FileOpener
from composer.gui.piano_roll import PianoRollView, Tool
from composer.gui.recent_files import RecentFiles
from composer.gui.score_bar import ScoreBar
from composer.music.corpus import Corpus, load_corpus
from composer.music.files import OPEN_SUFFIXES, ImportResult, write_score
from composer.music.score import VOICE_NAMES, Score, ScoreError

APP_NAME = "Composer"
DEFAULT_SIZE = (1280, 800)
MIDI_SUFFIXES = (".mid", ".midi")
OPEN_FILTER = ("Scores (" + " ".join(f"*{s}" for s in OPEN_SUFFIXES) + ");;"
               "MIDI files (*.mid *.midi);;MusicXML files (*.musicxml *.xml *.mxl);;All files (*)")
MIDI_FILTER = "MIDI files (*.mid *.midi)"
MUSICXML_FILTER = "MusicXML files (*.musicxml)"
FILE_GROUPS = ("new", "open", "save", "export", "quit")  # File menu sections, in order
PROBLEM_CHARS = 70  # of a problem in the status bar; the tooltip has all of it

P = TypeVar("P")
Part = Callable[["MainWindow"], object]


def _load_corpus(progress, cancel) -> Corpus:  # noqa: ANN001 - the worker's calling convention
    return load_corpus(progress=progress, cancel=cancel)


class MainWindow(QMainWindow):
    """`settings` and `corpus_loader` are injectable so tests neither touch the user's settings
    nor read the whole corpus; `parts` install playback and the other panels."""

    def __init__(self, settings: QSettings | None = None,
                 corpus_loader: CorpusLoader = _load_corpus,
                 parts: Sequence[Part] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings()
        self.recent = RecentFiles(self.settings)
        self.corpus_loader = corpus_loader
        self.corpus: Corpus | None = None
        self.chorale_browser: ChoraleBrowser | None = None  # while it is open
        self.document = ScoreDocument(parent=self)
        self._untitled_name = "Untitled"
        self._parts: list[object] = []
        self.opener = FileOpener(self)
        self.opener.opened.connect(self._opened)
        self.opener.refused.connect(self._cannot_open)
        self._layout_restored = False
        self.roll = PianoRollView(self.document)
        self.setCentralWidget(self.roll)
        self.setWindowIcon(icons.app_icon())
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)

        self.action_collection = ActionCollection(self.settings, self, self.roll)
        create_editor_actions(self)
        self._create_menus()
        self._create_toolbars()
        self._create_status_bar()
        self._create_history_dock()
        self._connect_document()
        for part in parts:
            self._parts.append(part(self))
        self._restore_layout()
        self.roll.setFocus()
        if not self.settings.isWritable():
            self.report_problem("settings", (
                f"Settings cannot be saved: {self.settings.fileName()} cannot be written, so "
                "the layout, recent files and choices made now will not be kept. Make that "
                "folder writable."))

    def _connect_document(self) -> None:
        self.document.pathChanged.connect(self._update_title)
        self.document.modifiedChanged.connect(self._update_title)
        self.document.scoreChanged.connect(self._grid_changed)  # "Bar" follows the metre
        self.roll.selectionChanged.connect(self._selection_changed)
        self.roll.activeVoiceChanged.connect(self._voice_changed)
        self.roll.toolChanged.connect(self._tool_changed)
        self.roll.hoverChanged.connect(self.hover_label.setText)
        self._update_title()
        self._selection_changed(0)

    # --- the declared API for parts ------------------------------------------------------
    def action(self, name: str) -> QAction:
        """The action registered as `name` in the window's one action collection."""
        return self.action_collection[name]

    def part(self, kind: type[P]) -> P:
        """The installed part of type `kind` (its controller and widgets)."""
        for part in self._parts:
            if isinstance(part, kind):
                return part
        raise LookupError(f"no {kind.__name__} is installed in this window")

    def _check_not_restored(self, what: str) -> None:
        if self._layout_restored:
            raise RuntimeError(f"{what} must be added by a part, before the saved layout "
                               "is restored")

    def add_dock(self, dock: QDockWidget,
                 area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
                 tab_with: str | None = None) -> None:
        """Dock a panel and list it under View ▸ Panels; `tab_with` (a dock's objectName)
        stacks it as a tab of that dock, in front, so tall panels share the height of the
        default window. The dock needs a unique objectName for its place to be remembered."""
        self._check_not_restored("a dock")
        if not dock.objectName():
            raise ValueError("a panel needs an objectName to remember its place")
        dock.setParent(self)
        self.addDockWidget(area, dock)
        other = self.findChild(QDockWidget, tab_with) if tab_with else None
        if other is not None:
            self.tabifyDockWidget(other, dock)
            dock.raise_()
        self.panels_menu.addAction(dock.toggleViewAction())

    def add_toolbar(self, toolbar: QToolBar, before: str | None = None) -> None:
        """A toolbar in the top row, before the toolbar named `before` (objectName) or last."""
        self._check_not_restored("a toolbar")
        if not toolbar.objectName():
            raise ValueError("a toolbar needs an objectName to remember its place")
        following = self.findChild(QToolBar, before) if before else None
        if following is not None:
            self.insertToolBar(following, toolbar)
        else:
            self.addToolBar(toolbar)
        hand_focus_back(toolbar, self.roll)

    def add_menu(self, menu: QMenu, before: str = "help") -> None:
        """A menu in the menu bar, before the one named `before` (a key of `menus`)."""
        menu.setParent(self, menu.windowFlags())
        self.menuBar().insertMenu(self.menus[before].menuAction(), menu)
        self.menus[menu.objectName() or menu.title().replace("&", "").lower()] = menu

    def add_file_action(self, action: QAction, group: str) -> None:
        """An action at the end of a section of the File menu (one of FILE_GROUPS)."""
        if group not in FILE_GROUPS:
            raise ValueError(f"File menu group {group!r} is not one of {FILE_GROUPS}")
        menu = self.menus["file"]
        following = FILE_GROUPS[FILE_GROUPS.index(group) + 1:]
        marker = next((self._file_separators[g] for g in following), None)
        menu.insertAction(marker, action)

    def status_message(self, text: str, milliseconds: int = 8000) -> None:
        self.statusBar().showMessage(text, milliseconds)

    def report_problem(self, topic: str, text: str | None) -> None:
        """Something missing that stays missing (a network, the settings folder): shown in
        the status bar until it is fixed, where a passing message would be wiped by the
        first tooltip; None when it is fixed."""
        if text:
            self._problems[topic] = text
        else:
            self._problems.pop(topic, None)
        label = self.problem_label
        label.setVisible(bool(self._problems))
        if self._problems:
            first = next(iter(self._problems.values())).split(":")[0]
            if len(first) > PROBLEM_CHARS:
                first = first[:PROBLEM_CHARS].rsplit(" ", 1)[0] + "…"
            more = len(self._problems) - 1
            label.setText("⚠ " + first + (f" (+{more} more)" if more else ""))
            label.setToolTip("<p>" + "</p><p>".join(html.escape(t) for t in
                                                     self._problems.values()) + "</p>")

    def problems(self) -> dict[str, str]:
        return dict(self._problems)

    # --- construction --------------------------------------------------------------------
    def _create_menus(self) -> None:
        a = self.action
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._file_separators: dict[str, QAction] = {}
        file_menu.addActions([a("file.new"), a("file.new_chorale")])
        self._file_separators["open"] = file_menu.addSeparator()
        file_menu.addAction(a("file.open"))
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._file_separators["save"] = file_menu.addSeparator()
        file_menu.addActions([a("file.save"), a("file.save_as")])
        self._file_separators["export"] = file_menu.addSeparator()
        file_menu.addActions([a("file.export_midi"), a("file.export_musicxml")])
        self._file_separators["quit"] = file_menu.addSeparator()
        file_menu.addAction(a("file.quit"))

        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([a("edit.undo"), a("edit.redo")])
        edit_menu.addSeparator()
        edit_menu.addActions([a(f"edit.{n}") for n in ("cut", "copy", "paste", "delete")])
        edit_menu.addSeparator()
        edit_menu.addActions([a("edit.select_all"), a("edit.clear_selection")])
        edit_menu.addSeparator()
        edit_menu.addMenu("&Move Notes").addActions(self._named("edit.nudge."))
        edit_menu.addMenu("&Transpose").addActions(self._named("edit.transpose."))

        self.view_menu = bar.addMenu("&View")
        self.view_menu.addActions([a(f"view.{n}") for n in
                                   ("zoom_in", "zoom_out", "taller", "shorter", "fit")])
        self.view_menu.addSeparator()
        self.view_menu.addMenu("Play&head").addActions(self._named("view.playhead."))
        self.view_menu.addAction(a("view.clear_loop"))
        self.view_menu.addSeparator()
        self.panels_menu = self.view_menu.addMenu("&Panels")

        notes_menu = bar.addMenu("&Notes")
        notes_menu.addActions([a("notes.draw"), a("notes.select")])
        notes_menu.addSeparator()
        notes_menu.addActions(self._named("notes.voice."))
        notes_menu.addSeparator()
        notes_menu.addAction(a("notes.fermata"))

        help_menu = bar.addMenu("&Help")
        help_menu.addActions([a("help.shortcuts"), a("help.about")])
        self.menus = {"file": file_menu, "edit": edit_menu, "view": self.view_menu,
                      "notes": notes_menu, "help": help_menu}

    def _named(self, prefix: str) -> list[QAction]:
        return [action for name, action in self.action_collection if name.startswith(prefix)]

    def _create_toolbars(self) -> None:
        main = QToolBar("Main")
        main.setObjectName("mainToolBar")
        main.setIconSize(ICON_SIZE)
        main.addActions([self.action(n) for n in ("file.new", "file.open", "file.save")])
        main.addSeparator()
        main.addActions([self.action("edit.undo"), self.action("edit.redo")])
        self.addToolBar(main)
        self.notes_bar = NotesToolBar(self)
        self.notes_bar.grid_combo.currentIndexChanged.connect(self._grid_changed)
        self.addToolBar(self.notes_bar)
        hand_focus_back(self.notes_bar, self.roll)
        self.score_bar = ScoreBar(self.document)
        self.addToolBar(self.score_bar)
        hand_focus_back(self.score_bar, self.roll)

    def _create_status_bar(self) -> None:
        status = self.statusBar()
        self._problems: dict[str, str] = {}
        self.problem_label = QLabel()
        self.problem_label.setStyleSheet(f"color: {theme.WARNING.name()};")
        self.problem_label.hide()
        status.addWidget(self.problem_label)
        self.hover_label = QLabel()
        self.hover_label.setMinimumWidth(260)
        self.voice_label = QLabel()
        self.selection_label = QLabel()
        status.addPermanentWidget(self.hover_label)
        status.addPermanentWidget(self.voice_label)
        status.addPermanentWidget(self.selection_label)
        self._voice_changed(self.roll.active_voice)

    def _create_history_dock(self) -> None:
        history = QUndoView(self.document.undo_stack)
        history.setEmptyLabel("<Opened>")
        dock = QDockWidget("History")
        dock.setObjectName("historyDock")
        dock.setWidget(history)
        self.history_view = history
        self.add_dock(dock)

    # --- settings ------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(self._default_size())
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        self._layout_restored = True

    def _default_size(self) -> QSize:
        """DEFAULT_SIZE, less the title bar where the screen is no taller: the window must
        fit, or its status bar (where problems are named) falls off a 1280 x 800 screen."""
        width, height = DEFAULT_SIZE
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return QSize(width, height)
        room = screen.availableGeometry()
        title = self.style().pixelMetric(QStyle.PixelMetric.PM_TitleBarHeight) + 8
        return QSize(width, min(height, room.height() - title))

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
        for name in ("edit.cut", "edit.copy", "edit.delete"):
            self.action(name).setEnabled(count > 0)
        # The arrows move the selection when there is one, else the playhead.
        for action in self._named("edit.nudge.") + self._named("edit.transpose."):
            action.setEnabled(count > 0)
        for action in [a for n, a in self.action_collection
                       if n.startswith("view.playhead.") and n.endswith(("_step", "_beat"))]:
            action.setEnabled(count == 0)

    def _voice_changed(self, voice: int) -> None:
        self.action(f"notes.voice.{voice}").setChecked(True)
        self.voice_label.setText(f"Voice: {VOICE_NAMES[voice]}")

    def _tool_changed(self, tool: Tool) -> None:
        self.action("notes.draw" if tool is Tool.DRAW else "notes.select").setChecked(True)

    def _grid_changed(self, _index: int = 0) -> None:
        steps = self.notes_bar.grid_steps() or self.document.score.steps_per_bar
        self.roll.set_grid(steps)

    # --- documents -----------------------------------------------------------------------
    def maybe_save(self, about_to: str) -> bool:
        """True when it is fine to drop the current document (saved, discarded or unchanged).
        `about_to` says what happens next ("open a Bach chorale"), so the question is clear."""
        if not self.document.modified:
            return True
        buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                   | QMessageBox.StandardButton.Cancel)
        answer = QMessageBox.question(
            self, "Unsaved changes",
            f"“{self.display_name()}” has changes that are not saved.\n"
            f"Save them before you {about_to}?", buttons, QMessageBox.StandardButton.Save)
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
        if self.maybe_save("start a new, empty score"):
            self._replace_document(Score(), None)

    def new_from_chorale(self) -> None:
        """Choose first, then ask about unsaved changes: a browser closed without choosing
        leaves the document as it was, with no question asked."""
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
        if entry is None or seed is None or not self.maybe_save(
                f"replace it with the opening of BWV {entry.bwv}"):
            return
        bars = -(-seed.length // seed.steps_per_bar)
        self._replace_document(seed, None, f"BWV {entry.bwv} seed")
        self.status_message(
            f"Opened the first {bars} bar{'s' if bars != 1 else ''} of {entry.title} "
            f"(BWV {entry.bwv}, {entry.key or 'no key'})")

    def _keep_corpus(self, corpus: Corpus) -> None:
        self.corpus = corpus

    def open_document(self) -> None:
        start = str(self.document.path.parent) if self.document.path else ""
        name, _ = QFileDialog.getOpenFileName(self, "Open Score", start, OPEN_FILTER)
        if name:
            self.open_path(Path(name))

    def open_path(self, path: Path) -> bool:
        """Open a file, asking about unsaved changes first (drops, Open Recent, command line)."""
        return self.maybe_save(f"open “{Path(path).name}”") and self.load(path)

    def load(self, path: Path, then: Callable[[], None] | None = None,
             otherwise: Callable[[], None] | None = None) -> bool:
        """Start reading `path` in the background (True), or say at once why not (False);
        the document changes when the file has been read, then `then` runs (`otherwise`
        if it could not be read or the user cancelled)."""
        path = Path(path)
        if not path.exists():
            self.recent.remove(path)
            self._cannot_open(path, "The file does not exist (any more). Check that it was not "
                                    "moved or renamed.")
            return False
        self.opener.open(path, then, otherwise)
        return True

    def _opened(self, path: Path, result: ImportResult) -> None:
        self._replace_document(result.score, path)
        self.recent.add(path)
        note = "; ".join(result.messages)
        self.status_message(f"Opened {path.name}" + (f" — {note}" if note else ""), 10000)

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
        self.status_message(f"Saved {path.name}", 5000)
        return True

    def score_title(self) -> str | None:
        """The title notation shows: the document's name, none for an untitled one."""
        if self.document.path is not None:
            return self.document.path.stem
        return None if self._untitled_name == "Untitled" else self._untitled_name

    def _export(self, path: Path) -> bool:
        try:
            write_score(path, self.document.score, title=self.score_title())
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
            self.status_message(f"Exported {path.name}", 5000)

    def export_musicxml(self) -> None:
        path = self._ask_save_path("Export MusicXML", MUSICXML_FILTER, ".musicxml")
        if path is not None and self._export(path):
            self.status_message(f"Exported {path.name}", 5000)

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
        if self.maybe_save("quit"):
            self._save_layout()
            event.accept()
        else:
            event.ignore()
