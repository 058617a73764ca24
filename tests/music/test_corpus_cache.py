"""The corpus cache is a convenience: without it the chorales still come."""

from __future__ import annotations

import functools

import pytest

from composer.music import corpus as corpus_module


def test_a_corpus_cache_that_cannot_be_written_still_gives_the_chorales(tmp_path,
                                                                         monkeypatch):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setattr(corpus_module, "build_corpus",
                        functools.partial(corpus_module.build_corpus, limit=3, processes=1))
    with pytest.warns(UserWarning, match="could not be cached"):
        chorales = corpus_module.load_corpus()
    assert len(chorales.entries) == 3
    assert not corpus_module.cache_path().exists()
