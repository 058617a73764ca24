"""The score: four monophonic voices on an integer grid of sixteenth notes.

A `Score` is immutable. Every operation returns a new score that shares the untouched
voices with the old one, so copies are cheap and an undo command can simply keep the
score before and after an edit.

Monophony rule: the note being placed wins, and takes no more than the time it covers. An
older note of the same voice that starts earlier is cut short where the new note starts; one
that starts inside the new note but ends after it keeps its part after the new note's end;
only a note the new one covers wholly is removed. Lengthening a note into a long neighbour
then shortens the neighbour instead of deleting it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from composer.music.errors import ScoreError
from composer.music.keys import normalize_key

__all__ = ["Note", "Score", "ScoreError", "TimeSignature", "VOICE_NAMES", "VOICE_RANGES"]

STEPS_PER_QUARTER = 4
VOICE_NAMES = ("Soprano", "Alto", "Tenor", "Bass")
VOICE_SHORT = ("S", "A", "T", "B")
# Conventional ranges as MIDI pitches; notes outside are allowed but flagged.
VOICE_RANGES = ((60, 81), (53, 74), (48, 69), (36, 64))
DEFAULT_VELOCITY = 80
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def pitch_name(pitch: int) -> str:
    """Scientific pitch name, middle C = C4."""
    return f"{PITCH_NAMES[pitch % 12]}{pitch // 12 - 1}"


@dataclass(frozen=True, slots=True, order=True)
class Note:
    start: int
    duration: int
    pitch: int
    velocity: int = DEFAULT_VELOCITY

    def __post_init__(self) -> None:
        for name in ("start", "duration", "pitch", "velocity"):
            if not isinstance(getattr(self, name), int) or isinstance(getattr(self, name), bool):
                raise ScoreError(f"note {name} must be an integer, got {getattr(self, name)!r}")
        if self.start < 0:
            raise ScoreError(f"note starts before the beginning (step {self.start})")
        if self.duration <= 0:
            raise ScoreError(f"note at step {self.start} has non-positive duration {self.duration}")
        if not 0 <= self.pitch <= 127:
            raise ScoreError(f"pitch {self.pitch} is outside MIDI's 0-127")
        if not 1 <= self.velocity <= 127:
            raise ScoreError(f"velocity {self.velocity} is outside 1-127")

    @property
    def end(self) -> int:
        return self.start + self.duration

    def shifted(self, steps: int = 0, semitones: int = 0) -> Note:
        return replace(self, start=self.start + steps, pitch=self.pitch + semitones)


@dataclass(frozen=True, slots=True)
class TimeSignature:
    numerator: int = 4
    denominator: int = 4

    def __post_init__(self) -> None:
        if self.denominator not in (1, 2, 4, 8, 16):
            raise ScoreError(
                f"time signature {self.numerator}/{self.denominator}: the denominator must be "
                "1, 2, 4, 8 or 16 to sit on a sixteenth-note grid"
            )
        if not 1 <= self.numerator <= 32:
            raise ScoreError(f"time signature numerator {self.numerator} is outside 1-32")

    @property
    def steps_per_beat(self) -> int:
        return 16 // self.denominator

    @property
    def steps_per_bar(self) -> int:
        return self.numerator * self.steps_per_beat

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    @classmethod
    def parse(cls, text: str) -> TimeSignature:
        try:
            num, den = (int(part) for part in text.split("/"))
        except ValueError:
            raise ScoreError(f"time signature {text!r} is not of the form N/D") from None
        return cls(num, den)


Voice = tuple[Note, ...]
NoteRef = tuple[int, Note]  # (voice index, note)


def _check_voice(index: int, notes: Sequence[Note]) -> None:
    for a, b in zip(notes, notes[1:]):
        if b.start < a.end:
            raise ScoreError(
                f"{VOICE_NAMES[index]} is not monophonic: the note at step {a.start} "
                f"(pitch {a.pitch}) overlaps the note at step {b.start} (pitch {b.pitch})"
            )


def _sorted_voice(notes: Sequence[Note]) -> Voice:
    """The notes in time order; an already sorted tuple is kept as it is, so scores can
    share it."""
    if isinstance(notes, tuple) and all(a <= b for a, b in zip(notes, notes[1:])):
        return notes
    return tuple(sorted(notes))


def _place(notes: Voice, new: Note) -> Voice:
    """Insert `new`, applying the monophony rule. A voice is sorted by start and, being
    monophonic, by end too, so the notes `new` touches are found by bisection and the rest
    are shared slices: placing a note in a long voice costs little more than in a short one."""
    first = bisect.bisect_right(notes, new.start, key=lambda n: n.end)
    after = bisect.bisect_left(notes, new.end, key=lambda n: n.start)
    middle: list[Note] = []
    for note in notes[first:after]:
        if note.start < new.start:
            middle.append(replace(note, duration=new.start - note.start))
        elif note.end > new.end:
            middle.append(replace(note, start=new.end, duration=note.end - new.end))
    head = [n for n in middle if n.start < new.start]
    tail = [n for n in middle if n.start >= new.start]
    return notes[:first] + tuple(head) + (new,) + tuple(tail) + notes[after:]


@dataclass(frozen=True, slots=True)
class Score:
    voices: tuple[Voice, Voice, Voice, Voice] = ((), (), (), ())
    tempo: float = 80.0
    time_signature: TimeSignature = field(default_factory=TimeSignature)
    key: str | None = None
    fermatas: frozenset[int] = frozenset()
    length: int = 0

    def __post_init__(self) -> None:
        if len(self.voices) != 4:
            raise ScoreError(f"a score has four voices (S, A, T, B), got {len(self.voices)}")
        voices = tuple(_sorted_voice(v) for v in self.voices)
        for i, v in enumerate(voices):
            for n in v:
                if not isinstance(n, Note):
                    raise ScoreError(f"{VOICE_NAMES[i]} holds {n!r}, which is not a Note")
            _check_voice(i, v)
        if not (isinstance(self.tempo, (int, float)) and 10 <= self.tempo <= 400):
            raise ScoreError(f"tempo {self.tempo!r} BPM is outside 10-400")
        if not isinstance(self.time_signature, TimeSignature):
            raise ScoreError(f"time signature {self.time_signature!r} is not a TimeSignature")
        if any(s < 0 for s in self.fermatas):
            raise ScoreError("a fermata sits before the beginning of the score")
        last = max((v[-1].end for v in voices if v), default=0)
        object.__setattr__(self, "voices", voices)
        # MIDI stores tempo as whole microseconds per beat: 0.01 BPM survives that.
        object.__setattr__(self, "tempo", round(float(self.tempo), 2))
        object.__setattr__(self, "key", normalize_key(self.key))
        object.__setattr__(self, "fermatas", frozenset(self.fermatas))
        object.__setattr__(self, "length", max(int(self.length), last))

    # --- reading -------------------------------------------------------------------------
    @property
    def steps_per_bar(self) -> int:
        return self.time_signature.steps_per_bar

    @property
    def bars(self) -> int:
        return -(-self.length // self.steps_per_bar)

    def notes(self) -> list[NoteRef]:
        return [(i, n) for i, v in enumerate(self.voices) for n in v]

    def note_count(self) -> int:
        return sum(len(v) for v in self.voices)

    def note_at(self, voice: int, step: int) -> Note | None:
        """The note of `voice` sounding at `step`, if any."""
        v = self.voices[voice]
        idx = bisect.bisect_right([n.start for n in v], step) - 1
        if idx >= 0 and v[idx].end > step:
            return v[idx]
        return None

    def out_of_range(self) -> list[NoteRef]:
        """Notes outside their voice's conventional range."""
        flagged = []
        for i, v in enumerate(self.voices):
            low, high = VOICE_RANGES[i]
            flagged.extend((i, n) for n in v if not low <= n.pitch <= high)
        return flagged

    def seconds_per_step(self) -> float:
        return 60.0 / self.tempo / STEPS_PER_QUARTER

    # --- editing -------------------------------------------------------------------------
    def _with_voice(self, index: int, notes: Voice) -> Score:
        """A copy with one voice replaced, not validated again: every caller builds `notes`
        from a valid voice in a way that keeps it sorted and monophonic, and checking all
        four voices after each edit would make editing slow in proportion to the score."""
        voices = list(self.voices)
        voices[index] = notes
        copy = object.__new__(Score)
        for name in ("tempo", "time_signature", "key", "fermatas"):
            object.__setattr__(copy, name, getattr(self, name))
        object.__setattr__(copy, "voices", tuple(voices))
        object.__setattr__(copy, "length", max(self.length, notes[-1].end if notes else 0))
        return copy

    def with_meta(self, **changes: object) -> Score:
        """Tempo, time signature, key, fermatas or length changed; notes kept."""
        return replace(self, **changes)

    def add_note(self, voice: int, note: Note) -> Score:
        _check_voice_index(voice)
        return self._with_voice(voice, _place(self.voices[voice], note))

    def remove_notes(self, refs: Iterable[NoteRef]) -> Score:
        by_voice: dict[int, set[Note]] = {}
        for voice, note in refs:
            _check_voice_index(voice)
            by_voice.setdefault(voice, set()).add(note)
        score = self
        for voice, doomed in by_voice.items():
            missing = doomed.difference(score.voices[voice])
            if missing:
                n = min(missing)
                raise ScoreError(
                    f"{VOICE_NAMES[voice]} has no note at step {n.start} with pitch {n.pitch}"
                )
            score = score._with_voice(
                voice, tuple(n for n in score.voices[voice] if n not in doomed)
            )
        return score

    def replace_notes(self, old: Iterable[NoteRef], new: Iterable[NoteRef]) -> Score:
        """Remove `old`, then place `new` in order; the general form of move and resize."""
        score = self.remove_notes(old)
        for voice, note in new:
            score = score.add_note(voice, note)
        return score

    def move_notes(self, refs: Sequence[NoteRef], steps: int = 0, semitones: int = 0) -> Score:
        moved = [(v, n.shifted(steps, semitones)) for v, n in refs]
        return self.replace_notes(refs, moved)

    def resize_note(self, voice: int, note: Note, duration: int) -> Score:
        return self.replace_notes([(voice, note)], [(voice, replace(note, duration=duration))])

    def transpose(self, semitones: int, voices: Iterable[int] = range(4)) -> Score:
        score = self
        for i in voices:
            _check_voice_index(i)
            score = score._with_voice(i, tuple(n.shifted(0, semitones) for n in self.voices[i]))
        return score

    def slice(self, start: int, end: int) -> Score:
        """The music between `start` and `end`, moved to step 0; notes crossing an edge are
        clipped to it."""
        if not 0 <= start <= end:
            raise ScoreError(f"cannot slice steps {start}..{end}")
        voices = []
        for v in self.voices:
            part = []
            for n in v:
                s, e = max(n.start, start), min(n.end, end)
                if s < e:
                    part.append(Note(s - start, e - s, n.pitch, n.velocity))
            voices.append(tuple(part))
        fermatas = frozenset(f - start for f in self.fermatas if start <= f < end)
        return replace(self, voices=tuple(voices), fermatas=fermatas, length=end - start)

    def append(self, other: Score) -> Score:
        """`other` placed right after this score's length; tempo and metre stay ours."""
        offset = self.length
        voices = tuple(
            mine + tuple(n.shifted(offset) for n in theirs)
            for mine, theirs in zip(self.voices, other.voices)
        )
        fermatas = self.fermatas | {f + offset for f in other.fermatas}
        return replace(self, voices=voices, fermatas=fermatas, length=offset + other.length)

    def replace_range(self, start: int, end: int, other: Score) -> Score:
        """Steps `start`..`end` replaced by `other` (placed at `start`, clipped to the range);
        notes crossing the edges are cut there."""
        if not 0 <= start <= end:
            raise ScoreError(f"cannot replace steps {start}..{end}")
        before = self.slice(0, start)
        middle = other.slice(0, end - start)
        after = self.slice(end, max(end, self.length))
        return before.append(middle).append(after)


def _check_voice_index(voice: int) -> None:
    if voice not in (0, 1, 2, 3):
        raise ScoreError(f"voice {voice!r} is not one of 0-3 (S, A, T, B)")
