"""Background work that ends after what started it has gone: a network read for a window
that has closed, a task still running when the application exits. Its report reaches
nobody, and nothing raises."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent

from composer.gui.generation import install_generation
from composer.gui.generation_controller import network_pool
from composer.gui.generation_settings import GenerationSettings
from composer.gui.main_window import MainWindow
from composer.gui.workers import Task
from tests.gui.conftest import closed

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("readable", [True, False], ids=["network read", "network broken"])
def test_a_network_preload_that_ends_after_its_window_is_gone_reaches_nobody(
        qtbot, settings, small_corpus, tmp_path, readable):
    network = "lstm"
    if not readable:
        broken = tmp_path / "broken.pt"
        broken.write_bytes(b"not a checkpoint")
        network = str(broken)
    GenerationSettings(network=network).save(settings)
    gate = threading.Event()
    hold = Task(lambda _progress, _cancel: gate.wait(60))
    hold.start(network_pool())  # the network's one thread is busy: the preload waits its turn
    try:
        window = MainWindow(settings=settings, corpus_loader=lambda p, c: small_corpus,
                            parts=[install_generation])
        window.show()
        qtbot.waitExposed(window)
        qtbot.wait(50)  # the window asks for the preload once its event loop runs
        closed(window)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        assert not shiboken6.isValid(window)
    finally:
        gate.set()
    with qtbot.captureExceptions() as exceptions:
        assert network_pool().waitForDone(120_000)
        qtbot.wait(100)  # what the preload reported is delivered now, to nobody
    assert [str(e[1]) for e in exceptions] == []


EXITS_WHILE_WORKING = textwrap.dedent("""
    import sys, time
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from composer.gui.workers import Task

    app = QApplication([])
    def work(progress, cancel):
        time.sleep(0.3)  # still running when the application has gone
        progress(1, 2)
        return 1
    task = Task(work)
    task.signals.finished.connect(lambda result: print("finished", result))
    task.start()
    QTimer.singleShot(10, app.quit)
    app.exec()
    print("exited")
""")


def test_a_task_still_working_when_the_application_exits_reports_to_nobody():
    run = subprocess.run([sys.executable, "-c", EXITS_WHILE_WORKING], cwd=ROOT,
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert run.returncode == 0, run.stderr
    assert "exited" in run.stdout
    assert "Traceback" not in run.stderr and "has been deleted" not in run.stderr, run.stderr

