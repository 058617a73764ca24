"""The editor's own commands, registered in the window's action collection with their
default shortcuts.

Keys that act on notes or on the playhead (arrows, Delete, Escape, Home/End) are scoped to
the piano roll, so the History list and the Mixer's sliders keep their own arrows; the
rest work wherever the focus is in the window, except where a text field takes the key.
The arrows move the selection when there is one and the playhead when there is none: two
actions share each arrow, and the window enables one of them at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QActionGroup, QKeySequence
from PySide6.QtWidgets import QMessageBox, QStyle

from composer.gui import icons
from composer.gui.piano_roll import Tool
from composer.gui.shortcuts_dialog import ShortcutsDialog
from composer.music.score import VOICE_NAMES

if TYPE_CHECKING:
    from composer.gui.main_window import MainWindow

Key = QKeySequence.StandardKey


def create_editor_actions(window: MainWindow) -> None:
    _file_actions(window)
    _edit_actions(window)
    _note_actions(window)
    _view_actions(window)
    window.action_collection.add("help.shortcuts", "&Keyboard Shortcuts…",
                                 lambda: ShortcutsDialog(window.action_collection,
                                                         window).exec(),
                                 Key.HelpContents)
    window.action_collection.add("help.about", "&About Composer", lambda: _about(window))


def _file_actions(window: MainWindow) -> None:
    add, style, sp = window.action_collection.add, window.style(), QStyle.StandardPixmap
    add("file.new", "&New", window.new_document, Key.New, tip="Start an empty score",
        icon=style.standardIcon(sp.SP_FileIcon))
    add("file.new_chorale", "New from &Bach Chorale…", window.new_from_chorale, "Ctrl+Shift+N",
        tip="Start from the opening bars of one of Bach's chorales", icon=icons.app_icon())
    add("file.open", "&Open…", window.open_document, Key.Open,
        tip="Open a MIDI or MusicXML file", icon=style.standardIcon(sp.SP_DialogOpenButton))
    add("file.save", "&Save", window.save, Key.Save,
        tip="Save as MIDI (keeps everything the score holds)",
        icon=style.standardIcon(sp.SP_DialogSaveButton))
    add("file.save_as", "Save &As…", window.save_as, Key.SaveAs)
    add("file.export_midi", "Export &MIDI…", window.export_midi)
    add("file.export_musicxml", "Export Music&XML…", window.export_musicxml)
    add("file.quit", "&Quit", window.close, Key.Quit)


def _edit_actions(window: MainWindow) -> None:
    add, roll, style = window.action_collection.add, window.roll, window.style()
    stack = window.document.undo_stack
    add("edit.undo", "&Undo", shortcuts=Key.Undo, action=stack.createUndoAction(window, "&Undo"),
        icon=style.standardIcon(QStyle.StandardPixmap.SP_ArrowBack))
    # The platform's Redo keys plus the other common one (Ctrl+Y or Ctrl+Shift+Z), once each.
    add("edit.redo", "&Redo", shortcuts=[Key.Redo, "Ctrl+Shift+Z", "Ctrl+Y"],
        action=stack.createRedoAction(window, "&Redo"),
        icon=style.standardIcon(QStyle.StandardPixmap.SP_ArrowForward))
    add("edit.cut", "Cu&t", roll.cut, Key.Cut, view_scoped=True)
    add("edit.copy", "&Copy", roll.copy, Key.Copy, view_scoped=True)
    add("edit.paste", "&Paste at Playhead", roll.paste, Key.Paste, view_scoped=True)
    add("edit.delete", "&Delete", roll.delete_selection, ["Delete", "Backspace"],
        view_scoped=True)
    add("edit.select_all", "Select &All", roll.select_all, Key.SelectAll, view_scoped=True)
    add("edit.clear_selection", "Clear Selection", roll.clear_selection, "Escape",
        view_scoped=True)
    _stepping(window, "edit.nudge", ("Earlier", "Later"), roll.nudge, "")
    for name, text, semitones, key in (
            ("up", "Up a Semitone", 1, "Up"), ("down", "Down a Semitone", -1, "Down"),
            ("octave_up", "Up an Octave", 12, "Shift+Up"),
            ("octave_down", "Down an Octave", -12, "Shift+Down")):
        add(f"edit.transpose.{name}", text, lambda _=False, s=semitones: roll.transpose(s),
            key, view_scoped=True)


def _amount(window: MainWindow, by_beat: bool) -> int:
    return window.document.score.time_signature.steps_per_beat if by_beat else 1


def _stepping(window: MainWindow, prefix: str, words: tuple[str, str],
              move: Callable[[int], object], tip: str) -> None:
    """Four roll-scoped actions moving by a step (←/→) or a beat (Shift+←/→): the
    selection's nudges and the playhead's moves share their keys and shape."""
    for by_beat, unit in ((False, "step"), (True, "beat")):
        for direction, word, arrow in ((-1, words[0], "Left"), (1, words[1], "Right")):
            key = f"Shift+{arrow}" if by_beat else arrow
            text = f"{word} by a {unit.capitalize()}"
            window.action_collection.add(
                f"{prefix}.{word.lower()}_{unit}", text,
                lambda _=False, d=direction, b=by_beat: move(d * _amount(window, b)), key,
                view_scoped=True, tip=f"{tip}{text.lower()} ({key})" if tip else "")


def _note_actions(window: MainWindow) -> None:
    add, roll = window.action_collection.add, window.roll
    voices = QActionGroup(window)
    for voice, name in enumerate(VOICE_NAMES):
        action = add(f"notes.voice.{voice}", name,
                     lambda _=False, v=voice: roll.set_active_voice(v), str(voice + 1),
                     icon=icons.voice_icon(voice),
                     tip=f"Draw and edit the {name.lower()} ({voice + 1})")
        action.setCheckable(True)
        action.setIconText(name[0])
        voices.addAction(action)
    window.action(f"notes.voice.{roll.active_voice}").setChecked(True)
    tools = QActionGroup(window)
    for name, text, tool, key, icon, tip in (
            ("notes.draw", "&Draw", Tool.DRAW, "D", icons.draw_tool_icon(),
             "Draw: click to add a note to the active voice, drag to set its length (D)"),
            ("notes.select", "&Select", Tool.SELECT, "V", icons.select_tool_icon(),
             "Select: drag on empty space for a rubber band (V); in Draw, hold Ctrl or Shift")):
        action = add(name, text, lambda _=False, t=tool: roll.set_tool(t), key, icon=icon,
                     tip=tip)
        action.setCheckable(True)
        tools.addAction(action)
    window.action("notes.draw").setChecked(True)
    add("notes.fermata", "Toggle &Fermata at Playhead", roll.toggle_fermata, "F",
        tip="Mark or unmark a phrase end (fermata) where the playhead is (F)")


def _view_actions(window: MainWindow) -> None:
    add, roll, document = window.action_collection.add, window.roll, window.document
    add("view.zoom_in", "Zoom &In", roll.zoom_in, [Key.ZoomIn, "Ctrl+="])
    add("view.zoom_out", "Zoom &Out", roll.zoom_out, Key.ZoomOut)
    add("view.taller", "Taller Rows", lambda: roll.zoom_pitch(1.2), "Ctrl+Alt+=")
    add("view.shorter", "Shorter Rows", lambda: roll.zoom_pitch(1 / 1.2), "Ctrl+Alt+-")
    add("view.fit", "&Fit to Window", roll.fit_to_window, "Ctrl+0")
    _stepping(window, "view.playhead", ("Back", "On"),
              lambda steps: document.set_playhead(document.playhead + steps),
              "Move the playhead ")
    add("view.playhead.start", "To the Start", lambda: document.set_playhead(0), "Home",
        view_scoped=True)
    add("view.playhead.end", "To the End",
        lambda: document.set_playhead(document.score.length), "End", view_scoped=True)
    add("view.clear_loop", "Clear Loop Range", lambda: document.set_loop_range(None))


def _about(window: MainWindow) -> None:
    QMessageBox.about(window, "About Composer",
                      "<b>Composer</b><p>Write four-voice chorales with a neural "
                      "partner trained on Bach's chorales: seed a chorale in the piano "
                      "roll, then let the network continue it, harmonize your tune or "
                      "rewrite a passage from the Generate panel (G).</p>")
