import numpy as np
import pytest

from composer.ml.errors import ModelError
from composer.ml.sampling import Sampler, SamplingOptions
from composer.music.score import VOICE_RANGES
from composer.music.tokens import HOLD, NOTE_OFFSET, REST, encode
from composer.music.voice_leading import rule_counts, sounding_pitches, voice_leading
from composer.work import Cancelled

from .conftest import tiny_model


@pytest.fixture(scope="module")
def sampler():
    return Sampler(tiny_model("lstm", 2, hidden=32, seed=3))


@pytest.fixture(scope="module")
def seed(small_corpus):
    score = small_corpus.entries[1].score
    return score.slice(0, 4 * score.steps_per_bar)


def test_continuation_respects_voice_ranges_and_never_holds_silence(sampler, seed):
    result = sampler.continuation(seed, 64, options=SamplingOptions(candidates=4, seed=1))
    for grid in result.grids:
        region = grid[seed.length:]
        for v, (lo, hi) in enumerate(VOICE_RANGES):
            notes = region[:, v][region[:, v] >= NOTE_OFFSET] - NOTE_OFFSET
            assert ((notes >= lo) & (notes <= hi)).all()
        after_rest = (grid[:-1] == REST) & (grid[1:] == HOLD)
        assert not after_rest[seed.length - 1:].any()
    assert result.score.length == seed.length + 64
    assert result.score.slice(0, seed.length) == seed.slice(0, seed.length)


def test_a_voice_with_nothing_before_it_cannot_start_with_hold(sampler, seed):
    empty = seed.with_meta(length=0).slice(0, 0)
    result = sampler.generate(empty, 0, 16, options=SamplingOptions(candidates=8, seed=2))
    for grid in result.grids:
        assert (grid[0] != HOLD).all()


def test_same_seed_same_music_other_seed_other_music(sampler, seed):
    a = sampler.continuation(seed, 32, options=SamplingOptions(seed=5)).score
    b = sampler.continuation(seed, 32, options=SamplingOptions(seed=5)).score
    c = sampler.continuation(seed, 32, options=SamplingOptions(seed=6)).score
    assert a == b
    assert a != c


def test_harmonizing_keeps_the_locked_soprano(sampler, seed):
    result = sampler.generate(seed, 0, seed.length, voices=(1, 2, 3),
                              options=SamplingOptions(candidates=3, seed=4))
    for score in result.scores:
        assert score.voices[0] == seed.voices[0]
    assert any(s.voices[1:] != seed.voices[1:] for s in result.scores)


def test_kept_notes_survive_regeneration(sampler, seed):
    keep = [(2, n) for n in seed.voices[2][:3]]
    result = sampler.generate(seed, 0, seed.length, voices=(2,), keep=keep,
                              options=SamplingOptions(seed=9))
    for _, note in keep:
        assert note in result.score.voices[2]


def test_regenerating_the_middle_ranks_candidates_by_the_music_after_it(sampler, seed):
    bar = seed.steps_per_bar
    result = sampler.generate(seed, bar, 2 * bar, options=SamplingOptions(candidates=6, seed=1))
    lls = result.log_likelihoods
    assert lls == sorted(lls, reverse=True) and len(set(lls)) > 1
    for score in result.scores:
        assert score.slice(0, bar) == seed.slice(0, bar)
        assert encode(score).grid[2 * bar:].tolist() != [] and score.length == seed.length
        # the fixed music after the region sounds the same pitches as before
        from composer.music.tokens import pitch_grid

        assert (pitch_grid(encode(score).grid)[2 * bar:] ==
                pitch_grid(encode(seed).grid)[2 * bar:]).all()


def test_low_temperature_is_more_likely_than_high(sampler, seed):
    def mean_ll(t):
        r = sampler.continuation(seed, 32, options=SamplingOptions(temperature=t, candidates=8,
                                                                   seed=0))
        return np.mean(r.log_likelihoods)

    assert mean_ll(0.3) > mean_ll(2.0)


def test_top_p_keeps_only_the_most_likely_tokens(sampler, seed):
    r = sampler.continuation(seed, 32, options=SamplingOptions(top_p=1e-6, candidates=3, seed=0))
    assert r.grids[0].tolist() == r.grids[1].tolist() == r.grids[2].tolist()


def test_progress_is_reported_and_cancel_stops(sampler, seed):
    seen = []
    sampler.continuation(seed, 16, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (16, 16) and len(seen) == 16
    with pytest.raises(Cancelled):
        sampler.continuation(seed, 16, cancel=lambda: len(seen) > 20,
                             progress=lambda d, t: seen.append(d))


def test_bad_options_are_refused_with_a_reason():
    with pytest.raises(ModelError, match="temperature"):
        SamplingOptions(temperature=0)
    with pytest.raises(ModelError, match="top-p"):
        SamplingOptions(top_p=1.5)


def test_the_reference_network_is_not_sampled_step_by_step():
    with pytest.raises(ModelError, match="reference"):
        Sampler(tiny_model("reference"))


def test_sampling_gives_back_the_thread_settings_it_borrowed(sampler, seed):
    import torch

    before = torch.get_num_threads()
    sampler.continuation(seed, 8)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("temperature, top_p", [(1.0, 1.0), (0.6, 1.0), (1.0, 0.8)])
def test_sampled_tokens_follow_the_networks_masked_distribution(sampler, seed, temperature,
                                                                top_p):
    import torch

    from composer.ml.data import sequence_inputs
    from composer.ml.sampling import _state_mask_table

    draws = 20_000
    start = seed.length
    result = sampler.generate(seed, start, start + 1, voices=[0], options=SamplingOptions(
        candidates=draws, seed=7, temperature=temperature, top_p=top_p))
    tokens = np.array([grid[start, 0] for grid in result.grids])

    grid = encode(result.score).grid.astype(np.int64)
    inputs = sequence_inputs(grid, encode(result.score).fermata, seed.steps_per_bar)
    with torch.no_grad():
        logits, _ = sampler.model({k: torch.from_numpy(v)[None] for k, v in inputs.items()})
    at = start * 4
    mask = _state_mask_table(VOICE_RANGES)[0, inputs["states"][at]]
    scaled = (logits[0, at].numpy().astype(np.float64) + mask) / temperature
    p = np.exp(scaled - scaled.max())
    p /= p.sum()
    order = np.argsort(-p, kind="stable")
    before = np.cumsum(p[order]) - p[order]
    p[order[before > top_p]] = 0.0
    p /= p.sum()

    seen = np.bincount(tokens, minlength=p.size) / draws
    assert seen[p == 0].sum() == 0
    assert 0.5 * np.abs(seen - p).sum() < 0.03


def parallels(score, start: int) -> int:
    counts = voice_leading(score, start)
    return counts.parallel_fifths + counts.parallel_octaves


def test_new_inner_voices_avoid_parallels_with_the_locked_outer_voices(sampler, seed):
    def total(**options):
        result = sampler.generate(seed, 0, seed.length, voices=(1, 2),
                                  options=SamplingOptions(candidates=8, seed=12, **options))
        for score in result.scores:
            assert (score.voices[0], score.voices[3]) == (seed.voices[0], seed.voices[3])
        return sum(parallels(score, 0) for score in result.scores)

    assert parallels(seed, 0) == 0  # Bach's outer voices
    assert total() == 0
    assert total(avoid_parallels=False) > 0


def voicing_faults(score, start: int) -> int:
    counts = rule_counts(score, start)
    return counts.hidden_fifths + counts.hidden_octaves + counts.wide_soprano_alto


@pytest.mark.parametrize("faults, lifted, draw", [
    (parallels, "avoid_parallels", 11), (voicing_faults, "strict_voicing", 13)],
    ids=["parallels", "hidden fifths and octaves, a wide soprano"])
def test_a_continuation_keeps_each_rule_unless_it_is_lifted(sampler, seed, faults, lifted,
                                                            draw):
    def total(**options):
        result = sampler.continuation(seed, 64, options=SamplingOptions(
            candidates=8, seed=draw, **options))
        return sum(faults(score, seed.length) for score in result.scores)

    assert total() == 0
    assert total(**{lifted: False}) > 0


def test_a_harmonized_bass_and_alto_keep_the_voicing_rules_under_a_kept_tune(sampler, seed):
    def total(**options):
        result = sampler.generate(seed, 0, seed.length, voices=(1, 2, 3),
                                  options=SamplingOptions(candidates=8, seed=14, **options))
        return sum(voicing_faults(score, 0) for score in result.scores)

    assert total() == 0
    assert total(strict_voicing=False) > 0


def fermata_chords(score, start: int) -> list:
    from composer.music.style_stats import identify_chord

    pitches, _ = sounding_pitches(score)
    return [identify_chord(pitches[f].tolist()) for f in sorted(score.fermatas) if f >= start]


def root_triad(chord) -> bool:
    return chord is not None and chord.inversion == 0 and chord.quality in ("major", "minor")


def test_the_shipped_net_ends_its_phrases_on_root_position_triads_unless_left_free(seed):
    from composer.ml.checkpoint import load_checkpoint

    shipped = Sampler(load_checkpoint("lstm").model)

    def share(**options):
        phrased = seed.with_meta(length=seed.length + 96, fermatas=seed.fermatas | {
            seed.length + 16 * k for k in range(1, 6)})
        result = shipped.generate(phrased, seed.length, phrased.length,
                                  options=SamplingOptions(candidates=8, seed=15, **options))
        chords = [c for score in result.scores for c in fermata_chords(score, seed.length)]
        assert len(chords) == 40
        return sum(map(root_triad, chords)) / len(chords)

    ruled, free = share(), share(cadence_triads=False)
    assert ruled >= 0.85 and ruled > free + 0.25  # 0.90 against 0.45 when written


def test_each_drawn_tokens_log_probability_is_the_networks_own(sampler, seed):
    import torch

    from composer.ml.data import sequence_inputs

    start = seed.length
    result = sampler.continuation(seed, 8, options=SamplingOptions(temperature=0.7, seed=3))
    tokens = encode(result.score)
    grid = tokens.grid.astype(np.int64)
    inputs = sequence_inputs(grid, tokens.fermata, seed.steps_per_bar)
    with torch.no_grad():
        logits, _ = sampler.model({k: torch.from_numpy(v)[None] for k, v in inputs.items()})
    log_p = torch.log_softmax(logits[0].double(), -1).numpy()
    flat = np.arange(start * 4, (start + 8) * 4)
    expected = log_p[flat, grid.reshape(-1)[flat]].reshape(8, 4)
    np.testing.assert_allclose(result.token_log_probs[0], expected, atol=1e-4)
    assert result.ranked_by == "region"
    assert result.log_likelihoods[0] == pytest.approx(expected.sum(), abs=1e-3)


def test_a_cell_given_choices_takes_one_of_them_with_the_parallels_rule_on_or_off(sampler,
                                                                                 seed):
    start = seed.length
    bass_cs = [NOTE_OFFSET + p for p in (36, 48, 60)]
    choices = {(start, 3): bass_cs, **{(start + s, 3): [HOLD] for s in range(1, 4)}}
    for avoid in (True, False):
        result = sampler.generate(seed, start, start + 4, voices=[0, 1, 2, 3], choices=choices,
                                  options=SamplingOptions(candidates=16, seed=2,
                                                          avoid_parallels=avoid))
        for grid in result.grids:
            assert grid[start, 3] in bass_cs and (grid[start + 1:start + 4, 3] == HOLD).all()


def test_the_parallels_rule_gives_way_where_it_would_leave_a_restricted_cell_no_token():
    from composer.ml.sampling import _ban_parallels

    before = [[60, -1, -1, 48]]  # soprano C5 over bass C3
    now = [[62, -1, -1, -1]]  # the soprano moves up to D5
    only_d = np.zeros((1, NOTE_OFFSET + 128), dtype=np.float32)
    only_d[0, NOTE_OFFSET + 50] = 1.0  # the bass may only take D3: parallel octaves
    free = np.ones_like(only_d)
    _ban_parallels(free, before, now, 3, (0,), restricted=False)
    assert free[0, NOTE_OFFSET + 50] == 0 and free[0, REST] == 1
    _ban_parallels(only_d, before, now, 3, (0,), restricted=True)
    assert only_d[0, NOTE_OFFSET + 50] == 1


def test_a_cadence_voice_avoids_a_note_that_would_leave_the_bass_only_parallels():
    from composer.ml.sampling import _ban_dead_ends

    before = [[62, -1, -1, 50]]  # soprano D5 an octave and more over bass D3
    known = [[62, -1, -1, 50]]
    others = [(), (0,), (0, 1), (0, 1, 2)]
    bass_g3 = [(3, [NOTE_OFFSET + 55])]  # the bass must rise to G3
    e = np.zeros((1, NOTE_OFFSET + 128), dtype=np.float32)
    e[0, [NOTE_OFFSET + 67, NOTE_OFFSET + 59]] = 1.0  # soprano up to G5 or down to B4
    _ban_dead_ends(e, before, known, 0, bass_g3, others)
    assert e[0, NOTE_OFFSET + 67] == 0 and e[0, NOTE_OFFSET + 59] == 1
    only_up = np.zeros_like(e)
    only_up[0, NOTE_OFFSET + 67] = 1.0
    _ban_dead_ends(only_up, before, known, 0, bass_g3, others)
    assert only_up[0, NOTE_OFFSET + 67] == 1  # nothing else: the rule gives way


def test_before_a_cadence_a_voice_avoids_a_note_the_kept_tune_would_trap_in_parallels():
    import composer.ml.sampling as sampling

    # harmonizing: soprano kept, G#4 then F#4; the bass must end on F#, F#2 or F#3
    grid = np.full((2, 4), REST, dtype=np.int64)
    grid[:, 0] = [NOTE_OFFSET + 68, NOTE_OFFSET + 66]
    free = np.ones((2, 4), dtype=bool)
    free[:, 0] = False
    choices = {(1, 3): [NOTE_OFFSET + 42, NOTE_OFFSET + 54]}
    rules = sampling._Constraints(grid, free, choices, avoid=True, voicing=True)
    vstate = np.full((1, 4), sampling.SILENT, dtype=np.int64)
    rules.begin(0, vstate, grid[None, 0])
    e = np.zeros((1, NOTE_OFFSET + 128), dtype=np.float32)
    trapped, free_note = NOTE_OFFSET + 56, NOTE_OFFSET + 52  # G#3: octaves into F#; E3
    e[0, [trapped, free_note]] = 1.0
    rules.apply(e, 3, vstate[:, 3])
    assert e[0, trapped] == 0 and e[0, free_note] == 1
