import json
from importlib import resources

import pytest

from composer.music.corpus import (
    SPLITS,
    build_corpus,
    cache_path,
    load_corpus,
    save_corpus,
    split_of,
)
from composer.music.score import TimeSignature
from composer.work import Cancelled


def test_chorales_become_four_voice_scores_with_metadata(small_corpus):
    entry = small_corpus.get("bwv269")
    assert entry.bwv == "269"
    assert entry.title == "Aus meines Herzens Grunde"
    assert entry.key == "G major"
    assert entry.time_signature == TimeSignature(3, 4)
    assert entry.fermatas and all(f % 1 == 0 for f in entry.fermatas)
    assert all(entry.score.voices)
    assert entry.bars == entry.score.bars


def test_pickup_is_padded_so_bar_lines_fall_on_bar_multiples(small_corpus):
    score = small_corpus.get("269").score
    first = min(v[0].start for v in score.voices)
    assert first == 8  # a one-beat pickup in 3/4
    assert all(f % 4 == 0 for f in score.fermatas)


def test_chorales_that_do_not_fit_are_skipped_with_the_reason(small_corpus):
    reasons = dict(small_corpus.skipped)
    assert "tuplets" in reasons["bwv185.6"]
    assert "metre" in reasons["bwv171.6"]
    assert "do not map to S, A, T, B" in reasons["bwv846"]
    assert {e.id for e in small_corpus.entries}.isdisjoint(reasons)


def test_split_is_the_recorded_one_and_tunes_stay_together(small_corpus):
    recorded = json.loads(resources.files("composer.music").joinpath("corpus_split.json")
                          .read_text())
    for entry in small_corpus.entries:
        assert entry.id in recorded[entry.split]
    same_tune = [e for e in small_corpus.entries if e.title.startswith("Herzliebster Jesu")]
    assert len(same_tune) == 2 and same_tune[0].split == same_tune[1].split
    sizes = {name: len(recorded[name]) for name in SPLITS}
    total = sum(sizes.values())
    assert 0.75 < sizes["train"] / total < 0.88
    assert split_of("Aus meines Herzens Grunde") == split_of("Aus meines Herzens Grunde")


def test_search_filters_on_every_word(small_corpus):
    assert [e.id for e in small_corpus.search("herzens 269")] == ["bwv269"]
    assert {e.id for e in small_corpus.search("b minor")} >= {"bwv244.3"}
    assert small_corpus.search("no such chorale") == []


def test_search_lists_bwv_numbers_in_numeric_order_and_leaves_entries_as_built():
    corpus = build_corpus(ids=["bwv244.25", "bwv10.7", "bwv244.3", "bwv2.6"])
    assert [e.bwv for e in corpus.search("")] == ["2.6", "10.7", "244.3", "244.25"]
    assert [e.bwv for e in corpus.search("244")] == ["244.3", "244.25"]
    assert [e.bwv for e in corpus.entries] == ["10.7", "2.6", "244.25", "244.3"]


def test_fingerprint_changes_when_the_split_changes(small_corpus):
    other = build_corpus(ids=["bwv269", "bwv347"])
    assert other.fingerprint() != small_corpus.fingerprint()
    assert other.fingerprint() == build_corpus(ids=["bwv347", "bwv269"]).fingerprint()


def test_cached_corpus_loads_without_building(tmp_path, monkeypatch, small_corpus):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    save_corpus(small_corpus, cache_path())
    assert str(cache_path()).startswith(str(tmp_path))
    loaded = load_corpus(progress=lambda *_: pytest.fail("the cache should be used"))
    assert [e.id for e in loaded.entries] == [e.id for e in small_corpus.entries]
    assert loaded.get("269").score == small_corpus.get("269").score


def test_build_reports_progress_and_can_be_cancelled():
    seen = []
    build_corpus(limit=3, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    with pytest.raises(Cancelled):
        build_corpus(limit=3, cancel=lambda: True)
