"""Engraving the score view: how long an engraving takes, and whether the window stalls.

Measured in one run (offscreen Qt, the real window with the Score panel):
- engraving 20 and 100 bars of Bach chorales (corpus chorales laid end to end, cut at the
  bar): the export's MusicXML, Verovio (read, lay out, SVG, timemap), the pages drawn at the
  panel's width; median and best of REPEATS;
- from an edit through the document to its engraving on screen, in the window (20 bars);
- the event loop's largest stall (gap between a 5 ms timer's ticks) while the panel
  re-engraves after each of EDITS edits, against the idle loop's.

Targets (issue 15): an edit of a 20-bar chorale engraved in 300 ms; the GUI thread never
waits for it (largest stall under 50 ms, as for the other background work).
Run: .venv/bin/python benchmarks/bench_engrave.py
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.bench_generation_gui import Ticks, wait_for  # noqa: E402
from composer.atomic_write import atomic_write_text  # noqa: E402
from composer.gui.main_window import MainWindow  # noqa: E402
from composer.gui.score_pages import render_pages  # noqa: E402
from composer.gui.score_part import ScorePart, install_score_view  # noqa: E402
from composer.music import engraving as engraving_module  # noqa: E402
from composer.music.corpus import load_corpus  # noqa: E402
from composer.music.engraving import engrave, view_layout  # noqa: E402
from composer.music.musicxml_file import musicxml_bytes  # noqa: E402
from composer.music.score import Note, Score  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "engrave.json"
BARS = (20, 100)
REPEATS = 5
EDITS = 10
WIDTH = 360  # the Score panel's width at the default window size
TARGET_MS = 300.0
TARGET_STALL_MS = 50.0


def chorales_of(bars: int) -> Score:
    """`bars` bars of 4/4 corpus chorales in G major, laid end to end and cut at the bar."""
    corpus = load_corpus()
    pieces = [e.score for e in corpus.entries
              if str(e.time_signature) == "4/4" and e.score.length % 16 == 0
              and e.score.key == "G major"]
    voices: list[list[Note]] = [[], [], [], []]
    fermatas: set[int] = set()
    offset, end = 0, bars * 16
    for score in pieces:
        for v, voice in enumerate(score.voices):
            voices[v].extend(n.shifted(offset) for n in voice if n.end + offset <= end)
        fermatas |= {f + offset for f in score.fermatas if f + offset < end}
        offset += score.length
        if offset >= end:
            break
    return Score(tuple(tuple(v) for v in voices), key="G major",
                 fermatas=frozenset(fermatas), length=end)


def engrave_times(score: Score) -> dict[str, float]:
    xml, engraving_ms, drawing_ms = [], [], []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        musicxml_bytes(score)
        engraving_module._musicxml.cache_clear()  # an edited score: its MusicXML made anew
        t1 = time.perf_counter()
        engraving = engrave(score, None, view_layout(WIDTH))
        t2 = time.perf_counter()
        render_pages(engraving, WIDTH)
        t3 = time.perf_counter()
        xml.append((t1 - t0) * 1000)
        engraving_ms.append((t2 - t1) * 1000)  # includes its own MusicXML
        drawing_ms.append((t3 - t2) * 1000)
    total = [e + d for e, d in zip(engraving_ms, drawing_ms)]
    return {"musicxml_ms": round(statistics.median(xml), 1),
            "engrave_ms": round(statistics.median(engraving_ms), 1),
            "draw_ms": round(statistics.median(drawing_ms), 1),
            "total_ms": round(statistics.median(total), 1),
            "total_best_ms": round(min(total), 1),
            "pages": len(engraving.pages), "notes": len(engraving.notes)}


def pump(app: QApplication, seconds: float) -> None:
    """Run the event loop for `seconds`, as an idle window would."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.0005)


def in_window(app: QApplication, score: Score, ticks: Ticks) -> dict[str, float]:
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "bench.ini"),
                         QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, parts=[install_score_view])
    window.resize(1280, 800)
    window.show()
    part = window.part(ScorePart)
    document = window.document

    def current() -> bool:
        shown = part.view.canvas.engraved
        return shown is not None and shown.request.score is document.score

    document.reset(score)
    wait_for(app, current, 60)
    ticks.start()
    pump(app, 1.0)
    idle = ticks.stop()
    latencies = []
    ticks.start()
    for i in range(EDITS):
        note = Note(4 + 16 * i, 4, 79)
        t0 = time.perf_counter()
        document.apply("Add note", document.score.add_note(0, note))
        wait_for(app, current, 30)
        latencies.append((time.perf_counter() - t0) * 1000)
        pump(app, 0.1)
    stall = ticks.stop()
    part.engraver.shutdown()
    document.undo_stack.setClean()
    window.close()
    return {"edit_to_shown_ms": round(statistics.median(latencies), 1),
            "edit_to_shown_worst_ms": round(max(latencies), 1),
            "stall_ms": stall, "idle_stall_ms": idle}


def main() -> int:
    app = QApplication([])
    ticks = Ticks()
    results: dict[str, object] = {"machine": platform.processor() or platform.machine(),
                                  "cpus": os.cpu_count(), "load": os.getloadavg()[0],
                                  "width_px": WIDTH, "repeats": REPEATS,
                                  "target_ms": TARGET_MS, "target_stall_ms": TARGET_STALL_MS}
    scores = {bars: chorales_of(bars) for bars in BARS}
    for bars, score in scores.items():
        results[f"bars_{bars}"] = engrave_times(score)
    results["window_20_bars"] = in_window(app, scores[20], ticks)
    print(f"{'measure (median of ' + str(REPEATS) + ')':<46}" +
          "".join(f"{str(b) + ' bars':>12}" for b in BARS))
    for key, label in (("musicxml_ms", "the export's MusicXML (ms)"),
                       ("engrave_ms", "engraving, MusicXML included (ms)"),
                       ("draw_ms", "drawing the pages (ms)"),
                       ("total_ms", "engrave + draw (ms)"),
                       ("total_best_ms", "  best (ms)"), ("pages", "pages"),
                       ("notes", "written notes")):
        print(f"{label:<46}" + "".join(f"{results[f'bars_{b}'][key]:>12}" for b in BARS))
    w = results["window_20_bars"]
    print(f"{'edit to engraving shown, 20 bars (ms)':<46}{w['edit_to_shown_ms']:>12}"
          f"   worst {w['edit_to_shown_worst_ms']}, target {TARGET_MS:g}")
    print(f"{'largest stall while re-engraving (ms)':<46}{w['stall_ms']:>12}"
          f"   idle loop {w['idle_stall_ms']}, target {TARGET_STALL_MS:g}")
    print(f"load average {results['load']:.1f} on {results['cpus']} cores")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS, json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
