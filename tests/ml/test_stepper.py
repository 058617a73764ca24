import numpy as np
import pytest
import torch

from composer.ml.data import sequence_inputs
from composer.ml.stepper import Stepper

from .conftest import tiny_model


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_stepper_gives_the_forward_pass_probabilities(chorales, cell, layers):
    model = tiny_model(cell, layers)
    c = chorales[1]
    inputs = sequence_inputs(c.grid[:40], c.fermata[:40], c.steps_per_bar)
    with torch.no_grad():
        expected, _ = model({k: torch.from_numpy(v)[None] for k, v in inputs.items()})
    stepper = Stepper(model)
    state = stepper.zero_state(1)
    got = np.concatenate([
        stepper.step(state, inputs["tokens"][i:i + 1], inputs["states"][i:i + 1],
                     int(inputs["voices"][i]), int(inputs["positions"][i]),
                     int(inputs["fermatas"][i])).copy()
        for i in range(len(inputs["tokens"]))])
    np.testing.assert_allclose(got, expected[0].numpy(), atol=2e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_stepper_carries_on_from_the_state_of_a_forward_pass(chorales, cell):
    model = tiny_model(cell)
    c = chorales[2]
    inputs = sequence_inputs(c.grid[:30], c.fermata[:30], c.steps_per_bar)
    t = {k: torch.from_numpy(v)[None] for k, v in inputs.items()}
    with torch.no_grad():
        expected, _ = model(t)
        _, state = model({k: v[:, :100] for k, v in t.items()})
    stepper = Stepper(model)
    batch = stepper.state_from_torch(state, 3)
    for i in range(100, 120):
        logits = stepper.step(batch, np.repeat(inputs["tokens"][i], 3),
                              np.repeat(inputs["states"][i], 3), int(inputs["voices"][i]),
                              int(inputs["positions"][i]), int(inputs["fermatas"][i]))
        for row in logits:  # every candidate in the batch sees the same thing
            np.testing.assert_allclose(row, expected[0, i].numpy(), atol=2e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_net_too_large_for_one_thread_openblas_steps_one_sequence_with_torch(chorales, cell):
    model = tiny_model(cell, 2, hidden=300)  # its 600 x 1200 block would thread in OpenBLAS
    stepper = Stepper(model)
    assert not stepper.numpy_single
    c = chorales[1]
    inputs = sequence_inputs(c.grid[:20], c.fermata[:20], c.steps_per_bar)
    with torch.no_grad():
        expected, _ = model({k: torch.from_numpy(v)[None] for k, v in inputs.items()})
    state = stepper.zero_state(1)
    got = np.concatenate([
        stepper.step(state, inputs["tokens"][i:i + 1], inputs["states"][i:i + 1],
                     int(inputs["voices"][i]), int(inputs["positions"][i]),
                     int(inputs["fermatas"][i])).copy()
        for i in range(len(inputs["tokens"]))])
    np.testing.assert_allclose(got, expected[0].numpy(), atol=5e-5)
