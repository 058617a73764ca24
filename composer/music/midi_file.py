"""MIDI files: written through pretty_midi, read by `midi_parse`, which trusts nothing a
file declares about itself.

A written file holds everything a `Score` holds: four named tracks, tempo, time signature,
key signature, fermatas (text events) and the score's length (an end marker), so the app
can save its documents as plain MIDI that any other program opens too.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from pathlib import Path

import pretty_midi

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
from composer.music.keys import key_name, key_number
from composer.music.midi_parse import MidiContent, parse_midi
from composer.music.score import VOICE_NAMES, Score, TimeSignature
from composer.music.voicing import RawNote, RawTrack, assign_voices
from composer.work import Cancel, Progress

CHOIR_AAHS = 52
FERMATA_TEXT = "fermata"
END_TEXT = "composer:end"
RESOLUTION = 480


def write_midi(score: Score, path: str | Path, program: int = CHOIR_AAHS) -> None:
    midi = pretty_midi.PrettyMIDI(resolution=RESOLUTION, initial_tempo=score.tempo)
    seconds = score.seconds_per_step()
    ts = score.time_signature
    midi.time_signature_changes.append(pretty_midi.TimeSignature(ts.numerator, ts.denominator, 0))
    if score.key is not None:
        midi.key_signature_changes.append(pretty_midi.KeySignature(key_number(score.key), 0))
    for name, notes in zip(VOICE_NAMES, score.voices):
        track = pretty_midi.Instrument(program=program, name=name)
        for n in notes:
            track.notes.append(
                pretty_midi.Note(n.velocity, n.pitch, n.start * seconds, n.end * seconds)
            )
        midi.instruments.append(track)
    for step in sorted(score.fermatas):
        midi.text_events.append(pretty_midi.Text(FERMATA_TEXT, step * seconds))
    midi.text_events.append(pretty_midi.Text(END_TEXT, score.length * seconds))
    with atomic_open(path) as file:
        midi.write(file)


def read_midi(path: str | Path, progress: Progress | None = None,
              cancel: Cancel | None = None) -> tuple[Score, list[str]]:
    """The score in a MIDI file, and notes on what had to change to fit four voices.
    `progress(done, total)` counts the file's bytes as they are read."""
    path = Path(path)
    midi = parse_midi(file_bytes(path, "MIDI"), path.name, progress, cancel)
    tracks, drums = _tracks(midi)
    ends = [round(midi.steps(tick)) for tick, text in midi.texts if text == END_TEXT]
    if not any(t.notes for t in tracks) and not ends:
        what = "only drum notes" if drums else "no notes"
        raise FileFormatError(f"{path.name} has {what}: there is nothing to put in four voices.")
    first = min((n.start for t in tracks for n in t.notes), default=0.0)
    last = max((n.end for t in tracks for n in t.notes), default=0.0)
    end = max(last, *ends, 0)
    messages: list[str] = []
    time_signature, bar_of = _metre(midi, first, end, messages)
    tempo = _tempo(midi, bar_of, first, end, messages)
    check_duration(path.name, end, tempo)

    voicing = assign_voices(tracks)
    messages[:0] = voicing.messages
    if drums:
        messages.insert(0, f"Ignored {drums} drum note(s).")
    key = _key(midi, messages)
    fermatas = {round(midi.steps(tick)) for tick, text in midi.texts if text == FERMATA_TEXT}
    score = Score(
        voices=voicing.voices,
        tempo=tempo,
        time_signature=time_signature,
        key=key,
        fermatas=frozenset(fermatas),
        length=ends[0] if ends else 0,
    )
    return score, messages


def _tracks(midi: MidiContent) -> tuple[list[RawTrack], int]:
    """The pitched instruments as tracks in sixteenth steps, and how many drum notes
    there were."""
    tracks, drums = [], 0
    for i, inst in enumerate(midi.instruments):
        if inst.is_drum:
            drums += len(inst.notes)
            continue
        name = inst.name.strip() or f"Track {i + 1}"
        notes = [RawNote(midi.steps(start), midi.steps(end), pitch, velocity)
                 for start, end, pitch, velocity in inst.notes]
        tracks.append(RawTrack(name, notes))
    return tracks, drums


def _tempo(midi: MidiContent, bar_of: Callable[[float], int], first: float, end: float,
           messages: list[str]) -> float:
    """The tempo most of the music is played at, set in any track, within what a score
    holds; a change is reported with what was kept. MIDI plays at 120 BPM until a tempo
    event says otherwise."""
    changes = [Change(0.0, 1, 120.0)]
    changes += [Change(midi.steps(tick), bar_of(midi.steps(tick)), bpm)
                for tick, bpm in midi.tempos]
    sounding = in_effect(changes, first, end)
    bpm = held_longest(sounding, first, end)
    tempo = kept_tempo(bpm)
    message = tempo_message(sounding, bpm)
    if message:
        messages.append(message)
    if tempo != bpm:
        low, high = TEMPO_RANGE
        messages.append(f"The file's tempo of {bpm:,.0f} BPM is outside {low:.0f}-{high:.0f}; "
                        f"used {tempo:.0f} BPM.")
    return tempo


def _metre(midi: MidiContent, first: float, end: float, messages: list[str]
           ) -> tuple[TimeSignature, Callable[[float], int]]:
    """The metre most of the music is in (4/4 where the file sets none), a change reported
    with what was kept, and the file's bar numbers by step (each metre event starts a bar,
    as sequencers count them)."""
    changes = [Change(0.0, 1, TimeSignature())]
    refused = []
    for tick, numerator, denominator in sorted(midi.time_signatures, key=lambda t: t[0]):
        try:
            changes.append(Change(midi.steps(tick), 0, TimeSignature(numerator, denominator)))
        except ScoreError as exc:
            refused.append(str(exc))
    if refused:
        messages.append(f"{refused[0]}; left it out"
                        + (f", and {len(refused) - 1} more like it." if len(refused) > 1 else "."))
    bar_of = _bars(changes)
    changes = [Change(c.step, bar_of(c.step), c.value) for c in changes]
    sounding = in_effect(changes, first, end)
    kept = held_longest(sounding, first, end)
    message = metre_message(sounding, kept)
    if message:
        messages.append(message)
    return kept, bar_of


def _bars(changes: list[Change[TimeSignature]]) -> Callable[[float], int]:
    """The bar a step falls in, counting from 1 through each metre in turn."""
    sections: list[tuple[float, int, int]] = []  # (step, its bar, steps per bar)
    for change in changes:
        if sections and change.step == sections[-1][0]:
            sections.pop()
        bar = 1
        if sections:
            step, first_bar, length = sections[-1]
            bar = first_bar + math.ceil((change.step - step) / length)
        sections.append((change.step, bar, change.value.steps_per_bar))

    starts = [section[0] for section in sections]

    def bar_of(step: float) -> int:
        start, bar, length = sections[max(0, bisect.bisect_right(starts, step) - 1)]
        return bar + int(max(0.0, step - start) // length)

    return bar_of


def _key(midi: MidiContent, messages: list[str]) -> str | None:
    if not midi.keys:
        return None
    _, sharps, minor = min(midi.keys, key=lambda k: k[0])
    if not (-7 <= sharps <= 7 and minor in (0, 1)):
        messages.append(f"The file's key signature ({sharps} sharps, mode {minor}) is not a "
                        "key; left the key unset.")
        return None
    tonic = (sharps * 7 + (9 if minor else 0)) % 12
    return key_name(tonic + 12 * minor)
