from __future__ import annotations

import pytest

from composer.audio.schedule import PlaybackPlan, TimeMap, fermata_spans, note_events
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


def _with_fermata(score: Score, *steps: int) -> Score:
    return score.with_meta(fermatas=frozenset(steps))


def test_a_chord_under_a_fermata_is_held_twice_as_long_and_what_follows_waits():
    score = _with_fermata(chord_score(chords=3, tempo=120.0), 4)  # chords of 0.5 s at 0, 4, 8
    events = note_events(score)
    assert [e.time for e in events[::4]] == pytest.approx([0.0, 0.5, 1.5])
    assert [e.duration for e in events[::4]] == pytest.approx([0.5, 1.0, 0.5])
    assert PlaybackPlan(score).duration == pytest.approx(2.0)


def test_a_fermata_hold_of_one_plays_in_strict_time():
    score = _with_fermata(chord_score(chords=3, tempo=120.0), 4)
    assert note_events(score, timing=TimeMap(score, 1.0)) == note_events(
        chord_score(chords=3, tempo=120.0))
    assert PlaybackPlan(score, fermata_hold=1.0).duration == pytest.approx(1.5)
    with pytest.raises(ValueError, match="1 \\(in time\\) or more"):
        TimeMap(score, 0.5)


def test_the_playhead_slows_through_a_fermata_and_keeps_time_around_it():
    plan = PlaybackPlan(_with_fermata(chord_score(chords=3, tempo=120.0), 4))
    assert plan.step_at(0.25) == pytest.approx(2.0)  # before: 8 steps a second
    assert plan.step_at(1.0) == pytest.approx(6.0)  # under the fermata: 4 a second
    assert plan.step_at(1.75) == pytest.approx(10.0)  # after: 8 a second again
    timing = plan.timing
    for step in (0, 3.5, 4, 5.25, 8, 11.9):
        assert timing.step(timing.seconds(step)) == pytest.approx(step)


def test_a_fermata_ends_where_the_next_note_starts_in_any_voice():
    # the alto moves on an eighth into the held soprano note: the hold covers only the eighth
    score = Score(voices=((Note(0, 8, 72), Note(8, 4, 74)), (Note(0, 2, 67), Note(2, 6, 65)),
                          (), ()), tempo=120.0, fermatas=frozenset({0}))
    assert fermata_spans(score) == [(0, 2)]
    assert PlaybackPlan(score).duration == pytest.approx(12 * 0.125 + 2 * 0.125)


def test_a_fermata_on_the_last_chord_lengthens_the_ending_and_one_over_silence_holds_nothing():
    score = _with_fermata(chord_score(chords=2, tempo=120.0, rest_after=4), 4, 8)
    assert fermata_spans(score) == [(8, 12)]
    assert score.length == 12
    assert PlaybackPlan(score).duration == pytest.approx(12 * 0.125 + 0.5)


def test_playing_from_inside_a_fermata_starts_on_its_slow_clock():
    plan = PlaybackPlan(_with_fermata(chord_score(chords=3, tempo=120.0), 4), start=6)
    (first, *_) = plan.take_until(0.01)
    assert first.duration == pytest.approx(0.5)  # the held chord's last two steps, held
    assert plan.duration == pytest.approx(1.0)


def test_a_loop_through_a_fermata_lasts_the_held_time_on_every_pass():
    plan = PlaybackPlan(_with_fermata(chord_score(chords=3, tempo=120.0), 4), loop=(0, 8))
    events = plan.take_until(4.5)
    assert [round(e.time, 3) for e in events[::4]] == [0.0, 0.5, 1.5, 2.0, 3.0, 3.5]
    assert plan.step_at(1.5 + 0.75) == pytest.approx(5.0)
