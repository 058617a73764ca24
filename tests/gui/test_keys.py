"""Keys as a person presses them: sent to the focused widget, so a dead, ambiguous or
swallowed shortcut fails here."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest

from composer.gui.main_window import MainWindow
from composer.gui.piano_roll import Tool
from composer.gui.playback import install_playback
from composer.gui.shortcuts_dialog import shortcut_rows
from composer.music.score import Note
from tests.gui.conftest import (
    LEFT,
    NONE,
    click,
    closed,
    key,
    note_point,
    point,
    score_with,
    shown_at,
)

SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier
NO_AUDIO = ["composer-no-such-fluidsynth"]


@pytest.fixture
def full_window(qtbot, settings, small_corpus):
    """The window as the app builds it, with the playback part (no sound needed)."""
    window = MainWindow(settings=settings, corpus_loader=lambda p, c: small_corpus,
                        parts=[lambda w: install_playback(w, NO_AUDIO)])
    yield shown_at(qtbot, window, 16.0, 12.0)
    closed(window)


def test_no_two_enabled_actions_share_a_shortcut(full_window):
    roll = full_window.roll
    full_window.document.reset(score_with((Note(0, 4, 72),)))
    full_window.document.set_loop_range((0, 8))
    assert full_window.action_collection.conflicts() == []
    roll.select_all()
    assert full_window.action_collection.conflicts() == []


def test_every_shortcut_of_the_window_is_in_the_action_collection(full_window):
    registered = {action for _, action in full_window.action_collection}
    for action in full_window.findChildren(QAction) + full_window.roll.actions():
        if action.shortcuts():
            assert action in registered, f"{action.text()} has keys outside the collection"


@pytest.mark.parametrize("redo", [(Qt.Key.Key_Z, CTRL | SHIFT), (Qt.Key.Key_Y, CTRL)])
def test_redo_by_keyboard_redoes(full_window, redo):
    roll = full_window.roll
    click(roll, point(roll, 0, 72))
    added = full_window.document.score
    key(roll, Qt.Key.Key_Z, CTRL)
    assert full_window.document.score.note_count() == 0
    key(roll, *redo)
    assert full_window.document.score == added


def _press_and_drag(roll, start: QPoint, end: QPoint) -> None:
    QTest.mousePress(roll.viewport(), LEFT, NONE, start)
    for i in range(1, 5):
        QTest.mouseMove(roll.viewport(), start + (end - start) * (i / 4))


def test_escape_in_the_middle_of_drawing_a_note_cancels_it(full_window):
    roll, document = full_window.roll, full_window.document
    start = point(roll, 0, 72)
    _press_and_drag(roll, start, point(roll, 8, 72))
    key(roll, Qt.Key.Key_Escape)
    QTest.mouseRelease(roll.viewport(), LEFT, NONE, point(roll, 8, 72))
    assert document.score.note_count() == 0
    assert document.undo_stack.count() == 0


def test_escape_in_the_middle_of_a_move_leaves_the_note_where_it_was(full_window):
    roll, document = full_window.roll, full_window.document
    note = Note(0, 4, 72)
    document.reset(score_with((note,)))
    start = note_point(roll, 0, note)
    click(roll, start)
    _press_and_drag(roll, start, start + QPoint(int(6 * roll.step_width), -24))
    key(roll, Qt.Key.Key_Escape)
    QTest.mouseRelease(roll.viewport(), LEFT, NONE, start + QPoint(int(6 * roll.step_width), 0))
    assert document.score.voices[0] == (note,)
    assert roll.selection == {(0, note)}  # Escape cancelled the drag, not the selection


def test_escape_in_the_middle_of_a_rubber_band_gives_back_the_selection(full_window):
    roll, document = full_window.roll, full_window.document
    a, b = Note(0, 4, 72), Note(8, 4, 74)
    document.reset(score_with((a, b)))
    click(roll, note_point(roll, 0, a))
    roll.set_tool(Tool.SELECT)
    _press_and_drag(roll, point(roll, 6, 77), point(roll, 14, 70))
    assert (0, b) in roll.selection
    key(roll, Qt.Key.Key_Escape)
    QTest.mouseRelease(roll.viewport(), LEFT, NONE, point(roll, 14, 70))
    assert roll.selection == {(0, a)}


def test_escape_in_the_middle_of_a_ruler_drag_keeps_the_loop_as_it_was(full_window):
    roll, document = full_window.roll, full_window.document
    document.set_loop_range((0, 8))
    document.set_looping(False)
    ruler = roll.ruler
    x0 = roll.viewport().geometry().left() - ruler.geometry().left()
    y = ruler.height() // 2
    QTest.mousePress(ruler, LEFT, NONE, QPoint(x0 + int(16 * roll.step_width), y))
    QTest.mouseMove(ruler, QPoint(x0 + int(24 * roll.step_width), y))
    assert document.loop_range == (16, 24)
    key(roll, Qt.Key.Key_Escape)
    QTest.mouseRelease(ruler, LEFT, NONE, QPoint(x0 + int(28 * roll.step_width), y))
    assert document.loop_range == (0, 8) and not document.looping


def test_after_typing_a_tempo_enter_gives_the_keys_back_to_the_roll(full_window, qtbot):
    roll, tempo = full_window.roll, full_window.score_bar.tempo
    tempo.setFocus()
    tempo.selectAll()
    QTest.keyClicks(tempo, "96")
    QTest.keyClick(tempo, Qt.Key.Key_Return)
    qtbot.waitUntil(roll.hasFocus)
    assert full_window.document.score.tempo == 96
    QTest.keyClick(full_window.focusWidget(), Qt.Key.Key_2)
    assert roll.active_voice == 1
    QTest.keyClick(full_window.focusWidget(), Qt.Key.Key_V)
    assert roll.tool is Tool.SELECT
    QTest.keyClick(full_window.focusWidget(), Qt.Key.Key_D)
    assert roll.tool is Tool.DRAW


def test_escape_from_a_toolbar_box_gives_the_keys_back_to_the_roll(full_window, qtbot):
    grid = full_window.notes_bar.grid_combo
    grid.setFocus()
    QTest.keyClick(grid, Qt.Key.Key_Escape)
    qtbot.waitUntil(full_window.roll.hasFocus)
    QTest.keyClick(full_window.focusWidget(), Qt.Key.Key_3)
    assert full_window.roll.active_voice == 2


def test_the_roll_shows_when_it_has_the_keys(full_window, qtbot):
    roll = full_window.roll
    corner = QPoint(1, roll.viewport().height() // 2)
    focused = roll.viewport().grab().toImage().pixelColor(corner)
    full_window.score_bar.tempo.setFocus()
    qtbot.waitUntil(lambda: not roll.hasFocus())
    unfocused = roll.viewport().grab().toImage().pixelColor(corner)
    assert focused != unfocused


def test_with_nothing_selected_the_arrows_and_home_end_move_the_playhead(full_window):
    roll, document = full_window.roll, full_window.document
    document.reset(score_with((Note(0, 4, 72), Note(28, 4, 74))))
    key(roll, Qt.Key.Key_Right)
    assert document.playhead == 1
    key(roll, Qt.Key.Key_Right, SHIFT)
    assert document.playhead == 5
    key(roll, Qt.Key.Key_Left)
    assert document.playhead == 4
    key(roll, Qt.Key.Key_End)
    assert document.playhead == 32
    key(roll, Qt.Key.Key_Home)
    assert document.playhead == 0


def test_with_notes_selected_the_arrows_move_the_notes_not_the_playhead(full_window):
    roll, document = full_window.roll, full_window.document
    note = Note(0, 4, 72)
    document.reset(score_with((note,)))
    click(roll, note_point(roll, 0, note))
    key(roll, Qt.Key.Key_Right)
    key(roll, Qt.Key.Key_Up)
    assert document.score.voices[0] == (Note(1, 4, 73),)
    assert document.playhead == 0


def test_l_toggles_the_loop_a_ruler_drag_turned_on(full_window):
    roll, document = full_window.roll, full_window.document
    ruler = roll.ruler
    x0 = roll.viewport().geometry().left() - ruler.geometry().left()
    y = ruler.height() // 2
    QTest.mousePress(ruler, LEFT, NONE, QPoint(x0 + int(4 * roll.step_width), y))
    QTest.mouseMove(ruler, QPoint(x0 + int(10 * roll.step_width), y))
    QTest.mouseRelease(ruler, LEFT, NONE, QPoint(x0 + int(16 * roll.step_width), y))
    loop = full_window.action("playback.loop")
    assert document.loop_range == (4, 16) and document.looping and loop.isChecked()
    key(roll, Qt.Key.Key_L)
    assert not document.looping and not loop.isChecked()
    assert document.loop_range == (4, 16)  # the range stays, ready to loop again
    key(roll, Qt.Key.Key_L)
    assert document.looping and loop.isChecked()


def test_a_changed_shortcut_is_kept_for_the_next_launch(qtbot, settings, full_window):
    full_window.action_collection.set_shortcuts("notes.fermata", ["Ctrl+Alt+F"])
    again = MainWindow(settings=QSettings(settings.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    assert [s.toString() for s in again.action("notes.fermata").shortcuts()] == ["Ctrl+Alt+F"]
    assert again.action_collection.default_shortcuts("notes.fermata")[0].toString() == "F"


def test_the_shortcuts_list_names_every_command_with_keys_including_the_parts(full_window):
    rows = dict(shortcut_rows(full_window.action_collection))
    assert rows["Redo"].count(",") >= 1 and "Ctrl+Y" in rows["Redo"]
    assert rows["Play"] == "Space" and rows["Loop"] == "L"
    assert rows["Keyboard Shortcuts"].startswith("F1")
