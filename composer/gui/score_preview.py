"""A small read-only picture of a whole score, with the part to be kept highlighted: lets a
person see a chorale's shape before opening it."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from composer.gui import theme
from composer.music.score import Score


class ScorePreview(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._score: Score | None = None
        self._keep = 0
        self.setMinimumHeight(120)

    def sizeHint(self) -> QSize:
        return QSize(520, 150)

    def set_score(self, score: Score | None, keep_steps: int = 0) -> None:
        self._score = score
        self._keep = keep_steps
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), theme.ROLL_BACKGROUND)
        score = self._score
        if score is None or not score.note_count():
            painter.setPen(theme.RULER_TEXT)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No chorale selected")
            painter.end()
            return
        pitches = [n.pitch for _, n in score.notes()]
        low, high = min(pitches) - 1, max(pitches) + 1
        length = max(1, score.length)
        sx = self.width() / length
        sy = self.height() / (high - low + 1)
        if self._keep < length:
            shade = QColor(0, 0, 0, 120)
            painter.fillRect(QRectF(self._keep * sx, 0, self.width(), self.height()), shade)
        painter.setPen(theme.ROLL_BAR_LINE)
        for bar in range(0, length, score.steps_per_bar):
            painter.drawLine(round(bar * sx), 0, round(bar * sx), self.height())
        painter.setPen(Qt.PenStyle.NoPen)
        for voice in (3, 2, 1, 0):
            for note in score.voices[voice]:
                kept = note.start < self._keep
                painter.setBrush(theme.voice_color(voice, kept))
                painter.drawRect(QRectF(note.start * sx, (high - note.pitch) * sy,
                                        max(1.0, note.duration * sx - 1), max(2.0, sy)))
        painter.end()
