"""The one rule of four-part writing the networks break far more often than Bach: parallel
fifths and octaves (benchmarks/bench_voice_leading.py: about six of each per hundred
chords against none in the same bars of Bach).

The sampler gives the voices of a step in order S, A, T, B, so when a voice is sampled the
voices above it have already moved, and locked voices below it are known in advance. Which
new pitches would form a parallel with one of them is then known exactly, and those
tokens are removed from the choice, as a harmony student crosses out a fifth. The rule is
the one `composer.music.voice_leading` counts.
"""

from __future__ import annotations

import numpy as np

from composer.ml.model import HELD, STATES
from composer.music.tokens import NOTE_OFFSET


def _state_pitches() -> np.ndarray:
    """[voice state] -> sounding pitch, -1 when silent (see data.voice_states)."""
    pitch = np.full(STATES, -1, dtype=np.int64)
    pitch[NOTE_OFFSET:NOTE_OFFSET + 128] = np.arange(128)
    pitch[HELD:HELD + 128] = np.arange(128)
    return pitch


STATE_PITCH = _state_pitches()


def parallel_tokens(before: list[int], now: list[int], voice: int, others: tuple[int, ...]
                    ) -> list[int]:
    """The NOTE tokens that would take `voice` in parallel fifths or octaves (or unisons)
    with one of the `others`, voices whose pitch for this step is already known.

    before: the four sounding pitches after the previous step, now: the same with the
    `others` at this step's pitch (-1 for silence). Plain ints: a candidate is a handful of
    comparisons, far cheaper in Python than in arrays of four."""
    own = before[voice]
    if own < 0:
        return []
    banned = []
    for other in others:
        was, is_ = before[other], now[other]
        if was < 0 or is_ < 0 or was == is_:
            continue
        # intervals are read from the upper voice of each pair down, as voice_leading does
        upper = other < voice
        interval = (was - own) % 12 if upper else (own - was) % 12
        if interval not in (0, 7):
            continue
        target = (is_ - interval) % 12 if upper else (is_ + interval) % 12
        if is_ > was:  # the same interval again, reached by moving the same way
            first = own + 1 + (target - own - 1) % 12
            banned.extend(range(NOTE_OFFSET + first, NOTE_OFFSET + 128, 12))
        else:
            first = own - 1 - (own - 1 - target) % 12
            banned.extend(range(NOTE_OFFSET + first, NOTE_OFFSET - 1, -12))
    return banned
