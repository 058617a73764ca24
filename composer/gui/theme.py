"""Colours and the dark palette: one place so the roll, the keyboard and the panels agree."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

VOICE_COLORS = (
    QColor("#f0645a"),  # Soprano: coral
    QColor("#f2b441"),  # Alto: amber
    QColor("#45c48f"),  # Tenor: green
    QColor("#55a3f2"),  # Bass: blue
)

ROLL_BACKGROUND = QColor("#20232a")
ROLL_BLACK_ROW = QColor("#1a1c22")
ROLL_ROW_LINE = QColor("#262a32")
ROLL_OCTAVE_LINE = QColor("#363b46")
ROLL_STEP_LINE = QColor("#272b33")
ROLL_BEAT_LINE = QColor("#323743")
ROLL_BAR_LINE = QColor("#525a6b")
ROLL_LOOP_FILL = QColor(120, 160, 255, 28)
PLAYHEAD = QColor("#ffffff")
SELECTION_OUTLINE = QColor("#ffffff")
OUT_OF_RANGE = QColor("#ff3b5c")
RUBBER_BAND = QColor(140, 180, 255)

RULER_BACKGROUND = QColor("#2a2e36")
RULER_TEXT = QColor("#c9ced8")
RULER_TICK = QColor("#6b7384")
RULER_LOOP = QColor("#5b7fd6")
FOCUS_FRAME = QColor(120, 160, 255, 150)  # round the piano roll while it has the keys
FERMATA = QColor("#f5d76e")

KEY_WHITE = QColor("#e9ebef")
KEY_WHITE_SHADE = QColor("#c9ccd3")
KEY_BLACK = QColor("#23262d")
KEY_LABEL = QColor("#5a606c")

# Mute and Solo when on, in the colours most DAWs use, so the state reads at a glance.
MUTE_ON = QColor("#e0483e")
SOLO_ON = QColor("#f2c12e")
TOGGLE_OFF = QColor("#323741")
TOGGLE_BORDER = QColor("#4a505c")
TOGGLE_ON_TEXT = QColor("#16181d")


def voice_color(voice: int, active: bool = True) -> QColor:
    color = QColor(VOICE_COLORS[voice])
    if not active:
        color.setAlpha(125)
    return color


def toggle_style(on: QColor) -> str:
    """A stylesheet for a small checkable button filled with `on` while checked. Fusion
    draws checked and unchecked tool buttons in nearly the same grey on the dark palette."""
    return (
        f"QToolButton {{ background: {TOGGLE_OFF.name()}; border: 1px solid "
        f"{TOGGLE_BORDER.name()}; border-radius: 3px; font-weight: bold; padding: 2px; }}"
        f"QToolButton:hover {{ border-color: {RULER_TICK.name()}; }}"
        f"QToolButton:checked {{ background: {on.name()}; border-color: {on.name()}; "
        f"color: {TOGGLE_ON_TEXT.name()}; }}"
    )


def apply_dark_palette(app: QApplication) -> None:
    """Fusion with a dark palette: the roll's colours read best on a dark window, as in most
    music software."""
    app.setStyle("Fusion")
    palette = QPalette()
    window = QColor("#2b2f37")
    base = QColor("#22252c")
    text = QColor("#dde1e8")
    palette.setColor(QPalette.ColorRole.Window, window)
    palette.setColor(QPalette.ColorRole.WindowText, text)
    palette.setColor(QPalette.ColorRole.Base, base)
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#282c34"))
    palette.setColor(QPalette.ColorRole.ToolTipBase, QColor("#383d48"))
    palette.setColor(QPalette.ColorRole.ToolTipText, text)
    palette.setColor(QPalette.ColorRole.Text, text)
    palette.setColor(QPalette.ColorRole.Button, QColor("#323741"))
    palette.setColor(QPalette.ColorRole.ButtonText, text)
    palette.setColor(QPalette.ColorRole.BrightText, QColor("#ff6b6b"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#4f7fd9"))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.Link, QColor("#7fa8ff"))
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8a909c"))
    disabled = QColor("#6c727e")
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    app.setPalette(palette)

# Over the notes: pending candidates and the network's confidence.
PENDING_REGION = QColor(255, 255, 255, 14)
SURPRISE = QColor("#ff7a3d")
LEGEND_BACKGROUND = QColor(20, 22, 28, 215)
LEGEND_BORDER = QColor("#3a3f4b")
LEGEND_TEXT = QColor("#d8dbe2")
PENDING_FERMATA = QColor("#c7a6ff")
WARNING = QColor("#f0b35a")  # a problem the user should fix: missing parts, bad files
