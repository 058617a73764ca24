"""The window as a person sees it: a second launch looks like the first, and at the default
size every toolbar control is on screen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtWidgets import QToolBar, QWidget

from composer.gui.main_window import DEFAULT_SIZE, MainWindow
from composer.gui.playback import install_playback
from composer.music.files import write_score
from composer.music.score import Note, Score

DRIVER = Path(__file__).with_name("launch_driver.py")
NO_AUDIO = ["composer-no-such-fluidsynth"]


@pytest.fixture(scope="module")
def x_server() -> Iterator[str]:
    """A real X server (Xvfb, installed by set-up) with a screen larger than the window, so
    the window manager-less placement and the restored geometry are the app's own."""
    if shutil.which("Xvfb") is None:
        pytest.skip("needs Xvfb (installed by make test)")
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0",
                               "1920x1080x24", "-nolisten", "tcp"], pass_fds=(write,),
                              stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        display = pipe.readline().strip()
    try:
        yield f":{display}"
    finally:
        server.terminate()
        server.wait(10)


def launch(tmp_path: Path, display: str, name: str, move: str, *files: Path) -> dict:
    """One start of the real app in its own process, sharing `tmp_path`'s settings."""
    out = tmp_path / f"{name}.json"
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"), DISPLAY=display,
               QT_QPA_PLATFORM="xcb", COMPOSER_RECOVERY_DIR=str(tmp_path / "recovery"))
    subprocess.run([sys.executable, str(DRIVER), str(out), move, *map(str, files)],
                   env=env, cwd=tmp_path, check=True, timeout=120, capture_output=True)
    return json.loads(out.read_text())


def rect(values: list[int]) -> QRect:
    return QRect(*values)


def assert_nothing_overlaps(layout: dict) -> None:
    menu = rect(layout["menu"])
    parts = [(name, rect(p["rect"])) for group in ("docks", "toolbars")
             for name, p in layout[group].items() if p["visible"] and not p.get("floating")]
    for name, area in parts:
        assert area.top() > menu.bottom(), f"{name} is drawn over the menu bar"
    for i, (a, ra) in enumerate(parts):
        for b, rb in parts[i + 1:]:
            assert not ra.intersects(rb), f"{a} {ra} overlaps {b} {rb}"


def test_a_second_launch_puts_every_dock_and_toolbar_where_the_first_left_them(tmp_path,
                                                                              x_server):
    first = launch(tmp_path, x_server, "first", "move")
    assert first["docks"]["mixerDock"]["area"] == Qt.DockWidgetArea.LeftDockWidgetArea.value
    second = launch(tmp_path, x_server, "second", "stay")
    assert second["docks"] == first["docks"]
    assert second["toolbars"] == first["toolbars"]
    assert_nothing_overlaps(second)


def test_a_second_launch_with_a_file_looks_like_the_first(tmp_path, x_server):
    path = tmp_path / "tune.mid"
    write_score(path, Score(((Note(0, 4, 72),), (), (), ())))
    first = launch(tmp_path, x_server, "first", "stay", path)
    second = launch(tmp_path, x_server, "second", "stay", path)
    assert second["title"].startswith("tune.mid")  # `composer FILE` opened the file
    assert second["notes"] == [[0, 0, 4, 72]]
    assert second["docks"] == first["docks"] and second["toolbars"] == first["toolbars"]
    assert_nothing_overlaps(second)


def test_at_the_default_size_every_toolbar_control_is_visible(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "fresh.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings,
                        parts=[lambda w: install_playback(w, NO_AUDIO)])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    room = window.screen().availableGeometry().height()
    assert window.width() == DEFAULT_SIZE[0]
    assert window.height() == min(DEFAULT_SIZE[1], room - 32)  # its title bar fits too
    for toolbar in window.findChildren(QToolBar):
        assert toolbar.isVisible()
        for action in toolbar.actions():
            widget: QWidget | None = toolbar.widgetForAction(action)
            if widget is not None and not action.isSeparator():
                assert widget.isVisible(), f"{toolbar.objectName()}: {action.text()} hidden"
        extension = toolbar.findChild(QWidget, "qt_toolbar_ext_button")
        assert extension is None or not extension.isVisible(), \
            f"{toolbar.objectName()} overflows"
    window.document.undo_stack.setClean()
