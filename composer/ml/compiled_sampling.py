"""The sampler's loop compiled with numba where numba is there; sampling.py's numpy loop
where it is not.

A token through the numpy loop costs several times its matrix products: the rest is the
per-call overhead of a dozen numpy operations in Python. compiled_kernels.sample_steps
does the step, the masks, the rules and the draw of every token of a stretch of steps in
one call (benchmarks/bench_generation.py measures both against the products alone).

Compiled once per process, in a background thread that the first Sampler() starts: until
it is ready (about a second where numba's cache holds it from an earlier process, ten or
more where it must compile), samplers use the numpy loop, so no Generate waits for it. numba caches
beside the module by default, which an installed package may not allow; the cache goes
to the user cache directory instead (~/.cache/composer/numba), unless NUMBA_CACHE_DIR
names one. Where numba is missing, is switched off (NUMBA_DISABLE_JIT, or
COMPOSER_SAMPLER=numpy) or fails to compile, kernels() says why in one warning and returns
None, and samplers use the numpy loop, which gives the same tokens for a seed
(tests/ml/test_compiled.py).
"""

from __future__ import annotations

import copy
import os
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from composer.ml.stepper import Stepper, StepState
from composer.work import Cancel, Cancelled, Progress

_lock = threading.Lock()  # held while loading
_done = threading.Event()
_loaded: dict[str, object] = {}  # kernels, reason, seconds
_thread: threading.Thread | None = None


class CompileError(Exception):
    """numba failed at run time (a NumbaError); the sampler goes on with the numpy loop."""


def kernels(wait: bool = True):  # noqa: ANN201 - the compiled_kernels module
    """compiled_kernels, compiled for this process (the first call compiles it, or loads
    numba's cache), or None where it cannot be (unavailable() says why). With wait=False,
    None until it is ready, which start() sees to in the background."""
    if not _done.is_set():
        if not wait:
            start()
            return None
        _load_once()
    return _loaded["kernels"]


def start() -> None:
    """Compile (or load) the kernels in a background thread, if nobody has yet."""
    global _thread
    if _done.is_set() or _thread is not None:
        return
    with _lock:
        if _thread is None and not _done.is_set():
            _thread = threading.Thread(target=_load_once, name="compile sampler", daemon=True)
            _thread.start()


def _load_once() -> None:
    with _lock:
        if _done.is_set():
            return
        began = time.perf_counter()
        module, reason = _load()
        _loaded.update(kernels=module, reason=reason, seconds=time.perf_counter() - began)
        if reason is not None:  # said before anyone can see it done
            warnings.warn(f"sampling with numpy, several times slower: {reason}",
                          RuntimeWarning, stacklevel=2)
        _done.set()


def unavailable() -> str | None:
    """Why there is no compiled loop (None when there is one, or before it is loaded)."""
    return _loaded.get("reason")  # type: ignore[return-value]


def load_seconds() -> float | None:
    """What loading took, in the process's first kernels(): compiling, or reading numba's
    cache (numba's import included)."""
    return _loaded.get("seconds")  # type: ignore[return-value]


def _load():  # noqa: ANN202
    if os.environ.get("COMPOSER_SAMPLER", "").lower() == "numpy":
        return None, "COMPOSER_SAMPLER=numpy"
    try:
        import numba
    except Exception as error:  # ImportError, or a numba built for another numpy
        return None, f"numba cannot be imported ({error})"
    if numba.config.DISABLE_JIT:
        return None, "NUMBA_DISABLE_JIT is set"
    before = numba.config.CACHE_DIR
    if not before:  # read when the kernels are decorated; others' functions keep numba's
        from platformdirs import user_cache_dir

        numba.config.CACHE_DIR = str(Path(user_cache_dir("composer")) / "numba")
    try:
        from composer.ml import compiled_kernels
        from composer.music.tokens import HOLD, NOTE_OFFSET, REST

        assert (compiled_kernels.REST, compiled_kernels.HOLD, compiled_kernels.NOTE_OFFSET
                ) == (REST, HOLD, NOTE_OFFSET)
        _warm(compiled_kernels)
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return None, f"numba could not compile the sampler ({type(error).__name__}: {first})"
    finally:
        numba.config.CACHE_DIR = before
    return compiled_kernels, None


def _warm(module) -> None:  # noqa: ANN001
    """Compile sample_steps and run_steps for the argument types every call gives them, by
    sampling a few steps of a tiny untrained net after a one-step seed."""
    from composer.ml.data import sequence_inputs
    from composer.ml.model import START, ModelConfig, build_model
    from composer.ml.rules import STATE_PITCH
    from composer.ml.sampling import NEXT_STATE, _choice_arrays, _state_mask_table
    from composer.music.score import VOICE_RANGES
    from composer.music.tokens import REST

    model = build_model(ModelConfig(cell="lstm", hidden=4, layers=2, embed=4, dropout=0.0))
    stepper = Stepper(model.eval())
    net = CompiledNet(stepper, module)
    steps, rows = 3, 2
    grid = np.full((steps, 4), REST, dtype=np.int64)
    free = np.zeros((steps, 4), dtype=bool)
    free[:2] = True
    choice_of, choice_masks, chord = _choice_arrays({(1, 3): (REST,)}, steps)
    fermata = np.zeros(steps, dtype=bool)
    net.sample(net.read(sequence_inputs(grid[:1], fermata[:1], 16), rows),
               np.repeat(grid[None], rows, axis=0), free, fermata, 16, 1, 2, 3,
               (_state_mask_table(VOICE_RANGES) == 0).astype(np.float32), choice_of,
               choice_masks, chord, True, True, fermata, 1.0, 0.9, np.full((4, rows), 0.5),
               np.full((rows, 4), START, dtype=np.int64), np.zeros(rows, dtype=np.int64),
               np.zeros((rows, 1, 4)), np.zeros(rows), NEXT_STATE, STATE_PITCH)


def _c(array: np.ndarray, dtype: type) -> np.ndarray:
    """C-contiguous, writable, of `dtype`: the one type sample_steps is compiled for (a
    read-only or strided array would make numba compile it again)."""
    out = np.ascontiguousarray(array, dtype=dtype)
    return out if out.flags.writeable else out.copy()


def _within(name: str, array: np.ndarray, shape: tuple[int, ...], top: int | None,
            low: int = 0) -> None:
    """Refuse an array of another shape, or (where `top` is given) with values outside
    low..top - 1: the compiled kernels index without checking."""
    if array.shape != shape:
        raise ValueError(f"{name}: shape {array.shape}, expected {shape}")
    if top is not None and array.size and (array.min() < low or array.max() >= top):
        raise ValueError(f"{name}: values outside {low}..{top - 1}")


class CompiledNet:
    """A Stepper's arrays as compiled_kernels reads them, and the loop that drives it."""

    def __init__(self, stepper: Stepper, module=None) -> None:  # noqa: ANN001
        self.kernels = module if module is not None else kernels()
        if self.kernels is None:
            raise CompileError(unavailable() or "the compiled sampler is not available")
        f = np.float32
        H, G = stepper.hidden, stepper.gate_width
        blocks = stepper.np_weights[1:]
        biases = stepper.np_biases[1:]
        self.lstm = bool(stepper.lstm)
        self.net = (
            _c(stepper.token_table, f), _c(stepper.state_table, f),
            _c(stepper.context_table, f), _c(stepper.np_weights[0], f),
            _c(np.stack(blocks) if blocks else np.zeros((0, 2 * H, G)), f),
            _c(np.stack(biases) if biases else np.zeros((0, G)), f),
            _c(stepper.np_w_out, f), _c(stepper.np_b_out, f))
        self.vocab = stepper.vocab
        self.stepper = stepper

    def conditioned(self, stepper: Stepper) -> CompiledNet:
        """This net with a conditioned stepper's context table (Stepper.conditioned)."""
        twin = copy.copy(self)
        twin.net = (*self.net[:2], _c(stepper.context_table, np.float32), *self.net[3:])
        twin.stepper = stepper
        return twin

    def state(self, state: StepState) -> tuple[np.ndarray, np.ndarray]:
        h = _c(state.h, np.float32)
        c = _c(state.c, np.float32) if state.c is not None else np.zeros((1, 1, 1), np.float32)
        layers, hidden = len(self.net[4]) + 1, self.net[3].shape[0]
        _within("h", h, (len(h), layers * hidden), None)
        if self.lstm:
            _within("c", c, (layers, len(h), hidden), None)
        return h, c

    def steps(self, state: StepState, inputs: dict[str, np.ndarray],
              logits: bool = True) -> np.ndarray | None:
        """Step a whole input sequence (data.sequence_inputs), every candidate the same
        input; `state` goes on. The logits (n, B, V) when asked."""
        h, c = self.state(state)
        n, i64 = len(inputs["tokens"]), np.int64
        out = np.zeros((n if logits else 1, h.shape[0], self.vocab), np.float32)
        seq = [_c(inputs[k], i64) for k in ("tokens", "states", "voices", "positions",
                                            "fermatas")]
        table = self.net[2].shape  # (voices, positions, fermata, gates)
        for name, array, top in zip(("tokens", "states", "voices", "fermatas"),
                                    (*seq[:3], seq[4]), (len(self.net[0]), len(self.net[1]),
                                                          table[0], table[2])):
            _within(name, array, (n,), top)
        _within("positions", seq[3], (n,), 2**62)
        self.kernels.run_steps(self.net, self.lstm, h, c, *seq, bool(logits), out)
        state.h[:] = h
        if state.c is not None:
            state.c[:] = c
        return out if logits else None

    def read(self, inputs: dict[str, np.ndarray], batch: int) -> StepState:
        """The state after a seed's inputs, repeated for `batch` candidates: the seed read
        once, by the compiled step (faster than the network's forward one token at a time
        on one thread, and the same to float32 rounding)."""
        one = self.stepper.zero_state(1)
        self.steps(one, inputs, logits=False)
        state = self.stepper.zero_state(batch)
        state.h[:] = one.h
        if state.c is not None:
            state.c[:] = one.c
        return state

    def sample(self, state: StepState, out: np.ndarray, free: np.ndarray,
               fermata: np.ndarray, steps_per_bar: int, start: int, end: int, last: int,
               allowed: np.ndarray, choice_of: np.ndarray, choice_masks: np.ndarray,
               chord: np.ndarray, avoid: bool, voicing: bool, cadence_at: np.ndarray,
               inv_t: float, top_p: float,
               uniforms: np.ndarray, vstate: np.ndarray, prev: np.ndarray,
               log_probs: np.ndarray, after_ll: np.ndarray, next_state: np.ndarray,
               state_pitch: np.ndarray, progress: Progress | None = None,
               cancel: Cancel | None = None) -> None:
        """sampling.Sampler.sample_grid's loop over steps start..last, compiled: out,
        vstate, prev, log_probs and after_ll are written in place (they must be C-ordered
        arrays of sample_steps's types). With a progress or cancel callback it returns to
        Python after every step, as the numpy loop calls them; without, once."""
        h, c = self.state(state)
        i64, f32 = np.int64, np.float32
        for name, array, dtype in (("out", out, i64), ("vstate", vstate, i64),
                                   ("prev", prev, i64), ("log_probs", log_probs, np.float64),
                                   ("after_ll", after_ll, np.float64)):
            if array.dtype != dtype or not array.flags.c_contiguous \
                    or not array.flags.writeable:
                raise ValueError(f"{name}: a writable C-ordered {np.dtype(dtype)} array")
        args = (_c(free, np.bool_), _c(fermata, i64), int(steps_per_bar), int(start),
                int(end))
        rest = (_c(allowed, f32), _c(choice_of, i64), _c(choice_masks, f32),
                _c(chord, np.bool_), bool(avoid), bool(voicing), _c(cadence_at, np.bool_),
                float(inv_t), float(top_p),
                _c(uniforms, np.float64), vstate, prev, log_probs, after_ll,
                _c(next_state, i64), _c(state_pitch, i64))
        # the kernel does not check its indices: what numpy would refuse is refused here
        rows, steps = out.shape[0], out.shape[1]
        states, vocab = rest[14].shape
        if not (0 <= start <= end <= last <= steps and steps_per_bar > 0):
            raise ValueError(f"steps {start}-{end}-{last} of {steps}")
        _within("out", out, (rows, steps, 4), vocab)
        _within("free", args[0], (steps, 4), 2)
        _within("fermata", args[1][:last], (last,), self.net[2].shape[2])
        _within("allowed", rest[0], (4, states, vocab), None)
        _within("choices", rest[1], (steps + 1, 4), len(rest[2]), low=-1)
        _within("choice masks", rest[2], (len(rest[2]), vocab), None)
        _within("chord", rest[3], (steps + 1, 4), 2)
        _within("cadence_at", rest[6], (steps,), 2)
        _within("uniforms", rest[9], ((end - start) * 4, rows), None)
        _within("vstate", vstate, (rows, 4), states)
        _within("prev", prev, (rows,), len(self.net[0]))
        _within("log_probs", log_probs, (rows, end - start, 4), None)
        _within("after_ll", after_ll, (rows,), None)
        _within("next_state", rest[14], (states, vocab), states)
        _within("state_pitch", rest[15], (states,), 128, low=-1)
        if h.shape[0] != rows or vocab != self.vocab:
            raise ValueError(f"{rows} candidates and {vocab} tokens, for a state of "
                             f"{h.shape[0]} and a net of {self.vocab}")
        run: Callable = self.kernels.sample_steps
        try:
            if progress is None and cancel is None:
                run(self.net, self.lstm, h, c, out, *args, start, last, *rest)
            else:
                for step in range(start, last):
                    if cancel is not None and cancel():
                        raise Cancelled("generation cancelled")
                    run(self.net, self.lstm, h, c, out, *args, step, step + 1, *rest)
                    if progress is not None:
                        progress(step - start + 1, last - start)
        except Cancelled:
            raise
        except Exception as error:
            from numba.core.errors import NumbaError

            if isinstance(error, NumbaError):
                raise CompileError(f"{type(error).__name__}: {error}") from error
            raise
        state.h[:] = h
        if state.c is not None:
            state.c[:] = c
