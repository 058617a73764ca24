"""The sampler's per-token loop compiled with numba: the network step and the drawing of a
token, with every rule the numpy loop in sampling.py applies, in one call per stretch of
steps. Only composer.ml.compiled_sampling imports this module (numba is imported here, at
the top); it falls back to the numpy loop where numba is missing or fails.

What it computes is what stepper.py and sampling.py compute, in the same order where the
order decides a token:

- the step: the first layer's input projection is three table rows (token, voice state,
  context); each layer's products accumulate into its gate buffer (which starts as that
  row, or the layer's bias) four rows of the weights at a time, for up to four candidates
  at once, so a weight row is read once for them all; one tanh gives every nonlinearity
  (sigmoid(x) = 0.5 * tanh(x / 2) + 0.5, the gate rows that feed a sigmoid already halved).
  The tanh is Eigen's float rational approximation (relative error below 3e-7 against
  numpy's 1e-7), which the compiler vectorizes where libm's tanhf would be a call per
  element; products and tanh may fuse a multiply and an add (fastmath "contract" alone:
  no reassociation, no assumptions about infinities);
- the draw: log-softmax for the per-token log-probability; weights exp(logit / T) (float32,
  as numpy's with a Python scalar) times the validity mask, the cell's choices, the
  parallels rule (rules.parallel_tokens as a loop that marks tokens), the voicing rules
  (rules.voicing_tokens likewise), the dead ends and
  traps of a cadence; top-p over the tokens sorted by weight, ties in token order (numpy's
  stable argsort); the token is the count of float32 running sums below u times their
  total, compared in float64, as numpy's broadcast does.

So a seed gives the numpy loop's tokens, except where float32 rounding of the logits
(about 1e-6 relative, different summation orders in the products) moves a running sum
across u: a near-tie, about once in 10^5 tokens. tests/ml/test_compiled.py pins the two.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# nogil: a generation in a worker thread leaves the GUI thread the interpreter
_JIT = {"cache": True, "nogil": True, "error_model": "numpy", "boundscheck": False}
_FAST = {**_JIT, "fastmath": {"contract"}}

F32 = np.float32
HALF = np.float32(0.5)
REST, HOLD, NOTE_OFFSET = 0, 1, 2  # composer.music.tokens (checked by compiled_sampling)

_CLAMP = np.float32(7.90531110763549805)
_A1 = np.float32(4.89352455891786e-03)
_A3 = np.float32(6.37261928875436e-04)
_A5 = np.float32(1.48572235717979e-05)
_A7 = np.float32(5.12229709037114e-08)
_A9 = np.float32(-8.60467152213735e-11)
_A11 = np.float32(2.00018790482477e-13)
_A13 = np.float32(-2.76076847742355e-16)
_B0 = np.float32(4.89352518554385e-03)
_B2 = np.float32(2.26843463243900e-03)
_B4 = np.float32(1.18534705686654e-04)
_B6 = np.float32(1.19825839466702e-06)


@njit(**_FAST)
def _tanh(v):
    v = min(max(v, -_CLAMP), _CLAMP)
    x2 = v * v
    p = x2 * _A13 + _A11
    p = x2 * p + _A9
    p = x2 * p + _A7
    p = x2 * p + _A5
    p = x2 * p + _A3
    p = x2 * p + _A1
    q = x2 * _B6 + _B4
    q = x2 * q + _B2
    q = x2 * q + _B0
    return v * p / q


@njit(**_FAST)
def tanh_array(x, out):
    """out = tanh(x) by the step's approximation, for its test."""
    for i in range(x.size):
        out[i] = _tanh(x[i])


@njit(**_FAST)
def _accumulate(src, off, w, g):
    """g[b, :] += src[b, off:off + K] @ w for every row b; w (K, N)."""
    rows = src.shape[0]
    k_all, n_all = w.shape
    b = 0
    while b + 4 <= rows:
        k = 0
        while k + 4 <= k_all:
            a0, a1, a2, a3 = src[b, off + k], src[b, off + k + 1], src[b, off + k + 2], \
                src[b, off + k + 3]
            b0, b1, b2, b3 = src[b + 1, off + k], src[b + 1, off + k + 1], \
                src[b + 1, off + k + 2], src[b + 1, off + k + 3]
            c0, c1, c2, c3 = src[b + 2, off + k], src[b + 2, off + k + 1], \
                src[b + 2, off + k + 2], src[b + 2, off + k + 3]
            d0, d1, d2, d3 = src[b + 3, off + k], src[b + 3, off + k + 1], \
                src[b + 3, off + k + 2], src[b + 3, off + k + 3]
            for n in range(n_all):
                u0, u1, u2, u3 = w[k, n], w[k + 1, n], w[k + 2, n], w[k + 3, n]
                g[b, n] += a0 * u0 + a1 * u1 + a2 * u2 + a3 * u3
                g[b + 1, n] += b0 * u0 + b1 * u1 + b2 * u2 + b3 * u3
                g[b + 2, n] += c0 * u0 + c1 * u1 + c2 * u2 + c3 * u3
                g[b + 3, n] += d0 * u0 + d1 * u1 + d2 * u2 + d3 * u3
            k += 4
        while k < k_all:
            a0, b0 = src[b, off + k], src[b + 1, off + k]
            c0, d0 = src[b + 2, off + k], src[b + 3, off + k]
            for n in range(n_all):
                u0 = w[k, n]
                g[b, n] += a0 * u0
                g[b + 1, n] += b0 * u0
                g[b + 2, n] += c0 * u0
                g[b + 3, n] += d0 * u0
            k += 1
        b += 4
    while b < rows:
        k = 0
        while k + 4 <= k_all:
            a0, a1, a2, a3 = src[b, off + k], src[b, off + k + 1], src[b, off + k + 2], \
                src[b, off + k + 3]
            for n in range(n_all):
                g[b, n] += a0 * w[k, n] + a1 * w[k + 1, n] + a2 * w[k + 2, n] \
                    + a3 * w[k + 3, n]
            k += 4
        while k < k_all:
            a0 = src[b, off + k]
            for n in range(n_all):
                g[b, n] += a0 * w[k, n]
            k += 1
        b += 1


@njit(**_FAST)
def _cell(lstm, g, c, h, layer, hidden):
    """Layer `layer`'s gates g (B, 4H) to its new state: h[:, layer*H:(layer+1)*H] and, for
    an LSTM, c[layer]. LSTM gates i, f, o (halved), g; GRU r, z (halved), n_x, n_h."""
    H = hidden
    off = layer * H
    for b in range(g.shape[0]):
        if lstm:
            for j in range(3 * H):
                g[b, j] = _tanh(g[b, j]) * HALF + HALF
            for j in range(H):
                cc = c[layer, b, j] * g[b, H + j] + g[b, j] * _tanh(g[b, 3 * H + j])
                c[layer, b, j] = cc
                h[b, off + j] = _tanh(cc) * g[b, 2 * H + j]
        else:
            for j in range(2 * H):
                g[b, j] = _tanh(g[b, j]) * HALF + HALF
            for j in range(H):
                n = _tanh(g[b, 3 * H + j] * g[b, j] + g[b, 2 * H + j])
                h[b, off + j] = (h[b, off + j] - n) * g[b, H + j] + n


@njit(**_FAST)
def _step(net, lstm, h, c, prev, vstate, voice, position, fermata, want_logits, gates,
          logits):
    """One input for every candidate: h (B, layers*H) and c (layers, B, H) in place; the
    logits (B, V) when asked. The input token is prev[b], the voice state vstate[b, voice]."""
    token_table, state_table, context_table, w0, blocks, biases, w_out, b_out = net
    H = w0.shape[0]
    pos = min(position, context_table.shape[1] - 1)
    for k in range(blocks.shape[0] + 1):  # k is never a literal: one compiled _accumulate
        g = gates[k]
        if k == 0:
            for b in range(h.shape[0]):
                tok, st = prev[b], vstate[b, voice]
                for n in range(g.shape[1]):
                    g[b, n] = token_table[tok, n] + state_table[st, n] \
                        + context_table[voice, pos, fermata, n]
            _accumulate(h, k * H, w0, g)
        else:
            for b in range(h.shape[0]):
                for n in range(g.shape[1]):
                    g[b, n] = biases[k - 1, n]
            _accumulate(h, (k - 1) * H, blocks[k - 1], g)
        _cell(lstm, g, c, h, k, H)
    if want_logits:
        for b in range(h.shape[0]):
            for n in range(logits.shape[1]):
                logits[b, n] = b_out[n]
        _accumulate(h, blocks.shape[0] * H, w_out, logits)


@njit(**_JIT)
def run_steps(net, lstm, h, c, tokens, states, voices, positions, fermatas, keep, out):
    """Step a whole input sequence, every candidate the same input: tokens and states (n,);
    with `keep`, the logits into out (n, B, V). Reads a seed, and serves tests and the
    benchmark's step-alone row."""
    rows = h.shape[0]
    layers = net[4].shape[0] + 1
    gates = np.empty((layers, rows, net[3].shape[1]), F32)
    logits = np.empty((rows, net[6].shape[1]), F32)
    prev = np.empty(rows, np.int64)
    vstate = np.empty((rows, 4), np.int64)
    for i in range(tokens.shape[0]):
        prev[:] = tokens[i]
        vstate[:, voices[i]] = states[i]
        _step(net, lstm, h, c, prev, vstate, voices[i], positions[i], fermatas[i], keep,
              gates, logits)
        if keep:
            out[i] = logits


@njit(**_JIT)
def run_products(net, h, repeats):
    """The step's matrix products alone, `repeats` times: the benchmark's bound for
    compiled code."""
    token_table, state_table, context_table, w0, blocks, biases, w_out, b_out = net
    rows, H = h.shape[0], w0.shape[0]
    gates = np.zeros((blocks.shape[0] + 1, rows, w0.shape[1]), F32)
    logits = np.zeros((rows, w_out.shape[1]), F32)
    for _ in range(repeats):
        for k in range(blocks.shape[0] + 1):
            _accumulate(h, max(k - 1, 0) * H, w0 if k == 0 else blocks[k - 1], gates[k])
        _accumulate(h, blocks.shape[0] * H, w_out, logits)
    return logits[0, 0]


# ---- the rules (composer.ml.rules and sampling._Constraints) over arrays ----

@njit(**_JIT)
def _mark_parallels(before, now, voice, others, banned):
    """rules.parallel_tokens: set banned[token] for the NOTE tokens that take `voice` in
    parallel fifths or octaves with a voice w where others[w]; True if any was marked."""
    own = before[voice]
    if own < 0:
        return False
    marked = False
    for other in range(4):
        if not others[other]:
            continue
        was, is_ = before[other], now[other]
        if was < 0 or is_ < 0 or was == is_:
            continue
        upper = other < voice
        interval = (was - own) % 12 if upper else (own - was) % 12
        if interval != 0 and interval != 7:
            continue
        target = (is_ - interval) % 12 if upper else (is_ + interval) % 12
        if is_ > was:
            p = own + 1 + (target - own - 1) % 12
            while p < 128:
                banned[NOTE_OFFSET + p] = True
                marked = True
                p += 12
        else:
            p = own - 1 - (own - 1 - target) % 12
            while p >= 0:
                banned[NOTE_OFFSET + p] = True
                marked = True
                p -= 12
    return marked


@njit(**_JIT)
def parallels_mask(before, now, voice, others, vocab):
    """_mark_parallels into a fresh mask, for its test against rules.parallel_tokens."""
    banned = np.zeros(vocab, np.bool_)
    _mark_parallels(before, now, voice, others, banned)
    return banned


@njit(**_JIT)
def _mark_voicing(before, now, voice, others, banned):
    """rules.voicing_tokens: set banned[token] for the tokens that take `voice` into a hidden
    fifth or octave between soprano and bass, or a soprano more than an octave above the
    alto, against the known voices w where others[w]; True if any was marked."""
    marked = False
    if (voice == 0 or voice == 3) and others[3 - voice]:
        marked = _mark_hidden(before, now, voice, banned)
    if (voice == 0 or voice == 1) and others[1 - voice]:
        marked = _mark_wide(before, now, voice, banned) or marked
    return marked


@njit(**_JIT)
def _mark_hidden(before, now, voice, banned):
    other = 3 - voice
    own, was, is_ = before[voice], before[other], now[other]
    if min(own, min(was, is_)) < 0 or was == is_:
        return False
    if voice == 3 and abs(is_ - was) <= 2:
        return False
    step = 3 if voice == 0 else 1
    before_interval = (was - own) % 12 if voice == 3 else (own - was) % 12
    marked = False
    p = own + step if is_ > was else own - step
    while 0 <= p < 128:
        interval = (is_ - p) % 12 if voice == 3 else (p - is_) % 12
        if (interval == 0 or interval == 7) and interval != before_interval:
            banned[NOTE_OFFSET + p] = True
            marked = True
        p += 1 if is_ > was else -1
    return marked


@njit(**_JIT)
def _mark_wide(before, now, voice, banned):
    other = 1 - voice
    is_ = now[other]
    if is_ < 0:
        return False
    marked = False
    if voice == 1:
        for p in range(max(0, is_ - 12)):
            banned[NOTE_OFFSET + p] = True
            marked = True
        too_far = 0 <= before[1] < is_ - 12
    else:
        for p in range(is_ + 13, 128):
            banned[NOTE_OFFSET + p] = True
            marked = True
        too_far = before[0] > is_ + 12
    if too_far and is_ != before[other]:
        banned[HOLD] = True
        marked = True
    return marked


@njit(**_JIT)
def _mark_cadence(before, now, voice, others, banned):
    """rules.cadence_tokens: set banned[token] for the tokens after which a fermata's chord
    could be no root-position major or minor triad with the known voices (the last voice
    above the bass, and the bass, taking its third where one is left); True if any."""
    heard = 0
    for w in range(4):
        if others[w] and now[w] >= 0:
            heard |= 1 << now[w] % 12
    bass = now[3] % 12 if others[3] and now[3] >= 0 else -1
    last = True
    for w in range(3):
        if w != voice and not others[w]:
            last = voice == 3
    fits, full = 0, 0
    for root in range(12):
        for step in (3, 4):
            third = (root + step) % 12
            triad = (1 << root) | (1 << third) | (1 << (root + 7) % 12)
            if heard & ~triad or (bass >= 0 and root != bass):
                continue
            if voice == 3:
                fits |= 1 << root
                if heard >> third & 1:
                    full |= 1 << root
            else:
                fits |= triad
                full |= triad if heard >> third & 1 else 1 << third
    if last and full:
        fits = full
    marked = False
    for p in range(128):
        if not fits >> p % 12 & 1:
            banned[NOTE_OFFSET + p] = True
            marked = True
    if before[voice] >= 0 and not fits >> before[voice] % 12 & 1:
        banned[HOLD] = True
        marked = True
    return marked


@njit(**_JIT)
def voicing_mask(before, now, voice, others, vocab, cadence):
    """_mark_voicing (or with `cadence` _mark_cadence) into a fresh mask, for its test
    against rules.voicing_tokens (rules.cadence_tokens)."""
    banned = np.zeros(vocab, np.bool_)
    if cadence:
        _mark_cadence(before, now, voice, others, banned)
    else:
        _mark_voicing(before, now, voice, others, banned)
    return banned


@njit(**_JIT)
def _covered(targets, banned):
    """set(tokens where targets) <= set(tokens where banned)."""
    for t in range(targets.shape[0]):  # noqa: SIM110 - a loop numba compiles
        if targets[t] != 0 and not banned[t]:
            return False
    return True


@njit(**_JIT)
def _any(row):
    for t in range(row.shape[0]):  # noqa: SIM110 - a loop numba compiles
        if row[t] != 0:
            return True
    return False


@njit(**_JIT)
def _ban_parallels(e, before, known, v, others, restricted, banned, row):
    """sampling._ban_parallels for one candidate's weights e (V,)."""
    banned[:] = False
    if not _mark_parallels(before, known, v, others, banned):
        return
    if restricted:
        row[:] = e
    for t in range(e.shape[0]):
        if banned[t]:
            e[t] = 0.0
    if restricted and not _any(e):
        e[:] = row


@njit(**_JIT)
def _ban_voicing(e, before, known, v, others, cadence, banned, row):
    """sampling._ban_voicing for one candidate's weights e (V,), by the voicing rules or
    (`cadence`) the fermata's."""
    banned[:] = False
    marked = _mark_cadence(before, known, v, others, banned) if cadence else \
        _mark_voicing(before, known, v, others, banned)
    if not marked:
        return
    row[:] = e
    for t in range(e.shape[0]):
        if banned[t]:
            e[t] = 0.0
    if not _any(e[REST + 1:]):
        e[:] = row


@njit(**_JIT)
def _ban_dead_ends(e, before, known, v, step, choice_of, choice_masks, others, banned,
                   row, now):
    """sampling._ban_dead_ends for one candidate."""
    row[:] = e
    for tok in range(NOTE_OFFSET, e.shape[0]):
        if row[tok] == 0:
            continue
        now[:] = known
        now[v] = tok - NOTE_OFFSET
        for w in range(v + 1, 4):
            index = choice_of[step, w]
            if index < 0:
                continue
            banned[:] = False
            _mark_parallels(before, now, w, others[w], banned)
            if _covered(choice_masks[index], banned):
                row[tok] = 0.0
                break
    if _any(row):
        e[:] = row


@njit(**_JIT)
def _ban_traps(e, known, v, sounding, next_tokens, locked, targets, banned, row, after,
               into):
    """sampling.Constraints._ban_traps for one candidate: next_tokens, the next step's
    tokens (the locked voices' are read), locked (4,) bool."""
    row[:] = e
    after[:] = known
    for tok in range(e.shape[0]):
        if row[tok] == 0:
            continue
        if tok >= NOTE_OFFSET:
            after[v] = tok - NOTE_OFFSET
        elif tok == HOLD:
            after[v] = sounding
        else:
            after[v] = -1
        into[:] = after
        for w in range(4):
            if locked[w]:
                t = next_tokens[w]
                into[w] = t - NOTE_OFFSET if t >= NOTE_OFFSET else (after[w] if t == HOLD
                                                                    else -1)
        banned[:] = False
        _mark_parallels(after, into, v, locked, banned)
        if _covered(targets, banned):
            row[tok] = 0.0
    if _any(row):
        e[:] = row


# ---- drawing a token ----

@njit(**_JIT)
def _draw(e, u, top_p, order, sums):
    """The token drawn from weights e (V,) by uniform u, as sampling's numpy loop draws it."""
    vocab = e.shape[0]
    if top_p < 1.0:
        m = 0
        for t in range(vocab):  # the nonzero weights, sorted down, ties in token order
            if e[t] != 0:
                j = m
                while j > 0 and e[order[j - 1]] < e[t]:
                    order[j] = order[j - 1]
                    j -= 1
                order[j] = t
                m += 1
        if m == 0:
            return 0  # all zero: numpy's stable order starts at token 0
        total = F32(0.0)
        for j in range(m):
            total += e[order[j]]
            sums[j] = total
        limit = F32(top_p) * total
        kept = 0
        while kept < m and sums[kept] - e[order[kept]] <= limit:
            kept += 1
        target = u * np.float64(sums[kept - 1])
        count = 0
        while count < kept and np.float64(sums[count]) < target:
            count += 1
        if count < m:
            return order[count]
        for t in range(vocab):  # u so close to 1 that it passes every sum: the first zero
            if e[t] == 0:
                return t
        return order[m - 1]
    total = F32(0.0)
    for t in range(vocab):
        total += e[t]
    target = u * np.float64(total)
    running = F32(0.0)
    for t in range(vocab):
        running += e[t]
        if not np.float64(running) < target:
            return t
    return vocab - 1


@njit(**_JIT)
def sample_steps(net, lstm, h, c, out, free, fermata, steps_per_bar, start, end, first,
                 stop, allowed, choice_of, choice_masks, chord, avoid, voicing, cadence_at,
                 inv_t, top_p,
                 uniforms, vstate, prev, log_probs, after_ll, next_state, state_pitch):
    """Steps first..stop of sampling.Sampler.sample_grid's loop, every argument as there:
    out (B, steps, 4) tokens, forced ones filled in, sampled ones written; free (steps, 4);
    fermata (steps,); allowed (4, STATES, V) 0/1; choice_of (steps + 1, 4) the row of
    choice_masks (n, V) 0/1 a cell is held to, or -1; chord (steps + 1, 4) a cell held to
    a chord; avoid, voicing: the parallels rule and the voicing rules; cadence_at (steps,)
    where the cadence rule holds; uniforms
    ((end - start) * 4, B); vstate (B, 4), prev (B,), log_probs (B, end - start, 4),
    after_ll (B,) carried and written; next_state, state_pitch: the tables of sampling and
    rules. The recurrent state h, c goes on in place."""
    rows = h.shape[0]
    vocab = net[6].shape[1]
    gates = np.empty((net[4].shape[0] + 1, rows, net[3].shape[1]), F32)
    logits = np.empty((rows, vocab), F32)
    e = np.empty(vocab, F32)
    row = np.empty(vocab, F32)
    banned = np.zeros(vocab, np.bool_)
    order = np.empty(vocab, np.int64)
    sums = np.empty(vocab, F32)
    before = np.zeros((rows, 4), np.int64)
    known = np.zeros((rows, 4), np.int64)
    others = np.zeros((4, 4), np.bool_)
    locked = np.zeros(4, np.bool_)
    now = np.zeros(4, np.int64)
    after = np.zeros(4, np.int64)
    into = np.zeros(4, np.int64)
    inv_t32 = F32(inv_t)
    tracking = avoid or voicing or _any(cadence_at)
    for step in range(first, stop):
        in_region = step < end
        if in_region and tracking:  # _Constraints.begin / _known_this_step
            for b in range(rows):
                for w in range(4):
                    before[b, w] = state_pitch[vstate[b, w]]
                    known[b, w] = before[b, w] if free[step, w] else \
                        state_pitch[next_state[vstate[b, w], out[b, step, w]]]
            for v in range(4):
                for w in range(4):
                    others[v, w] = w < v or (w > v and not free[step, w])
        position, ferm = step % steps_per_bar, fermata[step]
        for v in range(4):
            sampled = in_region and free[step, v]
            _step(net, lstm, h, c, prev, vstate, v, position, ferm,
                  sampled or not in_region, gates, logits)
            if sampled:
                index = choice_of[step, v]
                trap = avoid and chord[step + 1, v]
                if trap:
                    for w in range(4):
                        locked[w] = not free[step + 1, w]
                    trap = _any(locked)
                for b in range(rows):
                    lg = logits[b]
                    top = lg[0]
                    for t in range(1, vocab):
                        top = max(top, lg[t])
                    total = F32(0.0)
                    for t in range(vocab):
                        lg[t] -= top
                    if inv_t == 1.0:
                        for t in range(vocab):
                            e[t] = np.exp(lg[t])
                            total += e[t]
                    else:
                        for t in range(vocab):
                            total += np.exp(lg[t])
                            e[t] = np.exp(lg[t] * inv_t32)
                    lse = np.log(total)
                    mask = allowed[v, vstate[b, v]]
                    for t in range(vocab):
                        e[t] *= mask[t]
                    if index >= 0:
                        held = choice_masks[index]
                        for t in range(vocab):
                            e[t] *= held[t]
                    if tracking and _any(others[v]):
                        if avoid:
                            _ban_parallels(e, before[b], known[b], v, others[v], index >= 0,
                                           banned, row)
                        if voicing:
                            _ban_voicing(e, before[b], known[b], v, others[v], False,
                                         banned, row)
                    if cadence_at[step]:
                        _ban_voicing(e, before[b], known[b], v, others[v], True, banned, row)
                    if avoid and index >= 0:
                        below = False
                        for w in range(v + 1, 4):
                            below = below or choice_of[step, w] >= 0
                        if below:
                            _ban_dead_ends(e, before[b], known[b], v, step, choice_of,
                                           choice_masks, others, banned, row, now)
                    if trap:
                        _ban_traps(e, known[b], v, state_pitch[vstate[b, v]],
                                   out[b, step + 1], locked,
                                   choice_masks[choice_of[step + 1, v]], banned, row,
                                   after, into)
                    tok = _draw(e, uniforms[(step - start) * 4 + v, b], top_p, order, sums)
                    log_probs[b, step - start, v] = lg[tok] - lse
                    out[b, step, v] = tok
            elif not in_region:
                for b in range(rows):
                    lg = logits[b]
                    top = lg[0]
                    for t in range(1, vocab):
                        top = max(top, lg[t])
                    total = F32(0.0)
                    for t in range(vocab):
                        total += np.exp(lg[t] - top)
                    lse = top + np.log(total)
                    after_ll[b] += lg[out[b, step, v]] - lse
            for b in range(rows):
                tok = out[b, step, v]
                vstate[b, v] = next_state[vstate[b, v], tok]
                if in_region and tracking and v < 3:  # _Constraints.placed
                    known[b, v] = state_pitch[vstate[b, v]]
                prev[b] = tok
