from composer.ml.rules import cadence_tokens, parallel_tokens, voicing_tokens
from composer.music.tokens import HOLD, NOTE_OFFSET


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


def test_a_bass_following_a_leaping_soprano_into_an_octave_or_fifth_is_avoided():
    before, now = [69, 65, 60, 48], [77, 65, 60, 48]  # the soprano leaps A4 -> F5
    banned = pitches(voicing_tokens(before, now, 3, (0, 1, 2)))
    assert {53, 58} <= banned  # F3 (an octave) or Bb3 (a fifth), both rising
    assert 41 not in banned and 46 not in banned  # falling there is contrary motion
    assert 52 not in banned  # E3 makes a ninth


def test_a_soprano_moving_by_step_leaves_the_bass_free():
    assert voicing_tokens([69, 65, 60, 48], [71, 65, 60, 48], 3, (0, 1, 2)) == []


def test_a_soprano_may_not_leap_into_an_octave_with_a_locked_bass_moving_the_same_way():
    before, now = [76, 67, 60, 48], [76, 67, 60, 50]  # the kept bass rises C3 -> D3
    banned = pitches(voicing_tokens(before, now, 0, (3,)))
    assert {86, 81} <= banned  # D6 (an octave) or A5 (a fifth), by leap
    assert 74 not in banned  # falling to D5 is contrary motion
    assert all(p > 78 for p in banned)


def test_the_alto_stays_within_an_octave_of_the_soprano():
    before, now = [72, 60, 55, 48], [76, 60, 55, 48]  # the soprano rises to E5
    banned = voicing_tokens(before, now, 1, (0,))
    assert NOTE_OFFSET + 63 in banned and NOTE_OFFSET + 64 not in banned  # E4 is an octave
    assert HOLD in banned  # keeping C4 would leave a tenth


def test_an_alto_already_wide_may_hold_while_the_soprano_holds():
    assert HOLD not in voicing_tokens([76, 60, 55, 48], [76, 60, 55, 48], 1, (0,))


def test_a_soprano_over_a_kept_alto_stays_within_its_octave():
    banned = pitches(voicing_tokens([72, 67, 60, 48], [72, 62, 60, 48], 0, (1,)))
    assert 75 in banned and 74 not in banned


def test_at_a_fermata_the_alto_keeps_the_chord_a_triad_with_the_soprano():
    banned = pitches(cadence_tokens([72, 67, 60, 48], [74, 67, 60, 48], 1, (0,)))  # D5
    assert 62 not in banned and 66 not in banned and 69 not in banned  # D, F#, A: D major
    assert 71 not in banned and 67 not in banned  # B (B minor, G major's third), G
    assert 64 in banned and 61 in banned and 60 in banned  # a second or a seventh


def test_at_a_fermata_the_bass_takes_the_root_of_the_triad_above_it():
    banned = pitches(cadence_tokens([72, 67, 60, 48], [72, 64, 55, 48], 3, (0, 1, 2)))
    assert {p for p in range(36, 61) if p not in banned} == {36, 48, 60}  # C: C-E-G
    # the upper voices hold two notes of the chord: its root or the third's triad's
    assert {p % 12 for p in range(36, 61)
            if p not in pitches(cadence_tokens([72, 64, 55, 48], [72, 64, -1, 48], 3,
                                               (0, 1)))} == {0, 9}  # C major, A minor


def test_at_a_fermata_a_held_note_that_fits_no_triad_must_move():
    assert HOLD not in cadence_tokens([74, 65, 60, 48], [72, 65, 60, 48], 1, (0,))  # F, C
    assert HOLD in cadence_tokens([74, 71, 60, 48], [72, 71, 60, 48], 1, (0,))  # B under C


def test_at_a_fermata_the_last_voice_above_the_bass_takes_the_missing_third():
    banned = pitches(cadence_tokens([72, 67, 60, 48], [72, 67, 60, 48], 2, (0, 1)))  # C, G
    assert {p % 12 for p in range(48, 72) if p not in banned} == {3, 4}  # E or Eb


def test_at_a_fermata_the_bass_prefers_a_root_whose_third_sounds():
    banned = pitches(cadence_tokens([72, 60, 60, 48], [72, 60, 60, 48], 3, (0, 1, 2)))  # Cs
    assert {p % 12 for p in range(36, 60) if p not in banned} == {8, 9}  # Ab, A: C the third
    banned = pitches(cadence_tokens([72, 67, 60, 48], [72, 67, 60, 48], 3, (0, 1, 2)))
    assert {p % 12 for p in range(36, 60) if p not in banned} == {0}  # C, G: only C is left
