"""The baselines the music report measures the networks against: the reference network
stepped one token at a time gives its forward's logits, and both write through the same
operations as the shipped networks."""

import numpy as np
import pytest
import torch

from composer.ml import operations
from composer.ml.baselines import (
    ReferenceSampler,
    ReferenceStepper,
    UnigramSampler,
    unigram_log_probs,
)
from composer.ml.data import sequence_inputs
from composer.ml.errors import ModelError
from composer.ml.model import ModelConfig, build_model
from composer.ml.sampling import SamplingOptions
from composer.music.tokens import VOCAB_SIZE, encode


@pytest.fixture(scope="module")
def reference():
    torch.manual_seed(0)
    model = build_model(ModelConfig(cell="reference"))
    for conv in model.convs:  # batch norm with statistics of its own, as after training
        conv.norm.running_mean.uniform_(-0.5, 0.5)
        conv.norm.running_var.uniform_(0.5, 2.0)
    return model.eval()


@pytest.mark.parametrize("prefix", [0, 3, 15, 40])
def test_the_reference_stepper_gives_the_networks_own_logits(reference, small_corpus, prefix):
    score = small_corpus.entries[0].score
    tokens = encode(score)
    inputs = sequence_inputs(tokens.grid[:20].astype(np.int64), tokens.fermata[:20],
                             score.steps_per_bar)["tokens"]
    with torch.no_grad():
        full, _ = reference({"tokens": torch.from_numpy(inputs)[None]})
    stepper = ReferenceStepper(reference)
    state = stepper.prefix_state(inputs[:prefix], batch=2)
    stepped = [stepper.step(state, np.repeat(inputs[i:i + 1], 2), None, 0, 0, 0)
               for i in range(prefix, len(inputs))]
    assert np.abs(np.array(stepped)[:, 1] - full[0, prefix:].numpy()).max() < 1e-4


def test_the_reference_network_continues_and_harmonizes_through_the_operations(
        reference, small_corpus):
    sampler = ReferenceSampler(reference)
    score = small_corpus.entries[0].score
    seed = score.slice(0, 2 * score.steps_per_bar)
    made = operations.continue_score(sampler, seed, 2, SamplingOptions(seed=1)).best.score
    assert made.length == seed.length + 2 * seed.steps_per_bar
    assert made.slice(0, seed.length).voices == seed.voices
    tune = score.with_meta(voices=(score.voices[0], (), (), ()))
    harmonized = operations.harmonize(sampler, tune, (0,), 0, tune.length,
                                      SamplingOptions(seed=1)).best.score
    assert harmonized.voices[0] == score.voices[0]
    assert all(harmonized.voices[v] for v in (1, 2, 3))
    with pytest.raises(ModelError):
        ReferenceSampler(build_model(ModelConfig(cell="lstm")))


def test_the_random_writer_draws_bachs_tokens_per_voice(chorales, small_corpus):
    log_p = unigram_log_probs(chorales)
    assert log_p.shape == (4, VOCAB_SIZE)
    assert np.allclose(np.exp(log_p).sum(axis=1), 1)
    sampler = UnigramSampler(log_p)
    seed = small_corpus.entries[0].score.slice(0, 16)
    made = operations.continue_score(sampler, seed, 4, SamplingOptions(seed=0)).best.score
    assert made.note_count() > seed.note_count()
    again = operations.continue_score(sampler, seed, 4, SamplingOptions(seed=0)).best.score
    assert again == made
    scored = operations.token_log_probs(sampler, made)
    assert scored.shape == (made.length, 4) and np.isfinite(scored).all()
