"""Finding libfluidsynth, and saying how to install it when it is missing.

pyfluidsynth loads the system library when it is imported and raises ImportError or
OSError when it cannot. The app must open, edit and export without it, so nothing in
composer imports `fluidsynth` at module level: everything goes through `load_fluidsynth`,
which turns the failure into an `AudioUnavailable` with a message a person can act on.
`probe_library` checks a library by name, so the missing-library path can be exercised
without uninstalling anything.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from types import ModuleType


class AudioError(RuntimeError):
    """Playback or rendering failed; the message names the problem and the fix."""


class AudioUnavailable(AudioError):
    """FluidSynth or an audio output cannot be used on this machine."""


class SoundFontError(AudioError):
    """A soundfont file cannot be used."""


def install_hint(platform: str = sys.platform) -> str:
    if platform.startswith("linux"):
        return (
            "install it with your package manager, e.g. `sudo apt install libfluidsynth3` "
            "(Debian, Ubuntu) or `sudo dnf install fluidsynth-libs` (Fedora), then restart Composer"
        )
    if platform == "darwin":
        return "install it with `brew install fluid-synth`, then restart Composer"
    if platform in ("win32", "cygwin"):
        return (
            "download FluidSynth from https://github.com/FluidSynth/fluidsynth/releases, "
            "put its bin folder on PATH, then restart Composer"
        )
    return "install FluidSynth 2 (libfluidsynth) for your system, then restart Composer"


def missing_library_message(detail: str) -> str:
    return (
        "Playback is off: the FluidSynth library (libfluidsynth) could not be loaded "
        f"({detail}). To hear your music, {install_hint()}. "
        "Editing, saving and exporting MIDI work without it."
    )


def probe_library(names: Sequence[str]) -> str | None:
    """Load the first of `names` that exists (a library name such as "fluidsynth" or a path).

    Returns None when one loads, else the message for a person explaining what is missing.
    """
    errors = []
    for name in names:
        path = ctypes.util.find_library(name) or name
        try:
            ctypes.CDLL(path)
        except OSError as exc:
            errors.append(f"{name}: {exc}")
        else:
            return None
    return missing_library_message("; ".join(errors) or "no library name given")


FLUID_INFO = 3


@dataclass(frozen=True)
class FluidSynth:
    """pyfluidsynth, plus the few C functions it does not wrap that Composer needs."""

    module: ModuleType
    write_float: Callable[..., int]
    sequencer_remove_events: Callable[..., None]


def _prototype(library: ctypes.CDLL, name: str, result: object, *args: object) -> Callable:
    function = getattr(library, name)
    function.restype = result
    function.argtypes = list(args)
    return function


@cache
def _import_pyfluidsynth() -> tuple[FluidSynth | None, str | None]:
    try:
        import fluidsynth
    except (ImportError, OSError) as exc:
        return None, missing_library_message(str(exc) or type(exc).__name__)
    library = fluidsynth._fl
    c = ctypes
    try:
        write_float = _prototype(library, "fluid_synth_write_float", c.c_int, c.c_void_p,
                                 c.c_int, c.c_void_p, c.c_int, c.c_int, c.c_void_p, c.c_int,
                                 c.c_int)
        remove_events = _prototype(library, "fluid_sequencer_remove_events", None, c.c_void_p,
                                   c.c_short, c.c_short, c.c_int)
    except AttributeError:
        return None, missing_library_message("the library found is older than FluidSynth 2")
    # FluidSynth's informational chatter ("Using PulseAudio driver") is not for the user's
    # terminal; warnings and errors still go there.
    _prototype(library, "fluid_set_log_function", c.c_void_p, c.c_int, c.c_void_p,
               c.c_void_p)(FLUID_INFO, None, None)
    return FluidSynth(fluidsynth, write_float, remove_events), None


def load_fluidsynth(library_names: Sequence[str] | None = None) -> FluidSynth:
    """pyfluidsynth bound to the system library.

    With `library_names`, those libraries must load first (the check the GUI and tests use
    to run the missing-library path on a machine that has the library).
    """
    if library_names is not None:
        problem = probe_library(library_names)
        if problem:
            raise AudioUnavailable(problem)
    module, problem = _import_pyfluidsynth()
    if module is None:
        raise AudioUnavailable(problem)
    return module


def fluidsynth_problem(library_names: Sequence[str] | None = None) -> str | None:
    """None when FluidSynth can be used, else why not and how to fix it."""
    try:
        load_fluidsynth(library_names)
    except AudioUnavailable as exc:
        return str(exc)
    return None
