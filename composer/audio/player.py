"""Real-time playback and audition through FluidSynth's own audio driver.

Which output path, and why
--------------------------
Two paths were open: FluidSynth rendering into a Qt `QAudioSink` that Python feeds, or
FluidSynth's own audio driver (PulseAudio/PipeWire/ALSA/JACK on Linux, CoreAudio on macOS,
WASAPI/DirectSound on Windows) with notes queued on FluidSynth's sequencer. Composer uses
the second:

- Steady timing. The driver's thread renders in C and never takes Python's GIL. Notes are
  queued ahead on a `fluid_sequencer` clocked by the synthesizer's own sample count, so
  each note starts on its 64-frame block however busy Python is: painting, sampling the
  network or training in a worker thread cannot delay or drop audio. A `QAudioSink` fed
  from Python must run Python code for every buffer, and every GIL hold or busy GUI-thread
  moment longer than the buffer becomes a click, or a larger buffer and so more latency.
  Measured with the GUI thread stalled 300 ms out of every 470 ms: beats stay within
  1.4 ms of their grid, where notes sent from a GUI-thread timer land 87 ms late on
  average and up to 262 ms (benchmarks/results/audio.json).
- Accurate playhead. The playhead is the sequencer's clock, the samples actually rendered,
  minus what is still on its way out (`latency`, one period). It stays locked to the sound
  when the sound card's clock drifts from the system clock or the stream stalls, which a
  wall-clock playhead (time since Play) does not. The sample clock moves a period at a
  time, so between periods the wall clock carries the playhead on (`position`); at
  2048-frame periods it would otherwise step 46 ms at a time. benchmarks/bench_audio.py
  records the PulseAudio monitor: in its latest run, whose period grew from 512 to 2048
  frames after dropouts, the playhead ran 8 ms ahead of the heard onsets on average and
  was 18 ms off at worst, where a wall-clock playhead ran 161 ms ahead.
- Short latency, grown only where the system needs it. The driver starts with periods of
  512 frames (12 ms; PulseAudio buffers one period). In that same run Play was heard
  13 ms after it was pressed on average (29 ms at worst) and an audition 24 ms after the
  click (32 ms at worst). A machine that cannot keep so small a buffer fed (a busy VM, a
  power-saving laptop) lets the stream run dry, and each dropout shifts everything after
  it. The player notices: the rendered audio falls behind the wall clock by more than one
  buffer. Once that playback stops the output is reopened with twice the period, up to
  4096 frames (93 ms), and the app keeps the size for next time. It steps back down as
  well: after CLEAN_SECONDS of playback without a dropout the next stop halves the period,
  so a machine that was only busy for a while gets its short latency back. A size that
  drops out again is not tried again until the app next starts, so a machine that needs
  the larger buffer stutters at most once a session for the try. On the two-core virtual
  machine of bench_audio.py, 512 and 1024 frames dropped out every few seconds (so does
  the `fluidsynth` command itself there); 2048 played on the beat.
- The same on every system. FluidSynth ships a native driver for each platform, and the
  same sequencer code runs everywhere; Qt would add a second audio stack to configure.
- Honest limits. The latency constant is measured on PulseAudio's null sink; a hardware
  sink adds its own latency (PulseAudio reports it per stream, typically 5-25 ms), which
  FluidSynth's driver does not expose, so there the playhead leads the sound by that much.
  A sound server that holds a new stream back (PulseAudio's null sink does for about a
  second) delays only the engine's start, which happens when the window first appears.

The timing logic (which notes when, which step is sounding) lives in
`composer.audio.schedule`; this module only hands its notes to FluidSynth and reads the
clock. Nothing here imports Qt: the GUI calls `pump` from a timer.
"""

from __future__ import annotations

import ctypes
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from composer.audio.library import AudioUnavailable
from composer.audio.mixer import Mixer
from composer.audio.schedule import NoteEvent, PlaybackPlan
from composer.audio.synth import VOICE_CHANNELS, Synthesizer

PERIOD_SIZES = (512, 1024, 2048, 4096)  # frames; see "Short latency, grown only ..." above
PERIODS = 2  # ALSA's ring buffer; PulseAudio's driver buffers one period
# Audio trailing the clock by this much more than one buffer means the output ran dry.
DROPOUT_SECONDS = 0.02
# Played this long at one period without a dropout, the next smaller period is tried.
CLEAN_SECONDS = 30.0
# Watched only once this much is rendered: a server may hold a new stream back at first.
FLOWING_SECONDS = 0.25
# The span over which the lag of rendering behind the wall clock is averaged: several
# periods, and short enough to settle again soon after a dropout.
LAG_MEMORY = 0.5
# Notes are handed to the sequencer this far ahead of the clock: long enough to ride out a
# busy GUI thread, short enough that an edit during playback is rescheduled cheaply.
LOOKAHEAD = 1.0
AUDITION_SECONDS = 0.45
AUDITION_VELOCITY = 90


def default_drivers(platform: str = sys.platform) -> tuple[str, ...]:
    if platform.startswith("linux"):
        return ("pulseaudio", "pipewire", "alsa", "jack")
    if platform == "darwin":
        return ("coreaudio",)
    if platform in ("win32", "cygwin"):
        return ("wasapi", "dsound", "waveout")
    return ("pulseaudio", "oss", "sndio")


class RealtimePlayer:
    """One synthesizer playing to the audio device, with a queue of timed notes."""

    def __init__(
        self,
        soundfont: Path | str | None = None,
        mixer: Mixer | None = None,
        drivers: Sequence[str] | None = None,
        library_names: Sequence[str] | None = None,
        period_size: int = PERIOD_SIZES[0],
    ) -> None:
        self.synth = Synthesizer(
            soundfont, mixer, library_names=library_names,
            settings={"audio.period-size": period_size, "audio.periods": PERIODS},
        )
        self._lib = self.synth.lib.module
        self._driver = None
        self._sequencer = None
        try:
            self.driver_name = self._open_driver(drivers or default_drivers())
            self._sequencer = self._lib.new_fluid_sequencer2(0)
            self._lib.fluid_sequencer_set_time_scale(self._sequencer, 1000.0)
            self._dest = self._lib.fluid_sequencer_register_fluidsynth(
                self._sequencer, self.synth.handle)
        except BaseException:
            self.close()
            raise
        self._event = self._lib.new_fluid_event()
        self._lib.fluid_event_set_source(self._event, -1)
        self._lib.fluid_event_set_dest(self._event, self._dest)
        self.period_size = period_size
        self._plan: PlaybackPlan | None = None
        self._origin = 0  # sequencer tick (ms) at which the plan's time 0 is rendered
        self._wall_origin = 0.0  # time.monotonic() at that moment
        self._lag_floor = math.inf
        # how far rendering trails the wall clock, averaged over time (None: no reading yet)
        self._lag_mean: float | None = None
        self._lag_since = 0.0  # when it was last read
        self._heard = -math.inf
        self.dropout = 0.0  # seconds the current or last playback's sound fell behind
        # what the playbacks since the output was last opened say about its period:
        self._dropped = False  # one of them dropped out
        self._clean = 0.0  # seconds played without a dropout
        self._too_small = 0  # the largest period that dropped out, not to be tried again

    def _open_driver(self, drivers: Sequence[str]) -> str:
        settings = self.synth._synth.settings
        tried = []
        for name in drivers:
            if self._lib.fluid_settings_setstr(settings, b"audio.driver", name.encode()) != 0:
                tried.append(f"{name} (not built into this FluidSynth)")
                continue
            driver = self._lib.new_fluid_audio_driver(settings, self.synth.handle)
            if driver:
                self._driver = driver
                return name
            tried.append(f"{name} (no device)")
        raise AudioUnavailable(
            "No audio output could be opened (tried " + ", ".join(tried) + "). Check that a "
            "sound device is connected and a sound server (PulseAudio or PipeWire on Linux) "
            "is running. Exporting WAV still works."
        )

    # --- output --------------------------------------------------------------------------
    @property
    def suspended(self) -> bool:
        return not self._driver

    def suspend(self) -> None:
        """Close the output while nothing plays: an open stream costs a few per cent of a
        core even in silence. The synthesizer and its clock stay; `resume` reopens."""
        if self._driver and self._plan is None:
            self._lib.delete_fluid_audio_driver(self._driver)
            self._driver = None

    def resume(self) -> None:
        """Reopen the output closed by `suspend` (raises AudioUnavailable if it is gone)."""
        if not self._driver:
            self._open_driver([self.driver_name])

    # --- clock ---------------------------------------------------------------------------
    def tick(self) -> int:
        """The sequencer's clock in ms: how much audio the synthesizer has rendered."""
        return int(self._lib.fluid_sequencer_get_tick(self._sequencer))

    @property
    def latency(self) -> float:
        """Heard = rendered minus what waits on the way out: about one period between the
        period being handed over and the server's buffer (measured in bench_audio.py)."""
        return self.period_size / self.synth.sample_rate

    def wait_until_running(self, timeout: float = 5.0) -> bool:
        """Block until the device takes audio at its real pace (a server may hold a new
        stream back for a moment); False if it does not within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = self.tick()
            time.sleep(0.1)
            if self.tick() - before >= 80:
                return True
        return False

    @property
    def plan(self) -> PlaybackPlan | None:
        return self._plan

    @property
    def playing(self) -> bool:
        return self._plan is not None

    def position(self) -> float | None:
        """Seconds of the plan heard so far (negative until the first sound comes out).

        The sample clock moves a period at a time, as the driver renders one, while the
        sound comes out smoothly: heard lies within half a period either side of rendered
        minus `latency`. In between, the wall clock carries the position on, offset by how
        far rendering has trailed it on average, so the playhead neither stutters nor
        strays at large periods. It never leaves the sample clock's bounds: a stalled
        stream stops it.
        """
        if self._plan is None:
            return None
        now = time.monotonic()
        rendered = (self.tick() - self._origin) / 1000.0
        self._watch_for_dropouts(rendered, now)
        heard = rendered - self.latency
        if self._lag_mean is not None:
            half = 0.5 * self.latency
            walled = (now - self._wall_origin) - self._lag_mean - self.latency
            heard = min(max(walled, heard - half), heard + half)
        # as the mean settles it may step back a little; the playhead does not
        self._heard = max(self._heard, heard)
        return self._heard

    # --- transport -----------------------------------------------------------------------
    def play(self, plan: PlaybackPlan) -> None:
        """Start `plan` now, replacing whatever was playing."""
        self.resume()
        self.stop()
        self._plan = plan
        self._origin = self.tick()
        self._wall_origin = time.monotonic()
        self._lag_floor = math.inf
        self._lag_mean = None
        self._lag_since = self._wall_origin
        self._heard = -math.inf
        self.dropout = 0.0
        self.pump()

    def pump(self) -> None:
        """Queue the plan's notes due within LOOKAHEAD; call it often (the GUI's timer)."""
        if self._plan is None:
            return
        rendered = (self.tick() - self._origin) / 1000.0
        self._watch_for_dropouts(rendered, time.monotonic())
        horizon = rendered + LOOKAHEAD
        for event in self._plan.take_until(horizon):
            self._queue(event)

    def _queue(self, event: NoteEvent) -> None:
        lib, channel = self._lib, VOICE_CHANNELS[event.voice]
        start = self._origin + round(event.time * 1000)
        # A note ends a millisecond early, so a repeated note of the same pitch that starts
        # where it ends is never cut off by the older note's note-off.
        end = max(start + 1, self._origin + round(event.end * 1000) - 1)
        lib.fluid_event_noteon(self._event, channel, event.pitch, event.velocity)
        lib.fluid_sequencer_send_at(self._sequencer, self._event, start, 1)
        lib.fluid_event_noteoff(self._event, channel, event.pitch)
        lib.fluid_sequencer_send_at(self._sequencer, self._event, end, 1)

    def _watch_for_dropouts(self, rendered: float, now: float) -> None:
        """The driver renders a period whenever the device has room for one, so rendered
        audio trails the wall clock by a steady amount, give or take a period. Each time
        the output runs dry that amount grows for good. Its mean over the last
        LAG_MEMORY seconds places the heard position between periods."""
        if rendered < FLOWING_SECONDS:
            return
        lag = (now - self._wall_origin) - rendered
        self._lag_floor = min(self._lag_floor, lag)
        self.dropout = max(self.dropout, lag - self._lag_floor - self.latency)
        # each reading stands for the time since the one before, so the mean is over time,
        # whatever the pace of the calls
        weight = 1.0 - math.exp(-max(0.0, now - self._lag_since) / LAG_MEMORY)
        self._lag_since = now
        if self._lag_mean is None:
            self._lag_mean = lag
        else:
            self._lag_mean += weight * (lag - self._lag_mean)

    def stop(self) -> None:
        """Silence the queue; sounding notes are released (their natural decay and the
        reverb ring on briefly, as on any instrument)."""
        if self._plan is not None:
            self._tally_playback()
        self._plan = None
        self.synth.lib.sequencer_remove_events(ctypes.c_void_p(self._sequencer), -1,
                                               self._dest, -1)
        self.synth.all_notes_off()

    def _tally_playback(self) -> None:
        """Count the playback now ending towards `fit_buffer`. A replan during playback
        ends one too, so a dropout is not forgotten when an edit restarts the plan."""
        if self.dropout > DROPOUT_SECONDS:
            self._dropped = True
        else:
            self._clean += max(0.0, (self.tick() - self._origin) / 1000.0)

    def fit_buffer(self) -> bool:
        """Once stopped: reopen the output with the next larger period if a playback
        since it was opened dropped out, or with the next smaller one after CLEAN_SECONDS
        of playback without, unless that size dropped out before. True when it did.
        Called between playbacks, never during one, so the reopening is not heard."""
        if self._plan is not None or not self._driver:
            return False
        size = self._fitting_period()
        if size == self.period_size:
            return False
        if not self._clock_moves():  # the output is gone: no fault of the buffer's
            self._dropped, self._clean = False, 0.0
            return False
        if size > self.period_size:
            self._too_small = max(self._too_small, self.period_size)
        self._dropped, self._clean = False, 0.0
        self._lib.delete_fluid_audio_driver(self._driver)
        self._driver = None
        self.period_size = size
        self._lib.fluid_settings_setint(self.synth._synth.settings, b"audio.period-size",
                                        size)
        self._open_driver([self.driver_name])
        return True

    def _fitting_period(self) -> int:
        if self._dropped:
            larger = [size for size in PERIOD_SIZES if size > self.period_size]
            return larger[0] if larger else self.period_size
        smaller = [size for size in PERIOD_SIZES if self._too_small < size < self.period_size]
        if smaller and self._clean >= CLEAN_SECONDS:
            return smaller[-1]
        return self.period_size

    def _clock_moves(self) -> bool:
        """Whether the driver renders at all. One whose output is gone (a suspended sink)
        blocks its thread in a write, and deleting it would block the caller with it."""
        before = self.tick()
        deadline = time.monotonic() + 4 * self.latency + 0.05
        while time.monotonic() < deadline:
            time.sleep(0.005)
            if self.tick() != before:
                return True
        return False

    # --- sound ---------------------------------------------------------------------------
    def audition(self, voice: int, pitch: int, velocity: int = AUDITION_VELOCITY,
                 seconds: float = AUDITION_SECONDS) -> None:
        """Sound one note now with the voice's instrument, released after `seconds`."""
        self.resume()
        channel = VOICE_CHANNELS[voice]
        self._lib.fluid_synth_noteoff(self.synth.handle, channel, pitch)
        self._lib.fluid_synth_noteon(self.synth.handle, channel, pitch, velocity)
        self._lib.fluid_event_noteoff(self._event, channel, pitch)
        self._lib.fluid_sequencer_send_at(self._sequencer, self._event,
                                          self.tick() + round(seconds * 1000), 1)

    def set_mixer(self, mixer: Mixer) -> None:
        self.synth.set_mixer(mixer)

    def set_soundfont(self, path: Path | str | None) -> str | None:
        """Switch soundfont (stopping any sound); returns a warning if it fell back."""
        self.synth.all_notes_off()
        return self.synth.set_soundfont(path)

    def close(self) -> None:
        lib = self._lib
        if self._driver:
            lib.delete_fluid_audio_driver(self._driver)
            self._driver = None
        if getattr(self, "_event", None):
            lib.delete_fluid_event(self._event)
            self._event = None
        if self._sequencer:
            lib.delete_fluid_sequencer(self._sequencer)
            self._sequencer = None
        self.synth.close()
