import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from composer.ml.checkpoint import card_path, load_checkpoint
from composer.ml.model import ModelConfig
from composer.ml.train import TrainConfig, resume_path, train
from composer.music.tokens import pitch_grid
from composer.work import Cancelled

REPO = Path(__file__).resolve().parents[2]


def tiny_config(out, **changes) -> TrainConfig:
    base = dict(out=str(out), model=ModelConfig(hidden=16, layers=1, embed=8, dropout=0.0),
                window_steps=16, batch_size=8, windows_per_epoch=32, epochs=2, lr=1e-2,
                warmup_steps=1, threads=1, command="pytest")
    base.update(changes)
    return TrainConfig(**base)


def test_training_lowers_the_loss_and_writes_checkpoint_and_card(tmp_path, splits):
    out = tmp_path / "net.pt"
    card = train(tiny_config(out, epochs=4), chorales=splits, log=lambda _m: None)
    history = card["history"]
    assert len(history) == 4
    assert history[-1]["valid"]["nll_token"] < history[0]["valid"]["nll_token"]
    saved = json.loads(card_path(out).read_text())
    assert saved["metrics"]["test"]["nll_token"] > 0
    assert saved["data"]["train_fingerprint"] and saved["data"]["test_fingerprint"]
    assert saved["command"] == "pytest" and saved["tokens_per_second"] > 0
    assert load_checkpoint(out).config.hidden == 16


def test_training_resumes_where_it_stopped(tmp_path, splits):
    out = tmp_path / "net.pt"
    train(tiny_config(out, epochs=1), chorales=splits, log=lambda _m: None)
    card = train(tiny_config(out, epochs=3, resume=str(resume_path(out))), chorales=splits,
                 log=lambda _m: None)
    assert [h["epoch"] for h in card["history"]] == [1, 2, 3]


def test_a_resumed_run_ends_where_one_that_never_stopped_ends(tmp_path, splits):
    """Optimizer state, step count, schedule and best weights all carry over a resume."""
    whole, parts = tmp_path / "whole.pt", tmp_path / "parts.pt"
    plan = dict(epochs=3, max_steps=12)  # 4 steps an epoch; the same schedule in both
    train(tiny_config(whole, **plan), chorales=splits, log=lambda _m: None)
    train(tiny_config(parts, **{**plan, "epochs": 1}), chorales=splits, log=lambda _m: None)
    card = train(tiny_config(parts, **plan, resume=str(resume_path(parts))), chorales=splits,
                 log=lambda _m: None)
    for one, other in ((whole, parts), (resume_path(whole), resume_path(parts))):
        a, b = load_checkpoint(one).model.state_dict(), load_checkpoint(other).model.state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a)
    straight = json.loads(card_path(whole).read_text())
    assert [h["valid"] for h in card["history"]] == [h["valid"] for h in straight["history"]]
    assert card["steps"] == straight["steps"] == 12
    assert card["commands"] == ["pytest", "pytest"]


def test_a_net_started_from_another_names_every_run_that_made_its_weights(tmp_path, splits):
    first, second = tmp_path / "first.pt", tmp_path / "second.pt"
    train(tiny_config(first, epochs=1, command="composer train -o first.pt"), chorales=splits,
          log=lambda _m: None)
    card = train(tiny_config(second, epochs=1, init=str(first), command="composer train "
                             "--init first.pt -o second.pt"), chorales=splits,
                 log=lambda _m: None)
    assert card["commands"] == ["composer train -o first.pt",
                                "composer train --init first.pt -o second.pt"]
    assert card["command"] == "composer train --init first.pt -o second.pt"


def test_cancel_stops_training(tmp_path, splits):
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        train(tiny_config(tmp_path / "x.pt"), chorales=splits, cancel=cancel, log=lambda _m: None)


def test_same_seed_same_weights(tmp_path, splits):
    a = train(tiny_config(tmp_path / "a.pt", epochs=1), chorales=splits, log=lambda _m: None)
    b = train(tiny_config(tmp_path / "b.pt", epochs=1), chorales=splits, log=lambda _m: None)
    assert a["history"][0]["valid"] == b["history"][0]["valid"]


def _jsb_style_file(path: Path, chorales) -> None:
    """The small corpus in the JSB file layout, so a subprocess can read it."""
    grids = [pitch_grid(c.grid).astype(int).tolist() for c in chorales]
    path.write_text(json.dumps({"train": grids[:6], "valid": grids[6:], "test": grids[6:]}))


def test_the_train_command_runs_under_torchrun_with_two_processes(tmp_path, chorales):
    data = tmp_path / "tiny.json"
    _jsb_style_file(data, chorales)
    out = tmp_path / "ddp.pt"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           "--nproc_per_node", "2", "-m", "composer", "train", "--cell", "gru", "--data", "jsb",
           "--jsb-path", str(data), "--hidden", "16", "--layers", "1", "--embed", "8",
           "--window", "16", "--batch-size", "4", "--windows-per-epoch", "32", "--epochs", "2",
           "--threads", "1", "-o", str(out)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=240)
    finally:  # never leave worker processes behind
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, stderr[-3000:]
    card = json.loads(card_path(out).read_text())
    assert card["processes"] == 2
    assert len(card["history"]) == 2
    assert np.isfinite(card["metrics"]["test"]["nll_token"])
