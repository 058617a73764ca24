"""Fixtures for the GUI tests: a main window with private settings and a small real corpus,
and helpers that drive the piano roll with real mouse events on its viewport."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from composer.gui.main_window import MainWindow
from composer.gui.piano_roll import PianoRollView
from composer.music.corpus import Corpus, build_corpus
from composer.music.score import Note, Score

NONE = Qt.KeyboardModifier.NoModifier
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(scope="session")
def small_corpus() -> Corpus:
    return build_corpus(limit=6, processes=1)


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "composer-test.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings, small_corpus) -> Iterator[MainWindow]:
    win = MainWindow(settings=settings, corpus_loader=lambda progress, cancel: small_corpus)
    win.resize(1200, 760)
    win.show()
    qtbot.waitExposed(win)
    win.roll.setFocus()
    yield win
    win.document.undo_stack.setClean()  # closing must not stop at the unsaved-changes prompt
    win.close()
    win.deleteLater()


@pytest.fixture(autouse=True)
def no_unexpected_prompts(monkeypatch):
    """A modal box nobody answers would hang the suite: fail instead, unless a test answers."""

    def unexpected(*args, **kwargs):
        raise AssertionError(f"unexpected message box: {args[1:3]}")

    for name in ("question", "warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(unexpected))


@pytest.fixture
def roll(window) -> PianoRollView:
    """The window's roll at a known zoom, scrolled to the start with C4..C6 in view."""
    view = window.roll
    view.set_zoom(16.0, 12.0)
    view.horizontalScrollBar().setValue(0)
    view.verticalScrollBar().setValue(int((127 - 84) * 12))
    return view


def shown_at(qtbot, window: MainWindow, step_width: float, key_height: float) -> MainWindow:
    """Show the window and put its roll at a known zoom, at the start, C4..C6 in view."""
    window.show()
    qtbot.waitExposed(window)
    roll = window.roll
    roll.set_zoom(step_width, key_height)
    roll.horizontalScrollBar().setValue(0)
    roll.verticalScrollBar().setValue(int((127 - 84) * key_height))
    roll.setFocus()
    return window


def closed(window: MainWindow) -> None:
    """Close without the unsaved-changes prompt, which nobody would answer."""
    window.document.undo_stack.setClean()
    window.close()
    window.deleteLater()


def wait_opened(qtbot, window: MainWindow) -> None:
    """Files open in the background: wait until the window has taken (or refused) it."""
    qtbot.waitUntil(lambda: not window.opener.busy, timeout=30000)


def point(view: PianoRollView, step: float, pitch: int) -> QPoint:
    return view.cell_center(step, pitch).toPoint()


def note_point(view: PianoRollView, voice: int, note: Note, where: str = "middle") -> QPoint:
    rect = view.note_rect(voice, note)
    x = {"middle": rect.center().x(), "edge": rect.right() - 2}[where]
    return QPointF(x, rect.center().y()).toPoint()


def click(view: PianoRollView, pos: QPoint, modifiers=NONE, button=LEFT) -> None:
    QTest.mouseClick(view.viewport(), button, modifiers, pos)


def drag(view: PianoRollView, start: QPoint, end: QPoint, modifiers=NONE) -> None:
    """Press, move in a few steps (as a hand does) and release."""
    viewport = view.viewport()
    QTest.mousePress(viewport, LEFT, modifiers, start)
    for i in range(1, 5):
        QTest.mouseMove(viewport, QPoint(start.x() + (end.x() - start.x()) * i // 4,
                                         start.y() + (end.y() - start.y()) * i // 4))
    QTest.mouseRelease(viewport, LEFT, modifiers, end)


def key(view: PianoRollView, key_code, modifiers=NONE) -> None:
    QTest.keyClick(view.viewport(), key_code, modifiers)


def score_with(*voices: tuple[Note, ...]) -> Score:
    padded = list(voices) + [()] * (4 - len(voices))
    return Score(tuple(padded))
