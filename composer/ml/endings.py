"""Where new music ends its phrases, and how it ends the piece: on the tonic, as Bach does.

Fermatas: the network reads a fermata flag on every step, so new music that is given
fermatas where Bach would put them ends its phrases there.

The final cadence: left alone, the networks stop wherever the last bar leaves them
(continuations ended on C#-G#-E-B, a harmonization in E minor on a C major chord). So when
an operation writes a score's last chord, that chord may only be the key's tonic chord
(either third in minor), with the tonic in the bass, held to the end. The network still
picks the voicing, the octaves and the way there, and each token it draws is scored, so
candidates that approach the cadence clumsily rank low. The key is the score's own, else
estimated from its notes (composer.music.tonality).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from composer.music.score import Score
from composer.music.tokens import HOLD, NOTE_OFFSET, REST
from composer.music.tonality import FinalChord, final_chord, tonic_chord

PHRASE_BARS = 2  # the usual distance between fermatas in the corpus (1,645 of 2,045 gaps)


def phrase_period(score: Score, start: int, phrase_bars: int | None = None) -> int | None:
    """Steps between the fermatas of new music from `start` on: `phrase_bars` bars, else
    the median phrase of the music before, else PHRASE_BARS bars; None for phrase_bars 0."""
    if phrase_bars is not None and phrase_bars <= 0:
        return None
    bar = score.steps_per_bar
    if phrase_bars is not None:
        return phrase_bars * bar
    marks = sorted(f for f in score.fermatas if f < start)
    if len(marks) >= 2:
        gap = statistics.median(b - a for a, b in zip(marks, marks[1:]))
        return max(bar, round(gap / bar) * bar)
    return PHRASE_BARS * bar


def phrase_fermatas(score: Score, start: int, end: int, phrase_bars: int | None = None
                    ) -> frozenset[int]:
    """Fermatas for new music in start..end, so the network ends phrases as Bach did:
    every phrase_period steps after the last fermata before `start`."""
    period = phrase_period(score, start, phrase_bars)
    if period is None:
        return frozenset()
    last = max((f for f in score.fermatas if f < start), default=0)
    return frozenset(s for s in range(last + period, end, period) if s >= start)


def final_bar_onset(start: int, end: int, steps_per_bar: int) -> int:
    """Where a continuation's final chord begins: the last bar line inside start..end (the
    downbeat of the last new bar), else `start`."""
    return max(start, (end - 1) // steps_per_bar * steps_per_bar)


def cadence_fermatas(score: Score, start: int, onset: int, phrase_bars: int | None = None
                     ) -> frozenset[int]:
    """The final chord's fermata, and phrase fermatas before it that leave the last phrase
    at least a whole period long (phrase_bars 0: the final one alone)."""
    period = phrase_period(score, start, phrase_bars)
    if period is None:
        return frozenset({onset})
    return phrase_fermatas(score, start, onset - period + 1, phrase_bars) | {onset}


def last_chord(score: Score, written: Sequence[int]) -> FinalChord | None:
    """The score's last chord as the voices kept have it, where any has notes (the melody
    being harmonized), else as the voices being written have it."""
    kept = [v for v in range(4) if v not in written]
    return final_chord(score, kept) or final_chord(score, written)


@dataclass(frozen=True)
class Cadence:
    key: str
    onset: int
    choices: dict[tuple[int, int], list[int]]  # for Sampler.generate


def plan_cadence(score: Score, onset: int, chord_end: int, end: int, written: Sequence[int],
                 key: str, ranges: Sequence[tuple[int, int]]) -> Cadence | None:
    """The tokens that make the written voices sound the tonic chord from `onset`, held to
    `chord_end`, then rest to `end` (a final bar's trailing rest); None where a kept voice
    sounds a note at `onset` that the tonic chord cannot have (a tune that ends elsewhere
    keeps its own ending)."""
    chord = tonic_chord(key)
    for v in range(4):
        note = None if v in written else score.note_at(v, onset)
        if note is not None and not (chord.fits(note.pitch)
                                     and (v != 3 or note.pitch % 12 == chord.tonic)):
            return None
    choices: dict[tuple[int, int], list[int]] = {}
    for v in written:
        low, high = ranges[v]
        fits = [p for p in range(low, high + 1)
                if (p % 12 == chord.tonic if v == 3 else chord.fits(p))]
        if not fits:
            return None
        choices[(onset, v)] = [NOTE_OFFSET + p for p in fits]
        choices.update({(step, v): [HOLD] for step in range(onset + 1, chord_end)})
        choices.update({(step, v): [REST] for step in range(chord_end, end)})
    return Cadence(key, onset, choices)
