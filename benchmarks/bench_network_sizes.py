"""NLL against generation time for the network sizes tried (issue 14): what a larger net
buys in likelihood and what it costs a person waiting for music, measured in one run.

Each row is one kind of net: its JSB test NLL per note (the checkpoint of that kind trained
on the JSB split, benchmarks/checkpoints, from its card), the corpus-trained net the app
runs (its corpus test NLL, size and training time from its card), and the time to write
16 bars after a 4-bar seed (1 candidate) and 8 bars x 4 candidates (what Generate writes
by default) through the compiled loop, and 16 bars through the numpy loop, the fallback.
The issue's bound: the shipped net's 16 bars no slower than the 2 x 128 net's through the
numpy loop (the code before the compiled loop), the ratio taken in this run.

    .venv/bin/python benchmarks/bench_network_sizes.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.tables import print_table, write_result  # noqa: E402
from composer.ml import compiled_sampling  # noqa: E402
from composer.ml.checkpoint import load_checkpoint, read_card  # noqa: E402
from composer.ml.model import parameter_count  # noqa: E402
from composer.ml.sampling import Sampler, SamplingOptions  # noqa: E402

CKPTS = ROOT / "benchmarks" / "checkpoints"
KINDS = (  # label, the app's corpus net, the JSB net of its kind
    ("LSTM 2 x 128 (shipped)", ROOT / "models" / "lstm.pt", CKPTS / "jsb_lstm.pt"),
    ("GRU 2 x 128 (shipped before)", CKPTS / "corpus_gru128.pt", CKPTS / "jsb_gru.pt"),
    ("GRU 2 x 256 (shipped)", ROOT / "models" / "gru.pt", CKPTS / "jsb_gru256_w256.pt"),
)


def timed(run, repeats: int) -> float:
    run()  # warm: tables built, kernels loaded
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def speeds(model, seed, repeats: int) -> dict[str, float]:
    compiled, numpy_ = Sampler(model, engine="compiled"), Sampler(model, engine="numpy")
    bar = seed.steps_per_bar
    return {
        "compiled_16_bars_ms": timed(lambda: compiled.continuation(
            seed, 16 * bar, options=SamplingOptions(seed=1)), repeats),
        "compiled_8_bars_x4_ms": timed(lambda: compiled.continuation(
            seed, 8 * bar, options=SamplingOptions(seed=1, candidates=4)), repeats),
        "numpy_16_bars_ms": timed(lambda: numpy_.continuation(
            seed, 16 * bar, options=SamplingOptions(seed=1)), repeats),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    if compiled_sampling.kernels() is None:
        print(f"no compiled sampler: {compiled_sampling.unavailable()}")
        return 1
    from composer.music.corpus import load_corpus

    entry = load_corpus().split("test")[3]
    seed = entry.score.slice(0, 4 * entry.score.steps_per_bar)
    rows = []
    for label, app_net, jsb_net in KINDS:
        ckpt = load_checkpoint(app_net)
        jsb = read_card(jsb_net.with_suffix(".json"))["metrics"]["test"]
        rows.append({"kind": label, "parameters": parameter_count(ckpt.model),
                     "weights_mb": round(app_net.stat().st_size / 2**20, 2),
                     "jsb_test_nll_note": jsb["nll_note"],
                     "corpus_test_nll_note": ckpt.card["metrics"]["test"]["nll_note"],
                     "trained_minutes": ckpt.card.get("minutes"),
                     **{k: round(v, 1) for k, v in speeds(ckpt.model, seed,
                                                          args.repeats).items()}})
    bound = rows[1]["numpy_16_bars_ms"]
    for row in rows:
        row["compiled_16_bars_over_2x128_numpy"] = round(row["compiled_16_bars_ms"] / bound, 2)
    head = ("net", "params", "MB", "JSB NLL/note", "corpus NLL/note", "train min",
            "16 bars ms", "8 bars x4 ms", "16 bars numpy ms", "vs 2x128 numpy")
    body = [(r["kind"], f"{r['parameters']:,}", f"{r['weights_mb']:.1f}",
             f"{r['jsb_test_nll_note']:.3f}", f"{r['corpus_test_nll_note']:.3f}",
             f"{r['trained_minutes']:.0f}", f"{r['compiled_16_bars_ms']:.0f}",
             f"{r['compiled_8_bars_x4_ms']:.0f}", f"{r['numpy_16_bars_ms']:.0f}",
             f"{r['compiled_16_bars_over_2x128_numpy']:.2f}x") for r in rows]
    print_table(head, body)
    print(f"(16 bars after a 4-bar seed of {entry.id}; medians of {args.repeats}; load "
          f"average {os.getloadavg()[0]:.1f})")
    write_result("network_sizes", {"rows": rows, "seed_chorale": entry.id})
    return 0


if __name__ == "__main__":
    sys.exit(main())
