from pathlib import Path

import pretty_midi
import pytest
from hypothesis import HealthCheck, given, settings

from composer.music.errors import FileFormatError
from composer.music.files import read_score, write_score
from composer.music.score import Note, Score

from .strategies import scores

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(score=scores())
def test_score_midi_score_round_trip_keeps_everything(tmp_path, score):
    path = tmp_path / "round.mid"
    write_score(path, score)
    result = read_score(path)
    assert result.score == score
    assert result.messages == []


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(score=scores(whole_bars=True, velocity=False))
def test_score_musicxml_score_round_trip_keeps_everything(tmp_path, score):
    path = tmp_path / "round.musicxml"
    write_score(path, score)
    assert read_score(path).score == score


def test_exported_midi_has_four_named_tracks_tempo_and_time_signature(tmp_path):
    score = Score(voices=((Note(0, 4, 72),), (Note(0, 4, 67),), (Note(0, 4, 64),),
                          (Note(0, 4, 48),)), tempo=66)
    write_score(tmp_path / "a.mid", score)
    midi = pretty_midi.PrettyMIDI(str(tmp_path / "a.mid"))
    assert [i.name for i in midi.instruments] == ["Soprano", "Alto", "Tenor", "Bass"]
    assert round(midi.get_tempo_changes()[1][0], 2) == 66
    ts = midi.time_signature_changes[0]
    assert (ts.numerator, ts.denominator) == (4, 4)


def _write_tracks(path: Path, tracks: list[list[tuple[float, float, int]]], drums=()) -> None:
    midi = pretty_midi.PrettyMIDI(initial_tempo=120)
    for i, notes in enumerate(tracks):
        inst = pretty_midi.Instrument(0, name=f"Part {i}")
        inst.notes = [pretty_midi.Note(90, p, s, e) for s, e, p in notes]
        midi.instruments.append(inst)
    if drums:
        kit = pretty_midi.Instrument(0, is_drum=True)
        kit.notes = [pretty_midi.Note(90, 36, s, s + 0.1) for s in drums]
        midi.instruments.append(kit)
    midi.write(str(path))


def test_multi_track_file_maps_tracks_to_voices_by_register(tmp_path):
    # at 120 BPM a sixteenth is 0.125 s; tracks in scrambled order
    tenor = [(0, 0.5, 55), (0.5, 1.0, 57)]
    soprano = [(0, 1.0, 72)]
    bass = [(0, 1.0, 43)]
    alto = [(0, 1.0, 64)]
    _write_tracks(tmp_path / "satb.mid", [tenor, soprano, bass, alto], drums=[0, 0.5])
    result = read_score(tmp_path / "satb.mid")
    pitches = [[n.pitch for n in v] for v in result.score.voices]
    assert pitches == [[72], [64], [55, 57], [43]]
    assert any("drum" in m for m in result.messages)


def test_single_polyphonic_track_is_split_into_four_voices(tmp_path):
    chords = [(0, 0.5, p) for p in (72, 67, 64, 48)] + [(0.5, 1.0, p) for p in (74, 67, 62, 43)]
    _write_tracks(tmp_path / "piano.mid", [chords])
    score = read_score(tmp_path / "piano.mid").score
    assert [[n.pitch for n in v] for v in score.voices] == [[72, 74], [67, 67], [64, 62], [48, 43]]


def test_wider_chords_keep_four_voices_and_say_so(tmp_path):
    chord = [(0, 1.0, p) for p in (76, 72, 67, 64, 60, 48)]
    _write_tracks(tmp_path / "wide.mid", [chord])
    result = read_score(tmp_path / "wide.mid")
    assert [v[0].pitch for v in result.score.voices] == [76, 64, 60, 48]
    assert any("2 note(s)" in m for m in result.messages)


def test_beyond_four_tracks_a_fragment_of_a_track_is_dropped_first(tmp_path):
    tracks = [[(i * 0.125, (i + 1) * 0.125, 60 + k) for i in range(k + 1)] for k in range(5)]
    _write_tracks(tmp_path / "five.mid", tracks)
    result = read_score(tmp_path / "five.mid")
    assert result.score.note_count() == 2 + 3 + 4 + 5
    assert any("dropped track 'Part 0' (a fragment: it sounds for 1 sixteenth(s)" in m
               for m in result.messages)


def test_off_grid_notes_are_quantized_and_the_shift_reported(tmp_path):
    _write_tracks(tmp_path / "swing.mid", [[(0.02, 0.5, 72)], [(0.0, 0.5, 60)]])
    result = read_score(tmp_path / "swing.mid")
    assert result.score.voices[0][0] == Note(0, 4, 72, 90)
    assert any("Quantized" in m and "0.16" in m for m in result.messages)


def test_truncated_midi_gives_a_clear_error(tmp_path):
    score = Score(voices=((Note(0, 4, 72), Note(4, 4, 74)), (), (), ()))
    write_score(tmp_path / "whole.mid", score)
    data = (tmp_path / "whole.mid").read_bytes()
    (tmp_path / "cut.mid").write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="cut.mid is truncated: track 2 declares"):
        read_score(tmp_path / "cut.mid")


@pytest.mark.parametrize("name, content, message", [
    ("text.mid", b"these are my chorale notes, not MIDI\n", "not a readable MIDI file"),
    ("empty.mid", b"", "empty"),
    ("empty.musicxml", b"", "empty"),
    ("junk.musicxml", b"<not-music>", "not a readable MusicXML file"),
])
def test_broken_files_give_a_clear_error(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(FileFormatError, match=message):
        read_score(tmp_path / name)


def test_file_without_notes_gives_a_clear_error(tmp_path):
    pretty_midi.PrettyMIDI().write(str(tmp_path / "silent.mid"))
    with pytest.raises(FileFormatError, match="has no notes"):
        read_score(tmp_path / "silent.mid")


def test_unknown_suffix_names_the_formats_composer_reads(tmp_path):
    with pytest.raises(FileFormatError, match=r"\.mid, \.midi, \.musicxml"):
        write_score(tmp_path / "x.wav", Score())
