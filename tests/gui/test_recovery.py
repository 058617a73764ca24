"""Nothing lost after a crash: the real app, killed with SIGKILL after some edits, offers
them back at the next start."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.child_output import wait_for_line

DRIVER = Path(__file__).with_name("recovery_driver.py")
DRAWN = [[2, 72], [6, 74], [10, 76]]


def env(tmp_path: Path) -> dict:
    return dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"),
                COMPOSER_RECOVERY_DIR=str(tmp_path / "recovery"), QT_QPA_PLATFORM="offscreen")


def edit_and_kill(tmp_path: Path) -> None:
    app = subprocess.Popen([sys.executable, str(DRIVER), "edit"], env=env(tmp_path),
                           cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True)
    try:
        assert wait_for_line(app.stdout, "autosaved")
    finally:
        app.send_signal(signal.SIGKILL)
        app.wait(10)


def start_again(tmp_path: Path, answer: str) -> dict:
    out = tmp_path / "after.json"
    subprocess.run([sys.executable, str(DRIVER), "restore", str(out), answer],
                   env=env(tmp_path), cwd=tmp_path, check=True, timeout=120,
                   capture_output=True)
    return json.loads(out.read_text())


def test_edits_survive_a_kill_and_are_restored_at_the_next_start(tmp_path):
    edit_and_kill(tmp_path)
    after = start_again(tmp_path, "Yes")
    assert len(after["asked"]) == 1 and "“Untitled”" in after["asked"][0]
    assert after["notes"] == DRAWN
    assert after["modified"] and after["undo"] == "Restore unsaved changes"
    # The killed session's copy is gone; what is left is the running session's own.
    assert len([name for name in after["left"] if name.endswith(".lock")]) == 1


def test_declining_the_restore_removes_the_recovered_copy(tmp_path):
    edit_and_kill(tmp_path)
    after = start_again(tmp_path, "No")
    assert after["notes"] == [] and not after["modified"]
    again = start_again(tmp_path, "Yes")
    assert again["asked"] == []  # nothing offered a second time


def test_a_clean_exit_leaves_nothing_to_recover_and_prints_no_traceback(tmp_path):
    run = subprocess.run([sys.executable, str(DRIVER), "quit"], env=env(tmp_path),
                         cwd=tmp_path, check=True, timeout=120, capture_output=True, text=True)
    assert "Traceback" not in run.stderr, run.stderr
    assert start_again(tmp_path, "Yes")["asked"] == []


def test_two_running_instances_never_offer_each_others_copy(tmp_path):
    first = subprocess.Popen([sys.executable, str(DRIVER), "edit"], env=env(tmp_path),
                             cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    try:
        assert wait_for_line(first.stdout, "autosaved")
        after = start_again(tmp_path, "Yes")  # the first is still running
        assert after["asked"] == [] and after["notes"] == []
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
