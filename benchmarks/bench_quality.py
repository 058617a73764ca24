"""Quality: test NLL and accuracy of our LSTM and GRU beside the course notebook's network
(the reference, trained on the same data with the same time budget) and 'repeat the
previous step', on two test splits:

- our corpus (music21's Bach chorales), with the shipped checkpoints in models/;
- the JSB 16th-note standard split (../shared/data/jsb16th, if present), with the
  checkpoints in benchmarks/checkpoints/ trained by `composer train --data jsb`. The
  course notebook's published figures for its network sit beside them.

    .venv/bin/python benchmarks/bench_quality.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from composer.atomic_write import atomic_write_text  # noqa: E402
from composer.ml.checkpoint import MODELS_DIR, load_checkpoint  # noqa: E402
from composer.ml.data import jsb_path  # noqa: E402
from composer.ml.evaluate import comparison_table, format_table  # noqa: E402

NOTEBOOK = {"model": "course notebook, published (its own run)", "nll_note": 0.656,
            "acc_note": 0.816}
TARGET = {"nll_note": 0.50, "acc_note": 0.85}


def _training(rows: list[dict]) -> None:
    for row in rows:
        path = Path(row["model"])
        if path.suffix == ".pt":
            card = load_checkpoint(path).card
            row["minutes"] = card.get("minutes")
            row["command"] = card.get("command")
            row["model"] = str((ROOT / path).resolve().relative_to(ROOT))


def main() -> int:
    results: dict = {"benchmark": "quality",
                     "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    models = MODELS_DIR
    corpus = comparison_table([str(models / "lstm.pt"), str(models / "gru.pt")], "corpus",
                              "test", str(models / "reference.pt"))
    _training(corpus)
    print("Our corpus, test split")
    print(format_table(corpus))
    results["corpus_test"] = corpus
    ckpts = ROOT / "benchmarks" / "checkpoints"
    mine = [str(ckpts / f"jsb_{cell}.pt") for cell in ("lstm", "gru")]
    if jsb_path().exists() and all(Path(p).exists() for p in mine):
        jsb = comparison_table(mine, "jsb", "test", str(ckpts / "jsb_reference.pt"))
        _training(jsb)
        print("\nJSB chorales (16th notes), standard test split")
        print(format_table(jsb))
        print(f"course notebook, published: NLL/note {NOTEBOOK['nll_note']}, acc/note "
              f"{NOTEBOOK['acc_note']}; target for ours: NLL/note <= {TARGET['nll_note']}, "
              f"acc/note >= {TARGET['acc_note']}")
        reference = jsb[2]
        for row in jsb[:2]:
            met = row["nll_note"] <= TARGET["nll_note"] and row["acc_note"] >= TARGET["acc_note"]
            print(f"  {row['model']}: {'meets' if met else 'misses'} the target; NLL/note "
                  f"{NOTEBOOK['nll_note'] - row['nll_note']:.3f} lower and accuracy "
                  f"{row['acc_note'] - NOTEBOOK['acc_note']:.3f} higher than the notebook's, "
                  f"{reference['nll_note'] - row['nll_note']:.3f} / "
                  f"{row['acc_note'] - reference['acc_note']:.3f} against our reference run")
        results["jsb_test"] = jsb
        results["jsb_notebook_published"] = NOTEBOOK
        results["jsb_target"] = TARGET
    else:
        print(f"\n(JSB table skipped: needs {jsb_path()} and {', '.join(mine)})")
    out = ROOT / "benchmarks" / "results" / "quality.json"
    atomic_write_text(out, json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
