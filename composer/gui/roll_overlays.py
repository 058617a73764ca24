"""What the piano roll draws over the document without it being in the document: pending
candidates from the network, and how confident the network was of each note.

Both are set through the roll's public methods (`set_pending`, `set_confidence`) by the
generation part; the roll never edits the score from them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen

from composer.gui import theme
from composer.music.score import Note, NoteRef, Score

if TYPE_CHECKING:
    from composer.gui.piano_roll import PianoRollView

SURPRISING = 0.05  # a note the network gave under this probability is outlined
LEGEND = ((0.6, "expected"), (0.2, "plausible"), (0.02, "surprising"))


@dataclass(frozen=True)
class PendingNotes:
    """A candidate's notes in the voices and steps it would replace."""

    start: int
    end: int
    voices: tuple[int, ...]
    notes: tuple[NoteRef, ...]
    fermatas: frozenset[int] = frozenset()  # the candidate's, where it writes (its cadence)

    @classmethod
    def of(cls, score: Score, start: int, end: int, voices: tuple[int, ...]) -> PendingNotes:
        notes = tuple((v, n) for v in voices for n in score.voices[v]
                      if n.end > start and n.start < end)
        return cls(start, end, voices, notes,
                   frozenset(f for f in score.fermatas if start <= f < end))

    def replaces(self, voice: int, note: Note) -> bool:
        """True for a document note the candidate would overwrite (drawn as a ghost)."""
        return voice in self.voices and note.end > self.start and note.start < self.end


def confidence_alpha(probability: float) -> int:
    """Opacity for a note the network gave `probability`: sure notes fade back, surprising
    ones stay bright. Log scale, since probabilities span orders of magnitude."""
    surprise = min(1.0, -math.log10(max(probability, 1e-4)) / 2.0)  # 1 at 1%, 0 at 100%
    return round(60 + 195 * surprise)


def paint_pending(view: PianoRollView, painter: QPainter, pending: PendingNotes) -> None:
    coords = view.coords
    a, b = coords.x_of_step(pending.start), coords.x_of_step(pending.end)
    painter.fillRect(QRectF(a, 0, b - a, view.viewport().height()), theme.PENDING_REGION)
    for voice, note in pending.notes:
        rect = view.note_rect(voice, note).adjusted(0.5, 0.5, -0.5, -0.5)
        color = QColor(theme.VOICE_COLORS[voice])
        fill = QColor(color)
        fill.setAlpha(120)
        painter.setBrush(fill)
        painter.setPen(QPen(color.lighter(140), 1.5, Qt.PenStyle.DashLine))
        painter.drawRoundedRect(rect, 3, 3)
        painter.setBrush(QBrush(color.lighter(160), Qt.BrushStyle.BDiagPattern))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(rect, 3, 3)


def confidence_color(voice: int, probability: float, active: bool) -> QColor:
    color = QColor(theme.voice_color(voice, active))
    color.setAlpha(confidence_alpha(probability))
    return color


def paint_surprise_outline(painter: QPainter, rect: QRectF) -> None:
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(theme.SURPRISE, 2))
    painter.drawRoundedRect(rect.adjusted(-1, -1, 1, 1), 3, 3)


def paint_legend(painter: QPainter, right: float, voice: int) -> None:
    """What the shades mean, in one line ending at x = `right` in the ruler's top half,
    where it hides no note and no click meant for the roll lands on it."""
    font = QFont(painter.font())
    font.setPointSizeF(7.5)
    painter.setFont(font)
    metrics = painter.fontMetrics()
    items = [(p, f"{label} {p:.0%}") for p, label in LEGEND]
    width = 8 + sum(22 + metrics.horizontalAdvance(text) + 10 for _, text in items)
    box = QRectF(right - width - 4, 1, width, 16)
    painter.setPen(QPen(theme.LEGEND_BORDER, 1))
    painter.setBrush(theme.LEGEND_BACKGROUND)
    painter.drawRoundedRect(box, 3, 3)
    x = box.left() + 6
    for probability, text in items:
        swatch = QRectF(x, box.top() + 4, 16, 8)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(confidence_color(voice, probability, True))
        painter.drawRoundedRect(swatch, 2, 2)
        if probability < SURPRISING:
            paint_surprise_outline(painter, swatch)
        painter.setPen(theme.LEGEND_TEXT)
        painter.drawText(QPointF(swatch.right() + 5, box.top() + 12), text)
        x = swatch.right() + 5 + metrics.horizontalAdvance(text) + 10
