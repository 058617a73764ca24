"""Slow work off the GUI thread: a task runs on the global thread pool and reports through
signals, which Qt delivers to the GUI thread.

The work is a function `work(progress, cancel)` in the convention of `composer.work`:
`progress(done, total)` may be called any number of times, `cancel()` turns true once the
user asks to stop, and the work should raise (any exception, `Cancelled` by convention) soon
after. The core's long operations (the corpus build, training, generation, rendering) all
take these two callbacks, so they need no Qt wrapper of their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, SignalInstance

from composer.work import Cancel, Progress

Work = Callable[[Progress, Cancel], Any]
_RUNNING: set[Task] = set()  # a task outlives whoever started it until its work returns
_RUNNING_LOCK = threading.Lock()


class _TaskSignals(QObject):
    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()


class _Runnable(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self._task = task

    def run(self) -> None:
        self._task._run()


class Task:
    """One run of `work` in the background; connect to `signals` before `start()`."""

    def __init__(self, work: Work) -> None:
        self._work = work
        self._cancel = threading.Event()
        self._done = threading.Event()
        self.signals = _TaskSignals()
        self._runnable = _Runnable(self)

    def start(self, pool: QThreadPool | None = None) -> None:
        with _RUNNING_LOCK:
            _RUNNING.add(self)
        (pool or QThreadPool.globalInstance()).start(self._runnable)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def _gone(self) -> bool:
        """Whether the signals object has been deleted: at exit, Qt's teardown deletes it
        while the work may still be running on its pool thread."""
        return not shiboken6.isValid(self.signals)

    def _stopped(self) -> bool:
        """The work's `cancel()`: asked to stop, or nobody is left to hear the result."""
        return self._cancel.is_set() or self._gone()

    def _progress(self, done: int, total: int) -> None:
        self._emit(self.signals.progress, done, total)

    def _emit(self, signal: SignalInstance, *args: object) -> None:
        """Report, unless the application has torn the signals object down (a task that
        ends after teardown reaches nobody, instead of raising "Signal source has been
        deleted" in its thread)."""
        if self._gone():
            return
        try:
            signal.emit(*args)
        except RuntimeError:  # deleted between the look and the report: nobody hears it
            if not self._gone():
                raise

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work has returned; for shutdown and tests."""
        return self._done.wait(timeout)

    def _run(self) -> None:
        try:
            result = self._work(self._progress, self._stopped)
        except Exception as error:  # reported to the user, never lost in the thread
            if self._stopped():
                self._emit(self.signals.cancelled)
            else:
                self._emit(self.signals.failed, str(error) or type(error).__name__)
        else:
            if self._stopped():
                self._emit(self.signals.cancelled)
            else:
                self._emit(self.signals.finished, result)
        finally:
            self._done.set()
            with _RUNNING_LOCK:
                _RUNNING.discard(self)
