"""What the Generate panel is set to, kept in QSettings so the next launch starts where the
user left off. Musical state stays in the document; these are the network's knobs."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields, replace

from PySide6.QtCore import QSettings

GROUP = "generation"
MODES = ("continue", "harmonize", "regenerate")
SHIPPED_NETWORKS = ("lstm", "gru")
MAX_CANDIDATES = 8
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class GenerationSettings:
    network: str = "gru"  # "lstm", "gru" or a checkpoint's path; the GRU writes nearest Bach
    mode: str = "continue"
    bars: int = 4
    from_playhead: bool = False
    keep: tuple[int, ...] = (0,)  # harmonize: the voices kept (the soprano's tune)
    rewrite: tuple[int, ...] = (0, 1, 2, 3)  # regenerate: the voices written anew
    temperature: float = 1.0
    top_p: float = 0.95
    candidates: int = 4
    seed: int = 1
    avoid_parallels: bool = True
    strict_voicing: bool = True  # no hidden 5ths/8ves into the outer voices, S-A an octave
    cadence_triads: bool = True  # a fermata's chord a root-position major or minor triad

    def with_new_seed(self) -> GenerationSettings:
        return replace(self, seed=random.randint(1, MAX_SEED))

    def save(self, settings: QSettings) -> None:
        for name, value in asdict(self).items():
            stored = "".join(str(v) for v in value) if isinstance(value, tuple) else value
            settings.setValue(f"{GROUP}/{name}", stored)

    @classmethod
    def load(cls, settings: QSettings) -> GenerationSettings:
        """Anything missing or unreadable falls back to its default."""
        default = cls()
        values = {}
        for f in fields(cls):
            raw = settings.value(f"{GROUP}/{f.name}")
            if raw is not None:
                try:
                    values[f.name] = _parse(getattr(default, f.name), raw)
                except (TypeError, ValueError):
                    continue
        return _clamped(replace(default, **values))


def _parse(default: object, raw: object) -> object:
    text = str(raw)
    if isinstance(default, bool):
        return text.lower() in ("true", "1", "yes")
    if isinstance(default, tuple):
        voices = tuple(sorted({int(c) for c in text if c in "0123"}))
        if not voices:
            raise ValueError("no voices")
        return voices
    return type(default)(text)


def _clamped(s: GenerationSettings) -> GenerationSettings:
    return replace(
        s,
        mode=s.mode if s.mode in MODES else "continue",
        bars=min(64, max(1, s.bars)),
        temperature=min(2.0, max(0.1, s.temperature)),
        top_p=min(1.0, max(0.5, s.top_p)),
        candidates=min(MAX_CANDIDATES, max(1, s.candidates)),
        seed=min(MAX_SEED, max(0, s.seed)),
    )
