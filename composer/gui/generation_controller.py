"""Runs the network for the window: continue, harmonize, regenerate, off the GUI thread,
and keeps the candidates beside the document until one is accepted.

The candidates are never in the document and so never in the undo stack: Accept applies
the current one as one undo step named after what it did; Discard drops them; any edit of
the score drops them too, so a candidate is never applied over music it did not see.
Pressing Generate while a generation runs replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtCore import QObject, QSettings, QThreadPool, Signal

from composer.gui.document import ScoreDocument
from composer.gui.generation_settings import GenerationSettings
from composer.gui.workers import Task
from composer.music.score import Score
from composer.work import Cancel, Progress


@dataclass(frozen=True)
class Request:
    """One press of Generate: the settings and the span it works on."""

    settings: GenerationSettings
    score: Score
    start: int = 0  # harmonize / regenerate: the steps written
    end: int = 0
    from_step: int | None = None  # continue: replace what follows this step


@lru_cache(maxsize=1)
def network_pool() -> QThreadPool:
    """One thread for the network's work (generating, scoring, loading): the sampler serves
    one call at a time anyway, and the global pool stays free for the audio engine and the
    corpus, which must never wait behind a long generation."""
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    return pool


def load_sampler(network: str):  # noqa: ANN201 - a Sampler; torch is imported only here
    from composer.ml.generate import load_sampler as load

    return load(network)


@dataclass(frozen=True)
class Written:
    """What a request wrote (composer.ml Candidates) and which network wrote it."""

    candidates: object
    network: str
    note: str | None = None  # why Harmonize fell back to the chosen net, where it did


def run_request(request: Request, progress: Progress, cancel: Cancel) -> Written:
    """The work of one request, on a worker thread. Harmonize takes the shipped
    harmonizer, which reads the whole tune, where it is there."""
    from composer.ml import operations
    from composer.ml.generate import harmonizing_sampler
    from composer.ml.sampling import SamplingOptions

    s = request.settings
    options = SamplingOptions(temperature=s.temperature, top_p=s.top_p,
                              candidates=s.candidates, seed=s.seed,
                              avoid_parallels=s.avoid_parallels,
                              strict_voicing=s.strict_voicing,
                              cadence_triads=s.cadence_triads)
    if s.mode == "harmonize":
        sampler, network, note = harmonizing_sampler(s.network)
        return Written(operations.harmonize(sampler, request.score, s.keep, request.start,
                                            request.end, options, progress=progress,
                                            cancel=cancel), network, note)
    sampler = load_sampler(s.network)
    if s.mode == "continue":
        return Written(operations.continue_score(sampler, request.score, s.bars, options,
                                                 from_step=request.from_step,
                                                 progress=progress, cancel=cancel), s.network)
    return Written(operations.regenerate(sampler, request.score, request.start, request.end,
                                         s.rewrite, options, progress=progress,
                                         cancel=cancel), s.network)


class GenerationController(QObject):
    candidatesChanged = Signal()  # pending candidates set, replaced or dropped
    currentChanged = Signal(int)
    busyChanged = Signal(bool)
    progress = Signal(int, int)
    failed = Signal(str)
    notice = Signal(str)
    settingsChanged = Signal()

    def __init__(self, document: ScoreDocument, settings: QSettings,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._qsettings = settings
        self._settings = GenerationSettings.load(settings)
        self._task: Task | None = None
        self._request: Request | None = None
        self._pending = None  # composer.ml.operations.Candidates
        self._current = 0
        self._accepting = False
        self.written_by: str | None = None  # the network that wrote the pending candidates
        document.scoreChanged.connect(self._score_changed)

    # --- settings ------------------------------------------------------------------------
    @property
    def settings(self) -> GenerationSettings:
        return self._settings

    def set_settings(self, settings: GenerationSettings) -> None:
        if settings != self._settings:
            self._settings = settings
            settings.save(self._qsettings)
            self.settingsChanged.emit()

    # --- running -------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._task is not None

    def generate(self, request: Request) -> Task:
        """Start `request`; one already running is cancelled and its result ignored."""
        if self._task is not None:
            self._task.cancel()
        self.discard()
        task = Task(lambda progress, cancel: run_request(request, progress, cancel))
        task.signals.progress.connect(
            lambda done, total: self._task is task and self.progress.emit(done, total))
        task.signals.finished.connect(lambda result: self._finished(task, result))
        task.signals.failed.connect(lambda message: self._failed(task, message))
        task.signals.cancelled.connect(lambda: self._stopped(task))
        self._task, self._request = task, request
        task.start(network_pool())
        self.busyChanged.emit(True)
        return task

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _stopped(self, task: Task) -> None:
        if task is self._task:
            self._task = None
            self.busyChanged.emit(False)

    def _finished(self, task: Task, written: Written) -> None:
        if task is not self._task:
            return
        request = self._request
        self._stopped(task)
        if request is None or self.document.score is not request.score:
            self.notice.emit("The score changed while the network wrote: press Generate "
                             "again to write for the score as it is now.")
            return
        self._pending, self._current = written.candidates, 0
        self.written_by = written.network
        self.candidatesChanged.emit()
        self.currentChanged.emit(0)
        if written.note:
            self.notice.emit(written.note)

    def _failed(self, task: Task, message: str) -> None:
        if task is self._task:
            self._stopped(task)
            self.failed.emit(message)

    # --- candidates ----------------------------------------------------------------------
    @property
    def pending(self):  # noqa: ANN201 - Candidates | None
        return self._pending

    @property
    def current(self) -> int:
        return self._current

    def current_candidate(self):  # noqa: ANN201 - Candidate | None
        return None if self._pending is None else self._pending.items[self._current]

    def preview_score(self) -> Score | None:
        """The score with the current candidate in place, for listening."""
        candidate = self.current_candidate()
        return None if candidate is None else candidate.score

    def select(self, index: int) -> None:
        if self._pending is not None and index != self._current:
            self._current = index % len(self._pending.items)
            self.currentChanged.emit(self._current)

    def step(self, by: int) -> None:
        """Tab / Shift+Tab: the next or previous candidate, round and round."""
        if self._pending is not None:
            self.select((self._current + by) % len(self._pending.items))

    def accept(self) -> None:
        """The current candidate into the score, as one undo step."""
        candidate = self.current_candidate()
        if candidate is None:
            return
        name = self._pending.name
        self._accepting = True
        try:
            self.document.apply(name, candidate.score)
        finally:
            self._accepting = False
        self._drop()
        self.notice.emit(f"{name}: accepted (Undo takes it back)")

    def discard(self) -> None:
        if self._pending is not None:
            self._drop()

    def _drop(self) -> None:
        self._pending, self._current = None, 0
        self.candidatesChanged.emit()

    def _score_changed(self) -> None:
        if self._pending is not None and not self._accepting:
            self._drop()
            self.notice.emit("The candidates were dropped: the score changed under them.")
