"""Hearing what Composer plays: a recording of a PulseAudio sink's monitor, timestamped.

The tests and the audio benchmark use it to check the real output, not the synthesizer's
intentions: in CI the default sink is a null sink (`composer_null`) whose monitor carries
exactly what applications played. Each recorded sample gets the monotonic time at which it
was played, from the stream's own sample count anchored on the least-delayed chunk, so a
busy machine that delays the recorder does not blur the timing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass

import numpy as np

DEFAULT_MONITOR = "composer_null.monitor"
RATE = 44100
SETTLE = 0.3


def pulse_problem(monitor: str = DEFAULT_MONITOR) -> str | None:
    """None when a PulseAudio server with `monitor` is reachable, else what is missing."""
    for tool in ("pactl", "parec"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (sudo apt install pulseaudio-utils)"
    try:
        info = subprocess.run(["pactl", "list", "short", "sources"], capture_output=True,
                              text=True, timeout=5)
    except subprocess.TimeoutExpired:
        return "the PulseAudio server does not answer"
    if info.returncode != 0:
        return "no PulseAudio server is running (start one as .ci/test.sh does)"
    if monitor not in info.stdout.split():
        return f"PulseAudio has no source {monitor}"
    return None


@dataclass(frozen=True)
class Recording:
    samples: np.ndarray  # mono float, -1..1
    times: np.ndarray  # monotonic seconds at which each sample was played
    rate: int

    def rms(self, start: float, end: float) -> float:
        """Loudness of the span between two monotonic times."""
        chosen = self.samples[(self.times >= start) & (self.times < end)]
        return float(np.sqrt(np.mean(chosen**2))) if len(chosen) else 0.0

    def onsets(self, threshold: float = 0.01, gap: float = 0.05) -> list[float]:
        """Times of the first sample louder than `threshold` after `gap` seconds of quiet."""
        loud = self.times[np.abs(self.samples) > threshold]
        if not len(loud):
            return []
        starts = np.r_[True, np.diff(loud) > gap]
        return [float(t) for t in loud[starts]]

    def last_sound(self, threshold: float = 0.01) -> float | None:
        """Time of the last sample louder than `threshold`."""
        loud = self.times[np.abs(self.samples) > threshold]
        return float(loud[-1]) if len(loud) else None


class MonitorRecorder:
    """Records `monitor` with parec until `stop()`."""

    def __init__(self, monitor: str = DEFAULT_MONITOR, rate: int = RATE) -> None:
        self.monitor = monitor
        self.rate = rate
        self._chunks: list[tuple[float, bytes]] = []
        self._process: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 5.0) -> None:
        """Start recording; returns once samples flow."""
        self._process = subprocess.Popen(
            ["parec", f"--device={self.monitor}", "--format=s16le", f"--rate={self.rate}",
             "--channels=1", "--latency-msec=5", "--raw"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._chunks:
            if time.monotonic() > deadline or self._process.poll() is not None:
                self.stop()
                raise RuntimeError(f"parec recorded nothing from {self.monitor}")
            time.sleep(0.01)
        # A new recording stream may first get a burst of buffered samples, faster than
        # real time; the timeline below assumes real-time pace, so that start is dropped.
        time.sleep(SETTLE)
        self._chunks = []

    def _read(self) -> None:
        fd = self._process.stdout.fileno()
        leftover = b""
        while True:
            data = os.read(fd, 4096)
            if not data:
                return
            now = time.monotonic()
            data, leftover = leftover + data, b""
            if len(data) % 2:
                data, leftover = data[:-1], data[-1:]
            self._chunks.append((now, data))  # the list may be swapped by start()

    def stop(self) -> Recording:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=5)
        if not self._chunks:
            return Recording(np.zeros(0, np.float32), np.zeros(0), self.rate)
        samples = np.concatenate([np.frombuffer(data, dtype="<i2") for _, data in self._chunks])
        # The stream runs on the sink's clock, so sample i was played at start + i / rate. A
        # chunk can arrive late (a busy machine delays the recorder) but never early, so the
        # earliest arrival relative to its last sample fixes `start` best.
        ends = np.cumsum([len(data) // 2 for _, data in self._chunks])
        arrivals = np.array([arrived for arrived, _ in self._chunks])
        start = float(np.min(arrivals - ends / self.rate))
        times = start + np.arange(len(samples)) / self.rate
        return Recording(samples.astype(np.float32) / 32768.0, times, self.rate)
