"""From the notes of an arbitrary file to four monophonic voices.

Files arrive with any number of tracks, off-grid timing and chords. Importers turn them
into `RawTrack`s in (fractional) sixteenth steps; this module quantizes them, picks the
voices and says in plain words what it changed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from composer.music.score import VOICE_NAMES, VOICE_RANGES, Note, Voice

_CENTRES = tuple((low + high) / 2 for low, high in VOICE_RANGES)
_BUSY_PENALTY = 7.0  # semitones of distance worth cutting a sounding note short


@dataclass
class RawNote:
    start: float  # in sixteenth steps, maybe off the grid
    end: float
    pitch: int
    velocity: int = 80


@dataclass
class RawTrack:
    name: str
    notes: list[RawNote] = field(default_factory=list)


@dataclass
class Voicing:
    voices: tuple[Voice, Voice, Voice, Voice]
    messages: list[str]


def quantize(tracks: list[RawTrack]) -> tuple[list[tuple[str, list[Note]]], list[str]]:
    """Snap starts and ends to the nearest sixteenth (at least one step long)."""
    shifts: list[float] = []
    out = []
    for track in tracks:
        notes = []
        for raw in track.notes:
            start = max(0, round(raw.start))
            end = max(start + 1, round(raw.end))
            shifts.append(max(abs(raw.start - start), abs(raw.end - end)))
            velocity = min(127, max(1, int(raw.velocity)))
            notes.append(Note(start, end - start, int(raw.pitch), velocity))
        out.append((track.name, sorted(notes)))
    moved = [s for s in shifts if s > 1e-6]
    messages = []
    if moved:
        messages.append(
            f"Quantized to sixteenths: {len(moved)} of {len(shifts)} notes moved, "
            f"by at most {max(moved):.2f} and on average {sum(moved) / len(moved):.2f} "
            "of a sixteenth."
        )
    return out, messages


def _is_monophonic(notes: list[Note]) -> bool:
    return all(b.start >= a.end for a, b in zip(notes, notes[1:]))


def voice_of_name(name: str) -> int | None:
    text = name.strip().lower()
    for i, voice in enumerate(VOICE_NAMES):
        if text in (voice.lower(), voice[0].lower()) or text.startswith(voice.lower()):
            return i
    return None


def _place(voice: list[Note], note: Note) -> None:
    """Append keeping the voice monophonic: the newer note wins."""
    while voice and voice[-1].start >= note.start:
        voice.pop()
    if voice and voice[-1].end > note.start:
        last = voice[-1]
        voice[-1] = Note(last.start, note.start - last.start, last.pitch, last.velocity)
    voice.append(note)


def split_polyphony(notes: list[Note]) -> tuple[list[list[Note]], int]:
    """Share out chords among S, A, T, B, keeping each voice near its last pitch and the
    voices in order (higher notes to higher voices). Returns the voices and how many notes
    of chords wider than four were left out."""
    voices: list[list[Note]] = [[], [], [], []]
    last_pitch = list(_CENTRES)
    dropped = 0
    notes = sorted(notes, key=lambda n: (n.start, -n.pitch))
    for start, group_iter in itertools.groupby(notes, key=lambda n: n.start):
        group = sorted(group_iter, key=lambda n: -n.pitch)
        if len(group) > 4:
            best_inner = _nearest_inner_pair(group[1:-1], last_pitch[1], last_pitch[2])
            dropped += len(group) - 4
            group = [group[0], *best_inner, group[-1]]
        best_cost, best_choice = None, None
        for choice in itertools.combinations(range(4), len(group)):
            cost = 0.0
            for v, note in zip(choice, group):
                cost += abs(note.pitch - last_pitch[v])
                if voices[v] and voices[v][-1].end > start:
                    cost += _BUSY_PENALTY
            if best_cost is None or cost < best_cost:
                best_cost, best_choice = cost, choice
        for v, note in zip(best_choice, group):
            _place(voices[v], note)
            last_pitch[v] = note.pitch
    return voices, dropped


def _nearest_inner_pair(inner: list[Note], alto: float, tenor: float) -> tuple[Note, Note]:
    """The pair of inner notes (the higher one for the alto) nearest the alto's and the
    tenor's last pitches: the pair that trying every pair would pick (the first of equally
    near ones), in time linear in the chord's size, since a file may stack thousands of
    notes on one beat."""
    nearest_below: list[int] = [0] * len(inner)  # for each i, the best tenor after it
    best = len(inner) - 1
    for j in range(len(inner) - 1, 0, -1):
        if abs(inner[j].pitch - tenor) <= abs(inner[best].pitch - tenor):
            best = j
        nearest_below[j - 1] = best
    costs = [abs(inner[i].pitch - alto) + abs(inner[nearest_below[i]].pitch - tenor)
             for i in range(len(inner) - 1)]
    i = costs.index(min(costs))
    return inner[i], inner[nearest_below[i]]


def _assign_by_register(tracks: list[tuple[str, list[Note]]]) -> list[int]:
    """Voices for up to four monophonic tracks: ordered by mean pitch, each near the
    voice whose range it fits best."""
    means = [sum(n.pitch for n in notes) / len(notes) for _, notes in tracks]
    order = sorted(range(len(tracks)), key=lambda i: -means[i])
    best = min(
        itertools.combinations(range(4), len(tracks)),
        key=lambda choice: sum(abs(means[i] - _CENTRES[v]) for i, v in zip(order, choice)),
    )
    voice_of = [0] * len(tracks)
    for i, v in zip(order, best):
        voice_of[i] = v
    return voice_of


def assign_voices(tracks: list[RawTrack]) -> Voicing:
    """Quantize and map tracks to S, A, T, B.

    Tracks named Soprano/Alto/Tenor/Bass (or S/A/T/B) keep their names. Otherwise
    up to four monophonic tracks map by register; more than four tracks keep the four with
    the most notes; a polyphonic track is split by chord position.
    """
    quantized, messages = quantize(tracks)
    named: dict[int, tuple[str, list[Note]]] = {}
    for name, notes in quantized:
        voice = voice_of_name(name)
        if voice is not None and notes and voice not in named:
            named[voice] = (name, notes)
    used = {name for name, _ in named.values()}
    others = [name for name, notes in quantized if notes and name not in used]
    if named and all(_is_monophonic(notes) for _, notes in named.values()) and (
        len(named) == 4 or not others
    ):
        if others:
            left_out = ", ".join(others)
            messages.append(f"Used the tracks named after the voices; left out: {left_out}.")
        voices = tuple(tuple(named[v][1]) if v in named else () for v in range(4))
        return Voicing(voices, messages)

    quantized = [t for t in quantized if t[1]]
    if not quantized:
        return Voicing(((), (), (), ()), messages)
    if len(quantized) > 4:
        ranked = sorted(range(len(quantized)), key=lambda i: -len(quantized[i][1]))
        kept, left = sorted(ranked[:4]), ranked[4:]
        messages.append(
            f"The file has {len(quantized)} tracks with notes; kept the four with the most "
            f"notes ({', '.join(quantized[i][0] for i in ranked[:4])}) and left out "
            f"{', '.join(quantized[i][0] for i in left)}."
        )
        quantized = [quantized[i] for i in kept]  # by position: tracks may be equal

    if all(_is_monophonic(notes) for _, notes in quantized):
        voice_of = _assign_by_register(quantized)
        voices: list[list[Note]] = [[], [], [], []]
        for (_, notes), v in zip(quantized, voice_of):
            voices[v] = notes
        if len(quantized) < 4:
            used = ", ".join(VOICE_NAMES[v] for v in sorted(voice_of))
            messages.append(f"The file has {len(quantized)} voice(s); they became {used}.")
        return Voicing(tuple(tuple(v) for v in voices), messages)

    merged = [n for _, notes in quantized for n in notes]
    split, dropped = split_polyphony(merged)
    messages.append("Chords were shared out among Soprano, Alto, Tenor and Bass by position.")
    if dropped:
        messages.append(
            f"{dropped} note(s) of chords wider than four voices were left out "
            "(kept the outer voices and the inner notes nearest the alto and tenor)."
        )
    return Voicing(tuple(tuple(v) for v in split), messages)
