"""The piano roll's margins: the keyboard column on the left and the bar ruler on top.

Both draw from the roll's shared `RollGeometry` and its public state, so they scroll and
zoom with it and never read its internals.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from composer.gui import theme
from composer.gui.roll_overlays import paint_legend
from composer.music.score import VOICE_RANGES, Score

if TYPE_CHECKING:
    from composer.gui.piano_roll import PianoRollView

KEYBOARD_WIDTH = 58
RULER_HEIGHT = 34
BLACK_KEYS = frozenset({1, 3, 6, 8, 10})
DRAG_THRESHOLD = 4


class KeyboardColumn(QWidget):
    """Piano keys beside the rows, note names on the Cs, the active voice's range marked.
    A click auditions the key."""

    def __init__(self, view: PianoRollView) -> None:
        super().__init__(view)
        self._view = view
        font = QFont()
        font.setPointSizeF(7.5)
        self.setFont(font)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        view = self._view
        pitch = view.coords.pitch_at(event.position().y())
        view.auditionRequested.emit(view.active_voice, pitch)

    def paintEvent(self, event: QPaintEvent) -> None:
        view, coords = self._view, self._view.coords
        painter = QPainter(self)
        width, kh = self.width(), coords.key_height
        painter.fillRect(self.rect(), theme.KEY_WHITE)
        low, high = coords.pitch_at(self.height()), coords.pitch_at(0)
        black_width = width * 0.58
        range_low, range_high = VOICE_RANGES[view.active_voice]
        color = theme.VOICE_COLORS[view.active_voice]
        for pitch in range(low, high + 1):
            y = coords.y_of_pitch(pitch)
            if pitch == view.hover_pitch:
                hover = QColor(color)
                hover.setAlpha(110)
                painter.fillRect(QRectF(0, y, width, kh), hover)
            if pitch % 12 in BLACK_KEYS:
                painter.fillRect(QRectF(0, y, black_width, kh), theme.KEY_BLACK)
            elif pitch % 12 in (0, 5):
                painter.setPen(theme.KEY_WHITE_SHADE)
                painter.drawLine(QLineF(0, y + kh - 0.5, width, y + kh - 0.5))
            if range_low <= pitch <= range_high:
                painter.fillRect(QRectF(width - 4, y, 4, kh), color)
            if pitch % 12 == 0 or (kh >= 15 and pitch % 12 not in BLACK_KEYS):
                painter.setPen(theme.KEY_LABEL if pitch % 12 else QColor("#2b2f38"))
                painter.drawText(QRectF(black_width, y, width - black_width - 6, kh),
                                 Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                                 view.pitch_label(pitch))
        painter.setPen(QColor("#11131a"))
        painter.drawLine(width - 1, 0, width - 1, self.height())
        painter.end()


class Ruler(QWidget):
    """Bars and beats above the roll. A click sets the playhead; a drag sets the loop range
    and turns looping on; a double click clears the range."""

    def __init__(self, view: PianoRollView) -> None:
        super().__init__(view)
        self._view = view
        self._press_x: float | None = None
        self._dragging = False
        self._before: tuple[tuple[int, int] | None, bool] = (None, False)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    @property
    def dragging(self) -> bool:
        """A loop range is being dragged (Escape then cancels it)."""
        return self._press_x is not None

    def cancel(self) -> None:
        """Escape during a drag: the loop range and looping as they were at the press."""
        if self._press_x is not None:
            loop, looping = self._before
            document = self._view.document
            document.set_loop_range(loop)
            document.set_looping(looping)
            self._press_x = None
            self._dragging = False

    def _step_at(self, x: float, rounding=round) -> int:  # noqa: ANN001 - round or floor
        view = self._view
        step = view.coords.step_at(x - KEYBOARD_WIDTH)
        return max(0, rounding(step / view.grid) * view.grid)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and event.position().x() >= KEYBOARD_WIDTH:
            document = self._view.document
            self._before = (document.loop_range, document.looping)
            self._press_x = event.position().x()
            self._dragging = False

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press_x is None:
            return
        x = event.position().x()
        if not self._dragging and abs(x - self._press_x) < DRAG_THRESHOLD:
            return
        self._dragging = True
        self._view.document.set_loop_range((self._step_at(self._press_x), self._step_at(x)))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._press_x is not None:
            if self._dragging:
                self.mouseMoveEvent(event)  # the range ends where the button came up
            else:
                self._view.document.set_playhead(self._step_at(event.position().x(), math.floor))
        self._press_x = None
        self._dragging = False

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self._view.document.set_loop_range(None)

    def paintEvent(self, event: QPaintEvent) -> None:
        view = self._view
        painter = QPainter(self)
        painter.fillRect(self.rect(), theme.RULER_BACKGROUND)
        painter.translate(KEYBOARD_WIDTH, 0)
        painter.setClipRect(QRectF(0, 0, self.width() - KEYBOARD_WIDTH, self.height()))
        first, last = view.visible_steps()
        self._paint_loop(painter)
        self._paint_ticks(painter, view.document.score, first, last)
        self._paint_fermatas(painter, view.document.score, first, last)
        self._paint_playhead(painter)
        if view.confidence is not None:
            paint_legend(painter, self.width() - KEYBOARD_WIDTH, view.active_voice)
        painter.end()

    def _paint_loop(self, painter: QPainter) -> None:
        document, coords = self._view.document, self._view.coords
        loop = document.loop_range
        if loop is not None:
            a, b = coords.x_of_step(loop[0]), coords.x_of_step(loop[1])
            color = QColor(theme.RULER_LOOP)
            if not document.looping:
                color.setAlpha(90)
            painter.fillRect(QRectF(a, self.height() - 9, b - a, 7), color)

    def _paint_ticks(self, painter: QPainter, score: Score, first: float, last: float) -> None:
        coords, height = self._view.coords, self.height()
        ts = score.time_signature
        bar, beat = ts.steps_per_bar, ts.steps_per_beat
        painter.setPen(theme.RULER_TICK)
        ticks = []
        step = max(0, int(first) // beat * beat)
        while step <= last:
            x = round(coords.x_of_step(step)) + 0.5
            if step % bar == 0:
                ticks.append(QLineF(x, 2, x, height))
            elif beat * coords.step_width >= 8:
                ticks.append(QLineF(x, height - 8, x, height))
            step += beat
        painter.drawLines(ticks)
        label_every = 1
        while label_every * bar * coords.step_width < 34:
            label_every *= 2
        painter.setPen(theme.RULER_TEXT)
        font = QFont(self.font())
        font.setPointSizeF(8.5)
        font.setBold(True)
        painter.setFont(font)
        for number in range(max(0, int(first) // bar), int(last) // bar + 1):
            if number % label_every == 0:
                x = coords.x_of_step(number * bar)
                painter.drawText(QRectF(x + 4, 1, 60, 16),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 str(number + 1))

    def _paint_fermatas(self, painter: QPainter, score: Score, first: float,
                        last: float) -> None:
        """The score's fermatas, and a pending candidate's own in its colour, so its
        cadence shows before it is kept."""
        pending = self._view.pending
        marks = [(step, theme.FERMATA) for step in score.fermatas]
        if pending is not None:
            marks += [(step, theme.PENDING_FERMATA) for step in pending.fermatas]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for step, color in sorted(marks):
            if first - 4 <= step <= last:
                self._paint_fermata(painter, step, color)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _paint_fermata(self, painter: QPainter, step: int, color: QColor) -> None:
        coords = self._view.coords
        x = coords.x_of_step(step) + min(8.0, coords.step_width * 2)
        painter.setPen(QPen(color, 1.4))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawArc(QRectF(x - 6, 19, 12, 10), 0, 180 * 16)
        painter.setBrush(color)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(QPointF(x, 25.5), 1.4, 1.4)

    def _paint_playhead(self, painter: QPainter) -> None:
        height = self.height()
        x = self._view.coords.x_of_step(self._view.shown_playhead())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.PLAYHEAD)
        painter.drawPolygon([QPointF(x - 6, height - 11), QPointF(x + 6, height - 11),
                             QPointF(x, height - 2)])
        painter.setPen(QPen(QColor("#14161b"), 1))
        painter.drawLine(QLineF(-KEYBOARD_WIDTH, height - 0.5, self.width(), height - 0.5))
