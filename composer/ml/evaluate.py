"""Test metrics: NLL and accuracy per token, and per note in the course notebook's terms.

Per token: the network's own task (REST / HOLD / NOTE(p) for each voice and step).
Per note: one pitch per voice per step, a held pitch counting as that pitch, as in the JSB
data and the course notebook: P(pitch p) = P(NOTE p) + P(HOLD) * [previous pitch == p],
and silence is P(REST) + P(HOLD) * [voice was silent].
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch

from composer.ml.data import IGNORE, Chorale, whole_batches
from composer.ml.model import is_harmonizer
from composer.music.tokens import HOLD, NOTE_OFFSET, REST, VOCAB_SIZE, pitch_grid

METRIC_NAMES = ("nll_token", "acc_token", "acc_nonhold", "nll_note", "acc_note")


def _pitch_targets(group: Sequence[Chorale], length: int) -> tuple[np.ndarray, np.ndarray]:
    """Index of the true pitch class (REST slot for silence) and of the previous pitch of
    the same voice, per flat position."""
    true = np.zeros((len(group), length), dtype=np.int64)
    prev = np.zeros((len(group), length), dtype=np.int64)
    for i, c in enumerate(group):
        pitches = pitch_grid(c.grid).astype(np.int64)
        before = np.vstack([np.full((1, 4), -1), pitches[:-1]])
        n = pitches.size
        true[i, :n] = np.where(pitches >= 0, pitches + NOTE_OFFSET, REST).reshape(-1)
        prev[i, :n] = np.where(before >= 0, before + NOTE_OFFSET, REST).reshape(-1)
    return true, prev


class MetricSum:
    def __init__(self) -> None:
        self.sums = dict.fromkeys(("nll_token", "acc_token", "nll_note", "acc_note"), 0.0)
        self.count = 0
        self.nonhold_hits = 0.0
        self.nonhold = 0

    def add(self, logp: torch.Tensor, targets: torch.Tensor, true: torch.Tensor,
            prev: torch.Tensor) -> None:
        """logp (N, VOCAB) log-probabilities at N real positions."""
        idx = torch.arange(len(targets))
        self.sums["nll_token"] -= float(logp[idx, targets].sum())
        hits = logp.argmax(1) == targets
        self.sums["acc_token"] += float(hits.sum())
        nonhold = targets != HOLD
        self.nonhold_hits += float(hits[nonhold].sum())
        self.nonhold += int(nonhold.sum())
        probs = logp.exp()
        pitch = probs.clone()
        pitch[:, HOLD] = 0.0
        pitch[idx, prev] += probs[:, HOLD]
        self.sums["nll_note"] -= float(torch.log(pitch[idx, true].clamp_min(1e-12)).sum())
        self.sums["acc_note"] += float((pitch.argmax(1) == true).sum())
        self.count += len(targets)

    def result(self) -> dict[str, float]:
        out = {k: v / max(1, self.count) for k, v in self.sums.items()}
        out["acc_nonhold"] = self.nonhold_hits / max(1, self.nonhold)
        return {k: round(out[k], 5) for k in METRIC_NAMES}


@torch.no_grad()
def evaluate_model(model: torch.nn.Module, chorales: Sequence[Chorale],
                   batch_size: int = 16, keep: Sequence[int] = ()) -> dict[str, float]:
    """With `keep` (voices 0-3), only the other voices' tokens are scored, each given
    everything before it, and a harmonizer reads the kept voices whole: the question
    "how well does it write the alto, tenor and bass under this soprano"."""
    was_training = model.training
    model.eval()
    total = MetricSum()
    harmonizer = is_harmonizer(model)
    for group, batch in whole_batches(chorales, batch_size, keep, harmonizer):
        logits, _ = model(batch)
        targets = batch["targets"]
        true, prev = _pitch_targets(group, targets.shape[1])
        real = targets != IGNORE
        logp = torch.log_softmax(logits.float(), -1)[real]
        total.add(logp, targets[real], torch.from_numpy(true)[real], torch.from_numpy(prev)[real])
    model.train(was_training)
    return total.result()


def repeat_baseline(train: Sequence[Chorale], test: Sequence[Chorale]) -> dict[str, float]:
    """'Repeat the previous step': each voice keeps its pitch (HOLD, or REST in silence).
    For an NLL it puts the probability q of a repeat seen in the training split on the
    repeat and spreads the rest evenly over the other tokens."""
    def repeat_rate(chorales: Sequence[Chorale]) -> float:
        hits = total = 0
        for c in chorales:
            pitches = pitch_grid(c.grid)
            hits += int((pitches[1:] == pitches[:-1]).sum())
            total += pitches[1:].size
        return hits / max(1, total)

    q = repeat_rate(train)
    log_hit, log_miss = math.log(q), math.log((1 - q) / (VOCAB_SIZE - 1))
    total = MetricSum()
    for group, batch in whole_batches(test, 16):
        targets = batch["targets"]
        true, prev = _pitch_targets(group, targets.shape[1])
        real = targets != IGNORE
        prev_t = torch.from_numpy(prev)[real]
        guess = torch.where(prev_t == REST, REST, HOLD)
        logp = torch.full((len(prev_t), VOCAB_SIZE), log_miss)
        logp[torch.arange(len(guess)), guess] = log_hit
        total.add(logp, targets[real], torch.from_numpy(true)[real], prev_t)
    return total.result()


def comparison_table(checkpoints: Sequence[str], dataset: str = "corpus", split: str = "test",
                     reference: str | None = None, jsb_path: str | None = None,
                     limit: int | None = None,
                     warn: Callable[[str], None] | None = None) -> list[dict]:
    """One row per checkpoint, then the reference network and 'repeat the previous step',
    all on the same chorales. Every checkpoint is loaded (and a hostile or broken one
    refused with a ModelError) before any chorale is read; a card that cannot be used is
    passed to `warn` and its row says nothing of what the net was trained on."""
    from composer.ml.checkpoint import load_checkpoint
    from composer.ml.data import fingerprint, load_chorales
    from composer.ml.model import parameter_count

    loaded = [load_checkpoint(name) for name in [*checkpoints, *([reference] if reference
                                                                  else [])]]
    chorales = load_chorales(dataset, split, jsb_path, limit)
    rows = []
    for ckpt in loaded:
        if ckpt.card_problem and warn is not None:
            warn(ckpt.card_problem)
        trained_on = ckpt.card.get("data", {}).get("dataset")
        rows.append({"model": _shown(ckpt.path), "cell": ckpt.config.cell,
                     "parameters": parameter_count(ckpt.model), "trained_on": trained_on,
                     **evaluate_model(ckpt.model, chorales)})
    train = load_chorales(dataset, "train", jsb_path, limit)
    rows.append({"model": "repeat previous step", "cell": "-", "parameters": 0,
                 "trained_on": dataset, **repeat_baseline(train, chorales)})
    for row in rows:
        row["data"] = f"{dataset}/{split}"
        row["fingerprint"] = fingerprint(chorales)
    return rows


def format_table(rows: Sequence[dict]) -> str:
    head = ("model", "params", "NLL/token", "acc/token", "acc non-HOLD", "NLL/note", "acc/note")
    body = [(r["model"], f"{r['parameters']:,}", f"{r['nll_token']:.3f}", f"{r['acc_token']:.3f}",
             f"{r['acc_nonhold']:.3f}", f"{r['nll_note']:.3f}", f"{r['acc_note']:.3f}")
            for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths)) for line in (head, *body)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if rows:
        lines.append(f"({rows[0]['data']}, nats; per note = one pitch per voice per step, "
                     "a held pitch counting as that pitch)")
    return "\n".join(lines)


def _shown(path) -> str:
    """A path as short as it can be said: relative to the working directory when inside."""
    from pathlib import Path

    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
