"""Standard MIDI Files read byte by byte, trusting nothing they declare.

pretty_midi (through mido) believed what a file said about itself: a mutated file made it
allocate gigabytes (an array of one number per tick up to the last event) or spend
seconds on a delta time of thousands of bytes. Here every chunk and event length is
checked against the bytes that are there, a delta time has at most the four bytes the
standard allows, and the counts of chunks, events and notes and the length in ticks are
checked against `import_limits` as they grow: a hostile file is refused after work in
proportion to its size, which is itself limited. Only what a `Score` can use is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from composer.music.errors import FileFormatError
from composer.music.import_limits import (
    MAX_MIDI_EVENTS,
    MAX_MIDI_NOTES,
    MAX_MIDI_TRACKS,
    MAX_QUARTERS,
    TEMPO_RANGE,
    too_long,
    too_many,
)
from composer.music.score import STEPS_PER_QUARTER
from composer.work import Cancel, Cancelled, Progress

DRUM_CHANNEL = 9
_SYSTEM_DATA = {0xF1: 1, 0xF2: 2, 0xF3: 1, 0xF6: 0, 0xF8: 0, 0xFA: 0, 0xFB: 0, 0xFC: 0,
                0xFE: 0}  # data bytes of the system messages a file may (oddly) hold
_CHECK_EVERY = 4096  # events between progress reports and cancel checks


@dataclass
class MidiInstrument:
    """The notes of one channel and program within one track, as pretty_midi groups them."""
    name: str
    is_drum: bool
    # (start tick, end tick, pitch, velocity)
    notes: list[tuple[int, int, int, int]] = field(default_factory=list)


@dataclass
class MidiContent:
    resolution: int  # ticks per quarter note
    instruments: list[MidiInstrument] = field(default_factory=list)
    tempos: list[tuple[int, float]] = field(default_factory=list)  # (tick, BPM)
    time_signatures: list[tuple[int, int, int]] = field(default_factory=list)
    keys: list[tuple[int, int, int]] = field(default_factory=list)  # (tick, sharps, minor)
    texts: list[tuple[int, str]] = field(default_factory=list)

    def steps(self, tick: int) -> float:
        return tick / self.resolution * STEPS_PER_QUARTER


class _Budget:
    """What the file has used of the limits so far, and where it is for progress."""

    def __init__(self, name: str, resolution: int, size: int, progress: Progress | None,
                 cancel: Cancel | None):
        self.name, self.size = name, size
        self.max_ticks = int(MAX_QUARTERS * resolution)
        self.resolution = resolution
        self.chunks = self.events = self.notes = 0
        self.progress, self.cancel = progress, cancel

    def checkpoint(self, offset: int, events: int) -> None:
        self.events += events
        if self.events > MAX_MIDI_EVENTS:
            raise too_many(self.name, f"more than {MAX_MIDI_EVENTS:,}", MAX_MIDI_EVENTS,
                           "MIDI events")
        if self.cancel is not None and self.cancel():
            raise Cancelled(f"opening {self.name} cancelled")
        if self.progress is not None:
            self.progress(offset, self.size)

    def too_long(self, tick: int) -> FileFormatError:
        """Even at the fastest tempo a score can have, the file lasts over an hour."""
        return too_long(self.name, tick / self.resolution * STEPS_PER_QUARTER, TEMPO_RANGE[1])


def parse_midi(data: bytes, name: str, progress: Progress | None = None,
               cancel: Cancel | None = None) -> MidiContent:
    """Everything a score can use from a Standard MIDI File, or FileFormatError naming
    `name` and what is wrong. `progress(done, total)` counts bytes read."""
    resolution, at = _header(data, name)
    content = MidiContent(resolution)
    budget = _Budget(name, resolution, len(data), progress, cancel)
    tracks = 0
    while at + 8 <= len(data):
        kind, length = data[at:at + 4], int.from_bytes(data[at + 4:at + 8], "big")
        body, at = at + 8, at + 8 + length
        budget.chunks += 1
        if budget.chunks > MAX_MIDI_TRACKS:
            raise too_many(name, f"more than {MAX_MIDI_TRACKS}", MAX_MIDI_TRACKS, "tracks")
        if kind != b"MTrk":
            continue  # the standard says to skip chunks of unknown kinds
        if at > len(data):
            raise FileFormatError(
                f"{name} is truncated: track {tracks + 1} declares {length:,} bytes but only "
                f"{len(data) - body:,} follow. Export it again from the program that made it.")
        _Track(content, budget, tracks).parse(data[body:at], body)
        tracks += 1
    if not tracks:
        raise FileFormatError(f"{name} holds no tracks: it has a MIDI header but no music.")
    if progress is not None:
        progress(len(data), len(data))
    return content


def _header(data: bytes, name: str) -> tuple[int, int]:
    """Ticks per quarter note, and where the first chunk after the header starts."""
    if data[:4] != b"MThd" or len(data) < 14:
        raise FileFormatError(
            f"{name} is not a readable MIDI file: it does not start with a MIDI header "
            "(MThd). It may be another kind of file with a .mid name; export it again as "
            "MIDI from the program that made it.")
    length = int.from_bytes(data[4:8], "big")
    if not 6 <= length <= len(data) - 8:
        raise FileFormatError(
            f"{name} is not a readable MIDI file: its header declares {length:,} bytes "
            f"(a MIDI header has 6, and the file has {len(data):,}).")
    division = int.from_bytes(data[12:14], "big")
    if division & 0x8000:
        raise FileFormatError(
            f"{name} counts time in SMPTE frames, not in beats; Composer reads MIDI files "
            "timed in beats. Export it again with a tempo-based time division.")
    if division == 0:
        raise FileFormatError(f"{name} is not a readable MIDI file: it declares 0 ticks "
                              "per beat, so no event has a place in time.")
    return division, 8 + length


class _Track:
    """One MTrk chunk: notes paired on and off per channel and pitch (a note-off ends
    every sounding note of its pitch that began before it, as pretty_midi does)."""

    def __init__(self, content: MidiContent, budget: _Budget, index: int):
        self.content, self.budget, self.index = content, budget, index
        self.name: str | None = None
        self.programs = [0] * 16
        self.sounding: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        self.instruments: dict[tuple[int, int], MidiInstrument] = {}

    def parse(self, body: bytes, offset: int) -> None:
        try:
            self._events(body, offset)
        except IndexError:
            raise self._broken("ends in the middle of an event") from None
        for instrument in self.instruments.values():
            instrument.name = self.name or ""

    def _broken(self, problem: str) -> FileFormatError:
        return FileFormatError(
            f"{self.budget.name} is not a readable MIDI file: track {self.index + 1} "
            f"{problem}. It may be damaged; export it again from the program that made it.")

    def _events(self, body: bytes, offset: int) -> None:
        at = tick = running = events = 0
        max_ticks = self.budget.max_ticks
        while at < len(body):
            delta, at = self._delta(body, at)
            tick += delta
            if tick > max_ticks:
                raise self.budget.too_long(tick)
            status = body[at]
            if status >= 0x80:
                at += 1
                running = status if status < 0xF0 else running
            elif running:
                status = running
            else:
                raise self._broken("has a data byte where an event should start")
            if status < 0xF0:
                at = self._channel(body, at, status, tick)
            elif status == 0xFF:
                at = self._meta(body, at, tick)
                if at < 0:
                    break  # end of track
            else:
                at = self._system(body, at, status)
            events += 1
            if events == _CHECK_EVERY:
                self.budget.checkpoint(offset + at, events)
                events = 0
        self.budget.checkpoint(offset + len(body), events)

    def _delta(self, body: bytes, at: int) -> tuple[int, int]:
        """A variable-length number of at most four bytes, as the standard allows."""
        value = 0
        for _ in range(4):
            byte = body[at]
            at += 1
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                return value, at
        raise self._broken("has a number longer than the four bytes MIDI allows")

    def _channel(self, body: bytes, at: int, status: int, tick: int) -> int:
        kind, channel = status & 0xF0, status & 0x0F
        if kind in (0xC0, 0xD0):
            first, second, at = body[at], 0, at + 1
        else:
            first, second, at = body[at], body[at + 1], at + 2
        if (first | second) & 0x80:
            raise self._broken("has a status byte inside an event's data")
        if kind == 0x90 and second:
            self._note_on(channel, first, second, tick)
        elif kind in (0x80, 0x90):
            self._note_off(channel, first, tick)
        elif kind == 0xC0:
            self.programs[channel] = first
        return at

    def _note_on(self, channel: int, pitch: int, velocity: int, tick: int) -> None:
        self.budget.notes += 1
        if self.budget.notes > MAX_MIDI_NOTES:
            raise too_many(self.budget.name, f"more than {MAX_MIDI_NOTES:,}", MAX_MIDI_NOTES,
                           "notes")
        self.sounding.setdefault((channel, pitch), []).append(
            (tick, velocity, self.programs[channel]))

    def _note_off(self, channel: int, pitch: int, tick: int) -> None:
        started = self.sounding.pop((channel, pitch), None)
        if not started:
            return
        ending = [s for s in started if s[0] != tick]
        if ending and len(ending) < len(started):  # notes that begin now keep sounding
            self.sounding[(channel, pitch)] = [s for s in started if s[0] == tick]
        for start, velocity, program in ending:
            self._instrument(channel, program).notes.append((start, tick, pitch, velocity))

    def _instrument(self, channel: int, program: int) -> MidiInstrument:
        key = (channel, program)
        if key not in self.instruments:
            self.instruments[key] = MidiInstrument("", channel == DRUM_CHANNEL)
            self.content.instruments.append(self.instruments[key])
        return self.instruments[key]

    def _payload(self, body: bytes, at: int) -> tuple[bytes, int]:
        length, at = self._delta(body, at)
        if at + length > len(body):
            raise self._broken(f"has an event of {length:,} bytes running past its end")
        return body[at:at + length], at + length

    def _meta(self, body: bytes, at: int, tick: int) -> int:
        """After the meta event, or -1 at the end of the track."""
        kind = body[at]
        data, at = self._payload(body, at + 1)
        content = self.content
        if kind == 0x2F:
            return -1
        if kind == 0x01:
            content.texts.append((tick, data.decode("latin-1")))
        elif kind == 0x03 and self.name is None:
            self.name = data.decode("latin-1")
        elif kind == 0x51 and len(data) == 3 and int.from_bytes(data, "big"):
            content.tempos.append((tick, 60e6 / int.from_bytes(data, "big")))
        elif kind == 0x58 and len(data) >= 2:
            content.time_signatures.append((tick, data[0], 2 ** min(data[1], 16)))
        elif kind == 0x59 and len(data) == 2:
            content.keys.append((tick, int.from_bytes(data[:1], "big", signed=True), data[1]))
        return at

    def _system(self, body: bytes, at: int, status: int) -> int:
        if status in (0xF0, 0xF7):
            return self._payload(body, at)[1]
        if status not in _SYSTEM_DATA:
            raise self._broken(f"has an event of unknown kind (status byte {status:#04x})")
        return at + _SYSTEM_DATA[status]
