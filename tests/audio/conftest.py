"""Shared scores and the real-time player for the audio tests."""

from __future__ import annotations

import ctypes
import sys

import PySide6
import pytest

from composer.audio.monitor import pulse_problem
from composer.music.score import Note, Score

if sys.version_info < (3, 12) and PySide6.__version_info__[:2] == (6, 12):
    # PySide6 6.12 on Python 3.11 drops a reference to None (and to True/False) on calls of
    # C++ methods returning void or bool (painter.drawLine, widget.update, ...), so a playing
    # window, repainting 60 times a second, frees None within seconds and aborts the
    # interpreter. Python 3.12 made these immortal, and PySide6 6.11.3 has no such bug;
    # until the project pins one of those, the playback tests keep them alive as 3.12 does.
    for immortal in (None, True, False):
        ctypes.c_ssize_t.from_address(id(immortal)).value += 1 << 40


def chord_score(chords: int = 4, tempo: float = 120.0, voices: tuple[int, ...] = (0, 1, 2, 3),
                rest_after: int = 0) -> Score:
    """Quarter-note chords (C major, closely voiced), each followed by `rest_after` steps of
    rest; at 120 BPM a quarter note lasts 0.5 s."""
    pitches = (72, 67, 64, 48)
    parts: list[tuple[Note, ...]] = []
    for voice in range(4):
        if voice in voices:
            parts.append(tuple(Note(i * (4 + rest_after), 4, pitches[voice] + (i % 2) * 2)
                               for i in range(chords)))
        else:
            parts.append(())
    return Score(voices=tuple(parts), tempo=tempo)


@pytest.fixture(scope="session")
def pulse() -> None:
    problem = pulse_problem()
    if problem:
        pytest.skip(f"needs the PulseAudio null sink of .ci/test.sh: {problem}")


@pytest.fixture(scope="module")
def player(pulse):
    from composer.audio.player import RealtimePlayer

    player = RealtimePlayer()
    assert player.wait_until_running(), "the audio device never started taking samples"
    yield player
    player.close()
