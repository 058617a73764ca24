"""MusicXML through music21: four parts with clefs that notation programs show as a choir
score, and the reading side shared with the Bach corpus. A file to import is unpacked,
parsed and checked by `musicxml_checks` before music21 sees it."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element
from xml.sax.saxutils import quoteattr

from music21 import (
    clef,
    expressions,
    instrument,
    key,
    meter,
    note,
    stream,
    tempo,
    tie,
)
from music21.musicxml.m21ToXml import GeneralObjectExporter
from music21.musicxml.xmlToM21 import MusicXMLImporter

from composer.atomic_write import atomic_open
from composer.music.errors import FileFormatError, ScoreError
from composer.music.import_limits import check_duration, file_bytes, kept_tempo
from composer.music.keys import normalize_key
from composer.music.musicxml_checks import checked_tree
from composer.music.score import STEPS_PER_QUARTER, VOICE_NAMES, Score, TimeSignature
from composer.music.voicing import RawNote, RawTrack, assign_voices, voice_of_name
from composer.work import Cancel, Cancelled, Progress

_CLEFS = (clef.TrebleClef, clef.TrebleClef, clef.Treble8vbClef, clef.BassClef)
_INSTRUMENTS = (instrument.Soprano, instrument.Alto, instrument.Tenor, instrument.Bass)
DEFAULT_TEMPO = 80.0


# --- writing ------------------------------------------------------------------------------
def _quarters(steps: int) -> float:
    return steps / STEPS_PER_QUARTER


def score_to_music21(score: Score) -> stream.Score:
    out = stream.Score()
    ts = score.time_signature
    bar_lines = range(0, score.length + 1, ts.steps_per_bar)
    soprano_cuts = set(score.fermatas).union(bar_lines)
    other_cuts = set(bar_lines)
    for index, (name, notes) in enumerate(zip(VOICE_NAMES, score.voices)):
        part = stream.Part(id=name)
        part.partName = name
        part.insert(0, _INSTRUMENTS[index]())
        part.insert(0, _CLEFS[index]())
        part.insert(0, meter.TimeSignature(f"{ts.numerator}/{ts.denominator}"))
        if score.key is not None:
            tonic, mode = score.key.split()
            part.insert(0, key.Key(tonic.replace("b", "-"), mode))
        if index == 0:
            part.insert(0, tempo.MetronomeMark(number=score.tempo))
        cuts = soprano_cuts if index == 0 else other_cuts
        fermatas = score.fermatas if index == 0 else frozenset()
        cursor = 0
        events = [(n.start, n.end, n) for n in notes]
        for start, end, n in events + [(score.length, score.length, None)]:
            if start > cursor:
                _insert_span(part, cursor, start, None, cuts, fermatas)
            if n is not None:
                _insert_span(part, start, end, n.pitch, cuts, fermatas, n.velocity)
            cursor = max(cursor, end)
        out.insert(0, part)
    out.makeNotation(inPlace=True)
    return out


def _insert_span(part: stream.Part, start: int, end: int, pitch: int | None,
                 cuts: set[int], fermatas: frozenset[int], velocity: int = 80) -> None:
    """A note or rest from `start` to `end`, cut (and tied) at bar lines and fermatas, so
    that each fermata sits on an element that starts at its step."""
    cuts = sorted({start, end, *(c for c in cuts if start < c < end)})
    pieces = [piece for a, b in zip(cuts, cuts[1:]) for piece in _notatable(a, b)]
    for i, (a, b) in enumerate(pieces):
        if pitch is None:
            element = note.Rest(quarterLength=_quarters(b - a))
        else:
            element = note.Note(pitch, quarterLength=_quarters(b - a))
            element.volume.velocity = velocity
            if len(pieces) > 1:
                kind = "start" if i == 0 else "stop" if i == len(pieces) - 1 else "continue"
                element.tie = tie.Tie(kind)
        if a in fermatas:
            element.expressions.append(expressions.Fermata())
        part.insert(_quarters(a), element)


_NOTATABLE = (16, 12, 8, 6, 4, 3, 2, 1)  # steps one note value (maybe dotted) can show


def _notatable(start: int, end: int) -> list[tuple[int, int]]:
    """Pieces a single note value can show each; left to music21, a long note is split
    later and its fermata lands on the wrong piece."""
    pieces = []
    while start < end:
        size = next(v for v in _NOTATABLE if v <= end - start)
        pieces.append((start, start + size))
        start += size
    return pieces


def write_musicxml(score: Score, path: str | Path) -> None:
    """Plain MusicXML, or compressed for `.mxl`. The bytes are made here, not by music21's
    `write`, which writes to a path of its own choosing (an `.mxl` goes through a
    `.musicxml` file beside it); then they are saved atomically."""
    path = Path(path)
    data = GeneralObjectExporter(score_to_music21(score)).parse()
    with atomic_open(path) as file:
        if path.suffix.lower() == ".mxl":
            _write_compressed(file, data, f"{path.stem}.musicxml")
        else:
            file.write(data)


_CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container>
  <rootfiles>
    <rootfile full-path={name} media-type="application/vnd.recordare.musicxml+xml"/>
  </rootfiles>
</container>
"""


def _write_compressed(file: IO[bytes], data: bytes, name: str) -> None:
    """An .mxl archive as the MusicXML standard lays it out: the media type first and
    stored, then the container naming the score."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.recordare.musicxml",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", _CONTAINER.format(name=quoteattr(name)))
        archive.writestr(name, data)


# --- reading ------------------------------------------------------------------------------
@dataclass
class PartContent:
    name: str
    notes: list[RawNote]
    chords: int  # elements with more than one pitch
    fermatas: set[int]
    end: float  # in steps, rests included
    out_of_range: int = 0  # notes left out: their pitch is not one MIDI has


def pickup_steps(part: stream.Part, steps_per_bar: int) -> float:
    """Leading rests that make a pickup bar full, so bar lines fall on multiples of the bar."""
    measures = part.getElementsByClass(stream.Measure)
    if not measures:
        return 0.0
    first = measures[0]
    padding = float(first.paddingLeft or 0) * STEPS_PER_QUARTER
    if padding:
        return padding
    length = float(first.duration.quarterLength) * STEPS_PER_QUARTER
    if first.number == 0 and 0 < length < steps_per_bar:
        return steps_per_bar - length
    return 0.0


def read_part(part: stream.Part, pad: float) -> PartContent:
    """The part's notes in steps, a tied note as one. The ties are followed here, pitch by
    pitch, rather than by music21's stripTies, which takes time growing with the square of
    the part's length (5 s for 2,500 notes)."""
    content = PartContent(part.partName or part.id or "", [], 0, set(), 0.0)
    tied: dict[int, RawNote] = {}  # by pitch: the note that a tie carries on
    for el in part.flatten().notesAndRests:
        start = float(el.offset) * STEPS_PER_QUARTER + pad
        stop = start + float(el.duration.quarterLength) * STEPS_PER_QUARTER
        if any(isinstance(e, expressions.Fermata) for e in el.expressions):
            content.fermatas.add(round(start))
        content.end = max(content.end, stop)
        if el.isRest or el.duration.isGrace or stop <= start:
            continue
        velocity = el.volume.velocity if el.volume.velocity is not None else 80
        pieces = el.notes if el.isChord else (el,)
        begun = sum(_place_piece(content, tied, piece, start, stop, velocity) for piece in pieces)
        content.chords += len(pieces) > 1 and begun > 0
    return content


def _place_piece(content: PartContent, tied: dict[int, RawNote], piece: note.Note,
                 start: float, stop: float, velocity: int) -> bool:
    """Whether the piece begins a note, rather than carrying a tied one on. (The pitch is
    taken from `ps`: music21's `midi` folds a pitch beyond MIDI's range into it, an octave
    or more away from what the file says.)"""
    pitch = round(piece.pitch.ps)
    kind = piece.tie.type if piece.tie is not None else None
    held = tied.pop(pitch, None)
    begins = not (held is not None and kind in ("stop", "continue")
                  and abs(held.end - start) < 1e-6)
    if begins and not 0 <= pitch <= 127:
        content.out_of_range += 1
        return False
    if begins:
        held = RawNote(start, stop, pitch, velocity)
        content.notes.append(held)
    held.end = stop
    if kind in ("start", "continue"):
        tied[pitch] = held
    return begins


@dataclass
class Metadata:
    time_signature: TimeSignature
    key: str | None
    tempo: float
    metre_changes: bool


def read_metadata(source: stream.Score) -> Metadata:
    signatures = list(source.recurse().getElementsByClass(meter.TimeSignature))
    time_signature = TimeSignature()
    if signatures:
        first = signatures[0]
        time_signature = TimeSignature(first.numerator, first.denominator)
    changes = len({(s.numerator, s.denominator) for s in signatures}) > 1
    key_name = None
    keys = list(source.recurse().getElementsByClass(key.KeySignature))
    if keys:
        first_key = keys[0] if isinstance(keys[0], key.Key) else keys[0].asKey("major")
        key_name = normalize_key(f"{first_key.tonic.name} {first_key.mode}")
    marks = list(source.recurse().getElementsByClass(tempo.MetronomeMark))
    bpm = DEFAULT_TEMPO
    if marks and marks[0].number:
        bpm = float(marks[0].getQuarterBPM() or DEFAULT_TEMPO)
    return Metadata(time_signature, key_name, kept_tempo(bpm), changes)


class _Importer(MusicXMLImporter):
    """music21's MusicXML reader, calling back after each part: there a slow import can
    report progress and be cancelled."""

    def __init__(self, after_part: Callable[[], None]):
        super().__init__()
        self.after_part = after_part

    def xmlPartToPart(self, mxPart, mxScorePart):
        part = super().xmlPartToPart(mxPart, mxScorePart)
        self.after_part()
        return part


def _music21_score(root: Element, name: str, after_part: Callable[[], None]) -> stream.Score:
    importer = _Importer(after_part)
    importer.xmlRoot = root
    try:
        importer.xmlRootToScore(root, importer.stream)
    except Cancelled:
        raise
    except Exception as exc:  # music21 raises many types for broken files
        raise FileFormatError(
            f"{name} is not a readable MusicXML file ({type(exc).__name__}: {exc}). "
            "Export it again as MusicXML (.musicxml or .mxl) from your notation program."
        ) from None
    return importer.stream


def _stages(name: str, total: int, progress: Progress | None, cancel: Cancel | None
            ) -> Callable[[], None]:
    """A callback that counts one stage of the import done, or stops it when cancelled."""
    done = 0

    def advance() -> None:
        nonlocal done
        if cancel is not None and cancel():
            raise Cancelled(f"opening {name} cancelled")
        done += 1
        if progress is not None:
            progress(done, total)

    return advance


def read_musicxml(path: str | Path, progress: Progress | None = None,
                  cancel: Cancel | None = None) -> tuple[Score, list[str]]:
    """The score in a MusicXML or .mxl file, and notes on what had to change.
    `progress(done, total)` counts stages: the file checked, each part read by music21,
    the voices assigned."""
    path = Path(path)
    root = checked_tree(file_bytes(path, "MusicXML"), path.name)
    advance = _stages(path.name, len(root.findall("part")) + 2, progress, cancel)
    advance()
    source = _music21_score(root, path.name, advance)
    del root  # music21's score holds all of it now: free the tree before reading the parts
    try:
        meta = read_metadata(source)
    except ScoreError as exc:
        raise FileFormatError(f"{path.name}: {exc}") from None
    parts = list(source.parts)
    if not parts:
        raise FileFormatError(f"{path.name} has no parts: there is nothing to put in four voices.")
    pad = pickup_steps(parts[0], meta.time_signature.steps_per_bar)
    contents = [read_part(p, pad) for p in parts]
    ours = sorted(voice_of_name(c.name) or 0 for c in contents) == [0, 1, 2, 3]
    if not any(c.notes for c in contents) and not ours:
        raise FileFormatError(f"{path.name} has no notes: there is nothing to put in four voices.")
    length = round(max(c.end for c in contents))
    check_duration(path.name, length, meta.tempo)
    voicing = assign_voices([RawTrack(c.name, c.notes) for c in contents])
    messages = list(voicing.messages)
    if meta.metre_changes:
        messages.append(f"The file changes metre; kept the first ({meta.time_signature}).")
    left_out = sum(c.out_of_range for c in contents)
    if left_out:
        messages.append(f"Left out {left_out} note(s) outside MIDI's pitch range (0-127).")
    fermatas = contents[0].fermatas or set().union(*(c.fermatas for c in contents))
    score = Score(
        voices=voicing.voices,
        tempo=meta.tempo,
        time_signature=meta.time_signature,
        key=meta.key,
        fermatas=frozenset(fermatas),
        length=length,
    )
    advance()
    return score, messages
