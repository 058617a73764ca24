"""Saving replaces a file atomically: whatever happens during a save (the process killed,
the disk full, the folder read-only, Ctrl+C), the file on disk is the old one or the new
one, whole, and no temporary file is left behind where the process lives to remove it."""

import os
import pickle
import random
import signal
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from composer.atomic_write import atomic_open
from composer.music.errors import FileFormatError
from composer.music.files import read_score, write_score
from composer.music.score import Note, Score
from tests.child_output import wait_for_line

ROOT = Path(__file__).resolve().parents[2]
KILLS = 50
AT_ONCE = 5  # saving processes alive together

SAVE_FOREVER = """
import pickle, sys
from composer.music.files import write_score
scores = pickle.loads(open(sys.argv[1], "rb").read())
print("ready", flush=True)
turn = 1
while True:  # the new score, the old one, the new one...: each save replaces the other
    write_score(sys.argv[2], scores[turn % 2])
    turn += 1
"""


def large_score(seed: int, notes_per_voice: int = 2500) -> Score:
    rng = random.Random(seed)
    voices = []
    for low in (60, 53, 48, 36):
        notes, step = [], 0
        for _ in range(notes_per_voice):
            duration = rng.choice((1, 2, 4))
            notes.append(Note(step, duration, rng.randint(low, low + 12), rng.randint(30, 110)))
            step += duration
        voices.append(tuple(notes))
    return Score(voices=tuple(voices), tempo=96)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_killing_a_saving_process_leaves_the_old_file_or_the_new_one_whole(tmp_path):
    old, new = large_score(1, notes_per_voice=1000), large_score(2, notes_per_voice=1000)
    payload = tmp_path / "scores.pickle"
    payload.write_bytes(pickle.dumps((old, new)))
    write_score(tmp_path / "old.mid", old)
    write_score(tmp_path / "new.mid", new)
    whole = {"old": (tmp_path / "old.mid").read_bytes(), "new": (tmp_path / "new.mid").read_bytes()}
    rng = random.Random(13)
    outcomes, interrupted = [], 0
    for batch in range(KILLS // AT_ONCE):
        trials = []
        for i in range(AT_ONCE):
            folder = tmp_path / f"kill{batch * AT_ONCE + i}"
            folder.mkdir()
            (folder / "chorale.mid").write_bytes(whole["old"])
            child = subprocess.Popen([sys.executable, "-c", SAVE_FOREVER, str(payload),
                                      str(folder / "chorale.mid")], cwd=ROOT,
                                     stdout=subprocess.PIPE)
            trials.append((rng.uniform(0.0, 0.5), folder, child))
        for _, _, child in trials:
            assert wait_for_line(child.stdout, b"ready")
        started = time.monotonic()
        for delay, folder, child in sorted(trials, key=lambda t: t[0]):
            time.sleep(max(0.0, started + delay - time.monotonic()))
            child.send_signal(signal.SIGKILL)
            assert child.wait() == -signal.SIGKILL
            child.stdout.close()
            content = (folder / "chorale.mid").read_bytes()
            torn = f"{folder.name}: {len(content)} bytes, neither the old file nor the new"
            assert content in whole.values(), torn
            outcomes.append("old" if content == whole["old"] else "new")
            interrupted += len(names(folder)) > 1  # a temporary file: killed mid-save
    assert read_score(folder / "chorale.mid").score in (old, new)
    # the kills landed mid-save often enough, and not always at the same moment
    assert interrupted >= KILLS // 10, (interrupted, outcomes)
    assert set(outcomes) == {"old", "new"}


def test_ctrl_c_while_writing_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "cache.pickle"
    target.write_bytes(b"the old cache")
    with pytest.raises(KeyboardInterrupt), atomic_open(target) as file:
        file.write(b"half of the new")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"the old cache"
    assert names(tmp_path) == ["cache.pickle"]


def test_the_next_save_removes_what_a_killed_save_left_once_it_is_old(tmp_path):
    target = tmp_path / "chorale.mid"
    write_score(target, Score(voices=((Note(0, 4, 72),), (), (), ()), length=16))
    old, fresh = tmp_path / ".chorale.0123abcd.tmp.mid", tmp_path / ".chorale.89abcdef.tmp.mid"
    other = tmp_path / ".another.0123abcd.tmp.mid"  # a leftover of another file's save
    for leftover in (old, fresh, other):
        leftover.write_bytes(b"half a save")
    an_hour_ago = time.time() - 3700
    for leftover in (old, other):
        os.utime(leftover, (an_hour_ago, an_hour_ago))
    write_score(target, Score(voices=((Note(0, 4, 74),), (), (), ()), length=16))
    assert not old.exists()
    assert fresh.exists() and other.exists()  # a save may still be writing it; not ours
    assert read_score(target).score.voices[0][0].pitch == 74


class Unpicklable:
    def __reduce__(self):
        raise pickle.PicklingError("this object cannot be saved")


def test_a_writer_that_fails_half_way_keeps_the_old_file(tmp_path):
    target = tmp_path / "cache.pickle"
    target.write_bytes(b"the old cache")
    with pytest.raises(pickle.PicklingError), atomic_open(target) as file:
        pickle.dump(["picklable", Unpicklable()], file)
    assert target.read_bytes() == b"the old cache"
    assert names(tmp_path) == ["cache.pickle"]


def test_a_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    target = tmp_path / "chorale.mid"
    target.write_bytes(b"old")
    target.chmod(0o640)
    write_score(target, large_score(3, notes_per_voice=4))
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_saving_through_a_symbolic_link_updates_the_linked_file(tmp_path):
    real = tmp_path / "real.mid"
    write_score(real, large_score(4, notes_per_voice=4))
    (tmp_path / "link.mid").symlink_to(real)
    score = large_score(5, notes_per_voice=4)
    write_score(tmp_path / "link.mid", score)
    assert (tmp_path / "link.mid").is_symlink()
    assert read_score(real).score == score
    assert names(tmp_path) == ["link.mid", "real.mid"]


@pytest.mark.parametrize("suffix", [".mid", ".musicxml", ".mxl"])
def test_a_save_into_a_missing_folder_says_the_folder_does_not_exist(tmp_path, suffix):
    path = tmp_path / "gone" / f"chorale{suffix}"
    with pytest.raises(FileFormatError, match=r"the folder .*gone does not exist"):
        write_score(path, large_score(6, notes_per_voice=4))


@contextmanager
def small_disk(folder: Path, options: str):
    """A file system of its own at `folder` (a tmpfs mount, which needs root)."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_save_on_a_full_disk_says_so_and_keeps_the_old_file(tmp_path):
    with small_disk(tmp_path / "disk", "size=64k") as disk:
        write_score(disk / "chorale.mid", large_score(7, notes_per_voice=10))
        before = (disk / "chorale.mid").read_bytes()
        with pytest.raises(FileFormatError, match="chorale.mid: the disk is full") as error:
            write_score(disk / "chorale.mid", large_score(8))  # about 65 KB
        assert "the previous chorale.mid is unchanged" in str(error.value)
        assert (disk / "chorale.mid").read_bytes() == before
        assert names(disk) == ["chorale.mid"]


SAVE_WITHIN_LIMIT = """
import pickle, resource, signal, sys
from composer.music.files import FileFormatError, write_score
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # then a write past the limit fails: EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), int(sys.argv[3])))
try:
    write_score(sys.argv[2], pickle.loads(open(sys.argv[1], "rb").read()))
except FileFormatError as error:
    print(error)
"""


def test_a_save_past_the_file_size_limit_fails_cleanly(tmp_path):
    """The same as a full disk, without root: a process limited to files of 16 KB."""
    target = tmp_path / "save" / "chorale.mid"
    target.parent.mkdir()
    write_score(target, large_score(9, notes_per_voice=10))
    before = target.read_bytes()
    (tmp_path / "new.pickle").write_bytes(pickle.dumps(large_score(10)))
    result = subprocess.run([sys.executable, "-c", SAVE_WITHIN_LIMIT, str(tmp_path / "new.pickle"),
                             str(target), str(16 * 1024)], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    assert "the disk is full (File too large)" in result.stdout
    assert target.read_bytes() == before
    assert names(target.parent) == ["chorale.mid"]


@contextmanager
def read_only_folder(folder: Path, existing: str):
    """A folder holding the file `existing` that cannot be written to. Root writes to any
    folder whatever its mode, so for root it is a file system mounted read-only."""
    if os.geteuid() != 0:
        folder.mkdir()
        (folder / existing).write_bytes(b"old")
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    with small_disk(folder, "size=1m"):
        (folder / existing).write_bytes(b"old")
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder


@pytest.mark.parametrize("name", ["chorale.mid", "chorale.musicxml"])
def test_a_save_into_a_read_only_folder_says_so_and_keeps_the_old_file(tmp_path, name):
    with read_only_folder(tmp_path / "locked", name) as folder:
        with pytest.raises(FileFormatError, match="locked cannot be written to"):
            write_score(folder / name, large_score(11, notes_per_voice=4))
        assert (folder / name).read_bytes() == b"old"
        assert names(folder) == [name]
