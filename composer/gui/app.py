"""Starting the desktop application."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication

from composer.gui import icons, theme

ORGANIZATION = "Composer"
APPLICATION = "Composer"


def configure_application(app: QApplication) -> None:
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setDesktopFileName("composer")
    theme.apply_dark_palette(app)
    app.setWindowIcon(icons.app_icon())


def run_app(argv: list[str]) -> int:
    """Open the main window (and the file named in `argv`, if any) and run until it closes."""
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "composer"])
    configure_application(app)
    from composer.gui.generation import install_generation
    from composer.gui.main_window import MainWindow
    from composer.gui.playback import install_playback
    from composer.gui.recovery import install_recovery
    from composer.gui.score_part import install_score_view

    window = MainWindow(parts=[install_playback, install_generation, install_score_view,
                               install_recovery])
    window.show()
    files = [arg for arg in argv if not arg.startswith("-")]
    if files:
        # open_path asks first: a restored recovery copy is never replaced unasked.
        QTimer.singleShot(0, lambda: window.open_path(Path(files[0])))
    return app.exec()
