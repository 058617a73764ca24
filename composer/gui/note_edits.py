"""Editing operations on a selection of notes, free of Qt so they can be reasoned about alone.

The piano roll turns gestures and keys into these calls; each returns the new score (for
`ScoreDocument.apply`) and the notes that should be selected afterwards, because a note's
identity is its value and an edit creates new values.

An edit that lands on other notes of a voice shortens or removes them (the score's
monophony rule); its name says so, "Resize note (shortens B4)" or "Paste notes (removes 2
notes)", so the history shows what Undo will bring back.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from composer.music.score import Note, NoteRef, Score, Voice
from composer.music.spelling import spell

Selection = frozenset[NoteRef]


@dataclass(frozen=True)
class Edit:
    name: str
    score: Score
    selection: Selection


def existing(score: Score, refs: Iterable[NoteRef]) -> Selection:
    """The refs that are still notes of `score` (after an undo, say). A voice is sorted, so
    each look-up is a bisection: a selection in a long score costs no more than in a short
    one."""
    found = set()
    for v, n in refs:
        voice = score.voices[v]
        i = bisect.bisect_left(voice, n)
        if i < len(voice) and voice[i] == n:
            found.add((v, n))
    return frozenset(found)


def _overlapping(voice: Voice, lo: int, hi: int) -> list[Note]:
    """The notes of a (sorted, monophonic, so also sorted by end) voice sounding in lo..hi."""
    i = bisect.bisect_right(voice, lo, key=lambda n: n.end)
    found = []
    while i < len(voice) and voice[i].start < hi:
        found.append(voice[i])
        i += 1
    return found


def _near(before: Score, after: Score, placed: Sequence[NoteRef]
          ) -> tuple[set[NoteRef], set[NoteRef]]:
    """The notes of both scores that the placed notes can have touched: those of the same
    voice around the placed ones, and what is left of them. Far notes cannot have changed,
    so a long score is not compared note for note."""
    old: set[NoteRef] = set()
    new: set[NoteRef] = set()
    for v in {v for v, _ in placed}:
        lo = min(n.start for w, n in placed if w == v)
        hi = max(n.end for w, n in placed if w == v)
        touched = _overlapping(before.voices[v], lo, hi)
        lo = min([lo, *(n.start for n in touched)])
        hi = max([hi, *(n.end for n in touched)])
        old.update((v, n) for n in _overlapping(before.voices[v], lo, hi))
        new.update((v, n) for n in _overlapping(after.voices[v], lo, hi))
    return old, new


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _named(name: str, before: Score, after: Score, edited: Iterable[NoteRef] = (),
           placed: Iterable[NoteRef] = ()) -> str:
    """`name` with the notes the edit shortened or removed besides its own `edited` ones, so
    that a neighbour lost to a long note is never a surprise found only by listening."""
    placed = list(placed)
    old, new = _near(before, after, placed)
    # An old note equal to a placed one was replaced by it, so it counts as gone.
    gone = old - (new - set(placed)) - set(edited)
    # What is left of a neighbour lies outside every placed note; what lies inside one is
    # a placed note that another placed note cut short.
    remnants = [(v, r) for v, r in new - old
                if not any(w == v and p.start < r.end and r.start < p.end for w, p in placed)]
    shortened = {(v, n) for v, n in gone for w, r in remnants
                 if w == v and r.pitch == n.pitch and n.start <= r.start and r.end <= n.end}
    effects = [f"{verb} {_count_or_name(refs, before.key)}"
               for verb, refs in (("shortens", shortened), ("removes", gone - shortened))
               if refs]
    return f"{name} ({', '.join(effects)})" if effects else name


def _count_or_name(refs: Iterable[NoteRef], key: str | None) -> str:
    refs = list(refs)
    if len(refs) == 1:
        return spell(refs[0][1].pitch, key)
    return f"{len(refs)} notes"


def clamp_shift(refs: Iterable[NoteRef], steps: int, semitones: int) -> tuple[int, int]:
    """The shift closest to the one asked for that keeps every note on the grid and in MIDI's
    pitch range."""
    refs = list(refs)
    if not refs:
        return 0, 0
    first = min(n.start for _, n in refs)
    low = min(n.pitch for _, n in refs)
    high = max(n.pitch for _, n in refs)
    steps = max(steps, -first)
    semitones = min(max(semitones, -low), 127 - high)
    return steps, semitones


def move(score: Score, refs: Sequence[NoteRef], steps: int, semitones: int,
         name: str | None = None) -> Edit | None:
    """Selected notes shifted in time and pitch; None when nothing would change."""
    steps, semitones = clamp_shift(refs, steps, semitones)
    if not refs or (steps == 0 and semitones == 0):
        return None
    if name is None:
        if semitones and not steps:
            name = "Transpose " + _plural(len(refs), "note", "notes")
        else:
            name = "Move " + _plural(len(refs), "note", "notes")
    moved = [(v, n.shifted(steps, semitones)) for v, n in refs]
    new_score = score.replace_notes(refs, moved)
    return Edit(_named(name, score, new_score, refs, moved), new_score,
                existing(new_score, moved))


def resize(score: Score, refs: Sequence[NoteRef], delta: int) -> Edit | None:
    """Every selected note made `delta` steps longer (never shorter than one step)."""
    if not refs or delta == 0:
        return None
    resized = [(v, replace(n, duration=max(1, n.duration + delta))) for v, n in refs]
    if resized == list(refs):
        return None
    new_score = score.replace_notes(refs, resized)
    name = _named("Resize " + _plural(len(refs), "note", "notes"), score, new_score, refs,
                  resized)
    return Edit(name, new_score, existing(new_score, resized))


def add(score: Score, voice: int, note: Note) -> Edit:
    new_score = score.add_note(voice, note)
    name = f"Add {spell(note.pitch, score.key)}"  # the History then reads as the music
    return Edit(_named(name, score, new_score, placed=[(voice, note)]), new_score,
                frozenset({(voice, note)}))


def delete(score: Score, refs: Iterable[NoteRef], name: str | None = None) -> Edit | None:
    refs = list(refs)
    if not refs:
        return None
    name = name or "Delete " + _plural(len(refs), "note", "notes")
    return Edit(name, score.remove_notes(refs), frozenset())


@dataclass(frozen=True)
class Clip:
    """Copied notes with starts relative to the earliest one, each in its own voice."""

    notes: tuple[NoteRef, ...]

    @classmethod
    def of(cls, refs: Iterable[NoteRef]) -> Clip:
        refs = sorted(refs, key=lambda r: (r[1].start, r[0]))
        if not refs:
            return cls(())
        origin = refs[0][1].start
        return cls(tuple((v, n.shifted(-origin)) for v, n in refs))

    def __bool__(self) -> bool:
        return bool(self.notes)

    @property
    def length(self) -> int:
        return max((n.end for _, n in self.notes), default=0)


def paste(score: Score, clip: Clip, at: int) -> Edit | None:
    """The clip placed with its first note at step `at`; pasted notes win over what was there."""
    if not clip:
        return None
    placed = [(v, n.shifted(at)) for v, n in clip.notes]
    new_score = score
    for voice, note in placed:
        new_score = new_score.add_note(voice, note)
    new_score = new_score.with_meta(length=max(new_score.length, at + clip.length))
    name = _named("Paste " + _plural(len(placed), "note", "notes"), score, new_score,
                  placed=placed)
    return Edit(name, new_score, existing(new_score, placed))
