"""Token encoding: per voice and step one of REST, HOLD or NOTE(pitch).

HOLD keeps a held note apart from a repeated one, so score -> tokens -> score is exact.
The network reads the grid row by row (S, A, T, B of step 0, then of step 1, ...): the
flat form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from composer.music.score import DEFAULT_VELOCITY, Note, Score, ScoreError, TimeSignature

REST = 0
HOLD = 1
NOTE_OFFSET = 2
VOCAB_SIZE = NOTE_OFFSET + 128


def note_token(pitch: int) -> int:
    return NOTE_OFFSET + pitch


def token_pitch(token: int) -> int | None:
    """The pitch a NOTE token starts, None for REST and HOLD."""
    return token - NOTE_OFFSET if token >= NOTE_OFFSET else None


def token_name(token: int) -> str:
    if token == REST:
        return "REST"
    if token == HOLD:
        return "HOLD"
    return f"NOTE({token - NOTE_OFFSET})"


@dataclass(frozen=True)
class ScoreTokens:
    """A score as a (steps x 4) token grid plus what the grid cannot hold."""

    grid: np.ndarray  # int16, shape (steps, 4)
    fermata: np.ndarray  # bool, shape (steps,)
    time_signature: TimeSignature = TimeSignature()
    tempo: float = 80.0
    key: str | None = None

    @property
    def steps(self) -> int:
        return int(self.grid.shape[0])

    def flat(self) -> np.ndarray:
        """S, A, T, B of each step in turn."""
        return self.grid.reshape(-1)

    def positions(self) -> np.ndarray:
        """Position in the bar (0 .. steps_per_bar-1) of every step."""
        return position_in_bar(self.steps, self.time_signature.steps_per_bar)


def position_in_bar(steps: int, steps_per_bar: int, start: int = 0) -> np.ndarray:
    return (np.arange(start, start + steps) % steps_per_bar).astype(np.int64)


def encode(score: Score) -> ScoreTokens:
    grid = np.full((score.length, 4), REST, dtype=np.int16)
    for v, notes in enumerate(score.voices):
        for n in notes:
            grid[n.start, v] = note_token(n.pitch)
            grid[n.start + 1 : n.end, v] = HOLD
    fermata = np.zeros(score.length, dtype=bool)
    for f in score.fermatas:
        if f < score.length:
            fermata[f] = True
    return ScoreTokens(grid, fermata, score.time_signature, score.tempo, score.key)


def grid_to_voices(grid: np.ndarray, velocity: int = DEFAULT_VELOCITY) -> tuple:
    """Notes of each voice from a token grid. A HOLD with nothing to hold (after a REST or
    at the start) reads as a rest."""
    grid = np.asarray(grid)
    if grid.ndim != 2 or grid.shape[1] != 4:
        raise ScoreError(f"a token grid has shape (steps, 4), got {grid.shape}")
    if grid.size and (grid.min() < 0 or grid.max() >= VOCAB_SIZE):
        raise ScoreError(f"token grid holds values outside 0-{VOCAB_SIZE - 1}")
    voices = []
    for v in range(4):
        col = grid[:, v].tolist()
        notes: list[Note] = []
        start = pitch = None
        for step, tok in enumerate(col + [REST]):
            if tok == HOLD and start is not None:
                continue
            if start is not None:
                notes.append(Note(start, step - start, pitch, velocity))
                start = None
            if tok >= NOTE_OFFSET:
                start, pitch = step, tok - NOTE_OFFSET
        voices.append(tuple(notes))
    return tuple(voices)


def decode(tokens: ScoreTokens, velocity: int = DEFAULT_VELOCITY) -> Score:
    fermatas = frozenset(int(i) for i in np.flatnonzero(tokens.fermata))
    return Score(
        voices=grid_to_voices(tokens.grid, velocity),
        tempo=tokens.tempo,
        time_signature=tokens.time_signature,
        key=tokens.key,
        fermatas=fermatas,
        length=tokens.steps,
    )


def pitch_grid(grid: np.ndarray) -> np.ndarray:
    """Sounding pitch of each voice at each step, -1 in rests: the form of the JSB data
    and of the course notebook, where a held pitch counts as that pitch."""
    grid = np.asarray(grid)
    out = np.full(grid.shape, -1, dtype=np.int16)
    current = np.full(grid.shape[1], -1, dtype=np.int16)
    for t in range(grid.shape[0]):
        row = grid[t]
        held = np.where(row == HOLD, current, -1)
        current = np.where(row >= NOTE_OFFSET, row - NOTE_OFFSET, held)
        out[t] = current
    return out


def grid_from_pitches(pitches: np.ndarray) -> np.ndarray:
    """Token grid from a pitch grid (-1 = silence); equal neighbouring pitches are held,
    since a pitch grid cannot tell a held note from a repeated one."""
    pitches = np.asarray(pitches, dtype=np.int16)
    grid = np.where(pitches < 0, REST, pitches + NOTE_OFFSET).astype(np.int16)
    same = np.zeros_like(pitches, dtype=bool)
    same[1:] = (pitches[1:] == pitches[:-1]) & (pitches[1:] >= 0)
    grid[same] = HOLD
    return grid
