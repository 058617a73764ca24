"""Pitch names spelled by the key: the one place that turns a MIDI pitch into a written note.

A MIDI pitch does not say whether it is D# or Eb; the key does. The piano roll's labels and
MusicXML export both ask here, so the name a person reads on screen is the one written to
the file.

Notes of the key's scale take the scale's letters, so the seven degrees always use seven
letters. A chromatic note takes the letter of the degree it leans on in common practice:

- in major, the raised 1st, 2nd, 4th and 5th (the leading tones of ii, iii, V and vi) and
  the lowered 7th (the seventh of V/IV): in G major G#, A#, C#, D# and F; but the notes
  between the 2nd and 3rd and between the 5th and 6th are the lowered 3rd and 6th of the
  parallel minor where that gives a plain letter (F in D major, G in B major), and no
  chromatic note of a major key takes a double sharp (G, not F##, in F# major);
- in minor, the lowered 2nd (Neapolitan), the raised 3rd (the Picardy third), the raised
  4th (the leading tone of V) and the raised 6th and 7th of melodic and harmonic minor: in
  E minor F, G#, A#, C# and D#. The raised 6th and 7th are never flats: C minor's leading
  tone is B, not Cb.

These are the spellings Bach's chorales in music21's corpus use most, degree by degree, in
major and in minor. A double sharp appears only where the key calls for it (the
leading tone of G# minor is F##).
"""

from __future__ import annotations

from functools import cache

from composer.music.keys import normalize_key
from composer.music.score import pitch_name

__all__ = ["spell"]

_LETTERS = "CDEFGAB"
_NATURAL = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTALS = {-1: "b", 0: "", 1: "#", 2: "##"}
_SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
# Semitones above the tonic of a note outside the scale -> the degree (0 = tonic) whose
# letter it is written with.
_CHROMATIC = {
    "major": {1: 0, 3: 1, 6: 3, 8: 4, 10: 6},
    "minor": {1: 1, 4: 2, 6: 3, 9: 5, 11: 6},
}


def spell(pitch: int, key: str | None) -> str:
    """Scientific pitch name of `pitch` as written in `key` ("D#5" in E minor, "Eb5" in
    C minor); with no key, the default names of `pitch_name`.

    The octave number belongs to the written letter, as in notation: MIDI 60 written B#
    is B#3, and MIDI 59 written Cb is Cb4.
    """
    if key is None:
        return pitch_name(pitch)
    letter, alter = _spellings(normalize_key(key))[pitch % 12]
    octave = (pitch - alter) // 12 - 1
    return f"{letter}{_ACCIDENTALS[alter]}{octave}"


@cache
def _spellings(key: str) -> tuple[tuple[str, int], ...]:
    """(letter, alteration in semitones) for each pitch class 0-11 in `key`, worked out once
    per key because a repaint names every visible note."""
    tonic, mode = key.split()
    tonic_pc = (_NATURAL[tonic[0]] + tonic.count("#") - tonic.count("b")) % 12
    tonic_letter = _LETTERS.index(tonic[0])
    degree_of = {step: degree for degree, step in enumerate(_SCALES[mode])}
    degree_of.update(_CHROMATIC[mode])
    spellings = []
    for pc in range(12):
        interval = (pc - tonic_pc) % 12
        letter, alter = _written(pc, tonic_letter + degree_of[interval])
        if mode == "major" and interval not in _SCALES[mode]:
            upper = _written(pc, tonic_letter + degree_of[interval] + 1)
            if alter == 2 or (interval in _BORROWED and upper[1] == 0):
                letter, alter = upper
        spellings.append((letter, alter))
    return tuple(spellings)


# In major, the lowered 3rd and 6th of the parallel minor (semitones above the tonic),
# written so where that gives a plain letter; any note the table would give a double sharp
# is written with the next letter, lowered, instead.
_BORROWED = (3, 8)


def _written(pc: int, degree: int) -> tuple[str, int]:
    """Pitch class `pc` written with the letter `degree` steps above C."""
    letter = _LETTERS[degree % 7]
    return letter, (pc - _NATURAL[letter] + 6) % 12 - 6
