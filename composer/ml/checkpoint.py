"""Checkpoints: a state_dict with its config in a .pt file, and a JSON card beside it.

The .pt file is read with torch.load(weights_only=True), so it can hold only tensors and
plain values; the card (`name.json` beside `name.pt`) says what the net is and how it was
made: config, data split fingerprint, metrics, training time, the exact command.
"""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import torch
from torch import nn

from composer.atomic_write import atomic_open
from composer.ml.errors import ModelError
from composer.ml.model import MAX_PARAMETERS, ModelConfig, build_model

FORMAT = "composer-checkpoint"
VERSION = 1
# models/ at the top of the source tree, installed as the package composer.models: found
# the same way from a wheel, an editable install and a checkout.
MODELS_DIR = Path(str(resources.files("composer.models")))
SHIPPED = ("lstm", "gru")
HARMONIZER = "harmonizer"  # models/harmonizer.pt: Harmonize's network, where it is shipped


@dataclass
class Checkpoint:
    model: nn.Module
    config: ModelConfig
    card: dict = field(default_factory=dict)
    path: Path | None = None
    training: dict = field(default_factory=dict)  # optimizer state etc., for resuming
    card_problem: str | None = None  # why the card is not used (the weights are), if it is not


def card_path(path: str | Path) -> Path:
    return Path(path).with_suffix(".json")


def resolve(name_or_path: str | Path) -> Path:
    """'lstm' / 'gru' / 'harmonizer' name the shipped nets; anything else is a file path."""
    if str(name_or_path) in (*SHIPPED, HARMONIZER):
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
    with atomic_open(path) as file:  # synced, then renamed: never half a checkpoint
        torch.save(payload, file)
    card = {"format": FORMAT, "version": VERSION, "config": config.to_dict(), **card}
    write_json(card_path(path), card)


def write_json(path: str | Path, data: object) -> None:
    """Atomically, so a reader (or a run stopped half-way) never meets half a file."""
    with atomic_open(path, "w") as file:
        file.write(json.dumps(data, indent=2) + "\n")


# A checkpoint holds the weights, at most twice over again in a resume file's optimizer
# state (Adam's two moments), in at most 8-byte floats, plus change: anything larger is not
# a checkpoint of a network this app builds, and is refused before it is read.
MAX_FILE_BYTES = 8 * 3 * MAX_PARAMETERS + 64 * 2**20
MAX_CARD_BYTES = 16 * 2**20
FIX = "train one with `composer train --cell lstm -o PATH` or pick another file"
CARD_FIX = ("the card only describes the net, so its weights are used all the same; delete "
            "the card or write a new one by training")


def load_checkpoint(name_or_path: str | Path) -> Checkpoint:
    """The network in a checkpoint file, or a ModelError naming the file, what is wrong and
    what to do. Everything is checked before anything large is made: the file's size and
    the archive's declared sizes before reading it, the config's numbers against the sane
    bounds of composer.ml.model and every tensor's shape against that config before the
    network is built, and the weights for NaN and infinity before they are used. A damaged
    card does not stop good weights from loading: Checkpoint.card is then empty and
    Checkpoint.card_problem says what is wrong with it."""
    path = resolve(name_or_path)
    payload = _read_payload(path)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(f"{path} is a torch file but not a Composer checkpoint; {FIX}")
    if payload.get("version") != VERSION:
        raise ModelError(f"{path} has checkpoint version {payload.get('version')!r}, this "
                         f"Composer reads version {VERSION}; retrain it with this version")
    if "config" not in payload or "state_dict" not in payload:
        missing = "config" if "config" not in payload else "state_dict"
        raise ModelError(f"{path}: the checkpoint lacks its {missing!r}; {FIX}")
    try:
        config = ModelConfig.from_dict(payload["config"])
    except ModelError as exc:
        raise ModelError(f"{path}: its config cannot be used ({exc}): the file is damaged "
                         f"or was not written by Composer; {FIX}") from None
    state = _checked_state(path, config, payload["state_dict"])
    model = build_model(config)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:  # checked above; kept for what the checks cannot foresee
        first = str(exc).splitlines()[0]
        raise ModelError(f"{path}: weights do not fit its config ({first}); {FIX}") from None
    model.eval()
    training = payload.get("training", {})
    if not isinstance(training, dict):
        raise ModelError(f"{path}: its training state is a {type(training).__name__}, not "
                         f"a mapping; {FIX}")
    card, problem = {}, None
    try:
        card = read_card(card_path(path), config)
    except ModelError as exc:
        problem = str(exc)
    return Checkpoint(model, config, card, path, training, problem)


def _read_payload(path: Path) -> object:
    """torch.load(weights_only=True) of a file no larger than a checkpoint can be."""
    try:
        if path.is_dir():
            raise ModelError(f"{path} is a folder, not a checkpoint file; {FIX}")
        if not path.exists():
            raise ModelError(f"checkpoint {path} does not exist: {FIX}")
        size = path.stat().st_size
    except OSError as exc:
        raise ModelError(f"checkpoint {path} cannot be read ({exc.strerror or exc}); "
                         f"{FIX}") from None
    if size > MAX_FILE_BYTES:
        raise ModelError(f"{path} is {size / 2**30:.1f} GB, more than any checkpoint of a "
                         f"network within this app's bounds ({MAX_FILE_BYTES / 2**30:.1f} GB);"
                         f" {FIX}")
    # torch.save writes a zip archive; its declared sizes say what reading it would allocate
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ModelError(f"{path} is not a readable checkpoint (not the zip archive "
                         f"torch.save writes): the file is damaged or not a Composer "
                         f"checkpoint; {FIX}") from None
    if declared > MAX_FILE_BYTES:
        raise ModelError(f"{path} declares {declared / 2**30:.1f} GB of contents, more than "
                         f"any checkpoint of a network within this app's bounds "
                         f"({MAX_FILE_BYTES / 2**30:.1f} GB): the file is damaged or "
                         f"hostile; {FIX}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch.load fails in many ways on foreign bytes
        raise ModelError(
            f"{path} is not a readable checkpoint ({type(exc).__name__}): the file is damaged "
            f"or not a Composer checkpoint; {FIX}"
        ) from None


def expected_state(config: ModelConfig) -> dict[str, tuple[tuple[int, ...], torch.dtype]]:
    """Name -> (shape, dtype) of every tensor in build_model(config).state_dict(), found
    on the meta device: nothing is allocated."""
    with torch.device("meta"):
        model = build_model(config)
    return {k: (tuple(v.shape), v.dtype) for k, v in model.state_dict().items()}


def _checked_state(path: Path, config: ModelConfig, state: object) -> dict:
    """The state_dict, each tensor of the shape and kind the config makes and finite."""
    def refuse(problem: str) -> ModelError:
        return ModelError(f"{path}: weights do not fit its config ({problem}); {FIX}")

    if not isinstance(state, dict):
        raise refuse(f"the state_dict is a {type(state).__name__}, not a mapping")
    expected = expected_state(config)
    missing = [k for k in expected if k not in state]
    unexpected = [str(k) for k in state if k not in expected]
    if missing or unexpected:
        parts = ([f"missing {', '.join(missing[:3])}" + (" …" if len(missing) > 3 else "")]
                 if missing else [])
        if unexpected:
            parts.append(f"unexpected {', '.join(unexpected[:3])}"
                         + (" …" if len(unexpected) > 3 else ""))
        raise refuse("; ".join(parts))
    size = (f"a {config.layers} x {config.hidden} {config.cell.upper()} with embed "
            f"{config.embed}" if config.cell != "reference" else "the reference network")
    for key, (shape, dtype) in expected.items():
        t = state[key]
        if not isinstance(t, torch.Tensor):
            raise refuse(f"{key} is a {type(t).__name__}, not a tensor")
        if t.layout != torch.strided or t.device.type != "cpu" or t.is_quantized:
            raise refuse(f"{key} is a {t.layout} tensor on {t.device.type}, not a plain one")
        if tuple(t.shape) != shape:
            raise refuse(f"{key} has shape {tuple(t.shape)} where {size} has {shape}"
                         + _vocabulary_hint(key, tuple(t.shape), shape))
        if dtype.is_floating_point != t.dtype.is_floating_point or t.dtype.is_complex \
                or t.dtype == torch.bool:
            raise refuse(f"{key} holds {t.dtype} where {size} holds {dtype}")
    for key in expected:
        t = state[key]
        if not t.dtype.is_floating_point:
            continue
        bad = int((~torch.isfinite(t)).sum())
        if bad:
            raise ModelError(
                f"{path}: the weights hold NaN or infinite values ({bad:,} of {t.numel():,} "
                f"in {key}): training diverged or the file is damaged; retrain it (a lower "
                f"--lr or --clip helps a run that diverges) or pick another checkpoint")
    return state


def _vocabulary_hint(key: str, got: tuple[int, ...], want: tuple[int, ...]) -> str:
    from composer.ml.model import INPUT_VOCAB

    if key == "token_embed.weight" and got[:1] != want[:1]:
        return (f": a vocabulary of {got[0]:,} input tokens where this Composer has "
                f"{INPUT_VOCAB}")
    if key in ("out.weight", "out.bias") and got[:1] != want[:1]:
        return f": {got[0]:,} output tokens where this Composer has {want[0]}"
    return ""


CARD_TYPES = {"config": dict, "data": dict, "metrics": dict, "history": list,
              "commands": list, "command": str}


def read_card(path: str | Path, config: ModelConfig | None = None) -> dict:
    """A checkpoint's card as a dict, or a ModelError naming the card, what is wrong with
    it (missing, a folder, too large, not UTF-8, not JSON, not a JSON object, fields of the
    wrong kind, a config other than the weights') and what to do."""
    path = Path(path)

    def refuse(problem: str, fix: str = CARD_FIX) -> ModelError:
        return ModelError(f"the card {path} {problem}; {fix}")

    try:
        if path.is_dir():
            raise refuse("is a folder, not a file")
        if not path.exists():
            raise refuse("is missing, so what the net was trained on is unknown",
                         "the card only describes the net, so its weights are used all the "
                         "same; training writes one beside the checkpoint")
        if path.stat().st_size > MAX_CARD_BYTES:
            raise refuse(f"is {path.stat().st_size / 2**20:.0f} MB, far larger than a card "
                         f"(at most {MAX_CARD_BYTES // 2**20} MB)")
        raw = path.read_bytes()
    except OSError as exc:
        raise refuse(f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refuse(f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                     f"{exc.start})") from None
    try:
        card = json.loads(text)
    except json.JSONDecodeError as exc:
        raise refuse(f"is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
                     ) from None
    except (ValueError, RecursionError) as exc:
        raise refuse(f"is not JSON a card can hold ({type(exc).__name__})") from None
    if not isinstance(card, dict):
        kind = {str: "string", list: "list", bool: "true/false", type(None): "null"}.get(
            type(card), "number")
        raise refuse(f"holds a JSON {kind} where a card is a JSON object")
    if card.get("format") != FORMAT:
        raise refuse(f"is not a Composer card (its format is {card.get('format')!r}, not "
                     f"{FORMAT!r})")
    for key, kind in CARD_TYPES.items():
        if key in card and not isinstance(card[key], kind):
            raise refuse(f"has a {type(card[key]).__name__} for {key!r} where a card has a "
                         f"{kind.__name__}")
    if "config" not in card:
        raise refuse("lacks its 'config'")
    if not all(isinstance(c, str) for c in card.get("commands", [])):
        raise refuse("has a 'commands' list holding more than strings")
    if not all(isinstance(h, dict) for h in card.get("history", [])):
        raise refuse("has a 'history' list holding more than objects")
    if config is not None and not _same_config(card["config"], config):
        raise refuse(f"describes the config {card['config']} but the weights are "
                     f"{config.to_dict()}: it belongs to another checkpoint")
    return card


def _same_config(described: object, config: ModelConfig) -> bool:
    """A card written before a config field existed describes the field's default."""
    try:
        return isinstance(described, dict) and ModelConfig.from_dict(described) == config
    except (ModelError, TypeError):
        return False


def check_training(path: str | Path, training: dict, model: nn.Module) -> None:
    """A resume file's training state fit to go on from: counters of the right kind, and an
    optimizer state whose every tensor has the shape of the parameter it belongs to (looked
    at before any is used) and is finite."""
    def refuse(problem: str) -> ModelError:
        return ModelError(f"{path}: its training state cannot be resumed ({problem}); resume "
                          "from the .resume.pt file a run wrote, or start afresh without "
                          "--resume")

    def number(value: object) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    for key in ("epoch", "step"):
        value = training.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise refuse(f"{key} is {value!r}, not a whole number of 0 or more")
    for key, allow_inf in (("best_nll", True), ("elapsed", False)):
        value = training.get(key)
        if not number(value) or math.isnan(value) or value < 0 \
                or (math.isinf(value) and not allow_inf):
            raise refuse(f"{key} is {value!r}, not a number of 0 or more")
    opt = training.get("optimizer")
    if not isinstance(opt, dict) or not isinstance(opt.get("state"), dict) \
            or not isinstance(opt.get("param_groups"), list):
        raise refuse("the optimizer state is not the mapping an optimizer writes")
    shapes = [tuple(p.shape) for p in model.parameters()]
    for group in opt["param_groups"]:
        if not isinstance(group, dict) or not isinstance(group.get("params"), list):
            raise refuse("a parameter group is not the mapping an optimizer writes")
        for key, value in group.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            if key != "params" and any(number(v) and not math.isfinite(v) for v in values):
                raise refuse(f"the optimizer's {key} is {value!r}")
        if not all(isinstance(i, int) and 0 <= i < len(shapes) for i in group["params"]):
            raise refuse(f"the optimizer names parameters this {len(shapes)}-tensor "
                         "network does not have")
    for index, slot in opt["state"].items():
        if not isinstance(index, int) or not 0 <= index < len(shapes) \
                or not isinstance(slot, dict):
            raise refuse(f"the optimizer holds state for a parameter {index!r} this network "
                         "does not have")
        for name, value in slot.items():
            if number(value) and not math.isfinite(value):
                raise refuse(f"the optimizer's {name} of parameter {index} is {value!r}")
            if not isinstance(value, torch.Tensor):
                continue
            if value.layout != torch.strided or value.device.type != "cpu":
                raise refuse(f"the optimizer's {name} of parameter {index} is not a plain "
                             "tensor")
            if value.dim() > 0 and tuple(value.shape) != shapes[index]:
                raise refuse(f"the optimizer's {name} of parameter {index} has shape "
                             f"{tuple(value.shape)} where the parameter has {shapes[index]}")
            if value.dtype.is_floating_point and not bool(torch.isfinite(value).all()):
                raise refuse(f"the optimizer's {name} of parameter {index} holds NaN or "
                             "infinite values: the run diverged")
