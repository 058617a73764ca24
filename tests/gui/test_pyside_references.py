"""PySide6 6.12 under Python 3.11 lost a reference to None on each void C++ call, so a
playing window (sixty repaints a second) aborted the interpreter within seconds. The
dependency pin keeps such a build out; this pins that down on whatever build is installed."""

from __future__ import annotations

import sys

from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QWidget


def test_painting_and_updates_keep_the_reference_counts_of_none_and_booleans(qtbot) -> None:
    image = QImage(32, 32, QImage.Format.Format_ARGB32)
    widget = QWidget()
    qtbot.addWidget(widget)
    painter = QPainter(image)
    before = [sys.getrefcount(value) for value in (None, True, False)]
    for _ in range(2_000):
        painter.drawLine(0, 0, 10, 10)
        widget.update()
        widget.isVisible()
    after = [sys.getrefcount(value) for value in (None, True, False)]
    painter.end()
    assert [a - b for a, b in zip(after, before)] == [0, 0, 0]
