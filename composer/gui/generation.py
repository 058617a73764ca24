"""The network in the window: the Generate panel and menu, the candidates drawn over the
roll, listening to them, and the confidence view. A part for `MainWindow(parts=...)`.

Keys for candidates (Tab, Shift+Tab, Enter, Escape) belong to the roll and are enabled only
while candidates are pending, so at other times Tab moves the focus and Escape clears the
selection as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDockWidget, QFileDialog, QMenu, QMessageBox

from composer.gui.confidence import ConfidenceModel
from composer.gui.editor_toolbars import hand_focus_back
from composer.gui.generation_controller import (
    GenerationController,
    Request,
    load_sampler,
    network_pool,
)
from composer.gui.generation_panel import OTHER_NETWORK, GenerationPanel
from composer.gui.generation_span import NoSpan, span_for
from composer.gui.note_edits import Edit
from composer.gui.roll_overlays import PendingNotes
from composer.gui.workers import Task
from composer.music.score import Note
from composer.music.spelling import spell

if TYPE_CHECKING:
    from composer.gui.main_window import MainWindow

CHECKPOINT_FILTER = "Composer checkpoints (*.pt);;All files (*)"
CANDIDATE_KEYS = ("generate.accept", "generate.discard", "generate.next", "generate.previous")


@dataclass(frozen=True)
class Generation:
    """What `install_generation` put in the window."""

    controller: GenerationController
    confidence: ConfidenceModel
    panel: GenerationPanel
    menu: QMenu


def install_generation(window: MainWindow) -> Generation:
    controller = GenerationController(window.document, window.settings, parent=window)
    confidence = ConfidenceModel(window.document, lambda: controller.settings.network,
                                 parent=window)
    wiring = _Wiring(window, controller, confidence)
    actions = _register_actions(window, wiring)
    panel = GenerationPanel(controller, actions, window)
    wiring.panel = panel
    window.add_dock(panel, tab_with="mixerDock")
    panel.toggleViewAction().setText("Generate &Panel")
    hand_focus_back(panel, window.roll)
    history = window.findChild(QDockWidget, "historyDock")
    if history is not None:  # the first launch's layout; a saved one wins over it
        window.resizeDocks([history, panel], [160, 560], Qt.Orientation.Vertical)
    menu = QMenu("&Generate", window)
    menu.setObjectName("generate")
    menu.addActions([actions["generate.run"], actions["generate.cancel"]])
    menu.addSeparator()
    menu.addActions([actions[name] for name in CANDIDATE_KEYS])
    menu.addSeparator()
    menu.addActions([actions["view.confidence"], panel.toggleViewAction()])
    window.add_menu(menu)
    wiring.connect()
    app = QApplication.instance()
    if app is not None:  # a network call still running when Python winds down would crash
        app.aboutToQuit.connect(controller.cancel)
        app.aboutToQuit.connect(lambda: network_pool().waitForDone(10_000))
    return Generation(controller, confidence, panel, menu)


def _register_actions(window: MainWindow, wiring: _Wiring) -> dict[str, QAction]:
    add, c = window.action_collection.add, wiring.controller
    actions = {
        "generate.run": add("generate.run", "&Generate", wiring.generate, "G",
                            tip="Let the network write, as the Generate panel says (G)"),
        "generate.cancel": add("generate.cancel", "&Cancel Generating", c.cancel,
                               tip="Stop the network; the score stays as it is"),
        "generate.accept": add("generate.accept", "&Keep Candidate", c.accept,
                               ["Return", "Enter"], view_scoped=True,
                               tip="Put the candidate in the score as one undo step (Enter)"),
        "generate.discard": add("generate.discard", "&Discard Candidates", c.discard,
                                "Escape", view_scoped=True,
                                tip="Drop the candidates; the score stays as it is (Esc)"),
        "generate.next": add("generate.next", "&Next Candidate", lambda: c.step(1), "Tab",
                             view_scoped=True, tip="The next candidate (Tab)"),
        "generate.previous": add("generate.previous", "&Previous Candidate",
                                 lambda: c.step(-1), "Shift+Tab", view_scoped=True,
                                 tip="The previous candidate (Shift+Tab)"),
        "view.confidence": add("view.confidence", "Show the Network's &Confidence",
                               wiring.confidence.set_enabled, "Ctrl+K", checkable=True,
                               tip="Shade each note by how likely the network found it, so "
                                   "surprising notes stand out (Ctrl+K)"),
    }
    for name, short in (("generate.accept", "Keep"), ("generate.discard", "Discard"),
                        ("generate.previous", "◀ Previous"), ("generate.next", "Next ▶"),
                        ("generate.cancel", "Cancel"), ("view.confidence", "Confidence")):
        actions[name].setIconText(short)
    window.view_menu.addAction(actions["view.confidence"])
    return actions


class _Wiring(QObject):
    """Keeps the window, the controller and the views in step."""

    def __init__(self, window: MainWindow, controller: GenerationController,
                 confidence: ConfidenceModel) -> None:
        super().__init__(window)
        self.window, self.controller, self.confidence = window, controller, confidence
        self.panel: GenerationPanel | None = None
        self._alternatives_for: tuple[int, Note] | None = None
        self._opening = ""  # the checkpoint being read after Open checkpoint…

    def connect(self) -> None:
        w, c, panel = self.window, self.controller, self.panel
        c.candidatesChanged.connect(self._show_candidate)
        c.candidatesChanged.connect(self._keys_to_the_roll)
        c.currentChanged.connect(lambda _index: self._show_candidate())
        c.busyChanged.connect(self._update_actions)
        c.settingsChanged.connect(self._show_span)
        c.settingsChanged.connect(self._preload)
        c.failed.connect(self._failed)
        c.notice.connect(w.status_message)
        self.confidence.changed.connect(
            lambda: w.roll.set_confidence(self.confidence.probabilities))
        self.confidence.failed.connect(w.status_message)
        w.roll.selectionChanged.connect(lambda _count: self._selection_changed())
        w.document.loopRangeChanged.connect(self._show_span)
        w.document.scoreChanged.connect(self._show_span)
        panel.networkChosen.connect(self._choose_network)
        panel.cardRequested.connect(self._show_card)
        panel.alternativeAuditioned.connect(self._audition)
        panel.alternativeChosen.connect(self._put_alternative)
        self._update_actions()
        self._show_span()
        QTimer.singleShot(0, self._preload)

    # --- generating ------------------------------------------------------------------
    def generate(self) -> None:
        s, doc, roll = self.controller.settings, self.window.document, self.window.roll
        if s.mode == "continue":
            from_step = doc.playhead if s.from_playhead else None
            self.controller.generate(Request(s, doc.score, from_step=from_step))
            return
        try:
            span = span_for(s.mode, doc.score, roll.selection, doc.loop_range)
        except NoSpan as reason:
            self.window.status_message(str(reason))
            return
        voices = s.keep if s.mode == "harmonize" else s.rewrite
        if s.mode == "harmonize" and len(voices) == 4:
            self.window.status_message("Untick a voice: Harmonize writes the voices not kept.")
            return
        if s.mode == "regenerate" and not voices:
            self.window.status_message("Tick the voices to rewrite.")
            return
        self.controller.generate(Request(s, doc.score, span.start, span.end))

    def _preload(self) -> None:
        """Read the chosen network in the background, so Generate starts at once."""
        network = self.controller.settings.network

        def work(_progress, _cancel):  # noqa: ANN001, ANN202 - the Task calling convention
            try:
                return load_sampler(network)
            except Exception as error:  # the message names the network it was about
                raise RuntimeError(f"The {Path(network).name} network cannot be read: "
                                   f"{str(error) or type(error).__name__}") from error

        task = Task(work)
        # Bound slots of this object, a child of the window, not lambdas: Qt drops them
        # with the window, so a preload that ends after the window has gone reaches nobody.
        task.signals.finished.connect(self._preloaded)
        task.signals.failed.connect(self._preload_failed)
        task.start(network_pool())

    def _preloaded(self, _sampler: object) -> None:
        self.window.report_problem("network", None)

    def _preload_failed(self, message: str) -> None:
        self.window.report_problem("network", message)

    def _failed(self, message: str) -> None:
        QMessageBox.warning(self.window, "Generate", f"The network could not write: "
                            f"{message}")

    def _update_actions(self) -> None:
        pending = self.controller.pending is not None
        for name in CANDIDATE_KEYS:
            self.window.action(name).setEnabled(pending)
        # Escape discards candidates while there are some, else it clears the selection.
        self.window.action("edit.clear_selection").setEnabled(not pending)
        self.window.action("generate.cancel").setEnabled(self.controller.busy)

    def _show_candidate(self) -> None:
        self._update_actions()
        candidates, candidate = self.controller.pending, self.controller.current_candidate()
        roll = self.window.roll
        if candidate is None:
            roll.set_pending(None)
        else:
            roll.set_pending(PendingNotes.of(candidate.score, candidates.start,
                                             candidates.end, candidates.voices))
        playback = self._transport()
        if playback is not None:
            playback.set_preview(self.controller.preview_score())

    def _transport(self):  # noqa: ANN202 - the TransportController, when playback is installed
        from composer.gui.playback import Playback

        try:
            return self.window.part(Playback).controller
        except LookupError:
            return None

    def _keys_to_the_roll(self) -> None:
        """New candidates are in the roll, and so are the keys that step through them."""
        if self.controller.pending is not None:
            self.window.roll.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_span(self) -> None:
        s, doc = self.controller.settings, self.window.document
        if s.mode == "continue":
            where = f"bar {doc.playhead // doc.score.steps_per_bar + 1}" if s.from_playhead \
                else "the end"
            self.panel.show_range(f"Adds {s.bars} bar{'s' if s.bars != 1 else ''} from "
                                  f"{where}.")
            return
        try:
            span = span_for(s.mode, doc.score, self.window.roll.selection, doc.loop_range)
        except NoSpan as reason:
            self.panel.show_range(str(reason))
        else:
            self.panel.show_range(span.describe(doc.score))

    # --- the network -----------------------------------------------------------------
    def _choose_network(self, network: str) -> None:
        if network != OTHER_NETWORK:
            self.controller.set_settings(replace(self.controller.settings, network=network))
            return
        name, _ = QFileDialog.getOpenFileName(self.window, "Open Checkpoint", "",
                                              CHECKPOINT_FILTER)
        if not name:
            self.panel.show_settings()
            return
        task = Task(lambda _p, _c: load_sampler(name))
        self._opening = name
        # bound slots, as for the preload: a checkpoint read after the window has closed
        # reaches nobody
        task.signals.finished.connect(self._network_opened)
        task.signals.failed.connect(self._network_refused)
        task.start(network_pool())

    def _network_opened(self, _sampler: object) -> None:
        self.controller.set_settings(replace(self.controller.settings, network=self._opening))

    def _network_refused(self, message: str) -> None:
        self._refuse_network(self._opening, message)

    def _refuse_network(self, name: str, message: str) -> None:
        self.panel.show_settings()
        QMessageBox.warning(self.window, "Open Checkpoint",
                            f"“{Path(name).name}” cannot be used: {message}\n\nThe network "
                            "in use stays as it was.")

    def _show_card(self) -> None:
        from composer.ml.checkpoint import card_path, read_card, resolve
        from composer.ml.errors import ModelError

        network = self.controller.settings.network
        try:
            text = card_summary(read_card(card_path(resolve(network))))
        except ModelError as error:
            text = str(error)
        QMessageBox.information(self.window, f"Network: {Path(network).name}", text)

    # --- alternatives ----------------------------------------------------------------
    def _selection_changed(self) -> None:
        self._show_span()
        selection = self.window.roll.selection
        if len(selection) != 1:
            self._alternatives_for = None
            self.panel.set_alternatives(None, "")
            return
        voice, note = next(iter(selection))
        self._alternatives_for = (voice, note)
        self.confidence.alternatives(
            voice, note.start,
            lambda score, choices: self._show_alternatives(voice, note, score, choices))

    def _show_alternatives(self, voice: int, note: Note, score, choices) -> None:  # noqa: ANN001
        if self._alternatives_for != (voice, note) or score is not self.window.document.score:
            return
        key = score.key
        named = [(p, prob, "rest" if p is None else spell(p, key)) for p, prob in choices]
        self.panel.set_alternatives(
            named, f"The network's choices for {spell(note.pitch, key)} at "
                   f"bar {note.start // score.steps_per_bar + 1}:")

    def _audition(self, pitch: int | None) -> None:
        if pitch is not None and self._alternatives_for is not None:
            self.window.roll.auditionRequested.emit(self._alternatives_for[0], pitch)

    def _put_alternative(self, pitch: int | None) -> None:
        if self._alternatives_for is None:
            return
        voice, note = self._alternatives_for
        score, key = self.window.document.score, self.window.document.score.key
        if pitch == note.pitch:
            return
        if pitch is None:
            edit = Edit(f"Replace {spell(note.pitch, key)} by a rest",
                        score.remove_notes([(voice, note)]), frozenset())
        else:
            new = Note(note.start, note.duration, pitch, note.velocity)
            edit = Edit(f"Change {spell(note.pitch, key)} to {spell(pitch, key)}",
                        score.replace_notes([(voice, note)], [(voice, new)]),
                        frozenset({(voice, new)}))
        self.window.roll.commit(edit)


def card_summary(card: dict) -> str:
    """A checkpoint card as a person reads it: what data, how big, how good, how long."""
    config, data = card.get("config", {}), card.get("data", {})
    test = card.get("metrics", {}).get("test", {})
    lines = [
        f"Network: {str(config.get('cell', '?')).upper()}, {config.get('layers', '?')} "
        f"layers × {config.get('hidden', '?')} units, embeddings {config.get('embed', '?')}; "
        f"{card.get('parameters', '?')} parameters",
        f"Trained on: {data.get('dataset', '?')} ({data.get('train_chorales', '?')} "
        f"chorales, {data.get('valid_chorales', '?')} for validation)",
        f"Training: {card.get('epochs', '?')} epochs, {card.get('minutes', '?')} minutes",
    ]
    if test:
        lines.append(f"Test: {test.get('nll_note', float('nan')):.3f} nats per note, "
                     f"{test.get('acc_note', float('nan')):.1%} of notes guessed right")
    if card.get("command"):
        lines.append(f"Made by: {card['command']}")
    return "\n".join(lines)
