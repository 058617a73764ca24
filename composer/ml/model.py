"""The chorale networks: one recurrent class with the cell as a parameter, and the course
notebook's conv + LSTM network kept as the reference to beat.

Both read the flat S, A, T, B token sequence and predict each token from the ones before.
Input i describes the token to predict: the token before it (BOS at the very start), what
that voice was doing on the step before (silent, striking pitch p, holding pitch p), the
voice and position in the bar of token i, and whether its step carries a fermata. So the
network always knows whose note it is choosing, what that voice sounds, and where in the
bar it falls; it need not dig the voice's own last note out of its memory.

A harmonizer is the same network with a bidirectional encoder beside it (config.encoder >
0): the encoder reads the kept voices over the whole passage, forwards and backwards, and
its reading of each step joins the inputs of that step's four tokens. So the writer of the
alto knows where the soprano goes next, which a causal net can only guess.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
from torch import nn

from composer.ml.errors import ModelError
from composer.music.tokens import NOTE_OFFSET, VOCAB_SIZE

BOS = VOCAB_SIZE  # input-only token that starts every sequence
INPUT_VOCAB = VOCAB_SIZE + 1
# what the voice to predict was doing on the step before (see data.voice_states)
START, SILENT, HELD = 0, 1, NOTE_OFFSET + 128
STATES = HELD + 128
MAX_POSITIONS = 48  # 12/8 has 24 sixteenth steps a bar; positions beyond are clipped
# the encoder's per-voice input: that voice's state (as STATES) when kept, else MASKED
MASKED = STATES
KEPT_STATES = STATES + 1
CELLS = ("lstm", "gru", "reference")


# Sane bounds on a network this app can build, train and sample on a desktop: far above
# the shipped nets (2 x 128) and anything the corpus can feed, far below what would take
# minutes to build or gigabytes to hold. A config past them is refused before anything is
# allocated (a checkpoint declaring 200,000 hidden units would otherwise ask for 640 GB).
MAX_LAYERS = 16
MAX_HIDDEN = 4096
MAX_EMBED = 4096
MAX_PARAMETERS = 100_000_000  # 400 MB of float32 weights


@dataclass(frozen=True)
class ModelConfig:
    cell: str = "lstm"
    hidden: int = 256
    layers: int = 2
    embed: int = 64
    dropout: float = 0.2
    encoder: int = 0  # units per direction of the kept voices' encoder; 0: a causal net

    def __post_init__(self) -> None:
        if not isinstance(self.cell, str) or self.cell not in CELLS:
            raise ModelError(f"unknown cell {self.cell!r}: choose one of {', '.join(CELLS)}")
        for name, least, most in (("layers", 1, MAX_LAYERS), ("hidden", 1, MAX_HIDDEN),
                                  ("embed", 1, MAX_EMBED), ("encoder", 0, MAX_HIDDEN)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ModelError(f"{name} must be a whole number, got {value!r}")
            if not least <= value <= most:
                raise ModelError(f"{name} {value:,} is outside {least} to {most:,}")
        if self.encoder and self.cell == "reference":
            raise ModelError("the reference network takes no encoder")
        dropout = self.dropout
        if not isinstance(dropout, (int, float)) or isinstance(dropout, bool):
            raise ModelError(f"dropout must be a number, got {dropout!r}")
        if not 0.0 <= dropout < 1.0:  # NaN fails this too
            raise ModelError(f"dropout {dropout} is outside [0, 1)")
        count = parameter_estimate(self)
        if count > MAX_PARAMETERS:
            raise ModelError(f"{self.layers} layers of {self.hidden:,} units make "
                             f"{count:,} parameters, more than the {MAX_PARAMETERS:,} this "
                             "app builds")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        if not isinstance(data, dict):
            raise ModelError(f"the model config is a {type(data).__name__}, not a mapping")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ModelError(f"model config has unknown fields {sorted(map(str, unknown))}")
        return cls(**data)


def parameter_estimate(config: ModelConfig) -> int:
    """The parameters build_model(config) would make, counted without building it."""
    if config.cell == "reference":
        return 0  # a fixed network of about 0.4 M parameters, whatever the config says
    gates = 4 if config.cell == "lstm" else 3
    H, E = config.hidden, config.embed
    embeddings = E * (INPUT_VOCAB + STATES + 4 + MAX_POSITIONS + 2)
    rnn = sum(gates * H * ((E if k == 0 else H) + H + 2) for k in range(config.layers))
    encoder = 0
    if config.encoder:
        C = config.encoder
        encoder = E * 4 * KEPT_STATES + 2 * 3 * C * (E + C + 2) + 2 * C * E + E
    return embeddings + rnn + encoder + H * VOCAB_SIZE + VOCAB_SIZE


class ChoraleRNN(nn.Module):
    """Summed token, voice, position and fermata embeddings -> stacked LSTM/GRU -> logits."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.cell not in ("lstm", "gru"):
            raise ModelError(f"ChoraleRNN takes cell 'lstm' or 'gru', not {config.cell!r}")
        self.config = config
        self.token_embed = nn.Embedding(INPUT_VOCAB, config.embed)
        self.state_embed = nn.Embedding(STATES, config.embed)
        self.voice_embed = nn.Embedding(4, config.embed)
        self.position_embed = nn.Embedding(MAX_POSITIONS, config.embed)
        self.fermata_embed = nn.Embedding(2, config.embed)
        rnn = nn.LSTM if config.cell == "lstm" else nn.GRU
        self.rnn = rnn(
            config.embed,
            config.hidden,
            num_layers=config.layers,
            batch_first=True,
            dropout=config.dropout if config.layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(config.dropout)
        self.out = nn.Linear(config.hidden, VOCAB_SIZE)
        if config.encoder:
            self.kept_embed = nn.Embedding(4 * KEPT_STATES, config.embed)
            self.encoder = nn.GRU(config.embed, config.encoder, batch_first=True,
                                  bidirectional=True)
            self.condition = nn.Linear(2 * config.encoder, config.embed)
        if config.cell == "lstm":  # forget gates start open, so memory flows from step one
            H = config.hidden
            with torch.no_grad():
                for k in range(config.layers):
                    getattr(self.rnn, f"bias_ih_l{k}")[H:2 * H].fill_(1.0)
                    getattr(self.rnn, f"bias_hh_l{k}")[H:2 * H].fill_(0.0)

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return (
            self.token_embed(batch["tokens"])
            + self.state_embed(batch["states"])
            + self.voice_embed(batch["voices"])
            + self.position_embed(batch["positions"].clamp(max=MAX_POSITIONS - 1))
            + self.fermata_embed(batch["fermatas"])
        )

    def conditioning(self, kept: torch.Tensor, positions: torch.Tensor,
                     fermatas: torch.Tensor) -> torch.Tensor:
        """The encoder's reading of each step, (batch, steps, embed), from the kept voices
        (batch, steps, 4) as data.kept_inputs gives them and the steps' (batch, steps) bar
        positions and fermatas."""
        x = (self.kept_embed(kept).sum(2)
             + self.position_embed(positions.clamp(max=MAX_POSITIONS - 1))
             + self.fermata_embed(fermatas))
        y, _ = self.encoder(self.drop(x))
        return self.condition(self.drop(y))

    def forward(self, batch: dict[str, torch.Tensor], state=None):
        """batch: the int64 (batch, time) inputs of data.sequence_inputs (a harmonizer's
        also "kept", (batch, steps, 4), or the "condition" its encoder made of them).
        Returns logits (batch, time, VOCAB_SIZE) and the
        recurrent state after the last input."""
        x = self.embed(batch)
        if self.config.encoder:
            cond = batch.get("condition")  # the encoder's reading of a longer passage
            if cond is None:
                kept = batch["kept"]
                steps = kept.shape[1]
                cond = self.conditioning(kept, batch["positions"][:, ::4][:, :steps],
                                         batch["fermatas"][:, ::4][:, :steps])
            x = x + cond.repeat_interleave(4, dim=1)[:, :x.shape[1]]
        y, state = self.rnn(self.drop(x), state)
        return self.out(self.drop(y)), state


class CausalConv(nn.Module):
    def __init__(self, channels_in: int, channels_out: int, dilation: int) -> None:
        super().__init__()
        self.pad = dilation
        self.conv = nn.Conv1d(channels_in, channels_out, kernel_size=2, dilation=dilation)
        self.norm = nn.BatchNorm1d(channels_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, channels, time)
        x = nn.functional.pad(x, (self.pad, 0))
        return self.norm(torch.relu(self.conv(x)))


class ReferenceNet(nn.Module):
    """The course notebook's network: Embedding(5) -> four causal dilated Conv1D with
    BatchNorm (32, 48, 64, 96 filters; dilation 1, 2, 4, 8) -> LSTM(256) -> Dense.
    It reads the token alone, as the notebook does, and has no carried state across
    calls (the conv window is re-read), so it is sampled by re-feeding."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.token_embed = nn.Embedding(INPUT_VOCAB, 5)
        widths = (5, 32, 48, 64, 96)
        self.convs = nn.Sequential(
            *(CausalConv(widths[i], widths[i + 1], 2**i) for i in range(4))
        )
        self.rnn = nn.LSTM(96, 256, batch_first=True)
        self.out = nn.Linear(256, VOCAB_SIZE)

    def forward(self, batch: dict[str, torch.Tensor], state=None):
        x = self.token_embed(batch["tokens"]).transpose(1, 2)
        x = self.convs(x).transpose(1, 2)
        y, state = self.rnn(x)
        return self.out(y), state


def build_model(config: ModelConfig) -> nn.Module:
    if config.cell == "reference":
        return ReferenceNet(config)
    return ChoraleRNN(config)


def is_harmonizer(model: nn.Module) -> bool:
    """Whether the net reads kept voices through an encoder (baselines have no config)."""
    return bool(getattr(getattr(model, "config", None), "encoder", 0))


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
