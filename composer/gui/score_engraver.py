"""Keeps an engraving of the document up to date, off the GUI thread.

Every change asks for a new engraving; requests that come while one is being made are
coalesced into one more run after it (a burst of edits costs two engravings, not one per
edit), and a result made from a score that has changed since is dropped rather than shown.
Engraving runs in a child process (the export's MusicXML is made by music21 in Python, and
Verovio holds the interpreter's lock while it reads a file: on a thread, both took turns
with the GUI thread and stalled the window for up to half a second); the pages are drawn on
a thread pool of its own, one engraving at a time, so neither the network's threads nor the
GUI thread wait for notation.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from composer.gui.score_pages import RenderedPage, render_pages
from composer.gui.workers import Task
from composer.music.engraving import Engraving, Layout, engrave, verovio_problem, view_layout
from composer.music.musicxml_file import ScoreInfo
from composer.music.score import NoteRef, Score
from composer.work import Cancel, Cancelled

_PROCESS: ProcessPoolExecutor | None = None
_PROCESS_LOCK = threading.Lock()

COALESCE_MS = 0  # the changes of one turn of the event loop (a paste, an undo) engrave once


@dataclass(frozen=True)
class Request:
    """What one engraving is made from: the score shown, its title, the width in pixels,
    notes painted apart (a candidate's) and the device pixel ratio."""

    score: Score
    info: ScoreInfo
    width: int
    colors: Mapping[NoteRef, str] | None = None
    ratio: float = 1.0


@dataclass(frozen=True)
class Engraved:
    request: Request
    engraving: Engraving
    pages: list[RenderedPage]


def _process() -> ProcessPoolExecutor:
    global _PROCESS
    with _PROCESS_LOCK:
        if _PROCESS is None:
            # spawn: a forked copy of a process running Qt's threads is not safe to use
            _PROCESS = ProcessPoolExecutor(1, multiprocessing.get_context("spawn"))
        return _PROCESS


def engrave_apart(score: Score, info: ScoreInfo | None, layout: Layout,
                  colors: Mapping[NoteRef, str] | None = None,
                  cancel: Cancel | None = None) -> Engraving:
    """`engrave` in the engraving process; this thread only waits (without the lock)."""
    global _PROCESS
    future = _process().submit(engrave, score, info, layout, dict(colors or {}) or None)
    while True:
        if cancel is not None and cancel():
            future.cancel()
            raise Cancelled()
        try:
            return future.result(timeout=0.05)
        except TimeoutError:
            continue
        except BrokenProcessPool:
            with _PROCESS_LOCK:
                _PROCESS = None  # the next engraving starts a new process
            raise


def warm_up() -> None:
    """Start the engraving process and its imports now, not at the first edit."""
    _process().submit(verovio_problem)


def shutdown_process() -> None:
    global _PROCESS
    with _PROCESS_LOCK:
        process, _PROCESS = _PROCESS, None
    if process is not None:
        process.shutdown(wait=False, cancel_futures=True)


def _pool() -> QThreadPool:
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    return pool


class ScoreEngraver(QObject):
    """`source()` gives the request for the document as it is now; call `request()` when it
    has changed. `engraved` carries the newest result, `failed` a reason."""

    engraved = Signal(object)  # Engraved
    failed = Signal(str)
    busyChanged = Signal(bool)

    def __init__(self, source: Callable[[], Request | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self.problem = verovio_problem()
        self._pool = _pool()
        self._task: Task | None = None
        self._running: Request | None = None  # what the task in progress engraves
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COALESCE_MS)
        self._timer.timeout.connect(self._start)
        self._closed = False
        self.stale_dropped = 0  # results thrown away because the score moved on

    @property
    def busy(self) -> bool:
        return self._task is not None

    def request(self) -> None:
        """The document changed: engrave it again soon (coalesced)."""
        if self.problem is None:
            self._timer.start()

    def _start(self) -> None:
        if self._task is not None or self._closed:
            return  # the running task looks again when it ends
        request = self._source()
        if request is None:
            return

        def work(progress, cancel):  # noqa: ANN001, ANN202 - the Task calling convention
            engraving = engrave_apart(request.score, request.info,
                                      view_layout(request.width), request.colors, cancel)
            return Engraved(request, engraving,
                            render_pages(engraving, request.width, request.ratio, cancel))

        task = Task(work)
        # Bound slots, not lambdas: Qt drops them with the engraver, so a task that ends
        # after its window has gone reaches nobody. One task runs at a time: it is _task.
        task.signals.finished.connect(self._done)
        task.signals.failed.connect(self._failed)
        task.signals.cancelled.connect(self._cancelled)
        self._task, self._running = task, request
        task.start(self._pool)
        self.busyChanged.emit(True)

    def _ended(self) -> bool:
        """The task is over; True when its result is current (the score has not moved)."""
        if self._task is None:
            return False
        made, self._task, self._running = self._running, None, None
        if self._source() != made:
            self._start()
            if self._task is None:
                self.busyChanged.emit(False)
            return False
        self.busyChanged.emit(False)
        return True

    def _done(self, result: Engraved) -> None:
        if self._ended():
            self.engraved.emit(result)
        else:
            self.stale_dropped += 1

    def _failed(self, message: str) -> None:
        if self._ended():
            self.failed.emit(message)

    def _cancelled(self) -> None:
        self._ended()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Stop and wait for the engraving in progress (the window is closing)."""
        self._closed = True
        self._timer.stop()
        if self._task is not None:
            self._task.cancel()
        self._pool.waitForDone(timeout_ms)
