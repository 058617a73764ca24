"""The score view in the window: a Score dock beside the piano roll that follows the
document, the playback position and the roll's selection; View ▸ Score; File ▸ Export PDF…;
and a switch to engrave the pending candidate in place. A part for `MainWindow(parts=...)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QMessageBox,
    QProgressDialog,
    QVBoxLayout,
    QWidget,
)

from composer.gui.progress_task import start_with_dialog
from composer.gui.score_engraver import (
    Engraved,
    Request,
    ScoreEngraver,
    engrave_apart,
    shutdown_process,
    warm_up,
)
from composer.gui.score_pages import write_pdf
from composer.gui.score_view import ScoreView
from composer.gui.workers import Task
from composer.music.engraving import A4, engrave
from composer.music.musicxml_file import ScoreInfo
from composer.music.score import NoteRef, Score

if TYPE_CHECKING:
    from composer.gui.main_window import MainWindow

PDF_FILTER = "PDF documents (*.pdf)"
CANDIDATE_COLOR = "#2f7fd8"  # a pending candidate's notes, apart from the score's
SHOW_CANDIDATE_KEY = "score/showCandidate"
RESIZE_MS = 200  # a dock being dragged wider engraves once it rests


@dataclass(frozen=True)
class ScorePart:
    """What `install_score_view` put in the window."""

    dock: QDockWidget
    view: ScoreView
    engraver: ScoreEngraver
    pdf: PdfExporter


def install_score_view(window: MainWindow) -> ScorePart:
    view = ScoreView()
    dock = QDockWidget("Score")
    dock.setObjectName("scoreDock")
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(view.caption)
    layout.addWidget(view)
    dock.setWidget(holder)
    wiring = _Wiring(window, view)
    engraver = ScoreEngraver(wiring.request, parent=window)
    wiring.engraver = engraver
    tab_with = "mixerDock" if window.findChild(QDockWidget, "mixerDock") else None
    window.add_dock(dock, tab_with=tab_with)
    add = window.action_collection.add
    toggle = dock.toggleViewAction()
    add("view.score", "&Score", shortcuts="Ctrl+Shift+E", action=toggle,
        tip="Show the score as notation beside the piano roll (Ctrl+Shift+E)")
    toggle.triggered.connect(lambda on: on and dock.raise_())
    window.view_menu.addAction(toggle)
    candidate = add("view.score_candidate", "Show the &Candidate in the Score",
                    wiring.set_show_candidate, checkable=True,
                    tip="Engrave the pending candidate in place, in blue, in the Score panel")
    candidate.setChecked(window.settings.value(SHOW_CANDIDATE_KEY, True) in (True, "true"))
    window.view_menu.addAction(candidate)
    pdf = PdfExporter(window)
    add("file.export_pdf", "Export &PDF…", pdf.ask_and_export,
        tip="Write the score as engraved notation, every page, to a PDF file")
    window.add_file_action(window.action("file.export_pdf"), "export")
    if engraver.problem:
        window.action("file.export_pdf").setEnabled(False)
        window.action("file.export_pdf").setToolTip(engraver.problem)
    wiring.connect(candidate)
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(engraver.shutdown)
        app.aboutToQuit.connect(shutdown_process)
    if engraver.problem is None:
        warm_up()
    return ScorePart(dock, view, engraver, pdf)


class _Wiring(QObject):
    """Keeps the engraver, the view, the document, the transport and the roll in step."""

    def __init__(self, window: MainWindow, view: ScoreView) -> None:
        super().__init__(window)
        self.window, self.view = window, view
        self.engraver: ScoreEngraver | None = None
        self.show_candidate = True
        self._resize = QTimer(self)
        self._resize.setSingleShot(True)
        self._resize.setInterval(RESIZE_MS)

    def connect(self, candidate: QAction) -> None:
        w, view, engraver = self.window, self.view, self.engraver
        self.show_candidate = candidate.isChecked()
        if engraver.problem:
            view.show_problem(f"No score to show: {engraver.problem}")
            w.report_problem("verovio", engraver.problem)
            return
        w.document.scoreChanged.connect(engraver.request)
        w.document.pathChanged.connect(engraver.request)
        engraver.engraved.connect(self._engraved)
        engraver.failed.connect(lambda m: view.show_message(f"The score cannot be drawn: {m}"))
        view.canvas.noteClicked.connect(self._clicked)
        w.roll.selectionChanged.connect(lambda _n: view.canvas.set_selected(w.roll.selection))
        self._resize.timeout.connect(engraver.request)
        view.widthChanged.connect(lambda _w: self._resize.start())
        self._connect_transport()
        self._connect_candidates()
        engraver.request()

    def _connect_transport(self) -> None:
        from composer.gui.playback import Playback

        try:
            controller = self.window.part(Playback).controller
        except LookupError:
            return
        controller.positionChanged.connect(
            lambda step: self.view.set_playing(step if step >= 0 else None))

    def _generation(self):  # noqa: ANN202 - the GenerationController, when installed
        from composer.gui.generation import Generation

        try:
            return self.window.part(Generation).controller
        except LookupError:
            return None

    def _connect_candidates(self) -> None:
        controller = self._generation()
        if controller is not None:
            controller.candidatesChanged.connect(self.engraver.request)
            controller.currentChanged.connect(lambda _i: self.engraver.request())

    def set_show_candidate(self, on: bool) -> None:
        self.show_candidate = on
        self.window.settings.setValue(SHOW_CANDIDATE_KEY, on)
        if self.engraver is not None:
            self.engraver.request()

    def request(self) -> Request | None:
        """What the view should show now: the document, or the candidate in place."""
        score, colors = self.window.document.score, None
        controller = self._generation() if self.show_candidate else None
        if controller is not None and controller.preview_score() is not None:
            pending = controller.pending
            score = controller.preview_score()
            colors = {ref: CANDIDATE_COLOR for ref in _written(score, pending.start,
                                                               pending.end, pending.voices)}
        return Request(score, ScoreInfo(self.window.score_title()), self.view.page_width(),
                       colors, self.view.devicePixelRatioF())

    def _engraved(self, engraved: Engraved) -> None:
        title = engraved.request.info.title
        self.view.caption.setText(title or "")
        self.view.caption.setVisible(bool(title))
        self.view.show_engraved(engraved)
        self.view.canvas.set_selected(self.window.roll.selection)

    def _clicked(self, ref: NoteRef, add: bool) -> None:
        """A click on a note selects it in the roll (Shift adds or removes it), as a click
        in the roll would; a candidate's note is not in the score yet and is not selected."""
        voice, note = ref
        roll = self.window.roll
        if note not in self.window.document.score.voices[voice]:
            return
        roll.set_selection(roll.selection ^ {ref} if add else frozenset({ref}))
        roll.reveal(note.start, note.pitch)


def _engrave(score: Score, info: ScoreInfo, layout, cancel=None):  # noqa: ANN001, ANN202
    return engrave(score, info, layout, cancel=cancel)


def _written(score: Score, start: int, end: int, voices: tuple[int, ...]) -> list[NoteRef]:
    return [(v, n) for v in voices for n in score.voices[v] if n.end > start and n.start < end]


class PdfExporter(QObject):
    """File ▸ Export PDF…: engraves the score for A4 pages and writes them, on a worker
    thread with progress and Cancel, so a long score never holds the window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.task: Task | None = None

    def ask_and_export(self) -> None:
        document = self.window.document
        suggested = (str(document.path.with_suffix(".pdf")) if document.path
                     else self.window.display_name().replace(" ", "-") + ".pdf")
        name, _ = QFileDialog.getSaveFileName(self.window, "Export PDF", suggested, PDF_FILTER)
        if name:
            path = Path(name)
            self.export(path if path.suffix.lower() == ".pdf" else path.with_name(
                path.name + ".pdf"))

    def export(self, path: Path) -> Task:
        score, title = self.window.document.score, self.window.score_title()

        def work(progress, cancel):  # noqa: ANN001, ANN202 - the Task calling convention
            return export_pdf(score, path, title, progress, cancel, engraver=engrave_apart)

        self.task = start_with_dialog(
            self.window, "Export PDF", f"Engraving {path.name}…", work,
            lambda dialog, pages: self._done(dialog, path, pages),
            lambda dialog, message: self._failed(dialog, path, message))
        return self.task

    def _done(self, dialog: QProgressDialog, path: Path, pages: int) -> None:
        dialog.close()
        self.window.status_message(f"Exported {path.name} ({pages} page"
                                   f"{'s' if pages != 1 else ''})", 5000)

    def _failed(self, dialog: QProgressDialog, path: Path, message: str) -> None:
        dialog.close()
        if self.window.isVisible():
            QMessageBox.warning(self.window, "Export PDF",
                                f"Could not export {path.name}: {message}")


def export_pdf(score: Score, path: Path, title: str | None, progress=None,  # noqa: ANN001
               cancel=None, engraver=None) -> int:  # noqa: ANN001
    """The score engraved on A4 pages into `path`: what the GUI and the CLI both run (the
    GUI engraves in its engraving process, `engrave_apart`). Returns the page count."""
    if progress:
        progress(0, 2)
    engraving = (engraver or _engrave)(score, ScoreInfo(title), A4, cancel=cancel)
    pages = len(engraving.pages)
    return write_pdf(engraving, path, title or "",
                     progress=lambda d, t: progress and progress(pages + d, 2 * pages),
                     cancel=cancel)
