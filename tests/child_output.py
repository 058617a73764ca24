"""Reading what a child process says on stdout in tests: libraries may say things first
(pyfluidsynth announces the library it found when CI is set), so wait for the line meant."""

from __future__ import annotations

from typing import IO


def wait_for_line(stream: IO, wanted: str | bytes) -> bool:
    """True once `wanted` arrives as a line of its own; False if the stream ends first."""
    return any(line.strip() == wanted for line in stream)
