"""How a score is laid out as notation: its bars (a pickup as an incomplete first bar, the
last bar as long as the music), the note values a rest or note is written with (rests
grouped by the metre's beats), and each pitch's spelling by the key. Pure arithmetic on
steps, shared by the MusicXML writer; music21 is not needed here."""

from __future__ import annotations

from dataclasses import dataclass

from composer.music.score import Note, Score, TimeSignature
from composer.music.spelling import spell, spell_voices


@dataclass(frozen=True)
class Bar:
    number: int  # 0 for a pickup
    start: int  # in steps; bar lines fall on multiples of the bar's length
    end: int
    full: bool  # as long as the time signature says

    @property
    def length(self) -> int:
        return self.end - self.start


def pickup(score: Score) -> int:
    """Where the music begins when all four voices rest for less than a bar at the start
    (the corpus pads a pickup with rests so bar lines fall on multiples of the bar), else 0.
    A fermata inside those rests keeps them as written rests."""
    starts = [v[0].start for v in score.voices if v]
    first = min(starts, default=0)
    if not 0 < first < score.steps_per_bar or any(f < first for f in score.fermatas):
        return 0
    return first


def bars(score: Score) -> list[Bar]:
    """The bars to write: an incomplete first bar for a pickup, whole bars, and a last bar
    that ends where the score does (at least one bar for an empty score)."""
    size = score.steps_per_bar
    begin = pickup(score)
    end = max(score.length, begin + 1) if score.length else size
    lines = [begin, *range(size, end, size), end]
    lines = sorted(set(lines))
    first_number = 0 if begin else 1
    return [Bar(first_number + i, a, b, b - a == size)
            for i, (a, b) in enumerate(zip(lines, lines[1:]))]


def beat_steps(ts: TimeSignature) -> int:
    """The beat a listener counts: a dotted value in compound metres (6/8, 9/8, 12/8)."""
    if ts.numerator in (6, 9, 12) and ts.denominator >= 4:
        return ts.steps_per_beat * 3
    return ts.steps_per_beat


def rest_pieces(start: int, end: int, ts: TimeSignature) -> list[tuple[int, int]]:
    """A rest from `start` to `end` (inside one bar) as the metre groups it: a rest per
    beat, two beats under one rest on the halves of a four-beat bar (a half rest in 4/4, a
    dotted half in 12/8), and a part of a beat in values that start on their own multiple.
    A whole-bar rest is the writer's business (a measure rest)."""
    size = ts.steps_per_bar
    beat = beat_steps(ts)
    group = 2 * beat if size == 4 * beat else beat
    pieces: list[tuple[int, int]] = []
    a = start
    while a < end:
        bar_start = a - a % size
        for span in (group, beat):
            if (a - bar_start) % span == 0 and a + span <= end:
                pieces.append((a, a + span))
                a += span
                break
        else:
            beat_end = min(end, a - (a - bar_start) % beat + beat)
            pieces.extend(_within_beat(a, beat_end, beat, a - (a - bar_start) % beat))
            a = beat_end
    return pieces


def _within_beat(start: int, end: int, beat: int, beat_start: int) -> list[tuple[int, int]]:
    """Part of one beat: in a compound beat, its thirds (the first two as one value at the
    beat's start); each part in the largest plain value that starts on its own multiple."""
    pieces = []
    third = beat // 3 if beat % 3 == 0 else 0
    a = start
    while a < end:
        offset = a - beat_start
        if third and offset == 0 and a + 2 * third <= end and _plain(2 * third):
            size = 2 * third
        elif third and offset % third == 0 and a + third <= end and _plain(third):
            size = third
        else:
            size = 1
            while offset % (size * 2) == 0 and a + size * 2 <= end and size * 2 <= beat:
                size *= 2
        pieces.append((a, a + size))
        a += size
    return pieces


def _plain(steps: int) -> bool:
    return steps & (steps - 1) == 0


_NOTATABLE = (64, 48, 32, 24, 16, 12, 8, 6, 4, 3, 2, 1)  # one note value (maybe dotted)


def note_pieces(start: int, end: int) -> list[tuple[int, int]]:
    """Pieces a single note value can show each (tied in the file); left to music21, a long
    note is split later and its fermata lands on the wrong piece."""
    pieces = []
    while start < end:
        size = next(v for v in _NOTATABLE if v <= end - start)
        pieces.append((start, start + size))
        start += size
    return pieces


def written_notes(score: Score) -> list[list[tuple[int, int, Note]]]:
    """Each voice's written notes in order, as (start, end, the score note they write): a
    note cut at bar lines and at fermatas, each piece in a value one note shows
    (`note_pieces`), as the MusicXML writer writes them. An engraving's notes, staff by
    staff in the order they are drawn, are these."""
    layout = bars(score)
    begin, end = layout[0].start, layout[-1].end
    cuts = {b.start for b in layout} | {end}
    cuts |= {f for f in score.fermatas if begin <= f < end}
    out: list[list[tuple[int, int, Note]]] = []
    for voice in score.voices:
        pieces: list[tuple[int, int, Note]] = []
        for n in voice:
            a, b = max(n.start, begin), min(n.end, end)
            points = sorted({a, b, *(c for c in cuts if a < c < b)}) if a < b else []
            for p, q in zip(points, points[1:]):
                pieces += [(x, y, n) for x, y in note_pieces(p, q)]
        out.append(pieces)
    return out


def spelled(pitch: int, key: str | None) -> tuple[str, int, int]:
    """(letter, alteration in semitones, octave) of `pitch` written in `key`, by `spell`:
    a pitch out of context (the score's notes are spelled by `voice_spellings`)."""
    return parts_of_name(spell(pitch, key))


def voice_spellings(score: Score) -> list[dict[tuple[int, int], tuple[str, int, int]]]:
    """For each voice, (letter, alteration, octave) of its notes by (start, pitch), by
    `spell_voices`: a chromatic note leans towards the notes sounding within a beat."""
    names = spell_voices(score.voices, score.key, score.time_signature.steps_per_beat)
    return [{(n.start, n.pitch): parts_of_name(name) for n, name in zip(notes, voice)}
            for notes, voice in zip(score.voices, names)]


def parts_of_name(name: str) -> tuple[str, int, int]:
    """(letter, alteration in semitones, octave) of a scientific pitch name ("Bb-1")."""
    letter = name[0]
    octave_at = next(i for i, c in enumerate(name) if i and (c.isdigit() or c == "-"))
    accidentals = name[1:octave_at]
    alter = accidentals.count("#") - accidentals.count("b")
    return letter, alter, int(name[octave_at:])
