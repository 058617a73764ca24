"""The Score panel as a person uses it: it follows edits, lights the playing chord, a click
on a note selects it in the roll, File ▸ Export PDF writes the pages, and without Verovio
the app still opens and the panel says why it is empty."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from composer.gui.generation import install_generation
from composer.gui.generation_controller import network_pool
from composer.gui.main_window import MainWindow
from composer.gui.playback import Playback, install_playback
from composer.gui.score_part import ScorePart, install_score_view
from composer.music.engraving import A4, engrave
from composer.music.score import Note
from tests.gui.conftest import closed, score_with

pytest.importorskip("verovio")
NO_AUDIO = ["composer-no-such-fluidsynth"]


@pytest.fixture
def score_window(qtbot, settings, small_corpus):
    window = MainWindow(settings=settings, corpus_loader=lambda p, c: small_corpus,
                        parts=[lambda w: install_playback(w, NO_AUDIO), install_score_view])
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.part(ScorePart).engraver.shutdown()
    closed(window)


def shown(qtbot, window: MainWindow):
    """Wait until the panel shows the document as it is now; the canvas."""
    view = window.part(ScorePart).view

    def current() -> bool:
        engraved = view.canvas.engraved
        return engraved is not None and engraved.request.score is window.document.score

    qtbot.waitUntil(current, timeout=30000)
    return view.canvas


def test_an_edit_re_engraves_and_the_new_note_appears(qtbot, score_window):
    first = Note(0, 4, 72)
    score_window.document.reset(score_with((first,)))
    canvas = shown(qtbot, score_window)
    assert canvas.note_rect((0, first)) is not None
    new = Note(4, 4, 76)
    score_window.document.apply("Add note", score_window.document.score.add_note(0, new))
    canvas = shown(qtbot, score_window)
    assert canvas.note_rect((0, new)) is not None
    assert canvas.note_rect((0, first)).center().x() < canvas.note_rect((0, new)).center().x()


def test_a_burst_of_edits_shows_the_last_and_drops_what_went_stale(qtbot, score_window):
    document = score_window.document
    document.reset(score_with((Note(0, 4, 72),)))
    shown(qtbot, score_window)
    engraver = score_window.part(ScorePart).engraver
    for step in range(4, 64, 4):  # faster than one engraving
        document.apply("Add note", document.score.add_note(1, Note(step, 4, 64)))
        engraver._start()  # as the coalescing timer would, at once
    canvas = shown(qtbot, score_window)
    assert canvas.note_rect((1, Note(60, 4, 64))) is not None
    assert engraver.stale_dropped >= 1


def test_clicking_a_note_in_the_score_selects_it_in_the_roll(qtbot, score_window):
    notes = (Note(0, 4, 72), Note(4, 4, 74), Note(8, 8, 76))
    score_window.document.reset(score_with(notes, (Note(0, 16, 65),)))
    canvas = shown(qtbot, score_window)
    rect = canvas.note_rect((0, notes[1]))
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=rect.center())
    assert score_window.roll.selection == {(0, notes[1])}
    other = canvas.note_rect((1, Note(0, 16, 65)))
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     other.center())
    assert score_window.roll.selection == {(0, notes[1]), (1, Note(0, 16, 65))}


def test_a_note_clicked_in_the_score_far_along_is_scrolled_into_the_roll(qtbot, score_window,
                                                                          small_corpus):
    score = max(small_corpus.entries, key=lambda e: e.score.length).score
    score_window.document.reset(score)
    canvas = shown(qtbot, score_window)
    roll = score_window.roll
    roll.horizontalScrollBar().setValue(0)
    late = score.voices[3][-2]
    rect = canvas.note_rect((3, late))
    canvas.parentWidget().parentWidget().ensureVisible(rect.center().x(), rect.center().y())
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.note_rect((3, late)).center())
    assert roll.selection == {(3, late)}
    first, last = roll.visible_steps()
    low, high = roll.visible_pitches()
    assert first <= late.start <= last and low <= late.pitch <= high


def test_the_playing_chord_is_lit_where_the_transport_sounds(qtbot, score_window,
                                                               small_corpus):
    score = small_corpus.entries[0].score
    score_window.document.reset(score)
    canvas = shown(qtbot, score_window)
    transport = score_window.part(Playback).controller
    for step in (score.voices[0][0].start + 0.5, 41.25, 60.0):
        transport.positionChanged.emit(step)
        chord = {(v, n) for v in range(4) for n in score.voices[v] if n.start <= step < n.end}
        assert set(canvas.playing) == chord
    transport.positionChanged.emit(-1.0)  # stopped
    assert canvas.playing == []


def test_export_pdf_writes_every_engraved_page(qtbot, score_window, small_corpus, tmp_path):
    from PySide6.QtPdf import QPdfDocument

    entry = small_corpus.entries[0]
    voices = tuple(v + tuple(n.shifted(entry.score.length) for n in v)
                   for v in entry.score.voices)  # twice over: more than one page
    long = score_with(*voices).with_meta(time_signature=entry.score.time_signature,
                                         key=entry.score.key)
    score_window.document.reset(long)
    path = tmp_path / "chorale.pdf"
    task = score_window.part(ScorePart).pdf.export(path)
    qtbot.waitUntil(lambda: task.wait(0) and path.exists(), timeout=60000)
    assert path.read_bytes().startswith(b"%PDF")
    document = QPdfDocument()
    assert document.load(str(path)) == QPdfDocument.Error.None_
    pages = len(engrave(long, None, A4).pages)
    assert pages >= 2 and document.pageCount() == pages
    size = document.pagePointSize(0)
    assert round(size.width()) == 595 and round(size.height()) == 842  # A4


def test_score_view_is_in_the_view_menu_and_no_key_is_shared(qtbot, settings, small_corpus):
    """With every part installed, as the app builds the window."""
    window = MainWindow(settings=settings, corpus_loader=lambda p, c: small_corpus,
                        parts=[lambda w: install_playback(w, NO_AUDIO), install_generation,
                               install_score_view])
    try:
        assert window.action("view.score") in window.view_menu.actions()
        assert window.action("file.export_pdf") in window.menus["file"].actions()
        assert window.action_collection.conflicts() == []
    finally:
        # The Generate part reads its network in the background and reports to the window
        # when done: let that arrive while the window is still there.
        qtbot.wait(100)  # it starts from a zero timer
        network_pool().waitForDone(120_000)
        qtbot.wait(100)
        window.part(ScorePart).engraver.shutdown()
        closed(window)


def test_without_verovio_the_app_opens_and_the_score_panel_says_why(tmp_path):
    """A child process in which `import verovio` fails, as on a machine without it."""
    child = textwrap.dedent("""
        import json, sys
        sys.modules["verovio"] = None  # import verovio raises ImportError
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication
        from composer.gui.main_window import MainWindow
        from composer.gui.score_part import ScorePart, install_score_view
        app = QApplication([])
        settings = QSettings(sys.argv[1], QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, parts=[install_score_view])
        window.show()
        app.processEvents()
        view = window.part(ScorePart).view
        print("RESULT " + json.dumps({
            "message_shown": view.currentWidget() is not view.scroll,
            "pdf_enabled": window.action("file.export_pdf").isEnabled(),
            "message": view.message.text(),
            "problem": window.problems().get("verovio", "")}))
        window.close()
    """)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", child, str(tmp_path / "s.ini")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    seen = json.loads(line.removeprefix("RESULT "))
    assert seen["message_shown"] and not seen["pdf_enabled"]
    assert "Verovio" in seen["message"] and "pip install verovio" in seen["message"]
    assert "make setup" in seen["message"] and "make setup" in seen["problem"]


def test_engraved_pages_follow_the_screens_pixel_ratio(qtbot, score_window):
    score_window.document.reset(score_with((Note(0, 4, 72),)))
    canvas = shown(qtbot, score_window)
    page = canvas.engraved.pages[0]
    ratio = score_window.devicePixelRatioF() or QGuiApplication.primaryScreen().devicePixelRatio()
    assert page.image.devicePixelRatio() == pytest.approx(ratio)
    assert page.image.width() == round(page.width * ratio)
