"""What a score keeps of a file's tempo and metre changes, and how that is said.

A `Score` has one tempo and one metre; files change both. Each importer lists the changes
it finds (from any track or part) as `Change`s; here the one that holds for most of the
music is kept, and the rest are named with their bars in the import messages, so nothing
is flattened without a word. MIDI and MusicXML share this, so they keep and say the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from composer.music.score import TimeSignature

T = TypeVar("T")
_LISTED = 4  # changes named in a message; the rest are counted


@dataclass(frozen=True)
class Change(Generic[T]):
    step: float  # where it takes effect, in sixteenth steps from the start of the score
    bar: int  # the bar it takes effect in, as the file numbers (or counts) them
    value: T


def in_effect(changes: list[Change[T]], start: float, end: float) -> list[Change[T]]:
    """The changes that sound from `start` (the first note) to `end`: the one in force at
    `start` (or the first, when none comes before it), then each later one that changes
    the value. Of changes at one step the last wins, as a player applies them in turn."""
    collapsed: list[Change[T]] = []
    for change in sorted(changes, key=lambda c: c.step):  # stable: the file's order
        if collapsed and collapsed[-1].step == change.step:
            collapsed[-1] = change
        else:
            collapsed.append(change)
    before = [c for c in collapsed if c.step <= start]
    later = [c for c in collapsed if start < c.step < end]
    out = before[-1:] or later[:1]
    for change in later:
        if change.value != out[-1].value:
            out.append(change)
    return out


def held_longest(changes: list[Change[T]], start: float, end: float) -> T:
    """The value that holds for the most steps from `start` to `end` (of equals, the
    earliest), among `changes` as `in_effect` gives them."""
    held: dict[T, float] = {}
    for change, after in zip(changes, [*changes[1:], None]):
        since = max(start, change.step)
        until = end if after is None else after.step
        held[change.value] = held.get(change.value, 0.0) + max(0.0, until - since)
    return max(held, key=lambda value: held[value])  # max keeps the first of equals


def _listed(changes: list[Change[T]], show) -> str:
    named = [show(changes[0].value)]
    named += [f"{show(c.value)} from bar {c.bar}" for c in changes[1:_LISTED]]
    more = len(changes) - _LISTED
    return ", then ".join(named) + (f" and {more} more change(s)" if more > 0 else "")


def tempo_message(changes: list[Change[float]], kept: float) -> str | None:
    """What was kept of a tempo that changes, or None when it does not."""
    if len(changes) < 2:
        return None
    return (f"The file changes tempo ({_listed(changes, _bpm)}); a score has one tempo, so "
            f"it keeps {_bpm(kept)}, the tempo most of the music is in.")


def metre_message(changes: list[Change[TimeSignature]], kept: TimeSignature) -> str | None:
    """What was kept of a metre that changes, or None when it does not."""
    if len(changes) < 2:
        return None
    same = len({c.value.steps_per_bar for c in changes}) == 1
    where = ("its bars are as long, so the bar lines stay where the file has them" if same
             else "the bar lines fall every " + str(kept) + " throughout, so some differ "
             "from the file's")
    return (f"The file changes metre ({_listed(changes, str)}); a score has one metre, so "
            f"it keeps {kept}, the metre most of the music is in: {where}.")


def _bpm(value: float) -> str:
    return f"{value:.0f} BPM"
