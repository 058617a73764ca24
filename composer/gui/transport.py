"""Play, pause, stop, loop and follow: the transport that drives the real-time player.

The controller turns the document (score, playhead, loop range) into `PlaybackPlan`s for
`composer.audio.player.RealtimePlayer`. The document's playhead is the user's cursor: the
sounding position travels only by `positionChanged`, and the cursor moves only when the
user moves it or pauses. The controller holds no music of its own: every edit, tempo
change, loop drag or cursor move during playback replans from where the sound is. The
mixer and soundfont are playback settings, kept in QSettings rather than in the score.
"""

from __future__ import annotations

import contextlib
import html
import json
import math
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLabel, QStyle, QToolBar, QWidget

from composer.audio.library import AudioError, fluidsynth_problem
from composer.audio.mixer import Mixer
from composer.audio.player import PERIOD_SIZES, RealtimePlayer
from composer.audio.schedule import FERMATA_HOLD, PlaybackPlan
from composer.gui.document import ScoreDocument
from composer.gui.workers import Task
from composer.music.score import Score

SOUNDFONT_KEY = "playback/soundfont"
MIXER_KEY = "playback/mixer"
FOLLOW_KEY = "playback/follow"
FERMATA_KEY = "playback/holdFermatas"
PERIOD_KEY = "playback/periodFrames"  # the player's, fitted to how playback went
SOUNDFONT_HINT = "; choose another soundfont in the Mixer."  # after a soundfont's warning
# Playhead refresh while playing: one frame at 60 Hz.
FRAME_MS = 16
# A sample clock frozen this long while playing means the output is gone.
STALL_SECONDS = 3.0
# The output closes after this long without playing or auditioning, and reopens on demand.
IDLE_SUSPEND_MS = 60_000


class TransportController(QObject):
    """`library_names` and `drivers` pass through to the player, so tests can run the
    missing-library and no-device paths on a machine that has both."""

    engineReady = Signal()
    positionChanged = Signal(float)  # fractional step while playing, -1.0 once stopped
    problemChanged = Signal(str)  # why playback is off ("" when it works)
    warningChanged = Signal(str)  # a soundfont that could not be used ("" when none)
    mixerChanged = Signal()
    soundfontChanged = Signal()
    followChanged = Signal(bool)
    notice = Signal(str)  # something the user should know that needs no answer

    def __init__(
        self,
        document: ScoreDocument,
        settings: QSettings | None = None,
        library_names: Sequence[str] | None = None,
        drivers: Sequence[str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.settings = settings if settings is not None else QSettings()
        self._library_names = library_names
        self._drivers = drivers
        self._player: RealtimePlayer | None = None
        self._opening: Task | None = None
        self._opening_soundfont: Path | None = None
        self._play_when_open = False
        self._closed = False
        self._preview: Score | None = None  # a pending candidate in place, not yet accepted
        self.mixer = Mixer.from_dict(_load_json(self.settings.value(MIXER_KEY)))
        saved = self.settings.value(SOUNDFONT_KEY)
        self.soundfont: Path | None = Path(saved) if saved else None
        self.warning = ""
        self.problem = fluidsynth_problem(library_names) or ""
        self.library_missing = bool(self.problem)
        self._last_tick = -1
        self._stalled_since: float | None = None

        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._advance)
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(IDLE_SUSPEND_MS)
        self._idle.timeout.connect(self._suspend_when_idle)
        self._create_actions()

        document.scoreChanged.connect(self._replan)
        document.loopRangeChanged.connect(self._loop_range_changed)
        document.playheadChanged.connect(self._playhead_moved)
        self._update_actions()

    # --- actions -------------------------------------------------------------------------
    def _create_actions(self) -> None:
        style = QApplication.style()
        sp = QStyle.StandardPixmap
        # Their keys are given where the window registers them in its action collection.
        self.play_action = QAction(style.standardIcon(sp.SP_MediaPlay), "&Play", self)
        self.play_action.triggered.connect(self.toggle_play)
        self.stop_action = QAction(style.standardIcon(sp.SP_MediaStop), "&Stop", self)
        self.stop_action.triggered.connect(self.stop)
        self.loop_action = QAction(style.standardIcon(sp.SP_BrowserReload), "&Loop", self)
        self.loop_action.setCheckable(True)
        self.loop_action.setIconVisibleInMenu(False)  # a check mark shows the state there
        self.loop_action.toggled.connect(self.document.set_looping)
        self.follow_action = QAction("&Follow Playhead", self)
        self.follow_action.setIconText("Follow")
        self.follow_action.setCheckable(True)
        self.follow_action.setChecked(_as_bool(self.settings.value(FOLLOW_KEY, True)))
        self.follow_action.setToolTip("Scroll the piano roll to keep the playhead in view")
        self.follow_action.toggled.connect(self._follow_toggled)
        self.fermata_action = QAction("Hold &Fermatas", self)
        self.fermata_action.setCheckable(True)
        self.fermata_action.setChecked(_as_bool(self.settings.value(FERMATA_KEY, True)))
        self.fermata_action.setStatusTip(
            f"Hold each chord under a fermata {FERMATA_HOLD:g} times as long, in playback "
            f"and in WAV export, as a choir holds the end of a phrase")
        self.fermata_action.toggled.connect(self._fermata_toggled)

    def _fermata_toggled(self, on: bool) -> None:
        self.settings.setValue(FERMATA_KEY, on)
        self._replan()

    @property
    def fermata_hold(self) -> float:
        """How many times its length a chord under a fermata lasts when heard."""
        return FERMATA_HOLD if self.fermata_action.isChecked() else 1.0

    def _follow_toggled(self, on: bool) -> None:
        self.settings.setValue(FOLLOW_KEY, on)
        self.followChanged.emit(on)

    @property
    def follow(self) -> bool:
        return self.follow_action.isChecked()

    def _update_actions(self) -> None:
        playing = self.playing
        self.play_action.setText("&Pause" if playing else "&Play")
        self.play_action.setIcon(QApplication.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay))
        enabled = not self.problem
        for action in (self.play_action, self.stop_action):
            action.setEnabled(enabled)
        has_loop = self.document.loop_range is not None
        self.loop_action.setEnabled(has_loop)  # looping is the document's, sound or not
        if self.problem:
            tip = f"<p>{html.escape(self.problem)}</p>"  # rich text wraps; plain runs off
            self.play_action.setToolTip(tip)
            self.stop_action.setToolTip(tip)
        else:
            self.play_action.setToolTip(
                "Pause (Space)" if playing else "Play from the playhead (Space)")
            self.stop_action.setToolTip(
                "Stop and return to where playing started (Shift+Space)")
        self.loop_action.setToolTip(
            ("Looping the range: press L to play straight through" if self.looping
             else "Play the loop range round and round (L)") if has_loop
            else "Drag in the ruler to set a loop range; it loops at once")
        for action in (self.play_action, self.stop_action):
            action.setStatusTip(self.problem or action.toolTip())

    def _set_problem(self, problem: str) -> None:
        if problem != self.problem:
            self.problem = problem
            self._update_actions()
            self.problemChanged.emit(problem)

    # --- engine --------------------------------------------------------------------------
    def retry_engine(self) -> RealtimePlayer | None:
        """Try the audio output again (a sound server started, a device plugged in). A
        missing library needs a restart after installing it, so that is not retried."""
        if self.library_missing or self._opening is not None:
            return self._player
        if self._player is not None:
            # The stream may only have been held up; deleting a driver whose thread is
            # blocked on it would hang, so the player is kept once its clock runs again.
            if self._player.wait_until_running(timeout=1.0):
                self._set_problem("")
            return self._player
        self._set_problem("")
        return self.start_engine()

    def _new_player(self, soundfont: Path | None, mixer: Mixer) -> RealtimePlayer:
        saved = self.settings.value(PERIOD_KEY)
        period = int(saved) if str(saved).isdigit() and int(saved) in PERIOD_SIZES \
            else PERIOD_SIZES[0]
        return RealtimePlayer(soundfont, mixer, self._drivers, self._library_names, period)

    def start_engine(self) -> RealtimePlayer | None:
        """The player, opened now if need be; None (with `problem` set) when it cannot be,
        and while it is being opened in the background."""
        if self._player is None and not self.problem and self._opening is None:
            try:
                self._adopt(self._new_player(self.soundfont, self.mixer))
            except AudioError as exc:
                self._set_problem(str(exc))
        return self._player

    def open_engine_in_background(self) -> None:
        """Open the player on a worker thread: loading a large soundfont takes a moment and
        the window should not freeze for it. Play pressed meanwhile starts once it is open."""
        if self._player is not None or self.problem or self._opening is not None:
            return
        soundfont, mixer = self.soundfont, self.mixer
        task = Task(lambda _progress, _cancel: self._new_player(soundfont, mixer))
        task.signals.finished.connect(self._opened)
        task.signals.failed.connect(self._open_failed)
        self._opening, self._opening_soundfont = task, soundfont
        task.start()

    def _opened(self, player: RealtimePlayer) -> None:
        self._opening = None
        if self._closed:
            player.close()
            return
        if player.synth.mixer != self.mixer:
            player.set_mixer(self.mixer)
        if self.soundfont != self._opening_soundfont:  # chosen while it was opening
            player.set_soundfont(self.soundfont)
        self._adopt(player)
        if self._play_when_open:
            self._play_when_open = False
            self.play()

    def _open_failed(self, message: str) -> None:
        self._opening = None
        self._set_problem(message)

    def _adopt(self, player: RealtimePlayer) -> None:
        self._player = player
        self._set_warning(player.synth.warning or "")
        self._idle.start()
        self.engineReady.emit()

    def _suspend_when_idle(self) -> None:
        if self._player is not None and not self.playing and not self.problem:
            self._player.suspend()

    def _output(self) -> RealtimePlayer | None:
        """The player with its output open, or None with `problem` saying why not."""
        player = self.start_engine()
        if player is None:
            return None
        try:
            player.resume()
        except AudioError as exc:
            self._set_problem(str(exc))
            return None
        self._idle.start()
        return player

    @property
    def player(self) -> RealtimePlayer | None:
        return self._player

    def close(self) -> None:
        """Release the audio device; safe after the window (and this QObject) is gone."""
        self._closed = True
        if self._opening is not None:
            self._opening.wait(10)
        player, self._player = self._player, None
        if player is not None:
            player.close()
        with contextlib.suppress(RuntimeError):
            self._timer.stop()
            self._idle.stop()

    def _set_warning(self, warning: str) -> None:
        if warning:
            warning += SOUNDFONT_HINT
        if warning != self.warning:
            self.warning = warning
            self.warningChanged.emit(warning)

    # --- playback settings ---------------------------------------------------------------
    def set_mixer(self, mixer: Mixer) -> None:
        if mixer == self.mixer:
            return
        self.mixer = mixer
        self.settings.setValue(MIXER_KEY, json.dumps(mixer.to_dict()))
        if self._player is not None:
            self._player.set_mixer(mixer)
        self.mixerChanged.emit()

    def set_soundfont(self, path: Path | None) -> str:
        """Choose a soundfont (None: the built-in one); returns the warning if it fell back.

        The choice is remembered even when it falls back, so a soundfont on a drive that is
        not mounted today is used again tomorrow."""
        self.soundfont = path
        self.settings.setValue(SOUNDFONT_KEY, str(path) if path else "")
        if self._player is not None:
            was_playing = self.playing
            self._player.stop()
            self._set_warning(self._player.set_soundfont(path) or "")
            if was_playing:
                self._replan()
        self.soundfontChanged.emit()
        return self.warning

    # --- transport -----------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self._player is not None and self._player.playing

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        """Play from the playhead: from the start when it sits at the end, from the loop's
        start when looping and the playhead is outside the range."""
        if self._opening is not None:
            self._play_when_open = True
            return
        player = self._output()
        if player is None or self.playing:
            return
        player.play(self._plan(self._start_step()))
        self._timer.start()
        self._update_actions()

    def _start_step(self) -> int:
        start = self.document.playhead
        loop = self.document.loop_range if self.looping else None
        if loop is not None and not loop[0] <= start < loop[1]:
            return loop[0]
        return 0 if start >= self.heard_score().length else start

    def pause(self) -> None:
        """Stop the sound and move the playhead to where it was heard."""
        if not self.playing:
            return
        step = self.position_step()
        self._halt()
        if step is not None:
            self.document.set_playhead(math.floor(step))

    def stop(self) -> None:
        """Stop the sound, the playhead where it was (where playing started, or where the
        user put it since); stopped, go to the start."""
        if self.playing:
            self._halt()
        else:
            self.document.set_playhead(0)

    def _halt(self) -> None:
        self._timer.stop()
        self._idle.start()
        player = self._player
        if player is not None:
            player.stop()
            before = player.period_size
            if player.fit_buffer():
                self.settings.setValue(PERIOD_KEY, player.period_size)
                size = f"{player.latency * 1000:.0f} ms"
                self.notice.emit(
                    "Playback stuttered: this computer could not keep the audio buffer "
                    f"fed, so it is now {size}." if player.period_size > before else
                    f"Playback has run smoothly, so the audio buffer is back down to {size}:"
                    " sound follows Play sooner.")
        self._update_actions()
        self.positionChanged.emit(-1.0)

    def audition(self, voice: int, pitch: int) -> None:
        """Sound a pitch briefly with the voice's instrument (keyboard clicks, new notes)."""
        player = self._output()
        if player is not None:
            player.audition(voice, pitch)

    def position_step(self) -> float | None:
        """The step being heard now, fractional; None when not playing."""
        if not self.playing:
            return None
        player = self._player
        return player.plan.step_at(player.position())

    # --- plans ---------------------------------------------------------------------------
    @property
    def looping(self) -> bool:
        return self.document.looping

    def set_preview(self, score: Score | None) -> None:
        """Play `score` instead of the document's (a candidate in place), None to stop."""
        if score is not self._preview:
            self._preview = score
            self._replan()

    def heard_score(self) -> Score:
        return self._preview if self._preview is not None else self.document.score

    def _plan(self, start: float) -> PlaybackPlan:
        loop = self.document.loop_range if self.looping else None
        return PlaybackPlan(self.heard_score(), start, loop, self.fermata_hold)

    def _replan(self) -> None:
        """The music or the route changed while playing: go on from the sounding step."""
        if self.playing:
            self._player.play(self._plan(self.position_step()))

    def _loop_range_changed(self) -> None:
        """The document says whether it loops; the button only shows it."""
        self.loop_action.blockSignals(True)
        self.loop_action.setChecked(self.document.looping)
        self.loop_action.blockSignals(False)
        self._replan()
        self._update_actions()

    def _playhead_moved(self, step: int) -> None:
        """The user put the playhead somewhere while playing: continue from there."""
        if self.playing:
            self._player.play(self._plan(step))

    def _advance(self) -> None:
        player = self._player
        if player is None or not player.playing:
            self._timer.stop()
            return
        player.pump()
        if self._device_stalled(player.tick()):
            self._halt()
            self._set_problem(
                "The audio output stopped taking sound (the sound server or device went "
                "away). Press Try Again in the Mixer once it is back; exporting WAV still "
                "works.")
            return
        seconds = player.position()
        if player.plan.finished(seconds):
            self._halt()
            return
        self.positionChanged.emit(player.plan.step_at(seconds))


    def _device_stalled(self, tick: int) -> bool:
        """True once the sample clock has stood still for STALL_SECONDS while playing."""
        now = time.monotonic()
        if tick != self._last_tick:
            self._last_tick, self._stalled_since = tick, None
            return False
        if self._stalled_since is None:
            self._stalled_since = now
        return now - self._stalled_since > STALL_SECONDS


class TransportToolBar(QToolBar):
    """Play/Pause, Stop, Loop, Follow and the time of the sounding step."""

    def __init__(self, controller: TransportController, parent: QWidget | None = None) -> None:
        super().__init__("Transport", parent)
        self.setObjectName("transportToolBar")
        self.setIconSize(QSize(20, 20))
        self.controller = controller
        self.addActions([controller.play_action, controller.stop_action])
        self.addSeparator()
        self.addActions([controller.loop_action, controller.follow_action])
        self.widgetForAction(controller.follow_action).setToolButtonStyle(
            Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.time_label = QLabel()
        self.time_label.setMinimumWidth(64)
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.time_label.setToolTip("Bar : beat : sixteenth at the playhead")
        self.addWidget(self.time_label)
        document = controller.document
        document.playheadChanged.connect(self._show_time)
        document.scoreChanged.connect(lambda: self._show_time(document.playhead))
        controller.positionChanged.connect(
            lambda step: self._show_time(document.playhead if step < 0 else step))
        self._show_time(document.playhead)

    def _show_time(self, step: float) -> None:
        """The sounding step while playing, else the playhead's."""
        ts = self.controller.document.score.time_signature
        bar, rest = divmod(math.floor(step), ts.steps_per_bar)
        beat, sixteenth = divmod(rest, ts.steps_per_beat)
        self.time_label.setText(f"{bar + 1} : {beat + 1} : {sixteenth + 1}")


def _load_json(value: object) -> object:
    if not isinstance(value, str) or not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.lower() in ("true", "1", "yes")
    return bool(value)
