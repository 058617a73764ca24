"""The Notes toolbar (tool, voice, grid, note length), and the rule every toolbar and panel
editor follows: once a value is chosen, the keys go back to the piano roll.

A spin box or combo box keeps the focus after a choice, and keeps the keys with it: after
typing a tempo, 1-4, D and Space would go into the box. Enter or a choice from a list
therefore hands the focus back to the roll, and so does Escape, as in other editors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QToolBar,
    QWidget,
)

if TYPE_CHECKING:
    from composer.gui.main_window import MainWindow

GRID_CHOICES = (("1/16", 1), ("1/8", 2), ("1/4", 4), ("1/2", 8), ("Bar", 0))
# A dot after a length makes it dotted, as in most editors' note-length lists.
LENGTH_CHOICES = (("1/16", 1), ("1/8", 2), ("1/8.", 3), ("1/4", 4), ("1/4.", 6),
                  ("1/2", 8), ("1/2.", 12), ("1/1", 16))
ICON_SIZE = QSize(20, 20)


class _FocusReturn(QObject):
    """Event filter on a toolbar's editors: Enter and Escape give the keys back."""

    def __init__(self, target: QWidget, parent: QObject) -> None:
        super().__init__(parent)
        self._target = target

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key.Key_Escape:
                self._target.setFocus(Qt.FocusReason.ShortcutFocusReason)
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                # After the box has taken the value the key commits.
                QTimer.singleShot(0, self.give_back)
        return False

    def give_back(self) -> None:
        self._target.setFocus(Qt.FocusReason.OtherFocusReason)


def hand_focus_back(container: QWidget, target: QWidget) -> None:
    """Make every spin box and combo box in `container` (a toolbar, a panel) return the
    keys to `target`, and its buttons and ticks leave them there when clicked: a click on
    a radio button should not take Tab and Enter away from the piano roll."""
    filter_ = _FocusReturn(target, container)
    for button in container.findChildren(QAbstractButton):
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    for box in container.findChildren(QAbstractSpinBox) + container.findChildren(QComboBox):
        box.installEventFilter(filter_)
        if isinstance(box, QComboBox):
            box.activated.connect(lambda _index: filter_.give_back())


class NotesToolBar(QToolBar):
    def __init__(self, window: MainWindow) -> None:
        super().__init__("Notes", window)
        self.setObjectName("notesToolBar")
        self.setIconSize(ICON_SIZE)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        a = window.action
        self.addActions([a("notes.draw"), a("notes.select")])
        self.addSeparator()
        self.addActions([a(f"notes.voice.{v}") for v in range(4)])
        self.addSeparator()
        self.grid_combo = QComboBox()
        self.grid_combo.setToolTip("Snap grid")
        for text, steps in GRID_CHOICES:
            self.grid_combo.addItem(text, steps)
        self.length_combo = QComboBox()
        self.length_combo.setToolTip("Length of a drawn note")
        for text, steps in LENGTH_CHOICES:
            self.length_combo.addItem(text, steps)
        self.length_combo.setCurrentIndex(3)
        self.length_combo.currentIndexChanged.connect(
            lambda _: window.roll.set_note_length(self.length_combo.currentData()))
        self.addWidget(QLabel(" Grid "))
        self.addWidget(self.grid_combo)
        self.addWidget(QLabel("  Note "))
        self.addWidget(self.length_combo)

    def grid_steps(self) -> int:
        """Steps per grid cell; 0 for "Bar", which follows the metre."""
        return int(self.grid_combo.currentData())
