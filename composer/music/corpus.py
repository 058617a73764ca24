"""Bach's chorales from the copy that ships inside music21: no download, ever.

Each chorale whose four parts map cleanly to Soprano, Alto, Tenor and Bass on a
sixteenth-note grid becomes a `Score`; the others are listed with the reason. The split
into train/valid/test is recorded in `corpus_split.json` beside this file, so published
figures never drift. Chorales sharing a tune go to the same split, so a melody seen in
training is never used to test.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import pickle
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import music21
from platformdirs import user_cache_dir

from composer.atomic_write import atomic_open
from composer.music.errors import ScoreError
from composer.music.musicxml_file import pickup_steps, read_metadata, read_part
from composer.music.score import Note, Score, TimeSignature
from composer.music.voicing import voice_of_name
from composer.work import Cancel, Cancelled, Progress

CORPUS_FORMAT = 1
SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class ChoraleEntry:
    id: str
    bwv: str
    title: str
    key: str | None
    time_signature: TimeSignature
    bars: int
    split: str
    score: Score = field(repr=False, compare=False)

    @property
    def fermatas(self) -> frozenset[int]:
        return self.score.fermatas

    @property
    def length(self) -> int:
        return self.score.length


@dataclass
class Corpus:
    entries: list[ChoraleEntry]
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def get(self, chorale_id: str) -> ChoraleEntry:
        wanted = chorale_id.lower().removesuffix(".mxl")
        if not wanted.startswith("bwv"):
            wanted = f"bwv{wanted}"
        for entry in self.entries:
            if entry.id == wanted:
                return entry
        raise KeyError(
            f"no chorale {chorale_id!r} in the corpus; `composer corpus list` shows them"
        )

    def split(self, name: str) -> list[ChoraleEntry]:
        if name not in SPLITS:
            raise ValueError(f"split {name!r} is not one of {', '.join(SPLITS)}")
        return [e for e in self.entries if e.split == name]

    def search(self, text: str) -> list[ChoraleEntry]:
        """Chorales whose id, BWV, title or key contains every word of `text` (all of them for
        no words), in catalogue order: `entries` keeps the files' order, which the data
        fingerprints on the model cards hash, so the order a person reads is made here."""
        words = text.lower().split()
        found = [
            e for e in self.entries
            if all(w in f"{e.id} bwv {e.bwv} {e.title} {e.key or ''}".lower() for w in words)
        ]
        return sorted(found, key=bwv_order)

    def fingerprint(self) -> str:
        """Identifies the split, for checkpoint cards: same fingerprint, same data."""
        rows = sorted(f"{e.id}:{e.split}:{e.length}" for e in self.entries)
        text = "\n".join(rows)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def bwv_order(entry: ChoraleEntry) -> tuple[tuple[int, str], ...]:
    """Sorts BWV 2.6 before 10.7 and 244.3 before 244.25, as the catalogue does: the digits of
    a number compare as numbers, the rest ("-a", a movement's suffix) as text."""
    return tuple((int(part), "") if part.isdigit() else (-1, part)
                 for part in re.findall(r"\d+|\D+", entry.bwv))


def chorale_paths() -> list[Path]:
    paths = music21.corpus.getComposer("bach", fileExtensions=("mxl", "xml"))
    return sorted(Path(p) for p in paths)


def _recorded_split() -> dict[str, str]:
    text = resources.files("composer.music").joinpath("corpus_split.json").read_text()
    recorded = json.loads(text)
    return {cid: name for name in SPLITS for cid in recorded[name]}


def split_of(group: str) -> str:
    """The split for a chorale not in the record: a stable hash of its tune."""
    value = int(hashlib.sha256(group.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "train" if value < 0.8 else "valid" if value < 0.9 else "test"


def _titles() -> dict[str, str]:
    from music21.corpus import chorales

    titles = {str(k): v["title"] for k, v in chorales.ChoraleList().byBWV.items()}
    titles.update({str(k): v["title"] for k, v in chorales.ChoraleListRKBWV().byBWV.items()})
    return titles


def _incipit(source: music21.stream.Score) -> str | None:
    """The first words sung, the way hymnals name a chorale when no title is known."""
    words: list[str] = []
    current = ""
    for n in source.parts[0].flatten().notes[:40]:
        if not n.lyrics:
            continue
        lyric = n.lyrics[0]
        current += lyric.text or ""
        if lyric.syllabic in (None, "single", "end"):
            words.append(current)
            current = ""
        if len(words) == 5:
            break
    return " ".join(words) or None


def convert_chorale(path: Path, titles: dict[str, str]) -> tuple[str, ChoraleEntry | str]:
    """The chorale as an entry, or the reason it was skipped. Split is filled in later."""
    chorale_id = path.stem.lower()
    bwv = chorale_id.removeprefix("bwv")
    try:
        source = music21.converter.parse(str(path))
        meta = read_metadata(source)
    except (ScoreError, music21.Music21Exception) as exc:
        return chorale_id, f"cannot be read: {exc}"
    if meta.metre_changes:
        return chorale_id, "changes metre"
    parts = list(source.parts)
    by_voice: dict[int, music21.stream.Part] = {}
    for part in parts:
        voice = voice_of_name(part.partName or "")
        if voice is not None and voice not in by_voice:
            by_voice[voice] = part
    if len(by_voice) != 4:
        if len(parts) != 4:
            names = ", ".join(p.partName or "?" for p in parts)
            return chorale_id, f"{len(parts)} parts ({names}) do not map to S, A, T, B"
        by_voice = dict(enumerate(parts))
    pad = pickup_steps(by_voice[0], meta.time_signature.steps_per_bar)
    voices = []
    fermatas: set[int] = set()
    end = 0.0
    for v in range(4):
        content = read_part(by_voice[v], pad)
        if content.chords:
            return chorale_id, f"{content.name or v} has chords"
        notes = []
        for raw in content.notes:
            if raw.start != int(raw.start) or raw.end != int(raw.end):
                return chorale_id, "rhythms (tuplets) do not fit the sixteenth grid"
            notes.append(Note(int(raw.start), int(raw.end - raw.start), raw.pitch))
        voices.append(tuple(notes))
        fermatas |= content.fermatas if v == 0 else set()
        end = max(end, content.end)
    try:
        score = Score(
            voices=tuple(voices),
            tempo=meta.tempo,
            time_signature=meta.time_signature,
            key=meta.key,
            fermatas=frozenset(fermatas),
            length=round(end),
        )
    except ScoreError as exc:
        return chorale_id, str(exc)
    title = titles.get(bwv) or _incipit(source) or f"BWV {bwv}"
    entry = ChoraleEntry(chorale_id, bwv, title, score.key, score.time_signature, score.bars,
                         "", score)
    return chorale_id, entry


def _convert_worker(path: Path) -> tuple[str, ChoraleEntry | str]:
    return convert_chorale(path, _worker_titles)


_worker_titles: dict[str, str] = {}


def _init_worker(titles: dict[str, str]) -> None:
    global _worker_titles
    _worker_titles = titles


def build_corpus(
    ids: Iterable[str] | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    processes: int | None = None,
) -> Corpus:
    """Convert the chorales (all, the given ids, or the first `limit`) without the cache."""
    paths = chorale_paths()
    if ids is not None:
        wanted = {i.lower() for i in ids}
        paths = [p for p in paths if p.stem.lower() in wanted]
    if limit is not None:
        paths = paths[:limit]
    titles = _titles()
    recorded = _recorded_split()
    results: list[tuple[str, ChoraleEntry | str]] = []
    processes = processes or min(multiprocessing.cpu_count(), max(1, len(paths) // 8))
    if processes > 1:
        context = multiprocessing.get_context("spawn")
        with context.Pool(processes, initializer=_init_worker, initargs=(titles,)) as pool:
            for result in pool.imap(_convert_worker, paths, chunksize=4):
                results.append(result)
                _report(progress, cancel, len(results), len(paths), pool)
    else:
        for path in paths:
            results.append(convert_chorale(path, titles))
            _report(progress, cancel, len(results), len(paths), None)
    entries, skipped = [], []
    for chorale_id, outcome in results:
        if isinstance(outcome, str):
            skipped.append((chorale_id, outcome))
            continue
        split = recorded.get(chorale_id) or split_of(outcome.title)
        entries.append(_with_split(outcome, split))
    return Corpus(entries, skipped)


def _with_split(entry: ChoraleEntry, split: str) -> ChoraleEntry:
    return ChoraleEntry(entry.id, entry.bwv, entry.title, entry.key, entry.time_signature,
                        entry.bars, split, entry.score)


def _report(progress: Progress | None, cancel: Cancel | None, done: int, total: int,
            pool: multiprocessing.pool.Pool | None) -> None:
    if progress is not None:
        progress(done, total)
    if cancel is not None and cancel():
        if pool is not None:
            pool.terminate()
        raise Cancelled("corpus build cancelled")


def cache_path() -> Path:
    version = f"m21-{music21.VERSION_STR}-f{CORPUS_FORMAT}"
    return Path(user_cache_dir("composer")) / f"corpus-{version}.pickle"


def load_corpus(progress: Progress | None = None, cancel: Cancel | None = None) -> Corpus:
    """The full corpus: from the cache when it is there, else built once and cached."""
    path = cache_path()
    if path.exists():
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)
        except Exception:  # a damaged cache is rebuilt, never fatal
            path.unlink(missing_ok=True)
    corpus = build_corpus(progress=progress, cancel=cancel)
    try:
        save_corpus(corpus, path)
    except OSError as error:  # no cache this time; the chorales are here all the same
        warnings.warn(f"the Bach corpus could not be cached in {path.parent} ({error}); it "
                      "will be read again next time. Make that folder writable, or set "
                      "XDG_CACHE_HOME to one that is.", stacklevel=2)
    return corpus


def save_corpus(corpus: Corpus, path: Path) -> None:
    """Write atomically: a build stopped half-way never leaves a damaged cache."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path) as fh:
        pickle.dump(corpus, fh, protocol=pickle.HIGHEST_PROTOCOL)
