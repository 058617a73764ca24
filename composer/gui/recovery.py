"""Autosave and recovery: the edits since the last save survive a crash, a `kill -9` or a
power cut.

While the document has unsaved changes, a copy is written (off the GUI thread, atomically)
to a recovery file in the user data folder a few seconds after each change, and within
10 s of the first of a run of changes. Each running Composer owns its own files, held
by a lock file, so two instances never write or restore each other's. A clean exit, a
save or discarding the changes removes them. At the next start, recovery files whose owner
is gone are offered back: restoring opens the document's saved version and applies the
recovered music as one undo step, so Undo shows what the last save held.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from platformdirs import user_data_dir
from PySide6.QtCore import QLockFile, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from composer.atomic_write import atomic_open
from composer.gui.workers import Task
from composer.music.files import read_score, write_score
from composer.music.score import Score, ScoreError

if TYPE_CHECKING:
    from composer.gui.main_window import MainWindow

QUIET_MS = 2_000  # after the last change of a burst
LATEST_MS = 10_000  # after the first change, however busy the user is
RECOVERY_ENV = "COMPOSER_RECOVERY_DIR"  # tests and portable installs put it elsewhere


def recovery_folder() -> Path:
    return Path(os.environ.get(RECOVERY_ENV) or Path(user_data_dir("composer")) / "recovery")


@dataclass(frozen=True)
class Recovered:
    """One recovery file left by a Composer that did not close properly."""

    score_path: Path
    meta_path: Path
    lock_path: Path
    name: str
    document: Path | None
    changed: float  # time of the last change saved into it (seconds since the epoch)

    def remove(self) -> None:
        for path in (self.score_path, self.meta_path, self.lock_path):
            path.unlink(missing_ok=True)


def orphans(folder: Path) -> list[Recovered]:
    """Recovery files whose owner is no longer running, newest first."""
    found = []
    for meta_path in folder.glob("session-*.json"):
        lock = QLockFile(str(meta_path.with_suffix(".lock")))
        lock.setStaleLockTime(0)
        if not lock.tryLock(0):
            continue  # a running Composer owns it
        lock.unlock()
        try:
            meta = json.loads(meta_path.read_text())
            document = Path(meta["document"]) if meta.get("document") else None
            found.append(Recovered(meta_path.with_suffix(".mid"), meta_path,
                                   meta_path.with_suffix(".lock"), str(meta["name"]),
                                   document, float(meta["changed"])))
        except (OSError, ValueError, KeyError, TypeError):
            meta_path.unlink(missing_ok=True)  # half a file from a power cut: nothing in it
    return sorted(found, key=lambda r: -r.changed)


class Autosave(QObject):
    """Writes the window's document to this session's recovery file while it is modified."""

    def __init__(self, window: MainWindow, folder: Path) -> None:
        super().__init__(window)
        self.window = window
        self.folder = folder
        stem = folder / f"session-{uuid.uuid4().hex[:12]}"
        self.score_path, self.meta_path = stem.with_suffix(".mid"), stem.with_suffix(".json")
        self._lock = QLockFile(str(stem.with_suffix(".lock")))
        self.problem = ""
        self._task: Task | None = None
        self._changed = 0.0
        self._written: Score | None = None
        self._quiet = self._timer(QUIET_MS)
        self._latest = self._timer(LATEST_MS)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not self._lock.tryLock(0):
                raise OSError(f"cannot lock {stem.with_suffix('.lock')}")
        except OSError as error:
            self.problem = (f"Autosave is off: the recovery folder {folder} cannot be "
                            f"written ({error}). Save often, or make the folder writable.")
        # After the stack has moved: during the edit itself the document still reads clean.
        window.document.undo_stack.indexChanged.connect(self._changed_now)
        window.document.modifiedChanged.connect(self._modified)

    def _timer(self, ms: int) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(ms)
        timer.timeout.connect(self.write_now)
        return timer

    def _changed_now(self, _index: int = 0) -> None:
        # the undo stack reports its last index as the window takes it down on quit
        if not shiboken6.isValid(self.window.document.undo_stack):
            return
        if self.problem or not self.window.document.modified:
            return
        self._changed = time.time()
        self._quiet.start()
        if not self._latest.isActive():
            self._latest.start()

    def _modified(self, modified: bool) -> None:
        if not modified:
            self.discard()

    def write_now(self) -> Task | None:
        """Copy the document to the recovery file now, in the background."""
        self._quiet.stop()
        self._latest.stop()
        document = self.window.document
        score = document.score
        if self.problem or not document.modified or score is self._written:
            return None
        meta = {"name": self.window.display_name(), "changed": self._changed or time.time(),
                "document": str(document.path) if document.path else None,
                "pid": os.getpid()}
        task = Task(lambda _p, _c: self._write(score, meta))
        task.signals.finished.connect(lambda _result: self._wrote(score))
        task.signals.failed.connect(self._failed)
        self._task = task
        task.start()
        return task

    def _write(self, score: Score, meta: dict) -> None:
        write_score(self.score_path, score)
        with atomic_open(self.meta_path, "w") as file:  # last: a reader trusts the score then
            json.dump(meta, file)

    def _wrote(self, score: Score) -> None:
        self._written = score
        if not self.window.document.modified:  # saved meanwhile
            self.discard()

    def _failed(self, message: str) -> None:
        self.window.status_message(f"Autosave could not write its recovery copy: {message}",
                                   15000)

    def discard(self) -> None:
        """The document is saved or dropped: its recovery copy has nothing to give back."""
        self._quiet.stop()
        self._latest.stop()
        if self._task is not None:
            self._task.wait(10)
        self._written = None
        self.meta_path.unlink(missing_ok=True)
        self.score_path.unlink(missing_ok=True)

    def close(self) -> None:
        """A clean exit: nothing to recover."""
        self.discard()
        self._lock.unlock()


def offer_recovery(window: MainWindow, autosave: Autosave) -> bool:
    """Ask about each orphaned recovery file; True if one was restored."""
    for recovered in orphans(autosave.folder):
        when = time.strftime("%H:%M on %d %b %Y", time.localtime(recovered.changed))
        answer = QMessageBox.question(
            window, "Restore unsaved changes?",
            f"Composer did not close properly. “{recovered.name}” had changes that were "
            f"not saved; the last of them, at {when}, can be restored.\n\n"
            "Restore them? (No removes the recovered copy.)",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes)
        if answer == QMessageBox.StandardButton.Yes and restore(window, recovered):
            return True
        recovered.remove()
    return False


def restore(window: MainWindow, recovered: Recovered) -> bool:
    """The saved version opened (when there is one), the recovered music applied over it."""
    try:
        score = read_score(recovered.score_path).score
    except (OSError, ScoreError) as error:
        QMessageBox.warning(window, "Cannot restore",
                            f"The recovered copy of “{recovered.name}” cannot be read: "
                            f"{error}")
        return False

    def apply() -> None:
        window.document.apply("Restore unsaved changes", score)
        recovered.remove()
        window.status_message(f"Restored the unsaved changes of “{recovered.name}”; Undo "
                              "shows the last saved version.", 15000)

    def over_empty() -> None:
        window.document.reset(Score(tempo=score.tempo, time_signature=score.time_signature,
                                    key=score.key))
        apply()

    document = recovered.document
    if document is None or not document.exists() or not window.load(document, apply,
                                                                      over_empty):
        over_empty()
    return True


def install_recovery(window: MainWindow) -> Autosave:
    """A part for `MainWindow(parts=...)`: autosave now, the offer to restore once shown."""
    autosave = Autosave(window, recovery_folder())
    if autosave.problem:
        window.report_problem("autosave", autosave.problem)
    else:
        QTimer.singleShot(0, lambda: offer_recovery(window, autosave))
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(autosave.close)
    return autosave
