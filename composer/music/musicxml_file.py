"""MusicXML through music21: four parts with clefs that notation programs show as a choir
score, and the reading side shared with the Bach corpus. A file to import is unpacked,
parsed and checked by `musicxml_checks` before music21 sees it."""

from __future__ import annotations

import contextlib
import functools
import gc
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element
from xml.sax.saxutils import quoteattr

from music21 import (
    beam,
    clef,
    duration,
    expressions,
    instrument,
    key,
    metadata,
    meter,
    note,
    percussion,
    pitch,
    stream,
    tempo,
    tie,
)
from music21.common.numberTools import opFrac
from music21.musicxml.m21ToXml import ScoreExporter
from music21.musicxml.xmlToM21 import MusicXMLImporter

from composer.atomic_write import atomic_open
from composer.music.errors import FileFormatError, ScoreError
from composer.music.import_changes import (
    Change,
    held_longest,
    in_effect,
    metre_message,
    tempo_message,
)
from composer.music.import_limits import TEMPO_RANGE, check_duration, file_bytes, kept_tempo
from composer.music.keys import normalize_key
from composer.music.musicxml_checks import checked_tree
from composer.music.musicxml_notation import bars, note_pieces, rest_pieces, voice_spellings
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
    spellings = voice_spellings(score)
    clefs = [make() for make in _CLEFS]
    beam_cache: dict[tuple, list[_BeamSpec]] = {}
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
        first.insert(0, clefs[index])
        if score.key is not None:
            tonic, mode = score.key.split()
            first.insert(0, key.Key(tonic.replace("b", "-"), mode))
        first.insert(0, meter.TimeSignature(f"{ts.numerator}/{ts.denominator}"))
        signature = first.timeSignature
        if index == 0:
            first.insert(0, tempo.MetronomeMark(number=score.tempo))
        spans = _voice_spans(notes, layout[0].start, layout[-1].end)
        contents: list[list[note.GeneralNote]] = []
        for bar, m in zip(layout, measures):
            elements: list[note.GeneralNote] = []
            for start, end, n in spans:
                a, b = max(start, bar.start), min(end, bar.end)
                if a < b:
                    elements += _fill(m, bar, (a, b), n, (start, end), cuts, score,
                                      spellings[index])
            contents.append(elements)
        for m in measures:
            part.append(m)
        _show_accidentals(contents, score.key)
        with contextlib.suppress(Exception):  # beams are a nicety; an odd bar goes without
            _make_beams(measures, contents, signature, clefs[index], beam_cache)
        out.insert(0, part)
    return out


_BeamSpec = tuple[tuple[int, str | None, str | None], ...] | None


def _make_beams(measures: list[stream.Measure], contents: list[list[note.GeneralNote]],
                signature: meter.TimeSignature, part_clef: clef.Clef,
                cache: dict[tuple, list[_BeamSpec]]) -> None:
    """Beams and the stems of beamed groups, exactly as music21's makeBeams sets them
    (its `TimeSignature.getBeams` for each bar, then one stem direction a group by the
    clef), without its cost: makeBeams copied each bar's notes into a new stream and
    searched the part for its metre and clef again for every bar and every group (half
    the export's time). A chorale repeats few rhythms, so each bar's beaming is worked out
    by music21 once per rhythm (`cache`, shared by the four parts) and copied after."""
    bar_quarters = signature.barDuration.quarterLength
    for m, elements in zip(measures, contents):
        if len(elements) <= 1:
            continue  # nothing to beam; the elements keep their empty beams
        offset = _beaming_offset(m, elements, bar_quarters)
        rhythm = (offset, tuple((e.offset, e.quarterLength, e.isRest) for e in elements))
        specs = cache.get(rhythm)
        if specs is None:
            beams = signature.getBeams(m.notesAndRests.stream(), measureStartOffset=offset)
            specs = cache[rhythm] = [_beam_spec(b) for b in beams]
        for element, spec in zip(elements, specs):
            element.beams = _beams_of(spec)
    _set_group_stems(contents, part_clef)


def _beaming_offset(m: stream.Measure, elements: list[note.GeneralNote],
                    bar_quarters: float) -> float:
    """Where the bar's music starts within a full bar, as makeBeams reckons it: after the
    pickup's padding, or right-aligned when a bar is short and has none."""
    if m.paddingLeft:
        return opFrac(m.paddingLeft)
    highest = opFrac(elements[-1].offset + elements[-1].quarterLength)
    return bar_quarters - highest if highest < bar_quarters else 0.0


def _beam_spec(beams: beam.Beams | None) -> _BeamSpec:
    if beams is None:
        return None
    return tuple((b.number, b.type, b.direction) for b in beams.beamsList)


def _beams_of(spec: _BeamSpec) -> beam.Beams:
    beams = beam.Beams()
    for number, kind, direction in spec or ():
        beams.beamsList.append(beam.Beam(kind, direction, number))
    return beams


def _set_group_stems(contents: list[list[note.GeneralNote]], part_clef: clef.Clef) -> None:
    """One stem direction for the notes of each beamed group, from its first and last
    pitch in the part's clef (music21's setStemDirectionForBeamGroups, walking the part's
    notes in order as it does)."""
    group: list[note.Note] = []
    grouping = False
    for element in (e for elements in contents for e in elements):
        if element.isRest:
            continue
        first = element.beams.getByNumber(1) if element.beams else None
        kind = first.type if first is not None else None
        if kind == "start":
            grouping = True
        if grouping:
            group.append(element)
        if kind == "stop":
            _stem_group(group, part_clef)
            group, grouping = [], False
    if group:
        _stem_group(group, part_clef)


def _stem_group(group: list[note.Note], part_clef: clef.Clef) -> None:
    if not group:
        return  # a group's end without its start (after a rest at the bar's start)
    direction = part_clef.getStemDirectionForPitches([n.pitch for n in group])
    for n in group:
        if n.stemDirection in ("up", "down", "unspecified"):
            n.stemDirection = direction


def _show_accidentals(contents: list[list[note.GeneralNote]], key_name: str | None) -> None:
    """An accidental where a note's alteration differs from what its letter carries at that
    point of the bar, in its octave: the key signature's, or an earlier accidental's. A note
    tied over carries its sign without showing it and does not alter the rest of the bar.
    (music21's own pass adds courtesy signs across bar lines and octaves that engravers'
    files do not have.) `contents` holds each bar's notes and rests in order."""
    signature = _key_alterations(key_name)
    for elements in contents:
        current: dict[tuple[str, int], int] = {}
        for n in elements:
            if n.isRest:
                continue
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


@functools.lru_cache(maxsize=64)
def _key_alterations(key_name: str | None) -> dict[str, int]:
    """The key signature's alteration by letter (a music21 Key takes a millisecond or two
    to build its scales: once per key, not once per part and export). Read only."""
    if key_name is None:
        return {}
    tonic, mode = key_name.split()
    return {p.step: int(p.alter)
            for p in key.Key(tonic.replace("b", "-"), mode).alteredPitches}


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


def _fill(m: stream.Measure, bar, piece: tuple[int, int], n, span: tuple[int, int],
          cuts: set[int], score: Score,
          spellings: dict[tuple[int, int], tuple[str, int, int]]
          ) -> list[note.GeneralNote]:
    """The `piece` (from a to b) of a note or rest (sounding over `span`) in bar `bar`: cut
    at fermatas, so that each fermata sits on an element that starts at its step; a note
    tied across its pieces and written as `spellings` says, a rest grouped by the metre."""
    ts = score.time_signature
    a, b = piece
    start, end = span
    points = sorted({a, b, *(c for c in cuts if a < c < b)})
    placed: list[note.GeneralNote] = []
    for p, q in zip(points, points[1:]):
        if n is None:
            if p == bar.start and q == bar.end and bar.full:
                rest = note.Rest(duration=_value(q - p))
                rest.fullMeasure = True
                pieces = [(p, q, rest)]
            else:
                pieces = [(x, y, _part_rest(y - x)) for x, y in rest_pieces(p, q, ts)]
        else:
            letter, alter, octave = spellings[(n.start, n.pitch)]
            pieces = []
            for x, y in note_pieces(p, q):
                written = pitch.Pitch(step=letter, octave=octave)
                written.accidental = pitch.Accidental(alter)  # <alter> always; shown or not
                element = note.Note(written, duration=_value(y - x))
                element.volume.velocity = n.velocity
                begins, ends = x == start, y == end
                if not (begins and ends):
                    element.tie = tie.Tie("start" if begins else "stop" if ends else "continue")
                pieces.append((x, y, element))
        for x, _, element in pieces:
            if x in score.fermatas:
                element.expressions.append(_upright_fermata())
            m.insert(_quarters(x - bar.start), element)
            placed.append(element)
    return placed


def _value(steps: int) -> duration.Duration:
    """A duration with its note value worked out now, before its note joins a bar: music21
    works it out lazily, and when the writer first asks, the note tells its bar that it
    changed, which throws away the bar's sorted contents (a third of the writer's time)."""
    value = duration.Duration(_quarters(steps))
    _ = value.type
    return value


def _part_rest(steps: int) -> note.Rest:
    """A rest shorter than its bar, said to be so: left 'auto', music21's writer looks the
    metre up from each rest to ask, a search through the whole part every time (half a
    second for a 100-bar score of a voice's rests)."""
    return note.Rest(duration=_value(steps), fullMeasure=False)


def _upright_fermata() -> expressions.Fermata:
    """A fermata drawn above the staff. In MusicXML that is `type="upright"`; `<fermata>`
    has no `placement` attribute (neither in 3.1 nor in 4.0), and music21 writes one when
    it is set, which makes MuseScore 3 reject the file as invalid MusicXML ("load
    anyway?"), so placement is left unset."""
    fermata = expressions.Fermata()
    fermata.type = "upright"
    return fermata


def musicxml_bytes(score: Score, info: ScoreInfo | None = None) -> bytes:
    """The MusicXML text of `score`, exported without music21's own notation pass (which
    re-splits bars and rests) and without music21's default title and composer. The cycle
    collector waits meanwhile, as it does for an import (`_no_cycle_collection`): music21's
    objects for a 100-bar score are walked again at every collection, which took up to
    half the export's time."""
    with _no_cycle_collection():
        return _musicxml_bytes(score, info)


def _musicxml_bytes(score: Score, info: ScoreInfo | None) -> bytes:
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
    unpitched: int = 0  # percussion notes left out, as MIDI's drums are


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


def read_part(part: stream.Part, pad: float,
              transposition: Sequence[tuple[float, int]] = ()) -> PartContent:
    """The part's notes in steps, a tied note as one, at sounding pitch: `transposition`
    lists (step, semitones from written to sounding pitch) where a transposing
    instrument's part changes it (a clarinet in B-flat: -2). The ties are followed here,
    pitch by pitch, rather than by music21's stripTies, which takes time growing with the
    square of the part's length (5 s for 2,500 notes)."""
    content = PartContent(part.partName or part.id or "", [], 0, set(), 0.0)
    tied: dict[int, RawNote] = {}  # by pitch: the note that a tie carries on
    changes, semitones = list(transposition), 0
    for el in part.flatten().notesAndRests:
        start = float(el.offset) * STEPS_PER_QUARTER + pad
        while changes and changes[0][0] <= start + 1e-6:
            semitones = changes.pop(0)[1]
        stop = start + float(el.duration.quarterLength) * STEPS_PER_QUARTER
        if any(isinstance(e, expressions.Fermata) for e in el.expressions):
            content.fermatas.add(round(start))
        content.end = max(content.end, stop)
        if el.isRest or el.duration.isGrace or stop <= start:
            continue
        if isinstance(el, (note.Unpitched, percussion.PercussionChord)):
            content.unpitched += 1
            continue
        velocity = el.volume.velocity if el.volume.velocity is not None else 80
        pieces = el.notes if el.isChord else (el,)
        begun = sum(_place_piece(content, tied, piece, (start, stop), velocity, semitones)
                    for piece in pieces)
        content.chords += len(pieces) > 1 and begun > 0
    return content


def _place_piece(content: PartContent, tied: dict[int, RawNote], piece: note.Note,
                 span: tuple[float, float], velocity: int, semitones: int = 0) -> bool:
    """Whether the piece begins a note, rather than carrying a tied one on. (The pitch is
    taken from `ps`: music21's `midi` folds a pitch beyond MIDI's range into it, an octave
    or more away from what the file says.)"""
    start, stop = span
    pitch = round(piece.pitch.ps) + semitones
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
    time_signature: TimeSignature  # the first
    key: str | None  # the first
    tempo: float  # the first mark's (as the corpus has always read it), within range
    metre_changes: bool
    # every metre and tempo mark of every part, in steps from the first bar's start (no
    # pickup padding) with the file's bar numbers: importers keep the one held longest
    metres: list[Change[TimeSignature]] = field(default_factory=list)
    tempos: list[Change[float]] = field(default_factory=list)  # BPM, as the file says
    keys: set[str] = field(default_factory=set)
    compound: str | None = None  # a metre of two in one bar ("6/8+3/4"), read as its sum
    refused_metres: list[str] = field(default_factory=list)  # no Score can hold them


def read_metadata(source: stream.Score) -> Metadata:
    """The metres, keys and tempos of every part in the order they come, read from the
    bars themselves (not by recursing into every note, which took as long as reading a
    band score's parts)."""
    signatures, metres, refused, tempos, keys = [], [], [], [], []
    for part in source.parts:
        for measure in part.getElementsByClass(stream.Measure):
            at = float(measure.offset)
            for el, offset in _bar_marks(measure):
                step = (at + offset) * STEPS_PER_QUARTER
                if isinstance(el, meter.TimeSignature):
                    signatures.append(el)
                    try:
                        metre = TimeSignature(el.numerator, el.denominator)
                    except ScoreError as exc:
                        refused.append((el.ratioString, str(exc)))
                        continue
                    metres.append(Change(step, measure.number, metre))
                elif isinstance(el, key.KeySignature):
                    keys.append(el)
                elif isinstance(el, tempo.MetronomeMark) and el.number:
                    bpm = el.getQuarterBPM()
                    if bpm:
                        tempos.append(Change(step, measure.number, float(bpm)))
    if refused and not metres:
        raise ScoreError(refused[0][1])
    names = [_key_name(k) for k in keys]
    compound = next((s.ratioString for s in signatures if "+" in s.ratioString), None)
    return Metadata(
        time_signature=metres[0].value if metres else TimeSignature(),
        key=names[0] if names else None,
        tempo=kept_tempo(tempos[0].value if tempos else DEFAULT_TEMPO),
        metre_changes=len({(s.numerator, s.denominator) for s in signatures}) > 1,
        metres=metres, tempos=tempos, keys=set(names), compound=compound,
        refused_metres=[text for text, _ in refused],
    )


def _bar_marks(measure: stream.Measure) -> Iterator[tuple[object, float]]:
    """(element, offset in the bar) of what a bar holds and its voices' marks."""
    for el in measure.elements:
        if isinstance(el, stream.Voice):
            for inner in el.elements:
                yield inner, float(el.offset) + float(inner.offset)
        else:
            yield el, float(el.offset)


def _key_name(signature: key.KeySignature) -> str:
    found = signature if isinstance(signature, key.Key) else signature.asKey("major")
    return normalize_key(f"{found.tonic.name} {found.mode}")


# What an engraver needs and a Score cannot hold: left out of the tree before music21 reads
# it, since music21 builds an object for each of them (a band score's layout, beams, slurs
# and dynamics took as long to read as its notes).
_ENGRAVING_IN_MEASURE = frozenset({"print", "harmony", "figured-bass", "grouping", "link",
                                   "bookmark"})
_ENGRAVING_IN_NOTE = frozenset({"beam", "stem", "notehead", "notehead-text", "lyric", "play",
                                "listen"})
_KEPT_NOTATIONS = frozenset({"fermata", "tied", "tuplet"})
_POSITION = ("default-x", "default-y", "relative-x", "relative-y", "width")


def prune_engraving(root: Element) -> None:
    """Leave out of a MusicXML tree what only engraving uses (layout, beams, stems, lyrics,
    chord symbols, slurs, articulations, dynamics, positions): none of it moves a note in
    time or changes its pitch, a fermata, a tie, a tempo, a key or a metre, so the score
    read is the same, in about half the time."""
    for element in root.iter():
        if element.attrib:
            for name in _POSITION:
                element.attrib.pop(name, None)
    for measure in root.iterfind("part/measure"):
        measure[:] = [child for child in measure if _kept_in_measure(child)]
        for item in measure.iterfind("note"):
            item[:] = [child for child in item if child.tag not in _ENGRAVING_IN_NOTE]
            notations = item.find("notations")
            if notations is not None:
                notations[:] = [child for child in notations if child.tag in _KEPT_NOTATIONS]


def _kept_in_measure(child: Element) -> bool:
    if child.tag in _ENGRAVING_IN_MEASURE:
        return False
    if child.tag == "direction":  # only a tempo (a metronome mark or a sounding tempo)
        return (child.find("direction-type/metronome") is not None
                or any("tempo" in sound.attrib for sound in child.iterfind("sound")))
    return True


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


def _music21_score(root: Element, name: str, after_part: Callable[[], None]
                   ) -> tuple[stream.Score, dict[str, stream.Part]]:
    """The score music21 reads from the tree, and its parts by the file's part id (a part
    of several staves is read as one music21 part a staff, "P1-Staff1" ...)."""
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
    return importer.stream, dict(importer.m21PartObjectsById)


# --- choosing parts before music21 reads them ---------------------------------------------
def part_names(root: Element) -> dict[str, str]:
    """Each part's name by id, as music21 names the part (its <part-name>, else its id)."""
    names = {}
    for entry in root.iterfind("part-list/score-part"):
        pid = entry.get("id") or ""
        names[pid] = (entry.findtext("part-name") or "").strip() or pid
    return names


def named_voice_parts(root: Element) -> list[str] | None:
    """The ids of four parts named after the four voices (the first with notes for each),
    when the file has all four: then `assign_voices` would keep those four whatever the
    other parts hold, so the others need not be read at all."""
    names = part_names(root)
    by_voice: dict[int, str] = {}
    for part in root.iterfind("part"):
        pid = part.get("id") or ""
        voice = voice_of_name(names.get(pid, pid))
        if voice is not None and voice not in by_voice and part.find(".//pitch") is not None:
            by_voice[voice] = pid
    return [by_voice[v] for v in range(4)] if len(by_voice) == 4 else None


def hollow_parts(root: Element, keep: Sequence[str]) -> list[str]:
    """Empty every part but `keep` of its notes, each replaced by a <forward> of its length
    (chord and grace notes take no time): music21 then reads those parts' metres and
    tempos, which may be set only there, at their places, in a fraction of the time.
    Returns the emptied parts' names."""
    names, emptied = part_names(root), []
    for part in root.iterfind("part"):
        pid = part.get("id") or ""
        if pid in keep:
            continue
        emptied.append(names.get(pid, pid))
        for measure in part.iterfind("measure"):
            measure[:] = [_as_forward(child) for child in measure
                          if child.tag != "note" or _takes_time(child)]
    return emptied


def _takes_time(item: Element) -> bool:
    return item.find("chord") is None and item.find("grace") is None


def _as_forward(child: Element) -> Element:
    if child.tag != "note":
        return child
    forward = Element("forward")
    duration = child.find("duration")
    if duration is not None:
        forward.append(duration)
    return forward


def transpositions(root: Element) -> dict[str, list[tuple[int, int]]]:
    """Per part id, (bar index, semitones from written to sounding pitch) wherever its
    <transpose> changes: read from the file itself, since music21 also guesses a
    transposition from instrument names and MIDI programs (a part named "Oboe" with an
    English horn's program comes out a fifth lower)."""
    found: dict[str, list[tuple[int, int]]] = {}
    for part in root.iterfind("part"):
        changes, current = [], 0
        for index, measure in enumerate(part.iterfind("measure")):
            element = measure.find("attributes/transpose")
            if element is None:
                continue
            semitones = (_whole(element.findtext("chromatic"))
                         + 12 * _whole(element.findtext("octave-change")))
            if semitones != current:
                changes.append((index, semitones))
                current = semitones
        if changes:
            found[part.get("id") or ""] = changes
    return found


def _whole(text: str | None) -> int:
    try:
        return round(float((text or "0").strip()))
    except (ValueError, OverflowError):
        return 0


def _in_steps(part: stream.Part, changes: list[tuple[int, int]], pad: float
              ) -> list[tuple[float, int]]:
    """Bar indices of transposition changes as steps into the part."""
    measures = list(part.getElementsByClass(stream.Measure))
    return [(float(measures[i].offset) * STEPS_PER_QUARTER + pad, semitones)
            for i, semitones in changes if i < len(measures)]


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


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused while music21 builds a score: it builds tens of
    thousands of objects a second, and the collector kept walking all of them again (a
    third to a half of a band score's import). Reference counting still frees what is
    dropped; the collector resumes, as it was, when the import ends or fails."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_musicxml(path: str | Path, progress: Progress | None = None,
                  cancel: Cancel | None = None) -> tuple[Score, list[str]]:
    """The score in a MusicXML or .mxl file, and notes on what had to change.
    `progress(done, total)` counts stages: the file checked, each part read by music21,
    the voices assigned. What only engraving uses is left out before music21 reads the
    file, and when four parts are named after the voices the others are read only for
    their metres and tempos."""
    with _no_cycle_collection():
        return _read_musicxml(Path(path), progress, cancel)


def _read_musicxml(path: Path, progress: Progress | None, cancel: Cancel | None
                   ) -> tuple[Score, list[str]]:
    root = checked_tree(file_bytes(path, "MusicXML"), path.name)
    advance = _stages(path.name, len(root.findall("part")) + 2, progress, cancel)
    prune_engraving(root)
    voice_ids = named_voice_parts(root)
    emptied = hollow_parts(root, voice_ids) if voice_ids else []
    shifts = transpositions(root)
    file_ids = {part.get("id") or "" for part in root.iterfind("part")}
    advance()
    source, by_id = _music21_score(root, path.name, advance)
    del root  # music21's score holds all of it now: free the tree before reading the parts
    try:
        meta = read_metadata(source)
    except ScoreError as exc:
        raise FileFormatError(f"{path.name}: {exc}") from None
    parts = _read_parts(source, by_id, file_ids, voice_ids)
    if not parts:
        raise FileFormatError(f"{path.name} has no parts: there is nothing to put in four voices.")
    pad = pickup_steps(parts[0][1], meta.time_signature.steps_per_bar)
    contents = [read_part(part, pad, _in_steps(part, shifts.get(pid, []), pad))
                for pid, part in parts]
    ours = sorted(voice_of_name(c.name) or 0 for c in contents) == [0, 1, 2, 3]
    if not any(c.notes for c in contents) and not ours:
        raise FileFormatError(f"{path.name} has no notes: there is nothing to put in four voices.")
    length = round(max(c.end for c in contents))
    messages: list[str] = []
    time_signature, tempo_bpm = _kept_metre_and_tempo(meta, contents, pad, length, messages)
    check_duration(path.name, length, tempo_bpm)
    voicing = assign_voices([RawTrack(c.name, c.notes) for c in contents])
    messages[:0] = voicing.messages
    if emptied:
        messages.insert(0, _emptied_message(len(emptied) + 4, emptied))
    _part_messages(contents, meta, messages)
    score = Score(
        voices=voicing.voices,
        tempo=tempo_bpm,
        time_signature=time_signature,
        key=meta.key,
        fermatas=frozenset(voice_fermatas(contents, _sources(contents, voicing.sources))),
        length=length,
    )
    advance()
    return score, messages


def _read_parts(source: stream.Score, by_id: dict[str, stream.Part], file_ids: set[str],
                voice_ids: list[str] | None) -> list[tuple[str, stream.Part]]:
    """The parts to read notes from, in the file's order, each with its part id in the
    file: all of them, or the four named voices (with all their staves)."""
    file_id = {id(part): pid if pid in file_ids else re.sub(r"-Staff\d+$", "", pid)
               for pid, part in by_id.items()}
    out = []
    for part in source.parts:
        pid = file_id.get(id(part), part.id or "")
        if voice_ids is None or pid in voice_ids:
            out.append((pid, part))
    return out


def _kept_metre_and_tempo(meta: Metadata, contents: list[PartContent], pad: float,
                          length: float, messages: list[str]) -> tuple[TimeSignature, float]:
    """The metre and the tempo most of the music is in, with a message for each change
    (of any part, at the bar the file gives) and for a tempo out of range."""
    starts = [n.start for c in contents for n in c.notes]
    first, end = (min(starts) if starts else pad) - pad, length - pad
    metres = in_effect(meta.metres, first, end)
    metre = held_longest(metres, first, end) if metres else meta.time_signature
    message = metre_message(metres, metre)
    if message:
        messages.append(message)
    if meta.compound:
        messages.append(f"The file's metre {meta.compound} joins two metres in each bar; a "
                        f"score has one simple metre, so each bar is read as one of "
                        f"{meta.time_signature}.")
    tempos = in_effect(meta.tempos, first, end)
    bpm = held_longest(tempos, first, end) if tempos else DEFAULT_TEMPO
    message = tempo_message(tempos, bpm)
    if message:
        messages.append(message)
    tempo_bpm = kept_tempo(bpm)
    if tempo_bpm != bpm:
        low, high = TEMPO_RANGE
        messages.append(f"The file's tempo of {bpm:,.0f} BPM is outside {low:.0f}-{high:.0f}; "
                        f"used {tempo_bpm:.0f} BPM.")
    return metre, tempo_bpm


def _emptied_message(parts: int, emptied: list[str]) -> str:
    names = [f"'{name}'" for name in emptied[:_LISTED_PARTS]]
    if len(emptied) > _LISTED_PARTS:
        names.append(f"{len(emptied) - _LISTED_PARTS} more")
    return (f"The file has {parts} parts: dropped {', '.join(names)} (the four voices are "
            "named), reading the notes of Soprano, Alto, Tenor and Bass only.")


_LISTED_PARTS = 12


def _part_messages(contents: list[PartContent], meta: Metadata, messages: list[str]) -> None:
    if len(meta.keys) > 1:
        messages.append(f"The file changes key; kept the first ({meta.key}).")
    if meta.refused_metres:
        messages.append(f"Left out the file's metre {meta.refused_metres[0]}, which does not "
                        "fit a sixteenth-note grid.")
    unpitched = sum(c.unpitched for c in contents)
    if unpitched:
        messages.append(f"Ignored {unpitched} unpitched (percussion) note(s).")
    left_out = sum(c.out_of_range for c in contents)
    if left_out:
        messages.append(f"Left out {left_out} note(s) outside MIDI's pitch range (0-127).")


def _sources(contents: list[PartContent], sources: tuple[tuple[int, ...], ...]
             ) -> list[tuple[int, ...]]:
    """Each voice's parts; a voice without notes has the part named for it, if any, whose
    rests may carry the fermatas (a score saved with an empty voice reads back whole)."""
    out = list(sources)
    for i, content in enumerate(contents):
        voice = voice_of_name(content.name)
        if voice is not None and not out[voice]:
            out[voice] = (i,)
    return out


def voice_fermatas(contents: list[PartContent], sources: Sequence[Sequence[int]]) -> set[int]:
    """The fermatas of the part the soprano came from, as the corpus reads Bach's; if it
    has none, those of the other voices' parts. Never those of a part left out (a violin
    over the soprano, a continuo under the bass): its pauses are not the chorale's."""
    soprano = set().union(*(contents[i].fermatas for i in sources[0]))
    if soprano:
        return soprano
    return set().union(*(contents[i].fermatas for voice in sources for i in voice))
