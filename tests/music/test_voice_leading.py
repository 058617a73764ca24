import pytest

from composer.music.score import Note, Score
from composer.music.voice_leading import voice_leading


def chords(*rows: tuple[int, int, int, int], length: int = 4) -> Score:
    """One chord per row (S, A, T, B pitches; -1 for a rest), each `length` steps long."""
    voices = tuple(
        tuple(Note(i * length, length, row[v]) for i, row in enumerate(rows) if row[v] >= 0)
        for v in range(4))
    return Score(voices=voices, length=len(rows) * length)


def test_similar_motion_between_fifths_counts_as_parallel_fifths():
    score = chords((72, 67, 60, 48), (74, 69, 62, 50))  # C major up a tone to D minor
    counts = voice_leading(score)
    assert counts.parallel_fifths == 2  # the alto a fifth (and a twelfth) above T and B
    assert counts.parallel_octaves == 3  # S-T, S-B and T-B move in octaves
    assert counts.chords == 2


def test_contrary_or_oblique_motion_into_a_fifth_is_allowed():
    contrary = chords((72, 67, 60, 48), (71, 67, 62, 55))
    assert voice_leading(contrary).parallel_fifths == 0
    oblique = chords((72, 67, 60, 48), (72, 67, 60, 53))
    assert voice_leading(oblique).parallel_fifths == 0
    repeated = chords((72, 67, 60, 48), (72, 67, 60, 48))
    assert voice_leading(repeated).parallel_fifths == 0
    assert voice_leading(repeated).parallel_octaves == 0


def test_a_fifth_then_an_other_interval_is_not_parallel():
    score = chords((72, 67, 60, 48), (74, 71, 62, 55))  # alto-tenor: a fifth, then a sixth
    assert voice_leading(score).parallel_fifths == 0


def test_a_rest_breaks_a_parallel():
    score = chords((72, 67, 60, 48), (-1, -1, -1, -1), (74, 69, 62, 50))
    counts = voice_leading(score)
    assert counts.parallel_fifths == 0 and counts.parallel_octaves == 0


def test_crossing_spacing_and_range_are_fractions_of_the_music():
    score = chords((72, 67, 60, 48), (65, 67, 60, 48), (84, 67, 52, 48), (90, 70, 62, 34))
    rates = voice_leading(score).rates()
    assert rates["crossing"] == pytest.approx(1 / 4)  # soprano under the alto in chord 2
    assert rates["wide_spacing"] == pytest.approx(2 / 4)  # S-A 17 in chord 3, 20 in chord 4
    assert rates["out_of_range"] == pytest.approx(3 / 16)  # 84 and 90 in S, 34 in B


def test_music_in_one_scale_is_wholly_in_scale_and_a_chromatic_note_is_not():
    c_major = chords((72, 67, 64, 48), (71, 67, 62, 55), (72, 67, 64, 48))
    assert voice_leading(c_major).rates()["in_scale"] == 1.0
    with_c_sharp = chords((72, 67, 64, 48), (73, 67, 64, 45))
    assert voice_leading(with_c_sharp).rates()["in_scale"] == pytest.approx(7 / 8)


def test_a_span_counts_the_motion_into_it_from_the_step_before():
    score = chords((72, 67, 60, 48), (74, 69, 62, 50), (72, 67, 64, 48))
    joined = voice_leading(score, start=4, end=8)
    assert joined.chords == 1 and joined.parallel_fifths == 2
    assert voice_leading(score, start=0, end=4).parallel_fifths == 0


def test_counts_add_up_over_chorales(small_corpus):
    entries = small_corpus.entries[:2]
    parts = [voice_leading(e.score) for e in entries]
    total = parts[0] + parts[1]
    assert total.chords == parts[0].chords + parts[1].chords
    assert 0 < total.rates()["in_scale"] <= 1
    # Bach's own chorales: a fifth or octave in parallel is rare, voices in range
    assert total.rates()["parallel_fifths_per_100_chords"] < 3
    assert total.rates()["out_of_range"] < 0.05
