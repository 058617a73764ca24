"""The difference between two scores, kept instead of the scores themselves.

An undo history that keeps each step's whole score holds, per step, a new copy of every
voice the step touched: memory grows with the score's size times the edits. A
`ScoreChange` holds only the notes that left and arrived in each touched voice and the
metadata that changed, so the history grows with the edits made.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from composer.music.score import Note, Score

_META = tuple(f.name for f in fields(Score) if f.name != "voices")


@dataclass(frozen=True)
class _VoiceChange:
    voice: int
    removed: frozenset[Note]
    added: tuple[Note, ...]


@dataclass(frozen=True)
class ScoreChange:
    voices: tuple[_VoiceChange, ...]
    before: tuple[tuple[str, object], ...]  # metadata fields that changed, old values
    after: tuple[tuple[str, object], ...]

    @classmethod
    def between(cls, before: Score, after: Score) -> ScoreChange:
        changes = []
        for v, (old, new) in enumerate(zip(before.voices, after.voices)):
            if old is not new and old != new:
                old_set, new_set = set(old), set(new)
                changes.append(_VoiceChange(v, frozenset(old_set - new_set),
                                            tuple(sorted(new_set - old_set))))
        names = [n for n in _META if getattr(before, n) != getattr(after, n)]
        return cls(tuple(changes), tuple((n, getattr(before, n)) for n in names),
                   tuple((n, getattr(after, n)) for n in names))

    def apply(self, score: Score) -> Score:
        """`score` (the `before` of `between`) turned into the `after`."""
        return self._change(score, forward=True)

    def revert(self, score: Score) -> Score:
        """The `after` of `between` turned back into the `before`."""
        return self._change(score, forward=False)

    def _change(self, score: Score, forward: bool) -> Score:
        voices = list(score.voices)
        for change in self.voices:
            if forward:
                gone, arrived = change.removed, change.added
            else:
                gone, arrived = frozenset(change.added), tuple(sorted(change.removed))
            kept = [n for n in voices[change.voice] if n not in gone]
            voices[change.voice] = tuple(sorted(kept + list(arrived)))
        meta = dict(self.after if forward else self.before)
        return replace(score, voices=tuple(voices), **meta)
