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

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

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

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work has returned; for shutdown and tests."""
        return self._done.wait(timeout)

    def _run(self) -> None:
        try:
            result = self._work(self.signals.progress.emit, self._cancel.is_set)
        except Exception as error:  # reported to the user, never lost in the thread
            if self._cancel.is_set():
                self.signals.cancelled.emit()
            else:
                self.signals.failed.emit(str(error) or type(error).__name__)
        else:
            if self._cancel.is_set():
                self.signals.cancelled.emit()
            else:
                self.signals.finished.emit(result)
        finally:
            self._done.set()
            with _RUNNING_LOCK:
                _RUNNING.discard(self)
