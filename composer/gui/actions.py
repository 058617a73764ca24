"""Every command of the window in one collection, with its default shortcuts.

After Frescobaldi's action collection: an action is registered once under a stable name
("edit.redo", "playback.loop"), with the shortcuts it has by default. A user's own
shortcuts are kept in QSettings under `shortcuts/<name>` and win over the defaults, so the
keymap lives in one place and nothing else (no widget's keyPressEvent) repeats it. A key
that two enabled actions share is ambiguous to Qt and does nothing, so `conflicts()` lets
a test keep the map free of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QWidget

Shortcut = QKeySequence | QKeySequence.StandardKey | str
SETTINGS_GROUP = "shortcuts"


def _sequences(shortcuts: Shortcut | Sequence[Shortcut] | None) -> list[QKeySequence]:
    if shortcuts is None:
        return []
    if isinstance(shortcuts, (QKeySequence, QKeySequence.StandardKey, str)):
        shortcuts = [shortcuts]
    found: list[QKeySequence] = []
    for shortcut in shortcuts:
        if isinstance(shortcut, QKeySequence.StandardKey):
            found.extend(QKeySequence.keyBindings(shortcut))
        else:
            found.append(QKeySequence(shortcut))
    unique: list[QKeySequence] = []
    for sequence in found:
        if not sequence.isEmpty() and sequence not in unique:
            unique.append(sequence)
    return unique


class ActionCollection(QObject):
    """`window` receives the window-wide actions; `view` those that act on the focused
    editor only (arrows, Delete, Escape), so they never steal keys from a panel's list or
    slider."""

    def __init__(self, settings: QSettings, window: QWidget, view: QWidget) -> None:
        super().__init__(window)
        self._settings = settings
        self._window = window
        self._view = view
        self._actions: dict[str, QAction] = {}
        self._defaults: dict[str, list[QKeySequence]] = {}

    def add(self, name: str, text: str, slot: Callable[..., object] | None = None,
            shortcuts: Shortcut | Sequence[Shortcut] | None = None, *, tip: str = "",
            icon: QIcon | None = None, view_scoped: bool = False,
            checkable: bool = False, action: QAction | None = None) -> QAction:
        """Register a new action (or an existing one, e.g. the undo stack's) under `name`."""
        if name in self._actions:
            raise ValueError(f"an action named {name!r} is registered already")
        if action is None:
            action = QAction(text, self._window)
        action.setObjectName(name)
        action.setCheckable(checkable or action.isCheckable())
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        if icon is not None:
            action.setIcon(icon)
        if slot is not None:
            (action.toggled if checkable else action.triggered).connect(slot)
        owner = self._view if view_scoped else self._window
        if view_scoped:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        owner.addAction(action)
        self._actions[name] = action
        self._defaults[name] = _sequences(shortcuts)
        action.setShortcuts(self._saved(name))
        return action

    def _saved(self, name: str) -> list[QKeySequence]:
        value = self._settings.value(f"{SETTINGS_GROUP}/{name}")
        if value is None:
            return self._defaults[name]
        texts = [value] if isinstance(value, str) else list(value)
        return [QKeySequence(t) for t in texts if t]

    def __getitem__(self, name: str) -> QAction:
        return self._actions[name]

    def __contains__(self, name: object) -> bool:
        return name in self._actions

    def __iter__(self) -> Iterator[tuple[str, QAction]]:
        return iter(self._actions.items())

    def default_shortcuts(self, name: str) -> list[QKeySequence]:
        return list(self._defaults[name])

    def set_shortcuts(self, name: str, shortcuts: Sequence[Shortcut]) -> None:
        """The user's own keys for an action, remembered across launches."""
        sequences = _sequences(shortcuts)
        self._actions[name].setShortcuts(sequences)
        if sequences == self._defaults[name]:
            self._settings.remove(f"{SETTINGS_GROUP}/{name}")
        else:
            self._settings.setValue(f"{SETTINGS_GROUP}/{name}",
                                    [s.toString() for s in sequences] or "")

    def conflicts(self) -> list[tuple[str, str, str]]:
        """(key, action, action) for each key that two enabled actions share."""
        owner_of: dict[str, str] = {}
        clashes = []
        for name, action in self._actions.items():
            if not action.isEnabled():
                continue
            for sequence in action.shortcuts():
                text = sequence.toString()
                if text in owner_of:
                    clashes.append((text, owner_of[text], name))
                else:
                    owner_of[text] = name
        return clashes
