"""The harmonizer against the causal networks on the task Harmonize gives them: write the
alto, tenor and bass under a given soprano. On the corpus's test split, in one run:

- NLL per token and per note of the alto, tenor and bass alone, each given everything
  before it and, for the harmonizer, the whole soprano (its bidirectional encoder reads
  it); the causal nets see the soprano only up to each step;
- the time to harmonize 16 bars with 4 candidates through the app's operation
  (operations.harmonize), each net through the compiled loop, median of --repeats.

The music the harmonizations make (voice-leading rates, cadences, time in the key) is in
`composer evaluate-music`'s report, beside Bach's own harmonizations of the same tunes.

    .venv/bin/python benchmarks/bench_harmonizer.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.tables import print_table, write_result  # noqa: E402
from composer.ml.checkpoint import HARMONIZER, load_checkpoint, resolve  # noqa: E402
from composer.ml.data import corpus_chorales  # noqa: E402
from composer.ml.evaluate import evaluate_model  # noqa: E402
from composer.ml.generate import load_sampler  # noqa: E402
from composer.ml.model import parameter_count  # noqa: E402
from composer.ml.operations import harmonize  # noqa: E402
from composer.ml.sampling import SamplingOptions  # noqa: E402

NETWORKS = (HARMONIZER, "lstm", "gru")


def harmonize_ms(name: str, repeats: int) -> float:
    from composer.music.corpus import load_corpus

    sampler = load_sampler(name)
    if sampler.compiled is None:
        from composer.ml import compiled_sampling

        compiled_sampling.kernels()  # wait for the compiled loop, as the app does
    entry = max(load_corpus().split("test"), key=lambda e: e.score.length)
    score = entry.score.slice(0, 16 * entry.score.steps_per_bar)
    options = SamplingOptions(candidates=4, seed=1)
    harmonize(sampler, score, (0,), 0, score.length, options)  # warm
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        harmonize(sampler, score, (0,), 0, score.length, options)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if not resolve(HARMONIZER).exists():
        print(f"no harmonizer at {resolve(HARMONIZER)}: train one with `composer train "
              "--encoder 128`")
        return 1
    test = corpus_chorales("test")
    rows = []
    for name in NETWORKS:
        ckpt = load_checkpoint(name)
        metrics = evaluate_model(ckpt.model, test, keep=(0,))
        rows.append({"network": name, "parameters": parameter_count(ckpt.model),
                     "nll_token_atb": metrics["nll_token"], "nll_note_atb": metrics["nll_note"],
                     "acc_note_atb": metrics["acc_note"],
                     "harmonize_16_bars_4_candidates_ms": round(harmonize_ms(name,
                                                                            args.repeats), 1),
                     "trained_minutes": ckpt.card.get("minutes")})
    head = ("network", "params", "NLL/token ATB", "NLL/note ATB", "acc/note ATB",
            "harmonize 16 bars x4, ms")
    body = [(r["network"], f"{r['parameters']:,}", f"{r['nll_token_atb']:.3f}",
             f"{r['nll_note_atb']:.3f}", f"{r['acc_note_atb']:.3f}",
             f"{r['harmonize_16_bars_4_candidates_ms']:.0f}") for r in rows]
    print_table(head, body)
    best_causal = min(r["nll_note_atb"] for r in rows[1:])
    gain = best_causal - rows[0]["nll_note_atb"]
    print(f"(corpus test split, {len(test)} chorales; nats; the alto, tenor and bass scored "
          f"under the given soprano) harmonizer {gain:+.3f} nats/note against the best "
          "causal net")
    write_result("harmonizer", {"rows": rows, "test_chorales": len(test),
                                "harmonizer_gain_nll_note": round(gain, 4)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
