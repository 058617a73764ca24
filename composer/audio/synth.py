"""One FluidSynth synthesizer with a soundfont loaded and the mixer applied.

Shared by the offline renderer and the real-time player, so a WAV export sounds exactly
like playback: same soundfont, programs, volumes and effects. Voice i plays on MIDI
channel i (channel 10, General MIDI drums, is never used).
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from composer.audio.library import SoundFontError, load_fluidsynth
from composer.audio.mixer import Mixer
from composer.audio.soundfonts import check_soundfont_file, default_soundfont

SAMPLE_RATE = 44100
# A chorale at the mixer's default volume peaks around -9 dBFS with TimGM6mb; only every
# voice at full volume and velocity reaches full scale (a WAV export is then scaled down).
GAIN = 1.0
# Chorus detunes the organ and choir presets and blurs four-part writing; off, it also
# saves a quarter of the rendering time. Reverb stays: chorales live in churches.
SYNTH_SETTINGS: dict[str, int | float | str] = {"synth.chorus.active": 0}
VOLUME_CC = 7
VOICE_CHANNELS = (0, 1, 2, 3)
# FluidSynth fills in its default modulators the first time a synthesizer is made, without
# a lock of its own. Two made at once (the render threads) could read them half-written:
# FluidSynth then warns "Modulator with source 1 none" and drops them from that synthesizer.
_CREATING = threading.Lock()


class Synthesizer:
    def __init__(
        self,
        soundfont: Path | str | None = None,
        mixer: Mixer | None = None,
        sample_rate: int = SAMPLE_RATE,
        gain: float = GAIN,
        library_names: Sequence[str] | None = None,
        settings: Mapping[str, int | float | str] | None = None,
    ) -> None:
        self.lib = load_fluidsynth(library_names)
        self.sample_rate = sample_rate
        self.mixer = mixer or Mixer()
        with _CREATING:
            self._synth = self.lib.module.Synth(gain=gain, samplerate=sample_rate, channels=16,
                                                **{**SYNTH_SETTINGS, **(settings or {})})
        self.handle = self._synth.synth
        self._write_float = self.lib.write_float
        self._sfid: int | None = None
        self.soundfont: Path = default_soundfont()
        self.warning: str | None = None
        self.set_soundfont(soundfont)

    def set_soundfont(self, path: Path | str | None) -> str | None:
        """Use `path` (None: the built-in default).

        A soundfont that cannot be used falls back to the default; the returned warning (also
        kept in `.warning`) says what was wrong. Only a broken default raises.
        """
        default = default_soundfont()
        wanted = Path(path) if path else default
        warning = None
        try:
            sfid = self._load(wanted)
        except SoundFontError as exc:
            if wanted == default:
                raise
            warning = f"{exc}. Playing with the built-in soundfont ({default.name}) instead"
            wanted, sfid = default, self._load(default)
        if self._sfid is not None:
            self._synth.sfunload(self._sfid, 1)
        self._sfid, self.soundfont, self.warning = sfid, wanted, warning
        self.set_mixer(self.mixer)
        return warning

    def _load(self, path: Path) -> int:
        check_soundfont_file(path)
        sfid = self._synth.sfload(str(path))
        if sfid < 0:
            raise SoundFontError(
                f"FluidSynth could not load the soundfont {path.name}; the file may be damaged"
            )
        return sfid

    def set_mixer(self, mixer: Mixer) -> None:
        self.mixer = mixer
        for index, channel in enumerate(VOICE_CHANNELS):
            program = mixer.voices[index].program
            if self._synth.program_select(channel, self._sfid, 0, program) < 0:
                self._synth.program_select(channel, self._sfid, 0, 0)
            self._synth.cc(channel, VOLUME_CC, mixer.channel_volume(index))

    def noteon(self, voice: int, pitch: int, velocity: int) -> None:
        self._synth.noteon(VOICE_CHANNELS[voice], pitch, velocity)

    def noteoff(self, voice: int, pitch: int) -> None:
        self._synth.noteoff(VOICE_CHANNELS[voice], pitch)

    def active_voices(self) -> int:
        """How many FluidSynth voices are sounding (a note may use several)."""
        return self._synth.get_active_voice_count()

    def all_notes_off(self) -> None:
        for channel in VOICE_CHANNELS:
            self._synth.all_notes_off(channel)

    def write(self, out: np.ndarray) -> None:
        """Render len(out) frames into `out`, a C-contiguous float32 array of shape (n, 2)."""
        if out.dtype != np.float32 or out.ndim != 2 or out.shape[1] != 2 or not (
            out.flags.c_contiguous
        ):
            raise ValueError("write needs a C-contiguous float32 array of shape (frames, 2)")
        if len(out):
            pointer = ctypes.c_void_p(out.ctypes.data)
            self._write_float(self.handle, len(out), pointer, 0, 2, pointer, 1, 2)

    def close(self) -> None:
        if self._synth is not None:
            self._synth.delete()
            self._synth = None

    def __enter__(self) -> Synthesizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
