"""The piano roll: one scroll area that paints the score's notes itself.

No widget or graphics item per note: the view paints the visible slice of each voice,
found by bisecting the voice's (sorted, non-overlapping) notes, so a score of ten thousand
notes costs no more per frame than the few hundred on screen.

The view edits only through `ScoreDocument.apply`. A mouse gesture in progress is an object
of `roll_gestures` that owns its preview; the document changes once, at release, so each
gesture is one undo step. The selection is view state and is re-validated whenever the
score changes. Keys are the window's action collection's, not the view's: the view itself
handles only Escape while a gesture is in progress.
"""

from __future__ import annotations

import bisect
import math
from enum import Enum

from PySide6.QtCore import QEvent, QLineF, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QCursor,
    QFocusEvent,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QShowEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from composer.gui import note_edits, theme
from composer.gui.document import ScoreDocument
from composer.gui.roll_geometry import RollGeometry
from composer.gui.roll_gestures import AddNote, Gesture, MoveNotes, ResizeNotes, RubberBand
from composer.gui.roll_margins import (
    BLACK_KEYS,
    KEYBOARD_WIDTH,
    RULER_HEIGHT,
    KeyboardColumn,
    Ruler,
)
from composer.gui.roll_overlays import (
    SURPRISING,
    PendingNotes,
    confidence_color,
    paint_pending,
    paint_surprise_outline,
)
from composer.music.score import (
    VOICE_NAMES,
    VOICE_RANGES,
    Note,
    NoteRef,
    Score,
    Voice,
)
from composer.music.spelling import spell

EDGE_GRAB = 5
ZOOM_FACTOR = 1.25


class Tool(Enum):
    DRAW = "draw"
    SELECT = "select"


def bar_beat_sixteenth(score: Score, step: int) -> str:
    """1-based position as musicians count it: bar:beat:sixteenth."""
    ts = score.time_signature
    bar, within = divmod(step, ts.steps_per_bar)
    beat, sixteenth = divmod(within, ts.steps_per_beat)
    return f"{bar + 1}:{beat + 1}:{sixteenth + 1}"


class _VoiceIndex:
    """Starts and ends of one voice's notes for bisection; rebuilt only when the voice tuple
    changes (unchanged voices are shared between scores)."""

    __slots__ = ("voice", "starts", "ends", "out_of_range")

    def __init__(self, number: int, voice: Voice) -> None:
        self.voice = voice
        self.starts = [n.start for n in voice]
        self.ends = [n.end for n in voice]
        low, high = VOICE_RANGES[number]
        self.out_of_range = frozenset(n for n in voice if not low <= n.pitch <= high)

    def between(self, first_step: float, last_step: float) -> Voice:
        """Notes sounding anywhere in [first_step, last_step)."""
        lo = bisect.bisect_right(self.ends, first_step)
        hi = bisect.bisect_left(self.starts, last_step)
        return self.voice[lo:hi]


class PianoRollView(QAbstractScrollArea):
    selectionChanged = Signal(int)
    activeVoiceChanged = Signal(int)
    toolChanged = Signal(object)
    hoverChanged = Signal(str)
    zoomChanged = Signal()
    auditionRequested = Signal(int, int)  # voice, pitch

    def __init__(self, document: ScoreDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.coords = RollGeometry()
        self._active_voice = 0
        self._tool = Tool.DRAW
        self._grid = 1
        self._note_length = 4
        self._selection: frozenset[NoteRef] = frozenset()
        self._clip = note_edits.Clip(())
        self._gesture: Gesture | None = None
        self._indexes = [_VoiceIndex(i, v) for i, v in enumerate(document.score.voices)]
        self._hover_pitch: int | None = None
        self._play_position: float | None = None  # the sounding step while playing
        self._painted_playhead_x: float | None = None
        self._follow_playback = True
        self._shown = False
        self._pending: PendingNotes | None = None
        self._confidence: dict[NoteRef, float] | None = None
        self._note_font = QFont()
        self._note_font.setPointSizeF(7.5)

        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setViewportMargins(KEYBOARD_WIDTH, RULER_HEIGHT, 0, 0)
        self.viewport().setMouseTracking(True)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.keyboard = KeyboardColumn(self)
        self.ruler = Ruler(self)
        self.horizontalScrollBar().valueChanged.connect(self._scrolled_x)
        self.verticalScrollBar().valueChanged.connect(self._scrolled_y)

        document.scoreChanged.connect(self._score_changed)
        document.playheadChanged.connect(self._playhead_changed)
        document.loopRangeChanged.connect(self._repaint_all)
        self._score_changed()
        self.verticalScrollBar().setValue(int(self.coords.content_y(76)))

    def _scrolled_x(self, value: int) -> None:
        self.coords.scroll_x = value
        self.ruler.update()

    def _scrolled_y(self, value: int) -> None:
        self.coords.scroll_y = value
        self.keyboard.update()

    # --- public state ------------------------------------------------------------------
    @property
    def selection(self) -> frozenset[NoteRef]:
        return self._selection

    def set_selection(self, refs: frozenset[NoteRef] | set[NoteRef]) -> None:
        refs = frozenset(refs)
        if refs != self._selection:
            self._selection = refs
            self.selectionChanged.emit(len(refs))
            self.viewport().update()

    @property
    def active_voice(self) -> int:
        return self._active_voice

    def set_active_voice(self, voice: int) -> None:
        if voice != self._active_voice and voice in range(4):
            self._active_voice = voice
            self.activeVoiceChanged.emit(voice)
            self._repaint_all()

    @property
    def tool(self) -> Tool:
        return self._tool

    def set_tool(self, tool: Tool) -> None:
        if tool != self._tool:
            self._tool = tool
            self.toolChanged.emit(tool)

    @property
    def grid(self) -> int:
        return self._grid

    def set_grid(self, steps: int) -> None:
        self._grid = max(1, int(steps))
        self.viewport().update()

    def snap(self, step: float) -> int:
        return max(0, math.floor(step / self._grid) * self._grid)

    @property
    def note_length(self) -> int:
        return self._note_length

    def set_note_length(self, steps: int) -> None:
        self._note_length = max(1, int(steps))

    @property
    def step_width(self) -> float:
        return self.coords.step_width

    @property
    def key_height(self) -> float:
        return self.coords.key_height

    @property
    def hover_pitch(self) -> int | None:
        return self._hover_pitch

    @property
    def follows_playback(self) -> bool:
        return self._follow_playback

    @property
    def gesture(self) -> Gesture | None:
        """The mouse gesture in progress, if any."""
        return self._gesture

    @property
    def pending(self) -> PendingNotes | None:
        return self._pending

    def set_pending(self, pending: PendingNotes | None) -> None:
        """Candidate notes drawn over the document, apart from it, until accepted; the view
        scrolls to them when they are new."""
        if pending != self._pending:
            fresh = pending is not None and (self._pending is None
                                             or self._pending.start != pending.start)
            self._pending = pending
            self._update_scrollbars()
            if fresh:
                self._scroll_to(pending.start)
            self._repaint_all()

    @property
    def confidence(self) -> dict[NoteRef, float] | None:
        return self._confidence

    def set_confidence(self, probabilities: dict[NoteRef, float] | None) -> None:
        """Shade each note by the probability the network gave it (None: plain colours);
        the ruler carries the legend."""
        self._confidence = probabilities
        self._repaint_all()

    def pitch_label(self, pitch: int) -> str:
        """A pitch's name as the score's key spells it."""
        return spell(pitch, self.document.score.key)

    # --- coordinates -------------------------------------------------------------------
    def note_rect(self, voice: int, note: Note) -> QRectF:
        """Where a note is drawn, in viewport coordinates."""
        c = self.coords
        return QRectF(c.x_of_step(note.start), c.y_of_pitch(note.pitch),
                      note.duration * c.step_width, c.key_height)

    def cell_center(self, step: float, pitch: int) -> QPointF:
        """The viewport point in the middle of a grid cell."""
        c = self.coords
        return QPointF(c.x_of_step(step + 0.5), c.y_of_pitch(pitch) + c.key_height / 2)

    def _content_steps(self) -> int:
        score = self.document.score
        bar = score.steps_per_bar
        pending_end = self._pending.end if self._pending is not None else 0
        end = max(score.length, self.document.playhead, pending_end, 16 * bar) + 4 * bar
        return -(-end // bar) * bar

    def _update_scrollbars(self) -> None:
        size = self.viewport().size()
        c = self.coords
        width = int(c.content_x(self._content_steps()))
        height = int(c.content_height)
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setRange(0, max(0, width - size.width()))
        h.setPageStep(size.width())
        h.setSingleStep(max(1, int(c.step_width * 2)))
        v.setRange(0, max(0, height - size.height()))
        v.setPageStep(size.height())
        v.setSingleStep(max(1, int(c.key_height * 2)))

    # --- zoom --------------------------------------------------------------------------
    def set_zoom(self, step_width: float, key_height: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the music under `anchor` (viewport coordinates) in place."""
        if anchor is None:
            anchor = QPointF(self.viewport().width() / 2, self.viewport().height() / 2)
        c = self.coords
        step, row = c.step_at(anchor.x()), (anchor.y() + c.scroll_y) / c.key_height
        c.set_zoom(step_width, key_height)
        self._update_scrollbars()
        self.horizontalScrollBar().setValue(round(c.content_x(step) - anchor.x()))
        self.verticalScrollBar().setValue(round(row * c.key_height - anchor.y()))
        self.zoomChanged.emit()
        self._repaint_all()

    def zoom_time(self, factor: float, anchor: QPointF | None = None) -> None:
        self.set_zoom(self.coords.step_width * factor, self.coords.key_height, anchor)

    def zoom_pitch(self, factor: float, anchor: QPointF | None = None) -> None:
        self.set_zoom(self.coords.step_width, self.coords.key_height * factor, anchor)

    def zoom_in(self) -> None:
        self.zoom_time(ZOOM_FACTOR)

    def zoom_out(self) -> None:
        self.zoom_time(1 / ZOOM_FACTOR)

    def fit_to_window(self) -> None:
        """The whole score (or four bars of an empty page) and its pitch span on screen."""
        score = self.document.score
        pending = self._pending
        steps = max(score.length, 4 * score.steps_per_bar, pending.end if pending else 0)
        pitches = [n.pitch for _, n in score.notes()] or [48, 79]
        low, high = min(pitches) - 2, max(pitches) + 2
        size = self.viewport().size()
        self.coords.set_zoom(size.width() / steps, size.height() / (high - low + 1))
        self._update_scrollbars()
        self.horizontalScrollBar().setValue(0)
        self.verticalScrollBar().setValue(round(self.coords.content_y(high)))
        self.zoomChanged.emit()
        self._repaint_all()

    def show_start(self) -> None:
        """Scroll to the beginning, the music's pitches centred: where a fresh document opens."""
        score = self.document.score
        pitches = [n.pitch for _, n in score.notes()] or [60, 72]
        middle = (min(pitches) + max(pitches)) / 2
        self.horizontalScrollBar().setValue(0)
        centre = self.coords.content_y(middle) - self.viewport().height() / 2
        self.verticalScrollBar().setValue(round(centre))

    # --- document observers ---------------------------------------------------------------
    def _score_changed(self) -> None:
        score = self.document.score
        for i, voice in enumerate(score.voices):
            if self._indexes[i].voice is not voice:
                self._indexes[i] = _VoiceIndex(i, voice)
        self._gesture = None
        self.set_selection(note_edits.existing(score, self._selection))
        self._update_scrollbars()
        self._repaint_all()

    def _playhead_changed(self, step: int) -> None:
        if self._play_position is None or self._follow_playback:
            self._scroll_to(step)
        self._move_playhead()

    def _scroll_to(self, step: float) -> None:
        x = self.coords.x_of_step(step)
        width = self.viewport().width()
        if self.coords.content_x(step) > self.horizontalScrollBar().maximum() + width:
            self._update_scrollbars()
        if x < 0 or x > width - 8:
            self.horizontalScrollBar().setValue(round(self.coords.content_x(step) - width * 0.1))

    def reveal(self, step: int, pitch: int) -> None:
        """Scroll so the note at (step, pitch) is in view, if it is not: a note chosen
        elsewhere (in the score view) is then seen selected here."""
        self._scroll_to(step)
        y, height = self.coords.y_of_pitch(pitch), self.viewport().height()
        if y < 0 or y > height - self.coords.key_height:
            self.verticalScrollBar().setValue(round(self.coords.content_y(pitch) - height / 2))

    def set_follow_playback(self, follow: bool) -> None:
        self._follow_playback = follow

    def show_play_position(self, step: float | None) -> None:
        """While playing, the exact sounding step (fractional), so the playhead glides;
        None when playback stops."""
        self._play_position = step
        if step is not None and self._follow_playback:
            self._scroll_to(step)
        self._move_playhead()

    def _move_playhead(self) -> None:
        """Repaint only the strips the playhead leaves and enters: during playback this runs
        every frame, and the notes under a strip are all that needs drawing again (a scroll
        repaints everything by itself)."""
        height = self.viewport().height()
        old = self._painted_playhead_x
        new = self.coords.x_of_step(self.shown_playhead())
        for x in (new,) if old is None else (old, new):
            self.viewport().update(QRect(math.floor(x) - 2, 0, 5, height))
        self.ruler.update()

    def shown_playhead(self) -> float:
        """The sounding step while playing, else the user's cursor."""
        return self.document.playhead if self._play_position is None else self._play_position

    def _repaint_all(self) -> None:
        self.viewport().update()
        self.ruler.update()
        self.keyboard.update()

    # --- hit testing ---------------------------------------------------------------------
    def note_at(self, pos: QPointF) -> tuple[NoteRef, bool] | None:
        """The top-most note under `pos` and whether `pos` is on its right (resize) edge.

        Drawing reaches the active voice and selected notes only, so a note can be drawn in
        unison with another voice's; the select tool reaches every voice, the active first."""
        c = self.coords
        step, pitch = c.step_at(pos.x()), c.pitch_at(pos.y())
        order = [self._active_voice] + [v for v in range(4) if v != self._active_voice]
        for voice in order:
            reachable = voice == self._active_voice or self._tool is Tool.SELECT
            for note in self._indexes[voice].between(step, step + 1e-9):
                if (note.pitch == pitch and note.start <= step < note.end
                        and (reachable or (voice, note) in self._selection)):
                    right = c.x_of_step(note.end)
                    grab = min(EDGE_GRAB, note.duration * c.step_width / 3)
                    return (voice, note), pos.x() >= right - grab
        return None

    def notes_in(self, rect: QRectF) -> frozenset[NoteRef]:
        rect = rect.normalized()
        c = self.coords
        first, last = c.step_at(rect.left()), c.step_at(rect.right())
        high, low = c.pitch_at(rect.top()), c.pitch_at(rect.bottom())
        found = set()
        for voice, index in enumerate(self._indexes):
            for note in index.between(first, last):
                if low <= note.pitch <= high:
                    found.add((voice, note))
        return frozenset(found)

    # --- editing commands (the window's actions call these) -----------------------------
    def commit(self, edit: note_edits.Edit | None) -> None:
        """Apply an edit as one undo step and select what it leaves selected."""
        if edit is None:
            return
        self.document.apply(edit.name, edit.score)
        self.set_selection(note_edits.existing(self.document.score, edit.selection))

    def sorted_selection(self) -> list[NoteRef]:
        return sorted(self._selection, key=lambda r: (r[0], r[1].start))

    def select_all(self) -> None:
        self.set_selection(frozenset(self.document.score.notes()))

    def clear_selection(self) -> None:
        self.set_selection(frozenset())

    def delete_selection(self) -> None:
        self.commit(note_edits.delete(self.document.score, self._selection))

    def nudge(self, steps: int) -> None:
        self.commit(note_edits.move(self.document.score, self.sorted_selection(), steps, 0,
                                    name="Nudge " + ("notes" if len(self._selection) > 1
                                                     else "note")))

    def transpose(self, semitones: int) -> None:
        self.commit(note_edits.move(self.document.score, self.sorted_selection(), 0,
                                    semitones))

    def copy(self) -> None:
        if self._selection:
            self._clip = note_edits.Clip.of(self._selection)

    def cut(self) -> None:
        if self._selection:
            self._clip = note_edits.Clip.of(self._selection)
            self.commit(note_edits.delete(self.document.score, self._selection,
                                          name="Cut notes"))

    def paste(self) -> None:
        self.commit(note_edits.paste(self.document.score, self._clip, self.document.playhead))

    def toggle_fermata(self) -> None:
        """A fermata on the playhead's step, or none if there was one: marks a phrase end."""
        score = self.document.score
        step = self.document.playhead
        if step in score.fermatas:
            self.document.apply("Remove fermata", score.with_meta(fermatas=score.fermatas - {step}))
        else:
            self.document.apply("Add fermata", score.with_meta(fermatas=score.fermatas | {step}))

    @property
    def can_paste(self) -> bool:
        return bool(self._clip)

    # --- keys: only those of a gesture in progress ----------------------------------------
    def _dragging(self) -> bool:
        return self._gesture is not None or self.ruler.dragging

    def event(self, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.ShortcutOverride and self._dragging()
                and event.key() == Qt.Key.Key_Escape):
            event.accept()  # Escape cancels the drag instead of reaching the actions
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self._dragging():
            self.cancel_gesture()
            event.accept()
            return
        super().keyPressEvent(event)

    def cancel_gesture(self) -> None:
        """Drop the drag in progress, on the notes or the ruler: its release changes
        nothing."""
        self.ruler.cancel()
        gesture, self._gesture = self._gesture, None
        if gesture is not None:
            gesture.cancel()
            self.viewport().update()

    def showEvent(self, event: QShowEvent) -> None:
        """The first time the roll is seen: the music (or the voices' middle) in view,
        whatever the window's height."""
        super().showEvent(event)
        if not self._shown:
            self._shown = True
            self.show_start()

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.viewport().update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.viewport().update()

    # --- mouse -------------------------------------------------------------------------------
    def viewportEvent(self, event):  # noqa: ANN001 - Qt override
        if event.type() == event.Type.Leave:
            self._set_hover(None, None)
        return super().viewportEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        mods = event.modifiers()
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta or not mods & (Qt.KeyboardModifier.ControlModifier
                                    | Qt.KeyboardModifier.ShiftModifier):
            super().wheelEvent(event)
            return
        factor = ZOOM_FACTOR ** (delta / 120)
        if mods & Qt.KeyboardModifier.ControlModifier:
            self.zoom_time(factor, event.position())
        else:
            self.zoom_pitch(factor, event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        pos = event.position()
        hit = self.note_at(pos)
        if event.button() == Qt.MouseButton.RightButton:
            if hit is not None:
                self.cancel_gesture()
                self.commit(note_edits.delete(self.document.score, [hit[0]],
                                              name="Delete note"))
            return
        if event.button() == Qt.MouseButton.LeftButton:
            self._gesture = self._start_gesture(pos, hit, event.modifiers())
            self.viewport().update()

    def _start_gesture(self, pos: QPointF, hit: tuple[NoteRef, bool] | None,
                       mods: Qt.KeyboardModifier) -> Gesture | None:
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if hit is not None:
            ref, on_edge = hit
            was_selected = ref in self._selection
            if shift:
                self.set_selection(self._selection ^ {ref})
            elif not was_selected:
                self.set_selection(frozenset({ref}))
            self.set_active_voice(ref[0])
            self.auditionRequested.emit(ref[0], ref[1].pitch)
            if ref not in self._selection:
                return None
            kind = ResizeNotes if on_edge else MoveNotes
            return kind(self, pos, ref, was_selected)
        if self._tool is Tool.SELECT or shift or ctrl:
            return RubberBand(self, pos, self._selection if shift else frozenset())
        self.clear_selection()
        gesture = AddNote(self, pos, self._active_voice, self._note_length)
        self.auditionRequested.emit(self._active_voice, gesture.note.pitch)
        return gesture

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        self._set_hover(self.coords.step_at(pos.x()), self.coords.pitch_at(pos.y()))
        if self._gesture is None:
            self._update_cursor(pos)
            return
        self._gesture.move(pos)
        self.viewport().update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        gesture, self._gesture = self._gesture, None
        if gesture is not None and event.button() == Qt.MouseButton.LeftButton:
            gesture.release(bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        self.viewport().update()

    def _update_cursor(self, pos: QPointF) -> None:
        hit = self.note_at(pos)
        if hit is not None and hit[1]:
            shape = Qt.CursorShape.SizeHorCursor
        elif hit is not None:
            shape = Qt.CursorShape.OpenHandCursor
        else:
            shape = (Qt.CursorShape.CrossCursor if self._tool is Tool.DRAW
                     else Qt.CursorShape.ArrowCursor)
        self.viewport().setCursor(QCursor(shape))

    def _set_hover(self, step: float | None, pitch: int | None) -> None:
        if pitch != self._hover_pitch:
            self._hover_pitch = pitch
            self.keyboard.update()
        if step is None or pitch is None:
            self.hoverChanged.emit("")
            return
        score = self.document.score
        text = f"{self.pitch_label(pitch)}  ·  {bar_beat_sixteenth(score, int(step))}"
        for voice in [self._active_voice] + [v for v in range(4) if v != self._active_voice]:
            note = score.note_at(voice, int(step))
            if note is not None and note.pitch == pitch:
                if note in self._indexes[voice].out_of_range:
                    low, high = VOICE_RANGES[voice]
                    text += (f"  ·  outside the {VOICE_NAMES[voice].lower()}'s range "
                             f"{self.pitch_label(low)}–{self.pitch_label(high)}")
                break
        self.hoverChanged.emit(text)

    # --- painting ----------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        rect = self.viewport().geometry()
        self.keyboard.setGeometry(QRect(rect.left() - KEYBOARD_WIDTH, rect.top(),
                                        KEYBOARD_WIDTH, rect.height()))
        self.ruler.setGeometry(QRect(rect.left() - KEYBOARD_WIDTH, rect.top() - RULER_HEIGHT,
                                     rect.width() + KEYBOARD_WIDTH, RULER_HEIGHT))
        self._update_scrollbars()

    def sizeHint(self) -> QSize:
        return QSize(900, 560)

    def visible_steps(self) -> tuple[float, float]:
        return self.coords.step_at(0), self.coords.step_at(self.viewport().width())

    def visible_pitches(self) -> tuple[int, int]:
        return self.coords.pitch_at(self.viewport().height()), self.coords.pitch_at(0)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        clip = QRectF(event.rect())
        c = self.coords
        painter.fillRect(clip, theme.ROLL_BACKGROUND)
        first_step = c.step_at(clip.left())
        last_step = c.step_at(clip.right() + 1)
        low, high = c.pitch_at(clip.bottom()), c.pitch_at(clip.top())
        self._paint_rows(painter, clip, low, high)
        self._paint_grid(painter, clip, first_step, last_step)
        self._paint_loop(painter, clip)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self._paint_notes(painter, first_step, last_step, low, high)
        if self._pending is not None:
            paint_pending(self, painter, self._pending)
        if self._gesture is not None:
            self._gesture.paint(painter)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        x = c.x_of_step(self.shown_playhead())
        self._painted_playhead_x = x
        painter.setPen(QPen(theme.PLAYHEAD, 1.5))
        painter.drawLine(QLineF(x, clip.top(), x, clip.bottom() + 1))
        if self.hasFocus():
            self._paint_focus_frame(painter)
        painter.end()

    def _paint_focus_frame(self, painter: QPainter) -> None:
        """Where the keys go: a thin accent line round the notes area."""
        painter.setPen(QPen(theme.FOCUS_FRAME, 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(self.viewport().rect()).adjusted(1, 1, -1, -1))

    def _paint_rows(self, painter: QPainter, clip: QRectF, low: int, high: int) -> None:
        kh = self.coords.key_height
        range_low, range_high = VOICE_RANGES[self._active_voice]
        tint = QColor(theme.VOICE_COLORS[self._active_voice])
        tint.setAlpha(14)
        lines, octave_lines = [], []
        for pitch in range(low, high + 1):
            y = self.coords.y_of_pitch(pitch)
            row = QRectF(clip.left(), y, clip.width() + 1, kh)
            if pitch % 12 in BLACK_KEYS:
                painter.fillRect(row, theme.ROLL_BLACK_ROW)
            if range_low <= pitch <= range_high:
                painter.fillRect(row, tint)
            (octave_lines if pitch % 12 == 0 else lines).append(
                QLineF(clip.left(), y + kh, clip.right() + 1, y + kh))
        if kh >= 7:
            painter.setPen(QPen(theme.ROLL_ROW_LINE, 1))
            painter.drawLines(lines)
        painter.setPen(QPen(theme.ROLL_OCTAVE_LINE, 1))
        painter.drawLines(octave_lines)

    def _paint_grid(self, painter: QPainter, clip: QRectF, first: float, last: float) -> None:
        ts = self.document.score.time_signature
        beat, bar = ts.steps_per_beat, ts.steps_per_bar
        sw = self.coords.step_width
        every = 1
        while every * sw < 6:
            every *= 2
        groups: dict[str, list[QLineF]] = {"step": [], "beat": [], "bar": []}
        step = max(0, int(first) // every * every)
        top, bottom = clip.top(), clip.bottom() + 1
        while step <= last:
            x = round(self.coords.x_of_step(step)) + 0.5
            kind = "bar" if step % bar == 0 else "beat" if step % beat == 0 else "step"
            if kind != "step" or (step % self._grid == 0 or sw >= 10):
                groups[kind].append(QLineF(x, top, x, bottom))
            step += every
        for kind, color in (("step", theme.ROLL_STEP_LINE), ("beat", theme.ROLL_BEAT_LINE),
                            ("bar", theme.ROLL_BAR_LINE)):
            painter.setPen(QPen(color, 1))
            painter.drawLines(groups[kind])

    def _paint_loop(self, painter: QPainter, clip: QRectF) -> None:
        loop = self.document.loop_range
        if loop is not None:
            a, b = self.coords.x_of_step(loop[0]), self.coords.x_of_step(loop[1])
            fill = QColor(theme.ROLL_LOOP_FILL)
            if not self.document.looping:
                fill.setAlpha(fill.alpha() // 3)
            painter.fillRect(QRectF(a, clip.top(), b - a, clip.height() + 1), fill)

    def _paint_notes(self, painter: QPainter, first: float, last: float, low: int,
                     high: int) -> None:
        hidden = self._gesture.hidden if self._gesture is not None else frozenset()
        pending = self._pending
        c = self.coords
        compact = (c.step_width < 3 or c.key_height < 6) and self._confidence is None
        order = [v for v in (3, 2, 1, 0) if v != self._active_voice] + [self._active_voice]
        for voice in order:
            active = voice == self._active_voice
            index = self._indexes[voice]
            plain: list[QRectF] = []
            for note in index.between(first, last):
                if low <= note.pitch <= high:
                    ref = (voice, note)
                    if ref in hidden or (pending is not None and pending.replaces(*ref)):
                        self._paint_ghost(painter, voice, note)
                    elif compact and ref not in self._selection and note not in index.out_of_range:
                        plain.append(self.note_rect(voice, note))
                    else:
                        self.paint_note(painter, voice, note, active, ref in self._selection,
                                        note in index.out_of_range)
            if plain:
                # Zoomed far out a note is a few pixels: one batched call per voice.
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(theme.voice_color(voice, active))
                painter.drawRects(plain)

    def paint_note(self, painter: QPainter, voice: int, note: Note, active: bool,
                   selected: bool, out_of_range: bool = False) -> None:
        """One note as the roll draws it; gestures draw their previews with it too."""
        rect = self.note_rect(voice, note).adjusted(0.5, 0.5, -0.5, -0.5)
        probability = (self._confidence.get((voice, note)) if self._confidence is not None
                       else None)
        fill = (theme.voice_color(voice, active) if probability is None
                else confidence_color(voice, probability, active))
        radius = min(3.0, rect.height() / 3, rect.width() / 3)
        painter.setBrush(fill)
        if selected:
            painter.setPen(QPen(theme.SELECTION_OUTLINE, 2))
        else:
            painter.setPen(QPen(fill.darker(170 if active else 130), 1))
        painter.drawRoundedRect(rect, radius, radius)
        if probability is not None and probability < SURPRISING:
            paint_surprise_outline(painter, rect)
        if out_of_range:
            painter.setBrush(QBrush(QColor(0, 0, 0, 110), Qt.BrushStyle.BDiagPattern))
            painter.setPen(QPen(theme.OUT_OF_RANGE, 1.5, Qt.PenStyle.DashLine))
            painter.drawRoundedRect(rect, radius, radius)
        if active and rect.width() >= 26 and rect.height() >= 9:
            painter.setFont(self._note_font)
            painter.setPen(QColor(20, 22, 28, 220))
            painter.drawText(rect.adjusted(4, 0, -2, 0),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             self.pitch_label(note.pitch))

    def _paint_ghost(self, painter: QPainter, voice: int, note: Note) -> None:
        rect = self.note_rect(voice, note).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(theme.voice_color(voice, False), 1, Qt.PenStyle.DashLine))
        painter.drawRect(rect)
