"""The Open Recent list, kept in QSettings so it survives restarts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

KEY = "recentFiles"
LIMIT = 10


class RecentFiles:
    def __init__(self, settings: QSettings) -> None:
        self._settings = settings

    def paths(self) -> list[Path]:
        value = self._settings.value(KEY, [])
        if isinstance(value, str):  # QSettings gives a lone entry back as a string
            value = [value]
        return [Path(p) for p in value or []]

    def add(self, path: Path) -> None:
        path = Path(path).resolve()
        self._store([path] + [p for p in self.paths() if p != path])

    def remove(self, path: Path) -> None:
        path = Path(path).resolve()
        self._store([p for p in self.paths() if p != path])

    def clear(self) -> None:
        self._store([])

    def _store(self, paths: list[Path]) -> None:
        self._settings.setValue(KEY, [str(p) for p in paths[:LIMIT]])
        self._settings.sync()
