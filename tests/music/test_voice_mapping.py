"""Real files' tracks to voices: names first, doublings dropped, the outer lines kept,
and a stray chord or grace note resolved inside its own track (issue 15)."""

from pathlib import Path

import pretty_midi
import pytest

from composer.music.files import read_score
from composer.music.voicing import RawNote, RawTrack, assign_voices, voice_of_name

Q = 0.5  # a quarter at 120 BPM, in seconds
# a chorale phrase where the soprano has the fewest notes, as in most Bach chorales
SOPRANO = [(0, 2, 72), (2, 4, 71), (4, 8, 72)]
ALTO = [(0, 1, 67), (1, 2, 65), (2, 4, 67), (4, 6, 67), (6, 8, 64)]
TENOR = [(0, 1, 64), (1, 2, 62), (2, 3, 62), (3, 4, 60), (4, 6, 60), (6, 7, 59), (7, 8, 60)]
BASS = [(i, i + 1, p) for i, p in enumerate((48, 50, 43, 45, 41, 43, 48, 36))]
LINES = [SOPRANO, ALTO, TENOR, BASS]


def _write(path: Path, tracks: list[tuple[str, list[tuple[float, float, int]]]]) -> Path:
    midi = pretty_midi.PrettyMIDI(initial_tempo=120)
    for name, notes in tracks:
        inst = pretty_midi.Instrument(0, name=name)
        inst.notes = [pretty_midi.Note(90, p, s * Q, e * Q) for s, e, p in notes]
        midi.instruments.append(inst)
    midi.write(str(path))
    return path


def _pitches(result) -> list[list[int]]:
    return [[n.pitch for n in voice] for voice in result.score.voices]


def _expected(lines=LINES) -> list[list[int]]:
    return [[p for _, _, p in line] for line in lines]


def _text(result) -> str:
    return " ".join(result.messages)


@pytest.mark.parametrize("names", [("Soprano", "Alto", "Tenor", "Bass", "Continuo"),
                                   ("", "", "", "", "")])
def test_five_tracks_with_a_continuo_keep_the_soprano(tmp_path, names):
    continuo = BASS + [(i + 0.5, i + 1, p) for i, p in ((0, 47), (2, 45))]  # passing notes
    continuo = [(s, min(e, s + 0.5) if s + 0.5 in (0.5, 2.5) else e, p) for s, e, p in continuo]
    tracks = list(zip(names, [*LINES, continuo]))
    result = read_score(_write(tmp_path / "bwv.mid", tracks))
    assert _pitches(result) == _expected()
    if names[0]:
        assert "dropped track 'Continuo' (doubles the bass)" in _text(result)
    else:
        assert "dropped track 'Track 5' (doubles track 'Track 4')" in _text(result)


def test_eight_tracks_with_doublings_and_shuffled_names(tmp_path):
    tracks = [("Violino I", SOPRANO), ("Tenore", TENOR), ("Cantus", SOPRANO),
              ("Alt", ALTO), ("Basso", BASS), ("Oboe", ALTO), ("Viola", TENOR),
              ("Basso continuo", BASS)]
    result = read_score(_write(tmp_path / "eight.mid", tracks))
    assert _pitches(result) == _expected()
    text = _text(result)
    for dropped, voice in (("Violino I", "soprano"), ("Oboe", "alto"), ("Viola", "tenor"),
                           ("Basso continuo", "bass")):
        assert f"dropped track '{dropped}' (doubles the {voice})" in text


def test_unnamed_tracks_keep_the_highest_and_lowest_lines(tmp_path):
    # the soprano has the fewest notes; a violin doubles it, a continuo the bass
    tracks = [("", BASS), ("", SOPRANO), ("", TENOR), ("", ALTO), ("", SOPRANO), ("", BASS)]
    result = read_score(_write(tmp_path / "unnamed.mid", tracks))
    assert _pitches(result) == _expected()
    text = _text(result)
    assert "dropped track 'Track 5' (doubles track 'Track 2')" in text
    assert "dropped track 'Track 6' (doubles track 'Track 1')" in text


def test_an_inner_line_that_doubles_nothing_is_left_out_not_the_sparse_soprano(tmp_path):
    # five independent lines: the outer ones survive though the soprano has fewest notes
    fill = [(i / 2, (i + 1) / 2, 57 + i % 2) for i in range(16)]
    tracks = [("", SOPRANO), ("", ALTO), ("", fill), ("", TENOR), ("", BASS)]
    result = read_score(_write(tmp_path / "five.mid", tracks))
    pitches = _pitches(result)
    assert pitches[0] == _expected()[0] and pitches[3] == _expected()[3]
    assert "an inner line" in _text(result)


def test_a_grace_note_and_a_two_note_chord_stay_in_their_track(tmp_path):
    soprano = SOPRANO + [(1.9, 1.95, 74)]  # a grace note before the second note
    soprano += [(4, 8, 76)]  # a two-note chord on the last note
    alto = ALTO + [(6, 8, 60)]  # a two-note chord in the alto: its top note stays
    bass = BASS + [(7, 8, 24)]  # and one in the bass: its bottom note stays
    tracks = [("", soprano), ("", alto), ("", TENOR), ("", bass)]
    result = read_score(_write(tmp_path / "grace.mid", tracks))
    expected = _expected()
    expected[0][-1] = 76
    expected[3][-1] = 24
    assert _pitches(result) == expected
    assert "Chords were shared out" not in _text(result)
    assert "4 note(s) left out" in _text(result)


def test_a_grace_note_before_the_beat_is_left_out(tmp_path):
    bass = BASS[:2] + [(1.8, 1.85, 55)] + BASS[2:]  # quantizes to a sixteenth before beat 3
    tracks = [("", SOPRANO), ("", ALTO), ("", TENOR), ("", bass)]
    result = read_score(_write(tmp_path / "grace.mid", tracks))
    assert _pitches(result) == _expected()
    assert "1 note(s) left out" in _text(result)


def test_four_named_voices_and_an_independent_track(tmp_path):
    descant = [(i, i + 1, 79 + i % 2) for i in range(8)]
    tracks = [("Descant", descant), ("S", SOPRANO), ("A", ALTO), ("T", TENOR), ("B", BASS)]
    result = read_score(_write(tmp_path / "named.mid", tracks))
    assert _pitches(result) == _expected()
    assert "dropped track 'Descant' (the four voices are named)" in _text(result)


def test_a_chord_track_is_still_shared_out(tmp_path):
    chords = [(0, 1, p) for p in (72, 67, 64, 48)] + [(1, 2, p) for p in (74, 67, 62, 43)]
    result = read_score(_write(tmp_path / "piano.mid", [("Piano", chords)]))
    assert _pitches(result) == [[72, 74], [67, 67], [64, 62], [48, 43]]
    assert "Chords were shared out" in _text(result)


@pytest.mark.parametrize(("name", "voice"), [
    ("Soprano", 0), ("S", 0), ("Sop.", 0), ("Sopran", 0), ("Cantus", 0), ("Discant", 0),
    ("Choir Soprano", 0), ("Chor Sopran 1", 0), ("Alto", 1), ("A", 1), ("Alt", 1),
    ("Altus", 1), ("Tenor", 2), ("T", 2), ("Tenore", 2), ("Coro: Tenor", 2), ("Bass", 3),
    ("B", 3), ("Basso", 3), ("Bassus", 3),
    ("Basso continuo", None), ("Continuo", None), ("Alto Sax", None), ("Bass Guitar", None),
    ("Track 1", None), ("Violino I", None), ("", None),
])
def test_voice_names_in_their_usual_forms(name, voice):
    assert voice_of_name(name) == voice


def test_hundreds_of_tracks_are_quick_and_summed_up():
    tracks = [RawTrack(f"Part {k}", [RawNote(i, i + 1, 40 + (i * k) % 41) for i in range(40)])
              for k in range(300)]
    voicing = assign_voices(tracks)
    assert all(voicing.voices)
    assert "more track(s)" in voicing.messages[-1]
    assert voicing.messages[-1].count("dropped track '") == 12
