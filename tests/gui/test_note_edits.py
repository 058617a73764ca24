"""The editing operations behind the piano roll's gestures, without Qt."""

from __future__ import annotations

from composer.gui import note_edits
from composer.music.score import Note, Score


def score_of(*voices):
    return Score(tuple(list(voices) + [()] * (4 - len(voices))))


def test_a_shift_is_clamped_to_the_start_and_to_midi_pitches():
    refs = [(0, Note(2, 4, 120)), (1, Note(6, 4, 10))]
    assert note_edits.clamp_shift(refs, -5, 12) == (-2, 7)
    assert note_edits.clamp_shift(refs, 3, -20) == (3, -10)
    assert note_edits.clamp_shift([], 3, 3) == (0, 0)


def test_moving_by_nothing_is_no_edit():
    score = score_of((Note(0, 4, 60),))
    assert note_edits.move(score, [(0, Note(0, 4, 60))], -3, 0) is None


def test_transposing_only_pitch_is_named_transpose():
    note = Note(0, 4, 60)
    edit = note_edits.move(score_of((note,)), [(0, note)], 0, 2)
    assert edit.name == "Transpose note"
    assert edit.selection == {(0, Note(0, 4, 62))}


def test_resizing_never_goes_below_one_step_and_takes_the_following_note():
    a, b = Note(0, 4, 60), Note(4, 4, 62)
    shorter = note_edits.resize(score_of((a, b)), [(0, a)], -10)
    assert shorter.score.voices[0] == (Note(0, 1, 60), b)
    longer = note_edits.resize(score_of((a, b)), [(0, a)], 4)
    assert longer.score.voices[0] == (Note(0, 8, 60),)


def test_a_clip_keeps_its_voices_and_offsets_and_pastes_over_what_was_there():
    clip = note_edits.Clip.of([(2, Note(10, 2, 55)), (0, Note(8, 4, 70))])
    assert clip.notes == ((0, Note(0, 4, 70)), (2, Note(2, 2, 55)))
    assert clip.length == 4
    target = score_of((Note(0, 32, 72),))
    edit = note_edits.paste(target, clip, 16)
    assert edit.score.voices[0] == (Note(0, 16, 72), Note(16, 4, 70))
    assert edit.score.voices[2] == (Note(18, 2, 55),)
    assert edit.name == "Paste notes (shortens C5)"


def test_pasting_past_the_end_makes_the_score_longer():
    clip = note_edits.Clip.of([(3, Note(0, 8, 40))])
    edit = note_edits.paste(Score(length=16), clip, 16)
    assert edit.score.length == 24


def test_existing_forgets_notes_the_score_no_longer_has():
    a, b = Note(0, 4, 60), Note(4, 4, 62)
    assert note_edits.existing(score_of((a,)), [(0, a), (0, b), (1, a)]) == {(0, a)}


def test_lengthening_into_a_half_note_shortens_it_and_the_name_says_which():
    e5, b4 = Note(0, 4, 76), Note(4, 8, 71)
    edit = note_edits.resize(score_of((e5, b4)), [(0, e5)], 2)
    assert edit.score.voices[0] == (Note(0, 6, 76), Note(6, 6, 71))
    assert edit.name == "Resize note (shortens B4)"
    assert edit.selection == {(0, Note(0, 6, 76))}


def test_a_wholly_covered_note_is_named_as_removed_in_the_keys_spelling():
    a, leading_tone = Note(0, 4, 72), Note(4, 4, 75)
    score = Score(((a, leading_tone), (), (), ()), key="E minor")
    edit = note_edits.resize(score, [(0, a)], 4)
    assert edit.name == "Resize note (removes D#5)"


def test_adding_over_notes_names_what_it_shortens_and_removes():
    notes = (Note(0, 4, 60), Note(4, 2, 62), Note(6, 4, 64))
    edit = note_edits.add(score_of(notes), 0, Note(2, 6, 67))
    assert edit.score.voices[0] == (Note(0, 2, 60), Note(2, 6, 67), Note(8, 2, 64))
    assert edit.name == "Add G4 (shortens 2 notes, removes D4)"


def test_moving_onto_an_equal_repeated_note_names_the_one_it_replaces():
    first, repeat = Note(0, 4, 60), Note(4, 4, 60)
    edit = note_edits.move(score_of((first, repeat)), [(0, first)], 4, 0, name="Nudge note")
    assert edit.score.voices[0] == (repeat,)
    assert edit.name == "Nudge note (removes C4)"


def test_notes_of_one_edit_cutting_each_other_short_are_not_named():
    a, b = Note(0, 4, 60), Note(4, 4, 62)
    edit = note_edits.resize(score_of((a, b)), [(0, a), (0, b)], 4)
    assert edit.score.voices[0] == (Note(0, 4, 60), Note(4, 8, 62))
    assert edit.name == "Resize notes"


def test_pasting_over_part_of_a_note_names_it_as_shortened():
    clip = note_edits.Clip.of([(1, Note(0, 4, 65))])
    edit = note_edits.paste(score_of((), (Note(14, 8, 67),)), clip, 12)
    assert edit.score.voices[1] == (Note(12, 4, 65), Note(16, 6, 67))
    assert edit.name == "Paste note (shortens G4)"
