"""`composer corpus list|export|build`."""

from __future__ import annotations

import argparse
import sys

from composer.music.corpus import ChoraleEntry, cache_path, load_corpus
from composer.music.errors import ScoreError
from composer.music.files import write_score


def register(sub: argparse._SubParsersAction) -> None:
    corpus = sub.add_parser("corpus", help="browse and export Bach's chorales")
    corpus_sub = corpus.add_subparsers(dest="corpus_command", metavar="ACTION", required=True)
    listing = corpus_sub.add_parser("list", help="list the chorales, optionally filtered")
    listing.add_argument("text", nargs="*", help="words that must appear (id, BWV, title, key)")
    listing.add_argument("--split", choices=("train", "valid", "test"))
    listing.set_defaults(handler=_list)
    export = corpus_sub.add_parser("export", help="write one chorale as MIDI or MusicXML")
    export.add_argument("id", help="chorale id or BWV number, e.g. bwv269 or 269")
    export.add_argument("-o", "--output", required=True, help="file ending in .mid or .musicxml")
    export.set_defaults(handler=_export)
    build = corpus_sub.add_parser("build", help="build the corpus cache now (set-up does this)")
    build.set_defaults(handler=_build)


def progress_bar(description: str):
    """A tqdm bar on stderr, shaped as the (done, total) callback the core takes."""
    from tqdm import tqdm

    bar: dict[str, tqdm] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc=description, unit="chorale", file=sys.stderr)
        bar["bar"].n = done
        bar["bar"].refresh()
        if done == total:
            bar["bar"].close()

    return update


def _list(args: argparse.Namespace) -> int:
    corpus = load_corpus(progress=progress_bar("Building the Bach corpus (once)"))
    entries = corpus.search(" ".join(args.text))
    if args.split:
        entries = [e for e in entries if e.split == args.split]
    print(f"{'id':<14} {'BWV':<10} {'key':<10} {'metre':<6} {'bars':>4}  title")
    for e in entries:
        print(f"{e.id:<14} {e.bwv:<10} {e.key or '-':<10} {str(e.time_signature):<6} "
              f"{e.bars:>4}  {e.title}")
    print(f"{len(entries)} chorale(s)", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    corpus = load_corpus(progress=progress_bar("Building the Bach corpus (once)"))
    try:
        entry = corpus.get(args.id)
        write_score(args.output, entry.score, title=chorale_title(entry), composer=BACH)
    except KeyError as exc:
        print(f"composer: {exc.args[0]}", file=sys.stderr)
        return 2
    except ScoreError as exc:
        print(f"composer: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote {entry.id} ({entry.title}) to {args.output}")
    return 0


BACH = "J. S. Bach"


def chorale_title(entry: ChoraleEntry) -> str:
    """A corpus chorale's name and BWV number, as a title over the music."""
    number = f"BWV {entry.bwv}"
    return entry.title if entry.title == number else f"{entry.title}, {number}"


def _build(args: argparse.Namespace) -> int:
    """Set-up runs this, so that nobody waits minutes for the corpus in the app; with the
    cache in place it only reads it back (a damaged cache is rebuilt)."""
    corpus = load_corpus(progress=progress_bar("Building the Bach corpus (once)"))
    print(f"{len(corpus.entries)} chorales ready in {cache_path()}")
    return 0
