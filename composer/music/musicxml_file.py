"""MusicXML through music21: four parts with clefs that notation programs show as a choir
score, and the reading side shared with the Bach corpus. A file to import is unpacked,
parsed and checked by `musicxml_checks` before music21 sees it."""

from __future__ import annotations

import contextlib
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
    metadata,
    meter,
    note,
    pitch,
    stream,
    tempo,
    tie,
)
from music21.musicxml.m21ToXml import ScoreExporter
from music21.musicxml.xmlToM21 import MusicXMLImporter

from composer.atomic_write import atomic_open
from composer.music.errors import FileFormatError, ScoreError
from composer.music.import_limits import check_duration, file_bytes, kept_tempo
from composer.music.keys import normalize_key
from composer.music.musicxml_checks import checked_tree
from composer.music.musicxml_notation import bars, note_pieces, rest_pieces, spelled
from composer.music.score import STEPS_PER_QUARTER, VOICE_NAMES, Score, TimeSignature
from composer.music.voicing import RawNote, RawTrack, assign_voices, voice_of_name
from composer.work import Cancel, Cancelled, Progress

_CLEFS = (clef.TrebleClef, clef.TrebleClef, clef.Treble8vbClef, clef.BassClef)
_INSTRUMENTS = (instrument.Soprano, instrument.Alto, instrument.Tenor, instrument.Bass)
DEFAULT_TEMPO = 80.0


# --- writing ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScoreInfo:
    """What a notation program shows above the music: a title (for a corpus chorale its name
    and BWV number) and a composer. None writes none."""

    title: str | None = None
    composer: str | None = None


def _quarters(steps: int) -> float:
    return steps / STEPS_PER_QUARTER


def score_to_music21(score: Score, info: ScoreInfo | None = None) -> stream.Score:
    """The score as music21 notation, ready to export without music21's makeNotation: bars
    as `musicxml_notation` lays them out, pitches spelled by the key, fermatas upright above
    every voice, accidentals only where the key signature and the bar call for them."""
    info = info or ScoreInfo()
    out = stream.Score()
    out.metadata = metadata.Metadata()
    if info.title:
        out.metadata.title = info.title
        out.metadata.movementName = info.title
    if info.composer:
        out.metadata.composer = info.composer
    ts = score.time_signature
    layout = bars(score)
    cuts = {b.start for b in layout} | {layout[-1].end}
    cuts |= {f for f in score.fermatas if layout[0].start <= f < layout[-1].end}
    for index, (name, notes) in enumerate(zip(VOICE_NAMES, score.voices)):
        part = stream.Part(id=name)
        part.partName = name
        part.partAbbreviation = name[0]
        part.insert(0, _INSTRUMENTS[index]())
        measures = []
        for bar in layout:
            m = stream.Measure(number=bar.number)
            if bar.number == 0:
                m.showNumber = stream.enums.ShowNumber.NEVER
                m.paddingLeft = _quarters(ts.steps_per_bar - bar.length)
            measures.append(m)
        first = measures[0]
        first.insert(0, _CLEFS[index]())
        if score.key is not None:
            tonic, mode = score.key.split()
            first.insert(0, key.Key(tonic.replace("b", "-"), mode))
        first.insert(0, meter.TimeSignature(f"{ts.numerator}/{ts.denominator}"))
        if index == 0:
            first.insert(0, tempo.MetronomeMark(number=score.tempo))
        spans = _voice_spans(notes, layout[0].start, layout[-1].end)
        for bar, m in zip(layout, measures):
            for start, end, n in spans:
                a, b = max(start, bar.start), min(end, bar.end)
                if a < b:
                    _fill(m, bar, a, b, n, start, end, cuts, score)
        for m in measures:
            part.append(m)
        _show_accidentals(measures, score.key)
        with contextlib.suppress(Exception):  # beams are a nicety; an odd bar goes without
            stream.makeNotation.makeBeams(part, inPlace=True, failOnNoTimeSignature=False)
        out.insert(0, part)
    return out


def _show_accidentals(measures: list[stream.Measure], key_name: str | None) -> None:
    """An accidental where a note's alteration differs from what its letter carries at that
    point of the bar, in its octave: the key signature's, or an earlier accidental's. A note
    tied over carries its sign without showing it and does not alter the rest of the bar.
    (music21's own pass adds courtesy signs across bar lines and octaves that engravers'
    files do not have.)"""
    signature = {}
    if key_name is not None:
        tonic, mode = key_name.split()
        for p in key.Key(tonic.replace("b", "-"), mode).alteredPitches:
            signature[p.step] = int(p.alter)
    for m in measures:
        current: dict[tuple[str, int], int] = {}
        for n in m.notes:
            written = n.pitch
            alter = int(written.alter)
            if n.tie is not None and n.tie.type in ("stop", "continue"):
                if written.accidental is not None:
                    written.accidental.displayStatus = False
                continue
            place = (written.step, written.octave)
            needed = alter != current.get(place, signature.get(written.step, 0))
            current[place] = alter
            if needed and written.accidental is None:
                written.accidental = pitch.Accidental("natural")
            if written.accidental is not None:
                written.accidental.displayStatus = needed
                written.accidental.displayType = "normal" if needed else "never"


def _voice_spans(notes, begin: int, end: int) -> list[tuple[int, int, object]]:
    """The voice from `begin` to `end` as (start, end, note or None for a rest)."""
    spans = []
    cursor = begin
    for n in notes:
        if n.start > cursor:
            spans.append((cursor, n.start, None))
        spans.append((n.start, n.end, n))
        cursor = max(cursor, n.end)
    if cursor < end:
        spans.append((cursor, end, None))
    return spans


def _fill(m: stream.Measure, bar, a: int, b: int, n, start: int, end: int,
          cuts: set[int], score: Score) -> None:
    """The part from `a` to `b` of a note or rest (from `start` to `end`) in bar `bar`: cut
    at fermatas, so that each fermata sits on an element that starts at its step; a note
    tied across its pieces, a rest grouped by the metre."""
    ts = score.time_signature
    points = sorted({a, b, *(c for c in cuts if a < c < b)})
    for p, q in zip(points, points[1:]):
        if n is None:
            if p == bar.start and q == bar.end and bar.full:
                rest = note.Rest(quarterLength=_quarters(q - p))
                rest.fullMeasure = True
                pieces = [(p, q, rest)]
            else:
                pieces = [(x, y, note.Rest(quarterLength=_quarters(y - x)))
                          for x, y in rest_pieces(p, q, ts)]
        else:
            letter, alter, octave = spelled(n.pitch, score.key)
            pieces = []
            for x, y in note_pieces(p, q):
                written = pitch.Pitch(step=letter, octave=octave)
                written.accidental = pitch.Accidental(alter)  # <alter> always; shown or not
                element = note.Note(written, quarterLength=_quarters(y - x))
                element.volume.velocity = n.velocity
                begins, ends = x == start, y == end
                if not (begins and ends):
                    element.tie = tie.Tie("start" if begins else "stop" if ends else "continue")
                pieces.append((x, y, element))
        for x, _, element in pieces:
            if x in score.fermatas:
                element.expressions.append(expressions.Fermata())
                element.expressions[-1].type = "upright"
                element.expressions[-1].placement = "above"
            m.insert(_quarters(x - bar.start), element)


def musicxml_bytes(score: Score, info: ScoreInfo | None = None) -> bytes:
    """The MusicXML text of `score`, exported without music21's own notation pass (which
    re-splits bars and rests) and without music21's default title and composer."""
    exporter = ScoreExporter(score_to_music21(score, info), makeNotation=False)
    root = exporter.parse()
    info = info or ScoreInfo()
    if not info.title:
        for tag in ("work", "movement-title"):
            for element in root.findall(tag):
                root.remove(element)
    if not info.composer:
        identification = root.find("identification")
        if identification is not None:
            for creator in identification.findall("creator"):
                identification.remove(creator)
    return exporter.asBytes()


def write_musicxml(score: Score, path: str | Path, info: ScoreInfo | None = None) -> None:
    """Plain MusicXML, or compressed for `.mxl`. The bytes are made here, not by music21's
    `write`, which writes to a path of its own choosing (an `.mxl` goes through a
    `.musicxml` file beside it); then they are saved atomically."""
    path = Path(path)
    data = musicxml_bytes(score, info)
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
