from __future__ import annotations

import pytest

from composer.audio.schedule import PlaybackPlan, note_events
from composer.music.score import Note, Score

from .conftest import chord_score


def test_note_events_are_timed_from_the_start_at_the_score_tempo():
    score = chord_score(chords=2, tempo=120.0)  # a step lasts 0.125 s
    events = note_events(score)
    assert [e.time for e in events] == [0.0] * 4 + [0.5] * 4
    assert all(e.duration == pytest.approx(0.5) for e in events)
    assert [e.voice for e in events[:4]] == [0, 1, 2, 3]


def test_playing_from_the_middle_of_a_note_strikes_it_for_what_is_left():
    score = Score(voices=((Note(0, 8, 60),), (), (), ()), tempo=60.0)  # step = 0.25 s
    (event,) = note_events(score, start=3)
    assert event.time == 0.0 and event.duration == pytest.approx(5 * 0.25)


def test_plan_without_loop_ends_with_the_score():
    score = chord_score(chords=3, tempo=120.0)
    plan = PlaybackPlan(score, start=4)
    assert plan.duration == pytest.approx(1.0)
    assert plan.step_at(0.5) == pytest.approx(8.0)
    assert plan.step_at(5.0) == 12.0
    assert not plan.finished(0.99) and plan.finished(1.0)


def test_take_until_hands_out_each_note_once_in_order():
    plan = PlaybackPlan(chord_score(chords=4, tempo=120.0))
    first = plan.take_until(0.6)
    second = plan.take_until(10.0)
    assert len(first) == 8 and len(second) == 8
    times = [e.time for e in first + second]
    assert times == sorted(times)
    assert plan.take_until(20.0) == []


def test_loop_goes_round_and_cuts_notes_at_its_end():
    score = Score(voices=((Note(0, 4, 60), Note(4, 8, 62)), (), (), ()), tempo=120.0)
    plan = PlaybackPlan(score, start=2, loop=(0, 6))
    assert plan.duration is None and not plan.finished(100.0)
    events = plan.take_until(2.0)
    # from step 2: the rest of note 1 and the cut start of note 2, then full passes of 0.75 s
    assert [(round(e.time, 3), e.pitch, round(e.duration, 3)) for e in events] == [
        (0.0, 60, 0.25), (0.25, 62, 0.25),
        (0.5, 60, 0.5), (1.0, 62, 0.25),
        (1.25, 60, 0.5), (1.75, 62, 0.25),
    ]
    assert plan.step_at(0.5) == pytest.approx(0.0)
    assert plan.step_at(0.5 + 0.75 * 3 + 0.125) == pytest.approx(1.0)


def test_starting_outside_the_loop_starts_at_the_loop():
    plan = PlaybackPlan(chord_score(chords=8), start=20, loop=(4, 12))
    assert plan.start == 4.0


def test_a_loop_over_silence_hands_out_nothing_and_does_not_hang():
    score = Score(voices=((Note(0, 4, 60),), (), (), ()), length=32)
    plan = PlaybackPlan(score, start=8, loop=(8, 16))
    assert plan.take_until(100.0) == []
