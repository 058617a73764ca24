"""The real-time player heard through PulseAudio's null sink, as .ci/test.sh sets it up."""

from __future__ import annotations

import subprocess
import time

import pytest

from composer.audio import player as player_module
from composer.audio.mixer import Mixer
from composer.audio.monitor import MonitorRecorder
from composer.audio.player import PERIOD_SIZES, RealtimePlayer
from composer.audio.schedule import PlaybackPlan

from .conftest import chord_score

QUIET = 0.002


@pytest.fixture
def recorder(pulse):
    recorder = MonitorRecorder()
    recorder.start()
    yield recorder
    recorder.stop()


def play_through(player, plan, stop_after: float | None = None) -> tuple[float, float]:
    """Play `plan` pumping like the GUI's timer; returns when play and stop were asked."""
    started = time.monotonic()
    player.play(plan)
    while True:
        time.sleep(0.01)
        player.pump()
        position = player.position()
        if plan.finished(position) or (stop_after is not None and position >= stop_after):
            break
    stopped = time.monotonic()
    player.stop()
    return started, stopped


def test_a_chorale_sounds_from_play_for_its_length(player, recorder):
    player.set_mixer(Mixer())
    time.sleep(0.3)
    started, finished = play_through(player, PlaybackPlan(chord_score(chords=4)))  # 2.0 s
    time.sleep(1.2)
    recording = recorder.stop()
    assert recording.rms(started - 0.3, started) < QUIET  # silence before Play
    onsets = recording.onsets()
    assert onsets, "nothing was heard"
    assert started <= onsets[0] < started + 0.25
    heard = recording.last_sound() - onsets[0]
    assert 1.9 < heard < 2.0 + 1.0  # the notes, then the organ's release and the reverb
    assert finished - started == pytest.approx(2.0, abs=0.25)
    assert recording.rms(started + 3.2, started + 3.5) < QUIET


def test_the_playhead_glides_between_the_periods_the_driver_renders(player):
    # 2048-frame periods (the fixture's): the sample clock moves in steps of 46 ms
    player.play(PlaybackPlan(chord_score(chords=8)))
    positions, ticks = [], set()
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        time.sleep(0.002)
        player.pump()
        ticks.add(player.tick())
        positions.append(player.position())
    player.stop()
    settled = positions[len(positions) // 2:]  # once the lag is known
    assert settled == sorted(settled)
    assert len(set(settled)) > 4 * len(ticks) / 2  # many places per rendered period
    moves = sorted(b - a for a, b in zip(settled, settled[1:]))
    assert moves[int(0.95 * len(moves))] < player.latency / 4  # a stall may hold it once


def test_stop_silences_the_sound_when_told(player, recorder):
    player.set_mixer(Mixer())
    time.sleep(0.3)
    started, stopped = play_through(player, PlaybackPlan(chord_score(chords=20)), stop_after=0.8)
    time.sleep(1.8)
    recording = recorder.stop()
    assert recording.rms(started + 0.1, started + 0.7) > 0.01
    assert recording.rms(stopped + 1.0, stopped + 1.6) < QUIET
    assert recording.last_sound() < stopped + 1.0


def test_a_muted_voice_is_silent_and_the_others_are_not(player, recorder):
    score = chord_score(chords=4, voices=(0,))
    player.set_mixer(Mixer().with_voice(0, muted=True))
    time.sleep(0.3)
    started, _ = play_through(player, PlaybackPlan(score))
    player.set_mixer(Mixer().with_voice(1, muted=True))
    time.sleep(0.3)
    started_again, _ = play_through(player, PlaybackPlan(score))
    time.sleep(0.8)
    recording = recorder.stop()
    assert recording.rms(started, started + 2.0) < QUIET
    assert recording.rms(started_again + 0.1, started_again + 1.9) > 0.01


def test_audition_sounds_one_short_note_at_once(player, recorder):
    player.set_mixer(Mixer())
    time.sleep(0.3)
    asked = time.monotonic()
    player.audition(0, 72)
    time.sleep(1.5)
    recording = recorder.stop()
    onsets = recording.onsets()
    assert len(onsets) == 1 and asked <= onsets[0] < asked + 0.2
    assert recording.last_sound() < asked + 1.3


def test_a_suspended_output_costs_no_clock_and_reopens_for_the_next_note(player, recorder):
    player.suspend()
    assert player.suspended
    before = player.tick()
    time.sleep(0.3)
    assert player.tick() == before  # no stream: nothing rendered
    player.resume()
    assert not player.suspended and player.wait_until_running()
    asked = time.monotonic()
    player.audition(1, 67)
    time.sleep(1.2)
    recording = recorder.stop()
    onsets = recording.onsets()
    assert len(onsets) == 1 and asked <= onsets[0] < asked + 0.2


def test_a_playback_that_drops_out_leaves_a_larger_buffer_for_the_next(pulse):
    player = RealtimePlayer()
    try:
        assert player.wait_until_running()
        assert player.period_size == PERIOD_SIZES[0]
        player.play(PlaybackPlan(chord_score(chords=8)))
        pump_for(player, 0.6)
        assert not player.fit_buffer()  # never while playing
        drop_out(player)
        player.stop()
        assert player.dropout > 0.2
        assert player.fit_buffer()
        assert player.period_size == PERIOD_SIZES[1]
        assert player.latency == pytest.approx(PERIOD_SIZES[1] / player.synth.sample_rate)
        assert not player.fit_buffer()  # one step per playback that dropped
        assert player.wait_until_running()  # the reopened output takes sound again
    finally:
        player.close()


def test_a_dropout_before_an_edit_replans_the_playback_still_grows_the_buffer(pulse):
    player = RealtimePlayer(period_size=PERIOD_SIZES[2])
    try:
        assert player.wait_until_running()
        player.play(PlaybackPlan(chord_score(chords=8)))
        pump_until_rendered(player, 0.6)
        drop_out(player)
        player.play(PlaybackPlan(chord_score(chords=8), start=8))  # as an edit replans
        pump_until_rendered(player, 0.6)
        player.stop()
        assert player.fit_buffer()
        assert player.period_size == PERIOD_SIZES[3]
    finally:
        player.close()


def test_a_stretch_of_clean_playback_steps_the_buffer_back_down(pulse, monkeypatch):
    monkeypatch.setattr(player_module, "CLEAN_SECONDS", 1.0)
    # from the largest size, which plays without dropouts even on a busy two-core machine
    player = RealtimePlayer(period_size=PERIOD_SIZES[3])
    try:
        assert player.wait_until_running()
        play_for(player, 0.6)
        assert not player.fit_buffer()  # not yet long enough
        assert player.period_size == PERIOD_SIZES[3]
        play_for(player, 0.6)  # the stretch adds up over playbacks
        assert player.fit_buffer()
        assert player.period_size == PERIOD_SIZES[2]
        assert not player.fit_buffer()  # the new size starts a stretch of its own
        assert player.wait_until_running()
    finally:
        player.close()


def test_a_smaller_buffer_that_drops_out_is_not_tried_again(pulse, monkeypatch):
    monkeypatch.setattr(player_module, "CLEAN_SECONDS", 0.5)
    player = RealtimePlayer(period_size=PERIOD_SIZES[3])
    try:
        assert player.wait_until_running()
        play_for(player, 0.8)
        assert player.fit_buffer() and player.period_size == PERIOD_SIZES[2]
        assert player.wait_until_running()
        player.play(PlaybackPlan(chord_score(chords=8)))
        pump_until_rendered(player, 0.6)
        drop_out(player)
        player.stop()
        assert player.fit_buffer() and player.period_size == PERIOD_SIZES[3]
        assert player.wait_until_running()
        play_for(player, 0.8)
        assert not player.fit_buffer()
        assert player.period_size == PERIOD_SIZES[3]
    finally:
        player.close()


def test_an_output_that_is_gone_keeps_its_buffer_rather_than_hang_reopening(pulse):
    player = RealtimePlayer()
    try:
        assert player.wait_until_running()
        player.play(PlaybackPlan(chord_score(chords=8)))
        pump_for(player, 0.6)
        subprocess.run(["pactl", "suspend-sink", "composer_null", "1"], check=True)
        try:
            pump_for(player, 0.6)
            player.stop()
            assert player.dropout > 0.2
            assert not player.fit_buffer()
            assert player.period_size == PERIOD_SIZES[0]
        finally:
            subprocess.run(["pactl", "suspend-sink", "composer_null", "0"], check=True)
        assert player.wait_until_running()
    finally:
        player.close()


def pump_for(player, seconds: float) -> None:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        player.pump()
        time.sleep(0.01)


def play_for(player, seconds: float) -> None:
    player.play(PlaybackPlan(chord_score(chords=8)))
    pump_until_rendered(player, seconds)
    player.stop()


def pump_until_rendered(player, seconds: float) -> None:
    """Pump until `seconds` of the plan are rendered. At large periods the sink may take
    a first period, which `wait_until_running` counts as running, and then hold the new
    stream back for a moment."""
    start, deadline = player.tick(), time.monotonic() + seconds + 5.0
    while player.tick() - start < seconds * 1000 and time.monotonic() < deadline:
        player.pump()
        time.sleep(0.01)


def drop_out(player) -> None:
    """Suspend the sink while playing: the stream runs dry as on a machine too busy to
    keep the buffer fed, then plays on."""
    subprocess.run(["pactl", "suspend-sink", "composer_null", "1"], check=True)
    try:
        pump_for(player, 0.4)
    finally:
        subprocess.run(["pactl", "suspend-sink", "composer_null", "0"], check=True)
    pump_for(player, 0.6)
