"""Makes score-view.png: the Score panel beside the roll, a chorale open, its chord at the
playhead lit and a note selected by a click in the score.

Run from the repository root, on a display (Xvfb :55 -screen 0 1280x800x24 & DISPLAY=:55)
or offscreen: .venv/bin/python resources/screenshots/make_score_view.py"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from composer.gui.app import configure_application  # noqa: E402
from composer.gui.generation import install_generation  # noqa: E402
from composer.gui.main_window import MainWindow  # noqa: E402
from composer.gui.playback import Playback, install_playback  # noqa: E402
from composer.gui.score_part import ScorePart, install_score_view  # noqa: E402
from composer.music.corpus import load_corpus  # noqa: E402

CHORALE = "bwv269"
OUT = Path(__file__).resolve().parent / "score-view.png"


def pump(app: QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)


def main() -> int:
    app = QApplication([])
    configure_application(app)
    corpus = load_corpus()
    entry = corpus.get(CHORALE)
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "shot.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, corpus_loader=lambda progress, cancel: corpus,
                        parts=[install_playback, install_generation, install_score_view])
    window.show()  # at the default size, 1280 x 800
    window._untitled_name = f"{entry.title}, BWV {entry.bwv}"
    window.document.reset(entry.score)
    part = window.part(ScorePart)
    end = time.monotonic() + 60
    while time.monotonic() < end and (part.view.canvas.engraved is None or
                                      part.view.canvas.engraved.request.score
                                      is not window.document.score):
        pump(app, 0.05)
    window.roll.fit_to_window()
    score = window.document.score
    note = score.voices[2][6]
    QTest.mouseClick(part.view.canvas, Qt.MouseButton.LeftButton, pos=part.view.canvas
                     .note_rect((2, note)).center())
    window.part(Playback).controller.positionChanged.emit(float(note.start))
    pump(app, 0.5)
    window.grab().save(str(OUT))
    print(f"wrote {OUT.relative_to(ROOT)}; selected {window.roll.selection}")
    part.engraver.shutdown()
    window.document.undo_stack.setClean()
    window.close()
    window.part(Playback).controller.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
