"""New from Bach chorale: pick a chorale from the corpus and how many bars to keep as the
seed. The corpus is read in the background the first time (it takes minutes); the dialog
shows progress and can be cancelled."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from composer.gui.score_preview import ScorePreview
from composer.gui.workers import Cancel, Progress, Task
from composer.music.corpus import ChoraleEntry, Corpus
from composer.music.score import Score

CorpusLoader = Callable[[Progress, Cancel], Corpus]
COLUMNS = ("Chorale", "BWV", "Title", "Key", "Time", "Bars")
DEFAULT_SEED_BARS = 4
_ROOT = QModelIndex()


class ChoraleTableModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries: list[ChoraleEntry] = []

    def set_entries(self, entries: list[ChoraleEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def entry(self, row: int) -> ChoraleEntry:
        return self._entries[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        entry = self._entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (entry.id, entry.bwv, entry.title, entry.key or "", str(entry.time_signature),
                    entry.bars)[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (1, 4, 5):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None


def seed_of(entry: ChoraleEntry, bars: int) -> Score:
    """The first `bars` bars of a chorale (all of it when `bars` reaches its length)."""
    steps = min(entry.score.length, bars * entry.score.steps_per_bar)
    return entry.score.slice(0, steps)


class ChoraleBrowser(QDialog):
    """Emits `corpusLoaded` once the corpus has been read, so the caller can keep it."""

    corpusLoaded = Signal(object)

    def __init__(self, corpus: Corpus | None, loader: CorpusLoader,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New from Bach Chorale")
        self.resize(760, 600)
        self._corpus = corpus
        self._loader = loader
        self._task: Task | None = None

        self.search = QLineEdit(placeholderText="Search by number, title or key, e.g. “269” "
                                                "or “G major”")
        self.search.setClearButtonEnabled(True)
        self.model = ChoraleTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setSortingEnabled(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.preview = ScorePreview()
        self.bars = QSpinBox(minimum=1, maximum=1, value=1, suffix=" bars")
        self.bars.setToolTip("How many bars of the chorale to keep as the seed")
        self.bars_of = QLabel()

        self.progress = QProgressBar()
        self.progress_label = QLabel("Reading Bach's chorales from music21 — this happens "
                                     "once and takes a minute or two…")
        self.progress_label.setWordWrap(True)
        self.cancel_load = QPushButton("Stop")
        self.loading = QWidget()
        loading_row = QHBoxLayout(self.loading)
        loading_row.setContentsMargins(0, 0, 0, 0)
        loading_row.addWidget(self.progress_label, 1)
        loading_row.addWidget(self.progress, 1)
        loading_row.addWidget(self.cancel_load)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.open_button = self.buttons.button(QDialogButtonBox.StandardButton.Open)
        self.open_button.setEnabled(False)

        seed_row = QHBoxLayout()
        seed_row.addWidget(QLabel("Keep the first"))
        seed_row.addWidget(self.bars)
        seed_row.addWidget(self.bars_of)
        seed_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.loading)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.preview, 1)
        layout.addLayout(seed_row)
        layout.addWidget(self.buttons)

        self.search.textChanged.connect(self._filter)
        self.table.selectionModel().currentRowChanged.connect(self._entry_changed)
        self.table.doubleClicked.connect(self.accept)
        self.bars.valueChanged.connect(self._update_preview)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.cancel_load.clicked.connect(self._stop_loading)

        if corpus is None:
            self._start_loading()
        else:
            self._show_corpus(corpus)

    # --- loading ---------------------------------------------------------------------------
    def _start_loading(self) -> None:
        self.loading.show()
        self.progress.setRange(0, 0)
        self.search.setEnabled(False)
        task = Task(self._loader)
        task.signals.progress.connect(self._progress)
        task.signals.finished.connect(self._loaded)
        task.signals.failed.connect(self._failed)
        task.signals.cancelled.connect(self.reject)
        self._task = task
        task.start()

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done} of {total} chorales")

    def _loaded(self, corpus: Corpus) -> None:
        self._task = None
        self._corpus = corpus
        self.corpusLoaded.emit(corpus)
        self._show_corpus(corpus)

    def _failed(self, message: str) -> None:
        self._task = None
        self.progress.setRange(0, 1)
        self.progress_label.setText(f"The chorales could not be read: {message}. Check that "
                                    "music21 is installed with its corpus, then try again.")
        self.cancel_load.setText("Close")
        self.cancel_load.clicked.disconnect()
        self.cancel_load.clicked.connect(self.reject)

    def _stop_loading(self) -> None:
        if self._task is not None:
            self.cancel_load.setEnabled(False)
            self.progress_label.setText("Stopping…")
            self._task.cancel()
        else:
            self.reject()

    def wait_until_loaded(self, timeout: float = 300.0) -> bool:
        """For callers that need the corpus now; the GUI itself never blocks on it."""
        return self._task is None or self._task.wait(timeout)

    def _show_corpus(self, corpus: Corpus) -> None:
        self.loading.hide()
        self.search.setEnabled(True)
        self.search.setFocus()
        self._filter(self.search.text())

    def done(self, result: int) -> None:
        if self._task is not None:
            self._task.cancel()
        super().done(result)

    # --- choosing ------------------------------------------------------------------------
    def _filter(self, text: str) -> None:
        if self._corpus is None:
            return
        entries = self._corpus.search(text) if text.strip() else self._corpus.entries
        self.model.set_entries(entries)
        if entries:
            self.table.selectRow(0)
        else:
            self._entry_changed(QModelIndex())

    def _entry_changed(self, current: QModelIndex, previous: QModelIndex | None = None) -> None:
        entry = self.selected_entry()
        self.open_button.setEnabled(entry is not None)
        if entry is None:
            self.preview.set_score(None)
            self.bars_of.setText("")
            return
        self.bars.setMaximum(max(1, entry.bars))
        self.bars.setValue(min(DEFAULT_SEED_BARS, entry.bars))
        self.bars_of.setText(f"of {entry.bars} as the seed")
        self._update_preview()

    def _update_preview(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            self.preview.set_score(entry.score, self.bars.value() * entry.score.steps_per_bar)

    def selected_entry(self) -> ChoraleEntry | None:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= self.model.rowCount():
            return None
        return self.model.entry(index.row())

    def seed(self) -> Score | None:
        entry = self.selected_entry()
        return None if entry is None else seed_of(entry, self.bars.value())
