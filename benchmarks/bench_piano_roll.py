"""Piano-roll drawing speed with 2,000 and 10,000 notes, against the per-note-object design
it replaces (one QGraphicsRectItem per note in a QGraphicsScene), measured in the same run.

Measured (milliseconds, median of repeated runs unless "first"): first paint (build the
view for the score and paint it once), a full repaint at the default zoom, a playback frame
(the two thin strips a moving playhead dirties), a full repaint
with the whole score in view (fit), one zoom step (change and repaint) and adding a note
through the document (one undo step, then repaint).

Targets (issue 4): first paint <= 150 ms and repaint <= 16 ms at 2,000 notes; 10,000 notes
stay smooth. Offscreen Qt (raster), so the numbers are the painting work itself.
Run: .venv/bin/python benchmarks/bench_piano_roll.py
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QRect, QRectF  # noqa: E402
from PySide6.QtGui import QBrush, QColor, QImage, QPen, QRegion  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from composer.atomic_write import atomic_write_text  # noqa: E402
from composer.gui import note_edits, theme  # noqa: E402
from composer.gui.document import ScoreDocument  # noqa: E402
from composer.gui.piano_roll import PianoRollView  # noqa: E402
from composer.music.score import Note, Score  # noqa: E402

SIZE = (1280, 720)
REPEATS = 25
SIZES = (2_000, 10_000)
RESULTS = ROOT / "benchmarks" / "results" / "piano_roll.json"
CANVAS = QImage(*SIZE, QImage.Format.Format_ARGB32_Premultiplied)
TARGETS = {"first_paint_ms": 150.0, "repaint_ms": 16.0}


def chorale_like(total: int, seed: int = 0) -> Score:
    """Four voices of `total` notes in all, eighths to half notes with a few rests, each
    voice in its range: the density of a chorale, stretched out."""
    rng = random.Random(seed)
    voices = []
    for centre in (72, 65, 57, 48):
        notes, step, pitch = [], 0, centre
        for _ in range(total // 4):
            step += rng.choice((0, 0, 0, 0, 2))
            duration = rng.choice((2, 4, 4, 4, 8))
            pitch = min(centre + 9, max(centre - 9, pitch + rng.randint(-3, 3)))
            notes.append(Note(step, duration, pitch))
            step += duration
        voices.append(tuple(notes))
    return Score(tuple(voices))


def paint(widget: QWidget) -> None:
    """Paint the widget now, into an image: offscreen windows may skip an unexposed repaint."""
    widget.render(CANVAS)


def paint_strip(widget: QWidget) -> None:
    """What a playback frame paints: the few pixels the playhead leaves and enters."""
    x, height = SIZE[0] // 2, SIZE[1]
    strip = QRegion(QRect(x, 0, 5, height)) + QRegion(QRect(x + 3, 0, 5, height))
    widget.render(CANVAS, QPoint(), strip)


def median_ms(action: Callable[[], None], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench_ours(score: Score) -> dict[str, float]:
    start = time.perf_counter()
    document = ScoreDocument(score)
    view = PianoRollView(document)
    view.resize(*SIZE)
    view.show()
    view.show_start()
    paint(view.viewport())
    first = (time.perf_counter() - start) * 1000
    repaint = median_ms(lambda: paint(view.viewport()))
    frame = median_ms(lambda: paint_strip(view.viewport()))

    factors = iter([1.25, 0.8] * REPEATS)

    def zoom() -> None:
        view.zoom_time(next(factors))
        paint(view.viewport())

    zoom_ms = median_ms(zoom)
    steps = iter(range(0, 10**6, 4))

    def add() -> None:
        edit = note_edits.add(document.score, 0, Note(next(steps) % 64, 2, 84))
        document.apply(edit.name, edit.score)
        paint(view.viewport())

    add_ms = median_ms(add)
    view.fit_to_window()
    fit = median_ms(lambda: paint(view.viewport()), 10)
    view.close()
    return {"first_paint_ms": first, "repaint_ms": repaint, "playhead_frame_ms": frame,
            "zoom_step_ms": zoom_ms, "add_note_ms": add_ms, "repaint_fit_ms": fit}


def bench_items(score: Score) -> dict[str, float]:
    """The per-note-object baseline: what MidiEditor and MuseScore moved away from."""
    step_width, key_height = 14.0, 13.0

    def rect(note: Note) -> QRectF:
        return QRectF(note.start * step_width, (127 - note.pitch) * key_height,
                      note.duration * step_width, key_height)

    start = time.perf_counter()
    scene = QGraphicsScene(0, 0, (score.length + 64) * step_width, 128 * key_height)
    for voice, note in score.notes():
        color = theme.voice_color(voice)
        scene.addRect(rect(note), QPen(color.darker(170)), QBrush(color))
    view = QGraphicsView(scene)
    view.resize(*SIZE)
    view.show()
    view.centerOn(SIZE[0] / 2, (127 - 66) * key_height)
    paint(view.viewport())
    first = (time.perf_counter() - start) * 1000
    repaint = median_ms(lambda: paint(view.viewport()))
    frame = median_ms(lambda: paint_strip(view.viewport()))
    factors = iter([1.25, 0.8] * REPEATS)

    def zoom() -> None:
        factor = next(factors)
        view.scale(factor, 1.0)
        paint(view.viewport())

    zoom_ms = median_ms(zoom)
    steps = iter(range(0, 10**6, 4))

    def add() -> None:
        scene.addRect(rect(Note(next(steps) % 64, 2, 84)), QPen(QColor("black")),
                      QBrush(theme.voice_color(0)))
        paint(view.viewport())

    add_ms = median_ms(add)
    view.fitInView(scene.itemsBoundingRect())
    fit = median_ms(lambda: paint(view.viewport()), 10)
    view.close()
    return {"first_paint_ms": first, "repaint_ms": repaint, "playhead_frame_ms": frame,
            "zoom_step_ms": zoom_ms, "add_note_ms": add_ms, "repaint_fit_ms": fit}


def main() -> int:
    app = QApplication.instance() or QApplication([])
    theme.apply_dark_palette(app)
    warm_up = chorale_like(200, seed=1)  # fonts, caches and code paths loaded before timing
    bench_ours(warm_up)
    bench_items(warm_up)
    rows = []
    for total in SIZES:
        score = chorale_like(total)
        for name, bench in (("piano roll (ours)", bench_ours),
                            ("QGraphicsItem per note (baseline)", bench_items)):
            result = bench(score)
            rows.append({"notes": score.note_count(), "bars": score.bars,
                         "implementation": name, **{k: round(v, 2) for k, v in result.items()}})
    columns = ("first_paint_ms", "repaint_ms", "playhead_frame_ms", "zoom_step_ms", "add_note_ms",
               "repaint_fit_ms")
    header = f"{'notes':>6}  {'implementation':<34}" + "".join(f"{c:>19}" for c in columns)
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row['notes']:>6}  {row['implementation']:<34}"
              + "".join(f"{row[c]:>19.2f}" for c in columns))
    ours_2k = next(r for r in rows if r["notes"] == SIZES[0] and "ours" in r["implementation"])
    verdict = {key: ours_2k[key] <= limit for key, limit in TARGETS.items()}
    print(f"\ntargets at {SIZES[0]} notes: "
          + ", ".join(f"{k} <= {v:g} ms: {'met' if verdict[k] else 'MISSED'}"
                      for k, v in TARGETS.items()))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS, json.dumps({
        "benchmark": "piano_roll",
        "viewport": list(SIZE),
        "repeats": REPEATS,
        "platform": {"machine": platform.machine(), "python": platform.python_version(),
                     "qpa": os.environ.get("QT_QPA_PLATFORM"), "cpus": os.cpu_count()},
        "targets": TARGETS,
        "targets_met": verdict,
        "results": rows,
    }, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0 if all(verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
