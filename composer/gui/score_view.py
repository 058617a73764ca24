"""The score as notation, beside the piano roll: the engraved pages of the document, the
playing chord lit while it sounds, the roll's selection outlined, and a click on a note
selecting it. The view draws what `ScoreEngraver` made and keeps no music of its own;
without Verovio it says why it is empty and how to fix that.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from composer.gui.score_engraver import Engraved
from composer.music.engraving import EngravedNote
from composer.music.score import NoteRef

PAGE_GAP = 8  # pixels between pages
CLICK_SLOP = 4  # pixels round a note head that still hit it
PLAYING = QColor(255, 170, 40, 120)
SELECTED = QColor(60, 130, 255)
PAPER = QColor("#fbfaf6")


class ScoreCanvas(QWidget):
    """The pages one under the other, with the overlays drawn over them."""

    noteClicked = Signal(object, bool)  # NoteRef, whether Shift (add to selection) was held

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._engraved: Engraved | None = None
        self._tops: list[int] = []
        self._boxes: dict[str, QRectF] = {}  # note id to its head's box, in canvas pixels
        self._by_ref: dict[NoteRef, list[EngravedNote]] = {}
        self._playing: list[str] = []
        self._selected: set[NoteRef] = set()

    # --- contents ----------------------------------------------------------------------
    @property
    def engraved(self) -> Engraved | None:
        return self._engraved

    def show_engraved(self, engraved: Engraved | None) -> None:
        self._engraved = engraved
        self._tops, self._boxes, self._by_ref = [], {}, {}
        top = 0
        pages = engraved.pages if engraved else []
        for page in pages:
            self._tops.append(top)
            top += page.height + PAGE_GAP
        if engraved is not None:
            for note in engraved.engraving.notes:
                box = pages[note.page].heads.get(note.id)
                if box is not None:
                    self._boxes[note.id] = box.translated(0, self._tops[note.page])
                    self._by_ref.setdefault(note.ref, []).append(note)
        width = max((p.width for p in pages), default=0)
        self.setFixedSize(max(width, 1), max(top - PAGE_GAP, 1))
        self.update()

    def note_rect(self, ref: NoteRef) -> QRect | None:
        """Where the first written piece of a score note's head is, in canvas pixels."""
        for note in self._by_ref.get(ref, []):
            if note.id in self._boxes:
                return self._boxes[note.id].toAlignedRect()
        return None

    def note_at(self, pos: QPointF) -> NoteRef | None:
        """The note whose head is under `pos` (or nearest to it, within a few pixels)."""
        if self._engraved is None:
            return None
        best, distance = None, float(CLICK_SLOP) + 1
        for note in self._engraved.engraving.notes:
            box = self._boxes.get(note.id)
            if box is None:
                continue
            dx = max(box.left() - pos.x(), 0.0, pos.x() - box.right())
            dy = max(box.top() - pos.y(), 0.0, pos.y() - box.bottom())
            if max(dx, dy) < distance:
                best, distance = note.ref, max(dx, dy)
        return best

    # --- overlays ----------------------------------------------------------------------
    def set_playing(self, step: float | None) -> QRect | None:
        """Light the notes sounding at `step` (None: none); returns their area."""
        notes = [] if step is None or self._engraved is None else \
            self._engraved.engraving.sounding(step)
        playing = [n.id for n in notes if n.id in self._boxes]
        if playing == self._playing:
            return self._area(playing)
        for note_id in self._playing + playing:
            self.update(self._boxes[note_id].toAlignedRect().adjusted(-4, -4, 4, 4))
        self._playing = playing
        return self._area(playing)

    def _area(self, ids: list[str]) -> QRect | None:
        rect = QRectF()
        for note_id in ids:
            rect = rect.united(self._boxes[note_id])
        return rect.toAlignedRect() if ids else None

    @property
    def playing(self) -> list[NoteRef]:
        by_id = {n.id: n.ref for n in self._engraved.engraving.notes} if self._engraved else {}
        return [by_id[i] for i in self._playing]

    def set_selected(self, refs: set[NoteRef] | frozenset[NoteRef]) -> None:
        self._selected = set(refs)
        self.update()

    # --- events ------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        pages = self._engraved.pages if self._engraved else []
        for page, top in zip(pages, self._tops):
            target = QRect(0, top, page.width, page.height)
            if target.intersects(event.rect()):
                painter.drawImage(QPoint(0, top), page.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(PLAYING)
        for note_id in self._playing:
            painter.drawRoundedRect(self._boxes[note_id].adjusted(-3, -3, 3, 3), 4, 4)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(SELECTED, 2))
        for ref in self._selected:
            for note in self._by_ref.get(ref, []):
                if note.id in self._boxes:
                    painter.drawRoundedRect(self._boxes[note.id].adjusted(-2, -2, 2, 2), 3, 3)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        ref = self.note_at(event.position())
        if ref is not None:
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.noteClicked.emit(ref, shift)
        event.accept()


class ScoreView(QStackedWidget):
    """The canvas in a scroll area, or a message where there is nothing to draw (Verovio
    missing, the engraving failed, or it is still being made)."""

    widthChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = ScoreCanvas()
        self.caption = QLabel()  # the title, which the narrow pages leave out
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setContentsMargins(6, 2, 6, 2)
        self.caption.hide()
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.canvas)
        self.scroll.setWidgetResizable(False)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setStyleSheet(f"QScrollArea {{ background: {PAPER.name()}; }}")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setMargin(16)
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.addWidget(self.message)
        self.addWidget(self.scroll)
        self.addWidget(holder)
        self.show_message("Engraving…")

    def sizeHint(self) -> QSize:
        return QSize(380, 500)

    def page_width(self) -> int:
        """The width pages are engraved at: the scroll area's, less its vertical bar."""
        bar = self.scroll.verticalScrollBar().sizeHint().width()
        return max(200, self.scroll.viewport().width() if self.scroll.isVisible()
                   else self.width() - bar - 4)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        if self.canvas.engraved is None:
            self.setCurrentIndex(1)

    def show_engraved(self, engraved: Engraved) -> None:
        self.canvas.show_engraved(engraved)
        self.setCurrentIndex(0)

    def show_problem(self, text: str) -> None:
        """Nothing can be drawn: say why, in place of the music."""
        self.canvas.show_engraved(None)
        self.message.setText(text)
        self.setCurrentIndex(1)

    def set_playing(self, step: float | None) -> None:
        area = self.canvas.set_playing(step)
        if area is not None:
            self.scroll.ensureVisible(area.center().x(), area.center().y(),
                                      0, max(40, area.height() // 2 + 30))

    def resizeEvent(self, event) -> None:  # noqa: ANN001 - QResizeEvent
        super().resizeEvent(event)
        self.widthChanged.emit(self.page_width())
