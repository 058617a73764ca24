"""Counts of the textbook rules of four-part writing, to compare generated chorales with
Bach's own by numbers rather than by ear alone.

Likelihood says how well a network predicts Bach; it does not say whether what it writes
breaks the rules a harmony teacher would mark. These measures are the usual ones: parallel
fifths and octaves between any two voices, voices crossing, upper voices spread more than
an octave apart, notes outside the voices' ranges, and how much of the music lies in one
diatonic scale. Bach breaks some of them now and then; his rates are the yardstick.

`voice_leading` gives the first counts (the benchmarks' and the sampler's rule);
`rule_counts` the full set a teacher marks, per chord change: parallels (not across a rest
or out of a chord under a fermata), hidden fifths and octaves into the outer voices,
crossings, overlaps, wide spacing and notes out of range. composer.music.style_stats adds
the distributions a listener hears.
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


RULES = ("parallel_fifths", "parallel_octaves", "hidden_fifths", "hidden_octaves",
         "crossings", "overlaps", "wide_soprano_alto", "wide_alto_tenor", "out_of_range")


@dataclass(frozen=True)
class RuleCounts:
    """What a harmony teacher marks, counted at chord changes (steps where at least one
    voice starts a note). Parallels are counted per pair of voices; the others once per
    chord change that shows them (out_of_range: per note)."""

    chord_changes: int = 0
    parallel_fifths: int = 0  # two voices a fifth (or twelfth...) apart move the same way
    # into the same interval again; not out of a rest, nor out of a chord under a fermata
    parallel_octaves: int = 0  # octaves and unisons, likewise
    hidden_fifths: int = 0  # soprano and bass move the same way into a fifth, from another
    # interval, the soprano by leap (more than a whole tone): the textbook's fault
    hidden_octaves: int = 0  # the same into an octave
    crossings: int = 0  # a voice sounds below the voice under it
    overlaps: int = 0  # a voice moves past where its neighbour sounded a moment before
    wide_soprano_alto: int = 0  # more than an octave between soprano and alto
    wide_alto_tenor: int = 0  # more than an octave between alto and tenor
    out_of_range: int = 0  # notes starting outside their voice's range (score.VOICE_RANGES)
    notes: int = 0  # notes starting

    def per_100(self) -> dict[str, float]:
        """Each rule per 100 chord changes."""
        per = 100.0 / max(1, self.chord_changes)
        return {name: getattr(self, name) * per for name in RULES}

    def __add__(self, other: RuleCounts) -> RuleCounts:
        mine, theirs = asdict(self), asdict(other)
        return RuleCounts(**{k: mine[k] + theirs[k] for k in mine})


def sounding_pitches(score: Score) -> tuple[np.ndarray, np.ndarray]:
    """(steps, 4) sounding pitch of each voice, -1 in rests, and where notes start."""
    tokens = encode(score).grid
    return pitch_grid(tokens).astype(np.int64), tokens >= NOTE_OFFSET


def rule_counts(score: Score, start: int = 0, end: int | None = None) -> RuleCounts:
    """The rules over the chord changes in start..end; as in `voice_leading`, a change is
    judged on how it is reached from the step before, so a span's first change on how it
    joins the music before it."""
    pitches, onsets = sounding_pitches(score)
    end = score.length if end is None else min(end, score.length)
    changes = [t for t in range(max(0, start), end) if onsets[t].any()]
    counts = dict.fromkeys(RULES, 0)
    fermatas = sorted(score.fermatas)
    last_change = max((t for t in range(0, max(0, start)) if onsets[t].any()), default=-1)
    for now in changes:
        chord = pitches[now]
        sounding = chord >= 0
        heard = chord[sounding]  # a rest between two voices leaves them neighbours
        counts["crossings"] += bool((np.diff(heard) > 0).any())
        counts["wide_soprano_alto"] += bool(sounding[0] and sounding[1]
                                            and chord[0] - chord[1] > 12)
        counts["wide_alto_tenor"] += bool(sounding[1] and sounding[2]
                                          and chord[1] - chord[2] > 12)
        if now > 0 and not _after_fermata(fermatas, last_change, now):
            before = pitches[now - 1]
            for upper in range(4):
                for lower in range(upper + 1, 4):
                    kind = _parallel(before[[upper, lower]], chord[[upper, lower]])
                    counts["parallel_fifths"] += kind == 7
                    counts["parallel_octaves"] += kind == 0
            hidden = _hidden(before[[0, 3]], chord[[0, 3]])
            counts["hidden_fifths"] += hidden == 7
            counts["hidden_octaves"] += hidden == 0
            counts["overlaps"] += any(_overlap(before, chord, u) for u in range(3))
        last_change = now
    notes = 0
    for voice, (low, high) in enumerate(VOICE_RANGES):
        started = pitches[max(0, start):end, voice][onsets[max(0, start):end, voice]]
        notes += len(started)
        counts["out_of_range"] += int(((started < low) | (started > high)).sum())
    return RuleCounts(chord_changes=len(changes), notes=notes, **counts)


def _after_fermata(fermatas: list[int], last_change: int, now: int) -> bool:
    """The chord sounding just before `now` holds a fermata: one lies on the step of the
    last chord change before `now`, or after it."""
    return any(max(0, last_change) <= f < now for f in fermatas)


def _hidden(before: np.ndarray, now: np.ndarray) -> int | None:
    """7 or 0 when soprano and bass (`before`, `now`: their two pitches) reach a fifth or an
    octave by similar motion, from a different interval, the soprano leaping."""
    if (before < 0).any() or (now < 0).any():
        return None
    moves = now - before
    if moves[0] == 0 or moves[1] == 0 or (moves[0] > 0) != (moves[1] > 0):
        return None
    if abs(moves[0]) <= 2:
        return None
    was, is_ = (before[0] - before[1]) % 12, (now[0] - now[1]) % 12
    return int(is_) if is_ in (0, 7) and was != is_ else None


def _overlap(before: np.ndarray, now: np.ndarray, upper: int) -> bool:
    """The lower of two neighbouring voices moves above where the upper one sounded, or the
    upper below where the lower one sounded (all four pitches sounding)."""
    lower = upper + 1
    if min(before[upper], before[lower], now[upper], now[lower]) < 0:
        return False
    return bool((now[lower] != before[lower] and now[lower] > before[upper])
                or (now[upper] != before[upper] and now[upper] < before[lower]))
