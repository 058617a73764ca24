"""Opening a file off the GUI thread, with progress and Cancel.

A large or strange file can take seconds inside music21 or the MIDI reader; the window must
stay responsive meanwhile and the user must be able to give up. The reading itself is the
core's `read_score`; this module only runs it as a task and turns its errors into the
sentence the user reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from composer.gui.workers import Task
from composer.music.files import FileFormatError, ImportResult, read_score
from composer.music.score import ScoreError
from composer.work import Cancel, Progress

SHOW_AFTER_MS = 300  # a quick open shows no dialog at all


@dataclass(frozen=True)
class OpenFailure:
    reason: str


def read_or_explain(path: Path, progress: Progress, cancel: Cancel) -> ImportResult | OpenFailure:
    """The file's score, or why it cannot be had, in words for the user."""
    try:
        return read_score(path, progress=progress, cancel=cancel)
    except FileFormatError as error:
        return OpenFailure(str(error))
    except ScoreError as error:
        return OpenFailure(f"{error}. The file holds music this editor cannot represent; "
                           "try exporting it again from its program.")
    except OSError as error:
        return OpenFailure(f"{error.strerror or error}. Check that the file can be read.")


class FileOpener(QObject):
    """One open at a time; `opened(path, result)` or `refused(path, reason)` when done."""

    opened = Signal(object, object)  # Path, ImportResult
    refused = Signal(object, str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self._task: Task | None = None

    @property
    def busy(self) -> bool:
        return self._task is not None

    def open(self, path: Path, then: Callable[[], None] | None = None,
             otherwise: Callable[[], None] | None = None) -> Task:
        """Read `path` in the background; `then` runs after the document took it,
        `otherwise` after it was refused."""
        if self._task is not None:
            self._task.cancel()
        dialog = QProgressDialog(f"Opening {path.name}…", "Cancel", 0, 0, self._parent)
        dialog.setWindowTitle("Open")
        dialog.setMinimumDuration(SHOW_AFTER_MS)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        task = Task(lambda progress, cancel: read_or_explain(path, progress, cancel))
        task.signals.progress.connect(lambda done, total: _show_progress(dialog, done, total))
        task.signals.finished.connect(lambda result: self._done(task, dialog, path, result,
                                                                then, otherwise))
        task.signals.failed.connect(lambda message: self._done(
            task, dialog, path, OpenFailure(message), then, otherwise))
        task.signals.cancelled.connect(
            lambda: self._done(task, dialog, path, None, then, otherwise))
        dialog.canceled.connect(task.cancel)
        self._task = task
        task.start()
        return task

    def _done(self, task: Task, dialog: QProgressDialog, path: Path,
              result: ImportResult | OpenFailure | None,
              then: Callable[[], None] | None, otherwise: Callable[[], None] | None) -> None:
        dialog.reset()
        dialog.deleteLater()
        if task is not self._task:
            return
        self._task = None
        if task.cancelled:  # asked to stop, even if the reading had just finished
            result = None
        if isinstance(result, OpenFailure):
            self.refused.emit(path, result.reason)
        elif result is not None:
            self.opened.emit(path, result)
        follow = then if isinstance(result, ImportResult) else otherwise
        if follow is not None:
            follow()


def _show_progress(dialog: QProgressDialog, done: int, total: int) -> None:
    dialog.setRange(0, max(1, total))
    dialog.setValue(done)
