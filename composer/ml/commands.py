"""`composer train`, `composer evaluate`, `composer generate` and `composer evaluate-music`."""

from __future__ import annotations

import argparse
import shlex
import sys

from composer.ml.errors import ModelError

JSB_HELP = ("Jsb16thSeparated.json (default: $COMPOSER_JSB_PATH, else ../shared/data/jsb16th "
            "beside the source tree)")


def register(subparsers) -> None:
    p = subparsers.add_parser("train", help="train a chorale network (LSTM, GRU or reference)",
                              description="Train on the Bach corpus (or the JSB set for "
                              "benchmarks). Runs under torchrun for several processes.")
    p.add_argument("--cell", choices=("lstm", "gru", "reference"), default="lstm")
    p.add_argument("-o", "--out", help="checkpoint to write (default models/CELL.pt, or "
                   "benchmarks/checkpoints/jsb_CELL.pt for --data jsb)")
    p.add_argument("--data", choices=("corpus", "jsb"), default="corpus",
                   help="corpus: music21's Bach chorales; jsb: the JSB 16th set (benchmarks)")
    p.add_argument("--jsb-path", help=JSB_HELP)
    p.add_argument("--limit", type=int, help="use only the first N chorales of each split")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--init", help="start from this checkpoint's weights where they fit (a "
                   "harmonizer from the causal net of its size)")
    p.add_argument("--encoder", type=int, default=0,
                   help="train a harmonizer: a bidirectional encoder of this many units per "
                   "direction reads the kept voices (default models/harmonizer.pt)")
    p.add_argument("--window", type=int, default=64, help="window length in steps")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--windows-per-epoch", type=int,
                   help="default: as many as cover the training split once")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--max-minutes", type=float, help="wall-clock budget; stops and keeps the best")
    p.add_argument("--max-steps", type=int, help="stop after this many optimizer steps")
    p.add_argument("--optimizer", choices=("adamw", "nadam"), default="adamw")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--warmup", type=int, default=100, help="warm-up steps")
    p.add_argument("--clip", type=float, default=1.0, help="gradient norm clip")
    p.add_argument("--patience", type=int, default=5, help="early-stopping patience in epochs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=0, help="data loader worker processes")
    p.add_argument("--threads", type=int, help="torch CPU threads per process")
    p.add_argument("--no-transpose", action="store_true", help="train on the original keys only")
    p.add_argument("--resume", help="continue from a .resume.pt file written by a run")
    p.set_defaults(handler=run_train)

    e = subparsers.add_parser("evaluate", help="test NLL and accuracy of a checkpoint",
                              description="Per-token and per-note test metrics beside the "
                              "'repeat the previous step' baseline and the reference network.")
    e.add_argument("checkpoint", nargs="+", help="checkpoint file(s), or lstm / gru")
    e.add_argument("--data", choices=("corpus", "jsb"), default="corpus")
    e.add_argument("--jsb-path", help=JSB_HELP)
    e.add_argument("--split", choices=("train", "valid", "test"), default="test")
    e.add_argument("--reference", help="reference checkpoint to compare (default "
                   "models/reference.pt for the corpus)")
    e.add_argument("--limit", type=int, help="only the first N chorales")
    e.add_argument("--json", help="also write the table as JSON here")
    e.set_defaults(handler=run_evaluate)

    g = subparsers.add_parser(
        "generate", help="continue, harmonize or regenerate part of a chorale",
        description="Continue a seed from a corpus chorale or a file (the default), harmonize "
        "its tune (--harmonize), or write bars of it anew (--region), and write the most "
        "likely candidate as MIDI / MusicXML. A continuation ends on the key's tonic.")
    src = g.add_mutually_exclusive_group(required=True)
    src.add_argument("--from-corpus", metavar="ID", help="chorale id or BWV number, e.g. bwv269")
    src.add_argument("--from-file", metavar="PATH", help="MIDI or MusicXML input")
    g.add_argument("--seed-bars", type=int,
                   help="continuing: bars of the input to keep as the seed (default 4, 0: all "
                   "of it)")
    g.add_argument("--bars", type=int, help="continuing: bars to add (default 8)")
    g.add_argument("--harmonize", action="store_true",
                   help="keep the soprano (or the voices --voices does not name) and write the "
                   "others within --region, by default the whole input")
    g.add_argument("--region", metavar="BAR:BAR",
                   help="write bars FIRST to LAST (from 1) of the input anew, the rest kept")
    g.add_argument("--voices", metavar="LETTERS",
                   help="with --harmonize or --region: the voices to write, e.g. atb "
                   "(default: a, t, b for --harmonize, all four for --region)")
    g.add_argument("--model", default="gru", help="gru (default), lstm or a checkpoint path")
    g.add_argument("--temperature", type=float, default=1.0)
    g.add_argument("--top-p", type=float, default=1.0)
    g.add_argument("--candidates", type=int, default=1,
                   help="sample N at once and keep the most likely")
    g.add_argument("--seed", type=int, help="random seed, for the same result again")
    g.add_argument("--allow-parallels", action="store_true",
                   help="let voices move in parallel fifths and octaves (avoided by default)")
    g.add_argument("--free-voicing", action="store_true",
                   help="allow hidden fifths and octaves between soprano and bass and a "
                   "soprano more than an octave above the alto (avoided by default)")
    g.add_argument("--free-cadences", action="store_true",
                   help="let a fermata's chord be any chord (by default a major or minor "
                   "triad with its root in the bass)")
    g.add_argument("--phrase-bars", type=int,
                   help="continuing: a fermata every N bars in the new music, 0 for none but "
                   "the final one (default: the seed's phrase length, else 2)")
    g.add_argument("-o", "--output", required=True, help="file ending in .mid or .musicxml")
    g.set_defaults(handler=run_generate)

    m = subparsers.add_parser(
        "evaluate-music", help="is it Bach? rules and style of the networks' music against "
        "Bach's", description="Score Bach's test chorales, continuations of their first bars "
        "and harmonizations of their tunes by each network (and the reference network and a "
        "random writer): voice-leading rules per 100 chord changes and the distance of each "
        "distribution a listener hears from Bach's. Prints one table and writes it as JSON "
        "with PNG plots.")
    m.add_argument("--chorales", type=int, help="only the first N test chorales (default: all)")
    m.add_argument("--seed-bars", type=int, default=4, help="bars of each chorale to continue")
    m.add_argument("--bars", type=int, default=8, help="bars each continuation adds")
    m.add_argument("--samples", type=int, default=2,
                   help="continuations and harmonizations per chorale and row")
    m.add_argument("--candidates", type=int, default=1, help="keep the best of N for each")
    m.add_argument("--temperatures", default="0.7,1.3",
                   help="continuations at these temperatures too, besides 1.0 ('' for none)")
    m.add_argument("--models", default="lstm,gru", help="networks: lstm, gru or paths")
    m.add_argument("--reference", help="the reference checkpoint (default "
                   "models/reference.pt; 'none' to leave it out)")
    m.add_argument("--no-random", action="store_true", help="leave out the random writer")
    m.add_argument("--no-harmonizer", action="store_true",
                   help="leave out models/harmonizer.pt's harmonizations")
    m.add_argument("--seed", type=int, default=0, help="random seed: the same run again")
    m.add_argument("--out-dir", default="benchmarks/results",
                   help="where music_quality.json and its plots go")
    m.add_argument("--no-plots", action="store_true", help="write the JSON only")
    m.set_defaults(handler=run_evaluate_music)


def _fail(exc: Exception) -> int:
    print(f"composer: {exc}", file=sys.stderr)
    return 2


def run_train(args: argparse.Namespace) -> int:
    from composer.ml.model import ModelConfig
    from composer.ml.train import TrainConfig, train

    try:
        model = ModelConfig(cell=args.cell, hidden=args.hidden, layers=args.layers,
                            embed=args.embed, dropout=args.dropout, encoder=args.encoder)
        name = "harmonizer" if args.encoder else args.cell
        cfg = TrainConfig(
            out=args.out or (f"models/{name}.pt" if args.data == "corpus"
                             else f"benchmarks/checkpoints/jsb_{name}.pt"),
            dataset=args.data, jsb_path=args.jsb_path,
            limit=args.limit, model=model, window_steps=args.window, batch_size=args.batch_size,
            windows_per_epoch=args.windows_per_epoch, epochs=args.epochs,
            max_minutes=args.max_minutes, max_steps=args.max_steps, optimizer=args.optimizer,
            lr=args.lr, weight_decay=args.weight_decay, warmup_steps=args.warmup, clip=args.clip,
            patience=args.patience, seed=args.seed, workers=args.workers, threads=args.threads,
            transpose=not args.no_transpose, resume=args.resume, init=args.init,
            command="composer " + shlex.join(sys.argv[1:]),
        )
        bar = _ProgressBar()
        train(cfg, progress=bar, log=bar.log)
        bar.close()
    except ModelError as exc:
        return _fail(exc)
    return 0


class _ProgressBar:
    """A tqdm bar of the optimizer steps, with the lines of each epoch written above it."""

    def __init__(self) -> None:
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="step", file=sys.stderr, mininterval=1.0)
        self.bar.total = total  # a wall-clock budget revises it as the pace becomes known
        self.bar.n = done
        self.bar.update(0)

    def log(self, message: str) -> None:
        if self.bar is not None:
            self.bar.write(message, file=sys.stdout)
        else:
            print(message, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_evaluate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from composer.ml.checkpoint import MODELS_DIR, write_json
    from composer.ml.evaluate import comparison_table, format_table

    if args.json and not Path(args.json).resolve().parent.is_dir():
        return _fail(ModelError(f"cannot write {args.json}: its folder does not exist"))
    try:
        reference = args.reference
        if reference is None and args.data == "corpus" and (MODELS_DIR / "reference.pt").exists():
            reference = str(MODELS_DIR / "reference.pt")
        rows = comparison_table(args.checkpoint, args.data, args.split, reference,
                                jsb_path=args.jsb_path, limit=args.limit,
                                warn=lambda problem: print(f"composer: warning: {problem}",
                                                           file=sys.stderr))
    except ModelError as exc:
        return _fail(exc)
    print(format_table(rows))
    if args.json:
        try:
            write_json(args.json, rows)
        except OSError as exc:
            return _fail(ModelError(f"cannot write {args.json}: {exc.strerror or exc}"))
    return 0


def run_generate(args: argparse.Namespace) -> int:
    from composer.ml.generate import generate_file

    try:
        report = generate_file(args)
    except (ModelError, ValueError, OSError) as exc:
        return _fail(exc)
    print(report)
    return 0


def run_evaluate_music(args: argparse.Namespace) -> int:
    from composer.ml.music_report import run_report

    try:
        return run_report(args)
    except (ModelError, OSError) as exc:
        return _fail(exc)
