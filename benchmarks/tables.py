"""The plain-text table the benchmarks print: a header, a rule, rows in aligned columns."""

from __future__ import annotations

from collections.abc import Sequence


def print_table(head: Sequence[str], body: Sequence[Sequence[str]]) -> None:
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    for line in (head, tuple("-" * w for w in widths), *body):
        print("  ".join(x.ljust(w) for x, w in zip(line, widths)))
