"""The one source of truth the views draw: a score, its undo stack, its file, the user's
cursor (the playhead) and the loop range.

The playhead is where the user put it, not where the sound is: while playing, the
transport reports the sounding position by a signal of its own and leaves this one alone,
so Stop returns to it and an edit at the cursor lands where the user expects."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from composer.music.score import Score
from composer.music.score_change import ScoreChange


class ScoreDocument(QObject):
    scoreChanged = Signal()
    pathChanged = Signal()
    modifiedChanged = Signal(bool)
    playheadChanged = Signal(int)
    loopRangeChanged = Signal()  # the range, or whether it loops

    def __init__(self, score: Score | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._score = score if score is not None else Score()
        self._path: Path | None = None
        self._playhead = 0
        self._loop: tuple[int, int] | None = None
        self._looping = False
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)

    def _clean_changed(self, clean: bool) -> None:
        # A bound slot, not a lambda: Qt drops it with the document, so the stack's last
        # signal while it is being destroyed reaches nobody.
        self.modifiedChanged.emit(not clean)

    @property
    def score(self) -> Score:
        return self._score

    def _set_score(self, score: Score) -> None:
        """Only undo commands call this: every edit is undoable."""
        if score is not self._score:
            self._score = score
            self.scoreChanged.emit()

    def apply(self, name: str, score: Score) -> None:
        """Record an edit that turns the current score into `score` as one undo step."""
        if score != self._score:
            self.undo_stack.push(ReplaceScoreCommand(self, score, name))

    def reset(self, score: Score, path: Path | None = None) -> None:
        """A new or freshly opened document: history cleared, nothing modified."""
        self.undo_stack.clear()
        self._score = score
        self._path = path
        self._loop = None
        self._looping = False
        self.scoreChanged.emit()
        self.pathChanged.emit()
        self.set_playhead(0)
        self.loopRangeChanged.emit()
        self.undo_stack.setClean()
        self.modifiedChanged.emit(False)

    @property
    def path(self) -> Path | None:
        return self._path

    def mark_saved(self, path: Path) -> None:
        self._path = path
        self.undo_stack.setClean()
        self.pathChanged.emit()

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def playhead(self) -> int:
        return self._playhead

    def set_playhead(self, step: int) -> None:
        step = max(0, int(step))
        if step != self._playhead:
            self._playhead = step
            self.playheadChanged.emit(step)

    @property
    def loop_range(self) -> tuple[int, int] | None:
        return self._loop

    def set_loop_range(self, loop: tuple[int, int] | None) -> None:
        """A range set is meant to loop, so it turns looping on; none turns it off."""
        if loop is not None:
            start, end = sorted(loop)
            loop = (start, end) if end > start else None
        if loop != self._loop or self._looping != (loop is not None):
            self._loop = loop
            self._looping = loop is not None
            self.loopRangeChanged.emit()

    @property
    def looping(self) -> bool:
        """Playback goes round the loop range (never true without a range)."""
        return self._looping

    def set_looping(self, on: bool) -> None:
        on = bool(on) and self._loop is not None
        if on != self._looping:
            self._looping = on
            self.loopRangeChanged.emit()


class ReplaceScoreCommand(QUndoCommand):
    """One edit, as the difference between the score before and after it: the history then
    holds what each edit changed, not a copy of every voice it touched."""

    def __init__(self, document: ScoreDocument, after: Score, name: str) -> None:
        super().__init__(name)
        self._document = document
        self._change = ScoreChange.between(document.score, after)
        self._first: Score | None = after  # the push's own redo needs no work

    def redo(self) -> None:
        score, self._first = self._first, None
        if score is None:
            score = self._change.apply(self._document.score)
        self._document._set_score(score)

    def undo(self) -> None:
        self._document._set_score(self._change.revert(self._document.score))
