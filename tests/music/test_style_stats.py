"""The evaluator: each rule counted right on small hand-built scores, the distributions a
listener hears, the chord names and the distance between distributions."""

import numpy as np
import pytest

from composer.music.keys import key_number
from composer.music.score import Note, Score
from composer.music.style_stats import (
    DISTRIBUTIONS,
    StyleStats,
    cadence_kind,
    chord_label,
    collect,
    distances,
    grouped_distances,
    identify_chord,
    js_divergence,
    key_relation,
    style_stats,
)
from composer.music.voice_leading import RULES, RuleCounts, rule_counts


def chords(*rows: tuple[int, int, int, int], length: int = 4, key: str | None = "C major",
           fermatas: frozenset[int] = frozenset()) -> Score:
    """One chord per row (S, A, T, B pitches; -1 for a rest), each `length` steps long."""
    voices = tuple(
        tuple(Note(i * length, length, row[v]) for i, row in enumerate(rows) if row[v] >= 0)
        for v in range(4))
    return Score(voices=voices, length=len(rows) * length, key=key, fermatas=fermatas)


C = (72, 67, 64, 48)  # C major, root position
G = (71, 67, 62, 55)  # G major, root position


def only(counts: RuleCounts, *names: str) -> dict[str, int]:
    """The rules that were counted, all of them, so a test also sees none counted wrongly."""
    found = {name: getattr(counts, name) for name in RULES if getattr(counts, name)}
    assert set(found) == set(names), found
    return found


# --- the rules ---------------------------------------------------------------------------

def test_a_parallel_fifth_is_counted_once_per_pair_of_voices():
    score = chords((72, 67, 64, 48), (74, 69, 65, 50))  # up a tone, but the tenor a semitone
    counts = rule_counts(score)
    assert counts.chord_changes == 2
    assert counts.parallel_fifths == 1  # alto a twelfth over the bass, then again
    assert counts.parallel_octaves == 1  # soprano and bass in (compound) octaves
    plain = chords((72, 64, 60, 48), (72, 65, 62, 47))  # no two voices move alike
    assert rule_counts(plain).parallel_fifths == rule_counts(plain).parallel_octaves == 0


def test_no_parallel_across_a_rest_or_out_of_a_chord_under_a_fermata():
    resting = chords((72, 67, 64, 48), (-1, -1, -1, -1), (74, 69, 65, 50))
    assert rule_counts(resting).parallel_fifths == 0
    assert rule_counts(resting).parallel_octaves == 0
    held = chords((72, 67, 64, 48), (74, 69, 65, 50), fermatas=frozenset({0}))
    assert rule_counts(held).parallel_fifths == rule_counts(held).parallel_octaves == 0
    # a fermata later on leaves the motion before it counted
    later = chords((72, 67, 64, 48), (74, 69, 65, 50), fermatas=frozenset({4}))
    assert rule_counts(later).parallel_fifths == 1


def test_a_hidden_octave_into_the_outer_voices_is_counted_when_the_soprano_leaps():
    leap = chords((67, 64, 60, 48), (74, 67, 59, 50))  # S up a fifth, B up a tone: D-D
    only(rule_counts(leap), "hidden_octaves")
    step = chords((73, 64, 57, 45), (74, 66, 57, 50))  # S up a semitone into D-D
    assert rule_counts(step).hidden_octaves == 0
    contrary = chords((67, 64, 60, 52), (74, 65, 59, 50))  # S up, B down into D-D
    assert rule_counts(contrary).hidden_octaves == 0


def test_a_hidden_fifth_into_the_outer_voices():
    score = chords((72, 64, 60, 48), (79, 67, 59, 52))  # S up a fifth to G, B up to E: no
    assert rule_counts(score).hidden_fifths == 0
    score = chords((69, 64, 60, 48), (74, 67, 59, 55))  # S up a fourth to D, B up to G
    only(rule_counts(score), "hidden_fifths")


def test_voices_crossed_and_overlapping():
    crossed = chords(C, (67, 72, 64, 48))  # the alto above the soprano
    assert rule_counts(crossed).crossings == 1
    # the alto moves above the pitch the soprano has just left, but under its new one
    overlap = chords((67, 64, 60, 48), (72, 69, 64, 45))
    only(rule_counts(overlap), "overlaps")
    # a rest in the alto leaves soprano and tenor neighbours
    assert rule_counts(chords((60, -1, 64, 48))).crossings == 1


def test_wide_spacing_between_the_upper_voices_counts_each_pair_on_its_own():
    score = chords((81, 67, 64, 48), (76, 72, 55, 48), C)
    counts = only(rule_counts(score), "wide_soprano_alto", "wide_alto_tenor")
    assert counts == {"wide_soprano_alto": 1, "wide_alto_tenor": 1}
    tenor_bass = chords((72, 67, 64, 40))  # tenor and bass may stand far apart
    only(rule_counts(tenor_bass))


def test_notes_out_of_range_are_counted_per_note_and_rates_are_per_100_chord_changes():
    score = chords((84, 67, 64, 48), (86, 67, 64, 34), C, C)
    counts = rule_counts(score)
    assert counts.out_of_range == 3 and counts.notes == 16
    assert counts.per_100()["out_of_range"] == pytest.approx(3 * 100 / 4)


def test_a_span_judges_its_first_chord_on_how_it_is_reached():
    score = chords((72, 67, 64, 48), (74, 69, 65, 50), (72, 67, 64, 48))
    assert rule_counts(score, 4, 8).parallel_fifths == 1
    assert rule_counts(score, 4, 8).chord_changes == 1
    assert rule_counts(score, 0, 4).parallel_fifths == 0


def test_bach_breaks_the_rules_rarely(small_corpus):
    total = collect(style_stats(e.score) for e in small_corpus.entries[:3]).rules
    rates = total.per_100()
    assert total.chord_changes > 100
    assert rates["parallel_fifths"] < 2 and rates["parallel_octaves"] < 2
    assert rates["crossings"] < 10 and rates["out_of_range"] < 2


# --- distributions -----------------------------------------------------------------------

def test_every_distribution_of_a_chorale_sums_to_one(small_corpus):
    entries = small_corpus.entries[3:5]
    assert {e.key.split()[1] for e in entries} == {"major", "minor"}
    stats = collect(style_stats(e.score) for e in entries)
    assert stats.scores == 2
    for name in DISTRIBUTIONS:
        shares = stats.distribution(name)
        assert shares.sum() == pytest.approx(1.0), name
        assert (shares >= 0).all()
    summary = stats.summary()
    assert sum(summary[f"cadence_{k}"] for k in ("tonic", "dominant", "other")) \
        == pytest.approx(1)
    assert 0.8 < summary["in_scale"] <= 1


def test_the_distributions_count_what_is_in_the_score():
    score = Score(voices=(
        (Note(0, 4, 72), Note(4, 2, 74), Note(6, 2, 76), Note(8, 8, 72)),
        (Note(0, 8, 67), Note(8, 8, 67)),
        (Note(0, 8, 64), Note(8, 8, 64)),
        (Note(0, 8, 48), Note(8, 8, 48)),
    ), key="C major", fermatas=frozenset({8}))
    stats = style_stats(score)
    assert stats.counts["intervals_S"] == {"+2": 2, "-4": 1}
    assert stats.counts["intervals_B"] == {"0": 1}
    assert stats.counts["note_lengths"] == {"1/4": 1, "1/8": 2, "1/2": 7}
    assert stats.counts["motion"] == {"SATB": 2, "S": 2}
    assert stats.voice_notes == (4, 2, 2, 2)
    assert stats.counts["cadences"] == {"tonic": 1}
    # beats 0, 8 and 12 sound C-E-G; beat 4 has a D over them, neither triad nor seventh
    assert stats.counts["chords"] == {"I": 3, "other": 1}
    assert stats.counts["pitch_classes_major"]["1"] == 4 + 8 + 16  # C: soprano and bass
    assert not stats.counts["pitch_classes_minor"]


def test_statistics_add_up():
    a = style_stats(chords(C, G, C))
    b = style_stats(chords(G, C))
    total = a + b
    assert total.scores == 2
    assert total.rules.chord_changes == a.rules.chord_changes + b.rules.chord_changes
    assert total.counts["chords"]["I"] == a.counts["chords"]["I"] + b.counts["chords"]["I"]
    assert collect([a, b]).counts == total.counts
    assert StyleStats() + a == a + StyleStats()


# --- chords and cadences -----------------------------------------------------------------

@pytest.mark.parametrize("pitches, key, label", [
    ((72, 67, 64, 48), "C major", "I"),  # C E G, C in the bass
    ((72, 67, 60, 52), "C major", "I6"),  # E in the bass: first inversion
    ((72, 67, 64, 55), "C major", "I64"),
    ((71, 65, 62, 55), "C major", "V7"),  # G B D F
    ((71, 65, 55, 43), "C major", "V7"),  # the fifth left out
    ((74, 67, 65, 59), "C major", "V65"),  # B in the bass
    ((71, 65, 55, 50), "C major", "V43"),
    ((71, 67, 62, 53), "C major", "V42"),
    ((69, 65, 62, 50), "C major", "ii"),  # D F A
    ((71, 65, 62, 59), "C major", "viio"),  # B D F
    ((72, 67, 63, 48), "C minor", "i"),
    ((71, 65, 62, 55), "C minor", "V7"),
    ((68, 65, 62, 59), "C minor", "viio7"),  # B D F Ab
    ((75, 68, 63, 48), "C minor", "bVI6"),  # Ab major, C in the bass
    ((72, 63, 60, 56), "C minor", "bVI"),
    ((76, 74, 72, 48), "C major", "other"),  # C D E: neither triad nor seventh
])
def test_chords_are_named_by_root_inversion_and_quality_against_the_key(pitches, key, label):
    assert chord_label(list(pitches), key) == label


def test_identify_chord_gives_root_quality_and_inversion():
    name = identify_chord([74, 67, 65, 59])
    assert (name.root, name.quality, name.inversion) == (7, "dominant seventh", 1)
    assert identify_chord([72, 67, 64, 52]).inversion == 1
    assert identify_chord([-1, -1, -1, -1]) is None


def test_cadences_at_fermatas_are_tonic_dominant_or_other():
    assert cadence_kind([72, 67, 64, 48], "C major") == "tonic"
    assert cadence_kind([72, 67, 64, 52], "C major") == "other"  # I6 closes nothing
    assert cadence_kind([74, 67, 59, 55], "C major") == "dominant"
    assert cadence_kind([69, 64, 60, 45], "C major") == "other"
    assert cadence_kind([72, 67, 64, 48], "C minor") == "tonic"  # a Picardy third
    assert cadence_kind([72, -1, -1, 48], "C major") == "other"


def test_key_relations_by_signature():
    home = key_number("C major")
    assert key_relation(home, key_number("C minor")) == "tonic"
    assert key_relation(home, key_number("A minor")) == "relative"
    assert key_relation(home, key_number("G major")) == "dominant side"
    assert key_relation(home, key_number("E minor")) == "dominant side"
    assert key_relation(home, key_number("F major")) == "subdominant side"
    assert key_relation(home, key_number("Eb major")) == "remote"
    assert key_relation(key_number("A minor"), key_number("E minor")) == "dominant side"


F = (72, 69, 65, 53)


def test_a_chorale_in_one_key_spends_its_bars_there():
    score = chords(*([C, F, G, C] * 4), key="C major")
    assert style_stats(score).counts["key_regions"] == {"tonic": 4}
    in_g = chords(*([C, F, G, C] * 4), key="G major")
    assert style_stats(in_g).counts["key_regions"] == {"subdominant side": 4}


# --- distances ---------------------------------------------------------------------------

def test_js_divergence_is_zero_for_the_same_and_grows_with_difference():
    p = np.array([0.5, 0.3, 0.2])
    assert js_divergence(p, p) == pytest.approx(0.0, abs=1e-12)
    assert js_divergence(p, 10 * p) == pytest.approx(0.0, abs=1e-12)  # counts or shares
    near, far = js_divergence(p, [0.4, 0.4, 0.2]), js_divergence(p, [0.0, 0.1, 0.9])
    assert 0 < near < far < 1
    assert js_divergence([1, 0], [0, 1]) == pytest.approx(1.0)  # nothing shared: 1 bit
    assert js_divergence(p, [0.0, 0.1, 0.9]) == pytest.approx(js_divergence([0.0, 0.1, 0.9], p))
    assert np.isnan(js_divergence([0, 0], [1, 0]))


def test_distances_from_oneself_are_zero_and_from_other_music_are_not(small_corpus):
    bach = collect(style_stats(e.score) for e in small_corpus.entries[:2])
    same = distances(bach, bach)
    assert all(v == pytest.approx(0, abs=1e-12) or np.isnan(v) for v in same.values())
    plain = collect([style_stats(chords(*([C, F, G, C] * 4)))])
    apart = grouped_distances(distances(plain, bach))
    assert apart["chords"] > 0.2 and apart["note lengths"] > 0.2 and apart["motion"] > 0.2
