"""Key names in one canonical spelling, so a key survives MIDI's key-number round trip."""

from __future__ import annotations

from composer.music.errors import ScoreError

MAJOR_TONICS = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MINOR_TONICS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
KEYS = tuple(f"{t} major" for t in MAJOR_TONICS) + tuple(f"{t} minor" for t in MINOR_TONICS)
_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def key_number(key: str) -> int:
    """0-11 for C..B major, 12-23 for C..B minor (MIDI key-signature convention)."""
    text = key.strip().replace("-", "b").replace("♭", "b").replace("♯", "#")
    parts = text.split()
    if not parts or len(parts) > 2 or not parts[0] or parts[0][0].upper() not in _LETTERS:
        raise ScoreError(f"key {key!r} is not of the form 'G major' or 'F# minor'")
    tonic, mode = parts[0], (parts[1].lower() if len(parts) == 2 else None)
    if mode is None:
        mode = "minor" if tonic[0].islower() else "major"
    if mode not in ("major", "minor"):
        raise ScoreError(f"key {key!r}: the mode must be major or minor")
    pc = _LETTERS[tonic[0].upper()]
    for accidental in tonic[1:]:
        if accidental == "#":
            pc += 1
        elif accidental == "b":
            pc -= 1
        else:
            raise ScoreError(f"key {key!r}: {tonic!r} is not a note name")
    return pc % 12 + (12 if mode == "minor" else 0)


def key_name(number: int) -> str:
    if not 0 <= number < 24:
        raise ScoreError(f"key number {number} is outside 0-23")
    return KEYS[number]


def normalize_key(key: str | None) -> str | None:
    return None if key is None else key_name(key_number(key))
