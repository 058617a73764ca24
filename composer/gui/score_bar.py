"""Tempo, metre and key of the score, editable from a toolbar; each change one undo step."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QToolBar, QWidget

from composer.gui.document import ScoreDocument
from composer.music.keys import KEYS
from composer.music.score import TimeSignature

TIME_SIGNATURES = ("2/4", "3/4", "4/4", "2/2", "3/2", "6/8", "9/8", "12/8")
NO_KEY = "No key"


class ScoreBar(QToolBar):
    def __init__(self, document: ScoreDocument, parent: QWidget | None = None) -> None:
        super().__init__("Score", parent)
        self.setObjectName("scoreToolBar")
        self.document = document
        self.tempo = QDoubleSpinBox(minimum=10, maximum=400, decimals=0, suffix=" BPM")
        self.tempo.setKeyboardTracking(False)
        self.tempo.setToolTip("Tempo in quarter notes per minute")
        self.time_signature = QComboBox()
        self.time_signature.setToolTip("Metre (time signature)")
        self.time_signature.addItems(TIME_SIGNATURES)
        self.key = QComboBox()
        self.key.setToolTip("Key")
        self.key.addItems([NO_KEY, *KEYS])
        # No labels: "80 BPM", "3/4" and "G major" say what they are, and the room they
        # would take pushes the key off a 1280-pixel window.
        for name, widget in (("Tempo", self.tempo), ("Metre", self.time_signature),
                             ("Key", self.key)):
            widget.setAccessibleName(name)
            self.addWidget(widget)
        self.tempo.valueChanged.connect(self._tempo_edited)
        self.time_signature.textActivated.connect(self._time_signature_edited)
        self.key.textActivated.connect(self._key_edited)
        document.scoreChanged.connect(self._refresh)
        self._refresh()

    def _refresh(self) -> None:
        score = self.document.score
        self.tempo.blockSignals(True)
        self.tempo.setValue(score.tempo)
        self.tempo.blockSignals(False)
        text = str(score.time_signature)
        if self.time_signature.findText(text) < 0:
            self.time_signature.addItem(text)
        self.time_signature.setCurrentText(text)
        key = score.key or NO_KEY
        if self.key.findText(key) < 0:
            self.key.addItem(key)
        self.key.setCurrentText(key)

    def _tempo_edited(self, value: float) -> None:
        score = self.document.score
        if round(value) != round(score.tempo):
            self.document.apply("Change tempo", score.with_meta(tempo=float(value)))

    def _time_signature_edited(self, text: str) -> None:
        score = self.document.score
        ts = TimeSignature.parse(text)
        if ts != score.time_signature:
            self.document.apply("Change time signature", score.with_meta(time_signature=ts))

    def _key_edited(self, text: str) -> None:
        score = self.document.score
        key = None if text == NO_KEY else text
        if key != score.key:
            self.document.apply("Change key", score.with_meta(key=key))
