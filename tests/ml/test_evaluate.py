import math

import numpy as np
import torch

from composer.ml.data import Chorale
from composer.ml.evaluate import MetricSum, evaluate_model, repeat_baseline
from composer.music.tokens import HOLD, NOTE_OFFSET, REST, VOCAB_SIZE

from .conftest import tiny_model


def test_a_held_pitch_counts_as_that_pitch_per_note():
    """P(pitch p) = P(NOTE p) + P(HOLD) when p sounds already."""
    probs = torch.full((1, VOCAB_SIZE), 1e-9)
    probs[0, HOLD] = 0.6
    probs[0, NOTE_OFFSET + 64] = 0.3
    probs[0, NOTE_OFFSET + 60] = 0.1
    logp = torch.log(probs / probs.sum())
    m = MetricSum()
    # the voice sounded 60 and goes on holding it (target HOLD, true pitch 60)
    m.add(logp, torch.tensor([HOLD]), true=torch.tensor([NOTE_OFFSET + 60]),
          prev=torch.tensor([NOTE_OFFSET + 60]))
    r = m.result()
    assert math.isclose(r["nll_note"], -math.log(0.7), rel_tol=1e-3)
    assert r["acc_note"] == 1.0 and r["acc_token"] == 1.0
    assert math.isclose(r["nll_token"], -math.log(0.6), rel_tol=1e-3)


def test_a_new_note_is_missed_when_hold_outweighs_it():
    probs = torch.full((1, VOCAB_SIZE), 1e-9)
    probs[0, HOLD] = 0.5
    probs[0, NOTE_OFFSET + 62] = 0.4
    logp = torch.log(probs / probs.sum())
    m = MetricSum()
    m.add(logp, torch.tensor([NOTE_OFFSET + 62]), true=torch.tensor([NOTE_OFFSET + 62]),
          prev=torch.tensor([NOTE_OFFSET + 60]))
    r = m.result()
    assert r["acc_note"] == 0.0 and r["acc_nonhold"] == 0.0
    assert math.isclose(r["nll_note"], -math.log(0.4 / 0.9), rel_tol=1e-3)


def test_repeating_the_previous_step_is_right_exactly_when_nothing_changes():
    grid = np.array([[NOTE_OFFSET + 60, REST, REST, REST],
                     [HOLD, REST, REST, REST],
                     [NOTE_OFFSET + 62, REST, REST, REST]])
    c = Chorale("x", grid, np.zeros(3, bool), 16)
    r = repeat_baseline([c], [c])
    # before the first step every voice counts as silent: the soprano's two new notes are
    # missed, the held note and the nine silences are right
    assert math.isclose(r["acc_note"], 10 / 12, abs_tol=1e-4)


def test_a_model_is_scored_on_every_real_token(chorales):
    model = tiny_model("gru")
    r = evaluate_model(model, chorales[:2])
    assert 0 < r["nll_token"] < 10 and 0 <= r["acc_token"] <= 1
    assert set(r) == {"nll_token", "acc_token", "acc_nonhold", "nll_note", "acc_note"}
