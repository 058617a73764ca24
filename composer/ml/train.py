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

from composer.ml.checkpoint import Checkpoint, check_training, load_checkpoint, save_checkpoint
from composer.ml.data import IGNORE, Chorale, WindowDataset, fingerprint, load_chorales
from composer.ml.errors import ModelError
from composer.ml.evaluate import evaluate_model
from composer.ml.model import ModelConfig, build_model, parameter_count
from composer.work import Cancel, Cancelled, Progress

OPTIMIZERS = ("adamw", "nadam")
DATASETS = ("corpus", "jsb")
_LOSS = nn.CrossEntropyLoss(ignore_index=IGNORE)


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
    init: str | None = None  # a checkpoint whose weights start the net where they fit
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


Splits = dict[str, Sequence[Chorale]]


@dataclass
class _Run:
    """What a run carries from one epoch to the next and into its checkpoints, so each part
    of `train` takes this one object instead of a dozen loose values."""

    cfg: TrainConfig
    world: int
    main: bool  # rank 0: validates, saves and reports
    say: Callable[[str], None]
    chorales: Splits | None
    train_set: list[Chorale]
    valid_set: list[Chorale]
    data: WindowDataset
    loader: DataLoader
    model_cfg: ModelConfig
    model: nn.Module
    net: nn.Module  # the model, wrapped for DistributedDataParallel when there are ranks
    opt: torch.optim.Optimizer
    total_steps: int
    budget_s: float | None
    start_epoch: int = 0
    step: int = 0
    best_nll: float = math.inf
    best_state: dict[str, torch.Tensor] | None = None
    bad_epochs: int = 0
    history: list[dict] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)  # less the time of runs resumed
    train_s: float = 0.0
    tokens_seen: int = 0

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def fraction(self) -> float:
        """How much of the run is done, by steps or by the clock, whichever is further on:
        the cosine schedule follows it, and the run ends at 1."""
        fraction = self.step / self.total_steps
        if self.budget_s:
            fraction = max(fraction, self.elapsed / self.budget_s)
        return fraction

    def steps_in_all(self) -> int:
        """The run's length in steps, for progress: as planned, or fewer where the clock
        budget runs out first, projected from the pace so far."""
        elapsed = self.elapsed
        if self.budget_s and elapsed * self.total_steps > self.budget_s * self.step:
            return max(self.step, round(self.step * self.budget_s / elapsed))
        return self.total_steps


def train(cfg: TrainConfig, progress: Progress | None = None, cancel: Cancel | None = None,
          log: Callable[[str], None] = print, chorales: Splits | None = None) -> dict:
    """Train, write the best checkpoint (by validation NLL) to cfg.out with its card, and
    return the card. `chorales` ("train", "valid", "test") replaces cfg.dataset. Progress
    counts optimizer steps."""
    run = _setup(cfg, log, chorales)
    for epoch in range(run.start_epoch, cfg.epochs):
        stopped, loss = _train_epoch(run, epoch, progress, cancel)
        if cancel is not None and cancel() and run.main:
            raise Cancelled("training cancelled")
        if run.main:  # the verdict is shared below, so every rank stops together
            _validate_and_save(run, epoch, loss)
        early = _broadcast_float(1.0 if run.bad_epochs >= cfg.patience else 0.0, run.world) > 0
        if early:
            run.say(f"early stop: no better validation NLL for {cfg.patience} epochs")
        if stopped or early:
            break
    if run.world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return _final_test(run) if run.main else {}


def _split(cfg: TrainConfig, chorales: Splits | None, name: str) -> list[Chorale]:
    if chorales is not None:
        return list(chorales[name])
    return load_chorales(cfg.dataset, name, cfg.jsb_path, cfg.limit)


def _setup(cfg: TrainConfig, log: Callable[[str], None], chorales: Splits | None) -> _Run:
    """Seeds, data, network and optimizer; a run resumed from its .resume.pt goes on from
    where that one stopped."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    # first, so a checkpoint that cannot be resumed is refused before any data is read
    resumed = load_checkpoint(cfg.resume) if cfg.resume else None
    rank, world = _distributed()
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    train_set, valid_set = _split(cfg, chorales, "train"), _split(cfg, chorales, "valid")
    model_cfg = resumed.config if resumed else cfg.model
    data, loader = _windows(cfg, train_set, rank, world, bool(model_cfg.encoder))
    model = build_model(model_cfg)
    made_by: list[str] = []  # the runs that made the weights this one starts from
    if resumed:
        model.load_state_dict(resumed.model.state_dict())
    elif cfg.init:
        log(start_from(model, cfg.init))
        card = load_checkpoint(cfg.init).card
        made_by = list(card.get("commands", [card["command"]] if "command" in card else []))
    net = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr, cfg.weight_decay)
    steps_per_epoch = max(1, len(loader))
    run = _Run(cfg, world, rank == 0, log if rank == 0 else (lambda _msg: None), chorales,
               train_set, valid_set, data, loader, model_cfg, model, net, opt,
               total_steps=cfg.max_steps or cfg.epochs * steps_per_epoch,
               budget_s=cfg.max_minutes * 60 if cfg.max_minutes else None,
               commands=[*made_by, cfg.command])
    if resumed and resumed.training:
        _resume(run, resumed)
    run.say(f"{model_cfg.cell}: {parameter_count(model):,} parameters; {len(train_set)} train"
            f" / {len(valid_set)} valid chorales; {steps_per_epoch} steps per epoch"
            + (f" on {world} processes" if world > 1 else ""))
    return run


def start_from(model: nn.Module, path: str) -> str:
    """Start `model` with a trained net's weights wherever name and shape agree: a
    harmonizer from the causal net of its decoder's size, its encoder's output at zero, so
    it begins as that net and learns only what hearing the whole tune adds."""
    source = load_checkpoint(path).model.state_dict()
    own = model.state_dict()
    encoder = ("kept_embed.", "encoder.", "condition.")
    wanted = [k for k in own if not k.startswith(encoder)]
    misfits = [k for k in wanted if k not in source or source[k].shape != own[k].shape]
    if misfits:
        raise ModelError(f"{path}: its weights do not fit this network ({', '.join(misfits[:3])}"
                         f"{' …' if len(misfits) > 3 else ''}); start from a net of the same "
                         "cell, hidden size, layers and embedding")
    taken = {k: source[k] for k in wanted}
    model.load_state_dict(taken, strict=False)
    if getattr(model, "condition", None) is not None:
        with torch.no_grad():
            model.condition.weight.zero_()
            model.condition.bias.zero_()
    return f"starting from {path}: {len(taken)} of {len(own)} tensors"


def _windows(cfg: TrainConfig, train_set: list[Chorale], rank: int, world: int,
             harmonizer: bool) -> tuple[WindowDataset, DataLoader]:
    """The training windows, each rank loading its own share of every epoch."""
    data = WindowDataset(train_set, cfg.window_steps, cfg.windows_per_epoch, cfg.seed,
                         cfg.transpose, harmonizer)
    sampler = DistributedSampler(data, world, rank, shuffle=False) if world > 1 else None
    loader = DataLoader(data, batch_size=cfg.batch_size, sampler=sampler,
                        num_workers=cfg.workers, drop_last=len(data) >= cfg.batch_size * world,
                        persistent_workers=cfg.workers > 0)
    return data, loader


def _resume(run: _Run, resumed: Checkpoint) -> None:
    """The optimizer, the counters and the clock as the stopped run left them; the best
    weights so far are those at cfg.out when it is there."""
    cfg, t = run.cfg, resumed.training
    check_training(cfg.resume, t, run.model)
    try:
        run.opt.load_state_dict(t["optimizer"])
    except (ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise ModelError(f"{cfg.resume}: its optimizer state does not fit this run "
                         f"({exc}); resume with the --optimizer the run used, or start "
                         "afresh without --resume") from None
    run.start_epoch, run.step = int(t["epoch"]), int(t["step"])
    run.best_nll = float(t["best_nll"])
    run.started = time.monotonic() - float(t["elapsed"])
    best_source = load_checkpoint(cfg.out) if Path(cfg.out).exists() else resumed
    if best_source.config != resumed.config:
        raise ModelError(f"{cfg.out} holds a {best_source.config} but {cfg.resume} a "
                         f"{resumed.config}: give -o the checkpoint the resumed run wrote")
    run.best_state = {k: v.clone() for k, v in best_source.model.state_dict().items()}
    if resumed.card_problem:
        run.say(f"warning: {resumed.card_problem}; the new card lists no earlier epochs")
    run.history = list(resumed.card.get("history", []))
    run.commands = [*resumed.card.get("commands", [resumed.card.get("command", "")]),
                    cfg.command]
    run.say(f"resuming {cfg.resume} at epoch {run.start_epoch}, step {run.step}")


def _train_epoch(run: _Run, epoch: int, progress: Progress | None, cancel: Cancel | None
                 ) -> tuple[bool, float | None]:
    """One pass over the epoch's windows. Returns whether the run must end after it (the
    budget is spent, the caller cancelled, or the step limit is reached) and the running
    training loss."""
    run.data.set_epoch(epoch)
    run.net.train()
    running = None
    t_epoch = time.monotonic()
    stop = False
    for batch in run.loader:
        fraction = run.fraction()
        if _agree(fraction >= 1.0 or (cancel is not None and cancel()), run.world):
            stop = True
            break
        value = _step(run, batch, fraction)
        running = value if running is None else 0.95 * running + 0.05 * value
        if progress and run.main:
            progress(run.step, run.steps_in_all())
        if run.cfg.max_steps and run.step >= run.cfg.max_steps:
            stop = True
            break
    run.train_s += time.monotonic() - t_epoch
    return stop, running


def _step(run: _Run, batch: dict[str, torch.Tensor], fraction: float) -> float:
    """One optimizer step at the warm-up and cosine schedule's rate; returns the loss."""
    cfg = run.cfg
    lr_scale = min(1.0, (run.step + 1) / max(1, cfg.warmup_steps))
    lr_scale *= 0.5 * (1 + math.cos(math.pi * min(1.0, fraction)))
    for g in run.opt.param_groups:
        g["lr"] = cfg.lr * max(lr_scale, 0.02)
    logits, _ = run.net(batch)
    loss = _LOSS(logits.reshape(-1, logits.shape[-1]), batch["targets"].reshape(-1))
    run.opt.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(run.model.parameters(), cfg.clip)
    run.opt.step()
    run.step += 1
    run.tokens_seen += int((batch["targets"] != IGNORE).sum()) * run.world
    return loss.item()


def _validate_and_save(run: _Run, epoch: int, loss: float | None) -> None:
    """Scores the epoch on the validation split, keeps the weights when they are the best
    yet, and writes both checkpoints (rank 0 only)."""
    metrics = evaluate_model(run.model, run.valid_set, keep=validation_keep(run.model_cfg))
    nll = metrics["nll_token"]
    run.history.append({"epoch": epoch + 1, "step": run.step, "train_loss": round(loss or 0, 5),
                        "valid": metrics, "minutes": round(run.elapsed / 60, 2)})
    better = nll < run.best_nll - 1e-4
    if better:
        run.best_nll, run.bad_epochs = nll, 0
        run.best_state = {k: v.detach().clone() for k, v in run.model.state_dict().items()}
    else:
        run.bad_epochs += 1
    run.say(f"epoch {epoch + 1}: train loss {loss or 0:.4f}  valid nll {nll:.4f}  "
            f"acc {metrics['acc_token']:.4f}  note nll {metrics['nll_note']:.4f}  "
            f"note acc {metrics['acc_note']:.4f}  {'*' if better else ''}"
            f"  ({run.elapsed / 60:.1f} min)")
    _save(run, epoch + 1)


def _save(run: _Run, epochs: int) -> None:
    """The best weights to cfg.out, the latest with the optimizer beside them for --resume."""
    cfg, elapsed = run.cfg, run.elapsed
    best = build_model(run.model_cfg)
    best.load_state_dict(run.best_state or run.model.state_dict())
    card = _card(run, best, epochs, elapsed)
    save_checkpoint(cfg.out, best, run.model_cfg, card)
    training = {"optimizer": run.opt.state_dict(), "epoch": epochs, "step": run.step,
                "best_nll": run.best_nll, "elapsed": elapsed}
    save_checkpoint(resume_path(cfg.out), run.model, run.model_cfg, card, training)


def _card(run: _Run, best: nn.Module, epochs: int, elapsed: float) -> dict:
    cfg = run.cfg
    return {
        "data": {"dataset": cfg.dataset, "train_fingerprint": fingerprint(run.train_set),
                 "valid_fingerprint": fingerprint(run.valid_set),
                 "train_chorales": len(run.train_set), "valid_chorales": len(run.valid_set),
                 "limit": cfg.limit},
        "training": {k: v for k, v in asdict(cfg).items() if k not in ("model", "command")},
        "parameters": parameter_count(best),
        "epochs": epochs,
        "steps": run.step,
        "processes": run.world,
        "minutes": round(elapsed / 60, 2),
        "tokens_per_second": round(run.tokens_seen / max(run.train_s, 1e-9), 1),
        "best_valid_nll": round(run.best_nll, 5),
        "history": run.history,
        "command": cfg.command,
        "commands": run.commands,  # every run that made these weights, this one last
    }


def _final_test(run: _Run) -> dict:
    """The best checkpoint scored on validation and test, the figures added to its card."""
    cfg = run.cfg
    final = load_checkpoint(cfg.out)
    test_set = _split(cfg, run.chorales, "test")
    card = dict(final.card)
    card["data"]["test_fingerprint"] = fingerprint(test_set)
    keep = validation_keep(final.config)
    card["metrics"] = {"valid": evaluate_model(final.model, run.valid_set, keep=keep),
                       "test": evaluate_model(final.model, test_set, keep=keep)}
    if keep:
        card["metrics"]["scored"] = "alto, tenor and bass, given the whole soprano"
    for key in ("format", "version", "config"):
        card.pop(key, None)
    save_checkpoint(cfg.out, final.model, final.config, card)
    run.say(f"test: {card['metrics']['test']}")
    return card


def validation_keep(config: ModelConfig) -> tuple[int, ...]:
    """A harmonizer is judged, and its best epoch chosen, on the task it is for: the
    alto, tenor and bass under a given soprano."""
    return (0,) if config.encoder else ()


def resume_path(out: str | Path) -> Path:
    """Latest weights with optimizer state, beside the best checkpoint."""
    out = Path(out)
    return out.with_name(out.stem + ".resume.pt")
