"""The one calling convention of slow work: the corpus build, training, sampling, rendering.

The caller may pass `progress(done, total)`, called as the work advances, and `cancel()`,
which turns true once the user asks to stop; the work then raises `Cancelled` soon after.
One shape for all of them lets the GUI run any of them on a worker thread
(`composer.gui.workers`) and the command line draw one kind of bar, with no wrapper per
operation. Nothing here imports Qt or torch, so every layer can use it.
"""

from __future__ import annotations

from collections.abc import Callable

# progress(done, total): both counts in the work's own unit (chorales, steps, frames).
# `total` may be revised while the work runs, when its size becomes known only on the way.
Progress = Callable[[int, int], None]
# cancel(): true once the work should stop.
Cancel = Callable[[], bool]


class Cancelled(Exception):
    """The caller's cancel callback asked the work to stop; what it was making is dropped."""
