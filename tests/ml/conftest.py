"""Small real data for the ML tests: eight chorales built from music21's corpus."""

from __future__ import annotations

import pytest
import torch

from composer.ml.data import from_score
from composer.ml.model import ModelConfig, build_model


@pytest.fixture(scope="session")
def small_corpus():
    from composer.music.corpus import build_corpus

    return build_corpus(limit=8)


@pytest.fixture(scope="session")
def chorales(small_corpus):
    return [from_score(e.id, e.score) for e in small_corpus.entries]


@pytest.fixture(scope="session")
def splits(chorales):
    return {"train": chorales[:6], "valid": chorales[6:], "test": chorales[6:]}


def tiny_model(cell: str = "lstm", layers: int = 2, hidden: int = 24, seed: int = 0,
               encoder: int = 0):
    torch.manual_seed(seed)
    return build_model(ModelConfig(cell=cell, hidden=hidden, layers=layers, embed=12,
                                   dropout=0.0, encoder=encoder)).eval()
