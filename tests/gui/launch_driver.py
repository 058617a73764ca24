"""Runs the real app (`composer.gui.app.run_app`) in a process of its own, as a person
starts it, and writes where its docks and toolbars are; optionally moves the Mixer dock
first, as a person drags it. Used by test_window_layout to launch twice with one
settings folder."""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDockWidget, QToolBar

from composer.gui.app import run_app
from composer.gui.main_window import MainWindow


def _rect(window: MainWindow, widget) -> list[int]:  # noqa: ANN001
    top_left = widget.mapTo(window, widget.rect().topLeft())
    r = QRect(top_left, widget.size())
    return [r.x(), r.y(), r.width(), r.height()]


def layout(window: MainWindow) -> dict:
    # A dock in a tab behind another stays "visible" to Qt: what is on screen is what counts.
    docks = {d.objectName(): {"area": int(window.dockWidgetArea(d).value),
                              "visible": not d.visibleRegion().isEmpty(),
                              "floating": d.isFloating(),
                              "tabbed_with": sorted(t.objectName()
                                                    for t in window.tabifiedDockWidgets(d)),
                              "rect": _rect(window, d)}
             for d in window.findChildren(QDockWidget)}
    bars = {t.objectName(): {"area": int(window.toolBarArea(t).value),
                             "visible": t.isVisible(), "rect": _rect(window, t)}
            for t in window.findChildren(QToolBar)}
    return {"menu": _rect(window, window.menuBar()), "docks": docks, "toolbars": bars,
            "size": [window.width(), window.height()], "title": window.windowTitle(),
            "notes": [[v, n.start, n.duration, n.pitch] for v, n in
                      window.document.score.notes()]}


def main(out: str, move: str, files: list[str]) -> None:
    app = QApplication([sys.argv[0]])

    def act() -> None:
        window = next(w for w in QApplication.topLevelWidgets()
                      if isinstance(w, MainWindow) and w.isVisible())
        if move == "move":
            dock = window.findChild(QDockWidget, "mixerDock")
            window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
            app.processEvents()
        with open(out, "w") as fh:
            json.dump(layout(window), fh)
        window.document.undo_stack.setClean()
        window.close()

    QTimer.singleShot(1500, act)
    run_app(files)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
