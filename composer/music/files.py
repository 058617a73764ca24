"""Opening and saving scores by file suffix: the one entry point the GUI and CLI share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from composer.music.errors import FileFormatError
from composer.music.midi_file import read_midi, write_midi
from composer.music.musicxml_file import read_musicxml, write_musicxml
from composer.music.score import Score

MIDI_SUFFIXES = (".mid", ".midi")
MUSICXML_SUFFIXES = (".musicxml", ".xml", ".mxl")
OPEN_SUFFIXES = MIDI_SUFFIXES + MUSICXML_SUFFIXES


@dataclass
class ImportResult:
    score: Score
    messages: list[str] = field(default_factory=list)


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in OPEN_SUFFIXES:
        known = ", ".join(OPEN_SUFFIXES)
        raise FileFormatError(
            f"{path.name}: Composer reads and writes {known} files, "
            f"not {suffix or 'files without a suffix'}."
        )
    return suffix


def read_score(path: str | Path) -> ImportResult:
    path = Path(path)
    if _suffix(path) in MIDI_SUFFIXES:
        score, messages = read_midi(path)
    else:
        score, messages = read_musicxml(path)
    return ImportResult(score, messages)


def write_score(path: str | Path, score: Score) -> None:
    """Write MIDI or MusicXML by suffix. MIDI keeps everything a score holds; MusicXML
    rounds the length up to whole bars, as notation does."""
    path = Path(path)
    try:
        if _suffix(path) in MIDI_SUFFIXES:
            write_midi(score, path)
        else:
            write_musicxml(score, path)
    except OSError as exc:
        raise FileFormatError(f"cannot write {path}: {exc.strerror or exc}") from None
