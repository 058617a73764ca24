"""Saving a file so that, at every moment, it is the old file or the new one, whole.

A save that writes in place leaves a truncated or empty file behind when the process is
killed, the machine loses power or the disk fills half-way: the user's previous version is
gone too. Here the new content goes to a temporary file beside the target (same folder,
so the same file system), is flushed and synced to disk, and only then renamed over the
target, which the file system does in one step. On any failure, KeyboardInterrupt
included, the temporary file is removed and the target is left as it was. This is what
Qt's QSaveFile does; this module has no Qt, so the musical core, the audio renderer and
the GUI share it.

A process killed with SIGKILL cannot clean up: its hidden temporary file (named
`.NAME.XXXXXXXX.tmpSUFFIX`) stays beside the target, which is still whole. The next
successful save of that target removes such leftovers once they are an hour old, when no
save still running could own them.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["atomic_open", "atomic_write_text"]


@contextlib.contextmanager
def atomic_open(target: str | Path, mode: str = "wb", encoding: str | None = None
                ) -> Iterator[IO]:
    """A file object writing a temporary file beside `target`, which replaces `target`
    once the block ends without an error. `mode` is "wb" or "w" (then `encoding`, UTF-8
    unless given). Libraries that write to a path take this file object instead (pretty_midi,
    pickle, wave, torch.save); the temporary name keeps the target's suffix."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open writes new files: mode 'wb' or 'w', not {mode!r}")
    target = _real_target(Path(target))
    fd, temporary = _create_beside(target)
    try:
        text = {"encoding": encoding or "utf-8"} if mode == "w" else {}
        with os.fdopen(fd, mode, **text) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        _remove(temporary)
        raise
    _sync_folder(target.parent)
    _sweep_leftovers(target)


def atomic_write_text(target: str | Path, text: str) -> None:
    """`text` into `target` (UTF-8), whole or not at all: for reports and results files."""
    with atomic_open(target, "w") as file:
        file.write(text)


LEFTOVER_AGE_S = 3600.0  # far longer than any save takes


def _sweep_leftovers(target: Path) -> None:
    """Remove the temporary files of saves of `target` killed before they could."""
    pattern = re.compile(rf"\.{re.escape(target.stem)}\.[0-9a-f]{{8}}\.tmp"
                         rf"{re.escape(target.suffix)}")
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            with contextlib.suppress(OSError):
                if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False) \
                        and now - entry.stat(follow_symlinks=False).st_mtime > LEFTOVER_AGE_S:
                    os.remove(entry.path)


def _real_target(target: Path) -> Path:
    """Through a symbolic link to the file it names: replacing the link itself would
    turn it into a plain file and leave the linked file unsaved."""
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def _create_beside(target: Path) -> tuple[int, Path]:
    """A new, empty file in the target's folder. Created with mode 0o666 less the umask
    (as an ordinary save would make it), then given the mode of the file it replaces."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temporary = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.tmp{target.suffix}")
        try:
            fd = os.open(temporary, flags, 0o666)
        except FileExistsError:
            continue
        with contextlib.suppress(OSError):
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
        return fd, temporary
    raise FileExistsError(f"no free temporary name beside {target}")


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable. Windows cannot open a folder for this, and some
    file systems refuse to sync one; the new file is in place either way."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
