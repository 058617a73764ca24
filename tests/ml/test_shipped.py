"""The checkpoints in models/ are the ones the app offers: they must load, say how they
were made, beat the reference network, and write four-part music."""

import pytest

from composer.ml.checkpoint import MODELS_DIR, load_checkpoint
from composer.ml.sampling import Sampler, SamplingOptions
from composer.music.score import VOICE_RANGES


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
    assert card["minutes"] <= 45


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_shipped_network_beats_the_reference_on_the_test_split(name):
    ours = load_checkpoint(name).card
    reference = load_checkpoint(MODELS_DIR / "reference.pt").card
    assert ours["data"]["test_fingerprint"] == reference["data"]["test_fingerprint"]
    assert ours["metrics"]["test"]["nll_token"] < reference["metrics"]["test"]["nll_token"]
    assert ours["metrics"]["test"]["nll_note"] < reference["metrics"]["test"]["nll_note"]


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
