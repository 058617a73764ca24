import json

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
