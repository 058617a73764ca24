"""The piano roll driven as a person drives it: real mouse and key events on its viewport."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from composer.gui.piano_roll import Tool
from composer.music.score import Note
from tests.gui.conftest import click, drag, key, note_point, point, score_with

SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def load(window, score):
    window.document.reset(score)
    return window.document


def test_click_on_empty_grid_adds_a_note_of_the_current_length_in_the_active_voice(window, roll):
    roll.set_active_voice(2)
    roll.set_note_length(4)
    click(roll, point(roll, 5, 60))
    score = window.document.score
    assert score.voices[2] == (Note(5, 4, 60),)
    assert score.note_count() == 1
    assert window.document.undo_stack.undoText() == "Add C4"
    assert roll.selection == {(2, Note(5, 4, 60))}


def test_adding_snaps_the_start_to_the_grid(window, roll):
    roll.set_grid(4)
    click(roll, point(roll, 6, 67))
    assert window.document.score.voices[0] == (Note(4, 4, 67),)


def test_dragging_while_adding_sets_the_length(window, roll):
    drag(roll, point(roll, 0, 72), point(roll, 9, 72))
    assert window.document.score.voices[0] == (Note(0, 10, 72),)
    assert window.document.undo_stack.count() == 1


def test_click_selects_a_note_and_shift_click_adds_to_the_selection(window, roll):
    a, b, c = Note(0, 4, 72), Note(4, 4, 74), Note(8, 4, 76)
    load(window, score_with((a, b, c)))
    click(roll, note_point(roll, 0, a))
    assert roll.selection == {(0, a)}
    click(roll, note_point(roll, 0, c), SHIFT)
    assert roll.selection == {(0, a), (0, c)}
    click(roll, note_point(roll, 0, b))
    assert roll.selection == {(0, b)}
    assert window.selection_label.text() == "1 note selected"
    assert window.document.undo_stack.count() == 0


def test_with_the_select_tool_clicking_another_voices_note_makes_that_voice_active(window,
                                                                                   roll):
    tenor = Note(0, 4, 60)
    load(window, score_with((), (), (tenor,)))
    roll.set_tool(Tool.SELECT)
    click(roll, note_point(roll, 2, tenor))
    assert roll.selection == {(2, tenor)}
    assert roll.active_voice == 2
    assert window.action("notes.voice.2").isChecked()


def test_drawing_on_another_voices_note_adds_a_unison_in_the_active_voice(window, roll):
    tenor = Note(0, 8, 60)
    load(window, score_with((), (), (tenor,)))
    roll.set_active_voice(1)
    click(roll, note_point(roll, 2, tenor))
    score = window.document.score
    assert score.voices[1] == (Note(4, 4, 60),)
    assert score.voices[2] == (tenor,)


def test_ctrl_drag_on_empty_space_selects_notes_inside_the_rubber_band(window, roll):
    inside = [(0, Note(4, 2, 76)), (1, Note(6, 2, 70))]
    outside = [(0, Note(20, 2, 76)), (3, Note(4, 2, 50))]
    load(window, score_with((inside[0][1], outside[0][1]), (inside[1][1],), (), (outside[1][1],)))
    drag(roll, point(roll, 2, 80), point(roll, 12, 66), CTRL)
    assert roll.selection == set(inside)
    assert window.document.score.note_count() == 4


def test_select_tool_rubber_band_needs_no_modifier_and_shift_adds(window, roll):
    first, second = Note(0, 2, 72), Note(16, 2, 72)
    load(window, score_with((first, second)))
    roll.set_tool(Tool.SELECT)
    drag(roll, point(roll, 0, 74), point(roll, 3, 70))
    assert roll.selection == {(0, first)}
    drag(roll, point(roll, 15, 74), point(roll, 19, 70), SHIFT)
    assert roll.selection == {(0, first), (0, second)}
    click(roll, point(roll, 30, 60))
    assert roll.selection == set()
    assert window.document.score.note_count() == 2


def test_dragging_selected_notes_moves_them_in_time_and_pitch_as_one_undo_step(window, roll):
    a, b = Note(0, 4, 72), Note(4, 4, 74)
    load(window, score_with((a, b)))
    click(roll, note_point(roll, 0, a))
    click(roll, note_point(roll, 0, b), SHIFT)
    start = note_point(roll, 0, a)
    drag(roll, start, start + QPoint(int(8 * roll.step_width), -int(2 * roll.key_height)))
    assert window.document.score.voices[0] == (Note(8, 4, 74), Note(12, 4, 76))
    assert window.document.undo_stack.count() == 1
    assert window.document.undo_stack.undoText() == "Move notes"
    assert roll.selection == {(0, Note(8, 4, 74)), (0, Note(12, 4, 76))}


def test_a_small_jitter_does_not_move_a_note(window, roll):
    a = Note(0, 4, 72)
    load(window, score_with((a,)))
    start = note_point(roll, 0, a)
    drag(roll, start, start + QPoint(2, 1))
    assert window.document.score.voices[0] == (a,)
    assert window.document.undo_stack.count() == 0


def test_moving_onto_part_of_another_note_trims_it_and_says_so(window, roll):
    a, b = Note(0, 4, 72), Note(8, 4, 72)
    load(window, score_with((a, b)))
    start = note_point(roll, 0, a)
    drag(roll, start, start + QPoint(int(6 * roll.step_width), 0))
    voice = window.document.score.voices[0]
    assert voice == (Note(6, 4, 72), Note(10, 2, 72))
    assert window.document.undo_stack.undoText() == "Move note (shortens C5)"


def test_lengthening_a_note_trims_the_next_one_instead_of_deleting_it(window, roll):
    e5, b4 = Note(0, 4, 76), Note(4, 8, 71)
    load(window, score_with((e5, b4)))
    edge = note_point(roll, 0, e5, "edge")
    drag(roll, edge, edge + QPoint(int(2 * roll.step_width), 0))
    assert window.document.score.voices[0] == (Note(0, 6, 76), Note(6, 6, 71))
    assert window.document.undo_stack.undoText() == "Resize note (shortens B4)"


def test_dragging_a_notes_right_edge_resizes_it(window, roll):
    a = Note(0, 4, 72)
    load(window, score_with((a,)))
    edge = note_point(roll, 0, a, "edge")
    drag(roll, edge, edge + QPoint(int(4 * roll.step_width), 0))
    assert window.document.score.voices[0] == (Note(0, 8, 72),)
    assert window.document.undo_stack.undoText() == "Resize note"


def test_delete_key_removes_the_selection_and_right_click_removes_a_note(window, roll):
    a, b, c = Note(0, 4, 72), Note(4, 4, 74), Note(8, 4, 76)
    load(window, score_with((a, b, c)))
    click(roll, note_point(roll, 0, a))
    key(roll, Qt.Key.Key_Delete)
    assert window.document.score.voices[0] == (b, c)
    click(roll, note_point(roll, 0, b))
    key(roll, Qt.Key.Key_Backspace)
    assert window.document.score.voices[0] == (c,)
    click(roll, note_point(roll, 0, c), button=Qt.MouseButton.RightButton)
    assert window.document.score.note_count() == 0
    assert window.document.undo_stack.count() == 3


def test_arrow_keys_nudge_by_a_step_or_beat_and_transpose_by_semitone_or_octave(window, roll):
    a = Note(4, 4, 72)
    load(window, score_with((a,)))
    click(roll, note_point(roll, 0, a))
    key(roll, Qt.Key.Key_Right)
    key(roll, Qt.Key.Key_Right, SHIFT)
    key(roll, Qt.Key.Key_Left)
    key(roll, Qt.Key.Key_Up)
    key(roll, Qt.Key.Key_Up, SHIFT)
    key(roll, Qt.Key.Key_Down)
    assert window.document.score.voices[0] == (Note(8, 4, 84),)
    assert window.document.undo_stack.count() == 6
    assert roll.selection == {(0, Note(8, 4, 84))}


def test_nudging_stops_at_the_beginning(window, roll):
    a = Note(1, 4, 72)
    load(window, score_with((a,)))
    click(roll, note_point(roll, 0, a))
    key(roll, Qt.Key.Key_Left, SHIFT)
    assert window.document.score.voices[0] == (Note(0, 4, 72),)


def test_copy_and_paste_places_the_notes_at_the_playhead(window, roll):
    a, b = Note(0, 4, 72), Note(2, 2, 60)
    load(window, score_with((a,), (), (b,)))
    key(roll, Qt.Key.Key_A, CTRL)
    assert roll.selection == {(0, a), (2, b)}
    key(roll, Qt.Key.Key_C, CTRL)
    window.document.set_playhead(16)
    key(roll, Qt.Key.Key_V, CTRL)
    score = window.document.score
    assert score.voices[0] == (a, Note(16, 4, 72))
    assert score.voices[2] == (b, Note(18, 2, 60))
    assert roll.selection == {(0, Note(16, 4, 72)), (2, Note(18, 2, 60))}


def test_cut_removes_the_notes_and_paste_brings_them_back(window, roll):
    a = Note(4, 4, 72)
    load(window, score_with((a,)))
    click(roll, note_point(roll, 0, a))
    key(roll, Qt.Key.Key_X, CTRL)
    assert window.document.score.note_count() == 0
    window.document.set_playhead(4)
    key(roll, Qt.Key.Key_V, CTRL)
    assert window.document.score.voices[0] == (a,)


def test_undo_and_redo_keys_step_through_each_gesture(window, roll):
    click(roll, point(roll, 0, 72))
    note = Note(0, 4, 72)
    drag(roll, note_point(roll, 0, note), note_point(roll, 0, note) + QPoint(64, 0))
    after_move = window.document.score
    key(roll, Qt.Key.Key_Z, CTRL)
    assert window.document.score.voices[0] == (note,)
    key(roll, Qt.Key.Key_Z, CTRL)
    assert window.document.score.note_count() == 0
    key(roll, Qt.Key.Key_Z, CTRL | SHIFT)
    key(roll, Qt.Key.Key_Z, CTRL | SHIFT)
    assert window.document.score == after_move
    assert window.action("edit.undo").text() == "&Undo Move note"


def test_undo_drops_notes_that_no_longer_exist_from_the_selection(window, roll):
    click(roll, point(roll, 0, 72))
    assert len(roll.selection) == 1
    window.document.undo_stack.undo()
    assert roll.selection == set()
    assert window.selection_label.text() == "No notes selected"


def test_number_keys_choose_the_voice_new_notes_go_to(window, roll):
    key(roll, Qt.Key.Key_4)
    click(roll, point(roll, 0, 48))
    key(roll, Qt.Key.Key_2)
    click(roll, point(roll, 8, 65))
    score = window.document.score
    assert score.voices[3] == (Note(0, 4, 48),)
    assert score.voices[1] == (Note(8, 4, 65),)
    assert window.voice_label.text() == "Voice: Alto"


def test_escape_clears_the_selection(window, roll):
    click(roll, point(roll, 0, 72))
    key(roll, Qt.Key.Key_Escape)
    assert roll.selection == set()


def test_clicking_the_ruler_sets_the_playhead_and_dragging_sets_the_loop(window, roll):
    ruler = roll.ruler
    x0 = roll.viewport().geometry().left() - ruler.geometry().left()
    y = ruler.height() // 2
    QTest.mouseClick(ruler, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(x0 + int(8.2 * roll.step_width), y))
    assert window.document.playhead == 8
    QTest.mousePress(ruler, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(x0 + int(4 * roll.step_width), y))
    QTest.mouseMove(ruler, QPoint(x0 + int(10 * roll.step_width), y))
    QTest.mouseMove(ruler, QPoint(x0 + int(16 * roll.step_width), y))
    QTest.mouseRelease(ruler, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       QPoint(x0 + int(16 * roll.step_width), y))
    assert window.document.loop_range == (4, 16)
    assert window.document.playhead == 8


def _wheel(view, modifiers, delta=120):
    pos = QPointF(view.viewport().width() / 2, view.viewport().height() / 2)
    event = QWheelEvent(pos, view.viewport().mapToGlobal(pos), QPoint(0, 0), QPoint(0, delta),
                        Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)


def test_ctrl_wheel_zooms_time_and_shift_wheel_zooms_pitch(window, roll):
    width, height = roll.step_width, roll.key_height
    _wheel(roll, CTRL)
    assert roll.step_width > width and roll.key_height == height
    _wheel(roll, SHIFT, -120)
    assert roll.key_height < height
    key(roll, Qt.Key.Key_Minus, CTRL)
    assert roll.step_width < width * 1.25


def test_fit_to_window_shows_the_whole_score(window, roll):
    load(window, score_with((Note(0, 4, 72), Note(60, 4, 79)), (), (), (Note(0, 64, 40),)))
    window.action("view.fit").trigger()
    first, last = roll.visible_steps()
    low, high = roll.visible_pitches()
    assert first <= 0 and last >= 64
    assert low <= 40 and high >= 79


def test_status_bar_names_pitch_and_position_under_the_cursor(window, roll):
    QTest.mouseMove(roll.viewport(), point(roll, 21, 67))
    assert window.hover_label.text().startswith("G4")
    assert "2:2:2" in window.hover_label.text()


def test_pitch_names_follow_the_key_of_the_score(window, roll):
    load(window, score_with((Note(0, 4, 75),)).with_meta(key="E minor"))
    QTest.mouseMove(roll.viewport(), point(roll, 1, 75))
    assert window.hover_label.text().startswith("D#5")  # the leading tone, not Eb5
    window.document.reset(score_with((Note(0, 4, 75),)).with_meta(key="G major"))
    QTest.mouseMove(roll.viewport(), point(roll, 2, 68))
    assert window.hover_label.text().startswith("G#4")
    assert roll.pitch_label(63) == "D#4"


def test_notes_outside_their_voice_range_are_flagged(window, roll):
    high = Note(0, 4, 84)
    load(window, score_with((high,)))
    QTest.mouseMove(roll.viewport(), note_point(roll, 0, high))
    assert "outside the soprano's range" in window.hover_label.text()


def test_f_key_toggles_a_fermata_at_the_playhead(window, roll):
    window.document.set_playhead(12)
    key(roll, Qt.Key.Key_F)
    assert window.document.score.fermatas == {12}
    assert window.document.undo_stack.undoText() == "Add fermata"
    key(roll, Qt.Key.Key_F)
    assert window.document.score.fermatas == frozenset()


def test_a_rubber_band_selection_across_voices_moves_together_when_drawing(window, roll):
    soprano, bass = Note(0, 4, 72), Note(0, 4, 60)
    load(window, score_with((soprano,), (), (), (bass,)))
    drag(roll, point(roll, 0, 74), point(roll, 3, 58), CTRL)
    assert roll.selection == {(0, soprano), (3, bass)}
    start = note_point(roll, 3, bass)
    drag(roll, start, start + QPoint(int(4 * roll.step_width), 0))
    score = window.document.score
    assert score.voices[0] == (Note(4, 4, 72),) and score.voices[3] == (Note(4, 4, 60),)
