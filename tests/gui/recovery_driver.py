"""Runs the real app in a process of its own for test_recovery: `edit` draws notes in the
piano roll with the mouse, waits until autosave has written its copy, says so on stdout
and waits to be killed; `restore` answers the recovery question with `ANSWER` and writes
what the window then holds; `quit` edits, then quits cleanly, discarding the changes."""

from __future__ import annotations

import json
import sys
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from composer.gui.app import run_app
from composer.gui.main_window import MainWindow
from composer.gui.playback import Playback
from composer.gui.recovery import recovery_folder

NOTES = ((2, 72), (6, 74), (10, 76))


def window() -> MainWindow:
    return next(w for w in QApplication.topLevelWidgets()
                if isinstance(w, MainWindow) and w.isVisible())


def draw(win: MainWindow) -> None:
    roll = win.roll
    roll.set_zoom(16.0, 12.0)
    roll.horizontalScrollBar().setValue(0)
    roll.verticalScrollBar().setValue(int((127 - 84) * 12))
    for step, pitch in NOTES:
        QTest.mouseClick(roll.viewport(), Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier,
                         roll.cell_center(step, pitch).toPoint())


def edit() -> None:
    draw(window())
    deadline = time.monotonic() + 30
    while not list(recovery_folder().glob("session-*.json")):
        QApplication.processEvents()
        time.sleep(0.05)
        if time.monotonic() > deadline:
            raise SystemExit("autosave never wrote")
    print("autosaved", flush=True)


def restore(out: str, answer: str) -> None:
    asked = []

    def question(*args, **kwargs):  # the user's answer to the modal box
        asked.append(args[2])
        return getattr(QMessageBox.StandardButton, answer)

    QMessageBox.question = staticmethod(question)

    def report() -> None:
        win = window()
        settle(win)
        document = win.document
        with open(out, "w") as fh:
            json.dump({"asked": asked, "notes": [[n.start, n.pitch] for n in
                                                 document.score.voices[0]],
                       "modified": document.modified, "undo": document.undo_stack.undoText(),
                       "left": sorted(p.name for p in recovery_folder().iterdir())}, fh)
        document.undo_stack.setClean()
        win.close()

    QTimer.singleShot(2500, report)


def settle(win: MainWindow) -> None:
    """Let the audio engine finish opening before the window closes. Here, with no sound
    server reachable (XDG_CONFIG_HOME is private, so PulseAudio's cookie is not found),
    FluidSynth falls back to JACK and ALSA, and a close in the middle of that aborted the
    process once in a CI run."""
    transport = win.part(Playback).controller
    deadline = time.monotonic() + 15
    while transport.player is None and not transport.problem and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.02)


def quit_cleanly() -> None:
    win = window()
    settle(win)
    draw(win)
    win.document.undo_stack.setClean()  # "Discard" at the unsaved-changes prompt
    win.close()


def main(scenario: str, *args: str) -> None:
    QApplication([sys.argv[0]])
    if scenario == "edit":
        QTimer.singleShot(1000, edit)
    elif scenario == "restore":
        restore(*args)
    else:
        QTimer.singleShot(1000, quit_cleanly)
    run_app([])


if __name__ == "__main__":
    main(*sys.argv[1:])
