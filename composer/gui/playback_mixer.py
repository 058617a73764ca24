"""The Mixer panel: soundfont, and per voice instrument, volume, mute and solo.

It edits the transport controller's playback settings and redraws from its signals; it also
shows why playback is off, or which soundfont could not be used.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QGridLayout,
    QLabel,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.audio.mixer import program_name
from composer.audio.soundfonts import default_soundfont, system_soundfonts
from composer.gui import theme
from composer.gui.transport import TransportController
from composer.music.score import VOICE_NAMES

OTHER_SOUNDFONT = "other"


class MixerPanel(QDockWidget):
    def __init__(self, controller: TransportController, parent: QWidget | None = None) -> None:
        super().__init__("Mixer", parent)
        self.setObjectName("mixerDock")
        self.controller = controller
        body = QWidget()
        layout = QVBoxLayout(body)

        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem_label.setStyleSheet("color: #f0b35a;")
        layout.addWidget(self.problem_label)
        self.retry_button = QPushButton("Try Again")
        self.retry_button.setToolTip("Open the audio output again")
        self.retry_button.clicked.connect(controller.retry_engine)
        layout.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignLeft)

        layout.addWidget(QLabel("Soundfont"))
        self.soundfont_combo = QComboBox()
        self.soundfont_combo.setToolTip("The instruments' sounds (.sf2 / .sf3)")
        layout.addWidget(self.soundfont_combo)
        self.warning_label = QLabel()
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet("color: #f0b35a;")
        layout.addWidget(self.warning_label)

        grid = QGridLayout()
        self.program_combos: list[QComboBox] = []
        self.volume_sliders: list[QSlider] = []
        self.mute_buttons: list[QToolButton] = []
        self.solo_buttons: list[QToolButton] = []
        for voice, name in enumerate(VOICE_NAMES):
            label = QLabel(name)
            label.setStyleSheet(f"color: {theme.VOICE_COLORS[voice].name()}; font-weight: bold;")
            combo = QComboBox()
            for program in range(128):
                combo.addItem(f"{program + 1} {program_name(program)}", program)
            combo.setToolTip(f"General MIDI instrument of the {name.lower()}")
            combo.activated.connect(lambda _i, v=voice: self._program_chosen(v))
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, 100)
            slider.setToolTip(f"Volume of the {name.lower()}")
            slider.valueChanged.connect(lambda value, v=voice: self._volume_moved(v, value))
            mute = _toggle("M", theme.MUTE_ON)
            mute.toggled.connect(lambda on, v=voice: self._set(v, muted=on))
            solo = _toggle("S", theme.SOLO_ON)
            solo.toggled.connect(lambda on, v=voice: self._set(v, solo=on))
            row = voice * 2
            grid.addWidget(label, row, 0)
            grid.addWidget(mute, row, 1)
            grid.addWidget(solo, row, 2)
            grid.addWidget(slider, row, 3)
            grid.addWidget(combo, row + 1, 0, 1, 4)
            self.program_combos.append(combo)
            self.volume_sliders.append(slider)
            self.mute_buttons.append(mute)
            self.solo_buttons.append(solo)
        layout.addLayout(grid)
        layout.addStretch(1)
        self.setWidget(body)

        self._fill_soundfonts()
        self.soundfont_combo.activated.connect(self._soundfont_chosen)
        controller.mixerChanged.connect(self._show_mixer)
        controller.soundfontChanged.connect(self._fill_soundfonts)
        controller.warningChanged.connect(self._show_warning)
        controller.problemChanged.connect(self._show_problem)
        self._show_mixer()
        self._show_warning(controller.warning)
        self._show_problem(controller.problem)

    # --- showing -------------------------------------------------------------------------
    def _show_mixer(self) -> None:
        mixer = self.controller.mixer
        for voice, mix in enumerate(mixer.voices):
            widgets = (self.program_combos[voice], self.volume_sliders[voice],
                       self.mute_buttons[voice], self.solo_buttons[voice])
            for widget in widgets:
                widget.blockSignals(True)
            self.program_combos[voice].setCurrentIndex(mix.program)
            self.volume_sliders[voice].setValue(round(mix.volume * 100))
            self.mute_buttons[voice].setChecked(mix.muted)
            self.solo_buttons[voice].setChecked(mix.solo)
            for widget in widgets:
                widget.blockSignals(False)
            self._show_toggle_tips(voice)

    def _show_toggle_tips(self, voice: int) -> None:
        """The tooltip says the state as well as what a click does, for anyone who cannot
        tell the colours apart."""
        mix, name = self.controller.mixer.voices[voice], VOICE_NAMES[voice].lower()
        self.mute_buttons[voice].setToolTip(
            f"The {name} is muted: click to hear it again" if mix.muted
            else f"Mute the {name}")
        self.solo_buttons[voice].setToolTip(
            f"The {name} is soloed: click to release it" if mix.solo
            else f"Solo the {name}: hear only the soloed voices")

    def _fill_soundfonts(self) -> None:
        combo = self.soundfont_combo
        combo.blockSignals(True)
        combo.clear()
        default = default_soundfont()
        combo.addItem(f"Built-in: {default.stem} (small General MIDI)", "")
        chosen = self.controller.soundfont
        paths = [p for p in system_soundfonts() if p.resolve() != default.resolve()]
        if chosen is not None and chosen not in paths and chosen != default:
            paths.insert(0, chosen)
        for path in paths:
            size = f"{path.stat().st_size / 1e6:.0f} MB" if path.exists() else "missing"
            combo.addItem(f"{path.stem} ({size}) — {path.parent}", str(path))
        combo.addItem("Other soundfont…", OTHER_SOUNDFONT)
        index = combo.findData(str(chosen) if chosen else "")
        combo.setCurrentIndex(max(0, index))
        combo.blockSignals(False)

    def _show_warning(self, warning: str) -> None:
        self.warning_label.setText(warning)
        self.warning_label.setVisible(bool(warning))

    def _show_problem(self, problem: str) -> None:
        self.problem_label.setText(problem)
        self.problem_label.setVisible(bool(problem))
        self.retry_button.setVisible(bool(problem) and not self.controller.library_missing)

    # --- editing -------------------------------------------------------------------------
    def _set(self, voice: int, **changes: object) -> None:
        controller = self.controller
        controller.set_mixer(controller.mixer.with_voice(voice, **changes))

    def _program_chosen(self, voice: int) -> None:
        program = self.program_combos[voice].currentData()
        self._set(voice, program=program)
        self.controller.audition(voice, 60 if voice < 2 else 48)

    def _volume_moved(self, voice: int, value: int) -> None:
        self._set(voice, volume=value / 100)

    def _soundfont_chosen(self, index: int) -> None:
        data = self.soundfont_combo.itemData(index)
        if data == OTHER_SOUNDFONT:
            path, _ = QFileDialog.getOpenFileName(
                self, "Choose Soundfont", str(Path.home()), "Soundfonts (*.sf2 *.sf3)")
            if not path:
                self._fill_soundfonts()
                return
            self.controller.set_soundfont(Path(path))
        else:
            self.controller.set_soundfont(Path(data) if data else None)


def _toggle(text: str, on: QColor) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setCheckable(True)
    button.setStyleSheet(theme.toggle_style(on))
    button.setFixedWidth(26)
    return button
