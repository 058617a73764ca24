"""Training data: chorales as token sequences, random windows, transposition, batching.

The torch counterpart of the tf.data pipeline the course teaches: windows at random
offsets, each transposed to a random key that keeps every voice in range, shuffled and
batched by a DataLoader (with worker processes when asked). Validation and test read the
untransposed chorales whole.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from composer.ml.errors import ModelError
from composer.ml.model import BOS, HELD, KEPT_STATES, MASKED, MAX_POSITIONS, SILENT, START
from composer.music.score import VOICE_RANGES
from composer.music.tokens import NOTE_OFFSET, encode, grid_from_pitches, pitch_grid

IGNORE = -100
JSB_ENV = "COMPOSER_JSB_PATH"
# The benchmarks' data is no part of Composer and is not installed with it; beside a source
# checkout it is found here.
_CHECKOUT_JSB = (Path(__file__).resolve().parents[3] / "shared" / "data" / "jsb16th"
                 / "Jsb16thSeparated.json")
DATASETS = ("corpus", "jsb")


@dataclass(frozen=True)
class Chorale:
    """One chorale as the network sees it."""

    id: str
    grid: np.ndarray  # int64 (steps, 4) tokens
    fermata: np.ndarray  # bool (steps,)
    steps_per_bar: int

    @property
    def steps(self) -> int:
        return int(self.grid.shape[0])

    @property
    def tokens(self) -> int:
        return self.steps * 4


def from_score(id: str, score) -> Chorale:
    st = encode(score)
    return Chorale(id, st.grid.astype(np.int64), st.fermata.copy(), st.time_signature.steps_per_bar)


def corpus_chorales(split: str, corpus=None) -> list[Chorale]:
    if corpus is None:
        from composer.music.corpus import load_corpus

        corpus = load_corpus()
    return [from_score(e.id, e.score) for e in corpus.split(split)]


def jsb_path() -> Path:
    """Where the JSB set is looked for when no path is given: ${COMPOSER_JSB_PATH}, else
    beside the source checkout."""
    return Path(os.environ.get(JSB_ENV) or _CHECKOUT_JSB)


def jsb_chorales(split: str, path: str | Path | None = None) -> list[Chorale]:
    """The JSB 16th-note set (benchmarks only): pitch grids, so repeated pitches read as held."""
    path = Path(path) if path else jsb_path()
    if not path.exists():
        raise ModelError(
            f"JSB data not found at {path}: pass --jsb-path, or set {JSB_ENV}, to the path of "
            "Jsb16thSeparated.json (the JSB 16th-note set, used by the benchmarks only)"
        )
    data = json.loads(path.read_text())
    if split not in data:
        raise ModelError(f"{path} has no split {split!r} (it has {', '.join(data)})")
    out = []
    for i, chorale in enumerate(data[split]):
        pitches = np.asarray(chorale, dtype=np.int16).reshape(-1, 4)
        grid = grid_from_pitches(pitches).astype(np.int64)
        out.append(Chorale(f"jsb-{split}-{i}", grid, np.zeros(len(grid), bool), 16))
    return out


def load_chorales(dataset: str, split: str, jsb_path: str | Path | None = None,
                  limit: int | None = None) -> list[Chorale]:
    if dataset == "jsb":
        chorales = jsb_chorales(split, jsb_path)
    elif dataset == "corpus":
        chorales = corpus_chorales(split)
    else:
        raise ModelError(f"unknown dataset {dataset!r}: choose one of {', '.join(DATASETS)}")
    return chorales[:limit] if limit else chorales


def fingerprint(chorales: Sequence[Chorale]) -> str:
    """Identifies a split by content, so a card says exactly which data a net has seen."""
    h = hashlib.sha256()
    for c in chorales:
        h.update(c.id.encode())
        h.update(np.ascontiguousarray(c.grid, dtype=np.int16).tobytes())
        h.update(c.fermata.tobytes())
    return h.hexdigest()[:16]


def transpose_grid(grid: np.ndarray, semitones: int) -> np.ndarray:
    return np.where(grid >= NOTE_OFFSET, grid + semitones, grid)


def allowed_transpositions(grid: np.ndarray, max_shift: int = 6) -> list[int]:
    """Shifts that keep each voice inside its conventional range (or, where Bach already
    leaves it, no further out than he did)."""
    shifts = []
    for s in range(-max_shift, max_shift + 1):
        ok = True
        for v, (lo, hi) in enumerate(VOICE_RANGES):
            col = grid[:, v]
            pitches = col[col >= NOTE_OFFSET] - NOTE_OFFSET
            if pitches.size == 0:
                continue
            low, high = int(pitches.min()), int(pitches.max())
            if low + s < min(lo, low) or high + s > max(hi, high):
                ok = False
                break
        if ok:
            shifts.append(s)
    return shifts


def voice_states(grid: np.ndarray) -> np.ndarray:
    """What each voice is doing after each step: 1 silent, 2+p a note of pitch p that
    started on this step, HELD+p one that goes on. Tells the network the sounding pitch
    and whether it was just struck, which HOLD tokens alone hide."""
    pitches = pitch_grid(grid).astype(np.int64)
    return np.where(pitches < 0, SILENT, np.where(grid >= NOTE_OFFSET, grid, HELD + pitches))


def kept_inputs(states: np.ndarray, keep: Sequence[int]) -> np.ndarray:
    """A harmonizer encoder's view of a passage (steps, 4): each kept voice's state on each
    step (voice_states), MASKED for the voices it is to write, each voice in its own rows
    of the encoder's table."""
    mask = np.zeros(4, dtype=bool)
    mask[list(keep)] = True
    return np.where(mask, states, MASKED) + np.arange(4) * KEPT_STATES


# The voices a harmonizer keeps in training, and how often: mostly the soprano (the tune a
# person brings), then the bass (a figured-bass exercise), the outer voices, and now and
# then any other set, so that "keep these, write the rest" works for every choice.
KEEP_SETS = (((0,), 0.55), ((3,), 0.1), ((0, 3), 0.15), ((1,), 0.03), ((2,), 0.03),
             ((0, 1), 0.03), ((0, 2), 0.03), ((0, 1, 3), 0.03), ((0, 2, 3), 0.03),
             ((1, 2, 3), 0.02))


def sequence_inputs(grid: np.ndarray, fermata: np.ndarray, steps_per_bar: int,
                    start_step: int = 0, prev_token: int = BOS,
                    states: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Network inputs for a grid whose first step sits at `start_step` of its chorale.
    A window inside a chorale passes `prev_token` (the token before it) and `states`:
    voice_states of the chorale from the step before the window to its last step but one,
    since a window that opens on HOLDs cannot tell on its own what is held."""
    grid = np.asarray(grid, dtype=np.int64)
    steps = grid.shape[0]
    flat = grid.reshape(-1)
    tokens = np.empty_like(flat)
    tokens[0] = prev_token
    tokens[1:] = flat[:-1]
    if states is None:
        start_row = np.full((1, 4), START, dtype=np.int64)
        states = np.concatenate([start_row, voice_states(grid)[:-1]]) if steps else start_row[:0]
    positions = np.minimum((np.arange(start_step, start_step + steps) % steps_per_bar),
                           MAX_POSITIONS - 1)
    return {
        "tokens": tokens,
        "states": states.reshape(-1),
        "voices": np.tile(np.arange(4), steps),
        "positions": np.repeat(positions, 4),
        "fermatas": np.repeat(np.asarray(fermata, dtype=np.int64), 4),
        "targets": flat,
    }


class WindowDataset(Dataset):
    """`windows` random windows per epoch; item i of epoch e is the same on every run and
    every process, so a DistributedSampler can shard the epoch."""

    def __init__(self, chorales: Sequence[Chorale], window_steps: int, windows: int | None = None,
                 seed: int = 0, transpose: bool = True, harmonizer: bool = False) -> None:
        """harmonizer: each window keeps a set of voices drawn from KEEP_SETS, the encoder
        reads them ("kept") and only the other voices are scored."""
        if not chorales:
            raise ModelError("no chorales to train on")
        self.chorales = list(chorales)
        self.window_steps = window_steps
        total = sum(c.steps for c in self.chorales)
        self.windows = windows or max(1, total // window_steps)
        self.harmonizer = harmonizer
        self.seed = seed
        self.epoch = 0
        self.shifts = [allowed_transpositions(c.grid) if transpose else [0] for c in self.chorales]
        self.states = [voice_states(c.grid) for c in self.chorales]
        weights = np.array([c.steps for c in self.chorales], dtype=np.float64)
        self.weights = weights / weights.sum()

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.windows

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng((self.seed, self.epoch, index))
        k = int(rng.choice(len(self.chorales), p=self.weights))
        c = self.chorales[k]
        w = self.window_steps
        start = int(rng.integers(0, max(0, c.steps - w) + 1))
        shift = int(rng.choice(self.shifts[k]))
        grid = transpose_grid(c.grid, shift)
        end = min(c.steps, start + w)
        prev, states = BOS, None
        if start > 0:
            prev = int(grid[start - 1, 3])
            states = self.states[k][start - 1:end - 1]
            states = np.where(states >= NOTE_OFFSET, states + shift, states)
        part = sequence_inputs(grid[start:end], c.fermata[start:end], c.steps_per_bar, start,
                               prev, states)
        if self.harmonizer:
            sets, odds = zip(*KEEP_SETS)
            keep = sets[int(rng.choice(len(sets), p=np.array(odds) / sum(odds)))]
            own = self.states[k][start:end]
            own = np.where(own >= NOTE_OFFSET, own + shift, own)
            part["kept"] = kept_inputs(own, keep)
            part["targets"] = score_only(part["targets"], keep)
        return {name: torch.from_numpy(pad(arr, w * 4, name)) for name, arr in part.items()}


def score_only(targets: np.ndarray, keep: Sequence[int]) -> np.ndarray:
    """Flat S, A, T, B targets with the kept voices' left out of the loss."""
    out = targets.reshape(-1, 4).copy()
    out[:, list(keep)] = IGNORE
    return out.reshape(-1)


def pad(arr: np.ndarray, length: int, name: str) -> np.ndarray:
    """`length` tokens; a harmonizer's "kept" (steps, 4) to length / 4 steps, the padding
    masked in every voice, as after the end of a passage."""
    if name == "kept":
        missing = length // 4 - arr.shape[0]
        if missing <= 0:
            return arr
        rows = np.broadcast_to(kept_inputs(np.zeros((1, 4), np.int64), ()), (missing, 4))
        return np.concatenate([arr, rows.astype(arr.dtype)])
    if arr.shape[0] >= length:
        return arr
    fill = IGNORE if name == "targets" else 0
    return np.concatenate([arr, np.full(length - arr.shape[0], fill, dtype=arr.dtype)])


def whole_batches(chorales: Sequence[Chorale], batch_size: int = 16,
                  keep: Sequence[int] = (), harmonizer: bool = False):
    """Whole untransposed chorales, padded into batches, for validation and test. With
    `keep`, the kept voices are left out of the targets, and a harmonizer's encoder reads
    them."""
    order = sorted(range(len(chorales)), key=lambda i: chorales[i].steps)
    for b in range(0, len(order), batch_size):
        group = [chorales[i] for i in order[b:b + batch_size]]
        length = max(c.tokens for c in group)
        parts = [whole_inputs(c, keep, harmonizer) for c in group]
        yield group, {
            name: torch.from_numpy(np.stack([pad(p[name], length, name) for p in parts]))
            for name in parts[0]
        }


def whole_inputs(c: Chorale, keep: Sequence[int] = (), harmonizer: bool = False
                 ) -> dict[str, np.ndarray]:
    part = sequence_inputs(c.grid, c.fermata, c.steps_per_bar)
    if keep:
        part["targets"] = score_only(part["targets"], keep)
    if harmonizer:
        part["kept"] = kept_inputs(voice_states(c.grid), keep)
    return part
