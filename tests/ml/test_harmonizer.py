"""The harmonizer: a chorale network with a bidirectional encoder of the kept voices. Its
sampled probabilities are its forward pass given the whole kept line, through the numpy
and the compiled loop alike; it reads ahead, where a causal net cannot; and it is trained
and judged on the voices it writes only."""

import numpy as np
import pytest
import torch

from composer.cli import main
from composer.ml import compiled_sampling
from composer.ml.checkpoint import save_checkpoint
from composer.ml.data import WindowDataset, kept_inputs, sequence_inputs, voice_states
from composer.ml.evaluate import evaluate_model
from composer.ml.generate import harmonizing_sampler
from composer.ml.model import KEPT_STATES, MASKED
from composer.ml.sampling import Sampler, SamplingOptions
from composer.music.files import read_score, write_score
from composer.music.tokens import encode

from .conftest import tiny_model


@pytest.fixture(scope="module")
def tune(small_corpus):
    score = small_corpus.entries[2].score
    return score.slice(0, 6 * score.steps_per_bar)


def forward_log_probs(model, grid, fermata, steps_per_bar, keep):
    inputs = sequence_inputs(grid, fermata, steps_per_bar)
    inputs["kept"] = kept_inputs(voice_states(grid), keep)
    with torch.no_grad():
        logits, _ = model({k: torch.from_numpy(v)[None] for k, v in inputs.items()})
    flat = torch.log_softmax(logits[0].double(), -1).numpy()
    return flat[np.arange(grid.size), grid.reshape(-1)].reshape(grid.shape)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_a_harmonizers_sampled_probabilities_are_its_forward_pass_over_the_whole_tune(
        tune, cell):
    model = tiny_model(cell, 2, hidden=20, seed=4, encoder=10)
    bar = tune.steps_per_bar
    start, end = bar, 4 * bar  # a prefix before, fixed music after
    options = SamplingOptions(candidates=3, seed=5, avoid_parallels=False)
    drawn = Sampler(model, engine="numpy").generate(tune, start, end, voices=(1, 2, 3),
                                                    options=options)
    tokens = encode(tune)
    for grid, written in zip(drawn.grids, drawn.token_log_probs, strict=True):
        expected = forward_log_probs(model, grid, tokens.fermata, bar, keep=(0,))
        np.testing.assert_allclose(written[:, 1:], expected[start:end, 1:], atol=2e-4)
        assert np.isnan(written[:, 0]).all()  # the soprano is kept, not written


@pytest.mark.skipif(compiled_sampling.kernels() is None, reason="no compiled sampler")
@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_a_harmonizer_draws_the_same_through_the_compiled_and_the_numpy_loop(tune, cell):
    model = tiny_model(cell, 2, hidden=20, seed=6, encoder=12)
    bar = tune.steps_per_bar
    options = SamplingOptions(candidates=4, seed=9, top_p=0.9)
    a, b = (Sampler(model, engine=engine).generate(tune, 2 * bar, 5 * bar, voices=(1, 2),
                                                   options=options)
            for engine in ("compiled", "numpy"))
    for x, y in zip(a.grids, b.grids, strict=True):
        np.testing.assert_array_equal(x, y)
    for x, y in zip(a.token_log_probs, b.token_log_probs, strict=True):
        np.testing.assert_allclose(x, y, atol=1e-4, equal_nan=True)


def test_the_harmonizer_hears_where_the_tune_goes_and_a_causal_net_does_not(tune):
    tokens = encode(tune)
    grid = tokens.grid.astype(np.int64)
    later = grid.copy()
    bar = tune.steps_per_bar
    later[4 * bar:, 0] = np.where(later[4 * bar:, 0] > 2, later[4 * bar:, 0] + 2,
                                  later[4 * bar:, 0])  # the tune's last bars a tone higher
    for encoder, moved in ((12, True), (0, False)):
        model = tiny_model("gru", 2, hidden=20, seed=1, encoder=encoder)
        early = [forward_log_probs(model, g, tokens.fermata, bar, (0,))[:2 * bar, 1:]
                 for g in (grid, later)]
        change = np.abs(early[0] - early[1]).max()
        assert change > 1e-8 if moved else change == 0.0  # untrained: a faint echo, but there


def test_a_harmonizers_training_windows_score_only_the_voices_it_writes(chorales):
    data = WindowDataset(chorales[:4], window_steps=32, seed=2, harmonizer=True)
    seen = set()
    for i in range(60):
        item = data[i]
        kept = item["kept"].numpy() - np.arange(4) * KEPT_STATES
        written = kept == MASKED  # (steps, 4): the voices the encoder does not read
        targets = item["targets"].numpy().reshape(-1, 4)
        real = ~written.all(1)  # the window's own steps, not its padding
        keep = tuple(v for v in range(4) if not written[real, v].any())
        assert keep and len(keep) < 4
        assert (targets[real][:, list(keep)] == -100).all()
        assert (targets[real][:, ~np.isin(range(4), keep)] >= 0).all()
        seen.add(keep)
    assert (0,) in seen and len(seen) >= 3


def test_a_causal_net_scored_under_a_given_soprano_counts_only_the_other_voices(chorales):
    model = tiny_model("gru", 2, hidden=20, seed=2)
    whole, under = evaluate_model(model, chorales[:3]), evaluate_model(model, chorales[:3],
                                                                      keep=(0,))
    assert whole["nll_token"] != under["nll_token"]
    harmonizer = tiny_model("gru", 2, hidden=20, seed=2, encoder=8)
    assert np.isfinite(evaluate_model(harmonizer, chorales[:3], keep=(0,))["nll_token"])


@pytest.fixture()
def models(tmp_path, monkeypatch):
    """A models folder with a small LSTM, and a harmonizer once `ship` is called."""
    from composer.ml import checkpoint

    folder = tmp_path / "models"
    monkeypatch.setattr(checkpoint, "MODELS_DIR", folder)
    lstm = tiny_model("lstm", hidden=16)
    save_checkpoint(folder / "lstm.pt", lstm, lstm.config, {"command": "test"})

    def ship(data: bytes | None = None):
        path = folder / "harmonizer.pt"
        if data is not None:
            path.write_bytes(data)
            return path
        net = tiny_model("gru", hidden=16, encoder=8, seed=3)
        save_checkpoint(path, net, net.config, {"command": "test"})
        return path

    return ship


def test_harmonize_takes_the_shipped_harmonizer_in_place_of_a_shipped_net(models):
    models()
    sampler, name, note = harmonizing_sampler("lstm")
    assert sampler.harmonizer and name == "harmonizer" and note is None


def test_without_a_harmonizer_the_chosen_net_harmonizes_and_the_note_says_so(models):
    sampler, name, note = harmonizing_sampler("lstm")
    assert not sampler.harmonizer and name == "lstm"
    assert "no harmonizer" in note and "composer train --encoder" in note


def test_a_broken_harmonizer_is_named_and_the_chosen_net_harmonizes(models):
    path = models(b"not a checkpoint")
    sampler, name, note = harmonizing_sampler("lstm")
    assert not sampler.harmonizer and name == "lstm"
    assert str(path) in note and note.endswith("harmonizing with lstm")


def test_a_checkpoint_a_person_opened_harmonizes_as_it_is(models, tmp_path):
    models()
    own = tiny_model("gru", hidden=12)
    save_checkpoint(tmp_path / "mine.pt", own, own.config, {"command": "test"})
    sampler, name, note = harmonizing_sampler(str(tmp_path / "mine.pt"))
    assert not sampler.harmonizer and name.endswith("mine.pt") and note is None


def test_the_command_line_harmonizes_with_the_harmonizer_and_keeps_the_tune(
        models, tmp_path, small_corpus, capsys):
    models()
    seed = tmp_path / "seed.mid"
    write_score(seed, small_corpus.entries[1].score)
    out = tmp_path / "out.mid"
    assert main(["generate", "--from-file", str(seed), "--harmonize", "--model", "lstm",
                 "-o", str(out)]) == 0
    assert "with harmonizer in" in capsys.readouterr().out
    assert read_score(out).score.voices[0] == read_score(seed).score.voices[0]
    assert main(["generate", "--from-file", str(seed), "--model", "harmonizer",
                 "-o", str(out)]) == 2
    assert "is a harmonizer" in capsys.readouterr().err


def test_a_harmonizer_started_from_a_causal_net_begins_as_that_net(chorales, tmp_path):
    from composer.ml.train import start_from

    causal = tiny_model("gru", 2, hidden=20, seed=7)
    save_checkpoint(tmp_path / "causal.pt", causal, causal.config, {"command": "test"})
    harmonizer = tiny_model("gru", 2, hidden=20, seed=8, encoder=10)
    assert "tensors" in start_from(harmonizer, str(tmp_path / "causal.pt"))
    assert evaluate_model(harmonizer, chorales[:3], keep=(0,)) == \
        evaluate_model(causal, chorales[:3], keep=(0,))


def test_starting_from_a_net_of_another_shape_is_refused_with_the_fix(tmp_path):
    from composer.ml.errors import ModelError
    from composer.ml.train import start_from

    other = tiny_model("lstm", 1, hidden=9, seed=1)
    save_checkpoint(tmp_path / "other.pt", other, other.config, {"command": "test"})
    with pytest.raises(ModelError, match="do not fit this network"):
        start_from(tiny_model("gru", 2, hidden=20, encoder=10), str(tmp_path / "other.pt"))
