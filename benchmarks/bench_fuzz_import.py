"""Fuzzing import: mutated MIDI and MusicXML files (from corpus exports and files built the
way other programs write them; see tests/music/fuzz_inputs.py) through `read_score`, each
in a worker process under a time and a memory limit. Prints how many imported, were
refused with a clear message, crashed, hung or reached for too much memory, and writes
the counts to benchmarks/results/fuzz_import.json. Target: 0 crashes, 0 hangs over 2 s
(of CPU time, or no answer in 4 s), 0 inputs over 500 MB. The slowest input's wall time
is shown beside its CPU time: on a busy machine the two differ.

    .venv/bin/python benchmarks/bench_fuzz_import.py [--inputs 10000] [--save FOLDER]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.music.fuzz_inputs import inputs, seed_files  # noqa: E402
from tests.music.fuzz_runner import OUTCOMES, Result, run_inputs  # noqa: E402

FORMATS = {"MIDI": (".mid",), "MusicXML": (".musicxml", ".mxl")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10000, help="inputs of each format")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--time-limit", type=float, default=2.0, help="seconds per input")
    parser.add_argument("--memory-mb", type=int, default=500, help="memory per input")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--save", help="folder to keep the inputs that crashed, hung or "
                                       "reached for too much memory")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" /
                                             "fuzz_import.json"))
    args = parser.parse_args()

    rows, failures = [], []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        seeds = seed_files(Path(folder))
        for label, suffixes in FORMATS.items():
            chosen = [p for p in seeds if p.suffix in suffixes]
            made = {}
            started = time.perf_counter()
            results = []
            for result in run_inputs(_keep(inputs(chosen, args.inputs, args.seed), made),
                                     args.workers, args.time_limit, args.memory_mb):
                results.append(result)
                if result.outcome not in ("ok", "clear error"):
                    failures.append(result)
                    _save(args.save, made[result.name], result)
                made.pop(result.name, None)
                if len(results) % 1000 == 0:
                    print(f"  {label}: {len(results)} inputs", flush=True)
            rows.append(_row(label, [p.name for p in chosen], results,
                             time.perf_counter() - started))
    elapsed = time.perf_counter() - t0

    print(f"\nImport of {args.inputs} mutated files of each format, {args.workers} workers, "
          f"{args.time_limit:g} s and {args.memory_mb} MB per input ({elapsed:.0f} s)")
    print(f"{'format':10}" + "".join(f"{o:>13}" for o in OUTCOMES)
          + f"{'slowest s':>11}{'(CPU)':>7}{'most MB':>9}")
    for row in rows:
        print(f"{row['format']:10}" + "".join(f"{row['counts'][o]:13d}" for o in OUTCOMES)
              + f"{row['slowest_seconds']:11.2f}{row['slowest_cpu_seconds']:7.2f}"
              + f"{row['most_memory_mb']:9.0f}")
    for result in failures[:30]:
        print(f"  {result.outcome}: {result.name}: {result.detail}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "inputs_per_format": args.inputs, "seed": args.seed, "workers": args.workers,
        "time_limit_seconds": args.time_limit, "memory_limit_mb": args.memory_mb,
        "seconds": round(elapsed, 1), "formats": rows,
        "failures": [{"name": r.name, "outcome": r.outcome, "detail": r.detail}
                     for r in failures[:200]],
    }, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


def _keep(stream, made: dict):
    """The inputs, remembered until their result is in (to save those that fail)."""
    for item in stream:
        made[item.name] = item
        yield item


def _save(folder: str | None, item, result: Result) -> None:
    if folder is None:
        return
    path = Path(folder) / f"{result.outcome}-{item.name.replace('/', '_')}{item.suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(item.data)


def _row(label: str, seeds: list[str], results: list[Result], seconds: float) -> dict:
    counts = Counter(r.outcome for r in results)
    timed = [r for r in results if r.outcome != "hang"]
    peaks = [r.peak_mb for r in results if r.peak_mb == r.peak_mb]  # not NaN
    return {"format": label, "seeds": seeds, "inputs": len(results),
            "counts": {o: counts.get(o, 0) for o in OUTCOMES},
            "slowest_seconds": round(max((r.seconds for r in timed), default=0.0), 3),
            "slowest_cpu_seconds": round(max((r.cpu for r in timed), default=0.0), 3),
            "most_memory_mb": round(max(peaks, default=0.0), 1),
            "seconds": round(seconds, 1)}


if __name__ == "__main__":
    sys.exit(main())
