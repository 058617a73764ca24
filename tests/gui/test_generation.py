"""The network in the window, driven as a person drives it: the Generate panel's widgets
clicked, keys sent to the focused roll, the shipped LSTM writing for real."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton

from composer.gui.chorale_browser import seed_of
from composer.gui.generation import Generation, install_generation
from composer.gui.generation_controller import network_pool
from composer.gui.main_window import MainWindow
from composer.gui.playback import Playback, install_playback
from composer.music.score import Note, Score
from tests.gui.conftest import click, closed, key, note_point, point, shown_at

NO_AUDIO = ["composer-no-such-fluidsynth"]
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
LEFT = Qt.MouseButton.LeftButton


def make_window(settings, corpus) -> MainWindow:
    return MainWindow(settings=settings, corpus_loader=lambda p, c: corpus,
                      parts=[lambda w: install_playback(w, NO_AUDIO), install_generation])


@pytest.fixture
def gwindow(qtbot, settings, small_corpus):
    window = shown_at(qtbot, make_window(settings, small_corpus), 8.0, 8.0)
    yield window
    generation(window).controller.cancel()
    network_pool().waitForDone(30_000)  # nothing of this test runs on into the next
    closed(window)


def generation(window: MainWindow) -> Generation:
    return window.part(Generation)


@pytest.fixture
def seed(small_corpus) -> Score:
    entry = max(small_corpus.entries, key=lambda e: e.bars)
    return seed_of(entry, 4)


def choose(window, mode: str, **settings) -> None:
    """Set the panel as a person would: the mode's radio button, then the boxes."""
    panel = generation(window).panel
    index = ("continue", "harmonize", "regenerate").index(mode)
    QTest.mouseClick(panel.modes.button(index), LEFT)
    for name, value in settings.items():
        widget = {"bars": panel.bars, "candidates": panel.count, "seed": panel.seed,
                  "temperature": panel.temperature}[name]
        widget.setValue(value)


def press_generate(qtbot, window) -> None:
    controller = generation(window).controller
    QTest.mouseClick(generation(window).panel.generate_button, LEFT)
    qtbot.waitUntil(lambda: controller.pending is not None, timeout=30000)
    window.roll.setFocus()


def test_continue_from_the_end_shows_candidates_and_enter_keeps_one_as_one_undo_step(
        qtbot, gwindow, seed):
    gwindow.document.reset(seed)
    choose(gwindow, "continue", bars=2, candidates=3)
    press_generate(qtbot, gwindow)
    controller, roll = generation(gwindow).controller, gwindow.roll
    assert gwindow.document.score is seed  # pending beside the document, not in it
    assert gwindow.document.undo_stack.count() == 0
    assert len(controller.pending.items) == 3
    assert roll.pending is not None and roll.pending.start == seed.length
    key(roll, Qt.Key.Key_Tab)
    assert controller.current == 1
    key(roll, Qt.Key.Key_Backtab, SHIFT)
    assert controller.current == 0
    key(roll, Qt.Key.Key_Tab)
    chosen = controller.current_candidate().score
    key(roll, Qt.Key.Key_Return)
    document = gwindow.document
    assert document.score == chosen and roll.pending is None
    assert document.score.length == seed.length + 2 * seed.steps_per_bar
    assert document.score.slice(0, seed.length).voices == seed.voices
    assert document.undo_stack.count() == 1
    assert document.undo_stack.undoText() == "Continue 2 bars"
    key(roll, Qt.Key.Key_Z, CTRL)
    assert document.score == seed


def test_after_clicking_in_the_panel_the_candidate_keys_still_work(qtbot, gwindow, seed):
    """Keys go to whatever has the focus after the clicks a person makes in the panel."""
    gwindow.document.reset(seed)
    panel, controller = generation(gwindow).panel, generation(gwindow).controller
    bar = seed.steps_per_bar
    gwindow.document.set_loop_range((bar, 2 * bar))
    QTest.mouseClick(panel.modes.button(2), LEFT)  # Regenerate
    QTest.mouseClick(panel.rewrite.boxes[1], LEFT)
    QTest.mouseClick(panel.generate_button, LEFT)
    qtbot.waitUntil(lambda: controller.pending is not None, timeout=30000)
    QTest.keyClick(gwindow.focusWidget(), Qt.Key.Key_Tab)
    assert controller.current == 1
    QTest.keyClick(gwindow.focusWidget(), Qt.Key.Key_Return)
    assert controller.pending is None and gwindow.document.undo_stack.count() == 1


def test_continue_from_the_playhead_replaces_what_follows_it(qtbot, gwindow, seed):
    gwindow.document.reset(seed)
    bar = seed.steps_per_bar
    gwindow.document.set_playhead(2 * bar)
    choose(gwindow, "continue", bars=1, candidates=1)
    panel = generation(gwindow).panel
    panel.continue_from.setCurrentIndex(1)
    panel.continue_from.activated.emit(1)
    press_generate(qtbot, gwindow)
    candidate = generation(gwindow).controller.current_candidate().score
    assert candidate.slice(0, 2 * bar).voices == seed.slice(0, 2 * bar).voices
    assert candidate.length == 3 * bar


def test_harmonize_keeps_the_tune_note_for_note_and_writes_only_in_its_range(
        qtbot, gwindow, seed):
    tune = Score((seed.voices[0], (), (), ()), tempo=seed.tempo,
                 time_signature=seed.time_signature, key=seed.key, fermatas=seed.fermatas,
                 length=seed.length)
    gwindow.document.reset(tune)
    bar = seed.steps_per_bar
    gwindow.document.set_loop_range((bar, 3 * bar))
    roll = gwindow.roll
    gwindow.document.set_looping(False)
    choose(gwindow, "harmonize", candidates=2)
    press_generate(qtbot, gwindow)
    key(roll, Qt.Key.Key_Enter)
    score = gwindow.document.score
    assert score.voices[0] == tune.voices[0]
    for v in (1, 2, 3):
        assert score.voices[v], "a lower voice was written"
        assert all(bar <= n.start and n.end <= 3 * bar for n in score.voices[v])
    assert gwindow.document.undo_stack.undoText() == "Harmonize bars 2–3"


def test_regenerate_changes_nothing_outside_the_region_or_the_chosen_voices(
        qtbot, gwindow, seed):
    gwindow.document.reset(seed)
    bar = seed.steps_per_bar
    gwindow.document.set_loop_range((bar, 2 * bar))
    choose(gwindow, "regenerate", candidates=2)
    panel = generation(gwindow).panel
    for box in panel.rewrite.boxes:
        box.setChecked(box.text() in ("A", "T"))
    press_generate(qtbot, gwindow)
    key(gwindow.roll, Qt.Key.Key_Return)
    score = gwindow.document.score
    assert score.voices[0] == seed.voices[0] and score.voices[3] == seed.voices[3]
    for v in (1, 2):
        assert score.slice(0, bar).voices[v] == seed.slice(0, bar).voices[v]
        assert (score.slice(2 * bar, seed.length).voices[v]
                == seed.slice(2 * bar, seed.length).voices[v])
    assert gwindow.document.undo_stack.undoText() == "Regenerate bar 2 (A, T)"


def test_escape_discards_the_candidates_and_leaves_score_and_history(qtbot, gwindow, seed):
    gwindow.document.reset(seed)
    choose(gwindow, "continue", bars=1, candidates=2)
    press_generate(qtbot, gwindow)
    key(gwindow.roll, Qt.Key.Key_Escape)
    assert generation(gwindow).controller.pending is None
    assert gwindow.roll.pending is None
    assert gwindow.document.score is seed and gwindow.document.undo_stack.count() == 0
    key(gwindow.roll, Qt.Key.Key_Escape)  # with none pending, Escape clears the selection


def test_cancel_stops_the_network_and_changes_nothing(qtbot, gwindow, seed):
    gwindow.document.reset(seed)
    choose(gwindow, "continue", bars=64, candidates=8)
    controller = generation(gwindow).controller
    QTest.mouseClick(generation(gwindow).panel.generate_button, LEFT)
    assert controller.busy
    QTest.mouseClick(generation(gwindow).panel.cancel_button, LEFT)
    qtbot.waitUntil(lambda: not controller.busy, timeout=30000)
    assert controller.pending is None and gwindow.document.score is seed


def test_the_same_seed_writes_the_same_candidates_twice(qtbot, gwindow, seed):
    gwindow.document.reset(seed)
    choose(gwindow, "continue", bars=1, candidates=2, seed=7)
    press_generate(qtbot, gwindow)
    first = [c.score for c in generation(gwindow).controller.pending.items]
    press_generate(qtbot, gwindow)
    assert [c.score for c in generation(gwindow).controller.pending.items] == first


def test_an_edit_while_candidates_are_pending_drops_them(qtbot, gwindow, seed):
    gwindow.document.reset(seed)
    choose(gwindow, "continue", bars=1, candidates=2)
    press_generate(qtbot, gwindow)
    roll = gwindow.roll
    click(roll, point(roll, 1, 100))  # draws a note: an edit
    assert generation(gwindow).controller.pending is None and roll.pending is None
    assert gwindow.document.undo_stack.count() == 1
    assert gwindow.document.undo_stack.undoText().startswith("Add ")


def test_listening_plays_the_score_with_the_current_candidate_in_place(qtbot, gwindow, seed):
    gwindow.document.reset(seed)
    choose(gwindow, "continue", bars=1, candidates=2)
    press_generate(qtbot, gwindow)
    transport = gwindow.part(Playback).controller
    controller = generation(gwindow).controller
    assert transport.heard_score() is controller.current_candidate().score
    key(gwindow.roll, Qt.Key.Key_Tab)
    assert transport.heard_score() is controller.current_candidate().score
    key(gwindow.roll, Qt.Key.Key_Escape)
    assert transport.heard_score() is gwindow.document.score


def test_a_broken_checkpoint_is_refused_and_the_shipped_net_stays(qtbot, gwindow, tmp_path,
                                                                   monkeypatch):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint at all")
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(broken), "")))
    warned = []
    monkeypatch.setattr(QMessageBox, "warning",
                        staticmethod(lambda *a, **k: warned.append(a[2])))
    panel = generation(gwindow).panel
    panel.network.setCurrentIndex(panel.network.count() - 1)
    panel.network.activated.emit(panel.network.count() - 1)
    qtbot.waitUntil(lambda: bool(warned), timeout=20000)
    assert "broken.pt" in warned[0] and "not a readable checkpoint" in warned[0]
    assert generation(gwindow).controller.settings.network == "gru"
    assert panel.network.currentData() == "gru"


def test_the_confidence_view_gives_every_note_a_probability(qtbot, gwindow, seed):
    gwindow.document.reset(seed)
    key(gwindow.roll, Qt.Key.Key_K, CTRL)
    roll = gwindow.roll
    qtbot.waitUntil(lambda: roll.confidence is not None, timeout=20000)
    assert set(roll.confidence) == set(seed.notes())
    assert all(0 < p <= 1 for p in roll.confidence.values())
    key(roll, Qt.Key.Key_K, CTRL)
    assert roll.confidence is None


def test_double_clicking_an_alternative_puts_it_in_place_as_one_undo_step(qtbot, gwindow,
                                                                          seed):
    gwindow.document.reset(seed)
    roll, panel = gwindow.roll, generation(gwindow).panel
    note = seed.voices[0][2]
    click(roll, note_point(roll, 0, note))
    qtbot.waitUntil(lambda: panel.alternatives.count() > 0, timeout=20000)
    item = next(panel.alternatives.item(i) for i in range(panel.alternatives.count())
                if panel.alternatives.item(i).data(Qt.ItemDataRole.UserRole)
                not in (None, note.pitch))
    pitch = item.data(Qt.ItemDataRole.UserRole)
    panel.alternatives.itemActivated.emit(item)
    voice = gwindow.document.score.voices[0]
    assert Note(note.start, note.duration, pitch, note.velocity) in voice
    assert gwindow.document.undo_stack.count() == 1
    assert gwindow.document.undo_stack.undoText().startswith("Change ")


def test_the_panel_settings_are_kept_for_the_next_launch(qtbot, gwindow, settings,
                                                          small_corpus):
    choose(gwindow, "harmonize", candidates=6, temperature=0.8)
    again = make_window(QSettings(settings.fileName(), QSettings.Format.IniFormat),
                        small_corpus)
    try:
        s = generation(again).controller.settings
        assert (s.mode, s.candidates, s.temperature) == ("harmonize", 6, 0.8)
        assert generation(again).panel.modes.checkedId() == 1
    finally:
        again.document.undo_stack.setClean()
        again.close()
        again.deleteLater()


def test_a_tune_drawn_note_by_note_is_harmonized_whole_not_in_its_last_bar(gwindow):
    """The note just drawn is selected; it must not narrow the harmonization to its bar."""
    roll = gwindow.roll
    roll.set_zoom(8.0, 8.0)
    for step, pitch in ((0, 72), (16, 74), (32, 76)):
        click(roll, point(roll, step, pitch))
    assert len(roll.selection) == 1
    choose(gwindow, "harmonize")
    assert generation(gwindow).panel.range_label.text() == "Bars 1–3 (the whole score)"


def test_the_card_of_the_shipped_network_is_one_click_away(gwindow, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "information",
                        staticmethod(lambda *a, **k: shown.append((a[1], a[2]))))
    QTest.mouseClick(generation(gwindow).panel.findChild(QPushButton, "cardButton"), LEFT)
    title, text = shown[0]
    assert title == "Network: gru"
    assert "GRU, 2 layers × 256 units" in text and "nats per note" in text
    assert "Trained on: corpus (336 chorales" in text


def harmonize_tune(qtbot, window, seed) -> None:
    tune = seed.with_meta(voices=(seed.voices[0], (), (), ()))
    window.document.reset(tune)
    choose(window, "harmonize", candidates=2)
    press_generate(qtbot, window)


def test_harmonize_writes_with_the_shipped_harmonizer_and_the_candidates_say_so(
        qtbot, gwindow, seed):
    harmonize_tune(qtbot, gwindow, seed)
    assert generation(gwindow).controller.written_by == "harmonizer"
    item = generation(gwindow).panel.candidates.item(0)
    assert "harmonizer, which reads the whole tune" in item.toolTip()


def test_without_a_harmonizer_the_chosen_net_harmonizes_and_the_status_bar_says_so(
        qtbot, gwindow, seed, tmp_path, monkeypatch):
    import shutil

    from composer.ml import checkpoint

    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("gru.pt", "gru.json"):
        shutil.copy(checkpoint.MODELS_DIR / name, folder / name)
    monkeypatch.setattr(checkpoint, "MODELS_DIR", folder)
    harmonize_tune(qtbot, gwindow, seed)
    assert generation(gwindow).controller.written_by == "gru"
    assert "no harmonizer" in gwindow.statusBar().currentMessage()
    assert gwindow.document.score.voices[0] == seed.voices[0]


def test_a_tune_whose_last_bar_is_short_is_harmonized_whole(qtbot, gwindow, seed):
    """A chorale with a pickup ends on a short bar; the whole score is still a span."""
    short = seed.slice(0, seed.length - seed.steps_per_bar // 4)
    harmonize_tune(qtbot, gwindow, short)
    pending = generation(gwindow).controller.pending
    assert (pending.start, pending.end) == (0, short.length)


@pytest.mark.parametrize("box, setting", [("voicing", "strict_voicing"),
                                          ("cadences", "cadence_triads")])
def test_a_rule_box_unticked_turns_its_rule_off_and_stays_off_at_the_next_launch(
        qtbot, gwindow, settings, small_corpus, box, setting):
    panel = generation(gwindow).panel
    assert getattr(panel, box).isChecked()
    QTest.mouseClick(getattr(panel, box), LEFT)
    assert getattr(generation(gwindow).controller.settings, setting) is False
    again = make_window(QSettings(settings.fileName(), QSettings.Format.IniFormat),
                        small_corpus)
    try:
        assert getattr(generation(again).controller.settings, setting) is False
        assert not getattr(generation(again).panel, box).isChecked()
        assert generation(again).panel.parallels.isChecked()
    finally:
        again.document.undo_stack.setClean()
        again.close()
        again.deleteLater()
