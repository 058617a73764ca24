"""Training: random transposed windows, AdamW or NAdam, gradient clipping, warm-up and
cosine learning-rate decay, early stopping on validation NLL, a wall-clock budget,
resume, a fixed seed, and DistributedDataParallel when started under torchrun.

The cosine schedule follows whichever budget runs out first, epochs or minutes, so a
time-boxed run still ends on a small learning rate.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from composer.ml.checkpoint import load_checkpoint, save_checkpoint
from composer.ml.data import IGNORE, Chorale, WindowDataset, fingerprint, load_chorales
from composer.ml.errors import ModelError
from composer.ml.evaluate import evaluate_model
from composer.ml.model import ModelConfig, build_model, parameter_count
from composer.work import Cancel, Cancelled, Progress

OPTIMIZERS = ("adamw", "nadam")
DATASETS = ("corpus", "jsb")


@dataclass
class TrainConfig:
    out: str = "models/lstm.pt"
    dataset: str = "corpus"
    jsb_path: str | None = None
    limit: int | None = None  # chorales per split, for quick runs
    model: ModelConfig = field(default_factory=ModelConfig)
    window_steps: int = 64
    batch_size: int = 32
    windows_per_epoch: int | None = None
    epochs: int = 30
    max_minutes: float | None = None
    max_steps: int | None = None
    optimizer: str = "adamw"
    lr: float = 3e-3
    weight_decay: float = 0.01
    warmup_steps: int = 100
    clip: float = 1.0
    patience: int = 5
    seed: int = 0
    workers: int = 0
    threads: int | None = None
    transpose: bool = True
    resume: str | None = None
    command: str = ""

    def __post_init__(self) -> None:
        """A setting that cannot work is refused here, with its rule, before any data is
        read: not as a torch error (or a division by zero) minutes into a run."""
        at_least = {"the window": (self.window_steps, 1), "the batch size": (self.batch_size, 1),
                    "epochs": (self.epochs, 1), "patience": (self.patience, 1),
                    "warm-up steps": (self.warmup_steps, 0), "workers": (self.workers, 0),
                    "limit": (self.limit, 1), "windows per epoch": (self.windows_per_epoch, 1),
                    "max steps": (self.max_steps, 1), "threads": (self.threads, 1)}
        for name, (value, low) in at_least.items():
            if value is not None and value < low:
                raise ModelError(f"{name} must be {low} or more, got {value}")
        above_zero = {"the learning rate": self.lr, "the gradient clip": self.clip,
                      "max minutes": self.max_minutes}
        for name, value in above_zero.items():
            if value is not None and not value > 0:
                raise ModelError(f"{name} must be above 0, got {value}")
        if not self.weight_decay >= 0:
            raise ModelError(f"weight decay must be 0 or more, got {self.weight_decay}")
        if self.optimizer not in OPTIMIZERS:
            raise ModelError(f"unknown optimizer {self.optimizer!r}: choose one of "
                             f"{', '.join(OPTIMIZERS)}")
        if self.dataset not in DATASETS:
            raise ModelError(f"unknown dataset {self.dataset!r}: choose one of "
                             f"{', '.join(DATASETS)}")


def _distributed() -> tuple[int, int]:
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _agree(flag: bool, world: int) -> bool:
    """True on every rank when any rank says so, so all ranks stop at the same step."""
    if world == 1:
        return flag
    t = torch.tensor([1 if flag else 0])
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def _broadcast_float(value: float, world: int) -> float:
    if world == 1:
        return value
    t = torch.tensor([value], dtype=torch.float64)
    dist.broadcast(t, 0)
    return float(t.item())


def make_optimizer(name: str, params, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "nadam":
        return torch.optim.NAdam(params, lr=lr, weight_decay=weight_decay,
                                 decoupled_weight_decay=True)
    raise ModelError(f"unknown optimizer {name!r}: choose adamw or nadam")


def train(cfg: TrainConfig, progress: Progress | None = None, cancel: Cancel | None = None,
          log: Callable[[str], None] = print,
          chorales: dict[str, Sequence[Chorale]] | None = None) -> dict:
    """Train, write the best checkpoint (by validation NLL) to cfg.out with its card, and
    return the card. `chorales` ("train", "valid", "test") replaces cfg.dataset."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    rank, world = _distributed()
    main = rank == 0
    say = log if main else (lambda _msg: None)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)

    def split(name: str) -> list[Chorale]:
        if chorales is not None:
            return list(chorales[name])
        return load_chorales(cfg.dataset, name, cfg.jsb_path, cfg.limit)

    train_set, valid_set = split("train"), split("valid")
    data = WindowDataset(train_set, cfg.window_steps, cfg.windows_per_epoch, cfg.seed,
                         cfg.transpose)
    sampler = DistributedSampler(data, world, rank, shuffle=False) if world > 1 else None
    loader = DataLoader(data, batch_size=cfg.batch_size, sampler=sampler,
                        num_workers=cfg.workers, drop_last=len(data) >= cfg.batch_size * world,
                        persistent_workers=cfg.workers > 0)

    model_cfg = cfg.model
    start_epoch, step, history, best_state, elapsed_before = 0, 0, [], None, 0.0
    best_nll = math.inf
    resumed = None
    commands = [cfg.command]
    if cfg.resume:
        resumed = load_checkpoint(cfg.resume)
        model_cfg = resumed.config
    model = build_model(model_cfg)
    if resumed:
        model.load_state_dict(resumed.model.state_dict())
    net: nn.Module = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr, cfg.weight_decay)
    if resumed and resumed.training:
        t = resumed.training
        opt.load_state_dict(t["optimizer"])
        start_epoch, step = int(t["epoch"]), int(t["step"])
        best_nll, elapsed_before = float(t["best_nll"]), float(t["elapsed"])
        best_source = load_checkpoint(cfg.out) if Path(cfg.out).exists() else resumed
        best_state = {k: v.clone() for k, v in best_source.model.state_dict().items()}
        history = list(resumed.card.get("history", []))
        commands = [*resumed.card.get("commands", [resumed.card.get("command", "")]), cfg.command]
        say(f"resuming {cfg.resume} at epoch {start_epoch}, step {step}")

    steps_per_epoch = max(1, len(loader))
    total_steps = cfg.max_steps or cfg.epochs * steps_per_epoch
    budget_s = cfg.max_minutes * 60 if cfg.max_minutes else None
    say(f"{model_cfg.cell}: {parameter_count(model):,} parameters; {len(train_set)} train / "
        f"{len(valid_set)} valid chorales; {steps_per_epoch} steps per epoch"
        + (f" on {world} processes" if world > 1 else ""))

    t0 = time.monotonic() - elapsed_before
    train_s = 0.0
    tokens_seen = 0
    bad_epochs = 0
    stop = False
    loss_fn = nn.CrossEntropyLoss(ignore_index=IGNORE)
    epoch = start_epoch
    for epoch in range(start_epoch, cfg.epochs):
        data.set_epoch(epoch)
        net.train()
        running = None
        t_epoch = time.monotonic()
        for batch in loader:
            elapsed = time.monotonic() - t0
            fraction = step / total_steps
            if budget_s:
                fraction = max(fraction, elapsed / budget_s)
            out_of_budget = fraction >= 1.0 or (cancel is not None and cancel())
            if _agree(out_of_budget, world):
                stop = True
                break
            lr_scale = min(1.0, (step + 1) / max(1, cfg.warmup_steps))
            lr_scale *= 0.5 * (1 + math.cos(math.pi * min(1.0, fraction)))
            for g in opt.param_groups:
                g["lr"] = cfg.lr * max(lr_scale, 0.02)
            logits, _ = net(batch)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), batch["targets"].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            opt.step()
            step += 1
            tokens_seen += int((batch["targets"] != IGNORE).sum()) * world
            value = loss.item()
            running = value if running is None else 0.95 * running + 0.05 * value
            if progress and main:
                progress(step, _steps_in_all(step, total_steps, time.monotonic() - t0, budget_s))
            if cfg.max_steps and step >= cfg.max_steps:
                stop = True
                break
        train_s += time.monotonic() - t_epoch
        if cancel is not None and cancel() and main:
            raise Cancelled("training cancelled")
        # validation on rank 0; the verdict is shared so every rank stops together
        nll = math.inf
        if main:
            metrics = evaluate_model(model, valid_set)
            nll = metrics["nll_token"]
            history.append({"epoch": epoch + 1, "step": step, "train_loss": round(running or 0, 5),
                            "valid": metrics, "minutes": round((time.monotonic() - t0) / 60, 2)})
            better = nll < best_nll - 1e-4
            if better:
                best_nll, bad_epochs = nll, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                bad_epochs += 1
            say(f"epoch {epoch + 1}: train loss {running or 0:.4f}  valid nll {nll:.4f}  "
                f"acc {metrics['acc_token']:.4f}  note nll {metrics['nll_note']:.4f}  "
                f"note acc {metrics['acc_note']:.4f}  {'*' if better else ''}"
                f"  ({(time.monotonic() - t0) / 60:.1f} min)")
            _save(cfg, model_cfg, model, best_state, opt, epoch + 1, step, best_nll,
                  time.monotonic() - t0, history, train_set, valid_set, tokens_seen, train_s,
                  world, commands)
        early = _broadcast_float(1.0 if bad_epochs >= cfg.patience else 0.0, world) > 0
        if early:
            say(f"early stop: no better validation NLL for {cfg.patience} epochs")
        if stop or early:
            break
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    if not main:
        return {}
    final = load_checkpoint(cfg.out)
    test_set = split("test")
    card = dict(final.card)
    card["data"]["test_fingerprint"] = fingerprint(test_set)
    card["metrics"] = {"valid": evaluate_model(final.model, valid_set),
                       "test": evaluate_model(final.model, test_set)}
    card.pop("format", None)
    card.pop("version", None)
    card.pop("config", None)
    save_checkpoint(cfg.out, final.model, final.config, card)
    say(f"test: {card['metrics']['test']}")
    return card


def _steps_in_all(step: int, planned: int, elapsed: float, budget_s: float | None) -> int:
    """The run's length in steps, for progress: as planned, or fewer where the wall-clock
    budget runs out first, projected from the pace so far."""
    if budget_s and elapsed * planned > budget_s * step:
        return max(step, round(step * budget_s / elapsed))
    return planned


def _save(cfg, model_cfg, model, best_state, opt, epoch, step, best_nll, elapsed, history,
          train_set, valid_set, tokens_seen, train_s, world, commands) -> None:
    best = build_model(model_cfg)
    best.load_state_dict(best_state or model.state_dict())
    card = {
        "data": {"dataset": cfg.dataset, "train_fingerprint": fingerprint(train_set),
                 "valid_fingerprint": fingerprint(valid_set), "train_chorales": len(train_set),
                 "valid_chorales": len(valid_set), "limit": cfg.limit},
        "training": {k: v for k, v in asdict(cfg).items() if k not in ("model", "command")},
        "parameters": parameter_count(best),
        "epochs": epoch,
        "steps": step,
        "processes": world,
        "minutes": round(elapsed / 60, 2),
        "tokens_per_second": round(tokens_seen / max(train_s, 1e-9), 1),
        "best_valid_nll": round(best_nll, 5),
        "history": history,
        "command": cfg.command,
        "commands": commands,  # every run that made these weights, a resumed one last
    }
    save_checkpoint(cfg.out, best, model_cfg, card)
    training = {"optimizer": opt.state_dict(), "epoch": epoch, "step": step,
                "best_nll": best_nll, "elapsed": elapsed}
    save_checkpoint(resume_path(cfg.out), model, model_cfg, card, training)


def resume_path(out: str | Path) -> Path:
    """Latest weights with optimizer state, beside the best checkpoint."""
    out = Path(out)
    return out.with_name(out.stem + ".resume.pt")
