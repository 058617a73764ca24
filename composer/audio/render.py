"""Offline rendering: a score to a numpy buffer or a WAV file, far faster than real time.

FluidSynth writes straight into one preallocated float32 buffer between note events, so
the only Python work is one call per event; the synthesis itself runs in C at full speed.
"""

from __future__ import annotations

import os
import threading
import wave
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from composer.atomic_write import atomic_open
from composer.audio.mixer import Mixer
from composer.audio.schedule import FERMATA_HOLD, TimeMap, note_events
from composer.audio.synth import SAMPLE_RATE, Synthesizer
from composer.music.score import Score
from composer.work import Cancel, Cancelled, Progress

# Long enough for the organ's release and the reverb to die away.
DEFAULT_TAIL = 1.0
# Events are at most this many frames apart, so progress and cancel are checked often.
MAX_BLOCK = 1 << 16


@dataclass(frozen=True)
class Rendering:
    audio: np.ndarray  # float32, shape (frames, 2), -1..1
    sample_rate: int
    soundfont: Path
    warning: str | None  # set when the chosen soundfont could not be used

    @property
    def seconds(self) -> float:
        return len(self.audio) / self.sample_rate


def render_frames(score: Score, sample_rate: int = SAMPLE_RATE, tail: float = DEFAULT_TAIL,
                  fermata_hold: float = FERMATA_HOLD) -> int:
    """Length of a rendering: the score's length in steps at its tempo, fermatas held, plus
    the tail."""
    seconds = TimeMap(score, fermata_hold).seconds(score.length)
    return round(seconds * sample_rate) + round(tail * sample_rate)


def _timeline(score: Score, mixer: Mixer, sample_rate: int, fermata_hold: float
              ) -> list[tuple[int, int, int, int, int]]:
    """(frame, on?, voice, pitch, velocity) sorted so a note ends before the next one starts."""
    timeline = []
    for e in note_events(score, timing=TimeMap(score, fermata_hold)):
        if mixer.audible(e.voice):
            timeline.append((round(e.time * sample_rate), 1, e.voice, e.pitch, e.velocity))
            timeline.append((round(e.end * sample_rate), 0, e.voice, e.pitch, 0))
    timeline.sort()
    return timeline


def default_threads() -> int:
    """Inside the app: two synthesizers where there are cores to spare; on two cores or
    fewer the second one competes with the GUI and the sound server while playing."""
    return 2 if (os.cpu_count() or 1) > 2 else 1


def all_cores() -> int:
    """On the command line nothing else is waiting: a synthesizer per core, up to a voice
    each (about 1.4x faster on two cores, see bench_audio.py)."""
    return min(4, os.cpu_count() or 1)


def _render_voices(
    score: Score,
    mixer: Mixer,
    voices: frozenset[int],
    soundfont: Path | str | None,
    audio: np.ndarray,
    sample_rate: int,
    advanced: Callable[[int], None],
    cancel: Cancel | None,
    fermata_hold: float,
) -> tuple[Path, str | None]:
    with Synthesizer(soundfont, mixer, sample_rate) as synth:
        position = 0

        def advance(to: int) -> None:
            nonlocal position
            while position < to:
                block = min(to, position + MAX_BLOCK)
                synth.write(audio[position:block])
                advanced(block - position)
                position = block
                if cancel is not None and cancel():
                    raise Cancelled("rendering cancelled")

        for frame, on, voice, pitch, velocity in _timeline(score, mixer, sample_rate,
                                                            fermata_hold):
            if voice not in voices:
                continue
            advance(min(frame, len(audio)))
            if on:
                synth.noteon(voice, pitch, velocity)
            else:
                synth.noteoff(voice, pitch)
        advance(len(audio))
        return synth.soundfont, synth.warning


def render(
    score: Score,
    mixer: Mixer | None = None,
    soundfont: Path | str | None = None,
    sample_rate: int = SAMPLE_RATE,
    tail: float = DEFAULT_TAIL,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    threads: int | None = None,
    fermata_hold: float = FERMATA_HOLD,
) -> Rendering:
    """The score as stereo float32 samples, fermatas held `fermata_hold` times as long, as
    in playback. Muted voices are skipped, not rendered silent. Progress counts frames
    rendered, summed over the synthesizers.

    With several threads the voices are split between synthesizers that render at once
    (FluidSynth runs outside the GIL) and their outputs are summed. The synthesis, reverb
    included, is linear and every synthesizer starts from the same state, so the sum equals
    what one synthesizer would have rendered, up to float rounding.
    """
    mixer = mixer or Mixer()
    frames = render_frames(score, sample_rate, tail, fermata_hold)
    heard = [v for v in range(4) if mixer.audible(v) and score.voices[v]] or [0]
    threads = max(1, min(threads or default_threads(), len(heard)))
    groups = [frozenset(heard[i::threads]) for i in range(threads)]
    buffers = [np.zeros((frames, 2), dtype=np.float32) for _ in groups]
    done = [0]
    lock = threading.Lock()

    def advanced(count: int) -> None:
        if progress is not None:
            with lock:
                done[0] += count
                progress(done[0], frames * len(groups))

    def job(i: int) -> tuple[Path, str | None]:
        return _render_voices(score, mixer, groups[i], soundfont, buffers[i], sample_rate,
                              advanced, cancel, fermata_hold)

    if threads == 1:
        results = [job(0)]
    else:
        with ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(job, range(threads)))
    audio = buffers[0]
    for other in buffers[1:]:
        audio += other
    used, warning = results[0]
    return Rendering(audio, sample_rate, used, warning)


def write_wav(path: Path | str, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """16-bit PCM stereo WAV; samples beyond -1..1 are clipped. Written atomically: a
    failed or killed write leaves any previous file at `path` as it was."""
    pcm = np.clip(np.rint(audio * 32767.0), -32768, 32767).astype("<i2")
    # the file is opened here, not by wave: a path wave cannot open leaves a half-made
    # writer whose clean-up prints a traceback of its own
    with atomic_open(path) as file, wave.open(file, "wb") as out:
        out.setnchannels(pcm.shape[1] if pcm.ndim == 2 else 1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())


def render_to_wav(
    score: Score,
    path: Path | str,
    mixer: Mixer | None = None,
    soundfont: Path | str | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    threads: int | None = None,
    fermata_hold: float = FERMATA_HOLD,
) -> Rendering:
    """Render and write; the file appears only once the rendering is complete. A rendering
    louder than full scale is scaled down to fit rather than clipped."""
    rendering = render(score, mixer, soundfont, progress=progress, cancel=cancel,
                       threads=threads, fermata_hold=fermata_hold)
    audio = rendering.audio
    peak = float(np.abs(audio).max()) if len(audio) else 0.0
    if peak > 1.0:
        audio = audio * (0.99 / peak)
    write_wav(path, audio, rendering.sample_rate)
    return rendering
