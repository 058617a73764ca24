"""How each voice sounds: instrument, volume, mute and solo.

These are playback settings, not music: changing them is not an edit of the score and is
not undone with it. `Mixer` is immutable like `Score`, so the player, the offline renderer
and a worker thread can all hold one without sharing mutable state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pretty_midi

from composer.music.score import VOICE_NAMES

CHURCH_ORGAN = 19
CHOIR_AAHS = 52
# An organ speaks at once and holds steadily, so the timing of every note is audible while
# editing; choir aahs (52) fade in and suit listening more than writing.
DEFAULT_PROGRAM = CHURCH_ORGAN
DEFAULT_VOLUME = 0.8


def program_name(program: int) -> str:
    """General MIDI name of a program number (0-127)."""
    return pretty_midi.program_to_instrument_name(program)


@dataclass(frozen=True, slots=True)
class VoiceMix:
    program: int = DEFAULT_PROGRAM
    volume: float = DEFAULT_VOLUME
    muted: bool = False
    solo: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.program <= 127:
            raise ValueError(f"General MIDI program {self.program} is outside 0-127")
        object.__setattr__(self, "volume", min(1.0, max(0.0, float(self.volume))))


@dataclass(frozen=True, slots=True)
class Mixer:
    voices: tuple[VoiceMix, VoiceMix, VoiceMix, VoiceMix] = (
        VoiceMix(), VoiceMix(), VoiceMix(), VoiceMix()
    )

    def with_voice(self, index: int, **changes: Any) -> Mixer:
        voices = list(self.voices)
        voices[index] = replace(voices[index], **changes)
        return replace(self, voices=tuple(voices))

    def audible(self, index: int) -> bool:
        """Solo wins over the others; a muted voice stays silent even when soloed."""
        voice = self.voices[index]
        if voice.muted:
            return False
        return voice.solo or not any(v.solo for v in self.voices)

    def channel_volume(self, index: int) -> int:
        """MIDI channel volume (CC 7) for the voice, 0 when it is not heard."""
        return round(127 * self.voices[index].volume) if self.audible(index) else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            name: {"program": v.program, "volume": v.volume, "muted": v.muted, "solo": v.solo}
            for name, v in zip(VOICE_NAMES, self.voices)
        }

    @classmethod
    def from_dict(cls, data: Any) -> Mixer:
        """Settings as stored; anything unreadable falls back to the defaults."""
        voices = []
        for name in VOICE_NAMES:
            entry = data.get(name) if isinstance(data, dict) else None
            try:
                voices.append(VoiceMix(
                    program=int(entry["program"]), volume=float(entry["volume"]),
                    muted=bool(entry["muted"]), solo=bool(entry["solo"]),
                ))
            except (KeyError, TypeError, ValueError):
                voices.append(VoiceMix())
        return cls(tuple(voices))
