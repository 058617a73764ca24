"""The Generate panel: which network, what to write, the sampling knobs, the candidates and,
for the selected note, the network's alternatives.

It only edits the controller's settings and shows what the controller and the
confidence model hold; every action it offers is one of the window's actions.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.gui.generation_controller import GenerationController
from composer.gui.generation_settings import MAX_CANDIDATES, MAX_SEED, MODES
from composer.music.score import VOICE_SHORT

NETWORK_NAMES = {"lstm": "the shipped LSTM", "gru": "the shipped GRU",
                 "harmonizer": "the shipped harmonizer, which reads the whole tune"}
MODE_LABELS = {"continue": "Continue", "harmonize": "Harmonize", "regenerate": "Regenerate"}
OTHER_NETWORK = "other"


def _button(action: QAction) -> QToolButton:
    button = QToolButton()
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


def _one_row_page(label: str, widget: QWidget) -> QWidget:
    page = QWidget()
    form = QFormLayout(page)
    form.setContentsMargins(0, 0, 0, 0)
    form.addRow(label, widget)
    return page


class _VoiceBoxes(QWidget):
    """Four ticks, S A T B."""

    changed = Signal(tuple)

    def __init__(self, tip: str) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.boxes = []
        for short in VOICE_SHORT:
            box = QCheckBox(short)
            box.setToolTip(tip.format(voice=short))
            box.toggled.connect(lambda _on: self.changed.emit(self.voices()))
            row.addWidget(box)
            self.boxes.append(box)
        row.addStretch(1)

    def voices(self) -> tuple[int, ...]:
        return tuple(v for v, box in enumerate(self.boxes) if box.isChecked())

    def set_voices(self, voices: tuple[int, ...]) -> None:
        for v, box in enumerate(self.boxes):
            box.blockSignals(True)
            box.setChecked(v in voices)
            box.blockSignals(False)


class GenerationPanel(QDockWidget):
    networkChosen = Signal(str)  # "lstm", "gru" or OTHER_NETWORK (ask for a file)
    cardRequested = Signal()
    alternativeAuditioned = Signal(object)  # pitch or None
    alternativeChosen = Signal(object)

    def __init__(self, controller: GenerationController, actions: dict[str, QAction],
                 parent: QWidget | None = None) -> None:
        super().__init__("Generate", parent)
        self.setObjectName("generationDock")
        self.controller = controller
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addLayout(self._network_row())
        layout.addWidget(self._mode_row())
        self.pages = QStackedWidget()
        self.pages.addWidget(self._continue_page())
        self.pages.addWidget(self._harmonize_page())
        self.pages.addWidget(self._regenerate_page())
        layout.addWidget(self.pages)
        self.range_label = QLabel()
        self.range_label.setWordWrap(True)
        layout.addWidget(self.range_label)
        layout.addLayout(self._knobs())
        layout.addLayout(self._run_row(actions))
        hint = QLabel("Candidates, best first: Tab steps through them, Space plays, Enter "
                      "keeps one, Esc drops them")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.candidates = QListWidget()
        self.candidates.setFixedHeight(84)
        # Tab, Shift+Tab and Enter on the roll do what a focused list would: the keys stay
        # with the roll, where the candidates are drawn.
        self.candidates.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.candidates.currentRowChanged.connect(self._candidate_clicked)
        layout.addWidget(self.candidates)
        row = QHBoxLayout()
        for name in ("generate.accept", "generate.discard", "generate.previous",
                     "generate.next"):
            row.addWidget(_button(actions[name]))
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(_button(actions["view.confidence"]))
        self.alternatives_label = QLabel()
        self.alternatives_label.setWordWrap(True)
        layout.addWidget(self.alternatives_label)
        self.alternatives = QListWidget()
        self.alternatives.setFixedHeight(110)
        self.alternatives.itemClicked.connect(
            lambda item: self.alternativeAuditioned.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.alternatives.itemActivated.connect(
            lambda item: self.alternativeChosen.emit(item.data(Qt.ItemDataRole.UserRole)))
        layout.addWidget(self.alternatives)
        layout.addStretch(1)
        scroll = QScrollArea()  # the panel never makes the window taller than the screen
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(body.minimumSizeHint().width()
                               + scroll.verticalScrollBar().sizeHint().width())
        self.setWidget(scroll)

        controller.settingsChanged.connect(self.show_settings)
        controller.candidatesChanged.connect(self._show_candidates)
        controller.currentChanged.connect(self._show_current)
        controller.busyChanged.connect(self._show_busy)
        controller.progress.connect(self._show_progress)
        self.show_settings()
        self._show_busy(False)
        self.set_alternatives(None, "")

    # --- building --------------------------------------------------------------------
    def _network_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.network = QComboBox()
        self.network.setToolTip("The network that writes: the shipped LSTM or GRU, or a "
                                "checkpoint of your own from `composer train`")
        self.network.addItem("LSTM (shipped)", "lstm")
        self.network.addItem("GRU (shipped)", "gru")
        self.network.addItem("Open checkpoint…", OTHER_NETWORK)
        self.network.activated.connect(
            lambda index: self.networkChosen.emit(self.network.itemData(index)))
        card = QPushButton("Card…")
        card.setObjectName("cardButton")
        card.setToolTip("What this network is: training data, size, test figures, time")
        card.clicked.connect(self.cardRequested)
        row.addWidget(QLabel("Network"))
        row.addWidget(self.network, 1)
        row.addWidget(card)
        return row

    def _mode_row(self) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        self.modes = QButtonGroup(self)
        tips = {"continue": "Write new bars after the end or the playhead",
                "harmonize": "Keep the ticked voices (a tune) and write the others",
                "regenerate": "Write the ticked voices of a passage anew, keeping what "
                              "comes before and after"}
        for index, mode in enumerate(MODES):
            button = QRadioButton(MODE_LABELS[mode])
            button.setToolTip(tips[mode])
            self.modes.addButton(button, index)
            row.addWidget(button)
        self.modes.idClicked.connect(lambda index: self._edit(mode=MODES[index]))
        return box

    def _continue_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.bars = QSpinBox(minimum=1, maximum=64, suffix=" bars")
        self.bars.valueChanged.connect(lambda value: self._edit(bars=value))
        self.continue_from = QComboBox()
        self.continue_from.addItem("the end of the score", False)
        self.continue_from.addItem("the playhead (replacing what follows)", True)
        self.continue_from.activated.connect(
            lambda index: self._edit(from_playhead=bool(self.continue_from.itemData(index))))
        form.addRow("Add", self.bars)
        form.addRow("From", self.continue_from)
        return page

    def _harmonize_page(self) -> QWidget:
        self.keep = _VoiceBoxes("Keep the {voice} as it is")
        self.keep.changed.connect(lambda voices: self._edit(keep=voices))
        return _one_row_page("Keep", self.keep)

    def _regenerate_page(self) -> QWidget:
        self.rewrite = _VoiceBoxes("Write the {voice} anew")
        self.rewrite.changed.connect(lambda voices: self._edit(rewrite=voices))
        return _one_row_page("Rewrite", self.rewrite)

    def _knobs(self) -> QFormLayout:
        form = QFormLayout()
        self.temperature = QDoubleSpinBox(minimum=0.1, maximum=2.0, singleStep=0.05,
                                          decimals=2)
        self.temperature.setToolTip("Below 1: safer, plainer choices; above 1: bolder ones")
        self.temperature.valueChanged.connect(lambda v: self._edit(temperature=v))
        self.top_p = QDoubleSpinBox(minimum=0.5, maximum=1.0, singleStep=0.01, decimals=2)
        self.top_p.setToolTip("Sample only from the likeliest tokens that make up this share")
        self.top_p.valueChanged.connect(lambda v: self._edit(top_p=v))
        self.count = QSpinBox(minimum=1, maximum=MAX_CANDIDATES)
        self.count.setToolTip("How many versions to write at once, ranked best first")
        self.count.valueChanged.connect(lambda v: self._edit(candidates=v))
        self.seed = QSpinBox(minimum=0, maximum=MAX_SEED)
        self.seed.setToolTip("The same seed and settings write the same music again")
        self.seed.valueChanged.connect(lambda v: self._edit(seed=v))
        new_seed = QPushButton("New")
        new_seed.setToolTip("Pick a new random seed")
        new_seed.clicked.connect(
            lambda: self.controller.set_settings(self.controller.settings.with_new_seed()))
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(new_seed)
        self.parallels = QCheckBox("no parallels")
        self.parallels.setToolTip("No two voices move in parallel fifths or octaves")
        self.parallels.toggled.connect(lambda on: self._edit(avoid_parallels=on))
        self.voicing = QCheckBox("no hidden 5ths/8ves, soprano within an octave of alto")
        self.voicing.setToolTip("No hidden fifths or octaves between soprano and bass (both "
                                "moving the same way, the soprano leaping), and the soprano "
                                "no more than an octave above the alto")
        self.voicing.toggled.connect(lambda on: self._edit(strict_voicing=on))
        self.cadences = QCheckBox("triads at fermatas")
        self.cadences.setToolTip("Each phrase ends, under its fermata, on a major or minor "
                                 "triad with its root in the bass, as Bach's do")
        self.cadences.toggled.connect(lambda on: self._edit(cadence_triads=on))
        # Two knobs a row: the panel's lower half (candidates, alternatives) then fits the
        # default window without scrolling.
        pairs = QHBoxLayout()
        for label, widget in (("Temperature", self.temperature), ("Top-p", self.top_p)):
            pairs.addWidget(QLabel(label))
            pairs.addWidget(widget, 1)
        form.addRow(pairs)
        counts = QHBoxLayout()
        counts.addWidget(QLabel("Candidates"))
        counts.addWidget(self.count)
        counts.addWidget(QLabel("Seed"))
        counts.addLayout(seed_row, 1)
        form.addRow(counts)
        rules = QHBoxLayout()  # two short rows keep the dock as narrow as before
        rules.addWidget(self.parallels)
        rules.addWidget(self.cadences, 1)
        form.addRow(rules)
        form.addRow(self.voicing)
        return form

    def _run_row(self, actions: dict[str, QAction]) -> QHBoxLayout:
        row = QHBoxLayout()
        self.generate_button = _button(actions["generate.run"])
        self.cancel_button = _button(actions["generate.cancel"])
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        row.addWidget(self.generate_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.progress, 1)
        return row

    # --- showing ---------------------------------------------------------------------
    def _edit(self, **changes: object) -> None:
        self.controller.set_settings(replace(self.controller.settings, **changes))

    def show_settings(self) -> None:
        s = self.controller.settings
        widgets = (self.bars, self.temperature, self.top_p, self.count, self.seed,
                   self.parallels, self.voicing, self.cadences, self.continue_from,
                   self.network)
        for widget in widgets:
            widget.blockSignals(True)
        self.bars.setValue(s.bars)
        self.temperature.setValue(s.temperature)
        self.top_p.setValue(s.top_p)
        self.count.setValue(s.candidates)
        self.seed.setValue(s.seed)
        self.parallels.setChecked(s.avoid_parallels)
        self.voicing.setChecked(s.strict_voicing)
        self.cadences.setChecked(s.cadence_triads)
        self.continue_from.setCurrentIndex(1 if s.from_playhead else 0)
        self._show_network(s.network)
        for widget in widgets:
            widget.blockSignals(False)
        self.keep.set_voices(s.keep)
        self.rewrite.set_voices(s.rewrite)
        mode = MODES.index(s.mode)
        self.modes.button(mode).setChecked(True)
        self.pages.setCurrentIndex(mode)

    def _show_network(self, network: str) -> None:
        index = self.network.findData(network)
        if index < 0:  # a checkpoint file: listed by name above "Open checkpoint…"
            self.network.insertItem(self.network.count() - 1, network.rsplit("/", 1)[-1],
                                    network)
            index = self.network.findData(network)
            self.network.setItemData(index, network, Qt.ItemDataRole.ToolTipRole)
        self.network.setCurrentIndex(index)

    def show_range(self, text: str) -> None:
        self.range_label.setText(text)

    def _show_busy(self, busy: bool) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setVisible(busy)

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def _show_candidates(self) -> None:
        self.candidates.blockSignals(True)
        self.candidates.clear()
        pending = self.controller.pending
        by = NETWORK_NAMES.get(self.controller.written_by or "", self.controller.written_by)
        for number, candidate in enumerate(pending.items if pending else (), 1):
            item = QListWidgetItem(f"{number}.  log-likelihood "
                                   f"{candidate.log_likelihood:.1f} nats")
            item.setToolTip(f"Written by {by}")
            self.candidates.addItem(item)
        self.candidates.blockSignals(False)
        self._show_current(self.controller.current)

    def _show_current(self, index: int) -> None:
        if self.controller.pending is not None:
            self.candidates.blockSignals(True)
            self.candidates.setCurrentRow(index)
            self.candidates.blockSignals(False)

    def _candidate_clicked(self, row: int) -> None:
        if row >= 0:
            self.controller.select(row)

    def set_alternatives(self, options: list[tuple[int | None, float, str]] | None,
                         about: str) -> None:
        """The network's top choices for the selected note: (pitch or None, p, name)."""
        self.alternatives.clear()  # kept in place when empty: the panel never jumps
        self.alternatives_label.setText(
            about or "Select one note to see what else the network would have written "
                     "there; click one to hear it, double-click to put it in place.")
        for pitch, probability, name in options or ():
            item = QListWidgetItem(f"{name}   {probability:.0%}")
            item.setData(Qt.ItemDataRole.UserRole, pitch)
            self.alternatives.addItem(item)
