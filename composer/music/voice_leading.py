"""Counts of the textbook rules of four-part writing, to compare generated chorales with
Bach's own by numbers rather than by ear alone.

Likelihood says how well a network predicts Bach; it does not say whether what it writes
breaks the rules a harmony teacher would mark. These measures are the usual ones: parallel
fifths and octaves between any two voices, voices crossing, upper voices spread more than
an octave apart, notes outside the voices' ranges, and how much of the music lies in one
diatonic scale. Bach breaks some of them now and then; his rates are the yardstick.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from composer.music.score import VOICE_RANGES, Score
from composer.music.tokens import NOTE_OFFSET, encode, pitch_grid

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)  # its relative minor shares the pitch classes


@dataclass(frozen=True)
class VoiceLeading:
    chords: int  # steps where at least one voice starts a note
    parallel_fifths: int
    parallel_octaves: int  # octaves and unisons
    crossing_steps: int  # steps where a voice sounds below the voice under it
    wide_steps: int  # steps with soprano-alto or alto-tenor more than an octave apart
    sounding_steps: int  # steps with all four voices sounding
    notes: int
    out_of_range: int
    in_scale_steps: int  # voice-steps whose pitch lies in the best-fitting major scale
    voice_steps: int  # voice-steps with a pitch sounding

    def rates(self) -> dict[str, float]:
        """Per 100 chords for parallels, as fractions otherwise."""
        per = 100.0 / max(1, self.chords)
        return {
            "parallel_fifths_per_100_chords": self.parallel_fifths * per,
            "parallel_octaves_per_100_chords": self.parallel_octaves * per,
            "crossing": self.crossing_steps / max(1, self.sounding_steps),
            "wide_spacing": self.wide_steps / max(1, self.sounding_steps),
            "out_of_range": self.out_of_range / max(1, self.notes),
            "in_scale": self.in_scale_steps / max(1, self.voice_steps),
        }

    def __add__(self, other: VoiceLeading) -> VoiceLeading:
        mine, theirs = asdict(self), asdict(other)
        return VoiceLeading(**{k: mine[k] + theirs[k] for k in mine})


def voice_leading(score: Score, start: int = 0, end: int | None = None) -> VoiceLeading:
    """The counts for steps start..end of `score`. Motion is read from each step where a
    note starts to the step before it, so the first step of the span is judged on how it
    joins the music before (a continuation on how it leaves its seed)."""
    tokens = encode(score).grid
    pitches = pitch_grid(tokens).astype(np.int64)
    end = score.length if end is None else end
    onsets = tokens >= NOTE_OFFSET
    span = pitches[start:end]

    chord_steps = [t for t in range(start, end) if onsets[t].any()]
    fifths = octaves = 0
    for now in chord_steps:
        before = now - 1  # what sounded as the chord changed; a rest there breaks a pair
        if before < 0:
            continue
        for upper in range(4):
            for lower in range(upper + 1, 4):
                kind = _parallel(pitches[before, [upper, lower]], pitches[now, [upper, lower]])
                fifths += kind == 7
                octaves += kind == 0

    full = (span >= 0).all(axis=1)
    crossing = (np.diff(span, axis=1) > 0).any(axis=1) & full
    wide = ((span[:, 0] - span[:, 1] > 12) | (span[:, 1] - span[:, 2] > 12)) & full

    notes = out = 0
    for voice, (low, high) in enumerate(VOICE_RANGES):
        started = span[onsets[start:end, voice], voice]
        notes += len(started)
        out += int(((started < low) | (started > high)).sum())

    sounding = span[span >= 0] % 12
    counts = np.bincount(sounding, minlength=12)
    best = max(sum(counts[(tonic + d) % 12] for d in MAJOR_SCALE) for tonic in range(12)) \
        if len(sounding) else 0
    return VoiceLeading(
        chords=len(chord_steps), parallel_fifths=fifths, parallel_octaves=octaves,
        crossing_steps=int(crossing.sum()), wide_steps=int(wide.sum()),
        sounding_steps=int(full.sum()), notes=notes, out_of_range=out,
        in_scale_steps=int(best), voice_steps=len(sounding))


def _parallel(before: np.ndarray, now: np.ndarray) -> int | None:
    """7 for consecutive fifths, 0 for consecutive octaves or unisons, None otherwise:
    both voices sound at both chords, both move, in the same direction, and the interval
    between them is a perfect fifth or octave (compound or not) both times."""
    if (before < 0).any() or (now < 0).any():
        return None
    moves = now - before
    if moves[0] == 0 or moves[1] == 0 or (moves[0] > 0) != (moves[1] > 0):
        return None
    was, is_ = (before[0] - before[1]) % 12, (now[0] - now[1]) % 12
    return int(is_) if was == is_ and is_ in (0, 7) else None
