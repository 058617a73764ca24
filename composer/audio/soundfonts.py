"""Which soundfont to play with: the one pretty_midi ships, larger ones found on the system,
or any file the user picks.

TimGM6mb (6 MB, General MIDI) travels with pretty_midi, a dependency, so Composer sounds on
a machine with nothing else installed. Larger GM fonts such as Debian's FluidR3 sound
better; `system_soundfonts` finds them so the mixer can offer them.
"""

from __future__ import annotations

import importlib.resources
import os
import sys
from pathlib import Path

from composer.audio.library import SoundFontError

SOUNDFONT_SUFFIXES = (".sf2", ".sf3")


def default_soundfont() -> Path:
    """pretty_midi's TimGM6mb.sf2."""
    path = Path(str(importlib.resources.files("pretty_midi") / "TimGM6mb.sf2"))
    if not path.is_file():
        raise SoundFontError(
            f"the built-in soundfont {path} is missing; reinstall pretty_midi "
            "(`pip install --force-reinstall pretty_midi`) or choose a soundfont in the mixer"
        )
    return path


def _search_dirs() -> list[Path]:
    home = Path.home()
    if sys.platform == "darwin":
        dirs = ["/opt/homebrew/share/soundfonts", "/usr/local/share/soundfonts",
                "/opt/homebrew/share/fluid-synth", str(home / "Library/Audio/Sounds/Banks")]
    elif sys.platform in ("win32", "cygwin"):
        dirs = [os.path.join(os.environ.get("PROGRAMDATA", r"C:\ProgramData"), "soundfonts"),
                r"C:\soundfonts", r"C:\tools\fluidsynth\share\soundfonts"]
    else:
        dirs = ["/usr/share/sounds/sf2", "/usr/share/sounds/sf3", "/usr/share/soundfonts",
                "/usr/local/share/soundfonts", str(home / ".local/share/soundfonts")]
    return [Path(d) for d in dirs]


def system_soundfonts(search_dirs: list[Path] | None = None) -> list[Path]:
    """Soundfonts installed on this machine, largest (usually the richest) first."""
    found: dict[Path, Path] = {}
    for folder in _search_dirs() if search_dirs is None else search_dirs:
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            if entry.suffix.lower() in SOUNDFONT_SUFFIXES and entry.is_file():
                found.setdefault(entry.resolve(), entry)
    return sorted(found.values(), key=lambda p: (-p.stat().st_size, str(p)))


def check_soundfont_file(path: Path) -> None:
    """Reject files FluidSynth would refuse, with a message saying what is wrong with them.

    A soundfont is a RIFF file of form `sfbk` (SF3 is the same container, compressed).
    """
    if not path.exists():
        raise SoundFontError(f"soundfont {path} does not exist")
    if not path.is_file():
        raise SoundFontError(f"soundfont {path} is not a file")
    if path.suffix.lower() not in SOUNDFONT_SUFFIXES:
        raise SoundFontError(f"{path.name} is not a soundfont: expected a .sf2 or .sf3 file")
    try:
        with path.open("rb") as f:
            header = f.read(12)
    except OSError as exc:
        raise SoundFontError(f"soundfont {path} cannot be read: {exc.strerror}") from exc
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"sfbk":
        raise SoundFontError(
            f"{path.name} is not a valid soundfont (no SoundFont 2 header); "
            "it may be damaged or another kind of file"
        )
