"""The checkpoints in models/ are the ones the app offers: they must load, say how they
were made, score on the test split what their cards say, beat the reference network, and
write four-part music. The weights themselves are evaluated, so a stale card fails."""

import json
from importlib import resources

import pytest

from composer.ml.checkpoint import MODELS_DIR, load_checkpoint
from composer.ml.data import fingerprint, from_score
from composer.ml.evaluate import evaluate_model
from composer.ml.sampling import Sampler, SamplingOptions
from composer.music.corpus import build_corpus
from composer.music.score import VOICE_RANGES

NETWORKS = ("lstm", "gru", "reference")


@pytest.fixture(scope="module")
def test_split():
    """The corpus test split, built alone from the recorded ids (seconds, not minutes)."""
    recorded = json.loads(resources.files("composer.music").joinpath("corpus_split.json")
                          .read_text())
    corpus = build_corpus(ids=recorded["test"], processes=1)
    return [from_score(e.id, e.score) for e in corpus.entries if e.split == "test"]


@pytest.fixture(scope="module")
def scores(test_split):
    return {name: evaluate_model(load_checkpoint(MODELS_DIR / f"{name}.pt").model, test_split)
            for name in NETWORKS}


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_shipped_network_loads_and_its_card_says_how_it_was_made(name):
    path = MODELS_DIR / f"{name}.pt"
    assert path.stat().st_size <= 20 * 1024 * 1024
    ckpt = load_checkpoint(name)
    card = ckpt.card
    assert ckpt.config.cell == name
    assert card["command"].startswith("composer train")
    assert card["data"]["dataset"] == "corpus"
    assert card["data"]["train_fingerprint"] and card["data"]["test_fingerprint"]
    assert card["minutes"] <= 120  # trained on this 2-core machine within two hours


@pytest.mark.parametrize("name", NETWORKS)
def test_shipped_weights_score_on_the_test_split_what_their_card_records(
        name, test_split, scores):
    card = load_checkpoint(MODELS_DIR / f"{name}.pt").card
    assert card["data"]["test_fingerprint"] == fingerprint(test_split)
    recorded = card["metrics"]["test"]
    assert scores[name].keys() == recorded.keys()
    for metric, value in recorded.items():
        assert scores[name][metric] == pytest.approx(value, abs=1e-4), metric


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_shipped_network_beats_the_reference_on_the_test_split(name, scores):
    ours, reference = scores[name], scores["reference"]
    assert ours["nll_token"] < reference["nll_token"]
    assert ours["nll_note"] < reference["nll_note"]


def test_the_shipped_harmonizer_loads_says_how_it_was_made_and_scores_what_its_card_says(
        test_split):
    path = MODELS_DIR / "harmonizer.pt"
    assert path.stat().st_size <= 20 * 1024 * 1024
    ckpt = load_checkpoint(path)
    card = ckpt.card
    assert ckpt.config.encoder > 0 and card["command"].startswith("composer train")
    assert card["minutes"] <= 120 and card["data"]["dataset"] == "corpus"
    assert card["data"]["test_fingerprint"] == fingerprint(test_split)
    scored = evaluate_model(ckpt.model, test_split, keep=(0,))
    for metric, value in card["metrics"]["test"].items():
        assert scored[metric] == pytest.approx(value, abs=1e-4), metric


def test_the_harmonizer_writes_the_lower_voices_under_a_tune_better_than_the_causal_nets(
        test_split):
    """What it is for: alto, tenor and bass given the whole soprano, in fewer nats than
    either causal net that hears the soprano only so far."""
    harmonizer = evaluate_model(load_checkpoint("harmonizer").model, test_split, keep=(0,))
    for name in ("lstm", "gru"):
        causal = evaluate_model(load_checkpoint(name).model, test_split, keep=(0,))
        assert harmonizer["nll_note"] < causal["nll_note"] - 0.01, name


def test_the_harmonizer_writes_all_three_voices_under_the_middle_of_a_bare_tune(small_corpus):
    """Silent lower voices before the passage are no music to go on with."""
    from composer.ml.operations import harmonize

    score = small_corpus.get("bwv1.6").score
    bar = score.steps_per_bar
    tune = score.with_meta(voices=(score.voices[0], (), (), ())).slice(0, 4 * bar)
    sampler = Sampler(load_checkpoint("harmonizer").model)
    for seed in range(3):
        written = harmonize(sampler, tune, (0,), bar, 3 * bar,
                            SamplingOptions(candidates=2, seed=seed)).best.score
        assert all(written.voices[v] for v in (1, 2, 3)), seed


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_shipped_network_continues_a_chorale_in_four_parts(name, small_corpus):
    seed = small_corpus.get("bwv1.6").score
    seed = seed.slice(0, 4 * seed.steps_per_bar)
    result = Sampler(load_checkpoint(name).model).continuation(
        seed, 4 * seed.steps_per_bar, options=SamplingOptions(seed=0))
    new = result.score.slice(seed.length, result.score.length)
    for v, (lo, hi) in enumerate(VOICE_RANGES):
        notes = new.voices[v]
        assert len(notes) >= 2, f"voice {v} is nearly silent"
        assert all(lo <= n.pitch <= hi for n in notes)
