"""Audio benchmarks: offline render speed against the `fluidsynth -F` command on the same
chorales, and real-time timing heard through PulseAudio (Play to first sound, audition,
playhead against the sound).

Targets (issue 5): render >= 200x real time and no slower than `fluidsynth -F`; Play to
first sample <= 100 ms; audition <= 50 ms; playhead within 20 ms of the audio.

The render table also shows a bound, not a way to render: two synthesizers with the reverb
off. Each synthesizer of a split runs its own reverb; even if they could share one, the
split could not be faster than this.

The real-time part records the default sink's monitor (`composer_null.monitor` under
.ci/test.sh), so it measures what was heard, which includes the sound server's own latency:
an upper bound on "handed to the device". Run: .venv/bin/python benchmarks/bench_audio.py
(with PulseAudio up, e.g. via `bash .ci/test.sh --co -q` first, or on a desktop).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from composer.atomic_write import atomic_write_text  # noqa: E402
from composer.audio import synth  # noqa: E402
from composer.audio.monitor import MonitorRecorder, pulse_problem  # noqa: E402
from composer.audio.render import render  # noqa: E402
from composer.audio.soundfonts import default_soundfont  # noqa: E402
from composer.audio.synth import GAIN, SAMPLE_RATE  # noqa: E402
from composer.ml.data import jsb_path  # noqa: E402
from composer.music.files import write_score  # noqa: E402
from composer.music.score import Note, Score  # noqa: E402
from composer.music.tokens import ScoreTokens, decode, grid_from_pitches  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "audio.json"
CHORALES = 12
TEMPO = 80.0


def jsb_scores(count: int) -> list[Score]:
    """The first chorales of the JSB test split, at a chorale tempo."""
    data = json.loads(jsb_path().read_text())["test"][:count]
    scores = []
    for chorale in data:
        grid = grid_from_pitches(np.array(chorale, dtype=np.int16))
        scores.append(decode(ScoreTokens(grid=grid, fermata=np.zeros(len(grid), bool),
                                         tempo=TEMPO)))
    return scores


def bench_render(scores: list[Score]) -> dict:
    """Wall time to turn each chorale into samples, from nothing loaded, for both tools."""
    soundfont = default_soundfont()
    fluidsynth = shutil.which("fluidsynth")
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        midis = []
        for i, score in enumerate(scores):
            path = Path(tmp) / f"chorale{i}.mid"
            write_score(path, score)
            midis.append(path)
        for label, threads, settings in (("composer render (1 thread)", 1, {}),
                                         ("composer render (2 threads)", 2, {}),
                                         ("bound: 2 threads, reverb off", 2,
                                          {"synth.reverb.active": 0})):
            audio = wall = cpu = 0.0
            shipped = dict(synth.SYNTH_SETTINGS)
            synth.SYNTH_SETTINGS.update(settings)
            try:
                for score in scores:
                    start, start_cpu = time.perf_counter(), time.process_time()
                    rendering = render(score, threads=threads)
                    wall += time.perf_counter() - start
                    cpu += time.process_time() - start_cpu
                    audio += rendering.seconds
            finally:
                synth.SYNTH_SETTINGS.clear()
                synth.SYNTH_SETTINGS.update(shipped)
            rows[label] = {"audio_s": audio, "wall_s": wall, "cpu_s": cpu,
                           "x_realtime": audio / wall, "x_realtime_per_cpu": audio / cpu}
        if fluidsynth:
            audio = wall = cpu = 0.0
            for midi in midis:
                out = Path(tmp) / "fs.wav"
                start = time.perf_counter()
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                subprocess.run([fluidsynth, "-ni", "-q", "-g", str(GAIN), "-C", "0",
                                "-r", str(SAMPLE_RATE), "-F", str(out), str(soundfont),
                                str(midi)], check=True, capture_output=True)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                wall += time.perf_counter() - start
                cpu += (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
                audio += (out.stat().st_size - 44) / 4 / SAMPLE_RATE
            rows["fluidsynth -F (same settings)"] = {
                "audio_s": audio, "wall_s": wall, "cpu_s": cpu, "x_realtime": audio / wall,
                "x_realtime_per_cpu": audio / cpu}
    return rows


def _wait(app, ms: int) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def bench_realtime(trials: int = 10) -> dict:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from composer.gui.document import ScoreDocument
    from composer.gui.transport import TransportController

    app = QApplication.instance() or QApplication([])
    settings = QSettings(tempfile.mktemp(suffix=".ini"), QSettings.Format.IniFormat)
    chord = Score(voices=tuple((Note(0, 2, p),) for p in (72, 67, 64, 48)), tempo=120.0,
                  length=4)
    document = ScoreDocument(chord)
    controller = TransportController(document, settings)
    player = controller.start_engine()
    if player is None:
        raise SystemExit(f"no real-time playback: {controller.problem}")
    player.wait_until_running()
    first_period = player.period_size
    recorder = MonitorRecorder()
    recorder.start()
    _wait(app, 300)

    play_asked, audition_asked = [], []
    for _ in range(trials):
        document.set_playhead(0)
        play_asked.append(time.monotonic())
        controller.play()
        _wait(app, 700)
        controller.stop()
        _wait(app, 500)
    for _ in range(trials):
        audition_asked.append(time.monotonic())
        controller.audition(0, 72)
        _wait(app, 900)

    # Playhead: short notes on every beat, the playhead read as the GUI reads it.
    beats = 16
    ticks = Score(voices=(tuple(Note(4 * i, 1, 72) for i in range(beats)), (), (), ()),
                  tempo=120.0)
    document.reset(ticks)
    _wait(app, 300)
    samples = []
    controller.play()
    wall_start = time.monotonic()
    while controller.playing:
        samples.append((time.monotonic(), controller.position_step()))
        _wait(app, 2)
    _wait(app, 600)

    # Steadiness while the GUI thread is busy (a long repaint, a generation step): it
    # sleeps 300 ms out of every 470 ms, so the stalls drift across the beats. Ours plays
    # from the sequencer's queue; the baseline sends each note from a GUI-thread timer when
    # it falls due, as a player driven by Python timers does.
    def busy_gui(until: float) -> None:
        while time.monotonic() < until:
            _wait(app, 170)
            time.sleep(0.3)

    _wait(app, 300)
    steady_start = time.monotonic()
    controller.play()
    busy_gui(steady_start + beats * 0.5)
    _wait(app, 800)
    timer_start = time.monotonic()
    due = [timer_start + 0.5 * i for i in range(beats)]
    from PySide6.QtCore import QTimer

    def send_due() -> None:
        while due and time.monotonic() >= due[0]:
            due.pop(0)
            player.audition(0, 72, seconds=0.1)

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(send_due)
    timer.start()
    busy_gui(timer_start + beats * 0.5)
    timer.stop()
    _wait(app, 800)
    recording = recorder.stop()
    controller.close()

    onsets = recording.onsets(threshold=0.01, gap=0.15)

    def grid_error(start: float, end: float) -> list[float]:
        """Each beat's distance from where the first beat puts it, in ms."""
        heard = [t for t in onsets if start - 0.005 <= t < end][:beats]
        return [(t - heard[0] - 0.5 * i) * 1000 for i, t in enumerate(heard)]

    steady_ours = grid_error(steady_start, timer_start)
    steady_timer = grid_error(timer_start, timer_start + beats * 0.5 + 0.5)

    def first_after(asked: float) -> float:
        return min(t for t in onsets if t >= asked - 0.005) - asked

    play_latency = [first_after(t) * 1000 for t in play_asked]
    audition_latency = [first_after(t) * 1000 for t in audition_asked]

    times = np.array([t for t, s in samples if s is not None])
    steps = np.array([s for t, s in samples if s is not None])
    heard = [t for t in onsets if t >= wall_start - 0.005][:beats]
    ours, wall_clock = [], []
    seconds_per_step = ticks.seconds_per_step()
    for i, onset in enumerate(heard):
        step = 4 * i
        crossed = np.searchsorted(steps, step)
        if crossed == 0 or crossed >= len(steps):
            continue
        t0, t1, s0, s1 = times[crossed - 1], times[crossed], steps[crossed - 1], steps[crossed]
        when = t0 + (step - s0) / (s1 - s0) * (t1 - t0) if s1 > s0 else t1
        ours.append((when - onset) * 1000)
        wall_clock.append((wall_start + step * seconds_per_step - onset) * 1000)

    def summary(values: list[float]) -> dict:
        return {"mean_ms": statistics.fmean(values), "median_ms": statistics.median(values),
                "max_ms": max(values), "n": len(values)}

    def error_summary(values: list[float]) -> dict:
        return {"mean_ms": statistics.fmean(values),
                "max_abs_ms": max(abs(v) for v in values), "n": len(values)}

    return {
        "driver": player.driver_name,
        # The player grows its period after a playback that dropped out (player.py).
        "period_frames_first_and_last": [first_period, player.period_size],
        "play_to_first_sound": summary(play_latency),
        "audition_to_sound": summary(audition_latency),
        "playhead_minus_heard_sample_clock": error_summary(ours),
        "playhead_minus_heard_wall_clock": error_summary(wall_clock),
        "beat_error_gui_busy_sequencer": error_summary(steady_ours),
        "beat_error_gui_busy_python_timer": error_summary(steady_timer),
    }


def main() -> int:
    results: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
                                f"{platform.platform()}",
                     "load_average_at_start": os.getloadavg(),
                     "soundfont": default_soundfont().name}
    scores = jsb_scores(CHORALES)
    results["render"] = bench_render(scores)
    print(f"\nOffline render: {CHORALES} JSB test chorales at {TEMPO:.0f} BPM, "
          f"{default_soundfont().name}, reverb on, chorus off "
          "(target >= 200x and >= fluidsynth -F)")
    print(f"{'renderer':34} {'audio s':>8} {'wall s':>8} {'x real time':>12} "
          f"{'CPU s':>7} {'x per CPU s':>12}")
    for name, row in results["render"].items():
        print(f"{name:34} {row['audio_s']:8.1f} {row['wall_s']:8.2f} {row['x_realtime']:12.0f} "
              f"{row['cpu_s']:7.2f} {row['x_realtime_per_cpu']:12.0f}")

    problem = pulse_problem()
    if problem:
        print(f"\nReal-time timing skipped: {problem}")
        results["realtime"] = {"skipped": problem}
    else:
        rt = bench_realtime()
        results["realtime"] = rt
        first, last = rt["period_frames_first_and_last"]
        print(f"\nReal time through {rt['driver']}, heard on the sink's monitor; periods of "
              f"{first} frames" + (f", grown to {last} after dropouts" if last != first else ""))
        print(f"{'measure':44} {'mean':>8} {'median/max':>11}  target")
        p, a = rt["play_to_first_sound"], rt["audition_to_sound"]
        print(f"{'Play -> first sound heard (ms)':44} {p['mean_ms']:8.1f} "
              f"{p['median_ms']:5.1f}/{p['max_ms']:5.1f}  <= 100")
        print(f"{'audition -> sound heard (ms)':44} {a['mean_ms']:8.1f} "
              f"{a['median_ms']:5.1f}/{a['max_ms']:5.1f}  <= 50")
        for key, label in (("playhead_minus_heard_sample_clock",
                            "playhead - heard, sample clock (ours) (ms)"),
                           ("playhead_minus_heard_wall_clock",
                            "playhead - heard, wall clock (baseline) (ms)")):
            e = rt[key]
            print(f"{label:44} {e['mean_ms']:8.1f} {'max|e| ':>6}{e['max_abs_ms']:5.1f}  "
                  "|e| <= 20")
        for key, label in (("beat_error_gui_busy_sequencer",
                            "GUI busy: beat error, sequencer (ours) (ms)"),
                           ("beat_error_gui_busy_python_timer",
                            "GUI busy: beat error, Python timer (ms)")):
            e = rt[key]
            print(f"{label:44} {e['mean_ms']:8.1f} {'max|e| ':>6}{e['max_abs_ms']:5.1f}  "
                  f"steady (n={e['n']})")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS, json.dumps(results, indent=2) + "\n")
    print(f"\nwritten {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
