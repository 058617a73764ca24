"""Makes main-window.png: the window as `composer` opens it, seeded from a Bach chorale.

Run from the repository root: .venv/bin/python resources/screenshots/make_main_window.py
(offscreen Qt; reads the chorale corpus, building its cache the first time)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from composer.gui.app import configure_application  # noqa: E402
from composer.gui.chorale_browser import seed_of  # noqa: E402
from composer.gui.main_window import MainWindow  # noqa: E402
from composer.gui.playback import Playback, install_playback  # noqa: E402
from composer.music.corpus import load_corpus  # noqa: E402

CHORALE = "bwv269"
BARS = 8
OUT = Path(__file__).resolve().parent / "main-window.png"


def main() -> int:
    app = QApplication([])
    configure_application(app)
    corpus = load_corpus()
    entry = corpus.get(CHORALE)
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "shot.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, corpus_loader=lambda progress, cancel: corpus,
                        parts=[install_playback])
    window.show()  # at the default size, 1280 x 800
    window.document.reset(seed_of(entry, BARS))
    roll = window.roll
    roll.fit_to_window()
    roll.set_active_voice(1)
    score = window.document.score
    bar = score.steps_per_bar
    roll.set_selection({(1, n) for n in score.voices[1] if 4 * bar <= n.start < 5 * bar})
    window.document.set_loop_range((4 * bar, 6 * bar))
    window.document.set_playhead(4 * bar + bar // 2)
    for _ in range(5):
        app.processEvents()
    window.grab().save(str(OUT))
    print(f"wrote {OUT.relative_to(ROOT)}")
    window.document.undo_stack.setClean()
    window.close()
    window.part(Playback).controller.close()  # waits for the engine opening in the background
    return 0


if __name__ == "__main__":
    sys.exit(main())
