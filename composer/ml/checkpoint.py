"""Checkpoints: a state_dict with its config in a .pt file, and a JSON card beside it.

The .pt file is read with torch.load(weights_only=True), so it can hold only tensors and
plain values; the card (`name.json` beside `name.pt`) says what the net is and how it was
made: config, data split fingerprint, metrics, training time, the exact command.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import torch
from torch import nn

from composer.ml.errors import ModelError
from composer.ml.model import ModelConfig, build_model

FORMAT = "composer-checkpoint"
VERSION = 1
# models/ at the top of the source tree, installed as the package composer.models: found
# the same way from a wheel, an editable install and a checkout.
MODELS_DIR = Path(str(resources.files("composer.models")))
SHIPPED = ("lstm", "gru")


@dataclass
class Checkpoint:
    model: nn.Module
    config: ModelConfig
    card: dict = field(default_factory=dict)
    path: Path | None = None
    training: dict = field(default_factory=dict)  # optimizer state etc., for resuming


def card_path(path: str | Path) -> Path:
    return Path(path).with_suffix(".json")


def resolve(name_or_path: str | Path) -> Path:
    """'lstm' / 'gru' name the shipped nets; anything else is a file path."""
    if str(name_or_path) in SHIPPED:
        return MODELS_DIR / f"{name_or_path}.pt"
    return Path(name_or_path)


def save_checkpoint(path: str | Path, model: nn.Module, config: ModelConfig, card: dict,
                    training: dict | None = None) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {"format": FORMAT, "version": VERSION, "config": config.to_dict(),
               "state_dict": state}
    if training:
        payload["training"] = training
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)
    card = {"format": FORMAT, "version": VERSION, "config": config.to_dict(), **card}
    write_json(card_path(path), card)


def write_json(path: str | Path, data: object) -> None:
    """Atomically, so a reader (or a run stopped half-way) never meets half a file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)


def load_checkpoint(name_or_path: str | Path) -> Checkpoint:
    path = resolve(name_or_path)
    fix = "train one with `composer train --cell lstm -o PATH` or pick another file"
    if not path.exists():
        raise ModelError(f"checkpoint {path} does not exist: {fix}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch.load fails in many ways on foreign bytes
        raise ModelError(
            f"{path} is not a readable checkpoint ({type(exc).__name__}): the file is damaged "
            f"or not a Composer checkpoint; {fix}"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(f"{path} is a torch file but not a Composer checkpoint; {fix}")
    if payload.get("version") != VERSION:
        raise ModelError(f"{path} has checkpoint version {payload.get('version')}, this "
                         f"Composer reads version {VERSION}; retrain it with this version")
    try:
        config = ModelConfig.from_dict(payload["config"])
        model = build_model(config)
        model.load_state_dict(payload["state_dict"])
    except (KeyError, TypeError) as exc:
        raise ModelError(f"{path}: the checkpoint lacks {exc}; {fix}") from None
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise ModelError(f"{path}: weights do not fit its config ({first}); {fix}") from None
    model.eval()
    card = {}
    if card_path(path).exists():
        try:
            card = json.loads(card_path(path).read_text())
        except json.JSONDecodeError:
            card = {}
    return Checkpoint(model, config, card, path, payload.get("training", {}))
