"""Doublings an octave away are doublings too: a piccolo over the flute, a violin an octave
over the soprano, a 16' continuo under the bass are dropped, not taken for the outer
voices (issue 15)."""

from composer.music.files import read_score
from composer.music.voicing import RawNote, RawTrack, assign_voices
from tests.music.test_voice_mapping import _text, _write


def _line(*pitches: int) -> list[tuple[int, int, int]]:
    """A quarter note a pitch, as (start, end, pitch) in quarters."""
    return [(i, i + 1, p) for i, p in enumerate(pitches)]


S = _line(72, 74, 76, 77, 79, 77, 76, 74, 72, 71)
A = _line(67, 67, 69, 69, 71, 72, 71, 69, 67, 67)
T = _line(64, 62, 60, 62, 64, 65, 64, 62, 64, 62)
B = _line(48, 47, 45, 43, 41, 43, 45, 47, 48, 43)
SATB = [S, A, T, B]


def _moved(line, semitones: int):
    return [(s, e, p + semitones) for s, e, p in line]


def _pitches(voices) -> list[list[int]]:
    return [[n.pitch for n in voice] for voice in voices]


def _expected(lines=SATB) -> list[list[int]]:
    return [[p for *_, p in line] for line in lines]


def _raw(name: str, line) -> RawTrack:
    return RawTrack(name, [RawNote(s * 4, e * 4, p) for s, e, p in line])


def test_a_piccolo_over_the_flute_is_dropped_and_the_flute_sings_the_soprano(tmp_path):
    tracks = [("Piccolo", _moved(S, 12)), ("Flute", S), ("Oboe", A), ("Clarinet", T),
              ("Bassoon", B)]
    result = read_score(_write(tmp_path / "winds.mid", tracks))
    assert _pitches(result.score.voices) == _expected()
    assert "dropped track 'Piccolo' (doubles track 'Flute' an octave higher)" in _text(result)


def test_a_violin_an_octave_over_the_named_soprano_is_dropped_as_its_doubling(tmp_path):
    tracks = [("Violino I", _moved(S, 12)), ("Soprano", S), ("Alto", A), ("Tenor", T),
              ("Bass", B)]
    result = read_score(_write(tmp_path / "violin.mid", tracks))
    assert _pitches(result.score.voices) == _expected()
    assert "dropped track 'Violino I' (doubles the soprano an octave higher)" in _text(result)


def test_an_unnamed_line_an_octave_under_the_bass_does_not_become_the_bass(tmp_path):
    # listed first and unnamed: only its register tells the 16' line from the bass
    tracks = [("", _moved(B, -12)), ("", S), ("", A), ("", T), ("", B)]
    result = read_score(_write(tmp_path / "continuo.mid", tracks))
    assert _pitches(result.score.voices) == _expected()
    assert "dropped track 'Track 1' (doubles track 'Track 5' an octave lower)" in _text(result)


def test_a_doubling_two_octaves_up_with_a_note_of_its_own_is_still_a_doubling():
    high = _moved(S, 24)
    high[3] = (3, 4, 98)  # one note of ten its own: nine start the soprano's pitch class
    tracks = [_raw("Glockenspiel", high), *(_raw(n, line) for n, line in zip("SATB", SATB))]
    voicing = assign_voices(tracks)
    assert _pitches(voicing.voices) == _expected()
    assert ("dropped track 'Glockenspiel' (doubles the soprano two octaves higher)"
            in " ".join(voicing.messages))


def test_four_tracks_stay_four_voices_though_two_move_in_octaves():
    tenor = _moved(S, -12)  # the tune in octaves, as a hymn's tenor may double it
    voicing = assign_voices([_raw("", line) for line in (S, A, tenor, B)])
    assert _pitches(voicing.voices) == _expected([S, A, tenor, B])
    assert not any("doubles" in m for m in voicing.messages)


def test_a_line_an_octave_away_on_too_few_of_its_steps_is_no_doubling():
    # a fifth line an octave over the soprano at seven of its ten onsets: under the
    # threshold, so it is left out as an inner line with fewer notes, not as a doubling
    other = _moved(S, 12)
    for i, p in ((1, 88), (4, 89), (7, 88)):
        other[i] = (i, i + 1, p)
    other = other[:9]  # one note fewer than the soprano
    voicing = assign_voices([_raw("", line) for line in (other, S, A, T, B)])
    assert not any("doubles" in m for m in voicing.messages)
    assert "dropped track 'Track 1'" not in " ".join(voicing.messages)  # the top line stays
