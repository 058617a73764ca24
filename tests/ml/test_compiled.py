"""The compiled sampling loop (composer.ml.compiled_sampling, numba) pinned to the numpy
stepper and loop: the same logits to float32 rounding, the same tokens for a seed, the
same per-token log-probabilities; and the numpy loop where numba is missing."""

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from composer.ml import compiled_sampling, operations
from composer.ml.checkpoint import load_checkpoint
from composer.ml.data import sequence_inputs
from composer.ml.errors import ModelError
from composer.ml.rules import cadence_tokens, parallel_tokens, voicing_tokens
from composer.ml.sampling import Sampler, SamplingOptions
from composer.ml.stepper import Stepper
from composer.music.tokens import HOLD, NOTE_OFFSET, REST, VOCAB_SIZE
from composer.work import Cancelled

from .conftest import tiny_model

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("numba")
if compiled_sampling.kernels() is None:
    pytest.skip(f"no compiled sampler: {compiled_sampling.unavailable()}",
                allow_module_level=True)
K = compiled_sampling.kernels()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("layers, hidden, batch", [(1, 24, 1), (2, 24, 5), (3, 10, 4),
                                                   (2, 13, 3)])
def test_the_compiled_step_gives_the_forward_pass_and_the_numpy_steppers_logits(
        chorales, cell, layers, hidden, batch):
    model = tiny_model(cell, layers, hidden=hidden)
    c = chorales[1]
    inputs = sequence_inputs(c.grid[:30], c.fermata[:30], c.steps_per_bar)
    with torch.no_grad():
        expected, _ = model({k: torch.from_numpy(v)[None] for k, v in inputs.items()})
    stepper = Stepper(model)
    net = compiled_sampling.CompiledNet(stepper)
    state = stepper.zero_state(batch)
    got = net.steps(state, inputs)
    for b in range(batch):  # every row of a batch (four at a time, then one) alike
        np.testing.assert_allclose(got[:, b], expected[0].numpy(), atol=2e-5)
    numpy_state = stepper.zero_state(batch)
    stepped = np.stack([
        stepper.step(numpy_state, np.repeat(inputs["tokens"][i], batch),
                     np.repeat(inputs["states"][i], batch), int(inputs["voices"][i]),
                     int(inputs["positions"][i]), int(inputs["fermatas"][i])).copy()
        for i in range(len(inputs["tokens"]))])
    np.testing.assert_allclose(got, stepped, atol=2e-5)
    np.testing.assert_allclose(state.h, numpy_state.h, atol=2e-5)


def test_the_steps_tanh_is_within_float32_rounding_of_numpys():
    x = np.linspace(-20, 20, 400_001, dtype=np.float32)
    out = np.empty_like(x)
    K.tanh_array(x, out)
    exact = np.tanh(x.astype(np.float64))
    assert np.abs(out - exact).max() < 3e-7
    assert (np.abs(out - exact) / np.maximum(np.abs(exact), 1e-30)).max() < 3e-7


def test_the_compiled_parallels_rule_bans_what_rules_parallel_tokens_bans():
    rng = np.random.default_rng(0)
    for _ in range(4000):
        before = rng.integers(-1, 128, 4)
        now = np.where(rng.random(4) < 0.5, before + rng.integers(-9, 10, 4),
                       rng.integers(-1, 128, 4)).clip(-1, 127)
        before[rng.random(4) < 0.1] = -1
        voice = int(rng.integers(4))
        others = (rng.random(4) < 0.6) & (np.arange(4) != voice)
        expected = np.zeros(VOCAB_SIZE, dtype=bool)
        expected[parallel_tokens(before.tolist(), now.tolist(), voice,
                                 tuple(np.flatnonzero(others).tolist()))] = True
        got = K.parallels_mask(before, now, voice, others, VOCAB_SIZE)
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("cadence", [False, True])
def test_the_compiled_voicing_and_cadence_rules_ban_what_rules_bans(cadence):
    rule = cadence_tokens if cadence else voicing_tokens
    rng = np.random.default_rng(1)
    for _ in range(4000):
        before = rng.integers(30, 90, 4)
        now = np.where(rng.random(4) < 0.5, before + rng.integers(-9, 10, 4),
                       rng.integers(30, 90, 4))
        before[rng.random(4) < 0.1] = -1
        now[rng.random(4) < 0.1] = -1
        voice = int(rng.integers(4))
        others = (rng.random(4) < 0.6) & (np.arange(4) != voice)
        expected = np.zeros(VOCAB_SIZE, dtype=bool)
        expected[rule(before.tolist(), now.tolist(), voice,
                      tuple(np.flatnonzero(others).tolist()))] = True
        got = K.voicing_mask(before, now, voice, others, VOCAB_SIZE, cadence)
        np.testing.assert_array_equal(got, expected)


def _rule_buffers():
    return (np.zeros(VOCAB_SIZE, dtype=np.bool_), np.zeros(VOCAB_SIZE, dtype=np.float32))


def test_the_compiled_rule_gives_way_where_it_would_leave_a_restricted_cell_no_token():
    before = np.array([60, -1, -1, 48])  # soprano C5 over bass C3, as in test_sampling
    now = np.array([62, -1, -1, -1])
    others = np.array([True, False, False, False])
    only_d = np.zeros(VOCAB_SIZE, dtype=np.float32)
    only_d[NOTE_OFFSET + 50] = 1.0  # the bass may only take D3: parallel octaves
    free = np.ones_like(only_d)
    K._ban_parallels(free, before, now, 3, others, False, *_rule_buffers())
    assert free[NOTE_OFFSET + 50] == 0 and free[REST] == 1
    K._ban_parallels(only_d, before, now, 3, others, True, *_rule_buffers())
    assert only_d[NOTE_OFFSET + 50] == 1


def test_a_compiled_cadence_voice_avoids_a_note_that_would_leave_the_bass_only_parallels():
    before = np.array([62, -1, -1, 50])
    known = before.copy()
    others = np.tril(np.ones((4, 4), dtype=np.bool_), -1)  # each voice against those above
    choice_of = np.full((2, 4), -1, dtype=np.int64)
    choice_of[0, 3] = 0
    masks = np.zeros((1, VOCAB_SIZE), dtype=np.float32)
    masks[0, NOTE_OFFSET + 55] = 1.0  # the bass must rise to G3
    e = np.zeros(VOCAB_SIZE, dtype=np.float32)
    e[[NOTE_OFFSET + 67, NOTE_OFFSET + 59]] = 1.0
    now = np.zeros(4, dtype=np.int64)
    K._ban_dead_ends(e, before, known, 0, 0, choice_of, masks, others, *_rule_buffers(), now)
    assert e[NOTE_OFFSET + 67] == 0 and e[NOTE_OFFSET + 59] == 1
    only_up = np.zeros_like(e)
    only_up[NOTE_OFFSET + 67] = 1.0
    K._ban_dead_ends(only_up, before, known, 0, 0, choice_of, masks, others,
                     *_rule_buffers(), now)
    assert only_up[NOTE_OFFSET + 67] == 1


def test_before_a_compiled_cadence_a_voice_avoids_a_note_the_kept_tune_would_trap():
    known = np.array([68, -1, -1, -1])  # the kept soprano G#4, then F#4
    next_tokens = np.array([NOTE_OFFSET + 66, REST, REST, REST])
    locked = np.array([True, False, False, False])
    targets = np.zeros(VOCAB_SIZE, dtype=np.float32)
    targets[[NOTE_OFFSET + 42, NOTE_OFFSET + 54]] = 1.0
    e = np.zeros(VOCAB_SIZE, dtype=np.float32)
    trapped, free_note = NOTE_OFFSET + 56, NOTE_OFFSET + 52
    e[[trapped, free_note]] = 1.0
    four = [np.zeros(4, dtype=np.int64) for _ in range(2)]
    K._ban_traps(e, known, 3, -1, next_tokens, locked, targets, *_rule_buffers(), *four)
    assert e[trapped] == 0 and e[free_note] == 1


def test_the_compiled_draw_is_the_numpy_loops_draw():
    rng = np.random.default_rng(1)
    order = np.zeros(VOCAB_SIZE, dtype=np.int64)
    sums = np.zeros(VOCAB_SIZE, dtype=np.float32)
    for trial in range(3000):
        e = rng.random(VOCAB_SIZE).astype(np.float32) ** 8
        e[rng.random(VOCAB_SIZE) < 0.7] = 0.0
        if trial % 5 == 0:  # ties, which the stable order breaks by token
            e[e > 0] = np.round(e[e > 0], 1)
        u, top_p = np.float64(rng.random()), [1.0, 0.9, 0.5, 1e-6][trial % 4]
        if top_p < 1.0:
            order_np = np.argsort(-e, kind="stable")
            w = e[order_np]
            cs = w.cumsum()
            w[(cs - w) > top_p * cs[-1:]] = 0.0
            cs = w.cumsum()
            expected = order_np[(cs < u * cs[-1:]).sum()]
        else:
            cs = e.cumsum()
            expected = (cs < u * cs[-1:]).sum()
        assert K._draw(e, u, top_p, order, sums) == expected


def both(model):
    return Sampler(model, engine="compiled"), Sampler(model, engine="numpy")


def assert_same(a, b, atol=1e-4):
    """Two Generations: the same tokens, log-probabilities and ranking to float32 rounding."""
    assert a.ranked_by == b.ranked_by
    for x, y in zip(a.grids, b.grids, strict=True):
        np.testing.assert_array_equal(x, y)
    for x, y in zip(a.token_log_probs, b.token_log_probs, strict=True):
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y))
        np.testing.assert_allclose(x, y, atol=atol, equal_nan=True)
    np.testing.assert_allclose(a.log_likelihoods, b.log_likelihoods, atol=1e-2)


@pytest.fixture(scope="module")
def seed(small_corpus):
    score = small_corpus.entries[1].score
    return score.slice(0, 4 * score.steps_per_bar)


CASES = [
    dict(seed=1),
    dict(seed=2, candidates=5, temperature=0.7),
    dict(seed=3, candidates=3, top_p=0.8, strict_voicing=False),
    dict(seed=4, candidates=4, avoid_parallels=False, top_p=0.95, temperature=1.3,
         cadence_triads=False),
]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_a_seed_gives_the_same_continuation_through_both_loops(seed, cell, case):
    compiled, numpy_ = both(tiny_model(cell, 2, hidden=32, seed=3))
    options = SamplingOptions(**case)
    assert_same(compiled.continuation(seed, 48, options=options),
                numpy_.continuation(seed, 48, options=options))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("avoid", [True, False])
def test_forced_voices_kept_notes_and_a_ranked_middle_alike_through_both_loops(seed, cell,
                                                                              avoid):
    compiled, numpy_ = both(tiny_model(cell, 2, hidden=32, seed=5))
    bar = seed.steps_per_bar
    keep = [(2, n) for n in seed.voices[2][:3]]
    for run in (
        lambda s, o: s.generate(seed, 0, seed.length, voices=(1, 2), options=o),  # harmonize
        lambda s, o: s.generate(seed, 0, seed.length, voices=(2,), keep=keep, options=o),
        lambda s, o: s.generate(seed, bar, 2 * bar, options=replace(o, candidates=4)),
        lambda s, o: s.generate(seed.slice(0, 0), 0, bar, options=o),  # no seed at all
    ):
        options = SamplingOptions(candidates=3, seed=8, avoid_parallels=avoid,
                                  strict_voicing=not avoid, top_p=0.9)
        assert_same(run(compiled, options), run(numpy_, options))


def test_a_cells_choices_and_a_cadence_alike_through_both_loops(seed):
    compiled, numpy_ = both(tiny_model("lstm", 2, hidden=32, seed=3))
    start = seed.length
    bass = [NOTE_OFFSET + p for p in (36, 48, 60)]
    choices = {(start, 3): bass, **{(start + s, 3): [HOLD] for s in range(1, 4)},
               (start, 0): [NOTE_OFFSET + p for p in (67, 72, 76)]}
    for avoid in (True, False):
        options = SamplingOptions(candidates=8, seed=2, avoid_parallels=avoid)
        a, b = (s.generate(seed, start, start + 4, choices=choices, options=options)
                for s in (compiled, numpy_))
        assert_same(a, b)
        for grid in a.grids:
            assert grid[start, 3] in bass


@pytest.fixture(scope="module")
def shipped():
    return {cell: both(load_checkpoint(cell).model) for cell in ("lstm", "gru")}


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_shipped_nets_operations_alike_through_both_loops(small_corpus, shipped, cell):
    chorale = small_corpus.get("bwv10.7").score
    bar = chorale.steps_per_bar
    seed = chorale.slice(0, 8 * bar)
    options = SamplingOptions(candidates=3, seed=1)
    compiled, numpy_ = shipped[cell]
    for op in (
        lambda s: operations.continue_score(s, seed, 4, options),  # ends on a cadence
        lambda s: operations.harmonize(s, chorale, (0,), 2 * bar, 10 * bar,
                                       replace(options, top_p=0.9)),
        lambda s: operations.regenerate(s, chorale, 4 * bar, 6 * bar, (1, 2), options),
    ):
        a, b = op(compiled), op(numpy_)
        assert [c.score for c in a.items] == [c.score for c in b.items]
        for x, y in zip(a.items, b.items, strict=True):
            np.testing.assert_allclose(x.token_log_probs, y.token_log_probs, atol=1e-4)


def test_progress_and_cancel_are_called_after_and_before_every_compiled_step(seed):
    compiled = Sampler(tiny_model("gru", 2, hidden=16), engine="compiled")
    seen = []
    compiled.continuation(seed, 16, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 16) for i in range(1, 17)]
    calls = []
    with pytest.raises(Cancelled):
        compiled.continuation(seed, 16, cancel=lambda: calls.append(1) or len(calls) > 5)
    assert len(calls) == 6


def test_one_compiled_version_of_each_kernel_serves_every_call():
    for name in ("sample_steps", "run_steps"):
        assert len(getattr(K, name).signatures) == 1, getattr(K, name).signatures


def test_an_auto_sampler_runs_the_compiled_loop_once_it_is_ready():
    sampler = Sampler(tiny_model())
    assert sampler.engine == "compiled"  # loaded above
    assert Sampler(tiny_model(), engine="numpy").engine == "numpy"
    with pytest.raises(ModelError, match="engine"):
        Sampler(tiny_model(), engine="fast")


FALLBACK = """
import sys, warnings
{block}
from composer.ml.sampling import Sampler, SamplingOptions
from composer.ml.errors import ModelError
from composer.ml import compiled_sampling
from tests.ml.conftest import tiny_model
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    sampler = Sampler(tiny_model())
    assert compiled_sampling.kernels() is None
print(sampler.engine)
print([str(w.message) for w in caught])
import numpy as np
drawn = sampler.sample_grid(np.zeros((16, 4), dtype=np.int64), np.zeros(16, dtype=bool), 16,
                            0, 16, np.ones((16, 4), dtype=bool), SamplingOptions(seed=1))
print(int(np.isfinite(drawn.log_probs).sum()))
try:
    Sampler(tiny_model(), engine="compiled")
except ModelError as error:
    print("refused:", error)
"""


@pytest.mark.parametrize("block, reason", [
    ("sys.modules['numba'] = None", "numba cannot be imported"),
    ("import os; os.environ['COMPOSER_SAMPLER'] = 'numpy'", "COMPOSER_SAMPLER=numpy"),
])
def test_without_numba_the_sampler_falls_back_to_numpy_with_one_note(block, reason):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", FALLBACK.format(block=block)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    engine, notes, drawn, refused = done.stdout.strip().splitlines()[-4:]
    assert engine == "numpy" and drawn == "64"
    assert reason in notes and notes.count("sampling with numpy") == 1
    assert refused.startswith("refused: the compiled sampler is not available") \
        and reason in refused


def test_the_compiled_loop_refuses_what_it_would_index_out_of_bounds(seed):
    compiled = Sampler(tiny_model("lstm", 2, hidden=16), engine="compiled")
    grid = np.zeros((8, 4), dtype=np.int64)
    free = np.ones((8, 4), dtype=bool)
    with pytest.raises(ValueError, match="free"):
        compiled.sample_grid(grid, np.zeros(8, dtype=bool), 16, 0, 8, free[:7])
    grid[3, 1] = VOCAB_SIZE  # no such token
    with pytest.raises(ValueError, match="out"):
        compiled.sample_grid(grid, np.zeros(8, dtype=bool), 16, 0, 8, free)
    with pytest.raises(ValueError, match="fermata"):
        compiled.sample_grid(grid * 0, np.zeros(5, dtype=bool), 16, 0, 8, free)
