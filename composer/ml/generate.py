"""`composer generate`, apart from argument parsing: read the input, pick the mode and the
model, run the operation (composer.ml.operations, shared with the app) and write the best
candidate. Settings that would do nothing in the chosen mode are refused, not ignored."""

from __future__ import annotations

import argparse
import time
from functools import lru_cache
from pathlib import Path

from composer.ml.checkpoint import HARMONIZER, SHIPPED, load_checkpoint, resolve
from composer.ml.errors import ModelError
from composer.ml.operations import ALL_VOICES, Candidates, continue_score, harmonize, regenerate
from composer.ml.sampling import Sampler, SamplingOptions
from composer.music.score import VOICE_NAMES, Score


@lru_cache(maxsize=4)
def _sampler(path: str, mtime: float) -> Sampler:
    return Sampler(load_checkpoint(path).model)


def load_sampler(name_or_path: str | Path) -> Sampler:
    """A sampler for 'lstm', 'gru' or a checkpoint file; kept while the file is unchanged."""
    path = resolve(name_or_path)
    if not path.exists() and str(name_or_path) in SHIPPED:
        raise ModelError(f"the shipped {name_or_path} network is missing ({path} is not "
                         "there): reinstall Composer (`make run` sets it up), or train one "
                         f"with `composer train --cell {name_or_path} -o NET.pt` and open it")
    if not path.exists():
        raise ModelError(f"no model {name_or_path!r}: use lstm, gru or the path of a checkpoint "
                         "written by `composer train`")
    return _sampler(str(path.resolve()), path.stat().st_mtime)


def harmonizing_sampler(network: str) -> tuple[Sampler, str, str | None]:
    """The sampler that harmonizes for someone who chose `network`, its name, and why it
    is not the harmonizer where it is not. The shipped harmonizer reads the whole kept
    line, so it stands in for a shipped causal net; a checkpoint a person opened is theirs
    and is used as it is."""
    if str(network) not in SHIPPED:
        return load_sampler(network), str(network), None
    if not resolve(HARMONIZER).exists():
        return load_sampler(network), str(network), (
            f"no harmonizer, so {network} harmonizes (it hears the tune only up to each "
            f"note): put harmonizer.pt in {resolve(HARMONIZER).parent} or train one with "
            "`composer train --encoder 128`")  # what it means first: a status bar cuts
    try:
        return load_sampler(HARMONIZER), HARMONIZER, None
    except ModelError as error:
        return load_sampler(network), str(network), f"{error}; harmonizing with {network}"


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


SEED_BARS = 4  # a continuation's seed, unless --seed-bars says otherwise
BARS = 8  # bars a continuation adds, unless --bars says otherwise
VOICE_LETTERS = "satb"


def generate_file(args: argparse.Namespace) -> str:
    from composer.music.files import write_score

    mode = _mode(args)
    score, source, notes = _read_input(args, mode)
    if score.note_count() == 0:
        raise ModelError(f"the seed from {source} has no notes: pick a chorale or a file "
                         "with music in it")
    sampler, network, note = (harmonizing_sampler(args.model) if mode == "harmonize"
                              else (load_sampler(args.model), args.model, None))
    if note:
        notes = [*notes, note]
    if mode != "harmonize" and sampler.harmonizer:
        raise ModelError(f"{args.model} is a harmonizer: it writes voices under kept ones "
                         "(--harmonize); continue or regenerate with lstm or gru")
    options = SamplingOptions(temperature=args.temperature, top_p=args.top_p,
                              candidates=args.candidates, seed=args.seed,
                              avoid_parallels=not args.allow_parallels,
                              strict_voicing=not args.free_voicing,
                              cadence_triads=not args.free_cadences)
    t0 = time.perf_counter()
    if mode == "continue":
        bars = BARS if args.bars is None else args.bars
        result = continue_score(sampler, score, bars, options, phrase_bars=args.phrase_bars)
        what = f"{_count(bars)} after {_count(score.bars)} of seed from {source}"
    else:
        start, end, span = _region(args.region, score)
        voices = _voice_letters(args.voices) if args.voices else (
            (1, 2, 3) if mode == "harmonize" else ALL_VOICES)
        if mode == "harmonize":
            keep = [v for v in ALL_VOICES if v not in voices]
            result = harmonize(sampler, score, keep, start, end, options)
            what = f"new {_names(voices)} for {span} of {source}"
        else:
            result = regenerate(sampler, score, start, end, voices, options)
            what = f"{_names(voices)} of {span} of {source} written anew"
    elapsed = time.perf_counter() - t0
    write_score(args.output, result.best.score)
    lines = [*notes, f"wrote {args.output}: {what} with {network} in "
             f"{elapsed * 1000:.0f} ms" + _ranking(result) + _ending(result)]
    return "\n".join(lines)


def _mode(args: argparse.Namespace) -> str:
    """continue, harmonize or regenerate; a setting that would do nothing in it is refused
    with the reason, before anything is read."""
    if args.seed_bars is not None and args.seed_bars < 0:
        raise ModelError(f"the seed bars must be 0 (all of it) or more, got {args.seed_bars}")
    if args.phrase_bars is not None and args.phrase_bars < 0:
        raise ModelError(f"the phrase bars must be 0 (no fermatas) or more, got "
                         f"{args.phrase_bars}")
    if not args.harmonize and args.region is None:
        if args.voices is not None:
            raise ModelError("--voices names the voices --harmonize or --region writes; a "
                             "continuation writes all four")
        return "continue"
    flag = "--harmonize" if args.harmonize else "--region"
    within = f"{flag} writes within the input, which keeps its length"
    if args.bars is not None:
        raise ModelError(f"--bars sets how long a continuation is; {within} (choose the bars "
                         "with --region)")
    if args.seed_bars is not None:
        raise ModelError(f"--seed-bars cuts a continuation's seed; {within} (choose the bars "
                         "with --region)")
    if args.phrase_bars is not None:
        raise ModelError(f"--phrase-bars places fermatas in a continuation's new bars; "
                         f"{flag} keeps the input's fermatas")
    if args.harmonize and args.voices is not None and \
            len(_voice_letters(args.voices)) == 4:
        raise ModelError("--harmonize keeps the voices --voices does not name: name three at "
                         "most, or use --region alone to write all four")
    if args.voices is not None:
        _voice_letters(args.voices)
    return "harmonize" if args.harmonize else "regenerate"


def _read_input(args: argparse.Namespace, mode: str) -> tuple[Score, str, list[str]]:
    """The score to work on, where it came from, and what reading it reported. A
    continuation's seed is the first --seed-bars bars; the other modes take it whole."""
    from composer.music.files import read_score

    bars = (SEED_BARS if args.seed_bars is None else args.seed_bars) \
        if mode == "continue" else 0
    if args.from_corpus:
        return seed_from_corpus(args.from_corpus, bars), args.from_corpus, []
    imported = read_score(args.from_file)
    return first_bars(imported.score, bars), args.from_file, list(imported.messages)


def _region(text: str | None, score: Score) -> tuple[int, int, str]:
    """--region FIRST:LAST, bars counted from 1 and both written; none: the whole score."""
    bar = score.steps_per_bar
    if text is None:
        return 0, score.length, _span(1, score.bars)
    try:
        first, last = (int(part) for part in text.split(":"))
    except ValueError:
        raise ModelError(f"--region {text}: give the first and last bar, e.g. 5:8") from None
    if not 1 <= first <= last:
        raise ModelError(f"--region {text}: bars count from 1 and the first comes before "
                         "the last")
    if last > score.bars:
        raise ModelError(f"--region {text}: the input has {_count(score.bars)}")
    return (first - 1) * bar, min(score.length, last * bar), _span(first, last)


def _voice_letters(text: str) -> tuple[int, ...]:
    unknown = sorted(set(text.lower()) - set(VOICE_LETTERS))
    if unknown or not text:
        raise ModelError(f"--voices {text!r}: letters s, a, t, b (e.g. atb)")
    return tuple(sorted({VOICE_LETTERS.index(c) for c in text.lower()}))


def _names(voices: tuple[int, ...]) -> str:
    names = [VOICE_NAMES[v].lower() for v in voices]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _span(first: int, last: int) -> str:
    return f"bar {first}" if first == last else f"bars {first}–{last}"


def _count(bars: int) -> str:
    return f"{bars} bar" if bars == 1 else f"{bars} bars"


def _ranking(result: Candidates) -> str:
    if len(result.items) < 2:
        return ""
    by = " of the music after the region" if result.ranked_by == "after" else ""
    return (f"; best of {len(result.items)} candidates (log-likelihood{by} "
            f"{result.items[0].log_likelihood:.1f} nats, worst "
            f"{result.items[-1].log_likelihood:.1f})")


def _ending(result: Candidates) -> str:
    return f"; ends on the tonic of {result.key}" if result.key else ""
