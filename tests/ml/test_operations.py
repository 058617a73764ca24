"""The operations the app and the command line share, on the shipped LSTM and Bach's
chorales: what each one writes, where, and what it leaves alone."""

from dataclasses import replace

import numpy as np
import pytest

from composer.ml import operations
from composer.ml.endings import phrase_fermatas
from composer.ml.errors import ModelError
from composer.ml.generate import load_sampler
from composer.ml.sampling import SamplingOptions
from composer.music.tonality import ends_on_tonic, estimate_key, final_chord
from composer.work import Cancelled


@pytest.fixture(scope="module")
def sampler():
    return load_sampler("lstm")


@pytest.fixture(scope="module")
def chorale(small_corpus):
    return small_corpus.get("bwv10.7").score  # G minor, 22 bars of 4/4, fermatas


def bars(score, first: int, last: int) -> tuple[int, int]:
    """Steps of bars first..last, counted from 1."""
    return (first - 1) * score.steps_per_bar, last * score.steps_per_bar


def options(**changes) -> SamplingOptions:
    return replace(SamplingOptions(candidates=3, seed=1), **changes)


def test_continuing_from_the_end_keeps_the_seed_and_adds_the_bars(sampler, chorale):
    seed = chorale.slice(0, 8 * chorale.steps_per_bar)
    result = operations.continue_score(sampler, seed, 4, options())
    assert (result.kind, result.name, result.voices) == ("continue", "Continue 4 bars",
                                                         (0, 1, 2, 3))
    assert (result.start, result.end) == (seed.length, seed.length + 4 * seed.steps_per_bar)
    lls = [c.log_likelihood for c in result.items]
    assert len(lls) == 3 and lls == sorted(lls, reverse=True)
    for candidate in result.items:
        assert candidate.score.length == result.end
        assert candidate.score.slice(0, seed.length) == seed
        assert all(candidate.score.voices[v][-1].end > seed.length for v in range(4))


def test_continuing_from_a_step_replaces_what_followed_it(sampler, chorale):
    step = 6 * chorale.steps_per_bar + 4  # the playhead, on the second beat of bar 7
    result = operations.continue_score(sampler, chorale, 2, options(), from_step=step)
    assert (result.start, result.end) == (step, step + 2 * chorale.steps_per_bar)
    for candidate in result.items:
        assert candidate.score.length == result.end < chorale.length
        assert candidate.score.slice(0, step) == chorale.slice(0, step)


@pytest.mark.parametrize("chorale_id", ["bwv10.7", "bwv104.6", "bwv11.6", "bwv103.6"])
def test_continuations_end_on_the_tonic_chord_with_a_fermata_on_the_last_new_bar(
        sampler, small_corpus, chorale_id):
    score = small_corpus.get(chorale_id).score  # G minor, A major, D major in 3/4, B minor
    seed = score.slice(0, 4 * score.steps_per_bar)
    result = operations.continue_score(sampler, seed, 3, options(candidates=4))
    last_bar = result.end - seed.steps_per_bar
    assert result.key == seed.key
    for candidate in result.items:
        assert ends_on_tonic(candidate.score, seed.key)
        assert final_chord(candidate.score).onset == last_bar
        assert last_bar in candidate.score.fermatas


def test_a_seed_without_a_key_ends_on_the_tonic_of_the_key_its_notes_suggest(
        sampler, small_corpus):
    score = small_corpus.get("bwv103.6").score
    seed = score.slice(0, 4 * score.steps_per_bar).with_meta(key=None)
    result = operations.continue_score(sampler, seed, 2, options())
    assert result.key == estimate_key(seed) == "B minor"
    assert all(ends_on_tonic(c.score, "B minor") for c in result.items)


def test_a_continuation_without_an_ending_gets_only_its_phrase_fermatas(sampler, chorale):
    seed = chorale.slice(0, 4 * chorale.steps_per_bar)
    result = operations.continue_score(sampler, seed, 4, options(), ending=False)
    assert result.key is None
    new = result.best.score.fermatas - seed.fermatas
    assert new == phrase_fermatas(seed, result.start, result.end)


@pytest.mark.parametrize("keep", [(0,), (0, 3)])
def test_harmonizing_keeps_the_kept_voices_and_changes_nothing_outside_its_range(
        sampler, chorale, keep):
    start, end = bars(chorale, 5, 8)
    result = operations.harmonize(sampler, chorale, keep, start, end, options())
    written = tuple(v for v in range(4) if v not in keep)
    assert (result.kind, result.name, result.voices) == ("harmonize", "Harmonize bars 5–8",
                                                         written)
    for candidate in result.items:
        score = candidate.score
        assert all(score.voices[v] == chorale.voices[v] for v in keep)
        assert score.slice(0, start) == chorale.slice(0, start)
        assert score.slice(end, chorale.length) == chorale.slice(end, chorale.length)
        assert score.length == chorale.length and score.fermatas == chorale.fermatas
    assert any(c.score.slice(start, end) != chorale.slice(start, end) for c in result.items)


def test_harmonizing_a_tune_to_its_end_closes_on_the_tonic(sampler, small_corpus):
    score = small_corpus.get("bwv103.6").score  # B minor
    tune = score.with_meta(voices=(score.voices[0], (), (), ()))
    result = operations.harmonize(sampler, tune, (0,), 0, tune.length, options())
    assert result.key == "B minor"
    for candidate in result.items:
        assert candidate.score.voices[0] == tune.voices[0]
        assert ends_on_tonic(candidate.score, "B minor")


def test_regenerating_changes_nothing_outside_the_region_or_the_chosen_voices(
        sampler, chorale):
    start, end = bars(chorale, 3, 4)
    result = operations.regenerate(sampler, chorale, start, end, (1, 2), options())
    assert (result.name, result.ranked_by) == ("Regenerate bars 3–4 (A, T)", "after")
    for candidate in result.items:
        score = candidate.score
        assert (score.voices[0], score.voices[3]) == (chorale.voices[0], chorale.voices[3])
        assert score.slice(0, start) == chorale.slice(0, start)
        assert score.slice(end, chorale.length) == chorale.slice(end, chorale.length)
    assert any(c.score != chorale for c in result.items)


@pytest.mark.parametrize("operation", ["continue", "harmonize", "regenerate"])
def test_the_same_seed_gives_the_same_candidates_twice(sampler, chorale, operation):
    def run(seed: int):
        start, end = bars(chorale, 9, 10)
        opts = options(seed=seed)
        if operation == "continue":
            return operations.continue_score(sampler, chorale.slice(0, start), 2, opts)
        if operation == "harmonize":
            return operations.harmonize(sampler, chorale, (0,), start, end, opts)
        return operations.regenerate(sampler, chorale, start, end, (0, 1, 2, 3), opts)

    first, again, other = run(7), run(7), run(8)
    assert [c.score for c in first.items] == [c.score for c in again.items]
    assert [c.log_likelihood for c in first.items] == [c.log_likelihood for c in again.items]
    for a, b in zip(first.items, again.items):
        np.testing.assert_array_equal(a.token_log_probs, b.token_log_probs)
    assert [c.score for c in first.items] != [c.score for c in other.items]


@pytest.mark.parametrize("operation", ["continue", "harmonize", "regenerate", "score"])
def test_cancel_raises_cancelled_and_leaves_the_score_as_it_was(sampler, chorale, operation):
    before = replace(chorale)
    start, end = bars(chorale, 3, 6)
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 5  # partway through

    with pytest.raises(Cancelled):
        if operation == "continue":
            operations.continue_score(sampler, chorale, 4, options(), cancel=cancel)
        elif operation == "harmonize":
            operations.harmonize(sampler, chorale, (0,), start, end, options(), cancel=cancel)
        elif operation == "regenerate":
            operations.regenerate(sampler, chorale, start, end, (1,), options(), cancel=cancel)
        else:
            operations.score_notes(sampler, chorale, cancel=lambda: True)
    assert chorale == before


def test_token_log_probs_are_finite_where_written_nan_where_kept_and_sum_to_the_ranking(
        sampler, chorale):
    start = chorale.length - 4 * chorale.steps_per_bar  # to the end: ranked by the region
    result = operations.harmonize(sampler, chorale, (0,), start, chorale.length, options())
    assert result.ranked_by == "region"
    for candidate in result.items:
        lp = candidate.token_log_probs
        assert lp.shape == (chorale.length - start, 4)
        assert np.isnan(lp[:, 0]).all()
        assert np.isfinite(lp[:, 1:]).all() and (lp[:, 1:] <= 0).all()
        assert np.nansum(lp) == pytest.approx(candidate.log_likelihood)


def test_token_log_probs_of_a_regenerated_passage_are_nan_outside_its_voices(
        sampler, chorale):
    start, end = bars(chorale, 3, 4)
    result = operations.regenerate(sampler, chorale, start, end, (2,), options())
    for candidate in result.items:
        lp = candidate.token_log_probs
        assert np.isfinite(lp[:, 2]).all() and np.isnan(lp[:, [0, 1, 3]]).all()


def test_every_note_gets_a_probability_and_wrong_notes_get_less(sampler, chorale):
    scores = operations.score_notes(sampler, chorale).probability
    assert set(scores) == set(chorale.notes())
    assert all(0 < p <= 1 for p in scores.values())
    foreign = (1, 8)  # C# and Ab: in no G minor scale
    for note in chorale.voices[1][10:40:5]:  # alto notes made foreign, one at a time
        shift = next(d for d in (1, -1, 2, -2, 3, -3) if (note.pitch + d) % 12 in foreign)
        wrong = replace(note, pitch=note.pitch + shift)
        altered = chorale.replace_notes([(1, note)], [(1, wrong)])
        assert operations.score_notes(sampler, altered).probability[(1, wrong)] < \
            scores[(1, note)]


def test_alternatives_are_sorted_and_agree_with_the_notes_own_probability(sampler, chorale):
    voice, note = 2, chorale.voices[2][12]
    top = operations.alternatives(sampler, chorale, voice, note.start)
    probabilities = [p for _, p in top]
    assert len(top) == 5 and probabilities == sorted(probabilities, reverse=True)
    assert 0 < sum(probabilities) <= 1
    every = dict(operations.alternatives(sampler, chorale, voice, note.start, count=200))
    assert sum(every.values()) <= 1 + 1e-9
    own = operations.score_notes(sampler, chorale).probability[(voice, note)]
    assert every[note.pitch] == pytest.approx(own)


def test_spans_that_are_not_in_the_score_are_refused(sampler, chorale):
    with pytest.raises(ModelError, match="not a span"):
        operations.regenerate(sampler, chorale, 0, chorale.length + 16, (1,), options())
    with pytest.raises(ModelError, match="keeps at least one voice"):
        operations.harmonize(sampler, chorale, (0, 1, 2, 3), 0, 16, options())
    with pytest.raises(ModelError, match="cannot continue from step"):
        operations.continue_score(sampler, chorale, 1, options(), from_step=-1)


def test_a_tune_that_ends_off_the_tonic_chord_keeps_its_own_ending(sampler, small_corpus):
    score = small_corpus.get("bwv103.6").score  # B minor: C# is no note of its tonic chord
    last = score.voices[0][-1]
    tune = score.with_meta(voices=(score.voices[0][:-1] + (replace(last, pitch=73),),
                                   (), (), ()))
    result = operations.harmonize(sampler, tune, (0,), 0, tune.length, options())
    assert result.key is None
    assert all(c.score.voices[0] == tune.voices[0] for c in result.items)


def test_a_harmonization_holds_its_final_chord_and_rests_through_a_trailing_rest(
        sampler, small_corpus):
    score = small_corpus.get("bwv103.6").score
    tune = score.with_meta(voices=(score.voices[0], (), (), ()), length=score.length + 4)
    result = operations.harmonize(sampler, tune, (0,), 0, tune.length, options())
    chord_end = tune.voices[0][-1].end
    for candidate in result.items:
        assert ends_on_tonic(candidate.score, "B minor")
        assert all(candidate.score.voices[v][-1].end == chord_end for v in range(4))


def test_regenerating_the_last_bars_in_every_voice_ends_on_the_tonic(sampler, chorale):
    start = chorale.length - 2 * chorale.steps_per_bar
    result = operations.regenerate(sampler, chorale, start, chorale.length, range(4),
                                   options())
    assert (result.name, result.key) == ("Regenerate bars 21–22", "G minor")
    assert all(ends_on_tonic(c.score, "G minor") for c in result.items)
