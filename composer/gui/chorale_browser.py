"""New from Bach chorale: pick a chorale from the corpus and how many bars to keep as the
seed. Set-up builds the corpus cache, so the dialog normally only reads it; where it must
still be built (minutes), the progress stands where the list will be and can be stopped.

The search box is the keyboard's home: ↑/↓ and PgUp/PgDn there move through the list, text
typed in the list goes to the search box, and Enter opens the highlighted chorale."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
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
_LIST_KEYS = frozenset({Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown})
_COMMAND_MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                      | Qt.KeyboardModifier.MetaModifier)


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


def _is_typing(event: QKeyEvent) -> bool:
    """Text a person types, as opposed to a command key (Ctrl+C) or a navigation key."""
    text = event.text()
    return bool(text) and text.isprintable() and not event.modifiers() & _COMMAND_MODIFIERS


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
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.open_button = self.buttons.button(QDialogButtonBox.StandardButton.Open)
        self.open_button.setEnabled(False)

        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_loading())
        self.chooser = self._build_chooser()
        self.pages.addWidget(self.chooser)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.buttons)
        self.open_button.setDefault(True)  # Enter opens the highlighted chorale, from anywhere

        self.search.installEventFilter(self)
        self.table.installEventFilter(self)
        self.search.textChanged.connect(self._filter)
        self.table.selectionModel().currentRowChanged.connect(self._entry_changed)
        self.table.doubleClicked.connect(self.accept)
        self.bars.valueChanged.connect(self._bars_changed)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.cancel_load.clicked.connect(self._stop_loading)

        if corpus is None:
            self._start_loading()
        else:
            self._show_corpus(corpus)

    def _build_loading(self) -> QWidget:
        """The progress page, in the list's place: nothing of the list shows while it is read."""
        self.progress = QProgressBar()
        self.progress_label = QLabel("Reading Bach's chorales…")
        self.progress_label.setWordWrap(True)
        self.progress_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.cancel_load = QPushButton("Stop")
        self.cancel_load.setAutoDefault(False)  # an Enter meant for Open never stops the build
        self.loading = QWidget()
        bar_row = QHBoxLayout()
        bar_row.addWidget(self.progress, 1)
        bar_row.addWidget(self.cancel_load)
        column = QVBoxLayout(self.loading)
        column.addStretch(1)
        column.addWidget(self.progress_label)
        column.addLayout(bar_row)
        column.addStretch(1)
        return self.loading

    def _build_chooser(self) -> QWidget:
        """The list, the preview and the seed length: the page shown once the corpus is read."""
        self.model = ChoraleTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setSortingEnabled(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the list, as in every other control
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.preview = ScorePreview()
        self.bars = QSpinBox(minimum=1, maximum=1, value=1, suffix=" bar")
        self.bars.setToolTip("How many bars of the chorale to keep as the seed")
        self.bars_of = QLabel()
        self.seed_row = QWidget()
        seed_row = QHBoxLayout(self.seed_row)
        seed_row.setContentsMargins(0, 0, 0, 0)
        seed_row.addWidget(QLabel("Keep the first"))
        seed_row.addWidget(self.bars)
        seed_row.addWidget(self.bars_of)
        seed_row.addStretch(1)
        chooser = QWidget()
        column = QVBoxLayout(chooser)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.table, 3)
        column.addWidget(self.preview, 1)
        column.addWidget(self.seed_row)
        return chooser

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Sends the list's keys from the search box to the list, and typing in the list to
        the search box: Qt's own type-to-find in a table jumps rows by the column in focus."""
        if event.type() == QEvent.Type.KeyPress:
            if watched is self.search and event.key() in _LIST_KEYS:
                QApplication.sendEvent(self.table, event)
                return True
            if watched is self.table and _is_typing(event):
                self.search.setFocus()
                QApplication.sendEvent(self.search, event)
                return True
        return super().eventFilter(watched, event)

    # --- loading ---------------------------------------------------------------------------
    def _start_loading(self) -> None:
        self.pages.setCurrentWidget(self.loading)
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
        """Only a build reports progress; reading the cache set-up made takes a moment."""
        self.progress_label.setText("Building the list of Bach's chorales from music21 — "
                                    "this happens once and takes a few minutes…")
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
        self.pages.setCurrentWidget(self.chooser)
        self.search.setEnabled(True)
        self.search.setFocus()
        self._filter(self.search.text())

    def done(self, result: int) -> None:
        if self._task is not None:
            self._task.cancel()
        super().done(result)

    # --- choosing ------------------------------------------------------------------------
    def _filter(self, text: str) -> None:
        """The highlighted chorale stays highlighted while it matches, so typing never moves
        Enter onto another chorale that the person did not pick."""
        if self._corpus is None:
            return
        kept = self.selected_entry()
        entries = self._corpus.search(text)
        self.model.set_entries(entries)
        if entries:
            self.table.selectRow(entries.index(kept) if kept in entries else 0)
        else:
            self._entry_changed(QModelIndex())

    def _entry_changed(self, current: QModelIndex, previous: QModelIndex | None = None) -> None:
        entry = self.selected_entry()
        self.open_button.setEnabled(entry is not None)
        self.seed_row.setEnabled(entry is not None)
        if entry is None:
            self.preview.set_score(None)
            self.bars_of.setText("")
            return
        self.bars.setMaximum(max(1, entry.bars))
        self.bars.setValue(min(DEFAULT_SEED_BARS, entry.bars))
        self.bars_of.setText(f"of {entry.bars} as the seed")
        self._update_preview()

    def _bars_changed(self, bars: int) -> None:
        self.bars.setSuffix(" bar" if bars == 1 else " bars")
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
