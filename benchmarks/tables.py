"""What the newer benchmarks share: the plain-text table they print (a header, a rule, rows
in aligned columns) and the JSON they write beside it, stamped with the load and time."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

from composer.atomic_write import atomic_write_text

RESULTS = Path(__file__).resolve().parent / "results"


def print_table(head: Sequence[str], body: Sequence[Sequence[str]]) -> None:
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    for line in (head, tuple("-" * w for w in widths), *body):
        print("  ".join(x.ljust(w) for x, w in zip(line, widths)))


def write_result(name: str, data: dict) -> None:
    """benchmarks/results/NAME.json, with the load average the figures were taken under."""
    out = {"benchmark": name, **data, "load_average": os.getloadavg()[0],
           "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    atomic_write_text(RESULTS / f"{name}.json", json.dumps(out, indent=2) + "\n")
