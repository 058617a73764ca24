from composer.ml.rules import parallel_tokens
from composer.music.tokens import NOTE_OFFSET


def pitches(tokens: list[int]) -> set[int]:
    return {t - NOTE_OFFSET for t in tokens}


def test_a_voice_an_octave_below_a_rising_voice_may_not_rise_to_the_octave_again():
    before, now = [72, 67, 60, 48], [74, 67, 60, 48]  # the soprano rises C5 -> D5
    banned = pitches(parallel_tokens(before, now, 2, (0, 1)))  # tenor C4, an octave below
    assert 62 in banned and 74 in banned  # D4, or D5: octaves (or a unison) again
    assert 50 not in banned  # falling to D3 is contrary motion
    assert all(p % 12 == 2 for p in banned)


def test_a_fifth_below_a_locked_bass_that_moves_is_avoided():
    before, now = [72, 67, 60, 48], [72, 67, 60, 50]  # the locked bass rises C3 -> D3
    banned = pitches(parallel_tokens(before, now, 1, (0, 3)))  # alto G4, a twelfth above
    assert 69 in banned and 57 not in banned  # rising to A4 repeats the fifth


def test_fourths_held_notes_and_silence_restrict_nothing():
    assert parallel_tokens([72, 67, 60, 48], [74, 67, 60, 48], 1, (0,)) == []  # a fourth
    assert parallel_tokens([72, 67, 60, 48], [72, 67, 60, 48], 2, (0, 1)) == []  # held
    assert parallel_tokens([72, 67, -1, 48], [74, 69, 60, 48], 2, (0, 1)) == []  # silent
    assert parallel_tokens([72, 67, 60, 48], [-1, 67, 60, 48], 2, (0,)) == []  # a rest
