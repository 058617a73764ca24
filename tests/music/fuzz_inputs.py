"""Hostile and strange files for import, made by mutating real ones.

The seeds are corpus chorales exported by `write_score` and files built here the way other
programs write them (many tracks, drums, one polyphonic piano track, a compressed .mxl).
Each input is one mutation aimed at a known weak spot (declared lengths, delta times,
running status, tempo, pitches, metre, XML numbers, nesting, entities, zip archives),
sometimes followed by blind damage (bit flips, cuts). Every input is reproducible from its
name: the seed file, the mutations and the random seed.
"""

from __future__ import annotations

import functools
import io
import random
import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pretty_midi

from composer.music.corpus import build_corpus
from composer.music.files import write_score
from composer.music.score import Note, Score


@dataclass(frozen=True)
class FuzzInput:
    name: str  # seed/mutations#number
    suffix: str
    data: bytes


# --- seeds --------------------------------------------------------------------------------
def seed_files(folder: Path, chorales: int = 3) -> list[Path]:
    """Corpus exports (whole chorales as MIDI, their first four bars as MusicXML, which
    music21 reads in tens of milliseconds) and files built as other programs write them."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for entry in build_corpus(limit=chorales, processes=1).entries:
        paths.append(folder / f"{entry.id}.mid")
        write_score(paths[-1], entry.score)
        opening = entry.score.slice(0, 4 * entry.score.steps_per_bar)
        paths.append(folder / f"{entry.id}-opening.musicxml")
        write_score(paths[-1], opening)
    paths.append(folder / "opening.mxl")
    write_score(paths[-1], opening)
    paths.append(folder / "rich.musicxml")
    write_score(paths[-1], _rich_score())
    paths += [_multi_track_midi(folder / "band.mid"), _piano_midi(folder / "piano.mid")]
    return paths


def _rich_score() -> Score:
    voices = tuple(tuple(Note(s, 2, p + (s // 2) % 5, 40 + s) for s in range(0, 24, 2))
                   for p in (72, 65, 57, 45))
    return Score(voices=voices, tempo=132, key="F# minor", fermatas=frozenset({8, 22}),
                 length=32)


def _multi_track_midi(path: Path) -> Path:
    """Six tracks, one of them drums, a program change and a tempo change."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=97)
    for track, base in enumerate((76, 67, 60, 52, 40)):
        inst = pretty_midi.Instrument(program=track * 8, name=f"Part {track}")
        inst.notes = [pretty_midi.Note(70 + track, base + i % 7, i * 0.3, i * 0.3 + 0.25)
                      for i in range(24)]
        midi.instruments.append(inst)
    drums = pretty_midi.Instrument(0, is_drum=True, name="Drums")
    drums.notes = [pretty_midi.Note(100, 36, i * 0.5, i * 0.5 + 0.1) for i in range(12)]
    midi.instruments.append(drums)
    midi.time_signature_changes.append(pretty_midi.TimeSignature(3, 4, 0))
    midi.write(str(path))
    return path


def _piano_midi(path: Path) -> Path:
    """One track of chords, some wider than four voices, off the sixteenth grid."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=140)
    piano = pretty_midi.Instrument(0, name="Piano")
    for i in range(16):
        start = i * 0.43
        for pitch in (36, 48, 55, 60, 64, 67, 72)[: 3 + i % 5]:
            piano.notes.append(pretty_midi.Note(90, pitch + i % 3, start, start + 0.4))
    midi.instruments.append(piano)
    midi.write(str(path))
    return path


def inputs(seeds: list[Path], count: int, seed: int) -> Iterator[FuzzInput]:
    """`count` mutated files round-robin over the seeds: MIDI seeds get MIDI mutations,
    MusicXML seeds (and .mxl archives) XML ones."""
    rng = random.Random(seed)
    loaded = [(p.name, p.suffix.lower(), p.read_bytes()) for p in seeds]
    for number in range(count):
        name, suffix, data = loaded[number % len(loaded)]
        make = mutate_midi if suffix in (".mid", ".midi") else mutate_musicxml
        out_suffix, mutated, how = make(data, suffix, random.Random(rng.getrandbits(64)))
        yield FuzzInput(f"{name}/{how}#{number}", out_suffix, mutated)


# --- MIDI ---------------------------------------------------------------------------------
@dataclass
class MidiEvent:
    track: int
    delta: int  # offset of the delta time
    status: int  # offset of the status byte (or of the first data byte, running status)
    end: int
    kind: int  # status byte in effect
    meta: int | None  # meta event type


def _vlq(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _read_vlq(data: bytes, at: int) -> tuple[int, int]:
    value = 0
    while True:
        byte = data[at]
        at += 1
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at


def midi_layout(data: bytes) -> tuple[list[tuple[int, int]], list[MidiEvent]]:
    """The chunks (offset, length) and events of a well-formed seed file."""
    chunks, events, at = [], [], 0
    while at + 8 <= len(data):
        length = struct.unpack(">I", data[at + 4:at + 8])[0]
        chunks.append((at, length))
        if data[at:at + 4] == b"MTrk":
            events += _track_events(data, at + 8, at + 8 + length, len(chunks) - 2)
        at += 8 + length
    return chunks, events


def _track_events(data: bytes, at: int, end: int, track: int) -> list[MidiEvent]:
    events, running = [], 0
    while at < end:
        start = at
        _, at = _read_vlq(data, at)
        status_at, kind, meta = at, data[at], None
        if kind < 0x80:
            kind = running
        else:
            at += 1
        if kind == 0xFF:
            meta = data[at]
            length, at = _read_vlq(data, at + 1)
            at += length
        elif kind in (0xF0, 0xF7):
            length, at = _read_vlq(data, at)
            at += length
        else:
            running = kind
            at += 1 if kind & 0xF0 in (0xC0, 0xD0) else 2
        events.append(MidiEvent(track, start, status_at, at, kind, meta))
    return events


def _set_length(data: bytearray, chunk_at: int, length: int) -> None:
    data[chunk_at + 4:chunk_at + 8] = struct.pack(">I", length & 0xFFFFFFFF)


def _splice(data: bytes, chunks, at: int, end: int, new: bytes, fix: bool) -> bytearray:
    """Replace data[at:end] by `new`; with `fix`, the enclosing chunk's length follows."""
    out = bytearray(data[:at] + new + data[end:])
    if fix:
        for chunk_at, length in chunks:
            if chunk_at + 8 <= at < chunk_at + 8 + length:
                _set_length(out, chunk_at, length + len(new) - (end - at))
    return out


HUGE = (0xFFFFFFFF, 0x7FFFFFFF, 0x0FFFFFFF, 1 << 21, 10**6, 0)


def _huge_chunk_length(data, chunks, events, rng):
    out = bytearray(data)
    chunk_at, length = rng.choice(chunks)
    _set_length(out, chunk_at, rng.choice(HUGE + (length * 1000, length - 1, length + 1)))
    return out


def _header_fields(data, chunks, events, rng):
    out = bytearray(data)
    field = rng.choice((8, 10, 12))  # format, number of tracks, division
    value = rng.choice((0, 1, 2, 3, 0x7FFF, 0x8000, 0xE728, 0xFFFF, len(chunks)))
    out[field:field + 2] = struct.pack(">H", value)
    return out


def _huge_delta(data, chunks, events, rng):
    event = rng.choice(events)
    value = rng.choice(HUGE[2:] + (rng.randrange(1 << 28),))
    delta = _vlq(value) if rng.random() < 0.7 else b"\xff" * rng.choice((4, 8, 1000)) + b"\x7f"
    return _splice(data, chunks, event.delta, event.status, delta, rng.random() < 0.8)


def _running_status(data, chunks, events, rng):
    """Status bytes dropped: where the previous event had the same status that is running
    status, elsewhere it is a broken file."""
    channel = [e for e in events if e.kind < 0xF0 and data[e.status] >= 0x80]
    drop = {e.status for e in rng.sample(channel, min(len(channel), rng.choice((1, 5, 50))))}
    out = bytearray(b for i, b in enumerate(data) if i not in drop)
    if rng.random() < 0.8:
        removed = 0
        for chunk_at, length in chunks:
            inside = sum(chunk_at + 8 <= d < chunk_at + 8 + length for d in drop)
            _set_length(out, chunk_at - removed, length - inside)
            removed += inside
    return out


def _meta_bytes(meta: int, choose: Callable[[random.Random], bytes]):
    def mutate(data, chunks, events, rng):
        chosen = [e for e in events if e.meta == meta]
        if not chosen:
            return _huge_delta(data, chunks, events, rng)
        event = rng.choice(chosen)
        payload = choose(rng)
        at = event.end - len(payload)
        return bytearray(data[:at] + payload + data[event.end:])
    return mutate


_extreme_tempo = _meta_bytes(0x51, lambda rng: rng.choice(
    (b"\0\0\0", b"\0\0\x01", b"\xff\xff\xff", rng.randbytes(3))))
_extreme_metre = _meta_bytes(0x58, lambda rng: bytes(
    (rng.choice((0, 1, 32, 33, 255)), rng.choice((0, 1, 5, 31, 255)), 24, 8)))
_extreme_key = _meta_bytes(0x59, lambda rng: bytes(
    (rng.choice((0x80, 0x7F, 8, 0xF8)), rng.choice((0, 1, 2, 255)))))


def _extreme_note(data, chunks, events, rng):
    out = bytearray(data)
    notes = [e for e in events if e.kind & 0xF0 in (0x80, 0x90)]
    for event in rng.sample(notes, min(len(notes), rng.choice((1, 10, 100)))):
        out[event.end - rng.choice((1, 2))] = rng.choice((0x00, 0x7F, 0x80, 0xFF))
    return out


def _meta_length(data, chunks, events, rng):
    chosen = [e for e in events if e.kind >= 0xF0] or events
    event = rng.choice(chosen)
    at = event.status + (2 if event.kind == 0xFF else 1)
    _, end = _read_vlq(data, at)
    return bytearray(data[:at] + _vlq(rng.choice(HUGE[:4])) + data[end:])


def _many_notes(data, chunks, events, rng):
    """Thousands of notes at one moment, or one after the other."""
    note = rng.choice([e for e in events if e.kind & 0xF0 == 0x90] or events)
    copies = rng.choice((1000, 30000, 150000))
    delta = rng.choice((b"\0", b"\x01"))
    pair = delta + bytes((note.kind, 60 + copies % 7, 90)) + b"\0" + bytes((note.kind, 60, 0))
    return _splice(data, chunks, note.delta, note.delta, pair * copies, rng.random() < 0.9)


def _many_tracks(data, chunks, events, rng):
    chunk_at, length = rng.choice(chunks[1:])
    copies = rng.choice((10, 300, 5000))
    out = bytearray(data + data[chunk_at:chunk_at + 8 + length] * copies)
    if rng.random() < 0.7:
        out[10:12] = struct.pack(">H", min(0xFFFF, len(chunks) - 1 + copies))
    return out


def _grow_chunk(data, chunks, events, rng):
    chunk_at, length = rng.choice(chunks[1:])
    start = rng.randrange(chunk_at + 8, chunk_at + 8 + max(1, length))
    span = data[start:start + rng.randint(1, 64)] * rng.choice((2, 100, 10000))
    return _splice(data, chunks, start, start, span, rng.random() < 0.5)


def _cut_chunk(data, chunks, events, rng):
    chunk_at, length = rng.choice(chunks)
    start = rng.randrange(chunk_at, chunk_at + 8 + max(1, length))
    return _splice(data, chunks, start, start + rng.randint(1, 200), b"", rng.random() < 0.5)


MIDI_MUTATIONS = {
    "huge_chunk_length": _huge_chunk_length, "header_fields": _header_fields,
    "huge_delta": _huge_delta, "running_status": _running_status,
    "extreme_tempo": _extreme_tempo, "extreme_metre": _extreme_metre,
    "extreme_key": _extreme_key, "extreme_note": _extreme_note, "meta_length": _meta_length,
    "many_notes": _many_notes, "many_tracks": _many_tracks, "grow_chunk": _grow_chunk,
    "cut_chunk": _cut_chunk,
}


def mutate_midi(data: bytes, suffix: str, rng: random.Random) -> tuple[str, bytes, str]:
    chunks, events = midi_layout(data)
    name = rng.choice(sorted(MIDI_MUTATIONS))
    out = bytes(MIDI_MUTATIONS[name](data, chunks, events, rng))
    out, damage = blind_damage(out, rng)
    return suffix, out, "+".join([name, *damage])


# --- damage that knows nothing of the format ----------------------------------------------
def blind_damage(data: bytes, rng: random.Random) -> tuple[bytes, list[str]]:
    """Now and then: bit flips, a cut, random bytes over a span."""
    done = []
    out = bytearray(data)
    if out and rng.random() < 0.3:
        for _ in range(rng.choice((1, 4, 16))):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        done.append("bitflips")
    if out and rng.random() < 0.1:
        out = out[:rng.randrange(len(out))]
        done.append("cut")
    if out and rng.random() < 0.1:
        at = rng.randrange(len(out))
        out[at:at + 16] = rng.randbytes(16)
        done.append("noise")
    return bytes(out), done


# --- MusicXML -----------------------------------------------------------------------------
NUMERIC_TAGS = ("duration", "divisions", "alter", "octave", "beats", "beat-type", "fifths",
                "per-minute", "staves", "actual-notes", "normal-notes", "voice", "staff",
                "midi-program", "volume", "chromatic", "octave-change", "line")
HOSTILE_NUMBERS = ("1e308", "-1e308", "1e309", "inf", "-inf", "nan", "NaN", "0", "-1",
                   "999999999999", "1000", "9223372036854775808", "", "abc", "0.0001",
                   "1e-308", "3.5", "-0", "+7", "0x10", "1_000")


def _number(text, rng):
    tag = rng.choice(NUMERIC_TAGS)
    found = list(re.finditer(rf"<{tag}>([^<]*)</{tag}>", text))
    if not found:
        return _add_numbers(text, rng)
    chosen = rng.sample(found, min(len(found), rng.choice((1, 3, 50))))
    for match in sorted(chosen, key=lambda m: -m.start()):
        value = rng.choice(HOSTILE_NUMBERS)
        text = text[:match.start(1)] + value + text[match.end(1):]
    return text


def _add_numbers(text, rng):
    """Dynamics and tempo as attributes, where music21 turns them into velocities and
    metronome marks."""
    value = rng.choice(HOSTILE_NUMBERS)
    if rng.random() < 0.5:
        return text.replace("<note>", f'<note dynamics="{value}">', rng.choice((1, 1000)))
    sound = f'<sound tempo="{value}" dynamics="{rng.choice(HOSTILE_NUMBERS)}"/>'
    return re.sub(r"(<measure[^>]*>)", rf"\1{sound}", text, count=rng.choice((1, 1000)))


def _huge_metre(text, rng):
    beats = rng.choice(("1000", "100000", "33", "0", "3+1000", "1e308", "nan"))
    kind = rng.choice(("4", "3", "1024", "0", "1e308"))
    text = re.sub(r"<beats>[^<]*</beats>", f"<beats>{beats}</beats>", text, count=1)
    return re.sub(r"<beat-type>[^<]*</beat-type>", f"<beat-type>{kind}</beat-type>", text,
                  count=1)


def _deep_nesting(text, rng):
    depth = rng.choice((1000, 100000, 1000000))
    tag = rng.choice(("a", "note", "measure", "direction"))
    close = f"</{tag}>" * depth if rng.random() < 0.7 else ""
    at = text.find("<note>") if "<note>" in text else len(text) // 2
    return text[:at] + f"<{tag}>" * depth + close + text[at:]


ENTITY_DOCTYPES = {
    "laughs": '<!DOCTYPE score-partwise [<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)) + "]>",
    "quadratic": '<!DOCTYPE score-partwise [<!ENTITY q "' + "x" * 100000 + '">]>',
    "passwd": '<!DOCTYPE score-partwise [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    "remote": '<!DOCTYPE score-partwise [<!ENTITY xxe SYSTEM "http://localhost:9/x">]>',
    "parameter": '<!DOCTYPE score-partwise [<!ENTITY % p SYSTEM "file:///etc/passwd">%p;]>',
}
ENTITY_USES = {"laughs": "&l9;", "quadratic": "&q;" * 10000, "passwd": "&xxe;",
               "remote": "&xxe;", "parameter": ""}


def _entities(text, rng):
    kind = rng.choice(sorted(ENTITY_DOCTYPES))
    text = re.sub(r"<!DOCTYPE[^>]*>", "", text, count=1)
    text = re.sub(r"(<\?xml[^>]*\?>)", rf"\1{ENTITY_DOCTYPES[kind]}", text, count=1)
    use = ENTITY_USES[kind]
    text = re.sub(r"<part-name>[^<]*</part-name>", f"<part-name>{use}</part-name>", text,
                  count=1)
    return text.replace("<note>", f"<note><lyric><text>{use}</text></lyric>", 1)


def _repeat(pattern: str):
    def mutate(text, rng):
        found = list(re.finditer(pattern, text, re.S))
        if not found:
            return _number(text, rng)
        match = rng.choice(found)
        copies = rng.choice((2, 50, 500, 5000))
        return text[:match.start()] + match.group(0) * copies + text[match.end():]
    return mutate


_many_measures = _repeat(r"<measure\b.*?</measure>")
_many_xml_notes = _repeat(r"<note>.*?</note>")
_many_parts = _repeat(r"<part id=.*?</part>")


def _remove_element(text, rng):
    tag = rng.choice(("divisions", "attributes", "time", "part-list", "pitch", "duration",
                      "score-part", "measure"))
    found = list(re.finditer(rf"<{tag}\b.*?</{tag}>", text, re.S))
    if not found:
        return text
    match = rng.choice(found)
    return text[:match.start()] + text[match.end():]


XML_MUTATIONS = {
    "number": _number, "add_numbers": _add_numbers, "huge_metre": _huge_metre,
    "deep_nesting": _deep_nesting, "entities": _entities, "many_measures": _many_measures,
    "many_xml_notes": _many_xml_notes, "many_parts": _many_parts,
    "remove_element": _remove_element,
}


def _xml_of(data: bytes) -> bytes:
    if not data.startswith(b"PK"):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".musicxml"))
        return archive.read(name)


def mutate_musicxml(data: bytes, suffix: str, rng: random.Random) -> tuple[str, bytes, str]:
    text = _xml_of(data).decode("utf-8")
    name = rng.choice(sorted(XML_MUTATIONS))
    out, damage = blind_damage(XML_MUTATIONS[name](text, rng).encode("utf-8"), rng)
    how = [name, *damage]
    if suffix == ".mxl" or rng.random() < 0.05:
        out, packing = _pack(out, rng)
        suffix = ".mxl"
        how.append(packing)
    return suffix, out, "+".join(how)


def _pack(xml: bytes, rng: random.Random) -> tuple[bytes, str]:
    """An .mxl archive: a good one, a bomb, one naming a missing file, or a broken one."""
    kind = rng.choice(("zip", "bomb", "missing", "broken"))
    if kind == "bomb":
        return _bomb(), kind
    target = "elsewhere.musicxml" if kind == "missing" else "score.musicxml"
    packed = _archive({"META-INF/container.xml": CONTAINER.format(target).encode(),
                       "score.musicxml": xml})
    if kind == "broken":
        at = rng.randrange(len(packed))
        packed = packed[:at] + rng.randbytes(8) + packed[at + 8:]
    return packed, kind


CONTAINER = ('<?xml version="1.0"?><container><rootfiles><rootfile full-path="{}"/>'
             "</rootfiles></container>")


def _archive(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@functools.cache
def _bomb() -> bytes:
    """200 KB that unpack to a 200 MB score (made once: compressing it takes a second)."""
    xml = b'<?xml version="1.0"?><score-partwise>' + b" " * 200_000_000 + b"</score-partwise>"
    return _archive({"META-INF/container.xml": CONTAINER.format("score.musicxml").encode(),
                     "score.musicxml": xml})
