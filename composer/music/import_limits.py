"""What import accepts, checked before anything large is built.

A file from elsewhere may be broken or made to hurt: a length field claiming gigabytes, a
delta time of years, a million parts, a metre of a thousand beats. Each limit here is far
beyond any chorale (or any score a four-voice editor can show) and low enough that a file
at the limit imports in seconds and a few hundred MB; a file past one is refused with the
reason, naming the file, before the work and the memory it would cost are spent.
"""

from __future__ import annotations

from pathlib import Path

from composer.music.errors import FileFormatError
from composer.music.score import STEPS_PER_QUARTER

MAX_FILE_BYTES = 50 * 2**20  # on disk, and the score inside an .mxl once unpacked
MAX_MIDI_NOTES = 100_000
MAX_MIDI_EVENTS = 1_000_000  # of any kind: parsing them is the slow part
MAX_MIDI_TRACKS = 256  # chunks, in fact
# music21 reads MusicXML at about 7,000 notes a second, and each bar of a part in time
# growing with the number of bars before it (a part of 1,200 bars: 11 s): so the limits on
# MusicXML keep an import under about 2 s here. MIDI files have no such cost.
MAX_MUSICXML_NOTES = 15_000  # <note> elements: notes and rests, a tied note per piece
MAX_MUSICXML_BARS = 400  # in one part
MAX_MUSICXML_ALL_BARS = 1_600  # in all parts together
MAX_MUSICXML_ELEMENTS = 300_000
MAX_PARTS = 64
MAX_SECONDS = 3600  # at the tempo the score keeps
TEMPO_RANGE = (10.0, 400.0)  # BPM, as a Score holds it
# No tempo makes more than this many quarter notes last under an hour.
MAX_QUARTERS = MAX_SECONDS / 60 * TEMPO_RANGE[1]


def file_bytes(path: Path, what: str) -> bytes:
    """The file's content, once it is known to exist, hold something and not be huge."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise FileFormatError(f"{path} does not exist.") from None
    if size == 0:
        raise FileFormatError(f"{path.name} is empty (0 bytes): it holds no {what}.")
    if size > MAX_FILE_BYTES:
        raise FileFormatError(
            f"{path.name} is {size / 2**20:.0f} MB; Composer opens {what} files of up to "
            f"{MAX_FILE_BYTES // 2**20} MB (a long chorale is a few hundred KB). If it "
            "holds more than one piece, export them one at a time.")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FileFormatError(f"{path.name} cannot be read ({exc.strerror or exc}). Check "
                              "that it is a file and that you may read it.") from None


def too_many(name: str, count: str, limit: int, what: str,
             fix: str = "Open a shorter excerpt of it.") -> FileFormatError:
    return FileFormatError(
        f"{name} holds {count} {what}; Composer opens files of up to {limit:,} {what}, "
        f"which is far more than a chorale needs. {fix}")


def kept_tempo(bpm: float) -> float:
    """The tempo a score can hold nearest to the file's."""
    low, high = TEMPO_RANGE
    return min(high, max(low, bpm))


def check_duration(name: str, steps: float, tempo: float) -> None:
    if steps / STEPS_PER_QUARTER * 60 / tempo > MAX_SECONDS:
        raise too_long(name, steps, tempo)


def too_long(name: str, steps: float, tempo: float) -> FileFormatError:
    seconds = steps / STEPS_PER_QUARTER * 60 / tempo
    return FileFormatError(
        f"{name} lasts {_hours(seconds)} at {tempo:g} BPM; Composer opens scores of up "
        "to an hour. Open a shorter excerpt of it, or check that the file is not broken "
        "(one wrong length is enough to make it this long).")


def _hours(seconds: float) -> str:
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} minutes"
    hours = seconds / 3600
    return f"{hours:,.0f} hours" if hours < 1e6 else "millions of hours"
