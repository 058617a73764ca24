"""Which bars a harmonization or a regeneration works on, from what the user marked.

Harmonize takes the selection's span, else the loop range, else the whole score;
Regenerate takes the loop range, else the selected notes' span. A single selected note does
not narrow a harmonization: the note just drawn is selected, and a tune drawn note by note
would otherwise be harmonized in its last bar only. Spans are widened to whole
bars: a musician asks for "bars 5-8", and the network's phrases run by the bar.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from composer.music.score import NoteRef, Score


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    source: str  # what it came from, for the panel: "the selection", "the loop range", …

    def describe(self, score: Score) -> str:
        bar = score.steps_per_bar
        first, last = self.start // bar + 1, -(-self.end // bar)
        bars = f"bar {first}" if first == last else f"bars {first}–{last}"
        return f"{bars.capitalize()} ({self.source})"


class NoSpan(ValueError):
    """Nothing marks the passage; the message says how to mark one."""


def _to_bars(start: int, end: int, score: Score) -> tuple[int, int]:
    bar = score.steps_per_bar
    return start // bar * bar, -(-end // bar) * bar


def _selection_span(selection: Collection[NoteRef]) -> tuple[int, int] | None:
    if not selection:
        return None
    return (min(n.start for _, n in selection), max(n.end for _, n in selection))


def span_for(mode: str, score: Score, selection: Collection[NoteRef],
             loop: tuple[int, int] | None) -> Span:
    selected = _selection_span(selection)
    if mode == "harmonize":
        if len(selection) < 2:
            selected = None
        if score.length == 0:
            raise NoSpan("Draw or open a tune first: Harmonize keeps the ticked voices and "
                         "writes the others under them.")
        choices = ((selected, "the selection"), (loop, "the loop range"),
                   ((0, score.length), "the whole score"))
    elif mode == "regenerate":
        choices = ((loop, "the loop range"), (selected, "the selected notes"))
    else:
        raise ValueError(f"{mode!r} works on no span")
    for steps, source in choices:
        if steps is not None:
            start, end = _to_bars(*steps, score)
            end = min(end, score.length)  # a last bar shorter than the metre's stays so
            if end > start:
                return Span(start, end, source)
    raise NoSpan("Drag across the ruler to mark the bars to rewrite, or select notes in "
                 "them.")
