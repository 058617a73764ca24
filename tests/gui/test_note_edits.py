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
    assert edit.name == "Paste notes"


def test_pasting_past_the_end_makes_the_score_longer():
    clip = note_edits.Clip.of([(3, Note(0, 8, 40))])
    edit = note_edits.paste(Score(length=16), clip, 16)
    assert edit.score.length == 24


def test_existing_forgets_notes_the_score_no_longer_has():
    a, b = Note(0, 4, 60), Note(4, 4, 62)
    assert note_edits.existing(score_of((a,)), [(0, a), (0, b), (1, a)]) == {(0, a)}
