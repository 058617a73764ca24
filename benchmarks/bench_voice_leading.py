"""Voice leading: how often generated chorales break the rules of four-part writing, beside
Bach's own music in the same bars and a toy that picks uniformly among valid tokens; the
LSTM also with the sampler's parallels rule (composer/ml/rules.py) turned off.

For each chorale of our corpus's test split with at least SEED_BARS + BARS bars, the first
SEED_BARS bars seed a continuation of BARS bars (composer.ml.operations.continue_score, as
`composer generate` and the app make it, ending on the tonic), and the
rules are counted over the continuation and its join to the seed. Bach's row counts the
same bars of the chorale itself. The uniform row samples through the same validity mask at
a temperature so high that every valid token is equally likely.

    .venv/bin/python benchmarks/bench_voice_leading.py

The full report of the music against Bach's (more rules per chord change, the
distributions a listener hears, harmonizations, the reference network) is `composer
evaluate-music` (composer/ml/music_report.py); this one keeps the sampler's parallels rule
on and off side by side.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from composer.ml.checkpoint import write_json  # noqa: E402
from composer.ml.generate import first_bars, load_sampler  # noqa: E402
from composer.ml.operations import continue_score  # noqa: E402
from composer.ml.sampling import SamplingOptions  # noqa: E402
from composer.music.corpus import load_corpus  # noqa: E402
from composer.music.voice_leading import VoiceLeading, voice_leading  # noqa: E402

SEED_BARS = 4
BARS = 8
UNIFORM = 1e6  # temperature: logits vanish, the validity mask remains
COLUMNS = (("parallel_fifths_per_100_chords", "5ths/100", "{:8.2f}"),
           ("parallel_octaves_per_100_chords", "8ves/100", "{:8.2f}"),
           ("crossing", "crossing", "{:8.1%}"),
           ("wide_spacing", "wide", "{:8.1%}"),
           ("out_of_range", "range", "{:8.1%}"),
           ("in_scale", "in scale", "{:8.1%}"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3, help="continuations per chorale")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" /
                                             "voice_leading.json"))
    args = parser.parse_args()

    chorales = [e for e in load_corpus().split("test")
                if e.score.bars >= SEED_BARS + BARS]
    samplers = {name: load_sampler(name) for name in ("lstm", "gru")}
    makers = {
        "LSTM, parallels allowed": (samplers["lstm"], {"avoid_parallels": False}),
        "LSTM": (samplers["lstm"], {}),
        "GRU": (samplers["gru"], {}),
        "LSTM, best of 8": (samplers["lstm"], {"candidates": 8}),
        "uniform valid tokens (toy)": (samplers["lstm"], {"temperature": UNIFORM}),
    }
    totals: dict[str, VoiceLeading] = {}
    t0 = time.perf_counter()
    for entry in chorales:
        bar = entry.score.steps_per_bar
        start, end = SEED_BARS * bar, (SEED_BARS + BARS) * bar
        _add(totals, "Bach (the same bars)", voice_leading(entry.score, start, end))
        seed = first_bars(entry.score, SEED_BARS)
        for label, (sampler, extra) in makers.items():
            for sample in range(args.samples):
                options = SamplingOptions(seed=sample, **extra)
                score = continue_score(sampler, seed, BARS, options).best.score
                _add(totals, label, voice_leading(score, start, end))
    elapsed = time.perf_counter() - t0

    print(f"\nVoice leading over {BARS} bars after a {SEED_BARS}-bar seed: {len(chorales)} "
          f"test chorales, {args.samples} continuations each (parallels per 100 chords; "
          "the rest as shares of the music)")
    print(f"{'music':28}" + "".join(f"{title:>9}" for _, title, _ in COLUMNS))
    rows = []
    for label, counts in totals.items():
        rates = counts.rates()
        print(f"{label:28}" + "".join(" " + fmt.format(rates[key]) for key, _, fmt in COLUMNS))
        rows.append({"music": label, **rates, "chords": counts.chords, "notes": counts.notes})
    result = {"benchmark": "voice_leading", "when": time.strftime("%Y-%m-%d %H:%M UTC",
                                                                   time.gmtime()),
              "chorales": [e.id for e in chorales], "seed_bars": SEED_BARS, "bars": BARS,
              "samples_per_chorale": args.samples, "seconds": round(elapsed, 1),
              "rows": rows}
    write_json(args.out, result)
    print(f"\nwritten {Path(args.out).relative_to(ROOT)} ({elapsed:.0f} s)")
    return 0


def _add(totals: dict[str, VoiceLeading], label: str, counts: VoiceLeading) -> None:
    totals[label] = totals[label] + counts if label in totals else counts


if __name__ == "__main__":
    sys.exit(main())
