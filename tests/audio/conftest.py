"""Shared scores and the real-time player for the audio tests."""

from __future__ import annotations

import pytest

from composer.audio.monitor import pulse_problem
from composer.music.score import Note, Score


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
    from composer.audio.player import PERIOD_SIZES, RealtimePlayer

    # The size the player grows to on a two-core VM whose sound server cannot keep 512
    # frames fed: these tests time what is heard, and a dropout would shift it. Growing
    # after dropouts has its own tests.
    player = RealtimePlayer(period_size=PERIOD_SIZES[2])
    assert player.wait_until_running(), "the audio device never started taking samples"
    yield player
    player.close()
