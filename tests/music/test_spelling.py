"""Pitch names follow the key, checked against music21's own idea of each key."""

from __future__ import annotations

import music21
import pytest

from composer.music.keys import KEYS
from composer.music.score import pitch_name
from composer.music.spelling import spell

MAJOR_KEYS = [k for k in KEYS if k.endswith("major")]
MINOR_KEYS = [k for k in KEYS if k.endswith("minor")]


def m21_key(key: str) -> music21.key.Key:
    tonic, mode = key.split()
    return music21.key.Key(tonic.replace("b", "-"), mode)


def written(pitch: music21.pitch.Pitch) -> str:
    return pitch.nameWithOctave.replace("-", "b")


@pytest.mark.parametrize("key", KEYS)
def test_the_scale_of_every_key_is_spelled_as_music21_spells_it(key):
    scale = m21_key(key).pitches[:7]
    names = [spell(p.midi, key) for p in scale]
    assert names == [written(p) for p in scale]
    assert len({name[0] for name in names}) == 7


@pytest.mark.parametrize("key", MINOR_KEYS)
def test_the_raised_sixth_and_seventh_of_minor_are_never_flats(key):
    tonic = m21_key(key).tonic
    melodic = music21.scale.MelodicMinorScale(tonic).getPitches(
        f"{tonic.name}4", f"{tonic.name}5", direction=music21.scale.Direction.ASCENDING)
    raised = [spell(p.midi, key) for p in melodic[5:7]]
    assert raised == [written(p) for p in melodic[5:7]]
    assert not any("b" in name[1:] for name in raised)
    assert raised[1] == written(m21_key(key).getLeadingTone())


@pytest.mark.parametrize("key, pitch, name", [
    ("E minor", 75, "D#5"),
    ("B minor", 70, "A#4"),
    ("C minor", 71, "B4"),
    ("G minor", 66, "F#4"),
    ("C minor", 68, "Ab4"),
    ("C minor", 63, "Eb4"),
    ("G major", 66, "F#4"),
])
def test_leading_tones_and_key_notes_are_spelled_by_the_key(key, pitch, name):
    assert spell(pitch, key) == name


def test_chromatic_notes_in_major_lean_on_the_degree_they_lead_to():
    # the bug's G major: the leading tones of vi and ii, never Eb and Ab
    assert [spell(p, "G major") for p in (63, 68)] == ["D#4", "G#4"]
    # raised 1st, 2nd, 4th and 5th as sharps, the lowered 7th as a flat
    assert [spell(p, "C major") for p in (61, 63, 66, 68, 70)] == [
        "C#4", "D#4", "F#4", "G#4", "Bb4"]
    assert [spell(p, "F major") for p in (71, 63)] == ["B4", "Eb4"]
    assert spell(68, "Bb major") == "Ab4"


def test_chromatic_notes_in_minor_are_the_neapolitan_picardy_third_and_raised_fourth():
    assert [spell(p, "E minor") for p in (65, 68, 70)] == ["F4", "G#4", "A#4"]
    assert [spell(p, "C minor") for p in (61, 64, 66)] == ["Db4", "E4", "F#4"]


def test_the_octave_number_belongs_to_the_written_letter():
    assert spell(60, "C# minor") == "B#3"
    assert spell(71, "Db major") == "Cb5"
    assert spell(59, "Bb minor") == "Cb4"
    assert spell(67, "G# minor") == "F##4"


@pytest.mark.parametrize("key", KEYS)
def test_every_name_in_every_key_is_the_pitch_it_spells(key):
    for pitch in range(24, 128):
        name = spell(pitch, key)
        assert music21.pitch.Pitch(name.replace("b", "-")).midi == pitch, name


def test_without_a_key_names_are_the_default_ones():
    assert [spell(p, None) for p in range(128)] == [pitch_name(p) for p in range(128)]


def test_a_key_may_be_given_in_any_spelling_keys_accepts():
    assert spell(75, "e") == spell(75, "E minor") == "D#5"


def test_a_borrowed_lowered_third_or_sixth_is_written_as_the_plain_letter_it_is():
    assert spell(65, "D major") == "F4"  # not E#4
    assert spell(72, "A major") == "C5"  # not B#4
    assert spell(67, "B major") == "G4"  # not F##4
    assert spell(63, "C major") == "D#4"  # the raised 2nd where both need an accidental


def test_no_chromatic_note_of_a_major_key_takes_a_double_sharp():
    for tonic in ("C", "G", "D", "A", "E", "B", "F#"):
        assert all("##" not in spell(p, f"{tonic} major") for p in range(60, 72))
