"""How likely the network found each note, computed in the background as the score changes,
and what else it would have written in place of one note.

Results are for one score: one that arrives after the score changed again is dropped,
and a newer request is made instead, so the shading never describes other music.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from composer.gui.document import ScoreDocument
from composer.gui.generation_controller import load_sampler, network_pool
from composer.gui.workers import Task
from composer.music.score import NoteRef, Score

DEBOUNCE_MS = 120  # a burst of edits (a drag of undo steps) asks once


class ConfidenceModel(QObject):
    changed = Signal()  # `probabilities` is new (or None)
    failed = Signal(str)

    def __init__(self, document: ScoreDocument, network: Callable[[], str],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._network = network
        self._enabled = False
        self._task: Task | None = None
        self.probabilities: dict[NoteRef, float] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        document.scoreChanged.connect(self._score_changed)

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, on: bool) -> None:
        self._enabled = on
        if on:
            self.refresh()
        else:
            self._timer.stop()
            self.probabilities = None
            self.changed.emit()

    def _score_changed(self) -> None:
        if self._enabled:
            self._timer.start()

    def refresh(self) -> Task | None:
        """Score the document's notes now (network changed, or the view turned on)."""
        if not self._enabled:
            return None
        score, network = self.document.score, self._network()
        if self._task is not None:
            self._task.cancel()

        def work(_progress, cancel):  # noqa: ANN001, ANN202 - the Task convention
            from composer.ml.operations import score_notes

            return score_notes(load_sampler(network), score, cancel=cancel)

        task = Task(work)
        task.signals.finished.connect(lambda result: self._scored(task, score, result))
        task.signals.failed.connect(lambda message: self._task is task and self.failed.emit(
            f"The network could not score the notes: {message}"))
        self._task = task
        task.start(network_pool())
        return task

    def _scored(self, task: Task, score: Score, result: object) -> None:
        if task is not self._task:
            return
        self._task = None
        if not self._enabled:
            return
        if score is not self.document.score:
            self._timer.start()
            return
        self.probabilities = dict(result.probability)
        self.changed.emit()

    def alternatives(self, voice: int, step: int,
                     done: Callable[[Score, list[tuple[int | None, float]]], None]) -> Task:
        """The network's top choices at `step` in `voice`; `done(score, choices)` on the
        GUI thread, with the score they were computed for."""
        score, network = self.document.score, self._network()

        def work(_progress, _cancel):  # noqa: ANN001, ANN202
            from composer.ml.operations import alternatives

            return alternatives(load_sampler(network), score, voice, step)

        task = Task(work)
        task.signals.finished.connect(lambda choices: done(score, choices))
        task.signals.failed.connect(self.failed.emit)
        task.start(network_pool())
        return task
