"""What a listener hears in a set of four-voice scores, as distributions to set beside Bach's.

The rules a teacher marks (composer.music.voice_leading.rule_counts) say what is wrong;
these say what the music is like: which degrees of the key sound and for how long, how each
voice moves from note to note, how long the notes are, which voices move together, which
chords are used (triads and sevenths by root and inversion, named against the key), how
phrases end at fermatas, and how much of the time the music stays in its key. Every one is
a histogram summed over any number of scores, so a set of generated chorales and Bach's
held-out ones compare bin for bin; `js_divergence` says how far apart two are (0 for the
same, 1 bit at most).

Plain numpy and composer.music: no Qt, no torch. music21 finds a chord's root.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import combinations

import numpy as np

from composer.music.keys import key_number
from composer.music.score import Score
from composer.music.tonality import PROFILES, score_key, tonic_chord
from composer.music.voice_leading import RuleCounts, rule_counts, sounding_pitches

DEGREES = ("1", "b2", "2", "b3", "3", "4", "#4", "5", "b6", "6", "b7", "7")
MAJOR_SCALE = frozenset((0, 2, 4, 5, 7, 9, 11))
MINOR_SCALE = frozenset((0, 2, 3, 5, 7, 8, 10, 11, 9))  # natural, melodic and harmonic
MAX_INTERVAL = 12
INTERVALS = (f"<-{MAX_INTERVAL}", *(f"{i:+d}" if i else "0"
                                    for i in range(-MAX_INTERVAL, MAX_INTERVAL + 1)),
             f">+{MAX_INTERVAL}")
LENGTH_STEPS = (1, 2, 3, 4, 6, 8, 12, 16)  # sixteenths: 1/16 ... a whole note
LENGTHS = ("1/16", "1/8", "3/16", "1/4", "3/8", "1/2", "3/4", "1", "other")
VOICE_LETTERS = "SATB"
MOTION = tuple("".join(VOICE_LETTERS[v] for v in group) for size in range(1, 5)
               for group in combinations(range(4), size))
CADENCES = ("tonic", "dominant", "other")
REGIONS = ("tonic", "relative", "dominant side", "subdominant side", "remote")
OTHER_CHORD = "other"

# name -> its bins in order; the chord vocabulary's bins are the chords met
DISTRIBUTIONS: dict[str, tuple[str, ...] | None] = {
    "pitch_classes_major": DEGREES,
    "pitch_classes_minor": DEGREES,
    **{f"intervals_{v}": INTERVALS for v in VOICE_LETTERS},
    "note_lengths": LENGTHS,
    "motion": MOTION,
    "chords": None,
    "cadences": CADENCES,
    "key_regions": REGIONS,
}
TITLES = {
    "pitch_classes_major": "pitch classes against the key (major keys; time sounding)",
    "pitch_classes_minor": "pitch classes against the key (minor keys; time sounding)",
    **{f"intervals_{v}": f"melodic intervals, {name} (semitones)"
       for v, name in zip(VOICE_LETTERS, ("soprano", "alto", "tenor", "bass"))},
    "note_lengths": "note lengths (of a whole note)",
    "motion": "voices that strike a note at a chord change",
    "chords": "chords on the beat (root against the key, figure)",
    "cadences": "chord under each fermata",
    "key_regions": "key of each bar (three-bar window) against the home key",
}


@dataclass
class StyleStats:
    """Counts over one or more scores; `+` sums them."""

    scores: int = 0
    rules: RuleCounts = field(default_factory=RuleCounts)
    counts: dict[str, dict[str, float]] = field(
        default_factory=lambda: {name: {} for name in DISTRIBUTIONS})
    voice_notes: tuple[int, int, int, int] = (0, 0, 0, 0)  # chord changes where each
    # voice strikes a note
    in_scale_steps: int = 0  # voice-steps sounding a pitch class of the key's scale
    voice_steps: int = 0  # voice-steps sounding

    def __add__(self, other: StyleStats) -> StyleStats:
        counts = {}
        for name in DISTRIBUTIONS:
            merged = dict(self.counts[name])
            for label, n in other.counts[name].items():
                merged[label] = merged.get(label, 0) + n
            counts[name] = merged
        return StyleStats(
            self.scores + other.scores, self.rules + other.rules, counts,
            tuple(a + b for a, b in zip(self.voice_notes, other.voice_notes)),
            self.in_scale_steps + other.in_scale_steps, self.voice_steps + other.voice_steps)

    def labels(self, name: str) -> tuple[str, ...]:
        fixed = DISTRIBUTIONS[name]
        if fixed is not None:
            return fixed
        return tuple(sorted(self.counts[name], key=lambda k: (-self.counts[name][k], k)))

    def distribution(self, name: str, labels: Sequence[str] | None = None) -> np.ndarray:
        """Shares of the bins (`labels`, by default the distribution's own), summing to 1;
        all zero where nothing was counted."""
        labels = self.labels(name) if labels is None else labels
        counts = np.array([self.counts[name].get(label, 0) for label in labels], float)
        total = counts.sum()
        return counts / total if total else counts

    def total(self, name: str) -> float:
        return float(sum(self.counts[name].values()))

    def summary(self) -> dict[str, float]:
        """The rates per 100 chord changes, the shares of the cadence kinds, of the bars in
        the home key and in remote keys, of the time the voices sound notes of the key's
        scale, and of the chord changes at which each voice strikes a note."""
        out = dict(self.rules.per_100())
        cadences = self.distribution("cadences")
        out.update({f"cadence_{k}": float(v) for k, v in zip(CADENCES, cadences)})
        regions = self.distribution("key_regions")
        out["bars_in_key"] = float(regions[0])
        out["bars_remote"] = float(regions[-1])
        out["in_scale"] = self.in_scale_steps / max(1, self.voice_steps)
        changes = max(1, self.rules.chord_changes)
        out.update({f"moves_{v}": n / changes for v, n in zip(VOICE_LETTERS, self.voice_notes)})
        return out


def style_stats(score: Score, start: int = 0, end: int | None = None,
                key: str | None = None) -> StyleStats:
    """The counts for steps start..end of `score` in `key` (default: the score's own, else
    estimated). As with the rules, motion into the span's first chord counts."""
    end = score.length if end is None else min(end, score.length)
    start = max(0, start)
    pitches, onsets = sounding_pitches(score)
    key = key or score_key(score)
    counts: dict[str, dict[str, float]] = {name: {} for name in DISTRIBUTIONS}
    stats = StyleStats(scores=1, rules=rule_counts(score, start, end), counts=counts)
    span = pitches[start:end]
    changes = [t for t in range(start, end) if onsets[t].any()]
    for t in changes:
        _add(counts["motion"], "".join(VOICE_LETTERS[v] for v in range(4) if onsets[t, v]))
    stats.voice_notes = tuple(int(onsets[changes, v].sum()) if changes else 0
                              for v in range(4))
    for v, notes in enumerate(score.voices):
        intervals = counts[f"intervals_{VOICE_LETTERS[v]}"]
        for before, note in zip(notes, notes[1:]):
            if start <= note.start < end and before.end == note.start:
                _add(intervals, _interval_bin(note.pitch - before.pitch))
        for note in notes:
            if start <= note.start < end:
                _add(counts["note_lengths"], _length_bin(note.duration))
    sounding = span[span >= 0]
    stats.voice_steps = int(sounding.size)
    if key is None:
        return stats
    number = key_number(key)
    tonic, minor = number % 12, number >= 12
    degrees = np.bincount((sounding - tonic) % 12, minlength=12)
    scale = MINOR_SCALE if minor else MAJOR_SCALE
    stats.in_scale_steps = int(sum(degrees[d] for d in scale))
    pcs = counts["pitch_classes_minor" if minor else "pitch_classes_major"]
    for d, n in enumerate(degrees):
        if n:
            _add(pcs, DEGREES[d], int(n))
    beat = score.time_signature.steps_per_beat
    bar = score.steps_per_bar
    for t in range(start, end):
        if (t % bar) % beat == 0 and (pitches[t] >= 0).all():
            _add(counts["chords"], chord_label(pitches[t].tolist(), key))
    for f in sorted(score.fermatas):
        if start <= f < end:
            _add(counts["cadences"], cadence_kind(pitches[f].tolist(), key))
    for local in local_keys(pitches, start, end, bar):
        _add(counts["key_regions"], key_relation(number, local))
    return stats


def collect(stats: Iterable[StyleStats]) -> StyleStats:
    total = StyleStats()
    for s in stats:
        total = total + s
    return total


def _add(bins: dict[str, float], label: str, n: float = 1) -> None:
    bins[label] = bins.get(label, 0) + n


def _interval_bin(semitones: int) -> str:
    if semitones < -MAX_INTERVAL:
        return INTERVALS[0]
    if semitones > MAX_INTERVAL:
        return INTERVALS[-1]
    return INTERVALS[semitones + MAX_INTERVAL + 1]


def _length_bin(steps: int) -> str:
    return LENGTHS[LENGTH_STEPS.index(steps)] if steps in LENGTH_STEPS else LENGTHS[-1]


# --- chords ------------------------------------------------------------------------------

# intervals above the root -> quality; a triad or seventh may leave out its fifth
QUALITIES = {
    (0, 4, 7): "major", (0, 3, 7): "minor", (0, 3, 6): "diminished", (0, 4, 8): "augmented",
    (0, 4, 7, 10): "dominant seventh", (0, 3, 7, 10): "minor seventh",
    (0, 4, 7, 11): "major seventh", (0, 3, 6, 10): "half-diminished seventh",
    (0, 3, 6, 9): "diminished seventh",
    (0, 4): "major", (0, 3): "minor", (0, 4, 10): "dominant seventh",
    (0, 3, 10): "minor seventh", (0, 4, 11): "major seventh",
}
NUMERALS = ("I", "bII", "II", "bIII", "III", "IV", "#IV", "V", "bVI", "VI", "bVII", "VII")
_LOWER = {"minor", "diminished", "minor seventh", "half-diminished seventh",
          "diminished seventh"}
_MARK = {"diminished": "o", "augmented": "+", "half-diminished seventh": "ø",
         "diminished seventh": "o", "major seventh": "M"}


@dataclass(frozen=True)
class ChordName:
    root: int  # pitch class
    quality: str  # a key of QUALITIES' values
    inversion: int  # 0 root position, 1 first (third in the bass), 2 second, 3 third

    @property
    def seventh(self) -> bool:
        return "seventh" in self.quality


def identify_chord(pitches: Sequence[int], key: str | None = None) -> ChordName | None:
    """Root, quality and inversion of the pitches sounding together (MIDI numbers; -1 or
    None for a silent voice), as a triad or a seventh chord, complete or with its fifth
    left out; None for anything else. music21 finds the root of the chord spelt in `key`
    (by stacking thirds); where its root makes no triad or seventh, each other pitch class
    is tried."""
    heard = sorted(p for p in pitches if p is not None and p >= 0)
    if not heard:
        return None
    return _identify(frozenset(p % 12 for p in heard), heard[0] % 12, key)


@cache
def _identify(pcs: frozenset[int], bass: int, key: str | None) -> ChordName | None:
    fits = [r for r in sorted(pcs) if _quality(pcs, r) is not None]
    if not fits:
        return None  # no root would make a triad or a seventh: music21 is not asked
    first = _music21_root(pcs, bass, key)
    root = first if first in fits else fits[0]
    quality = _quality(pcs, root)
    above = (bass - root) % 12
    inversion = 0 if above == 0 else 1 if above in (3, 4) else 2 if above in (6, 7, 8) else 3
    return ChordName(root, quality, inversion)


def _quality(pcs: frozenset[int], root: int) -> str | None:
    return QUALITIES.get(tuple(sorted((p - root) % 12 for p in pcs)))


def _music21_root(pcs: frozenset[int], bass: int, key: str | None) -> int:
    from music21 import chord

    from composer.music.spelling import spell

    voicing = [48 + bass] + [60 + p for p in sorted(pcs) if p != bass]
    names = [spell(p, key) for p in voicing]
    return chord.Chord(names).root().pitchClass


def chord_label(pitches: Sequence[int], key: str) -> str:
    """The chord as a numeral on its root against the key's tonic (upper case major,
    lower minor; o diminished, + augmented, ø half-diminished, M a major seventh) with
    its figure (6, 64; 7, 65, 43, 42): "I", "V65", "ii6", "viio7", "bVI" (a flat VI
    against the major scale of the tonic, so minor keys read i, iv, V, bIII, bVI, bVII).
    "other" where it is neither a triad nor a seventh."""
    name = identify_chord(pitches, key)
    if name is None:
        return OTHER_CHORD
    numeral = NUMERALS[(name.root - key_number(key) % 12) % 12]
    if name.quality in _LOWER:
        numeral = numeral.lower()
    figure = (("7", "65", "43", "42") if name.seventh else ("", "6", "64"))[name.inversion]
    return numeral + _MARK.get(name.quality, "") + figure


def cadence_kind(pitches: Sequence[int], key: str) -> str:
    """"tonic": the key's tonic chord with the tonic in the bass (either third in minor);
    "dominant": the dominant chord (or seventh) with the dominant in the bass; "other"
    for any other chord, or fewer than three voices sounding."""
    heard = sorted(p for p in pitches if p is not None and p >= 0)
    if len(heard) < 3:
        return "other"
    pcs = {p % 12 for p in heard}
    tonic = tonic_chord(key)
    if heard[0] % 12 == tonic.tonic and all(tonic.fits(p) for p in heard):
        return "tonic"
    fifth = (tonic.tonic + 7) % 12
    dominant = {fifth, (fifth + 4) % 12, (fifth + 7) % 12, (fifth + 10) % 12}
    if heard[0] % 12 == fifth and pcs <= dominant:
        return "dominant"
    return "other"


# --- keys --------------------------------------------------------------------------------

def local_keys(pitches: np.ndarray, start: int, end: int, steps_per_bar: int,
               reach: int = 1) -> list[int]:
    """The key number (keys.key_number) of each bar that begins in start..end, from the
    pitch classes sounding in that bar and `reach` bars either side (within the span),
    correlated with the key profiles of composer.music.tonality; bars with fewer than
    three pitch classes around them are left out."""
    profiles = PROFILES - PROFILES.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(profiles, axis=1)
    out = []
    first = -(-start // steps_per_bar)
    for bar in range(first, -(-end // steps_per_bar)):
        a = max(start, (bar - reach) * steps_per_bar)
        b = min(end, (bar + reach + 1) * steps_per_bar)
        window = pitches[a:b]
        weights = np.bincount(window[window >= 0] % 12, minlength=12).astype(float)
        if np.count_nonzero(weights) < 3:
            continue
        centred = weights - weights.mean()
        out.append(int(np.argmax(profiles @ centred / (norms * np.linalg.norm(centred)))))
    return out


def _signature(number: int) -> int:
    """Sharps (negative: flats) of the key's signature, -5..6."""
    major = number % 12 if number < 12 else (number + 3) % 12
    return (major * 7 + 5) % 12 - 5


def key_relation(home: int, local: int) -> str:
    """How a local key stands to the home key (key numbers): "tonic" (the same tonic, in
    either mode), "relative" (the same signature), "dominant side" or "subdominant side"
    (one sharp more or fewer), "remote" (further)."""
    if home % 12 == local % 12:
        return "tonic"
    step = (_signature(local) - _signature(home) + 6) % 12 - 6
    return {0: "relative", 1: "dominant side", -1: "subdominant side"}.get(step, "remote")


# --- distances ---------------------------------------------------------------------------

def js_divergence(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray) -> float:
    """Jensen-Shannon divergence of two histograms over the same bins, in bits: 0 for the
    same shares, 1 for shares with no bin in common; nan where one is empty."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    if p.sum() <= 0 or q.sum() <= 0:
        return float("nan")
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / m[nz])))

    return max(0.0, 0.5 * kl(p) + 0.5 * kl(q))


def distances(stats: StyleStats, reference: StyleStats) -> dict[str, float]:
    """JS divergence of each distribution of `stats` from the same of `reference`, over the
    bins either has."""
    out = {}
    for name in DISTRIBUTIONS:
        labels = list(reference.labels(name))
        labels += [k for k in stats.labels(name) if k not in set(labels)]
        out[name] = js_divergence(stats.distribution(name, labels),
                                  reference.distribution(name, labels))
    return out


# the distances a table shows: one per thing heard, means where it has parts
DISTANCE_GROUPS: dict[str, tuple[str, ...]] = {
    "pitch classes": ("pitch_classes_major", "pitch_classes_minor"),
    "intervals": tuple(f"intervals_{v}" for v in VOICE_LETTERS),
    "note lengths": ("note_lengths",),
    "motion": ("motion",),
    "chords": ("chords",),
    "cadences": ("cadences",),
    "key regions": ("key_regions",),
}


def grouped_distances(each: Mapping[str, float]) -> dict[str, float]:
    """`distances` averaged into DISTANCE_GROUPS (the parts that could be measured)."""
    out = {}
    for group, names in DISTANCE_GROUPS.items():
        values = [each[n] for n in names if not np.isnan(each[n])]
        out[group] = float(np.mean(values)) if values else float("nan")
    return out
