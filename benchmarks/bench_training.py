"""Training: throughput (tokens per second) of the LSTM, the GRU and the reference network
at the shipped sizes, measured in the same run on the same batches, and the time each
shipped checkpoint took to reach its quality (from its card).

    .venv/bin/python benchmarks/bench_training.py [--steps 12] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from composer.atomic_write import atomic_write_text  # noqa: E402
from composer.ml.checkpoint import MODELS_DIR, load_checkpoint  # noqa: E402
from composer.ml.data import IGNORE, WindowDataset, corpus_chorales  # noqa: E402
from composer.ml.model import build_model  # noqa: E402
from composer.ml.train import make_optimizer  # noqa: E402


def throughput(config, batches) -> float:
    torch.manual_seed(0)
    model = build_model(config).train()
    opt = make_optimizer("adamw", model.parameters(), 1e-3, 0.01)
    tokens = 0
    t0 = 0.0
    for i, batch in enumerate(batches):
        if i == 1:  # the first step warms up allocators
            t0, tokens = time.perf_counter(), 0
        logits, _ = model(batch)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 batch["targets"].reshape(-1),
                                                 ignore_index=IGNORE)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        tokens += int((batch["targets"] != IGNORE).sum())
    return tokens / (time.perf_counter() - t0)


def time_to_quality(card: dict, within: float = 0.01) -> float | None:
    """Minutes until validation NLL first came within `within` of the best."""
    history = card.get("history", [])
    if not history:
        return None
    best = min(h["valid"]["nll_token"] for h in history)
    return next(h["minutes"] for h in history if h["valid"]["nll_token"] <= best * (1 + within))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train = corpus_chorales("train")
    rows = []
    for name in ("lstm", "gru", "reference"):
        ckpt = load_checkpoint(MODELS_DIR / f"{name}.pt")
        window = ckpt.card.get("training", {}).get("window_steps", 64)
        data = WindowDataset(train, window, seed=0)
        loader = torch.utils.data.DataLoader(data, batch_size=32)
        batches = [b for _, b in zip(range(args.steps + 1), loader)]
        tps = throughput(ckpt.config, batches)
        card = ckpt.card
        rows.append({"model": f"models/{name}.pt", "cell": ckpt.config.cell,
                     "window_steps": window, "tokens_per_second": round(tps),
                     "card_tokens_per_second": card.get("tokens_per_second"),
                     "minutes_trained": card.get("minutes"),
                     "minutes_to_quality": time_to_quality(card),
                     "best_valid_nll": card.get("best_valid_nll")})
    print(f"Training throughput, {args.threads} thread(s), batch 32, {args.steps} steps each")
    print(f"{'model':22} {'tokens/s':>10} {'(during training)':>18} {'min to best-1%':>15} "
          f"{'min trained':>12} {'valid NLL':>10}")
    for r in rows:
        print(f"{r['model']:22} {r['tokens_per_second']:>10,} "
              f"{r['card_tokens_per_second'] or 0:>18,.0f} {r['minutes_to_quality'] or 0:>15.1f} "
              f"{r['minutes_trained'] or 0:>12.1f} {r['best_valid_nll'] or 0:>10.4f}")
    out = ROOT / "benchmarks" / "results" / "training.json"
    atomic_write_text(out, json.dumps({"benchmark": "training", "threads": args.threads,
                               "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                               "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
