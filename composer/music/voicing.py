"""From the notes of an arbitrary file to four monophonic voices.

Files arrive with any number of tracks, off-grid timing and chords. Importers turn them
into `RawTrack`s in (fractional) sixteenth steps; this module quantizes them, picks the
voices and says in plain words what it changed.
"""

from __future__ import annotations

import itertools
import re
import statistics
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
    # per voice, the tracks (indices into what `assign_voices` was given) its notes come
    # from: one track, or every kept track for chords shared out by position. Importers
    # take what else belongs to a voice (fermatas) from these tracks, not from the others.
    sources: tuple[tuple[int, ...], ...] = ((), (), (), ())


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


_VOICE_WORDS = (
    {"soprano", "s", "sop", "sopr", "sopran", "soprani", "cantus", "discant", "discantus",
     "diskant", "treble", "canto", "superius"},
    {"alto", "a", "alt", "altus", "contralto", "alti"},
    {"tenor", "t", "ten", "tenore", "tenori"},
    {"bass", "b", "bas", "basso", "bassus", "bassi"},
)
_FILLER_WORDS = {"choir", "chor", "coro", "choeur", "voice", "voices", "vocal", "stimme",
                 "voce", "voix", "satb", "i", "ii", "the", "part"}
_INSTRUMENT_WORDS = ("continuo", "organ", "orgel", "violin", "viol", "cello", "contrab",
                     "kontrab", "piano", "klavier", "cemb", "harps", "strings", "oboe", "flute",
                     "flauto", "piccolo", "trumpet", "tromb", "horn", "corno", "fagott", "bassoon",
                     "clarin", "sax", "guitar", "recorder", "keyboard", "instr", "accomp",
                     "double", "basse")


def voice_of_name(name: str) -> int | None:
    """The voice a track or part name stands for: Soprano/Alto/Tenor/Bass, their
    abbreviations (S, Sop., Alt, T, B) and other languages (Sopran, Tenore, Basso, Cantus,
    Discant), alone or with a choir word or a number ("Chor Sopran", "Soprano 1")."""
    words = [w for w in re.split(r"[^a-zà-ÿ]+", name.strip().lower()) if w]
    words = [w for w in words if w not in _FILLER_WORDS]
    if len(words) != 1:
        return None
    for i, known in enumerate(_VOICE_WORDS):
        if words[0] in known:
            return i
    return None


def _is_instrument(name: str) -> bool:
    text = name.lower()
    return any(word in text for word in _INSTRUMENT_WORDS)


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


def _assign_by_register(tracks: list[tuple[str, list[Note]]],
                        free: tuple[int, ...] = (0, 1, 2, 3)) -> list[int]:
    """Voices (among `free`) for up to that many monophonic tracks: ordered by mean pitch,
    each near the voice whose range it fits best."""
    means = [sum(n.pitch for n in notes) / len(notes) for _, notes in tracks]
    order = sorted(range(len(tracks)), key=lambda i: -means[i])
    best = min(
        itertools.combinations(free, len(tracks)),
        key=lambda choice: sum(abs(means[i] - _CENTRES[v]) for i, v in zip(order, choice)),
    )
    voice_of = [0] * len(tracks)
    for i, v in zip(order, best):
        voice_of[i] = v
    return voice_of


_DOUBLING_SHARE = 0.8  # of a track's notes sounding with the other track's: a doubling
_OCTAVE_MIN_NOTES = 8  # shared onsets before two tracks an octave apart count as one line
_CHORDAL_SHARE = 0.5  # of a track's onsets with more than one note: it plays chords
_MAX_CANDIDATES = 64  # tracks compared for doublings, the rest left out by size
_LISTED_DROPS = 12  # dropped tracks named in the message
_SPARSE_SHARE = 0.25  # of the fullest track's sounding time: a fragment, not a voice


def _chordal(notes: list[Note]) -> bool:
    """Whether a track plays chords: most of its onsets start more than one note."""
    starts: dict[int, int] = {}
    for n in notes:
        starts[n.start] = starts.get(n.start, 0) + 1
    return sum(c > 1 for c in starts.values()) > _CHORDAL_SHARE * len(starts)


def _doubles(a: set[tuple[int, int]], b: set[tuple[int, int]]) -> bool:
    """Whether two tracks start the same (step, pitch) for most of the shorter's notes."""
    return len(a & b) >= _DOUBLING_SHARE * min(len(a), len(b))


def _octave_doubling(a: dict[tuple[int, int], int], b: dict[tuple[int, int], int]
                     ) -> int | None:
    """The octaves (in semitones) track a sounds from track b when they start the same
    pitch class on the same step for most of the shorter's notes, a few notes at least
    (two short tracks meet on a pitch class by chance); None when they do not."""
    shared = a.keys() & b.keys()
    if len(shared) < max(_OCTAVE_MIN_NOTES, _DOUBLING_SHARE * min(len(a), len(b))):
        return None
    return round(statistics.median(a[k] - b[k] for k in shared) / 12) * 12


def _pitch_class_onsets(notes: list[Note]) -> dict[tuple[int, int], int]:
    """(step, pitch class) of each note's start, to the pitch started there: two tracks
    that share most of these play one line, in unison or octaves apart."""
    return {(n.start, n.pitch % 12): n.pitch for n in notes}


def _register_distance(notes: list[Note]) -> float:
    """How far a track's middle pitch lies from the middle of the nearest voice's range:
    of a line and its doubling an octave away, the nearer is the one a choir sings."""
    middle = statistics.median(n.pitch for n in notes)
    return min(abs(middle - centre) for centre in _CENTRES)


def _octaves_apart(semitones: int) -> str:
    """' an octave higher', ' two octaves lower' ..., or '' for a unison."""
    count = abs(semitones) // 12
    if not count:
        return ""
    words = {1: "an octave", 2: "two octaves", 3: "three octaves"}.get(count,
                                                                      f"{count} octaves")
    return f" {words} {'higher' if semitones > 0 else 'lower'}"


def _sounding(notes: list[Note]) -> int:
    return sum(n.duration for n in notes)


def _resolve_chords(notes: list[Note], top: bool) -> tuple[list[Note], int]:
    """One line out of a track with a few chords or grace notes: of notes starting
    together the longest (a grace note is shorter), then the top (or bottom) one; a
    one-step note starting under a sounding one is a grace note and left out."""
    out: list[Note] = []
    for _, group_iter in itertools.groupby(sorted(notes), key=lambda n: n.start):
        group = list(group_iter)
        longest = max(n.duration for n in group)
        group = [n for n in group if n.duration == longest]
        note = max(group, key=lambda n: n.pitch if top else -n.pitch)
        if out and out[-1].end > note.start and note.duration <= 1 < out[-1].duration:
            continue
        _place(out, note)
    return out, len(notes) - len(out)


def _voice_tracks(tracks: list[tuple[str, list[Note]]], messages: list[str]
                  ) -> tuple[list[int], list[int | None]]:
    """Chooses the tracks that become voices: names first, doublings and chord tracks
    dropped, then by register (the highest and lowest lines survive). Returns the kept
    tracks' indices and each one's voice by name (None: by register)."""
    named = [voice_of_name(name) for name, _ in tracks]
    seen: set[int] = set()
    for i, v in enumerate(named):
        if v is not None and v in seen:
            named[i] = None
        elif v is not None:
            seen.add(v)
    alive = list(range(len(tracks)))
    reasons: dict[int, tuple[str, int | None]] = {}  # dropped track: why, doubling whom

    def keep_rank(i: int, by_register: bool = False) -> tuple:
        """Which of two doubling tracks stays: the higher rank (a voice's name, then not
        an instrument's, then not chords). Between octaves, then the one sounding where a
        choir sings: the flute, not the piccolo an octave above it; the bass, not an
        unnamed 16' line under it."""
        name, notes = tracks[i]
        fit = -_register_distance(notes) if by_register else 0.0
        return (named[i] is not None, not _is_instrument(name), not _chordal(notes), fit, -i)

    if len(alive) > _MAX_CANDIDATES:  # a file of hundreds of tracks: the fullest only
        ranked = sorted(alive, key=lambda i: (named[i] is None, -len(tracks[i][1]), i))
        for i in ranked[_MAX_CANDIDATES:]:
            alive.remove(i)
            reasons[i] = ("many", None)
    # a track doubles another when the other starts the same pitch on the same step for
    # most of its notes, or (beyond four tracks) the same pitch class an octave or two
    # away: a piccolo over the flute, a violin over the soprano, a 16' continuo
    onsets = [{(n.start, n.pitch) for n in notes} for _, notes in tracks]
    classes = [_pitch_class_onsets(notes) for _, notes in tracks]
    shifts: dict[int, int] = {}  # dropped track: semitones it sounds from the one it doubles

    def doubling(i: int, j: int) -> int | None:
        """Semitones track i sounds from track j when it doubles it, else None. With four
        tracks or fewer each is a voice, and two voices may move in octaves."""
        if _doubles(onsets[i], onsets[j]):
            return 0
        return _octave_doubling(classes[i], classes[j]) if len(alive) > 4 else None

    for i, j in itertools.combinations(list(alive), 2):
        if i not in alive or j not in alive or None not in (named[i], named[j]):
            continue  # two named voices may sing in unison
        shift = doubling(i, j)
        if shift is None:
            continue
        octaves = shift != 0
        if keep_rank(i, octaves) < keep_rank(j, octaves):
            drop, other, shifts[i] = i, j, shift
        else:
            drop, other, shifts[j] = j, i, -shift
        alive.remove(drop)
        reasons[drop] = ("doubles", other)

    def drop_while_more_than_four(reason: str, test) -> None:
        for i in sorted(alive, key=lambda i: len(tracks[i][1])):
            if len(alive) > 4 and named[i] is None and test(i):
                alive.remove(i)
                reasons[i] = (reason, None)

    drop_while_more_than_four("plays chords", lambda i: _chordal(tracks[i][1]))
    fullest = max(_sounding(tracks[i][1]) for i in alive)
    drop_while_more_than_four(
        "few", lambda i: _sounding(tracks[i][1]) < _SPARSE_SHARE * fullest)

    fixed = {named[i] for i in alive if named[i] is not None}
    free = [v for v in range(4) if v not in fixed]
    pool = sorted((i for i in alive if named[i] is None),
                  key=lambda i: -statistics.median(n.pitch for n in tracks[i][1]))
    if len(pool) > len(free):
        chosen: list[int] = []
        if 0 in free and pool:
            chosen.append(pool[0])
        if 3 in free and pool[-1] not in chosen:
            chosen.append(pool[-1])
        middles = sorted((i for i in pool if i not in chosen),
                         key=lambda i: (-len(tracks[i][1]), i))
        chosen += middles[:len(free) - len(chosen)]
        for i in pool:
            if i not in chosen:
                alive.remove(i)
                reasons[i] = ("register", None)

    kept = sorted(alive)
    voice_of = [named[i] for i in kept]
    if reasons:
        dropped = []
        for i in sorted(reasons):
            why, other = reasons[i]
            if why == "doubles":
                if other in kept and named[other] is not None:
                    why = f"doubles the {VOICE_NAMES[named[other]].lower()}"
                else:
                    why = f"doubles track '{tracks[other][0]}'"
                why += _octaves_apart(shifts.get(i, 0))
            elif why == "few":
                why = (f"a fragment: it sounds for {_sounding(tracks[i][1])} sixteenth(s) "
                       f"against {fullest} in the fullest track")
            elif why == "many":
                why = f"one of more than {_MAX_CANDIDATES} tracks, with fewer notes"
            elif why == "register":
                why = ("the four voices are named" if not free
                       else "an inner line with fewer notes than those kept")
            dropped.append(f"dropped track '{tracks[i][0]}' ({why})")
        if len(dropped) > _LISTED_DROPS:
            more = len(dropped) - _LISTED_DROPS
            dropped = [*dropped[:_LISTED_DROPS], f"and dropped {more} more track(s)"]
        messages.append(f"The file has {len(tracks)} tracks with notes: "
                        + "; ".join(dropped) + ".")
    return kept, voice_of


def assign_voices(tracks: list[RawTrack]) -> Voicing:
    """Quantize and map tracks to S, A, T, B.

    Tracks named after the voices keep their voices; a track doubling another and, beyond
    four, chord tracks and inner lines are left out; the rest map by register (the highest
    and lowest lines become Soprano and Bass). A chord or grace note inside a track is
    resolved within it; only chord tracks are shared out by chord position.
    """
    quantized, messages = quantize(tracks)
    index = [i for i, (_, notes) in enumerate(quantized) if notes]
    quantized = [quantized[i] for i in index]
    if not quantized:
        return Voicing(((), (), (), ()), messages)
    chosen, named = _voice_tracks(quantized, messages)
    kept = [quantized[i] for i in chosen]
    origin = [index[i] for i in chosen]  # each kept track's place in `tracks`

    if len(kept) >= 4 or not any(_chordal(notes) for _, notes in kept):
        fixed = {v for v in named if v is not None}
        free = tuple(v for v in range(4) if v not in fixed)
        pool = [k for k, v in enumerate(named) if v is None]
        by_register = _assign_by_register([kept[k] for k in pool], free) if pool else []
        voice_of = list(named)
        for k, v in zip(pool, by_register):
            voice_of[k] = v
        voices: list[list[Note]] = [[], [], [], []]
        sources: list[tuple[int, ...]] = [(), (), (), ()]
        resolved = 0
        for (_, notes), v, track in zip(kept, voice_of, origin):
            voices[v], dropped = _resolve_chords(notes, top=v < 2)
            sources[v] = (track,)
            resolved += dropped
        if resolved:
            messages.append(
                f"Chords and grace notes inside a track were resolved there: {resolved} "
                "note(s) left out (kept the top note in Soprano and Alto, the bottom note in "
                "Tenor and Bass, and the longer of notes starting together)."
            )
        if pool and len(kept) < 4:
            used = ", ".join(VOICE_NAMES[v] for v in sorted(voice_of))
            messages.append(f"The file has {len(kept)} voice(s); they became {used}.")
        return Voicing(tuple(tuple(v) for v in voices), messages, tuple(sources))

    merged = [n for _, notes in kept for n in notes]
    split, dropped = split_polyphony(merged)
    messages.append("Chords were shared out among Soprano, Alto, Tenor and Bass by position.")
    if dropped:
        messages.append(
            f"{dropped} note(s) of chords wider than four voices were left out "
            "(kept the outer voices and the inner notes nearest the alto and tenor)."
        )
    shared = tuple(origin)
    return Voicing(tuple(tuple(v) for v in split), messages,
                   tuple(shared if v else () for v in split))
