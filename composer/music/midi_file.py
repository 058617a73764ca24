"""MIDI files through pretty_midi.

A written file holds everything a `Score` holds: four named tracks, tempo, time signature,
key signature, fermatas (text events) and the score's length (an end marker), so the app
can save its documents as plain MIDI that any other program opens too.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pretty_midi

from composer.atomic_write import atomic_open
from composer.music.errors import FileFormatError, ScoreError
from composer.music.keys import key_name, key_number
from composer.music.score import STEPS_PER_QUARTER, VOICE_NAMES, Score, TimeSignature
from composer.music.voicing import RawNote, RawTrack, assign_voices

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


def _load(path: Path) -> pretty_midi.PrettyMIDI:
    if not path.exists():
        raise FileFormatError(f"{path} does not exist.")
    if path.stat().st_size == 0:
        raise FileFormatError(f"{path.name} is empty (0 bytes): it holds no MIDI data.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pretty_midi.PrettyMIDI(str(path))
    except Exception as exc:  # pretty_midi and mido raise many types for broken files
        raise FileFormatError(
            f"{path.name} is not a readable MIDI file ({type(exc).__name__}: {exc}). "
            "It may be truncated or not MIDI at all; export it again from the program "
            "that made it."
        ) from None


def read_midi(path: str | Path) -> tuple[Score, list[str]]:
    """The score in a MIDI file, and notes on what had to change to fit four voices."""
    path = Path(path)
    midi = _load(path)

    def steps(time: float) -> float:
        return midi.time_to_tick(time) / midi.resolution * STEPS_PER_QUARTER

    tracks = []
    drums = 0
    for i, inst in enumerate(midi.instruments):
        if inst.is_drum:
            drums += len(inst.notes)
            continue
        name = inst.name.strip() or f"Track {i + 1}"
        notes = [RawNote(steps(n.start), steps(n.end), n.pitch, n.velocity) for n in inst.notes]
        tracks.append(RawTrack(name, notes))
    ends = [round(steps(t.time)) for t in midi.text_events if t.text == END_TEXT]
    if not any(t.notes for t in tracks) and not ends:
        what = "only drum notes" if drums else "no notes"
        raise FileFormatError(f"{path.name} has {what}: there is nothing to put in four voices.")

    voicing = assign_voices(tracks)
    messages = list(voicing.messages)
    if drums:
        messages.insert(0, f"Ignored {drums} drum note(s).")

    _, tempi = midi.get_tempo_changes()
    tempo = float(tempi[0]) if len(tempi) else 120.0
    if len(tempi) > 1:
        messages.append(f"The file changes tempo; kept the first ({tempo:.0f} BPM).")
    time_signature = TimeSignature()
    if midi.time_signature_changes:
        first = midi.time_signature_changes[0]
        try:
            time_signature = TimeSignature(first.numerator, first.denominator)
        except ScoreError as exc:
            messages.append(f"{exc}; used 4/4 instead.")
    key = None
    if midi.key_signature_changes:
        key = key_name(midi.key_signature_changes[0].key_number)
    fermatas = {round(steps(t.time)) for t in midi.text_events if t.text == FERMATA_TEXT}
    score = Score(
        voices=voicing.voices,
        tempo=min(400.0, max(10.0, tempo)),
        time_signature=time_signature,
        key=key,
        fermatas=frozenset(fermatas),
        length=ends[0] if ends else 0,
    )
    return score, messages
