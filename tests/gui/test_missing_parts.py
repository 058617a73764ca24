"""Missing parts: the app starts, says what is missing and how to fix it, and everything
that does not need the missing part works. (No libfluidsynth, no audio device and a bad
soundfont are pinned in tests/audio/test_playback_gui.py, an unwritable corpus cache in
tests/music/test_corpus_cache.py.)"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from composer.gui.generation import Generation, install_generation
from composer.gui.generation_controller import network_pool
from composer.gui.main_window import MainWindow
from composer.ml import checkpoint
from composer.music.score import Note
from tests.gui.conftest import LEFT, click, point


def test_without_the_shipped_networks_the_app_says_so_and_editing_works(
        qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint, "MODELS_DIR", tmp_path / "no-models")
    warned = []
    monkeypatch.setattr(QMessageBox, "warning",
                        staticmethod(lambda *a, **k: warned.append(a[2])))
    window = MainWindow(settings=settings, parts=[install_generation])
    window.show()
    qtbot.waitExposed(window)
    try:
        qtbot.waitUntil(lambda: "network" in window.problems(), timeout=20000)
        said = window.problems()["network"]
        assert "gru" in said and "missing" in said and "make run" in said
        assert window.problem_label.isVisible() and "gru" in window.problem_label.toolTip()
        roll = window.roll
        roll.set_zoom(16.0, 12.0)
        roll.verticalScrollBar().setValue(int((127 - 84) * 12))
        click(roll, point(roll, 0, 72))
        assert window.document.score.voices[0] == (Note(0, 4, 72),)
        QTest.mouseClick(window.part(Generation).panel.generate_button, LEFT)
        qtbot.waitUntil(lambda: bool(warned), timeout=20000)
        assert "shipped gru network is missing" in warned[0]
        assert window.document.score.voices[0] == (Note(0, 4, 72),)
    finally:
        network_pool().waitForDone(30_000)
        window.document.undo_stack.setClean()
        window.close()
        window.deleteLater()


def test_settings_that_cannot_be_saved_are_named_and_the_app_works(qtbot, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the settings folder should be")
    settings = QSettings(str(blocker / "composer" / "settings.ini"),
                         QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.show()
    qtbot.waitExposed(window)
    try:
        said = window.problems()["settings"]
        assert "cannot be saved" in said and "Make that folder writable" in said
        assert window.problem_label.isVisible()
        window.document.apply("Edit", window.document.score.add_note(0, Note(0, 4, 60)))
        assert window.document.modified
    finally:
        window.document.undo_stack.setClean()
        window.close()
        window.deleteLater()
