"""Icons painted in code, so they follow the voice colours and need no image files."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from composer.gui import theme

RESOURCES = Path(str(resources.files("composer.resources")))  # resources/, installed as a package
SIZE = 32


def _canvas() -> tuple[QPixmap, QPainter]:
    pixmap = QPixmap(SIZE, SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pixmap, painter


def voice_icon(voice: int) -> QIcon:
    pixmap, painter = _canvas()
    painter.setPen(QPen(theme.VOICE_COLORS[voice].darker(150), 2))
    painter.setBrush(theme.VOICE_COLORS[voice])
    painter.drawRoundedRect(QRectF(4, 10, 24, 12), 4, 4)
    painter.end()
    return QIcon(pixmap)


def draw_tool_icon() -> QIcon:
    pixmap, painter = _canvas()
    painter.setPen(QPen(QColor("#dde1e8"), 2.2))
    path = QPainterPath(QPointF(7, 25))
    path.lineTo(9, 18)
    path.lineTo(22, 5)
    path.lineTo(27, 10)
    path.lineTo(14, 23)
    path.closeSubpath()
    painter.drawPath(path)
    painter.drawLine(QPointF(9, 18), QPointF(14, 23))
    painter.end()
    return QIcon(pixmap)


def select_tool_icon() -> QIcon:
    pixmap, painter = _canvas()
    painter.setPen(QPen(QColor("#dde1e8"), 2, Qt.PenStyle.DashLine))
    painter.drawRect(QRectF(4, 4, 18, 18))
    painter.setPen(QPen(QColor("#dde1e8"), 1.5))
    painter.setBrush(QColor("#dde1e8"))
    painter.drawPolygon([QPointF(15, 14), QPointF(28, 21), QPointF(22, 22.5),
                         QPointF(25, 28.5), QPointF(22.5, 29.5), QPointF(19.5, 23.5),
                         QPointF(15, 27)])
    painter.end()
    return QIcon(pixmap)


def app_icon() -> QIcon:
    path = RESOURCES / "icons" / "composer.svg"
    icon = QIcon(str(path)) if path.exists() else QIcon()
    if icon.pixmap(SIZE).isNull():  # no SVG support in this Qt, or not run from a checkout
        pixmap, painter = _canvas()
        painter.setBrush(theme.ROLL_BACKGROUND)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(QRectF(1, 1, 30, 30), 6, 6)
        for voice, (x, y, w) in enumerate(((6, 6, 12), (12, 12, 14), (8, 18, 10), (14, 24, 12))):
            painter.setBrush(theme.VOICE_COLORS[voice])
            painter.drawRoundedRect(QRectF(x, y, w, 4), 1.5, 1.5)
        painter.end()
        icon = QIcon(pixmap)
    return icon
