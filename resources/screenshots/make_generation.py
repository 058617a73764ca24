"""Makes generate-candidates.png (four continuations pending over a Bach seed) and
confidence.png (the network's confidence shading, and a note's alternatives).

Run from the repository root: .venv/bin/python resources/screenshots/make_generation.py
(offscreen Qt, the default network, the chorale corpus)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from composer.gui.app import configure_application  # noqa: E402
from composer.gui.chorale_browser import seed_of  # noqa: E402
from composer.gui.generation import Generation, install_generation  # noqa: E402
from composer.gui.main_window import MainWindow  # noqa: E402
from composer.gui.playback import Playback, install_playback  # noqa: E402
from composer.music.corpus import load_corpus  # noqa: E402

CHORALE = "bwv269"
HERE = Path(__file__).resolve().parent


def wait(app: QApplication, condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    for _ in range(10):
        app.processEvents()


def main() -> int:
    app = QApplication([])
    configure_application(app)
    corpus = load_corpus()
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "shot.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, corpus_loader=lambda progress, cancel: corpus,
                        parts=[install_playback, install_generation])
    window.show()
    window.document.reset(seed_of(corpus.get(CHORALE), 4))
    part = window.part(Generation)
    part.panel.bars.setValue(4)
    part.panel.generate_button.click()
    wait(app, lambda: window.roll.pending is not None)
    window.roll.fit_to_window()
    wait(app, lambda: True)
    window.grab().save(str(HERE / "generate-candidates.png"))
    part.controller.discard()
    window.action("view.confidence").setChecked(True)
    wait(app, lambda: window.roll.confidence is not None)
    note = window.document.score.voices[1][6]
    window.roll.set_active_voice(1)
    window.roll.set_selection({(1, note)})
    wait(app, lambda: part.panel.alternatives.count() > 0)
    scroll = part.panel.widget().verticalScrollBar()
    scroll.setValue(scroll.maximum())
    wait(app, lambda: True)
    window.grab().save(str(HERE / "confidence.png"))
    print("wrote generate-candidates.png and confidence.png in", HERE.relative_to(ROOT))
    window.document.undo_stack.setClean()
    window.close()
    window.part(Playback).controller.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
