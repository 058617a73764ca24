"""The key a score is in, and whether its music ends on that key's tonic.

A continuation or a harmonization has to end where a chorale ends: on the tonic chord with
the tonic in the bass. That needs the key. A score usually says it (the corpus, MusicXML,
MIDI key signatures), but a melody drawn in the app or a bare MIDI file may not, so the
key is then estimated from the notes: the duration of each pitch class, correlated with the
profile of every major and minor key (Krumhansl's method with Temperley's Kostka–Payne
profiles), the bass's first and last notes weighted up since a chorale's bass begins and
ends on the tonic as a rule. On our corpus this finds the declared key of 81% of the
chorales (75% from their first four bars alone; plain Krumhansl–Kessler: 69% and 62%).
In a minor key the major third counts too (the Picardy third Bach often closes on).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from composer.music.keys import key_name, key_number
from composer.music.score import Score

# Temperley (2007), from the Kostka-Payne textbook: how often each pitch class appears in
# a major or minor key on C
MAJOR_PROFILE = (0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366,
                 0.057, 0.400)
MINOR_PROFILE = (0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067,
                 0.133, 0.330)
EDGE_BARS = 2  # the bass's first and last notes count as if they sounded this much longer


def _key_profiles() -> np.ndarray:
    """(24, 12): row k is key number k (keys.key_number) rotated onto its tonic."""
    rows = [np.roll(MAJOR_PROFILE, t) for t in range(12)]
    rows += [np.roll(MINOR_PROFILE, t) for t in range(12)]
    return np.array(rows)


PROFILES = _key_profiles()


def pitch_class_weights(score: Score, start: int = 0, end: int | None = None) -> np.ndarray:
    """Steps each pitch class sounds in start..end, summed over the voices, with the bass's
    first and last notes there counted EDGE_BARS bars longer."""
    end = score.length if end is None else end
    weights = np.zeros(12)
    for _, note in score.notes():
        steps = min(note.end, end) - max(note.start, start)
        if steps > 0:
            weights[note.pitch % 12] += steps
    bass = [n for n in score.voices[3] if n.end > start and n.start < end]
    for note in bass[:1] + bass[-1:]:
        weights[note.pitch % 12] += EDGE_BARS * score.steps_per_bar
    return weights


def estimate_key(score: Score, start: int = 0, end: int | None = None) -> str | None:
    """The best-fitting key of the music in start..end, None where there is none."""
    weights = pitch_class_weights(score, start, end)
    if np.count_nonzero(weights) < 2:  # one pitch class fits many keys equally
        return None
    centred = weights - weights.mean()
    profiles = PROFILES - PROFILES.mean(axis=1, keepdims=True)
    fit = profiles @ centred / (np.linalg.norm(profiles, axis=1) * np.linalg.norm(centred))
    return key_name(int(np.argmax(fit)))


def score_key(score: Score, start: int = 0, end: int | None = None) -> str | None:
    """The key the score declares, else the one its music in start..end suggests."""
    return score.key if score.key is not None else estimate_key(score, start, end)


@dataclass(frozen=True)
class TonicChord:
    tonic: int  # pitch class of the bass
    pitch_classes: frozenset[int]  # root, third(s) and fifth

    def fits(self, pitch: int) -> bool:
        return pitch % 12 in self.pitch_classes


def tonic_chord(key: str) -> TonicChord:
    number = key_number(key)
    tonic = number % 12
    thirds = (3, 4) if number >= 12 else (4,)
    return TonicChord(tonic, frozenset((tonic + i) % 12 for i in (0, 7, *thirds)))


@dataclass(frozen=True)
class FinalChord:
    onset: int  # the step the last chord starts on
    end: int  # the step after its last: trailing silence (a bar's rest) is not part of it
    pitches: tuple[int | None, ...]  # S, A, T, B sounding as it ends (None: silent)


def final_chord(score: Score, voices: Iterable[int] = range(4)) -> FinalChord | None:
    """What the voices sound at the last step any of them sounds, and where the latest of
    those notes began."""
    voices = tuple(voices)
    end = max((score.voices[v][-1].end for v in voices if score.voices[v]), default=0)
    if end == 0:
        return None
    notes = [score.note_at(v, end - 1) if v in voices else None for v in range(4)]
    onset = max(n.start for n in notes if n is not None)
    return FinalChord(onset, end, tuple(None if n is None else n.pitch for n in notes))


def ends_on_tonic(score: Score, key: str) -> bool:
    """The last chord is the key's tonic chord (either third in minor) with the tonic in
    the bass; four voices sound."""
    chord = final_chord(score)
    if chord is None or None in chord.pitches:
        return False
    tonic = tonic_chord(key)
    return chord.pitches[3] % 12 == tonic.tonic and all(tonic.fits(p) for p in chord.pitches)
