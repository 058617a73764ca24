import pytest

from composer.music.corpus import build_corpus

SUBSET = ["bwv269", "bwv347", "bwv153.1", "bwv244.3", "bwv244.46", "bwv10.7",
          "bwv185.6", "bwv171.6", "bwv846"]


@pytest.fixture(scope="session")
def small_corpus():
    """A few real chorales, two that share a tune, and three that must be skipped."""
    return build_corpus(ids=SUBSET)
