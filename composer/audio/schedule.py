"""When each note sounds: the timing logic of playback, kept apart from FluidSynth and Qt.

Musical time is in sixteenth steps; seconds appear here, at the audio edge. A
`PlaybackPlan` is the route playback takes (from a start step to the end of the score, or
on round a loop) and answers two questions for the player: which notes are due before a
given time, and which step is sounding at a given time. Like Frescobaldi's MIDI player,
it is plain Python, so it is tested without a sound card and reused by the offline render.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from composer.music.score import Score


@dataclass(frozen=True, slots=True)
class NoteEvent:
    time: float  # seconds from the start of the plan
    voice: int
    pitch: int
    velocity: int
    duration: float

    @property
    def end(self) -> float:
        return self.time + self.duration


def note_events(score: Score, start: float = 0, end: float | None = None) -> list[NoteEvent]:
    """The notes sounding between steps `start` and `end`, clipped to them, timed from `start`.

    A note already sounding at `start` is struck there: playing from the middle of a chord
    sounds the chord.
    """
    seconds = score.seconds_per_step()
    end = score.length if end is None else end
    events = [
        NoteEvent((max(n.start, start) - start) * seconds, voice, n.pitch, n.velocity,
                  (min(n.end, end) - max(n.start, start)) * seconds)
        for voice, notes in enumerate(score.voices)
        for n in notes
        if n.end > start and n.start < end
    ]
    events.sort(key=lambda e: (e.time, e.voice))
    return events


class PlaybackPlan:
    """Playback from `start` to the end of the score, or round `loop` (start, end) for ever.

    Starting outside the loop starts at the loop's beginning. Notes crossing the loop's end
    are cut there so every pass sounds the same.
    """

    def __init__(self, score: Score, start: float = 0, loop: tuple[int, int] | None = None):
        self.seconds_per_step = score.seconds_per_step()
        if loop is not None and not loop[0] <= start < loop[1]:
            start = loop[0]
        self.start = float(start)
        self.loop = loop
        self.end = loop[1] if loop is not None else max(score.length, start)
        self._first_duration = (self.end - self.start) * self.seconds_per_step
        self._pass = note_events(score, *loop) if loop is not None else []
        self._pass_duration = (loop[1] - loop[0]) * self.seconds_per_step if loop else 0.0
        # the cursor of take_until: a segment's events, where it starts, how long it lasts
        self._events = note_events(score, self.start, self.end)
        self._index = 0
        self._offset = 0.0
        self._segment_duration = self._first_duration

    @property
    def duration(self) -> float | None:
        """Seconds until the last note ends; None when looping."""
        return None if self.loop is not None else self._first_duration

    def take_until(self, seconds: float) -> list[NoteEvent]:
        """The notes starting before `seconds` not taken yet, in order, on the plan's clock."""
        taken = []
        while True:
            if self._index < len(self._events):
                event = self._events[self._index]
                if self._offset + event.time >= seconds:
                    break
                taken.append(replace(event, time=self._offset + event.time))
                self._index += 1
                continue
            next_offset = self._offset + self._segment_duration
            if self.loop is None or next_offset >= seconds:
                break
            self._events, self._index = self._pass, 0
            self._offset, self._segment_duration = next_offset, self._pass_duration
        return taken

    def step_at(self, seconds: float) -> float:
        """The step (fractional) sounding `seconds` after playback started."""
        seconds = max(0.0, seconds)
        if self.loop is None or seconds < self._first_duration:
            return min(self.start + seconds / self.seconds_per_step, float(self.end))
        into_pass = (seconds - self._first_duration) % self._pass_duration
        return self.loop[0] + into_pass / self.seconds_per_step

    def finished(self, seconds: float) -> bool:
        return self.loop is None and seconds >= self._first_duration
