"""The piano roll: one scroll area that paints the score's notes itself.

No widget or graphics item per note: the view paints the visible slice of each voice,
found by bisecting the voice's (sorted, non-overlapping) notes, so a score of ten thousand
notes costs no more per frame than the few hundred on screen.

The view edits only through `ScoreDocument.apply`. While a drag is under way its preview
lives in the gesture object; the document changes once, at release, so each gesture is one
undo step. The selection is view state and is re-validated whenever the score changes.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from enum import Enum

from PySide6.QtCore import QLineF, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QCursor,
    QFont,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from composer.gui import note_edits, theme
from composer.gui.document import ScoreDocument
from composer.music.score import (
    VOICE_NAMES,
    VOICE_RANGES,
    Note,
    NoteRef,
    Score,
    Voice,
    pitch_name,
)

PITCHES = 128
KEYBOARD_WIDTH = 58
RULER_HEIGHT = 34
DRAG_THRESHOLD = 4
EDGE_GRAB = 5
MIN_STEP_WIDTH, MAX_STEP_WIDTH = 1.5, 96.0
MIN_KEY_HEIGHT, MAX_KEY_HEIGHT = 4.0, 40.0
ZOOM_FACTOR = 1.25
BLACK_KEYS = frozenset({1, 3, 6, 8, 10})


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


class _Kind(Enum):
    ADD = "add"
    MOVE = "move"
    RESIZE = "resize"
    BAND = "band"


@dataclass
class _Gesture:
    """A mouse gesture in progress: what the preview draws and what release commits."""

    kind: _Kind
    press: QPointF
    press_step: float
    press_pitch: int
    dragging: bool = False
    refs: tuple[NoteRef, ...] = ()
    grabbed: NoteRef | None = None
    steps: int = 0
    semitones: int = 0
    added: tuple[int, Note] | None = None
    band: QRectF | None = None
    base_selection: frozenset[NoteRef] = field(default_factory=frozenset)
    was_selected: bool = False


class PianoRollView(QAbstractScrollArea):
    selectionChanged = Signal(int)
    activeVoiceChanged = Signal(int)
    toolChanged = Signal(object)
    hoverChanged = Signal(str)
    zoomChanged = Signal()
    auditionRequested = Signal(int, int)  # voice, pitch: for a later audio hook

    def __init__(self, document: ScoreDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._step_width = 14.0
        self._key_height = 13.0
        self._active_voice = 0
        self._tool = Tool.DRAW
        self._grid = 1
        self._note_length = 4
        self._selection: frozenset[NoteRef] = frozenset()
        self._clip = note_edits.Clip(())
        self._gesture: _Gesture | None = None
        self._indexes = [_VoiceIndex(i, v) for i, v in enumerate(document.score.voices)]
        self._hover_pitch: int | None = None
        self._play_position: float | None = None  # the sounding step while playing
        self._painted_playhead_x: float | None = None
        self._follow_playback = True
        self._note_font = QFont()
        self._note_font.setPointSizeF(7.5)

        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setViewportMargins(KEYBOARD_WIDTH, RULER_HEIGHT, 0, 0)
        self.viewport().setMouseTracking(True)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.keyboard = _Keyboard(self)
        self.ruler = _Ruler(self)
        self.horizontalScrollBar().valueChanged.connect(self.ruler.update)
        self.verticalScrollBar().valueChanged.connect(self.keyboard.update)

        document.scoreChanged.connect(self._score_changed)
        document.playheadChanged.connect(self._playhead_changed)
        document.loopRangeChanged.connect(self._repaint_all)
        self._score_changed()
        self.verticalScrollBar().setValue(int(self._y_of_pitch(76)))

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

    @property
    def note_length(self) -> int:
        return self._note_length

    def set_note_length(self, steps: int) -> None:
        self._note_length = max(1, int(steps))

    @property
    def step_width(self) -> float:
        return self._step_width

    @property
    def key_height(self) -> float:
        return self._key_height

    # --- coordinates -------------------------------------------------------------------
    def _x_of_step(self, step: float) -> float:
        return step * self._step_width - self.horizontalScrollBar().value()

    def _y_of_pitch(self, pitch: int) -> float:
        """Top of the row of `pitch`, in viewport coordinates (when not scrolled: content)."""
        return (PITCHES - 1 - pitch) * self._key_height - self.verticalScrollBar().value()

    def _step_at(self, x: float) -> float:
        return (x + self.horizontalScrollBar().value()) / self._step_width

    def _pitch_at(self, y: float) -> int:
        row = math.floor((y + self.verticalScrollBar().value()) / self._key_height)
        return min(PITCHES - 1, max(0, PITCHES - 1 - row))

    def _snap(self, step: float) -> int:
        return max(0, math.floor(step / self._grid) * self._grid)

    def note_rect(self, voice: int, note: Note) -> QRectF:
        """Where a note is drawn, in viewport coordinates."""
        return QRectF(self._x_of_step(note.start), self._y_of_pitch(note.pitch),
                      note.duration * self._step_width, self._key_height)

    def cell_center(self, step: float, pitch: int) -> QPointF:
        """The viewport point in the middle of a grid cell."""
        return QPointF(self._x_of_step(step + 0.5), self._y_of_pitch(pitch) + self._key_height / 2)

    def _content_steps(self) -> int:
        score = self.document.score
        bar = score.steps_per_bar
        end = max(score.length, self.document.playhead, 16 * bar) + 4 * bar
        return -(-end // bar) * bar

    def _update_scrollbars(self) -> None:
        size = self.viewport().size()
        width = int(self._content_steps() * self._step_width)
        height = int(PITCHES * self._key_height)
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setRange(0, max(0, width - size.width()))
        h.setPageStep(size.width())
        h.setSingleStep(max(1, int(self._step_width * 2)))
        v.setRange(0, max(0, height - size.height()))
        v.setPageStep(size.height())
        v.setSingleStep(max(1, int(self._key_height * 2)))

    # --- zoom --------------------------------------------------------------------------
    def set_zoom(self, step_width: float, key_height: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the music under `anchor` (viewport coordinates) in place."""
        step_width = min(MAX_STEP_WIDTH, max(MIN_STEP_WIDTH, step_width))
        key_height = min(MAX_KEY_HEIGHT, max(MIN_KEY_HEIGHT, key_height))
        if anchor is None:
            anchor = QPointF(self.viewport().width() / 2, self.viewport().height() / 2)
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        content_x = (anchor.x() + h.value()) / self._step_width
        content_y = (anchor.y() + v.value()) / self._key_height
        self._step_width, self._key_height = step_width, key_height
        self._update_scrollbars()
        h.setValue(round(content_x * step_width - anchor.x()))
        v.setValue(round(content_y * key_height - anchor.y()))
        self.zoomChanged.emit()
        self._repaint_all()

    def zoom_time(self, factor: float, anchor: QPointF | None = None) -> None:
        self.set_zoom(self._step_width * factor, self._key_height, anchor)

    def zoom_pitch(self, factor: float, anchor: QPointF | None = None) -> None:
        self.set_zoom(self._step_width, self._key_height * factor, anchor)

    def zoom_in(self) -> None:
        self.zoom_time(ZOOM_FACTOR)

    def zoom_out(self) -> None:
        self.zoom_time(1 / ZOOM_FACTOR)

    def fit_to_window(self) -> None:
        """The whole score (or four bars of an empty page) and its pitch span on screen."""
        score = self.document.score
        steps = max(score.length, 4 * score.steps_per_bar)
        pitches = [n.pitch for _, n in score.notes()] or [48, 79]
        low, high = min(pitches) - 2, max(pitches) + 2
        size = self.viewport().size()
        self._step_width = min(MAX_STEP_WIDTH, max(MIN_STEP_WIDTH, size.width() / steps))
        self._key_height = min(MAX_KEY_HEIGHT, max(MIN_KEY_HEIGHT,
                                                    size.height() / (high - low + 1)))
        self._update_scrollbars()
        self.horizontalScrollBar().setValue(0)
        self.verticalScrollBar().setValue(round((PITCHES - 1 - high) * self._key_height))
        self.zoomChanged.emit()
        self._repaint_all()

    def show_start(self) -> None:
        """Scroll to the beginning, the music's pitches centred: where a fresh document opens."""
        score = self.document.score
        pitches = [n.pitch for _, n in score.notes()] or [60, 72]
        middle = (min(pitches) + max(pitches)) / 2
        self.horizontalScrollBar().setValue(0)
        centre = (PITCHES - 1 - middle) * self._key_height - self.viewport().height() / 2
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
        x = self._x_of_step(step)
        width = self.viewport().width()
        if step * self._step_width > self.horizontalScrollBar().maximum() + width:
            self._update_scrollbars()
        if x < 0 or x > width - 8:
            self.horizontalScrollBar().setValue(round(step * self._step_width - width * 0.1))

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
        new = self._x_of_step(self._shown_playhead())
        for x in (new,) if old is None else (old, new):
            self.viewport().update(QRect(math.floor(x) - 2, 0, 5, height))
        self.ruler.update()

    def _shown_playhead(self) -> float:
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
        step = self._step_at(pos.x())
        pitch = self._pitch_at(pos.y())
        order = [self._active_voice] + [v for v in range(4) if v != self._active_voice]
        for voice in order:
            reachable = voice == self._active_voice or self._tool is Tool.SELECT
            for note in self._indexes[voice].between(step, step + 1e-9):
                if (note.pitch == pitch and note.start <= step < note.end
                        and (reachable or (voice, note) in self._selection)):
                    right = self._x_of_step(note.end)
                    width = note.duration * self._step_width
                    grab = min(EDGE_GRAB, width / 3)
                    return (voice, note), pos.x() >= right - grab
        return None

    def notes_in(self, rect: QRectF) -> frozenset[NoteRef]:
        rect = rect.normalized()
        first, last = self._step_at(rect.left()), self._step_at(rect.right())
        high, low = self._pitch_at(rect.top()), self._pitch_at(rect.bottom())
        found = set()
        for voice, index in enumerate(self._indexes):
            for note in index.between(first, last):
                if low <= note.pitch <= high:
                    found.add((voice, note))
        return frozenset(found)

    # --- editing commands (menus and keys call these) -----------------------------------
    def _commit(self, edit: note_edits.Edit | None) -> None:
        if edit is None:
            return
        self.document.apply(edit.name, edit.score)
        self.set_selection(note_edits.existing(self.document.score, edit.selection))

    def _sorted_selection(self) -> list[NoteRef]:
        return sorted(self._selection, key=lambda r: (r[0], r[1].start))

    def select_all(self) -> None:
        self.set_selection(frozenset(self.document.score.notes()))

    def clear_selection(self) -> None:
        self.set_selection(frozenset())

    def delete_selection(self) -> None:
        self._commit(note_edits.delete(self.document.score, self._selection))

    def nudge(self, steps: int) -> None:
        self._commit(note_edits.move(self.document.score, self._sorted_selection(), steps, 0,
                                     name="Nudge " + ("notes" if len(self._selection) > 1
                                                      else "note")))

    def transpose(self, semitones: int) -> None:
        self._commit(note_edits.move(self.document.score, self._sorted_selection(), 0,
                                     semitones))

    def copy(self) -> None:
        if self._selection:
            self._clip = note_edits.Clip.of(self._selection)

    def cut(self) -> None:
        if self._selection:
            self._clip = note_edits.Clip.of(self._selection)
            self._commit(note_edits.delete(self.document.score, self._selection,
                                           name="Cut notes"))

    def paste(self) -> None:
        self._commit(note_edits.paste(self.document.score, self._clip, self.document.playhead))

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

    # --- keys ------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        score = self.document.score
        plain = not mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                            | Qt.KeyboardModifier.MetaModifier)
        if plain and key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            amount = score.time_signature.steps_per_beat if shift else 1
            self.nudge(amount if key == Qt.Key.Key_Right else -amount)
        elif plain and key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            amount = 12 if shift else 1
            self.transpose(amount if key == Qt.Key.Key_Up else -amount)
        elif plain and key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selection()
        elif key == Qt.Key.Key_Escape:
            self._gesture = None
            self.clear_selection()
        elif plain and Qt.Key.Key_1 <= key <= Qt.Key.Key_4:
            self.set_active_voice(key - Qt.Key.Key_1)
        elif event.matches(QKeySequence.StandardKey.SelectAll):
            self.select_all()
        elif event.matches(QKeySequence.StandardKey.Copy):
            self.copy()
        elif event.matches(QKeySequence.StandardKey.Cut):
            self.cut()
        elif event.matches(QKeySequence.StandardKey.Paste):
            self.paste()
        elif event.matches(QKeySequence.StandardKey.Undo):
            self.document.undo_stack.undo()
        elif event.matches(QKeySequence.StandardKey.Redo):
            self.document.undo_stack.redo()
        elif event.matches(QKeySequence.StandardKey.ZoomIn) or (
                key == Qt.Key.Key_Equal and mods & Qt.KeyboardModifier.ControlModifier):
            self.zoom_in()
        elif event.matches(QKeySequence.StandardKey.ZoomOut):
            self.zoom_out()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

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
                self._gesture = None
                self._commit(note_edits.delete(self.document.score, [hit[0]],
                                               name="Delete note"))
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        mods = event.modifiers()
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        gesture = _Gesture(_Kind.BAND, pos, self._step_at(pos.x()), self._pitch_at(pos.y()))
        if hit is not None:
            ref, on_edge = hit
            gesture.grabbed = ref
            gesture.was_selected = ref in self._selection
            if shift:
                self.set_selection(self._selection ^ {ref})
            elif ref not in self._selection:
                self.set_selection(frozenset({ref}))
            self.set_active_voice(ref[0])
            self.auditionRequested.emit(ref[0], ref[1].pitch)
            if ref in self._selection:
                gesture.kind = _Kind.RESIZE if on_edge else _Kind.MOVE
                gesture.refs = tuple(self._sorted_selection())
                self._gesture = gesture
            return
        if self._tool is Tool.SELECT or shift or ctrl:
            gesture.base_selection = self._selection if shift else frozenset()
            if not shift:
                self.clear_selection()
            self._gesture = gesture
            return
        start = self._snap(gesture.press_step)
        gesture.kind = _Kind.ADD
        gesture.added = (self._active_voice,
                         Note(start, self._note_length, gesture.press_pitch))
        self.clear_selection()
        self._gesture = gesture
        self.auditionRequested.emit(self._active_voice, gesture.press_pitch)
        self.viewport().update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        self._set_hover(self._step_at(pos.x()), self._pitch_at(pos.y()))
        gesture = self._gesture
        if gesture is None:
            self._update_cursor(pos)
            return
        if not gesture.dragging:
            moved = pos - gesture.press
            if abs(moved.x()) + abs(moved.y()) < DRAG_THRESHOLD:
                return
            gesture.dragging = True
        step = self._step_at(pos.x())
        if gesture.kind is _Kind.MOVE:
            steps = round((step - gesture.press_step) / self._grid) * self._grid
            semitones = self._pitch_at(pos.y()) - gesture.press_pitch
            before = gesture.semitones
            gesture.steps, gesture.semitones = note_edits.clamp_shift(gesture.refs, steps,
                                                                      semitones)
            if gesture.semitones != before and gesture.grabbed is not None:
                voice, note = gesture.grabbed
                self.auditionRequested.emit(voice, note.pitch + gesture.semitones)
        elif gesture.kind is _Kind.RESIZE:
            assert gesture.grabbed is not None
            note = gesture.grabbed[1]
            end = max(note.start + 1, round(step / self._grid) * self._grid)
            gesture.steps = end - note.end
        elif gesture.kind is _Kind.ADD:
            assert gesture.added is not None
            voice, note = gesture.added
            end = max(note.start + self._grid, math.ceil(step / self._grid) * self._grid)
            gesture.added = (voice, Note(note.start, end - note.start, note.pitch))
        else:
            gesture.band = QRectF(gesture.press, pos).normalized()
            self.set_selection(gesture.base_selection | self.notes_in(gesture.band))
        self.viewport().update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        gesture, self._gesture = self._gesture, None
        if gesture is None or event.button() != Qt.MouseButton.LeftButton:
            return
        score = self.document.score
        if gesture.kind is _Kind.ADD:
            assert gesture.added is not None
            self._commit(note_edits.add(score, *gesture.added))
        elif gesture.kind is _Kind.MOVE and gesture.dragging:
            self._commit(note_edits.move(score, gesture.refs, gesture.steps, gesture.semitones))
        elif gesture.kind is _Kind.RESIZE and gesture.dragging:
            self._commit(note_edits.resize(score, gesture.refs, gesture.steps))
        elif (gesture.kind in (_Kind.MOVE, _Kind.RESIZE) and gesture.was_selected
              and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            self.set_selection(frozenset({gesture.grabbed}))
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
        text = f"{pitch_name(pitch)}  ·  {bar_beat_sixteenth(score, int(step))}"
        hit = None
        for voice in [self._active_voice] + [v for v in range(4) if v != self._active_voice]:
            note = score.note_at(voice, int(step))
            if note is not None and note.pitch == pitch:
                hit = (voice, note)
                break
        if hit is not None and hit[1] in self._indexes[hit[0]].out_of_range:
            low, high = VOICE_RANGES[hit[0]]
            text += (f"  ·  outside the {VOICE_NAMES[hit[0]].lower()}'s range "
                     f"{pitch_name(low)}–{pitch_name(high)}")
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
        return self._step_at(0), self._step_at(self.viewport().width())

    def visible_pitches(self) -> tuple[int, int]:
        return self._pitch_at(self.viewport().height()), self._pitch_at(0)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        clip = QRectF(event.rect())
        painter.fillRect(clip, theme.ROLL_BACKGROUND)
        first_step = self._step_at(clip.left())
        last_step = self._step_at(clip.right() + 1)
        low, high = self._pitch_at(clip.bottom()), self._pitch_at(clip.top())
        self._paint_rows(painter, clip, low, high)
        self._paint_grid(painter, clip, first_step, last_step)
        self._paint_loop(painter, clip)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self._paint_notes(painter, first_step, last_step, low, high)
        self._paint_gesture(painter)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        x = self._x_of_step(self._shown_playhead())
        self._painted_playhead_x = x
        painter.setPen(QPen(theme.PLAYHEAD, 1.5))
        painter.drawLine(QLineF(x, clip.top(), x, clip.bottom() + 1))
        painter.end()

    def _paint_rows(self, painter: QPainter, clip: QRectF, low: int, high: int) -> None:
        kh = self._key_height
        range_low, range_high = VOICE_RANGES[self._active_voice]
        tint = QColor(theme.VOICE_COLORS[self._active_voice])
        tint.setAlpha(14)
        lines, octave_lines = [], []
        for pitch in range(low, high + 1):
            y = self._y_of_pitch(pitch)
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
        sw = self._step_width
        every = 1
        while every * sw < 6:
            every *= 2
        groups: dict[str, list[QLineF]] = {"step": [], "beat": [], "bar": []}
        step = max(0, int(first) // every * every)
        top, bottom = clip.top(), clip.bottom() + 1
        while step <= last:
            x = round(self._x_of_step(step)) + 0.5
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
            a, b = self._x_of_step(loop[0]), self._x_of_step(loop[1])
            painter.fillRect(QRectF(a, clip.top(), b - a, clip.height() + 1), theme.ROLL_LOOP_FILL)

    def _paint_notes(self, painter: QPainter, first: float, last: float, low: int,
                     high: int) -> None:
        gesture = self._gesture
        moving: frozenset[NoteRef] = frozenset()
        if gesture is not None and gesture.dragging and gesture.kind in (_Kind.MOVE,
                                                                         _Kind.RESIZE):
            moving = frozenset(gesture.refs)
        compact = self._step_width < 3 or self._key_height < 6
        order = [v for v in (3, 2, 1, 0) if v != self._active_voice] + [self._active_voice]
        for voice in order:
            active = voice == self._active_voice
            index = self._indexes[voice]
            plain: list[QRectF] = []
            for note in index.between(first, last):
                if low <= note.pitch <= high:
                    ref = (voice, note)
                    if ref in moving:
                        self._paint_ghost(painter, voice, note)
                    elif compact and ref not in self._selection and note not in index.out_of_range:
                        plain.append(self.note_rect(voice, note))
                    else:
                        self._paint_note(painter, voice, note, active, ref in self._selection,
                                         note in index.out_of_range)
            if plain:
                # Zoomed far out a note is a few pixels: one batched call per voice.
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(theme.voice_color(voice, active))
                painter.drawRects(plain)

    def _paint_note(self, painter: QPainter, voice: int, note: Note, active: bool,
                    selected: bool, out_of_range: bool) -> None:
        rect = self.note_rect(voice, note).adjusted(0.5, 0.5, -0.5, -0.5)
        fill = theme.voice_color(voice, active)
        radius = min(3.0, rect.height() / 3, rect.width() / 3)
        painter.setBrush(fill)
        if selected:
            painter.setPen(QPen(theme.SELECTION_OUTLINE, 2))
        else:
            painter.setPen(QPen(fill.darker(170 if active else 130), 1))
        painter.drawRoundedRect(rect, radius, radius)
        if out_of_range:
            painter.setBrush(QBrush(QColor(0, 0, 0, 110), Qt.BrushStyle.BDiagPattern))
            painter.setPen(QPen(theme.OUT_OF_RANGE, 1.5, Qt.PenStyle.DashLine))
            painter.drawRoundedRect(rect, radius, radius)
        if active and rect.width() >= 26 and rect.height() >= 9:
            painter.setFont(self._note_font)
            painter.setPen(QColor(20, 22, 28, 220))
            painter.drawText(rect.adjusted(4, 0, -2, 0),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             pitch_name(note.pitch))

    def _paint_ghost(self, painter: QPainter, voice: int, note: Note) -> None:
        rect = self.note_rect(voice, note).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(theme.voice_color(voice, False), 1, Qt.PenStyle.DashLine))
        painter.drawRect(rect)

    def _paint_gesture(self, painter: QPainter) -> None:
        gesture = self._gesture
        if gesture is None:
            return
        if gesture.kind is _Kind.ADD and gesture.added is not None:
            voice, note = gesture.added
            self._paint_note(painter, voice, note, True, True, False)
        elif gesture.kind is _Kind.MOVE and gesture.dragging:
            for voice, note in gesture.refs:
                self._paint_note(painter, voice, note.shifted(gesture.steps, gesture.semitones),
                                 True, True, False)
        elif gesture.kind is _Kind.RESIZE and gesture.dragging:
            for voice, note in gesture.refs:
                duration = max(1, note.duration + gesture.steps)
                self._paint_note(painter, voice, Note(note.start, duration, note.pitch,
                                                      note.velocity), True, True, False)
        elif gesture.kind is _Kind.BAND and gesture.band is not None:
            fill = QColor(theme.RUBBER_BAND)
            fill.setAlpha(40)
            painter.setBrush(fill)
            painter.setPen(QPen(theme.RUBBER_BAND, 1))
            painter.drawRect(gesture.band)


class _Keyboard(QWidget):
    """Piano keys beside the rows, note names on the Cs, the active voice's range marked."""

    def __init__(self, view: PianoRollView) -> None:
        super().__init__(view)
        self._view = view
        font = QFont()
        font.setPointSizeF(7.5)
        self.setFont(font)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        view = self._view
        pitch = view._pitch_at(event.position().y())
        view.auditionRequested.emit(view.active_voice, pitch)

    def paintEvent(self, event: QPaintEvent) -> None:
        view = self._view
        painter = QPainter(self)
        width, kh = self.width(), view.key_height
        painter.fillRect(self.rect(), theme.KEY_WHITE)
        low, high = view._pitch_at(self.height()), view._pitch_at(0)
        black_width = width * 0.58
        range_low, range_high = VOICE_RANGES[view.active_voice]
        color = theme.VOICE_COLORS[view.active_voice]
        for pitch in range(low, high + 1):
            y = view._y_of_pitch(pitch)
            if pitch == view._hover_pitch:
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
                                 pitch_name(pitch))
        painter.setPen(QColor("#11131a"))
        painter.drawLine(width - 1, 0, width - 1, self.height())
        painter.end()


class _Ruler(QWidget):
    """Bars and beats above the roll. A click sets the playhead, a drag sets the loop range,
    a double click clears it."""

    def __init__(self, view: PianoRollView) -> None:
        super().__init__(view)
        self._view = view
        self._press_x: float | None = None
        self._dragging = False
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def _step_at(self, x: float) -> int:
        view = self._view
        return max(0, round(view._step_at(x - KEYBOARD_WIDTH) / view.grid) * view.grid)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and event.position().x() >= KEYBOARD_WIDTH:
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
        if self._press_x is not None and not self._dragging:
            view = self._view
            x = event.position().x() - KEYBOARD_WIDTH
            view.document.set_playhead(max(0, math.floor(view._step_at(x) / view.grid)
                                           * view.grid))
        self._press_x = None
        self._dragging = False

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self._view.document.set_loop_range(None)

    def paintEvent(self, event: QPaintEvent) -> None:
        view = self._view
        document = view.document
        score = document.score
        painter = QPainter(self)
        painter.fillRect(self.rect(), theme.RULER_BACKGROUND)
        painter.translate(KEYBOARD_WIDTH, 0)
        painter.setClipRect(QRectF(0, 0, self.width() - KEYBOARD_WIDTH, self.height()))
        height = self.height()
        ts = score.time_signature
        bar, beat = ts.steps_per_bar, ts.steps_per_beat
        first, last = view.visible_steps()
        loop = document.loop_range
        if loop is not None:
            a, b = view._x_of_step(loop[0]), view._x_of_step(loop[1])
            painter.fillRect(QRectF(a, height - 9, b - a, 7), theme.RULER_LOOP)
        bar_width = bar * view.step_width
        label_every = 1
        while label_every * bar_width < 34:
            label_every *= 2
        painter.setPen(theme.RULER_TICK)
        ticks = []
        step = max(0, int(first) // beat * beat)
        while step <= last:
            x = round(view._x_of_step(step)) + 0.5
            if step % bar == 0:
                ticks.append(QLineF(x, 2, x, height))
            elif beat * view.step_width >= 8:
                ticks.append(QLineF(x, height - 8, x, height))
            step += beat
        painter.drawLines(ticks)
        painter.setPen(theme.RULER_TEXT)
        font = QFont(self.font())
        font.setPointSizeF(8.5)
        font.setBold(True)
        painter.setFont(font)
        first_bar = max(0, int(first) // bar)
        for number in range(first_bar, int(last) // bar + 1):
            if number % label_every == 0:
                x = view._x_of_step(number * bar)
                painter.drawText(QRectF(x + 4, 1, 60, 16),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 str(number + 1))
        self._paint_fermatas(painter, score, first, last)
        x = view._x_of_step(view._shown_playhead())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.PLAYHEAD)
        painter.drawPolygon([QPointF(x - 6, height - 11), QPointF(x + 6, height - 11),
                             QPointF(x, height - 2)])
        painter.setPen(QPen(QColor("#14161b"), 1))
        painter.drawLine(QLineF(-KEYBOARD_WIDTH, height - 0.5, self.width(), height - 0.5))
        painter.end()

    def _paint_fermatas(self, painter: QPainter, score: Score, first: float,
                        last: float) -> None:
        view = self._view
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for step in sorted(score.fermatas):
            if first - 4 <= step <= last:
                x = view._x_of_step(step) + min(8.0, view.step_width * 2)
                painter.setPen(QPen(theme.FERMATA, 1.4))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawArc(QRectF(x - 6, 19, 12, 10), 0, 180 * 16)
                painter.setBrush(theme.FERMATA)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.drawEllipse(QPointF(x, 25.5), 1.4, 1.4)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)

