"""Editing a large score stays responsive, and the undo history costs what the edits cost.

Measured in one run (offscreen Qt, the real window, real mouse events on the roll):
- the largest stall of the event loop (gap between ticks of a 5 ms timer) while drawing,
  dragging and undoing in a 10,000-note score, against the same in a 2,000-note score;
- 1,000 edits (one note moved each), then 1,000 undo steps and 1,000 redo steps: the
  largest single step and the time for all;
- the memory the undo history holds after those 1,000 edits (tracemalloc), for scores of
  2,000 and 10,000 notes: it should grow with the edits, not with the score's size times
  the edits;
- generating (4 candidates of 8 bars) while playing back (the playback part's transport
  scheduling the real score): the largest stall.

Targets (issue 13): no stall over 50 ms for an edit or a step of undo; history memory
per edit independent of the score's size.
Run: .venv/bin/python benchmarks/bench_editing_load.py
"""

from __future__ import annotations

import gc
import json
import os
import platform
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.bench_generation_gui import Ticks, wait_for  # noqa: E402
from benchmarks.bench_piano_roll import chorale_like  # noqa: E402
from composer.atomic_write import atomic_write_text  # noqa: E402
from composer.gui.document import ScoreDocument  # noqa: E402
from composer.gui.generation import Generation, install_generation  # noqa: E402
from composer.gui.generation_controller import load_sampler  # noqa: E402
from composer.gui.main_window import MainWindow  # noqa: E402
from composer.gui.playback import Playback, install_playback  # noqa: E402
from composer.music.corpus import load_corpus  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "editing_load.json"
EDITS = 1_000
SIZES = (2_000, 10_000)
TARGET_STALL_MS = 50.0
LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier


def new_window(parts=()) -> MainWindow:  # noqa: ANN001
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "bench.ini"),
                         QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, parts=list(parts))
    window.show()
    return window


def gestures(app: QApplication, window: MainWindow, ticks: Ticks) -> dict[str, int]:
    """Draw, drag and undo by mouse and keys; the largest stall of each."""
    roll = window.roll
    roll.set_zoom(12.0, 10.0)
    roll.verticalScrollBar().setValue(int((127 - 84) * 10))
    viewport = roll.viewport()
    stalls = {}
    ticks.start()
    for step in range(0, 160, 8):
        QTest.mouseClick(viewport, LEFT, NONE, roll.cell_center(step, 83).toPoint())
        app.processEvents()
    stalls["draw"] = ticks.stop()
    ticks.start()
    for step in range(0, 160, 8):
        start = roll.cell_center(step + 1, 83).toPoint()
        QTest.mousePress(viewport, LEFT, NONE, start)
        for dx in range(1, 6):
            QTest.mouseMove(viewport, start + QPoint(dx * 6, -dx * 2))
            app.processEvents()
        QTest.mouseRelease(viewport, LEFT, NONE, start + QPoint(30, -10))
        app.processEvents()
    stalls["drag"] = ticks.stop()
    ticks.start()
    for _ in range(40):
        QTest.keyClick(viewport, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        app.processEvents()
    stalls["undo"] = ticks.stop()
    return stalls


def history(notes: int) -> dict[str, float]:
    """1,000 one-note moves in a document alone: memory held, and the slowest step."""
    document = ScoreDocument(chorale_like(notes))
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    slowest = 0.0
    for i in range(EDITS):
        score = document.score
        voice = i % 4
        note = score.voices[voice][(i * 7) % len(score.voices[voice])]
        started = time.perf_counter()
        document.apply("Move note", score.move_notes([(voice, note)], 0, 1))
        slowest = max(slowest, time.perf_counter() - started)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    stack = document.undo_stack
    started = time.perf_counter()
    undo_slowest = 0.0
    for _ in range(EDITS):
        t = time.perf_counter()
        stack.undo()
        undo_slowest = max(undo_slowest, time.perf_counter() - t)
    for _ in range(EDITS):
        t = time.perf_counter()
        stack.redo()
        undo_slowest = max(undo_slowest, time.perf_counter() - t)
    return {"history_kb": round(held / 1024), "history_bytes_per_edit": round(held / EDITS),
            "edit_slowest_ms": round(slowest * 1000, 2),
            "undo_redo_slowest_ms": round(undo_slowest * 1000, 2),
            "undo_redo_all_s": round(time.perf_counter() - started, 2)}


def generating_while_playing(app: QApplication, ticks: Ticks) -> dict[str, object]:
    window = new_window([install_playback, install_generation])
    corpus = load_corpus()
    entry = max(corpus.split("test"), key=lambda e: e.bars)
    window.document.reset(entry.score)
    load_sampler("lstm")
    transport = window.part(Playback).controller
    wait_for(app, lambda: transport.player is not None or transport.problem)
    playing = not transport.problem
    if playing:
        transport.play()
    part = window.part(Generation)
    part.panel.bars.setValue(8)
    part.panel.count.setValue(4)
    ticks.start()
    part.panel.generate_button.click()
    wait_for(app, lambda: window.roll.pending is not None)
    stall = ticks.stop()
    transport.stop()
    window.document.undo_stack.setClean()
    window.close()
    transport.close()
    return {"stall_ms": stall, "played": playing, "problem": transport.problem}


def main() -> int:
    app = QApplication([])
    ticks = Ticks()
    results: dict[str, object] = {"machine": platform.processor() or platform.machine(),
                                  "cpus": os.cpu_count(), "edits": EDITS,
                                  "target_stall_ms": TARGET_STALL_MS}
    for notes in SIZES:
        window = new_window()
        window.document.reset(chorale_like(notes))
        app.processEvents()
        results[f"gestures_{notes}"] = gestures(app, window, ticks)
        window.document.undo_stack.setClean()
        window.close()
        results[f"history_{notes}"] = history(notes)
    results["generating_while_playing"] = generating_while_playing(app, ticks)
    print(f"{'measure':<52}{SIZES[0]:>10}{SIZES[1]:>10}")
    for kind, doing in (("draw", "drawing"), ("drag", "dragging"), ("undo", "undoing")):
        row = [results[f"gestures_{n}"][kind] for n in SIZES]
        print(f"{'largest stall while ' + doing + ' by mouse/keys (ms)':<52}"
              f"{row[0]:>10}{row[1]:>10}")
    for key, label in (("edit_slowest_ms", "slowest of 1,000 edits (ms)"),
                       ("undo_redo_slowest_ms", "slowest undo or redo step (ms)"),
                       ("history_kb", "history held after 1,000 edits (KiB)"),
                       ("history_bytes_per_edit", "  per edit (bytes)")):
        row = [results[f"history_{n}"][key] for n in SIZES]
        print(f"{label:<52}{row[0]:>10}{row[1]:>10}")
    gen = results["generating_while_playing"]
    print(f"{'largest stall generating while playing (ms)':<52}{gen['stall_ms']:>20}"
          + ("" if gen["played"] else f"  (no sound: {gen['problem']})"))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS, json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
