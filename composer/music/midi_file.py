"""MIDI files: written through pretty_midi, read by `midi_parse`, which trusts nothing a
file declares about itself.

A written file holds everything a `Score` holds: four named tracks, tempo, time signature,
key signature, fermatas (text events) and the score's length (an end marker), so the app
can save its documents as plain MIDI that any other program opens too.
"""

from __future__ import annotations

from pathlib import Path

import pretty_midi

from composer.atomic_write import atomic_open
from composer.music.errors import FileFormatError, ScoreError
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
    tempo, messages = _tempo(midi)
    last = max((n.end for t in tracks for n in t.notes), default=0.0)
    check_duration(path.name, max(last, *ends, 0), tempo)

    voicing = assign_voices(tracks)
    messages[:0] = voicing.messages
    if drums:
        messages.insert(0, f"Ignored {drums} drum note(s).")
    time_signature, key = _time_signature(midi, messages), _key(midi, messages)
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


def _tempo(midi: MidiContent) -> tuple[float, list[str]]:
    """The first tempo, within what a score holds. MIDI plays at 120 BPM until a tempo
    event says otherwise; a repeated tempo is no change."""
    changes = [(0, 120.0)]
    for tick, bpm in sorted(midi.tempos, key=lambda t: t[0]):
        if tick == 0:
            changes[0] = (0, bpm)
        elif bpm != changes[-1][1]:
            changes.append((tick, bpm))
    bpm = changes[0][1]
    tempo = kept_tempo(bpm)
    messages = []
    if len(changes) > 1:
        messages.append(f"The file changes tempo; kept the first ({tempo:.0f} BPM).")
    if tempo != bpm:
        low, high = TEMPO_RANGE
        messages.append(f"The file's tempo of {bpm:,.0f} BPM is outside {low:.0f}-{high:.0f}; "
                        f"used {tempo:.0f} BPM.")
    return tempo, messages


def _time_signature(midi: MidiContent, messages: list[str]) -> TimeSignature:
    if not midi.time_signatures:
        return TimeSignature()
    _, numerator, denominator = min(midi.time_signatures, key=lambda t: t[0])
    try:
        return TimeSignature(numerator, denominator)
    except ScoreError as exc:
        messages.append(f"{exc}; used 4/4 instead.")
        return TimeSignature()


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
