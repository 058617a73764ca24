"""Slow work behind a modal progress dialog with Cancel: the file exports (WAV, PDF)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from composer.gui.workers import Task
from composer.work import Cancel, Progress


def start_with_dialog(parent: QWidget, title: str, label: str,
                      work: Callable[[Progress, Cancel], object],
                      done: Callable[[QProgressDialog, object], None],
                      failed: Callable[[QProgressDialog, str], None]) -> Task:
    """Start `work` on the pool; the dialog shows after 400 ms (a quick export never
    flashes one), follows its progress, and its Cancel cancels the work."""
    dialog = QProgressDialog(label, "Cancel", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setMinimumDuration(400)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    task = Task(work)
    task.signals.progress.connect(lambda value, total: (dialog.setMaximum(total),
                                                        dialog.setValue(value)))
    task.signals.finished.connect(lambda result: done(dialog, result))
    task.signals.failed.connect(lambda message: failed(dialog, message))
    task.signals.cancelled.connect(dialog.close)
    dialog.canceled.connect(task.cancel)
    task.start()
    return task
