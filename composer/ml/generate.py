"""What `composer generate` does, apart from argument parsing: find the seed, pick the
model, place phrase fermatas, sample, and write the file. The GUI uses the Sampler the
same way."""

from __future__ import annotations

import argparse
import statistics
import time
from functools import lru_cache
from pathlib import Path

from composer.ml.checkpoint import load_checkpoint, resolve
from composer.ml.errors import ModelError
from composer.ml.sampling import Generation, Sampler, SamplingOptions
from composer.music.score import Score


@lru_cache(maxsize=4)
def _sampler(path: str, mtime: float) -> Sampler:
    return Sampler(load_checkpoint(path).model)


def load_sampler(name_or_path: str | Path) -> Sampler:
    """A sampler for 'lstm', 'gru' or a checkpoint file; kept while the file is unchanged."""
    path = resolve(name_or_path)
    if not path.exists():
        raise ModelError(f"no model {name_or_path!r}: use lstm, gru or the path of a checkpoint "
                         "written by `composer train`")
    return _sampler(str(path.resolve()), path.stat().st_mtime)


def seed_from_corpus(chorale_id: str, bars: int | None) -> Score:
    from composer.music.corpus import load_corpus

    try:
        entry = load_corpus().get(chorale_id)
    except KeyError as exc:
        raise ModelError(str(exc.args[0])) from None
    return first_bars(entry.score, bars)


def first_bars(score: Score, bars: int | None) -> Score:
    if bars is None or bars <= 0:
        return score
    return score.slice(0, min(score.length, bars * score.steps_per_bar))


PHRASE_BARS = 2  # the usual distance between fermatas in the corpus (1,645 of 2,045 gaps)


def phrase_fermatas(score: Score, start: int, end: int, phrase_bars: int | None = None
                    ) -> frozenset[int]:
    """Fermatas for new music in start..end, so the network ends phrases as Bach did:
    every `phrase_bars` bars after the seed's last fermata. By default at the seed's own
    median phrase length, or every two bars when the seed has too few fermatas to tell;
    0 places none."""
    marks = sorted(f for f in score.fermatas if f < start)
    bar = score.steps_per_bar
    if phrase_bars is not None and phrase_bars <= 0:
        return frozenset()
    if phrase_bars is not None:
        period = phrase_bars * bar
    elif len(marks) >= 2:
        gap = statistics.median(b - a for a, b in zip(marks, marks[1:]))
        period = max(bar, round(gap / bar) * bar)
    else:
        period = PHRASE_BARS * bar
    last = marks[-1] if marks else 0
    return frozenset(s for s in range(last + period, end, period) if s >= start)


def continue_score(sampler: Sampler, seed: Score, bars: int,
                   options: SamplingOptions,
                   phrase_bars: int | None = None) -> Generation:
    """`bars` new bars after `seed`, its phrases ending on fermatas (phrase_fermatas)."""
    if bars < 1:
        raise ModelError(f"the bars to add must be 1 or more, got {bars}")
    start, end = seed.length, seed.length + bars * seed.steps_per_bar
    extended = seed.with_meta(
        length=end, fermatas=seed.fermatas | phrase_fermatas(seed, start, end, phrase_bars))
    return sampler.generate(extended, start, end, options=options)


def generate_file(args: argparse.Namespace) -> str:
    from composer.music.files import read_score, write_score

    if args.seed_bars < 0:
        raise ModelError(f"the seed bars must be 0 (all of it) or more, got {args.seed_bars}")
    if args.phrase_bars is not None and args.phrase_bars < 0:
        raise ModelError(f"the phrase bars must be 0 (no fermatas) or more, got "
                         f"{args.phrase_bars}")
    notes = []
    if args.from_corpus:
        seed = seed_from_corpus(args.from_corpus, args.seed_bars)
        source = args.from_corpus
    else:
        imported = read_score(args.from_file)
        notes = imported.messages
        seed = first_bars(imported.score, args.seed_bars)
        source = args.from_file
    if seed.note_count() == 0:
        raise ModelError(f"the seed from {source} has no notes: pick a chorale or a file "
                         "with music in it")
    sampler = load_sampler(args.model)
    options = SamplingOptions(temperature=args.temperature, top_p=args.top_p,
                              candidates=args.candidates, seed=args.seed,
                              avoid_parallels=not args.allow_parallels)
    t0 = time.perf_counter()
    if args.harmonize:
        result = sampler.generate(seed, 0, seed.length, voices=(1, 2, 3), options=options)
        what = f"new alto, tenor and bass for {_bars(seed.bars)}"
    else:
        result = continue_score(sampler, seed, args.bars, options, args.phrase_bars)
        what = f"{_bars(args.bars)} after {_bars(seed.bars)} of seed"
    elapsed = time.perf_counter() - t0
    write_score(args.output, result.score)
    lines = [*notes, f"wrote {args.output}: {what} from {source} with {args.model} "
             f"in {elapsed * 1000:.0f} ms" + _ranking(result)]
    return "\n".join(lines)


def _bars(count: int) -> str:
    return f"{count} bar" if count == 1 else f"{count} bars"


def _ranking(result: Generation) -> str:
    if len(result.scores) < 2:
        return ""
    return (f"; best of {len(result.scores)} candidates (log-likelihood "
            f"{result.log_likelihoods[0]:.1f} nats, worst {result.log_likelihoods[-1]:.1f})")
