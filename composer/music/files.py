"""Opening and saving scores by file suffix: the one entry point the GUI and CLI share."""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from pathlib import Path

from composer.music.errors import FileFormatError
from composer.music.midi_file import read_midi, write_midi
from composer.music.musicxml_file import ScoreInfo, read_musicxml, write_musicxml
from composer.music.score import Score
from composer.work import Cancel, Progress

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


def read_score(path: str | Path, progress: Progress | None = None,
               cancel: Cancel | None = None) -> ImportResult:
    """The score in a MIDI or MusicXML file, by suffix, with notes on what had to change.
    Any file that cannot be read, or is past `import_limits`, gives FileFormatError naming
    the file and the problem. The work reports `progress(done, total)` (MIDI: bytes read;
    MusicXML: stages, one per part) and raises `Cancelled` soon after `cancel()` turns
    true; music21's reading of one part cannot be interrupted, so the limits keep it short."""
    path = Path(path)
    if _suffix(path) in MIDI_SUFFIXES:
        score, messages = read_midi(path, progress, cancel)
    else:
        score, messages = read_musicxml(path, progress, cancel)
    return ImportResult(score, messages)


def write_score(path: str | Path, score: Score, *, title: str | None = None,
                composer: str | None = None) -> None:
    """Write MIDI or MusicXML by suffix. MIDI keeps everything a score holds; MusicXML
    writes a pickup as an incomplete first bar and the last bar as long as the score, and
    shows `title` and `composer` (none when None); MIDI leaves them out. The file is
    replaced atomically: a save that fails or is killed half-way leaves the previous file
    as it was."""
    path = Path(path)
    try:
        if _suffix(path) in MIDI_SUFFIXES:
            write_midi(score, path)
        else:
            write_musicxml(score, path, ScoreInfo(title, composer))
    except OSError as exc:
        raise FileFormatError(write_error(path, exc)) from None


_DISK_FULL = (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC))


def write_error(path: Path, exc: OSError) -> str:
    """What went wrong while saving, what to do about it, and that nothing was lost."""
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOENT and not path.parent.is_dir():
        problem = f"the folder {path.parent} does not exist. Choose an existing folder"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        problem = (f"the folder {path.parent} cannot be written to ({reason}). Choose "
                   "another folder, or ask for write access")
    elif exc.errno in _DISK_FULL:
        problem = f"the disk is full ({reason}). Free some space or save somewhere else"
    else:
        problem = f"{reason}. Try again, or save somewhere else"
    kept = f"; the previous {path.name} is unchanged" if path.exists() else ""
    return f"cannot write {path}: {problem}{kept}."
