"""The rules of four-part writing the networks break far more often than Bach: parallel
fifths and octaves (benchmarks/bench_voice_leading.py: about six of each per hundred
chords against none in the same bars of Bach), and, left after those are gone, hidden
fifths and octaves into the outer voices and a soprano more than an octave above the alto
(`composer evaluate-music`: 1.5 to 3.7 times Bach's rates).

The sampler gives the voices of a step in order S, A, T, B, so when a voice is sampled the
voices above it have already moved, and locked voices below it are known in advance. Which
new pitches would form a parallel with one of them is then known exactly, and those
tokens are removed from the choice, as a harmony student crosses out a fifth. The rules
are the ones `composer.music.voice_leading.rule_counts` counts.
"""

from __future__ import annotations

import numpy as np

from composer.ml.model import HELD, STATES
from composer.music.tokens import HOLD, NOTE_OFFSET


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


def voicing_tokens(before: list[int], now: list[int], voice: int, others: tuple[int, ...]
                   ) -> list[int]:
    """The tokens that would take `voice` into a hidden fifth or octave between soprano and
    bass (similar motion into the interval from another one, the soprano leaping), or put
    the soprano more than an octave above the alto where the other of the pair is known;
    HOLD where keeping the sounding note would do the latter as the other voice moves.
    Arguments as for `parallel_tokens`."""
    banned: list[int] = []
    if voice in (0, 3) and 3 - voice in others:
        banned.extend(_hidden_tokens(before, now, voice))
    if voice in (0, 1) and 1 - voice in others:
        banned.extend(_wide_tokens(before, now, voice))
    return banned


def _hidden_tokens(before: list[int], now: list[int], voice: int) -> list[int]:
    other = 3 - voice
    own, was, is_ = before[voice], before[other], now[other]
    if min(own, was, is_) < 0 or was == is_:
        return []
    if voice == 3 and abs(is_ - was) <= 2:
        return []  # the soprano, known, moves by step
    step = 3 if voice == 0 else 1  # the soprano must leap; the bass may step
    interval_before = (was - own) % 12 if voice == 3 else (own - was) % 12
    pitches = range(own + step, 128) if is_ > was else range(own - step, -1, -1)
    out = []
    for p in pitches:
        interval = (is_ - p) % 12 if voice == 3 else (p - is_) % 12
        if interval in (0, 7) and interval != interval_before:
            out.append(NOTE_OFFSET + p)
    return out


def _wide_tokens(before: list[int], now: list[int], voice: int) -> list[int]:
    other = 1 - voice
    is_ = now[other]
    if is_ < 0:
        return []
    if voice == 1:  # the alto may not lie below the soprano's octave
        out = [NOTE_OFFSET + p for p in range(max(0, is_ - 12))]
        too_far = 0 <= before[1] < is_ - 12
    else:  # the soprano may not rise above the alto's octave
        out = [NOTE_OFFSET + p for p in range(is_ + 13, 128)]
        too_far = before[0] > is_ + 12
    if too_far and is_ != before[other]:
        out.append(HOLD)
    return out


def _triads() -> tuple[tuple[int, int, int], ...]:
    """(root, third, pitch-class bit set) of each major and minor triad."""
    return tuple((r, (r + third) % 12, (1 << r) | (1 << (r + third) % 12) | (1 << (r + 7) % 12))
                 for r in range(12) for third in (3, 4))


TRIADS = _triads()


def cadence_tokens(before: list[int], now: list[int], voice: int, others: tuple[int, ...]
                   ) -> list[int]:
    """At a fermata: the tokens after which the chord could no longer be a major or minor
    triad in root position with the `others`, the voices whose pitch there is known, as
    Bach ends his phrases (the networks leave one fermata in five on a chord that is
    neither, and more on inversions). The voice that completes the chord above the bass,
    and the bass, take the triad's third where one is left to take: an open fifth is no
    cadence either. Arguments as for `parallel_tokens`."""
    heard = 0
    for w in others:
        if now[w] >= 0:
            heard |= 1 << now[w] % 12
    bass = now[3] % 12 if 3 in others and now[3] >= 0 else -1
    last = voice == 3 or all(w in others for w in range(3) if w != voice)
    fits, full = 0, 0  # the pitch classes the voice may take; those that leave a third
    for root, third, triad in TRIADS:
        if heard & ~triad or (bass >= 0 and root != bass):
            continue
        if voice == 3:
            fits |= 1 << root
            full |= (1 << root) if heard >> third & 1 else 0
        else:
            fits |= triad
            full |= triad if heard >> third & 1 else 1 << third
    if last and full:
        fits = full
    banned = [NOTE_OFFSET + p for p in range(128) if not fits >> p % 12 & 1]
    if before[voice] >= 0 and not fits >> before[voice] % 12 & 1:
        banned.append(HOLD)
    return banned
