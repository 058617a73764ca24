"""The main window's file handling through its actions: open, save, export, recent files,
drops, the unsaved-changes prompt and the chorale browser. The OS file dialog and the
prompt's answer are the only things patched."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QMessageBox,
    QProgressDialog,
)

from composer.gui.chorale_browser import ChoraleBrowser
from composer.gui.main_window import MainWindow
from composer.music.files import read_score, write_score
from composer.music.score import Note, Score, TimeSignature
from tests.gui.conftest import click, point, wait_opened

Button = QMessageBox.StandardButton


def rich_score() -> Score:
    """Everything a score holds: four voices, tempo, metre, key, fermatas."""
    return Score(
        (
            (Note(0, 4, 72), Note(4, 8, 74, 96)),
            (Note(0, 12, 67),),
            (Note(2, 6, 60), Note(8, 4, 62)),
            (Note(0, 12, 48, 64),),
        ),
        tempo=72.0,
        time_signature=TimeSignature(3, 4),
        key="G major",
        fermatas=frozenset({8}),
        length=24,
    )


@pytest.fixture
def save_dialog(monkeypatch):
    """Make the save dialog answer with a chosen path; records the calls."""
    calls = []

    def answer(path):
        def fake(*args, **kwargs):
            calls.append(args)
            return (str(path), "") if path else ("", "")
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))
    answer.calls = calls
    return answer


@pytest.fixture
def open_dialog(monkeypatch):
    def answer(path):
        monkeypatch.setattr(QFileDialog, "getOpenFileName",
                            staticmethod(lambda *a, **k: (str(path), "")))
    return answer


@pytest.fixture
def prompt(monkeypatch):
    """Answer the unsaved-changes prompt; records how often it was asked."""
    asked = []

    def answer(button):
        def fake(*args, **kwargs):
            asked.append(args[2])
            return button
        monkeypatch.setattr(QMessageBox, "question", staticmethod(fake))
    answer.asked = asked
    return answer


@pytest.fixture
def warnings(monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning",
                        staticmethod(lambda *a, **k: shown.append((a[1], a[2]))))
    monkeypatch.setattr(QMessageBox, "critical",
                        staticmethod(lambda *a, **k: shown.append((a[1], a[2]))))
    return shown


def test_save_then_open_gives_back_the_same_score(qtbot, window, tmp_path, save_dialog,
                                                  open_dialog):
    window.document.apply("Seed", rich_score())
    path = tmp_path / "seed.mid"
    save_dialog(path)
    window.action("file.save").trigger()
    assert path.exists()
    assert not window.document.modified
    assert window.windowTitle() == "seed.mid[*] — Composer"
    window.action("file.new").trigger()
    assert window.document.score == Score()
    open_dialog(path)
    window.action("file.open").trigger()
    wait_opened(qtbot, window)
    assert window.document.score == rich_score()
    assert window.document.path == path
    assert not window.document.modified


def test_save_without_a_suffix_writes_midi(window, tmp_path, save_dialog):
    window.document.apply("Seed", rich_score())
    save_dialog(tmp_path / "no-suffix")
    window.action("file.save").trigger()
    assert window.document.path == tmp_path / "no-suffix.mid"
    assert read_score(tmp_path / "no-suffix.mid").score == rich_score()


def test_save_on_a_saved_document_writes_to_its_file_without_asking(window, tmp_path,
                                                                     save_dialog):
    path = tmp_path / "again.mid"
    window.document.apply("Seed", rich_score())
    save_dialog(path)
    window.action("file.save").trigger()
    roll = window.roll
    roll.set_zoom(16.0, 12.0)
    roll.verticalScrollBar().setValue(int((127 - 84) * 12))
    click(roll, point(roll, 16, 79))
    assert window.document.modified
    assert window.isWindowModified()
    window.action("file.save").trigger()
    assert len(save_dialog.calls) == 1
    assert read_score(path).score == window.document.score


def test_a_cancelled_save_dialog_keeps_the_document_modified(window, save_dialog):
    window.document.apply("Seed", rich_score())
    save_dialog(None)
    assert window.save() is False
    assert window.document.modified


def test_exports_write_files_but_keep_the_documents_own_file(window, tmp_path, save_dialog):
    window.document.apply("Seed", rich_score())
    save_dialog(tmp_path / "copy.musicxml")
    window.action("file.export_musicxml").trigger()
    save_dialog(tmp_path / "copy.mid")
    window.action("file.export_midi").trigger()
    assert read_score(tmp_path / "copy.musicxml").score.voices == rich_score().voices
    assert read_score(tmp_path / "copy.mid").score == rich_score()
    assert window.document.path is None
    assert window.document.modified


def test_a_broken_file_gives_a_clear_message_and_keeps_the_music(qtbot, window, tmp_path,
                                                                 open_dialog, warnings):
    window.document.apply("Seed", rich_score())
    window.document.undo_stack.setClean()
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd this is not really a MIDI file")
    open_dialog(broken)
    window.action("file.open").trigger()
    wait_opened(qtbot, window)
    assert len(warnings) == 1
    title, text = warnings[0]
    assert title == "Cannot open file"
    assert "broken.mid" in text
    assert window.document.score == rich_score()
    assert window.isVisible()


def test_a_musicxml_export_is_titled_after_the_document(window, tmp_path, save_dialog):
    path = tmp_path / "My Chorale.mid"
    write_score(path, rich_score())
    window.document.reset(rich_score(), path)
    save_dialog(tmp_path / "out.musicxml")
    window.action("file.export_musicxml").trigger()
    text = (tmp_path / "out.musicxml").read_text()
    assert "<work-title>My Chorale</work-title>" in text
    assert "Music21" not in text


def test_cancelling_an_open_leaves_the_document_as_it_was(qtbot, window, tmp_path, warnings):
    path = tmp_path / "big.mid"
    write_score(path, rich_score())
    window.document.apply("Seed", Score(((Note(0, 4, 60),), (), (), ())))
    assert window.load(path)
    assert window.opener.busy  # in the background: the window goes on meanwhile
    window.findChild(QProgressDialog).canceled.emit()  # its Cancel button
    wait_opened(qtbot, window)
    assert window.document.score == Score(((Note(0, 4, 60),), (), (), ()))
    assert window.document.path is None and warnings == []


@pytest.mark.parametrize("where", ["missing folder", "a file as folder"])
def test_a_failed_save_says_why_and_keeps_the_document_modified(window, tmp_path, save_dialog,
                                                                 warnings, where):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    target = {"missing folder": tmp_path / "gone" / "x.mid",
              "a file as folder": blocker / "x.mid"}[where]
    window.document.apply("Seed", rich_score())
    save_dialog(target)
    assert window.save() is False
    assert warnings and warnings[0][0] == "Cannot save" and "x.mid" in warnings[0][1]
    assert window.document.modified and window.document.path is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]  # no temporary left


def test_opening_a_missing_recent_file_explains_and_forgets_it(window, tmp_path, warnings):
    gone = tmp_path / "gone.mid"
    window.recent.add(gone)
    assert window.load(gone) is False
    assert "does not exist" in warnings[0][1]
    assert window.recent.paths() == []


def test_unsaved_changes_prompt_cancel_keeps_the_document(window, prompt):
    window.document.apply("Seed", rich_score())
    prompt(Button.Cancel)
    window.action("file.new").trigger()
    assert window.document.score == rich_score()
    assert len(prompt.asked) == 1
    assert not window.close()
    assert window.isVisible()


def test_unsaved_changes_prompt_discard_drops_the_changes(window, prompt):
    window.document.apply("Seed", rich_score())
    prompt(Button.Discard)
    window.action("file.new").trigger()
    assert window.document.score == Score()
    assert not window.document.modified


def test_unsaved_changes_prompt_save_saves_first(window, prompt, save_dialog, tmp_path):
    window.document.apply("Seed", rich_score())
    prompt(Button.Save)
    save_dialog(tmp_path / "kept.mid")
    window.action("file.new").trigger()
    assert read_score(tmp_path / "kept.mid").score == rich_score()
    assert window.document.score == Score()


@pytest.mark.parametrize(("action", "says"), [
    ("file.new", "before you start a new, empty score?"),
    ("file.quit", "before you quit?"),
])
def test_the_unsaved_changes_prompt_says_what_is_about_to_happen(window, prompt, action, says):
    window.document.apply("Seed", rich_score())
    prompt(Button.Cancel)
    window.action(action).trigger()
    assert prompt.asked[0].endswith(says)
    assert "before closing it" not in prompt.asked[0]


def test_choosing_a_chorale_over_unsaved_changes_asks_before_replacing_them(
        qtbot, window, prompt, small_corpus):
    target = small_corpus.entries[0]
    window.document.apply("Seed", rich_score())
    prompt(Button.Cancel)

    def interact(browser):
        QTest.keyClicks(browser.search, target.id)
        browser.buttons.button(QDialogButtonBox.StandardButton.Open).click()

    _with_browser(qtbot, window, interact)
    assert prompt.asked == [
        "“Untitled” has changes that are not saved.\n"
        f"Save them before you replace it with the opening of BWV {target.bwv}?"]
    assert window.document.score == rich_score()  # Cancel kept them


def test_no_prompt_when_nothing_changed(window, prompt):
    prompt(Button.Cancel)
    window.action("file.new").trigger()
    assert prompt.asked == []


def test_title_shows_the_file_name_and_a_modified_mark(window):
    assert window.windowTitle() == "Untitled[*] — Composer"
    assert not window.isWindowModified()
    window.document.apply("Seed", rich_score())
    assert window.isWindowModified()
    window.document.undo_stack.undo()
    assert not window.isWindowModified()


def test_open_recent_lists_saved_files_and_reopens_them(qtbot, window, tmp_path, save_dialog):
    window.document.apply("Seed", rich_score())
    save_dialog(tmp_path / "recent.mid")
    window.action("file.save").trigger()
    window.action("file.new").trigger()
    window.recent_menu.aboutToShow.emit()
    entries = [a for a in window.recent_menu.actions() if a.text().endswith("recent.mid")]
    assert len(entries) == 1
    entries[0].trigger()
    wait_opened(qtbot, window)
    assert window.document.score == rich_score()


def test_recent_files_and_layout_survive_a_restart(qtbot, window, tmp_path, save_dialog,
                                                   settings):
    window.document.apply("Seed", rich_score())
    save_dialog(tmp_path / "persist.mid")
    window.action("file.save").trigger()
    window.resize(640, 480)
    window.findChild(QDockWidget, "historyDock").hide()
    assert window.close()
    reopened = MainWindow(settings=QSettings(settings.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(reopened)
    assert reopened.recent.paths() == [(tmp_path / "persist.mid").resolve()]
    assert reopened.size().width() == 640
    assert reopened.findChild(QDockWidget, "historyDock").isHidden()


DRAG_EVENT_CONSTRUCTOR = pytest.mark.filterwarnings("ignore:Function:DeprecationWarning")


@DRAG_EVENT_CONSTRUCTOR
def test_dropping_a_file_on_the_window_opens_it(qtbot, window, tmp_path, save_dialog):
    window.document.apply("Seed", rich_score())
    save_dialog(tmp_path / "dropped.mid")
    window.action("file.save").trigger()
    window.action("file.new").trigger()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "dropped.mid"))])
    pos = QPoint(300, 300)
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    wait_opened(qtbot, window)
    assert window.document.score == rich_score()


@DRAG_EVENT_CONSTRUCTOR
def test_a_dropped_file_of_another_kind_is_refused(window, tmp_path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    enter = QDragEnterEvent(QPoint(300, 300), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter.ignore()
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


# --- the chorale browser ------------------------------------------------------------------

def _with_browser(qtbot, window, interact):
    """Run `interact(browser)` once the modal browser is up, then return."""
    failures = []

    def run():
        browser = window.chorale_browser
        try:
            qtbot.waitUntil(lambda: browser.model.rowCount() > 0, timeout=10000)
            interact(browser)
        except Exception as error:  # surfaced after exec() returns
            failures.append(error)
            browser.reject()

    QTimer.singleShot(0, run)
    window.action("file.new_chorale").trigger()
    if failures:
        raise failures[0]


def test_chorale_browser_filters_by_search_text(qtbot, window, small_corpus):
    target = small_corpus.entries[2]
    seen = {}

    def interact(browser):
        seen["all"] = browser.model.rowCount()
        QTest.keyClicks(browser.search, target.bwv)
        seen["found"] = [browser.model.entry(r).id for r in range(browser.model.rowCount())]
        browser.search.clear()
        QTest.keyClicks(browser.search, "no such chorale")
        seen["none"] = browser.model.rowCount()
        seen["open_enabled"] = browser.open_button.isEnabled()
        browser.reject()

    _with_browser(qtbot, window, interact)
    assert seen["all"] == len(small_corpus.entries)
    assert target.id in seen["found"]
    assert seen["none"] == 0 and seen["open_enabled"] is False
    assert window.document.score == Score()


def test_chorale_browser_opens_the_chosen_bars_as_a_new_document(qtbot, window, small_corpus):
    target = max(small_corpus.entries, key=lambda e: e.bars)

    def interact(browser):
        QTest.keyClicks(browser.search, target.id)
        browser.bars.setValue(3)
        browser.buttons.button(QDialogButtonBox.StandardButton.Open).click()

    _with_browser(qtbot, window, interact)
    score = window.document.score
    steps = 3 * target.score.steps_per_bar
    assert score == target.score.slice(0, steps)
    assert score.key == target.key and score.time_signature == target.time_signature
    assert window.document.path is None and not window.document.modified
    assert f"BWV {target.bwv}" in window.windowTitle()
    assert window.corpus is small_corpus


def test_chorale_browser_shows_progress_while_loading_and_can_be_stopped(qtbot, small_corpus):
    import threading

    release = threading.Event()

    def slow_loader(progress, cancel):
        progress(1, 10)
        while not cancel():
            release.wait(0.01)
        raise RuntimeError("stopped")

    browser = ChoraleBrowser(None, slow_loader)
    qtbot.addWidget(browser)
    browser.show()
    qtbot.waitUntil(lambda: browser.progress.maximum() == 10)
    assert browser.loading.isVisible()
    assert browser.progress.value() == 1
    with qtbot.waitSignal(browser.rejected, timeout=5000):
        browser.cancel_load.click()
    assert browser.wait_until_loaded(5)


def test_chorale_browser_reports_a_loading_failure(qtbot):
    def failing(progress, cancel):
        raise OSError("music21 corpus missing")

    browser = ChoraleBrowser(None, failing)
    qtbot.addWidget(browser)
    browser.show()
    qtbot.waitUntil(lambda: "could not be read" in browser.progress_label.text())
    assert "music21 corpus missing" in browser.progress_label.text()


def test_tempo_metre_and_key_edits_are_undoable_steps(window):
    bar = window.score_bar
    bar.tempo.setValue(96)
    bar.time_signature.textActivated.emit("3/4")
    bar.key.textActivated.emit("D minor")
    score = window.document.score
    assert (score.tempo, str(score.time_signature), score.key) == (96.0, "3/4", "D minor")
    stack = window.document.undo_stack
    assert [stack.text(i) for i in range(stack.count())] == [
        "Change tempo", "Change time signature", "Change key"]
    stack.undo()
    stack.undo()
    assert str(window.document.score.time_signature) == "4/4"
    assert bar.time_signature.currentText() == "4/4"


def test_the_note_length_and_grid_boxes_shape_drawn_notes(window):
    roll = window.roll
    roll.set_zoom(16.0, 12.0)
    roll.verticalScrollBar().setValue(int((127 - 84) * 12))
    window.notes_bar.length_combo.setCurrentIndex(window.notes_bar.length_combo.findText("1/2"))
    window.notes_bar.grid_combo.setCurrentIndex(window.notes_bar.grid_combo.findText("Bar"))
    click(roll, point(roll, 21, 72))
    assert window.document.score.voices[0] == (Note(16, 8, 72),)
