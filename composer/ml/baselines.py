"""Music to measure the shipped networks against, written through the same sampler: the
course notebook's reference network, and a random writer that knows only how often Bach
gives each voice each token.

Sampler takes only the LSTM and GRU networks, whose state its stepper carries. These two
supply a stepper of their own, so composer.ml.operations continues and harmonizes with
them exactly as with ours: the same validity mask, parallels rule, fermatas and final
cadence. What differs is the network alone.

- The reference network (Embedding -> four causal dilated convolutions -> LSTM -> Dense)
  reads each token through convolutions that see the 16 tokens up to it, so its stepper
  keeps what each convolution has still to read and the LSTM's state, and gives the same
  logits as the network's forward over the whole sequence (tests pin that down).
- The random writer gives voice v token t with the probability Bach's training chorales
  give it: a unigram per voice, the same at every step.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import torch
from torch import nn

from composer.ml.data import Chorale, sequence_inputs
from composer.ml.errors import ModelError
from composer.ml.model import ReferenceNet
from composer.ml.sampling import Sampler
from composer.music.tokens import VOCAB_SIZE


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float64)


class _ReferenceState:
    def __init__(self, inputs: list[np.ndarray], h: np.ndarray, c: np.ndarray) -> None:
        self.inputs = inputs  # per convolution: (B, dilation, channels), its last inputs
        self.h, self.c = h, c  # (B, 256)


class ReferenceStepper:
    """The reference network one input token at a time, in numpy: each causal convolution
    keeps the inputs it still has to read (its dilation's worth), the LSTM its state."""

    def __init__(self, model: ReferenceNet) -> None:
        model = model.eval()
        self.embed = _np(model.token_embed.weight)
        self.layers = []
        for layer in model.convs:
            bn = layer.norm
            scale = _np(bn.weight) / np.sqrt(_np(bn.running_var) + bn.eps)
            shift = _np(bn.bias) - _np(bn.running_mean) * scale
            w = _np(layer.conv.weight)  # (out, in, 2): taps at t - dilation and t
            self.layers.append((layer.pad, w[:, :, 0].T.copy(), w[:, :, 1].T.copy(),
                                _np(layer.conv.bias), scale, shift))
        rnn = model.rnn
        self.w_ih, self.w_hh = _np(rnn.weight_ih_l0).T.copy(), _np(rnn.weight_hh_l0).T.copy()
        self.bias = _np(rnn.bias_ih_l0) + _np(rnn.bias_hh_l0)
        self.hidden = rnn.hidden_size
        self.w_out, self.b_out = _np(model.out.weight).T.copy(), _np(model.out.bias)
        self.model = model

    def zero_state(self, batch: int) -> _ReferenceState:
        inputs = [np.zeros((batch, d, w0.shape[0])) for d, w0, *_ in self.layers]
        return _ReferenceState(inputs, np.zeros((batch, self.hidden)),
                               np.zeros((batch, self.hidden)))

    def prefix_state(self, tokens: np.ndarray, batch: int) -> _ReferenceState:
        """The state after reading the input tokens of a prefix (data.sequence_inputs)."""
        state = self.zero_state(1)
        if tokens.size == 0:
            return self.zero_state(batch)
        model = self.model
        with torch.no_grad():
            x = model.token_embed(torch.from_numpy(tokens)[None]).transpose(1, 2)
            for k, layer in enumerate(model.convs):
                d = layer.pad
                seen = x[0, :, -d:].T.numpy().astype(np.float64)  # (<= d, channels)
                state.inputs[k][0, d - len(seen):] = seen
                x = layer(x)
            _, (h, c) = model.rnn(x.transpose(1, 2))
        return _ReferenceState([np.repeat(a, batch, 0) for a in state.inputs],
                               np.repeat(_np(h[0]), batch, 0), np.repeat(_np(c[0]), batch, 0))

    def step(self, state: _ReferenceState, prev: np.ndarray, states: np.ndarray, voice: int,
             position: int, fermata: int, logits: bool = True) -> np.ndarray | None:
        """Advance `state` in place by one input token; the logits (B, vocabulary)."""
        x = self.embed[np.asarray(prev)]
        for k, (_, early, late, bias, scale, shift) in enumerate(self.layers):
            seen = state.inputs[k]
            y = np.maximum(seen[:, 0] @ early + x @ late + bias, 0.0) * scale + shift
            seen[:, :-1] = seen[:, 1:]
            seen[:, -1] = x
            x = y
        H = self.hidden
        g = x @ self.w_ih + state.h @ self.w_hh + self.bias  # torch's order: i, f, g, o
        i, f = _sigmoid(g[:, :H]), _sigmoid(g[:, H:2 * H])
        o = _sigmoid(g[:, 3 * H:])
        state.c = f * state.c + i * np.tanh(g[:, 2 * H:3 * H])
        state.h = o * np.tanh(state.c)
        if not logits:
            return None
        return (state.h @ self.w_out + self.b_out).astype(np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * np.tanh(0.5 * x) + 0.5


class ReferenceSampler(Sampler):
    """A Sampler over the reference network, for benchmarks: the numpy loop, through this
    module's stepper."""

    compiled = None  # Sampler's compiled loop steps only the LSTM and GRU

    def __init__(self, model: nn.Module) -> None:  # Sampler's own refuses this network
        if not isinstance(model, ReferenceNet):
            raise ModelError("ReferenceSampler takes the reference network")
        self.model = model.eval()
        self.stepper = ReferenceStepper(model)
        _numpy_loop_only(self)

    def _prefix_state(self, grid: np.ndarray, fermata: np.ndarray, steps_per_bar: int,
                      batch: int, *_):
        if grid.shape[0] == 0:
            return self.stepper.zero_state(batch)
        tokens = sequence_inputs(grid, fermata, steps_per_bar)["tokens"]
        return self.stepper.prefix_state(tokens, batch)


def _numpy_loop_only(sampler: Sampler) -> None:
    """What Sampler.__init__ sets beside the model and stepper, for its numpy loop: these
    networks have no compiled loop."""
    sampler._lock = threading.Lock()
    sampler._compiled = None
    sampler._engine = "numpy"


def load_reference_sampler(path: str | Path) -> ReferenceSampler:
    from composer.ml.checkpoint import load_checkpoint

    return ReferenceSampler(load_checkpoint(path).model)


class UnigramNet(nn.Module):
    """Logits that are Bach's log-frequencies of each token in each voice, whatever came
    before: a forward for operations.token_log_probs."""

    def __init__(self, log_p: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("log_p", torch.from_numpy(log_p.astype(np.float32)))

    def forward(self, batch: dict[str, torch.Tensor], state=None):
        return self.log_p[batch["voices"]], state


class _UnigramStepper:
    def __init__(self, log_p: np.ndarray) -> None:
        self.log_p = log_p.astype(np.float32)

    def zero_state(self, batch: int) -> None:
        return None

    def step(self, state, prev: np.ndarray, states: np.ndarray, voice: int, position: int,
             fermata: int, logits: bool = True) -> np.ndarray | None:
        return np.repeat(self.log_p[voice][None], len(prev), axis=0) if logits else None


class UnigramSampler(Sampler):
    """Random music with Bach's token frequencies per voice."""

    compiled = None

    def __init__(self, log_p: np.ndarray) -> None:
        self.model = UnigramNet(log_p).eval()
        self.stepper = _UnigramStepper(log_p)
        _numpy_loop_only(self)

    def _prefix_state(self, grid, fermata, steps_per_bar, batch, *_):
        return None


def unigram_log_probs(chorales: list[Chorale], smoothing: float = 0.5) -> np.ndarray:
    """(4, VOCAB_SIZE) log-frequencies of each token in each voice, add-`smoothing`."""
    counts = np.full((4, VOCAB_SIZE), smoothing)
    for c in chorales:
        for v in range(4):
            counts[v] += np.bincount(c.grid[:, v], minlength=VOCAB_SIZE)
    return np.log(counts / counts.sum(axis=1, keepdims=True))


def unigram_sampler(chorales: list[Chorale] | None = None) -> UnigramSampler:
    """The random writer, from the corpus's training split unless told otherwise."""
    if chorales is None:
        from composer.ml.data import corpus_chorales

        chorales = corpus_chorales("train")
    return UnigramSampler(unigram_log_probs(chorales))
