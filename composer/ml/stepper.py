"""The trained network, one token at a time, with no framework overhead to speak of.

Stepping nn.LSTM per token costs about 1.2 ms on this CPU, mostly per-call overhead; the
arithmetic of the cell is far less. So the stepper copies the trained weights once and
does only that arithmetic, in preallocated buffers:

- the first layer's input projection of every input (token, voice state, voice, bar
  position, fermata) is precomputed as tables; the embeddings are summed, so the
  projection of the sum is the sum of table rows: two lookups and a row per step;
- each layer is one matrix product over the hidden states of the layer below and its own,
  kept side by side in one array so no concatenation is needed: numpy's for a single
  sequence (a third cheaper per call), torch.addmm into the numpy buffer for a batch of
  candidates (2-4x faster than numpy's BLAS at batch 8). numpy's OpenBLAS spreads a product
  over threads past a size, and its thread count is process-wide (blas.py does not touch
  it), so a single sequence takes numpy's only below ONE_THREAD_PRODUCT and torch's, on
  the sampling thread's one thread, above it;
- gate rows that feed a sigmoid are halved, so one tanh gives every nonlinearity
  (sigmoid(x) = 0.5 * tanh(x / 2) + 0.5); LSTM gates are reordered i, f, o, g so the
  sigmoids are one slice; the GRU's input and hidden products share one block matrix.

It gives the same probabilities as the network's forward (tests/ml pin that down). The
sampler's compiled loop (compiled_kernels, numba) does the same arithmetic on these same
tables and weights without a call per operation; this stepper is its fallback.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from composer.ml.errors import ModelError
from composer.ml.model import MAX_POSITIONS, ChoraleRNN

F = np.float32
HALF = F(0.5)  # a float32 scalar keeps numpy on its fast same-type loop
# K x N of a (1, K) @ (K, N) product that numpy's OpenBLAS runs on the calling thread: with
# numpy 2.4's OpenBLAS 0.3.31, one thread up to 393,216, two from 524,288 (older OpenBLAS
# may thread sooner: slower, not wrong). The shipped 2 x 128 nets' largest is 131,072.
ONE_THREAD_PRODUCT = 2**18


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(F)


class StepState:
    """Hidden states of all layers side by side (B, layers*H); LSTM cells (layers, B, H).
    The per-layer views a step reads and writes are made once, here."""

    def __init__(self, h: np.ndarray, c: np.ndarray | None, hidden: int) -> None:
        H, layers = hidden, h.shape[1] // hidden
        self.h = h
        self.c = c
        self.h_t = h_t = torch.from_numpy(h)
        # layer k reads [h of layer k-1, its own h] (layer 0: its own h) and writes its h
        self.below = [h[:, :H]] + [h[:, (k - 1) * H:(k + 1) * H] for k in range(1, layers)]
        self.below_t = [h_t[:, :H]] + [h_t[:, (k - 1) * H:(k + 1) * H]
                                       for k in range(1, layers)]
        self.own = [h[:, k * H:(k + 1) * H] for k in range(layers)]
        self.top_t = h_t[:, (layers - 1) * H:]


class Stepper:
    def __init__(self, model: torch.nn.Module) -> None:
        if not isinstance(model, ChoraleRNN):
            raise ModelError("the fast sampler steps LSTM and GRU chorale networks; the "
                             "reference network is sampled by re-feeding")
        cfg = model.config
        self.lstm = cfg.cell == "lstm"
        self.layers = L = cfg.layers
        self.hidden = H = cfg.hidden
        rnn = model.rnn

        def w(name: str) -> np.ndarray:
            return _np(getattr(rnn, name))

        if self.lstm:  # torch order i, f, g, o -> i, f, o, g; halve i, f, o
            order = np.r_[0:2 * H, 3 * H:4 * H, 2 * H:3 * H]
            scale = np.r_[np.full(3 * H, 0.5), np.ones(H)].astype(F)

            def gates(m: np.ndarray) -> np.ndarray:
                return m[order] * (scale[:, None] if m.ndim == 2 else scale)

            in_w = [gates(w(f"weight_ih_l{k}")) for k in range(L)]
            hh_w = [gates(w(f"weight_hh_l{k}")) for k in range(L)]
            bias = [gates(w(f"bias_ih_l{k}") + w(f"bias_hh_l{k}")) for k in range(L)]
            blocks = [np.vstack([in_w[k].T, hh_w[k].T]) for k in range(1, L)]
            first = hh_w[0].T
        else:
            # columns: [r, z] from input + hidden (halved), n from input, n from hidden
            def split(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                return m[: 2 * H] * 0.5, m[2 * H:]

            in_w, hh_w, bias = [], [], []
            for k in range(L):
                wi_rz, wi_n = split(w(f"weight_ih_l{k}"))
                wh_rz, wh_n = split(w(f"weight_hh_l{k}"))
                bi_rz, bi_n = split(w(f"bias_ih_l{k}"))
                bh_rz, bh_n = split(w(f"bias_hh_l{k}"))
                n_in = wi_rz.shape[1]
                in_w.append(np.hstack([wi_rz.T, wi_n.T, np.zeros((n_in, H), F)]).T)
                hh_w.append(np.hstack([wh_rz.T, np.zeros((H, H), F), wh_n.T]).T)
                bias.append(np.concatenate([bi_rz + bh_rz, bi_n, bh_n]))
            blocks = [np.vstack([in_w[k].T, hh_w[k].T]) for k in range(1, L)]
            first = hh_w[0].T
        # first layer: every input's projection as a table row
        w0 = in_w[0]
        self.token_table = _np(model.token_embed.weight) @ w0.T
        self.state_table = _np(model.state_embed.weight) @ w0.T
        self.voice_rows = _np(model.voice_embed.weight) @ w0.T
        self.position_rows = _np(model.position_embed.weight) @ w0.T
        self.fermata_rows = _np(model.fermata_embed.weight) @ w0.T
        self.first_input, self.first_bias = w0, bias[0]
        context = self.voice_rows[:, None, None] + self.position_rows[None, :, None] \
            + self.fermata_rows[None, None, :] + bias[0]
        self.context_table = np.ascontiguousarray(context, dtype=F)  # (4, MAX_POS, 2, G)
        self.weights = [torch.from_numpy(np.ascontiguousarray(first, dtype=F))] + [
            torch.from_numpy(np.ascontiguousarray(b, dtype=F)) for b in blocks]
        self.biases = [None] + [torch.from_numpy(np.ascontiguousarray(b, dtype=F))
                                for b in bias[1:]]
        self.w_out = torch.from_numpy(np.ascontiguousarray(_np(model.out.weight).T))
        self.b_out = torch.from_numpy(_np(model.out.bias))
        self.np_weights = [w.numpy() for w in self.weights]
        self.np_biases = [None if b is None else b.numpy() for b in self.biases]
        self.np_w_out, self.np_b_out = self.w_out.numpy(), self.b_out.numpy()
        self.vocab = self.w_out.shape[1]
        self.numpy_single = max(w.size for w in self.np_weights + [self.np_w_out]) \
            <= ONE_THREAD_PRODUCT
        self.gate_width = 4 * H
        self._batch = 0

    def conditioned(self, condition: np.ndarray, positions: np.ndarray,
                    fermata: np.ndarray) -> Stepper:
        """This stepper for one passage read by a harmonizer's encoder: `condition` (steps,
        embed) joins each step's inputs, so the context table is indexed by the step itself
        (pass the step as the position and 0 as the fermata) and made for this passage."""
        rows = self.position_rows[np.minimum(positions, MAX_POSITIONS - 1)] \
            + self.fermata_rows[np.asarray(fermata, dtype=np.int64)] \
            + np.asarray(condition, dtype=F) @ self.first_input.T + self.first_bias
        table = self.voice_rows[:, None, None, :] + rows[None, :, None, :]
        twin = copy.copy(self)
        twin.context_table = np.ascontiguousarray(table, dtype=F)  # (4, steps, 1, G)
        twin._batch = 0  # buffers of its own
        return twin

    def _buffers(self, batch: int) -> None:
        if batch == self._batch:
            return
        self._batch = batch
        H = self.hidden
        self.x = np.zeros((batch, self.gate_width), F)
        self.x_t = torch.from_numpy(self.x)
        self.gates = [np.zeros((batch, self.gate_width), F) for _ in range(self.layers)]
        self.gates_t = [torch.from_numpy(g) for g in self.gates]
        # LSTM (i, f, o, g): sigmoid part, i, f, o, g; GRU (r, z, n_x, n_h): rz, r, z, n_x, n_h
        cuts = ((0, 3), (0, 1), (1, 2), (2, 3), (3, 4)) if self.lstm else \
            ((0, 2), (0, 1), (1, 2), (2, 3), (3, 4))
        self.gate_views = [[g[:, a * H:b * H] for a, b in cuts] for g in self.gates]
        self.tmp = np.zeros((batch, self.hidden), F)
        self.logits = np.zeros((batch, self.vocab), F)
        self.logits_t = torch.from_numpy(self.logits)

    def zero_state(self, batch: int) -> StepState:
        h = np.zeros((batch, self.layers * self.hidden), F)
        c = np.zeros((self.layers, batch, self.hidden), F) if self.lstm else None
        return StepState(h, c, self.hidden)

    def state_from_torch(self, state, batch: int) -> StepState:
        """The state nn.LSTM / nn.GRU returned for one sequence, repeated for a batch."""
        h_layers = _np(state[0] if self.lstm else state)[:, 0]  # (layers, H)
        out = self.zero_state(batch)
        out.h[:] = h_layers.reshape(1, -1)
        if self.lstm:
            out.c[:] = _np(state[1])[:, 0][:, None, :]
        return out

    def step(self, state: StepState, prev: np.ndarray, states: np.ndarray, voice: int,
             position: int, fermata: int, logits: bool = True) -> np.ndarray | None:
        """Advance `state` in place by one input and return the logits (B, vocab) in a
        buffer the next step overwrites (None when `logits` is False)."""
        if len(prev) != self._batch:
            self._buffers(len(prev))
        x = self.x
        self.token_table.take(prev, axis=0, out=x)
        x += self.state_table[states]
        x += self.context_table[voice, min(position, self.context_table.shape[1] - 1), fermata]
        tmp = self.tmp
        single = self._batch == 1 and self.numpy_single
        for k, hk in enumerate(state.own):
            g = self.gates[k]
            if single:
                np.dot(state.below[k], self.np_weights[k], out=g)
                g += x if k == 0 else self.np_biases[k]
            else:
                torch.addmm(self.x_t if k == 0 else self.biases[k], state.below_t[k],
                            self.weights[k], out=self.gates_t[k])
            if self.lstm:
                sig, i, f, o, gg = self.gate_views[k]
                np.tanh(g, out=g)
                sig *= HALF
                sig += HALF
                c = state.c[k]
                c *= f
                np.multiply(i, gg, out=tmp)
                c += tmp
                np.tanh(c, out=hk)
                hk *= o
            else:
                rz, r, z, n_x, n = self.gate_views[k]
                np.tanh(rz, out=rz)
                rz *= HALF
                rz += HALF
                n *= r
                n += n_x
                np.tanh(n, out=n)
                hk -= n
                hk *= z
                hk += n
        if not logits:
            return None
        if single:
            np.dot(state.own[-1], self.np_w_out, out=self.logits)
            self.logits += self.np_b_out
        else:
            torch.addmm(self.b_out, state.top_t, self.w_out, out=self.logits_t)
        return self.logits
