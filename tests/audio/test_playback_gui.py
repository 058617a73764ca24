"""Playback in the main window: real keys and clicks, the real player on the null sink."""

from __future__ import annotations

import html
import subprocess
import time
import wave
from collections import Counter

import pytest
from PySide6.QtCore import QEventLoop, QPoint, QSettings, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from composer.audio import player as player_module
from composer.audio.player import PERIOD_SIZES
from composer.audio.soundfonts import default_soundfont
from composer.gui.main_window import MainWindow
from composer.gui.playback import Playback, install_playback
from composer.gui.transport import FERMATA_KEY, FOLLOW_KEY, MIXER_KEY, PERIOD_KEY, SOUNDFONT_KEY
from composer.music.score import Score

from .conftest import chord_score

MISSING = ["composer-no-such-fluidsynth"]


def wait(ms: int) -> None:
    """Let Qt run for `ms`: timers fire, the playhead moves."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def make_window(tmp_path, name: str, **options) -> MainWindow:
    settings = QSettings(str(tmp_path / f"{name}.ini"), QSettings.Format.IniFormat)
    for key, value in options.pop("settings", {}).items():
        settings.setValue(key, value)
    window = MainWindow(settings=settings,
                        parts=[lambda w: install_playback(w, **options)])
    window.resize(1100, 700)
    return window


@pytest.fixture(scope="module")
def window(qapp, pulse, tmp_path_factory):
    window = make_window(tmp_path_factory.mktemp("playback"), "app")
    window.show()
    controller = window.part(Playback).controller
    for _ in range(100):  # the engine opens in the background as the window appears
        if controller.player is not None or controller.problem:
            break
        wait(50)
    assert controller.player is not None, controller.problem
    assert controller.player.wait_until_running()
    yield window
    window.document.reset(Score())  # nothing to save: close without asking
    window.close()
    window.deleteLater()
    wait(10)


@pytest.fixture
def playback(window):
    controller = window.part(Playback).controller
    controller.stop()
    window.document.reset(chord_score(chords=8, tempo=120.0))  # 4 s, 8 steps a second
    window.roll.setFocus()
    yield controller
    controller.stop()


def press(window, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(window.roll.viewport(), key, modifiers)


def test_space_plays_from_the_playhead_pauses_and_stop_returns(window, playback):
    document = window.document
    document.set_playhead(4)
    positions = []
    playback.positionChanged.connect(positions.append)
    cursor_moves = []
    document.playheadChanged.connect(cursor_moves.append)
    press(window, Qt.Key.Key_Space)
    assert playback.playing
    assert playback.play_action.text() == "&Pause"
    wait(700)
    fractional = [p for p in positions if p >= 0]
    assert 6 <= fractional[-1] <= 20
    assert len(fractional) > 20 and any(p != int(p) for p in fractional)  # it glides
    assert document.playhead == 4 and cursor_moves == []  # the sound moves, not the cursor
    assert window.roll.shown_playhead() == pytest.approx(fractional[-1])
    press(window, Qt.Key.Key_Space)
    assert not playback.playing
    paused_at = document.playhead
    assert paused_at >= 6
    wait(200)
    assert document.playhead == paused_at
    press(window, Qt.Key.Key_Space, Qt.KeyboardModifier.ShiftModifier)
    assert document.playhead == 0  # Stop while stopped goes to the start


def test_stop_while_playing_returns_to_where_playing_started(window, playback):
    window.document.set_playhead(4)
    press(window, Qt.Key.Key_Space)
    wait(500)
    press(window, Qt.Key.Key_Space, Qt.KeyboardModifier.ShiftModifier)
    assert not playback.playing
    assert window.document.playhead == 4


def test_play_pressed_while_the_engine_opens_starts_once_it_is_open(qtbot, tmp_path, pulse):
    window = make_window(tmp_path, "opening")
    qtbot.addWidget(window)
    window.document.reset(chord_score(chords=8))
    controller = window.part(Playback).controller
    with qtbot.waitSignal(controller.engineReady, timeout=10000):
        controller.open_engine_in_background()  # as when the window first appears
        controller.play()
        assert controller.player is None and not controller.playing
    assert controller.playing
    controller.stop()


def test_play_reopens_an_output_closed_while_idle(window, playback):
    playback.player.suspend()
    assert playback.player.suspended
    press(window, Qt.Key.Key_Space)
    assert playback.playing and not playback.player.suspended
    assert playback.player.wait_until_running()


def test_playback_reaches_the_end_and_returns_to_where_it_started(window, playback):
    window.document.reset(chord_score(chords=2, tempo=120.0))  # 1 s
    playback.play()
    wait(1400)
    assert not playback.playing
    assert window.document.playhead == 0


def test_looping_with_the_playhead_outside_the_range_plays_from_the_loops_start(window,
                                                                             playback):
    window.document.set_playhead(24)
    window.document.set_loop_range((8, 16))
    press(window, Qt.Key.Key_Space)
    wait(300)
    assert playback.playing
    assert 8 <= playback.position_step() < 16
    press(window, Qt.Key.Key_L)  # looping off: it plays on past the range
    assert not window.document.looping
    wait(1300)
    assert playback.position_step() >= 16
    window.document.set_loop_range(None)


def test_a_loop_range_keeps_playing_round(window, playback):
    window.document.set_loop_range((8, 16))
    assert playback.loop_action.isChecked()
    window.document.set_playhead(8)
    playback.play()
    wait(1600)  # the range lasts 1 s
    assert playback.playing
    assert 8 <= playback.position_step() < 16
    window.document.set_loop_range(None)


def test_a_tempo_edit_while_playing_goes_on_at_the_new_tempo(window, playback):
    playback.play()
    wait(300)
    score = window.document.score
    window.document.apply("Change tempo", score.with_meta(tempo=60.0))
    assert playback.playing
    assert playback.player.plan.timing.seconds(1) == pytest.approx(0.25)
    edited = playback.position_step()
    deadline = time.monotonic() + 3  # a loaded machine may take a period or two to go on
    while playback.position_step() == edited and time.monotonic() < deadline:
        wait(10)
    before, started = playback.position_step(), time.monotonic()
    assert before > edited, "playback stood still after the tempo edit"
    wait(500)
    elapsed = time.monotonic() - started
    assert playback.position_step() - before == pytest.approx(4 * elapsed, abs=0.6)


def test_clicking_a_key_of_the_keyboard_sounds_it(window, playback):
    player = playback.player
    wait(700)  # earlier notes die away
    keyboard = window.roll.keyboard
    QTest.mouseClick(keyboard, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(10, keyboard.height() // 2))
    wait(30)
    assert player.synth.active_voices() > 0


def test_the_mixer_panel_mutes_solos_and_changes_instruments(window, playback):
    panel = window.part(Playback).mixer_panel
    panel.mute_buttons[1].click()
    assert playback.mixer.voices[1].muted
    assert playback.player.synth.mixer.channel_volume(1) == 0
    panel.solo_buttons[0].click()
    assert [playback.mixer.audible(v) for v in range(4)] == [True, False, False, False]
    combo = panel.program_combos[3]
    combo.setCurrentIndex(52)
    combo.activated.emit(52)
    assert playback.mixer.voices[3].program == 52
    assert "Choir" in window.settings.value(MIXER_KEY) or '"program": 52' in window.settings.value(
        MIXER_KEY)
    panel.mute_buttons[1].click()
    panel.solo_buttons[0].click()
    combo.setCurrentIndex(19)
    combo.activated.emit(19)


def fill_color(widget) -> QColor:
    """The colour most of the widget's rendered pixels have: its fill, not its text."""
    image = widget.grab().toImage()
    pixels = Counter(image.pixel(x, y) for x in range(image.width())
                     for y in range(image.height()))
    return QColor.fromRgb(pixels.most_common(1)[0][0])


@pytest.mark.parametrize(("kind", "hues"), [("mute", (range(0, 15), range(345, 360))),
                                            ("solo", (range(35, 60),))])
def test_mute_and_solo_fill_with_their_colour_while_on_and_say_so(window, playback, kind,
                                                                  hues):
    button = getattr(window.part(Playback).mixer_panel, f"{kind}_buttons")[2]
    state = "muted" if kind == "mute" else "solo"
    off = fill_color(button)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    on = fill_color(button)
    assert getattr(playback.mixer.voices[2], state) and button.isChecked()
    assert off.hsvSaturation() < 60 < 150 < on.hsvSaturation()
    assert any(on.hsvHue() in hue for hue in hues), on.name()
    assert f"is {'muted' if kind == 'mute' else 'soloed'}" in button.toolTip()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not getattr(playback.mixer.voices[2], state) and not button.isChecked()
    assert fill_color(button) == off
    assert "click" not in button.toolTip()


def test_follow_can_be_turned_off_and_is_remembered(window, playback):
    playback.follow_action.setChecked(False)
    assert window.roll.follows_playback is False
    assert window.settings.value(FOLLOW_KEY) in (False, "false")
    playback.follow_action.setChecked(True)
    assert window.roll.follows_playback is True


def test_hold_fermatas_slows_playback_through_a_fermata_and_is_remembered(
        window, playback, tmp_path):
    window.document.reset(chord_score(chords=8, tempo=120.0).with_meta(
        fermatas=frozenset({28})))  # the last chord, 0.5 s, held to 1 s
    action = playback.fermata_action
    assert action in window.menus["playback"].actions() and action.isChecked()
    playback.play()
    assert playback.player.plan.duration == pytest.approx(4.5)
    action.setChecked(False)  # while playing: goes on in strict time
    assert playback.playing and playback.player.plan.duration < 4.5
    assert window.settings.value(FERMATA_KEY) in (False, "false")
    playback.stop()
    again = make_window(tmp_path, "again", settings={FERMATA_KEY: False})
    assert not again.part(Playback).controller.fermata_action.isChecked()
    again.part(Playback).controller.close()
    again.deleteLater()
    action.setChecked(True)


def test_export_wav_renders_in_the_background(window, playback, qtbot, tmp_path):
    path = tmp_path / "chorale.wav"
    assert window.part(Playback).wav_exporter.action in window.menus["file"].actions()
    with qtbot.waitSignal(window.part(Playback).wav_exporter.exported, timeout=20000):
        window.part(Playback).wav_exporter.export(path)
    with wave.open(str(path)) as wav:
        assert wav.getnframes() == 5 * 44100  # 4 s of chords and 1 s of tail


def test_an_output_that_stops_taking_sound_stops_playback_and_try_again_resumes(
        window, playback):
    playback.play()
    wait(300)
    subprocess.run(["pactl", "suspend-sink", "composer_null", "1"], check=True)
    try:
        for _ in range(80):
            if not playback.playing:
                break
            wait(100)
        assert not playback.playing
        assert "The audio output stopped taking sound" in playback.problem
        assert not playback.play_action.isEnabled()
        assert not window.part(Playback).mixer_panel.retry_button.isHidden()
    finally:
        subprocess.run(["pactl", "suspend-sink", "composer_null", "0"], check=True)
    window.part(Playback).mixer_panel.retry_button.click()
    assert playback.problem == ""
    assert playback.play_action.isEnabled()
    assert window.part(Playback).mixer_panel.retry_button.isHidden()


def test_without_libfluidsynth_the_app_edits_but_play_explains_the_install(qtbot, tmp_path):
    window = make_window(tmp_path, "nolib", library_names=MISSING)
    qtbot.addWidget(window)
    window.show()
    controller = window.part(Playback).controller
    assert not controller.play_action.isEnabled()
    assert "sudo apt install libfluidsynth3" in controller.play_action.toolTip()
    assert not window.part(Playback).wav_exporter.action.isEnabled()
    assert window.action("file.export_midi").isEnabled()
    panel = window.part(Playback).mixer_panel
    assert not panel.problem_label.isHidden()
    assert "libfluidsynth" in panel.problem_label.text()
    assert panel.retry_button.isHidden()  # installing the library needs a restart
    press(window, Qt.Key.Key_Space)
    assert not controller.playing and controller.player is None
    window.document.apply("Add notes", chord_score(chords=1))
    assert window.document.score.note_count() == 4
    window.document.undo_stack.undo()  # back to unmodified: closing asks nothing


def test_without_an_audio_device_play_says_so_and_export_still_works(qtbot, tmp_path):
    window = make_window(tmp_path, "nodevice", drivers=["composer-no-such-driver"])
    qtbot.addWidget(window)
    controller = window.part(Playback).controller
    assert controller.start_engine() is None
    assert "No audio output could be opened" in controller.problem
    assert not controller.play_action.isEnabled()
    assert controller.play_action.toolTip() == f"<p>{html.escape(controller.problem)}</p>"
    assert controller.play_action.statusTip() == controller.problem
    assert window.part(Playback).wav_exporter.action.isEnabled()
    assert window.problems()["audio"] == controller.problem  # named until it is fixed
    assert window.problem_label.text().startswith("⚠ No audio output could be opened")
    retry = window.part(Playback).mixer_panel.retry_button
    assert not retry.isHidden()
    retry.click()  # the device is still missing: the same explanation stays
    assert "No audio output could be opened" in controller.problem


def test_a_bad_soundfont_in_settings_falls_back_and_says_why(qtbot, tmp_path, pulse):
    bad = tmp_path / "gone.sf2"
    window = make_window(tmp_path, "badsf", settings={SOUNDFONT_KEY: str(bad)})
    qtbot.addWidget(window)
    controller = window.part(Playback).controller
    player = controller.start_engine()
    assert player is not None and player.synth.soundfont == default_soundfont()
    panel = window.part(Playback).mixer_panel
    assert not panel.warning_label.isHidden()
    assert "gone.sf2 does not exist" in panel.warning_label.text()
    assert "choose another soundfont in the Mixer" in panel.warning_label.text()
    assert controller.play_action.isEnabled()
    controller.set_soundfont(None)
    assert panel.warning_label.isHidden()
    controller.close()


def test_a_playback_that_stuttered_grows_the_buffer_says_so_and_remembers(qtbot, tmp_path,
                                                                          pulse):
    window = make_window(tmp_path, "stutter")
    qtbot.addWidget(window)
    controller = window.part(Playback).controller
    player = controller.start_engine()
    assert player is not None and player.wait_until_running()
    first = player.period_size
    window.document.reset(chord_score(chords=8, tempo=120.0))
    controller.play()
    wait(600)
    subprocess.run(["pactl", "suspend-sink", "composer_null", "1"], check=True)
    try:
        wait(400)
    finally:
        subprocess.run(["pactl", "suspend-sink", "composer_null", "0"], check=True)
    wait(600)
    with qtbot.waitSignal(controller.notice) as told:
        controller.stop()
    assert "Playback stuttered" in told.args[0]
    assert player.period_size == 2 * first
    assert int(controller.settings.value(PERIOD_KEY)) == player.period_size
    assert window.statusBar().currentMessage() == told.args[0]
    window.document.reset(Score())
    controller.close()

    again = make_window(tmp_path, "stutter")  # the same settings file: the next session
    qtbot.addWidget(again)
    assert again.part(Playback).controller.start_engine().period_size == 2 * first
    again.document.reset(Score())
    again.part(Playback).controller.close()


def test_clean_playback_shrinks_the_buffer_says_so_and_remembers(qtbot, tmp_path, pulse,
                                                                monkeypatch):
    monkeypatch.setattr(player_module, "CLEAN_SECONDS", 0.5)
    window = make_window(tmp_path, "smooth", settings={PERIOD_KEY: PERIOD_SIZES[3]})
    qtbot.addWidget(window)
    controller = window.part(Playback).controller
    player = controller.start_engine()
    assert player.period_size == PERIOD_SIZES[3] and player.wait_until_running()
    window.document.reset(chord_score(chords=8, tempo=120.0))
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # Space is a window shortcut
    window.roll.setFocus()
    press(window, Qt.Key.Key_Space)
    assert controller.playing
    start = player.tick()
    for _ in range(100):  # a new stream may be held back a moment: wait for the sound
        if player.tick() - start >= 800:
            break
        wait(50)
    with qtbot.waitSignal(controller.notice) as told:
        press(window, Qt.Key.Key_Space)
    assert player.period_size == PERIOD_SIZES[2]
    assert f"back down to {player.latency * 1000:.0f} ms" in told.args[0]
    assert int(controller.settings.value(PERIOD_KEY)) == PERIOD_SIZES[2]
    assert window.statusBar().currentMessage() == told.args[0]
    window.document.reset(Score())
    controller.close()

    again = make_window(tmp_path, "smooth")  # the same settings file: the next session
    qtbot.addWidget(again)
    assert again.part(Playback).controller.start_engine().period_size == PERIOD_SIZES[2]
    again.document.reset(Score())
    again.part(Playback).controller.close()
