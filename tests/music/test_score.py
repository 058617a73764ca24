import pytest

from composer.music.score import Note, Score, ScoreError, TimeSignature, pitch_name


def chorale_bar() -> Score:
    return Score(voices=(
        (Note(0, 4, 72), Note(4, 4, 74)),
        (Note(0, 8, 67),),
        (Note(0, 8, 64),),
        (Note(0, 4, 48), Note(4, 4, 43)),
    ), key="C major", fermatas=frozenset({4}))


def test_new_note_cuts_the_earlier_note_short_and_removes_notes_it_covers():
    score = chorale_bar().add_note(1, Note(2, 3, 65))
    assert score.voices[1] == (Note(0, 2, 67), Note(2, 3, 65))
    covered = chorale_bar().add_note(0, Note(0, 8, 71))
    assert covered.voices[0] == (Note(0, 8, 71),)


def test_move_keeps_voice_monophonic_and_moves_time_and_pitch():
    score = chorale_bar()
    moved = score.move_notes([(0, Note(4, 4, 74))], steps=-2, semitones=1)
    assert moved.voices[0] == (Note(0, 2, 72), Note(2, 4, 75))


def test_lengthening_into_the_next_note_shortens_it_from_the_front():
    score = chorale_bar()
    longer = score.resize_note(3, Note(0, 4, 48), 6)
    assert longer.voices[3] == (Note(0, 6, 48), Note(6, 2, 43))
    with pytest.raises(ScoreError, match="non-positive duration"):
        score.resize_note(3, Note(0, 4, 48), 0)


def test_lengthening_a_note_into_a_half_note_keeps_the_half_notes_later_part():
    e5, b4 = Note(0, 4, 76), Note(4, 8, 71)
    score = Score(voices=((e5, b4), (), (), ()))
    assert score.resize_note(0, e5, 6).voices[0] == (Note(0, 6, 76), Note(6, 6, 71))


def test_a_note_starting_inside_an_added_or_moved_note_keeps_what_sticks_out():
    score = Score(voices=((Note(0, 4, 72), Note(8, 8, 67)), (), (), ()))
    added = score.add_note(0, Note(6, 4, 69))
    assert added.voices[0] == (Note(0, 4, 72), Note(6, 4, 69), Note(10, 6, 67))
    moved = score.move_notes([(0, Note(0, 4, 72))], steps=10)
    assert moved.voices[0] == (Note(8, 2, 67), Note(10, 4, 72))


def test_only_a_note_covered_to_its_end_is_removed():
    score = Score(voices=((Note(4, 4, 72), Note(8, 4, 74)), (), (), ()))
    assert score.add_note(0, Note(4, 4, 60)).voices[0] == (Note(4, 4, 60), Note(8, 4, 74))
    assert score.add_note(0, Note(2, 7, 60)).voices[0] == (Note(2, 7, 60), Note(9, 3, 74))


def test_remove_unknown_note_names_voice_step_and_pitch():
    with pytest.raises(ScoreError, match="Alto has no note at step 3 with pitch 60"):
        chorale_bar().remove_notes([(1, Note(3, 1, 60))])


def test_transpose_moves_only_chosen_voices():
    up = chorale_bar().transpose(2, voices=[0])
    assert [n.pitch for n in up.voices[0]] == [74, 76]
    assert up.voices[1] == chorale_bar().voices[1]


def test_slice_clips_notes_and_moves_them_to_zero():
    part = chorale_bar().slice(2, 6)
    assert part.length == 4
    assert part.voices[0] == (Note(0, 2, 72), Note(2, 2, 74))
    assert part.fermatas == frozenset({2})


def test_append_and_replace_range_keep_length_and_music_around_the_range():
    score = chorale_bar()
    twice = score.append(score)
    assert twice.length == 16 and twice.note_count() == 2 * score.note_count()
    assert twice.fermatas == frozenset({4, 12})
    silence = Score(length=8)
    replaced = twice.replace_range(8, 16, silence)
    assert replaced.slice(0, 8) == score and replaced.length == 16
    assert all(n.end <= 8 for _, n in replaced.notes())


def test_out_of_range_notes_are_flagged_not_refused():
    score = chorale_bar().add_note(0, Note(8, 4, 50))
    assert score.out_of_range() == [(0, Note(8, 4, 50))]


def test_equal_scores_compare_equal_and_copies_share_untouched_voices():
    a, b = chorale_bar(), chorale_bar()
    assert a == b
    edited = a.add_note(0, Note(8, 4, 76))
    assert edited != a
    assert edited.voices[1] is a.voices[1]


@pytest.mark.parametrize("make, message", [
    (lambda: Score(voices=((Note(0, 4, 60), Note(2, 4, 62)), (), (), ())), "not monophonic"),
    (lambda: Note(0, 4, 130), "outside MIDI"),
    (lambda: Note(-1, 4, 60), "before the beginning"),
    (lambda: Score(tempo=0), "tempo"),
    (lambda: Score(voices=((), ())), "four voices"),
    (lambda: TimeSignature(4, 3), "denominator"),
    (lambda: Score(key="H major"), "key"),
])
def test_invalid_input_raises_score_error_naming_the_problem(make, message):
    with pytest.raises(ScoreError, match=message):
        make()


def test_pitch_names_use_middle_c_as_c4():
    assert pitch_name(60) == "C4" and pitch_name(61) == "C#4" and pitch_name(36) == "C2"


def test_bars_and_note_at():
    score = chorale_bar()
    assert score.bars == 1 and score.steps_per_bar == 16
    assert score.note_at(1, 7) == Note(0, 8, 67) and score.note_at(1, 8) is None
