"""Mouse gestures on the piano roll, one small class each (after Orange's `UserInteraction`
and MidiEditor's tools).

A gesture lives from a press to its release. Until then its preview is its own: it paints
itself over the notes and hides the notes it is moving, and the document is untouched, so a
gesture is one undo step and Escape (`cancel`) leaves no trace.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPainter, QPen

from composer.gui import note_edits, theme
from composer.music.score import Note, NoteRef

if TYPE_CHECKING:
    from composer.gui.piano_roll import PianoRollView

DRAG_THRESHOLD = 4  # pixels a press must travel before it becomes a drag


class Gesture:
    """press (the constructor), move, release, paint, cancel."""

    def __init__(self, view: PianoRollView, press: QPointF) -> None:
        self.view = view
        self.press = press
        self.press_step = view.coords.step_at(press.x())
        self.press_pitch = view.coords.pitch_at(press.y())
        self.dragging = False

    @property
    def hidden(self) -> frozenset[NoteRef]:
        """Notes the preview stands in for: the roll draws them as outlines only."""
        return frozenset()

    def move(self, pos: QPointF) -> None:
        if not self.dragging:
            moved = pos - self.press
            if abs(moved.x()) + abs(moved.y()) < DRAG_THRESHOLD:
                return
            self.dragging = True
        self.drag(pos)

    def drag(self, pos: QPointF) -> None:
        """The pointer moved, past the threshold."""

    def release(self, shift: bool) -> None:
        """Commit what the gesture did."""

    def cancel(self) -> None:
        """Escape: undo whatever the preview changed in the view."""

    def paint(self, painter: QPainter) -> None:
        """The preview, over the notes."""


class AddNote(Gesture):
    """Draw: press places a note of the default length, a drag sets its length."""

    def __init__(self, view: PianoRollView, press: QPointF, voice: int, length: int) -> None:
        super().__init__(view, press)
        self.voice = voice
        self.note = Note(view.snap(self.press_step), length, self.press_pitch)

    def drag(self, pos: QPointF) -> None:
        grid = self.view.grid
        step = self.view.coords.step_at(pos.x())
        end = max(self.note.start + grid, math.ceil(step / grid) * grid)
        self.note = Note(self.note.start, end - self.note.start, self.note.pitch)

    def release(self, shift: bool) -> None:
        self.view.commit(note_edits.add(self.view.document.score, self.voice, self.note))

    def paint(self, painter: QPainter) -> None:
        self.view.paint_note(painter, self.voice, self.note, active=True, selected=True)


class _SelectionGesture(Gesture):
    """Move or resize the selection by its grabbed note; a click without a drag on a note
    that was already selected selects that note alone."""

    def __init__(self, view: PianoRollView, press: QPointF, grabbed: NoteRef,
                 was_selected: bool) -> None:
        super().__init__(view, press)
        self.grabbed = grabbed
        self.was_selected = was_selected
        self.refs = tuple(view.sorted_selection())
        self.steps = 0

    @property
    def hidden(self) -> frozenset[NoteRef]:
        return frozenset(self.refs) if self.dragging else frozenset()

    def release(self, shift: bool) -> None:
        if self.dragging:
            self.view.commit(self.edit())
        elif self.was_selected and not shift:
            self.view.set_selection(frozenset({self.grabbed}))

    def edit(self) -> note_edits.Edit | None:
        raise NotImplementedError

    def previews(self) -> list[NoteRef]:
        raise NotImplementedError

    def paint(self, painter: QPainter) -> None:
        if self.dragging:
            for voice, note in self.previews():
                self.view.paint_note(painter, voice, note, active=True, selected=True)


class MoveNotes(_SelectionGesture):
    def __init__(self, view: PianoRollView, press: QPointF, grabbed: NoteRef,
                 was_selected: bool) -> None:
        super().__init__(view, press, grabbed, was_selected)
        self.semitones = 0

    def drag(self, pos: QPointF) -> None:
        view, grid = self.view, self.view.grid
        steps = round((view.coords.step_at(pos.x()) - self.press_step) / grid) * grid
        semitones = view.coords.pitch_at(pos.y()) - self.press_pitch
        before = self.semitones
        self.steps, self.semitones = note_edits.clamp_shift(self.refs, steps, semitones)
        if self.semitones != before:
            voice, note = self.grabbed
            view.auditionRequested.emit(voice, note.pitch + self.semitones)

    def edit(self) -> note_edits.Edit | None:
        return note_edits.move(self.view.document.score, self.refs, self.steps, self.semitones)

    def previews(self) -> list[NoteRef]:
        return [(v, n.shifted(self.steps, self.semitones)) for v, n in self.refs]


class ResizeNotes(_SelectionGesture):
    def drag(self, pos: QPointF) -> None:
        grid, note = self.view.grid, self.grabbed[1]
        end = max(note.start + 1, round(self.view.coords.step_at(pos.x()) / grid) * grid)
        self.steps = end - note.end

    def edit(self) -> note_edits.Edit | None:
        return note_edits.resize(self.view.document.score, self.refs, self.steps)

    def previews(self) -> list[NoteRef]:
        return [(v, Note(n.start, max(1, n.duration + self.steps), n.pitch, n.velocity))
                for v, n in self.refs]


class RubberBand(Gesture):
    """Select what a dragged rectangle touches, added to `base` (Shift) or alone."""

    def __init__(self, view: PianoRollView, press: QPointF,
                 base: frozenset[NoteRef]) -> None:
        super().__init__(view, press)
        self.base = base
        self.before = view.selection
        self.band: QRectF | None = None
        view.set_selection(base)

    def drag(self, pos: QPointF) -> None:
        self.band = QRectF(self.press, pos).normalized()
        self.view.set_selection(self.base | self.view.notes_in(self.band))

    def cancel(self) -> None:
        self.view.set_selection(self.before)

    def paint(self, painter: QPainter) -> None:
        if self.band is not None:
            fill = QColor(theme.RUBBER_BAND)
            fill.setAlpha(40)
            painter.setBrush(fill)
            painter.setPen(QPen(theme.RUBBER_BAND, 1))
            painter.drawRect(self.band)
