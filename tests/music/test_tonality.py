import json
from importlib import resources

import pytest

from composer.music.corpus import build_corpus
from composer.music.score import Note, Score
from composer.music.tonality import (
    ends_on_tonic,
    estimate_key,
    final_chord,
    score_key,
    tonic_chord,
)


@pytest.fixture(scope="module")
def test_split():
    recorded = json.loads(resources.files("composer.music").joinpath("corpus_split.json")
                          .read_text())
    return build_corpus(ids=recorded["test"], processes=1).entries


def test_the_estimate_finds_the_declared_key_of_most_chorales(test_split):
    found = [estimate_key(e.score) == e.key for e in test_split]
    assert sum(found) >= 0.75 * len(found)


def test_a_declared_key_wins_over_the_estimate(small_corpus):
    score = small_corpus.get("bwv10.7").score  # G minor, though its notes suggest Bb major
    assert estimate_key(score) != "G minor"
    assert score_key(score) == "G minor"
    assert score_key(score.with_meta(key=None)) == estimate_key(score)


def test_a_melody_of_one_pitch_class_suggests_no_key():
    melody = Score(voices=((Note(0, 4, 60), Note(4, 4, 72)), (), (), ()))
    assert estimate_key(melody) is None


@pytest.mark.parametrize("key, tonic, pitch_classes", [
    ("G minor", 7, {7, 10, 11, 2}),  # Bb or the Picardy B
    ("A major", 9, {9, 1, 4}),
    ("Eb major", 3, {3, 7, 10}),
])
def test_the_tonic_chord_of_a_key(key, tonic, pitch_classes):
    chord = tonic_chord(key)
    assert (chord.tonic, chord.pitch_classes) == (tonic, pitch_classes)


def chord_score(pitches, key="C major") -> Score:
    voices = tuple((Note(0, 8, 60 + 7 * (v % 2)), Note(8, 8, p)) if p is not None
                   else (Note(0, 8, 60),) for v, p in enumerate(pitches))
    return Score(voices=voices, key=key, length=16)


@pytest.mark.parametrize("pitches, key, expected", [
    ((72, 67, 64, 48), "C major", True),
    ((72, 64, 60, 48), "C major", True),  # no fifth
    ((76, 67, 60, 48), "A minor", False),  # C major in A minor
    ((69, 64, 61, 45), "A minor", True),  # the Picardy third
    ((72, 67, 64, 52), "C major", False),  # the third in the bass
    ((72, 67, None, 48), "C major", False),  # a voice fell silent
])
def test_a_score_ends_on_the_tonic_with_the_tonic_in_the_bass(pitches, key, expected):
    assert ends_on_tonic(chord_score(pitches, key), key) is expected


def test_the_final_chord_begins_where_its_latest_note_does():
    score = chord_score((72, 67, 64, 48)).add_note(0, Note(12, 4, 74))
    assert final_chord(score).onset == 12
    assert final_chord(Score()) is None


def test_most_of_bachs_chorales_end_on_the_tonic_of_their_declared_key(test_split):
    ends = [ends_on_tonic(e.score, e.key) for e in test_split]
    assert sum(ends) >= 0.7 * len(ends)


def test_a_final_bars_trailing_rest_is_not_the_last_chord():
    score = chord_score((72, 67, 64, 48)).with_meta(length=20)  # a quarter rest after it
    chord = final_chord(score)
    assert (chord.onset, chord.end, chord.pitches) == (8, 16, (72, 67, 64, 48))
    assert ends_on_tonic(score, "C major")
