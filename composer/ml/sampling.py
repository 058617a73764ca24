"""Sampling chorales from a trained network.

The seed is read once; then the recurrent state is carried one token at a time: by the
compiled loop (compiled_sampling, with numba; it reads the seed with its step too) where it
can be had, else by the network's own forward for the seed and the numpy stepper and the
numpy loop here, which give the same tokens. A region is sampled as a batch of candidates
in one pass. Forced tokens (locked voices, kept notes) are fed instead of sampled, so one
network continues, harmonizes a melody, or fills a gap; a free cell may be held to a few
tokens (a final cadence's chord, composer.ml.endings). When fixed music follows the
region, every candidate reads it on and the one under which it is most likely wins. The network's
log-probability of every token drawn is kept, so a caller can show where a candidate is
unlikely, not only how unlikely it is overall.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from composer.ml import compiled_sampling
from composer.ml.blas import single_thread
from composer.ml.data import kept_inputs, sequence_inputs, voice_states
from composer.ml.errors import ModelError
from composer.ml.model import BOS, HELD, SILENT, START, STATES, ChoraleRNN, is_harmonizer
from composer.ml.rules import STATE_PITCH, cadence_tokens, parallel_tokens, voicing_tokens
from composer.ml.stepper import Stepper
from composer.music.score import VOICE_RANGES, Note, NoteRef, Score
from composer.music.tokens import (
    HOLD,
    NOTE_OFFSET,
    REST,
    VOCAB_SIZE,
    encode,
    grid_to_voices,
    pitch_grid,
)
from composer.work import Cancel, Cancelled, Progress


@dataclass(frozen=True)
class SamplingOptions:
    temperature: float = 1.0
    top_p: float = 1.0
    candidates: int = 1
    seed: int | None = None
    ranges: tuple[tuple[int, int], ...] = VOICE_RANGES  # pitches each voice may be given
    lookahead: int = 64  # steps of the fixed music after a region read to rank candidates
    avoid_parallels: bool = True  # a sampled voice makes no parallel fifths or octaves
    strict_voicing: bool = True  # nor hidden ones into the outer voices, nor a soprano more
    # than an octave above the alto (each gives way where it would leave only a rest)
    cadence_triads: bool = True  # a fermata's chord is a root-position major or minor triad

    def __post_init__(self) -> None:
        if not self.temperature > 0:
            raise ModelError(f"temperature must be above 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ModelError(f"top-p must be in (0, 1], got {self.top_p}")
        if self.candidates < 1:
            raise ModelError(f"candidates must be at least 1, got {self.candidates}")
        if self.lookahead < 0:
            raise ModelError(f"lookahead must be 0 or more steps, got {self.lookahead}")
        if len(self.ranges) != 4 or any(not 0 <= lo <= hi <= 127 for lo, hi in self.ranges):
            raise ModelError("ranges: four (low, high) MIDI pitch pairs, low <= high")


@dataclass
class Generation:
    """Candidates best first. `log_likelihoods` ranks them: of the fixed music after the
    region when there is some and more than one candidate ("after"), else of the region
    itself ("region"); both in nats. `token_log_probs` holds each candidate's per-token
    log-probabilities over the region, (end - start, 4), nan where a token was forced; so
    when ranked by the region, a candidate's nansum is its log-likelihood. The best is a
    Score at once; the others become Scores when asked for (`scores`)."""

    score: Score
    log_likelihoods: list[float]
    start: int
    end: int
    grids: list[np.ndarray] = field(repr=False, default_factory=list)
    token_log_probs: list[np.ndarray] = field(repr=False, default_factory=list)
    ranked_by: str = "region"
    _build: Callable[[np.ndarray], Score] | None = field(repr=False, default=None)
    _scores: list[Score] | None = field(repr=False, default=None)

    @property
    def scores(self) -> list[Score]:
        if self._scores is None:
            rest = [self._build(g) for g in self.grids[1:]] if self._build else []
            self._scores = [self.score, *rest]
        return self._scores


@dataclass(frozen=True)
class Sampled:
    """What sample_grid drew for B candidates: tokens (B, steps, 4); log_probs (B,
    end - start, 4), the network's log-probability of each token drawn in the region (before
    temperature, top-p and masks), nan where forced; ranking (B,), of what `ranked_by` says
    ("after": the fixed music after the region, "region": the region itself)."""

    tokens: np.ndarray
    log_probs: np.ndarray
    ranking: np.ndarray
    ranked_by: str


Choices = Mapping[tuple[int, int], Sequence[int]]  # (step, voice) -> the tokens allowed there


def _mask_table(ranges: Sequence[tuple[int, int]]) -> np.ndarray:
    mask = np.full((4, VOCAB_SIZE), -np.inf, dtype=np.float32)
    mask[:, REST] = 0.0
    mask[:, HOLD] = 0.0
    for v, (lo, hi) in enumerate(ranges):
        mask[v, NOTE_OFFSET + lo: NOTE_OFFSET + hi + 1] = 0.0
    return mask


def _state_mask_table(ranges: Sequence[tuple[int, int]]) -> np.ndarray:
    """[voice, voice state] -> additive mask: the voice's range, and no HOLD while the
    voice is silent or has not begun. One lookup per token instead of several tests."""
    mask = np.repeat(_mask_table(ranges)[:, None, :], STATES, axis=1)
    mask[:, : SILENT + 1, HOLD] = -np.inf
    return mask


@dataclass(frozen=True)
class _Passage:
    stepper: Stepper
    compiled: compiled_sampling.CompiledNet | None
    fermata: np.ndarray  # the flags and bar length the steppers index their tables by
    steps_per_bar: int
    condition: np.ndarray | None = None  # a harmonizer's encoding (steps, embed)


class Sampler:
    """Samples from one LSTM or GRU ChoraleRNN (a harmonizer among them)."""

    def __init__(self, model: torch.nn.Module, engine: str = "auto") -> None:
        """engine: "auto", the compiled loop (compiled_sampling) once it is ready, which the
        first sampler starts in the background, and the numpy loop until then or where
        numba cannot be had; "compiled", waiting for it (refused where it cannot be had);
        "numpy", the numpy loop."""
        if not isinstance(model, ChoraleRNN):
            raise ModelError("sampling needs an LSTM or GRU chorale network; the reference "
                             "network is a benchmark baseline only")
        if engine not in ("auto", "compiled", "numpy"):
            raise ModelError(f"engine: auto, compiled or numpy, got {engine!r}")
        self.model = model.eval()
        self.stepper = Stepper(model)
        self._engine = engine
        self._compiled: compiled_sampling.CompiledNet | None = None
        if engine == "compiled":
            if compiled_sampling.kernels() is None:
                raise ModelError("the compiled sampler is not available: "
                                 f"{compiled_sampling.unavailable()}")
            self._compiled = compiled_sampling.CompiledNet(self.stepper)
        elif engine == "auto":
            compiled_sampling.start()
        self._lock = threading.Lock()  # the stepper's buffers serve one generation at a time

    @property
    def compiled(self) -> compiled_sampling.CompiledNet | None:
        """The compiled loop sample_grid runs, None while it runs the numpy loop."""
        if self._compiled is None and self._engine == "auto":
            kernels = compiled_sampling.kernels(wait=False)
            if kernels is not None:
                self._compiled = compiled_sampling.CompiledNet(self.stepper, kernels)
        return self._compiled

    @property
    def harmonizer(self) -> bool:
        """Whether the net reads the kept voices whole (a harmonizer) or only so far."""
        return is_harmonizer(self.model)

    @property
    def engine(self) -> str:
        """"compiled" or "numpy": the loop the next sample_grid runs."""
        return "numpy" if self.compiled is None else "compiled"

    def _passage(self, grid: np.ndarray, fermata: np.ndarray, steps_per_bar: int,
                 start: int, end: int, free: np.ndarray, compiled: bool) -> _Passage:
        """What one sampling pass steps: the net as it is, or a harmonizer with its
        encoder's reading of the voices kept over start..end (every voice not free there)
        over the whole score, built into a context table indexed by step."""
        if not is_harmonizer(self.model):
            return _Passage(self.stepper, self._compiled if compiled else None,
                            np.asarray(fermata), steps_per_bar)
        keep = tuple(v for v in range(4) if not free[start:end, v].any())
        steps = grid.shape[0]
        positions = np.arange(steps, dtype=np.int64) % steps_per_bar
        ferm = np.asarray(fermata, dtype=np.int64)
        with torch.no_grad():
            cond = self.model.conditioning(
                torch.from_numpy(kept_inputs(voice_states(grid), keep))[None],
                torch.from_numpy(positions)[None], torch.from_numpy(ferm)[None])[0].numpy()
        stepper = self.stepper.conditioned(cond, positions, ferm)
        return _Passage(stepper, self._compiled.conditioned(stepper) if compiled else None,
                        np.zeros(steps, np.int64), steps, cond)

    def _fresh_start(self, grid: np.ndarray, start: int, end: int, free: np.ndarray) -> bool:
        """Whether a harmonizer starts its voices at `start` as at a chorale's beginning:
        where they are silent all the way before it (a tune harmonized from its middle),
        it would otherwise read the silence as the music to go on with and keep it. Its
        encoder still reads the whole tune; a causal net reads the prefix as it is."""
        if start == 0 or not self.harmonizer:
            return False
        written = free[start:end].any(axis=0)
        return bool(written.any() and (grid[:start, written] == REST).all())

    def _prefix_state(self, grid: np.ndarray, fermata: np.ndarray, steps_per_bar: int,
                      batch: int, passage: _Passage):
        if grid.shape[0] == 0:
            return passage.stepper.zero_state(batch)
        if passage.compiled is not None:
            start = grid.shape[0]
            inputs = sequence_inputs(grid, passage.fermata[:start], passage.steps_per_bar)
            return passage.compiled.read(inputs, batch)
        inputs = {k: torch.from_numpy(v)[None]
                  for k, v in sequence_inputs(grid, fermata, steps_per_bar).items()}
        if passage.condition is not None:
            inputs["condition"] = torch.from_numpy(passage.condition[:grid.shape[0]])[None]
        with torch.no_grad():
            _, state = self.model(inputs)
        return passage.stepper.state_from_torch(state, batch)

    def sample_grid(self, grid: np.ndarray, fermata: np.ndarray, steps_per_bar: int,
                    start: int, end: int, free: np.ndarray,
                    options: SamplingOptions = SamplingOptions(),
                    progress: Progress | None = None, cancel: Cancel | None = None,
                    choices: Choices | None = None) -> Sampled:
        """Sample the `free` cells of grid[start:end]; every other cell is forced. A free
        cell named in `choices` takes one of the tokens listed for it (a cadence's chord).
        Steps after `end` are read, not sampled, to rank the candidates.

        grid (steps, 4) tokens, free (steps, 4) bool."""
        grid = np.asarray(grid, dtype=np.int64)
        steps = grid.shape[0]
        if not 0 <= start <= end <= steps:
            raise ModelError(f"region {start}-{end} lies outside the score's {steps} steps")
        args = (grid, fermata, steps_per_bar, start, end, free, options, progress, cancel,
                choices or {})
        if self.compiled is not None:
            try:
                return self._sample(*args, compiled=True)
            except compiled_sampling.CompileError as error:
                warnings.warn(f"the compiled sampler failed, sampling with numpy: {error}",
                              RuntimeWarning, stacklevel=2)
                self._compiled, self._engine = None, "numpy"
        return self._sample(*args, compiled=False)

    def _sample(self, grid: np.ndarray, fermata: np.ndarray, steps_per_bar: int, start: int,
                end: int, free: np.ndarray, options: SamplingOptions,
                progress: Progress | None, cancel: Cancel | None, choices: Choices,
                compiled: bool) -> Sampled:
        steps = grid.shape[0]
        B = options.candidates
        out = np.repeat(grid[None], B, axis=0)
        log_probs = np.full((B, end - start, 4), np.nan)
        allowed = (_state_mask_table(options.ranges) == 0).astype(np.float32)
        inv_t = 1.0 / options.temperature
        top_p = options.top_p
        rng = np.random.default_rng(options.seed)
        uniforms = rng.random(((end - start) * 4, B))
        # what each voice is doing (data.voice_states); HOLD cannot follow silence
        begin = 0 if self._fresh_start(grid, start, end, free) else start
        vstate = np.full((B, 4), START, dtype=np.int64)
        if begin > 0:
            vstate[:] = voice_states(grid[:begin])[-1]
        prev = np.full(B, BOS if begin == 0 else grid[begin - 1, 3], dtype=np.int64)
        after_ll = np.zeros(B)
        last = min(steps, end + options.lookahead) if end < steps and B > 1 else end
        with self._lock, single_thread():
            passage = self._passage(grid, fermata, steps_per_bar, start, end, free, compiled)
            state = self._prefix_state(grid[:begin], fermata[:begin], steps_per_bar, B,
                                       passage)
            cadence_at = _cadence_steps(fermata if options.cadence_triads else None, steps)
            fermata, steps_per_bar = passage.fermata, passage.steps_per_bar  # a harmonizer's
            # table index: the cadence rule reads the score's own fermatas, taken above
            if compiled:
                passage.compiled.sample(
                    state, out, free, fermata, steps_per_bar, start, end, last, allowed,
                    *_choice_arrays(choices, steps), options.avoid_parallels,
                    options.strict_voicing, cadence_at, inv_t, top_p,
                    uniforms, vstate, prev, log_probs, after_ll, NEXT_STATE, STATE_PITCH,
                    progress, cancel)
            else:
                self._loop(passage.stepper, state, out, free, fermata, steps_per_bar, start,
                           end, last, allowed,
                           _Constraints(grid, free, choices, options.avoid_parallels,
                                        options.strict_voicing, cadence_at),
                           inv_t, top_p, uniforms, vstate, prev, log_probs, after_ll,
                           progress, cancel)
        if last > end:
            return Sampled(out, log_probs, after_ll, "after")
        return Sampled(out, log_probs, np.nansum(log_probs, axis=(1, 2)), "region")

    def _loop(self, stepper: Stepper, state, out: np.ndarray, free: np.ndarray,
              fermata: np.ndarray,
              steps_per_bar: int, start: int, end: int, last: int, allowed: np.ndarray,
              rules: _Constraints, inv_t: float, top_p: float, uniforms: np.ndarray,
              vstate: np.ndarray, prev: np.ndarray, log_probs: np.ndarray,
              after_ll: np.ndarray, progress: Progress | None, cancel: Cancel | None) -> None:
        """The numpy loop over steps start..last: out, vstate, log_probs and after_ll are
        written in place (compiled_kernels.sample_steps is the same loop compiled)."""
        B = len(prev)
        rows = np.arange(B)
        total = last - start
        free_rows = free.tolist()
        fermata_flags = [int(f) for f in fermata]
        step_fn = stepper.step
        for step in range(start, last):
            if cancel is not None and cancel():
                raise Cancelled("generation cancelled")
            pos = step % steps_per_bar
            ferm = fermata_flags[step]
            in_region = step < end
            free_row = free_rows[step]
            if in_region:
                rules.begin(step, vstate, out[:, step])
            for v in range(4):
                sampled = in_region and free_row[v]
                voice_state = vstate[:, v]
                logits = step_fn(state, prev, voice_state, v, pos, ferm,
                                 logits=sampled or not in_region)
                if sampled:
                    logits -= logits.max(1, keepdims=True)
                    if inv_t == 1.0:
                        e = np.exp(logits)
                        lse = np.log(e.sum(1))
                    else:
                        lse = np.log(np.exp(logits).sum(1))
                        e = np.exp(logits * inv_t)
                    e *= allowed[v, voice_state]
                    rules.apply(e, v, voice_state)
                    u = uniforms[(step - start) * 4 + v]
                    if top_p < 1.0:
                        order = np.argsort(-e, axis=1, kind="stable")  # ties: token order
                        e = np.take_along_axis(e, order, 1)
                        cs = e.cumsum(1)
                        e[(cs - e) > top_p * cs[:, -1:]] = 0.0
                        cs = e.cumsum(1)
                        tok = order[rows, (cs < u[:, None] * cs[:, -1:]).sum(1)]
                    else:  # u < 1, so the count stops before the last token
                        cs = e.cumsum(1)
                        tok = (cs < u[:, None] * cs[:, -1:]).sum(1)
                    log_probs[:, step - start, v] = logits[rows, tok] - lse
                    out[:, step, v] = tok
                else:
                    tok = out[:, step, v]
                    if not in_region:
                        top = logits.max(1, keepdims=True)
                        lse = top[:, 0] + np.log(np.exp(logits - top).sum(1))
                        after_ll += logits[rows, tok] - lse
                vstate[:, v] = NEXT_STATE[voice_state, tok]
                if in_region:
                    rules.placed(v, vstate[:, v])
                prev = tok
            if progress is not None:
                progress(step - start + 1, total)

    def generate(self, score: Score, start: int, end: int, voices: Iterable[int] = range(4),
                 keep: Iterable[NoteRef] = (), options: SamplingOptions = SamplingOptions(),
                 progress: Progress | None = None, cancel: Cancel | None = None,
                 choices: Choices | None = None) -> Generation:
        """New music for steps start..end of `score` (which grows to `end` if shorter) in
        the given voices; the other voices and the `keep` notes stay as they are. Notes
        crossing `end` in a regenerated voice are split there. `choices`: as in
        sample_grid."""
        voices = sorted(set(voices))
        if any(v not in range(4) for v in voices):
            raise ModelError(f"voices are 0-3 (S, A, T, B), got {voices}")
        if start < 0 or end <= start:
            raise ModelError(f"the region to generate is empty ({start}-{end})")
        full = score.with_meta(length=max(score.length, end))
        tokens = encode(full)
        grid = tokens.grid.astype(np.int64)
        free = np.zeros(grid.shape, dtype=bool)
        free[start:end, voices] = True
        for v, note in keep:
            a, b = max(note.start, start), min(note.end, end)
            if a < b:
                free[a:b, v] = False
        if end < grid.shape[0]:
            pitches = pitch_grid(grid)[end]
            for v in voices:
                if grid[end, v] == HOLD and free[end - 1, v]:
                    grid[end, v] = NOTE_OFFSET + pitches[v]
        drawn = self.sample_grid(grid, tokens.fermata, tokens.time_signature.steps_per_bar,
                                 start, end, free, options, progress, cancel, choices)
        order = np.argsort(-drawn.ranking, kind="stable")
        grids = [drawn.tokens[i] for i in order]

        def build(grid: np.ndarray) -> Score:
            return _rebuild(full, grid, voices)

        return Generation(build(grids[0]), [float(drawn.ranking[i]) for i in order], start,
                          end, grids, [drawn.log_probs[i] for i in order], drawn.ranked_by,
                          build)

    def continuation(self, score: Score, steps: int, **kwargs) -> Generation:
        """`steps` new steps after the end of `score`."""
        return self.generate(score, score.length, score.length + steps, **kwargs)


class _Constraints:
    """What a drawn token may be beyond the validity mask: the tokens a cell's `choices`
    allow (a cadence's chord), the parallels rule and the voicing rules. Around a cadence
    the parallels rule looks one voice and one step ahead, since a final chord leaves the
    bass a single pitch class: a voice of the chord avoids notes after which the bass would
    have only parallels left (_ban_dead_ends), and on the step before it a voice avoids
    notes from which a kept voice's move into the chord would leave it only parallels
    (_ban_traps)."""

    def __init__(self, grid: np.ndarray, free: np.ndarray, choices: Choices,
                 avoid: bool, voicing: bool, cadence_at: np.ndarray | None = None) -> None:
        self.grid = grid
        self.free_rows = free.tolist()
        self.choices = choices
        self.masks = _choice_masks(choices)
        self.chord_cells = {cell for cell, tokens in choices.items()
                            if any(t >= NOTE_OFFSET for t in tokens)}
        self.avoid = avoid
        self.voicing = voicing
        self.cadence_at = [False] * len(grid) if cadence_at is None else cadence_at.tolist()
        self.tracking = avoid or voicing or any(self.cadence_at)  # known pitches followed

    def begin(self, step: int, vstate: np.ndarray, tokens: np.ndarray) -> None:
        self.step = step
        if self.tracking:
            self.before, self.known, self.others = _known_this_step(
                vstate, tokens, self.free_rows[step])

    def apply(self, e: np.ndarray, v: int, voice_state: np.ndarray) -> None:
        """Zero the weights (B, vocabulary) of voice v's tokens that are not allowed."""
        step = self.step
        mask = self.masks.get((step, v))
        if mask is not None:
            e *= mask
        if not self.tracking:
            return
        if self.others[v]:
            if self.avoid:
                _ban_parallels(e, self.before, self.known, v, self.others[v],
                               mask is not None)
            if self.voicing:
                _ban_voicing(e, self.before, self.known, v, self.others[v], voicing_tokens)
        if self.cadence_at[step]:
            _ban_voicing(e, self.before, self.known, v, self.others[v], cadence_tokens)
        if not self.avoid:
            return
        if mask is not None:
            below = [(w, self.choices[step, w]) for w in range(v + 1, 4)
                     if (step, w) in self.masks]
            if below:
                _ban_dead_ends(e, self.before, self.known, v, below, self.others)
        if (step + 1, v) in self.chord_cells:
            self._ban_traps(e, v, voice_state)

    def placed(self, v: int, voice_state: np.ndarray) -> None:
        if self.tracking and v < 3:
            for row, pitch in zip(self.known, STATE_PITCH[voice_state].tolist()):
                row[v] = pitch

    def _ban_traps(self, e: np.ndarray, v: int, voice_state: np.ndarray) -> None:
        step = self.step + 1
        locked = tuple(w for w in range(4) if not self.free_rows[step][w])
        if not locked:
            return  # every voice of the chord is drawn: _ban_dead_ends sees to it
        targets = set(self.choices[step, v])
        sounding = STATE_PITCH[voice_state].tolist()
        for b in range(len(e)):
            row = e[b].copy()
            after = list(self.known[b])  # the pitches as this step ends
            for tok in np.flatnonzero(row).tolist():
                after[v] = tok - NOTE_OFFSET if tok >= NOTE_OFFSET else \
                    (sounding[b] if tok == HOLD else -1)
                into = _locked_pitches(self.grid[step], after, locked)
                if targets <= set(parallel_tokens(after, into, v, locked)):
                    row[tok] = 0.0
            if row.any():
                e[b] = row


def _locked_pitches(tokens: np.ndarray, after: list[int], locked: tuple[int, ...]
                    ) -> list[int]:
    """`after` with the locked voices moved by their tokens of the next step."""
    into = list(after)
    for w in locked:
        tok = int(tokens[w])
        into[w] = tok - NOTE_OFFSET if tok >= NOTE_OFFSET else (after[w] if tok == HOLD else -1)
    return into


def _cadence_steps(fermata: np.ndarray | None, steps: int) -> np.ndarray:
    """Where the cadence rule holds, as the compiled loop reads it."""
    at = np.zeros(steps, dtype=bool)
    if fermata is not None:
        marks = np.asarray(fermata[:steps]) > 0
        at[:len(marks)] = marks  # a short array is refused with the stepper's inputs
    return at


def _choice_masks(choices: Choices) -> dict[tuple[int, int], np.ndarray]:
    masks = {}
    for cell, tokens in choices.items():
        mask = np.zeros(VOCAB_SIZE, dtype=np.float32)
        mask[list(tokens)] = 1.0
        masks[cell] = mask
    return masks


def _choice_arrays(choices: Choices, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`choices` as the compiled loop reads them: for each cell of steps + 1 (the loop looks
    a step ahead), the row of the masks (n, vocabulary) it is held to or -1, and whether it
    is held to a chord (_Constraints.chord_cells)."""
    index = np.full((steps + 1, 4), -1, dtype=np.int64)
    chord = np.zeros((steps + 1, 4), dtype=bool)
    masks = _choice_masks(choices)
    rows = np.zeros((max(len(masks), 1), VOCAB_SIZE), dtype=np.float32)
    for i, ((step, v), mask) in enumerate(masks.items()):
        rows[i] = mask
        if 0 <= step < steps and 0 <= v < 4:
            index[step, v] = i
            chord[step, v] = any(t >= NOTE_OFFSET for t in choices[step, v])
    return index, rows, chord


def _ban_parallels(e: np.ndarray, before: list[list[int]], known: list[list[int]], v: int,
                   others: tuple[int, ...], restricted: bool) -> None:
    """Zero the weights of tokens that make parallels, per candidate. REST always stays, so
    no row empties, except in a cell restricted to a few tokens: there the rule gives way
    where it would leave none (a cadence's chord comes first)."""
    for b in range(len(e)):
        banned = parallel_tokens(before[b], known[b], v, others)
        if not banned:
            continue
        row = e[b].copy() if restricted else None
        e[b, banned] = 0.0
        if row is not None and not e[b].any():
            e[b] = row


def _ban_voicing(e: np.ndarray, before: list[list[int]], known: list[list[int]], v: int,
                 others: tuple[int, ...], rule: Callable[..., list[int]]) -> None:
    """Zero the weights of tokens that break a voicing rule (rules.voicing_tokens or
    rules.cadence_tokens), per candidate; where that would leave nothing but a rest, the
    rule gives way: a voice falling silent to keep it sounds worse than breaking it."""
    for b in range(len(e)):
        banned = rule(before[b], known[b], v, others)
        if not banned:
            continue
        row = e[b].copy()
        e[b, banned] = 0.0
        if not e[b, REST + 1:].any():
            e[b] = row


def _ban_dead_ends(e: np.ndarray, before: list[list[int]], known: list[list[int]], v: int,
                   below: list[tuple[int, Sequence[int]]], others: list[tuple[int, ...]]
                   ) -> None:
    """In a restricted step (a cadence's chord), zero the tokens of voice `v` after which a
    restricted voice below it would have only parallels to choose from: the bass of a
    final chord has but one pitch class. Where that would leave `v` nothing, it gives way."""
    for b in range(len(e)):
        row = e[b].copy()
        for tok in np.flatnonzero(row).tolist():
            if tok < NOTE_OFFSET:
                continue
            now = list(known[b])
            now[v] = tok - NOTE_OFFSET
            if any(set(tokens) <= set(parallel_tokens(before[b], now, w, others[w]))
                   for w, tokens in below):
                row[tok] = 0.0
        if row.any():
            e[b] = row


def _known_this_step(vstate: np.ndarray, tokens: np.ndarray, free: list[bool]
                     ) -> tuple[list[list[int]], list[list[int]], list[tuple[int, ...]]]:
    """For the parallels rule, per candidate: the sounding pitches before a step, the same
    with the locked voices' pitches after it (the sampled ones are filled in as they are
    drawn), and for each voice the voices it is checked against: those above, drawn
    first, and the locked ones below."""
    known = vstate.copy()
    locked = [w for w in range(4) if not free[w]]
    for w in locked:
        known[:, w] = NEXT_STATE[vstate[:, w], tokens[:, w]]
    others = [tuple(range(v)) + tuple(w for w in locked if w > v) for v in range(4)]
    return STATE_PITCH[vstate].tolist(), STATE_PITCH[known].tolist(), others


def _next_state_table() -> np.ndarray:
    state = np.arange(STATES)[:, None]
    tok = np.arange(VOCAB_SIZE)[None, :]
    held = np.where(state >= HELD, state, np.where(state >= NOTE_OFFSET, state + 128, state))
    return np.where(tok >= NOTE_OFFSET, tok, np.where(tok == REST, SILENT, held))


NEXT_STATE = _next_state_table()  # [state, token] -> state after the token


def next_state(state: np.ndarray, tok: np.ndarray) -> np.ndarray:
    """A voice's state (data.voice_states) after it is given `tok`."""
    return NEXT_STATE[state, tok]


def _velocity(original: Score, voice: int, note: Note) -> int:
    """A note the original sounds at this step with this pitch (itself, or one it was cut
    from at a region's edge) keeps its velocity; a new one gets the default."""
    was = original.note_at(voice, note.start)
    return was.velocity if was is not None and was.pitch == note.pitch else note.velocity


def _rebuild(original: Score, grid: np.ndarray, voices: Sequence[int]) -> Score:
    """The original score with the sampled voices read back from the grid; notes outside
    the region keep their velocities."""
    decoded = grid_to_voices(grid)
    new_voices = list(original.voices)
    for v in voices:
        new_voices[v] = tuple(Note(n.start, n.duration, n.pitch, _velocity(original, v, n))
                              for n in decoded[v])
    return Score(voices=tuple(new_voices), tempo=original.tempo,
                 time_signature=original.time_signature, key=original.key,
                 fermatas=original.fermatas, length=original.length)
