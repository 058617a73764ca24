import json
import re

import pytest
import torch

from composer.ml.checkpoint import card_path, load_checkpoint, save_checkpoint
from composer.ml.errors import ModelError

from .conftest import tiny_model


def test_a_saved_checkpoint_loads_with_the_same_weights_and_card(tmp_path):
    model = tiny_model("gru")
    path = tmp_path / "net.pt"
    save_checkpoint(path, model, model.config, {"command": "composer train --cell gru"})
    loaded = load_checkpoint(path)
    assert loaded.config == model.config
    for (k, a), (_, b) in zip(model.state_dict().items(), loaded.model.state_dict().items()):
        assert torch.equal(a, b), k
    card = json.loads(card_path(path).read_text())
    assert card["command"] == "composer train --cell gru" and card["config"]["cell"] == "gru"


def test_a_damaged_file_names_itself_and_the_fix(tmp_path):
    path = tmp_path / "broken.pt"
    path.write_bytes(b"this is not a checkpoint at all")
    with pytest.raises(ModelError, match="broken.pt.*composer train"):
        load_checkpoint(path)


def test_a_truncated_checkpoint_is_refused(tmp_path):
    model = tiny_model()
    path = tmp_path / "cut.pt"
    save_checkpoint(path, model, model.config, {})
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ModelError, match="cut.pt"):
        load_checkpoint(path)


def test_a_foreign_torch_file_is_refused(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(ModelError, match="not a Composer checkpoint"):
        load_checkpoint(path)


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path):
    model = tiny_model()
    path = tmp_path / "mismatch.pt"
    save_checkpoint(path, model, model.config, {})
    payload = torch.load(path, weights_only=True)
    payload["config"]["hidden"] = 99
    torch.save(payload, path)
    with pytest.raises(ModelError, match="do not fit"):
        load_checkpoint(path)


def test_a_missing_file_says_how_to_make_one(tmp_path):
    with pytest.raises(ModelError, match="does not exist.*composer train"):
        load_checkpoint(tmp_path / "nowhere.pt")


def test_checkpoints_refuse_pickled_code(tmp_path):
    """weights_only=True: a file that would run code on load is not a checkpoint."""
    path = tmp_path / "evil.pt"
    torch.save({"format": "composer-checkpoint", "payload": object()}, path)
    with pytest.raises(ModelError, match="evil.pt"):
        load_checkpoint(path)


# --- hostile and strange checkpoints (issue 13) ----------------------------------------

def _payload(model=None, **config_changes) -> dict:
    """What save_checkpoint writes, with the config changed as told and the weights of a
    tiny net (never the net the config would make: that is what a hostile file does)."""
    model = model or tiny_model()
    return {"format": "composer-checkpoint", "version": 1,
            "config": {**model.config.to_dict(), **config_changes},
            "state_dict": {k: v.clone() for k, v in model.state_dict().items()}}


def _save(path, payload):
    torch.save(payload, path)
    return path


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_weights_holding_nan_or_infinity_are_refused(tmp_path, value):
    payload = _payload()
    payload["state_dict"]["rnn.weight_hh_l1"][3, 5] = value
    path = _save(tmp_path / "diverged.pt", payload)
    with pytest.raises(ModelError, match=r"diverged.pt: the weights hold NaN or infinite values "
                       r"\(1 of 2,304 in rnn.weight_hh_l1\).*retrain it"):
        load_checkpoint(path)


@pytest.mark.parametrize("changes, problem", [
    ({"layers": 100_000}, "layers 100,000 is outside 1 to 16"),
    ({"hidden": 200_000}, "hidden 200,000 is outside 1 to 4,096"),
    ({"embed": 10**12}, "embed 1,000,000,000,000 is outside 1 to 4,096"),
    ({"layers": 0}, "layers 0 is outside 1 to 16"),
    ({"hidden": -5}, "hidden -5 is outside 1 to 4,096"),
    ({"layers": 16, "hidden": 4096}, "more than the 100,000,000 this app builds"),
    ({"dropout": 1.5}, r"dropout 1.5 is outside \[0, 1\)"),
    ({"dropout": float("nan")}, r"dropout nan is outside \[0, 1\)"),
    ({"hidden": "256"}, "hidden must be a whole number, got '256'"),
    ({"layers": 2.0}, "layers must be a whole number, got 2.0"),
    ({"layers": True}, "layers must be a whole number, got True"),
    ({"cell": "transformer"}, "unknown cell 'transformer'"),
    ({"vocab": 10**9}, r"unknown fields \['vocab'\]"),
])
def test_a_config_out_of_bounds_is_refused_before_the_net_is_built(tmp_path, monkeypatch,
                                                                  changes, problem):
    import composer.ml.checkpoint as checkpoint

    def never(_config):
        raise AssertionError("build_model was called")

    monkeypatch.setattr(checkpoint, "build_model", never)
    path = _save(tmp_path / "huge.pt", _payload(**changes))
    with pytest.raises(ModelError, match=f"huge.pt: its config cannot be used \\(.*{problem}.*"
                       "composer train"):
        load_checkpoint(path)


def test_a_config_that_is_not_a_mapping_is_refused(tmp_path):
    payload = _payload()
    payload["config"] = [256, 2]
    with pytest.raises(ModelError, match="config.pt: its config cannot be used .*a list, not "
                       "a mapping"):
        load_checkpoint(_save(tmp_path / "config.pt", payload))


@pytest.mark.parametrize("key, tensor, problem", [
    ("token_embed.weight", torch.zeros(1000, 12),
     r"token_embed.weight has shape \(1000, 12\) where a 2 x 24 LSTM with embed 12 has "
     r"\(131, 12\): a vocabulary of 1,000 input tokens where this Composer has 131"),
    ("out.weight", torch.zeros(7, 24), r"out.weight has shape \(7, 24\) where .* has "
     r"\(130, 24\): 7 output tokens where this Composer has 130"),
    # 40 G elements over a storage of one: torch.load makes it for free, touching it would not
    ("rnn.weight_hh_l0", torch.zeros(1).expand(200_000, 200_000),
     r"rnn.weight_hh_l0 has shape \(200000, 200000\) where .* has \(96, 24\)"),
    ("rnn.bias_hh_l0", torch.zeros(96, dtype=torch.complex64), "holds torch.complex64"),
    ("rnn.bias_hh_l0", torch.zeros(96, dtype=torch.int64), "holds torch.int64"),
    ("rnn.bias_hh_l0", 3.0, "rnn.bias_hh_l0 is a float, not a tensor"),
])
def test_tensors_that_disagree_with_the_config_are_refused_before_they_are_used(
        tmp_path, key, tensor, problem):
    payload = _payload()
    payload["state_dict"][key] = tensor
    path = _save(tmp_path / "shapes.pt", payload)
    with pytest.raises(ModelError, match=f"shapes.pt: weights do not fit its config "
                       f"\\(.*{problem}"):
        load_checkpoint(path)


def test_missing_and_unexpected_tensors_are_named(tmp_path):
    payload = _payload()
    del payload["state_dict"]["out.bias"]
    payload["state_dict"]["extra.weight"] = torch.zeros(2)
    with pytest.raises(ModelError, match="missing out.bias; unexpected extra.weight"):
        load_checkpoint(_save(tmp_path / "keys.pt", payload))


def test_a_folder_in_the_checkpoints_place_is_refused(tmp_path):
    (tmp_path / "net.pt").mkdir()
    with pytest.raises(ModelError, match="net.pt is a folder, not a checkpoint file"):
        load_checkpoint(tmp_path / "net.pt")


def test_a_file_larger_than_any_checkpoint_is_refused_before_it_is_read(tmp_path,
                                                                        monkeypatch):
    import zipfile

    import composer.ml.checkpoint as checkpoint

    monkeypatch.setattr(checkpoint.torch, "load", lambda *a, **k: pytest.fail("read"))
    model = tiny_model()
    path = tmp_path / "big.pt"
    save_checkpoint(path, model, model.config, {})
    monkeypatch.setattr(checkpoint, "MAX_FILE_BYTES", path.stat().st_size - 1)
    with pytest.raises(ModelError, match="big.pt is 0.0 GB, more than any checkpoint"):
        load_checkpoint(path)
    # a small archive that would unpack to far more than its size
    bomb = tmp_path / "bomb.pt"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb/data/0", bytes(20 * 2**20))
    monkeypatch.setattr(checkpoint, "MAX_FILE_BYTES", 10 * 2**20)
    assert bomb.stat().st_size < 2**20
    with pytest.raises(ModelError, match="bomb.pt declares 0.0 GB of contents, more than any"):
        load_checkpoint(bomb)


def test_the_app_gets_the_refusal_through_load_sampler(tmp_path):
    """The GUI loads nets through composer.ml.generate.load_sampler."""
    from composer.ml.generate import load_sampler

    payload = _payload()
    payload["state_dict"]["out.bias"][0] = float("nan")
    path = _save(tmp_path / "app.pt", payload)
    with pytest.raises(ModelError, match="app.pt: the weights hold NaN"):
        load_sampler(path)
    payload = _payload(layers=100_000)
    path = _save(tmp_path / "deep.pt", payload)
    with pytest.raises(ModelError, match="deep.pt: its config cannot be used"):
        load_sampler(path)


# --- cards: informational, so a damaged one is reported and the weights still load -------

def _good(tmp_path, name="net"):
    model = tiny_model()
    path = tmp_path / f"{name}.pt"
    save_checkpoint(path, model, model.config, {"data": {"dataset": "corpus"}})
    return path, model


def _json_card(config):
    return {"format": "composer-checkpoint", "version": 1, "config": config}


@pytest.mark.parametrize("write, problem", [
    (lambda p, c: p.write_bytes(b"\xff\xfe{\x00\"\x00f\x00"), r"is not UTF-8 text \(byte 0xff "
     "at offset 0\\)"),
    (lambda p, c: p.write_text('{"format": "composer-checkpoint", "config": {'),
     "is not JSON"),
    (lambda p, c: p.write_text('"just a string"'), "holds a JSON string where a card is a "
     "JSON object"),
    (lambda p, c: p.write_text("[1, 2, 3]"), "holds a JSON list"),
    (lambda p, c: p.write_text("42"), "holds a JSON number"),
    (lambda p, c: p.write_text("null"), "holds a JSON null"),
    (lambda p, c: p.write_text("[" * 100_000 + "]" * 100_000), "is not JSON"),
    (lambda p, c: p.mkdir(), "is a folder, not a file"),
    (lambda p, c: None, "is missing"),
    (lambda p, c: p.write_text("{}"), "is not a Composer card"),
    (lambda p, c: p.write_text(json.dumps({"format": "composer-checkpoint"})),
     "lacks its 'config'"),
    (lambda p, c: p.write_text(json.dumps({**_json_card(c), "data": [1]})),
     "has a list for 'data' where a card has a dict"),
    (lambda p, c: p.write_text(json.dumps({**_json_card(c), "history": [1]})),
     "'history' list holding more than objects"),
    (lambda p, c: p.write_text(json.dumps(_json_card({**c, "hidden": 512}))),
     "belongs to another checkpoint"),
])
def test_a_damaged_card_is_reported_and_the_weights_still_load(tmp_path, write, problem):
    path, model = _good(tmp_path)
    card = card_path(path)
    card.unlink()
    write(card, model.config.to_dict())
    loaded = load_checkpoint(path)
    assert loaded.card == {}
    assert f"the card {card} " in loaded.card_problem
    assert re.search(problem, loaded.card_problem), loaded.card_problem
    assert "its weights are used all the same;" in loaded.card_problem
    for (k, a), (_, b) in zip(model.state_dict().items(), loaded.model.state_dict().items()):
        assert torch.equal(a, b), k


def test_a_good_card_has_no_problem(tmp_path):
    path, _model = _good(tmp_path)
    loaded = load_checkpoint(path)
    assert loaded.card_problem is None and loaded.card["data"] == {"dataset": "corpus"}


def test_read_card_refuses_with_the_same_message(tmp_path):
    from composer.ml.checkpoint import read_card

    path = tmp_path / "x.json"
    path.write_text('"a string"')
    with pytest.raises(ModelError, match="x.json holds a JSON string"):
        read_card(path)


# --- fast and small: each refusal in a process limited to 2 GB of address space ----------

LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))
from composer.ml.checkpoint import load_checkpoint
from composer.ml.errors import ModelError
for path in sys.argv[1:]:
    try:
        ckpt = load_checkpoint(path)
        print("LOADED", path, ckpt.card_problem)
    except ModelError as exc:
        print("REFUSED", exc)
"""


def test_hostile_checkpoints_are_refused_quickly_in_little_memory(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    nan = _payload()
    nan["state_dict"]["rnn.weight_ih_l0"].fill_(float("nan"))
    stretched = _payload()
    stretched["state_dict"]["rnn.weight_hh_l0"] = torch.zeros(1).expand(200_000, 200_000)
    files = [_save(tmp_path / "nan.pt", nan),
             _save(tmp_path / "layers.pt", _payload(layers=100_000)),
             _save(tmp_path / "hidden.pt", _payload(hidden=200_000)),
             _save(tmp_path / "embed.pt", _payload(embed=10**9)),
             _save(tmp_path / "stretched.pt", stretched)]
    card_damaged, _ = _good(tmp_path, "card")
    card_path(card_damaged).write_bytes(b"\xff\xfe\x00garbage")
    result = subprocess.run([sys.executable, "-c", LIMITED, *map(str, files),
                             str(card_damaged)], cwd=repo, capture_output=True, text=True,
                            timeout=120)  # a guard against a hang, not a performance target
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 6, result.stdout + result.stderr
    assert all(line.startswith("REFUSED") for line in lines[:5]), lines
    assert "nan.pt: the weights hold NaN" in lines[0]
    assert "layers 100,000 is outside 1 to 16" in lines[1]
    assert "hidden 200,000 is outside 1 to 4,096" in lines[2]
    assert "embed 1,000,000,000 is outside" in lines[3]
    assert "has shape (200000, 200000)" in lines[4]
    assert lines[5].startswith("LOADED") and "is not UTF-8 text" in lines[5]
