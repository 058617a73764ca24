"""When each note sounds: the timing logic of playback, kept apart from FluidSynth and Qt.

Musical time is in sixteenth steps; seconds appear here, at the audio edge. A
`PlaybackPlan` is the route playback takes (from a start step to the end of the score, or
on round a loop) and answers two questions for the player: which notes are due before a
given time, and which step is sounding at a given time. Like Frescobaldi's MIDI player,
it is plain Python, so it is tested without a sound card and reused by the offline render.

Steps and seconds are not simply proportional: a chord under a fermata is held, as a choir
or an organist holds the end of each phrase of a chorale. A `TimeMap` says where each step
falls in time; the playhead reads it backwards.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace

from composer.music.score import Score

# How many times its written length a chord under a fermata lasts; 1 plays it in time.
FERMATA_HOLD = 2.0


def fermata_spans(score: Score) -> list[tuple[int, int]]:
    """The steps each fermata holds: from the mark until a note starts in any voice, or
    until the chord sounding at the mark has ended when nothing follows. A mark where
    nothing sounds, or inside a span already held, holds nothing more."""
    notes = [n for voice in score.voices for n in voice]
    onsets = sorted({n.start for n in notes})
    spans: list[tuple[int, int]] = []
    for mark in sorted(score.fermatas):
        ends = [n.end for n in notes if n.start <= mark < n.end]
        if not ends or (spans and mark < spans[-1][1]):
            continue
        following = bisect_right(onsets, mark)
        end = max(ends)
        if following < len(onsets):
            end = min(end, onsets[following])
        spans.append((mark, end))
    return spans


class TimeMap:
    """Seconds from the start of the score at any (fractional) step, and back: every step
    lasts the same at the score's tempo except those a fermata holds, which last `hold`
    times as long."""

    def __init__(self, score: Score, hold: float = FERMATA_HOLD) -> None:
        if not hold >= 1:
            raise ValueError(f"a fermata hold is 1 (in time) or more, got {hold}")
        plain = score.seconds_per_step()
        # knots: the step where each stretch of constant speed begins, its time and speed
        self._steps, self._seconds, self._rates = [0.0], [0.0], [plain]
        if hold > 1:
            for start, end in fermata_spans(score):
                self._knot(start, plain * hold)
                self._knot(end, plain)

    def _knot(self, step: float, rate: float) -> None:
        if step == self._steps[-1]:
            self._rates[-1] = rate
            return
        self._seconds.append(self.seconds(step))
        self._steps.append(step)
        self._rates.append(rate)

    def seconds(self, step: float) -> float:
        i = max(0, bisect_right(self._steps, step) - 1)
        return self._seconds[i] + (step - self._steps[i]) * self._rates[i]

    def step(self, seconds: float) -> float:
        i = max(0, bisect_right(self._seconds, seconds) - 1)
        return self._steps[i] + (seconds - self._seconds[i]) / self._rates[i]


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


def note_events(score: Score, start: float = 0, end: float | None = None,
                timing: TimeMap | None = None) -> list[NoteEvent]:
    """The notes sounding between steps `start` and `end`, clipped to them, timed from `start`
    by `timing` (by default fermatas held FERMATA_HOLD times as long).

    A note already sounding at `start` is struck there: playing from the middle of a chord
    sounds the chord.
    """
    timing = timing or TimeMap(score)
    at = timing.seconds
    origin = at(start)
    end = score.length if end is None else end
    events = []
    for voice, notes in enumerate(score.voices):
        for n in notes:
            if n.end > start and n.start < end:
                onset = at(max(n.start, start))
                events.append(NoteEvent(onset - origin, voice, n.pitch, n.velocity,
                                        at(min(n.end, end)) - onset))
    events.sort(key=lambda e: (e.time, e.voice))
    return events


class PlaybackPlan:
    """Playback from `start` to the end of the score, or round `loop` (start, end) for ever,
    fermatas held `fermata_hold` times as long.

    Starting outside the loop starts at the loop's beginning. Notes crossing the loop's end
    are cut there so every pass sounds the same.
    """

    def __init__(self, score: Score, start: float = 0, loop: tuple[int, int] | None = None,
                 fermata_hold: float = FERMATA_HOLD):
        self.timing = timing = TimeMap(score, fermata_hold)
        if loop is not None and not loop[0] <= start < loop[1]:
            start = loop[0]
        self.start = float(start)
        self.loop = loop
        self.end = loop[1] if loop is not None else max(score.length, start)
        self._first_duration = timing.seconds(self.end) - timing.seconds(self.start)
        self._pass = note_events(score, *loop, timing) if loop is not None else []
        self._pass_duration = timing.seconds(loop[1]) - timing.seconds(loop[0]) if loop else 0.0
        # the cursor of take_until: a segment's events, where it starts, how long it lasts
        self._events = note_events(score, self.start, self.end, timing)
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
        seconds, timing = max(0.0, seconds), self.timing
        if self.loop is None or seconds < self._first_duration:
            return min(timing.step(timing.seconds(self.start) + seconds), float(self.end))
        into_pass = (seconds - self._first_duration) % self._pass_duration
        return timing.step(timing.seconds(self.loop[0]) + into_pass)

    def finished(self, seconds: float) -> bool:
        return self.loop is None and seconds >= self._first_duration
