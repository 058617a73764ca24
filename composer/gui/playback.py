"""Playback in the main window: transport toolbar, Playback menu, Mixer panel, audition and
File ▸ Export WAV, installed as a part (`MainWindow(parts=[install_playback])`) through the
window's declared API, so the window itself stays unaware of audio.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMenu,
    QMessageBox,
    QProgressDialog,
)

from composer.audio.render import render_to_wav
from composer.gui.editor_toolbars import hand_focus_back
from composer.gui.playback_mixer import MixerPanel
from composer.gui.progress_task import start_with_dialog
from composer.gui.transport import SOUNDFONT_HINT, TransportController, TransportToolBar
from composer.gui.workers import Task

if TYPE_CHECKING:
    from composer.gui.main_window import MainWindow

WAV_FILTER = "WAV audio (*.wav)"


class WavExporter(QObject):
    """Renders the score to a WAV file on a worker thread, with progress and Cancel."""

    exported = Signal(object)  # Path
    failed = Signal(str)

    def __init__(self, window: MainWindow, controller: TransportController) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.task: Task | None = None
        self.action = QAction("Export &WAV…", window)
        self.action.setStatusTip("Render the score to a WAV audio file with the mixer's sounds")
        self.action.triggered.connect(self.ask_and_export)
        self._update_action(controller.problem)
        controller.problemChanged.connect(self._update_action)

    def _update_action(self, problem: str) -> None:
        # Rendering needs libfluidsynth; a missing audio device does not matter to it.
        missing_library = bool(problem) and "libfluidsynth" in problem
        self.action.setEnabled(not missing_library)
        self.action.setToolTip(problem if missing_library else self.action.statusTip())

    def ask_and_export(self) -> None:
        document = self.window.document
        suggested = (str(document.path.with_suffix(".wav")) if document.path
                     else self.window.display_name().replace(" ", "-") + ".wav")
        name, _ = QFileDialog.getSaveFileName(self.window, "Export WAV", suggested, WAV_FILTER)
        if name:
            path = Path(name)
            if path.suffix.lower() != ".wav":
                path = path.with_name(path.name + ".wav")
            self.export(path)

    def export(self, path: Path) -> Task:
        score = self.window.document.score
        controller = self.controller
        mixer, soundfont, hold = controller.mixer, controller.soundfont, controller.fermata_hold

        def work(progress, cancel):  # noqa: ANN001, ANN202 - the Task calling convention
            return render_to_wav(score, path, mixer, soundfont,
                                 progress=lambda done, total: progress(done * 1000 // total, 1000),
                                 cancel=cancel, fermata_hold=hold)

        self.task = start_with_dialog(
            self.window, "Export WAV", f"Rendering {path.name}…", work,
            lambda dialog, rendering: self._done(dialog, path, rendering),
            lambda dialog, message: self._failed(dialog, path, message))
        return self.task

    def _done(self, dialog: QProgressDialog, path: Path, rendering: object) -> None:
        dialog.close()
        message = f"Exported {path.name} ({rendering.seconds:.1f} s)"
        if rendering.warning:
            message += f" — {rendering.warning}{SOUNDFONT_HINT}"
        self.window.status_message(message)
        self.exported.emit(path)

    def _failed(self, dialog: QProgressDialog, path: Path, message: str) -> None:
        dialog.close()
        self.failed.emit(message)
        if self.window.isVisible():
            QMessageBox.warning(self.window, "Export WAV",
                                f"Could not export {path.name}: {message}")


class _EngineWarmUp(QObject):
    """Opens the audio engine, in the background, as the window first appears, so the
    first Play is instant and the window is not kept waiting for the soundfont."""

    def __init__(self, window: MainWindow, controller: TransportController) -> None:
        super().__init__(window)
        self._controller = controller
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._controller.open_engine_in_background)
        return False


@dataclass(frozen=True)
class Playback:
    """What `install_playback` put in the window, for whoever needs it (tests, later parts)."""

    controller: TransportController
    toolbar: TransportToolBar
    mixer_panel: MixerPanel
    wav_exporter: WavExporter
    menu: QMenu


def install_playback(
    window: MainWindow,
    library_names: Sequence[str] | None = None,
    drivers: Sequence[str] | None = None,
) -> Playback:
    """A part for `MainWindow(parts=...)`: the transport, its menu, the Mixer, Export WAV."""
    controller = TransportController(window.document, window.settings, library_names, drivers,
                                     parent=window)
    add = window.action_collection.add
    add("playback.play", "&Play", shortcuts="Space", action=controller.play_action)
    add("playback.stop", "&Stop", shortcuts="Shift+Space", action=controller.stop_action)
    add("playback.loop", "&Loop", shortcuts="L", action=controller.loop_action)
    add("playback.follow", "&Follow Playhead", action=controller.follow_action)
    add("playback.hold_fermatas", "Hold &Fermatas", action=controller.fermata_action)
    toolbar = TransportToolBar(controller, window)
    window.add_toolbar(toolbar, before="notesToolBar")
    mixer_panel = MixerPanel(controller, window)
    window.add_dock(mixer_panel)
    hand_focus_back(mixer_panel, window.roll)
    wav_exporter = WavExporter(window, controller)
    add("file.export_wav", "Export &WAV…", action=wav_exporter.action)
    window.add_file_action(wav_exporter.action, "export")

    menu = QMenu("&Playback", window)
    menu.addActions([controller.play_action, controller.stop_action])
    menu.addSeparator()
    menu.addActions([controller.loop_action, controller.follow_action,
                     controller.fermata_action])
    menu.addSeparator()
    menu.addAction(mixer_panel.toggleViewAction())
    window.add_menu(menu)
    _connect_roll(window, controller)
    _EngineWarmUp(window, controller)
    _release_on_quit(window, controller)
    return Playback(controller, toolbar, mixer_panel, wav_exporter, menu)


def _connect_roll(window: MainWindow, controller: TransportController) -> None:
    roll = window.roll
    roll.auditionRequested.connect(controller.audition)
    controller.positionChanged.connect(
        lambda step: roll.show_play_position(step if step >= 0 else None))
    controller.followChanged.connect(roll.set_follow_playback)
    roll.set_follow_playback(controller.follow)
    controller.problemChanged.connect(
        lambda problem: window.report_problem("audio", problem or None))
    window.report_problem("audio", controller.problem or None)
    controller.notice.connect(lambda text: window.status_message(text, 15000))


def _release_on_quit(window: MainWindow, controller: TransportController) -> None:
    def release() -> None:
        """Close the audio output when the window goes, or the application quits."""
        with contextlib.suppress(RuntimeError):
            controller.close()

    window.destroyed.connect(release)
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(release)
