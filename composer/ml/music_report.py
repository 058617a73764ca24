"""`composer evaluate-music`: is it Bach? The rules a harmony teacher marks and the
distributions a listener hears (composer.music.style_stats), for Bach's held-out chorales
and for music the networks write from them, in one table with plots.

Rows, all from the corpus's test split:
- Bach: the test chorales whole, in their declared keys: the yardstick; and the same bars
  as the continuations fill (after the first SEED_BARS), to show how far the middle of a
  chorale lies from the whole by these measures: the floor of the distances;
- continuations: each chorale's first SEED_BARS bars continued by BARS bars with
  composer.ml.operations.continue_score (as the app and `composer generate` do: fermatas,
  parallels rule, final cadence), by each shipped network at the default temperature (1.0)
  and at two others; the new bars and their join to the seed are measured;
- harmonizations: each chorale's own soprano given new alto, tenor and bass
  (operations.harmonize), measured whole, beside Bach's harmonization of the same tune,
  by each shipped network and by the shipped harmonizer (what Harmonize uses);
- the reference network (the course notebook's) and a random writer with Bach's token
  frequencies per voice (composer.ml.baselines), written by the same sampler, so what
  differs is the network alone.

Each row's distributions are compared with Bach's by the Jensen-Shannon divergence
(bits). The issue's targets are checked for the shipped networks at the default
temperature: every rule within 1.5x Bach's rate, the cadence kinds at fermatas within 10
points of Bach's shares, and every distance clearly below the reference network's (at most
REFERENCE_SHARE of it). A fixed --seed makes a run repeat exactly.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from composer.atomic_write import atomic_open
from composer.ml.errors import ModelError
from composer.music.style_stats import (
    CADENCES,
    DISTANCE_GROUPS,
    DISTRIBUTIONS,
    OTHER_CHORD,
    TITLES,
    StyleStats,
    distances,
    grouped_distances,
    style_stats,
)
from composer.music.voice_leading import RULES

DEFAULT_TEMPERATURE = 1.0
RULE_FACTOR = 1.5  # a rule may be broken up to this many times as often as Bach does
CADENCE_POINTS = 0.10  # each cadence kind's share within this of Bach's
REFERENCE_SHARE = 0.8  # "clearly below the reference": at most this share of its distance
RESULT_NAME = "music_quality"

RULE_TITLES = {
    "parallel_fifths": "parallel 5ths", "parallel_octaves": "parallel 8ves",
    "hidden_fifths": "hidden 5ths, S-B", "hidden_octaves": "hidden 8ves, S-B",
    "crossings": "voices crossed", "overlaps": "overlaps",
    "wide_soprano_alto": "S-A over an octave", "wide_alto_tenor": "A-T over an octave",
    "out_of_range": "notes out of range",
}


@dataclass(frozen=True)
class Settings:
    chorales: int | None = None  # the first N test chorales; None: all
    seed_bars: int = 4
    bars: int = 8
    samples: int = 2  # continuations and harmonizations per chorale and row
    candidates: int = 1
    temperatures: tuple[float, ...] = (0.7, 1.3)  # besides DEFAULT_TEMPERATURE
    models: tuple[str, ...] = ("lstm", "gru")
    reference: str | None = "default"  # a checkpoint path, "default" or None
    random: bool = True
    harmonizer: bool = True  # models/harmonizer.pt's harmonizations, where it is shipped
    seed: int = 0

    def __post_init__(self) -> None:
        if self.chorales is not None and self.chorales < 1:
            raise ModelError(f"--chorales must be 1 or more, got {self.chorales}")
        if self.seed_bars < 1 or self.bars < 1:
            raise ModelError("--seed-bars and --bars must be 1 or more")
        if self.samples < 1 or self.candidates < 1:
            raise ModelError("--samples and --candidates must be 1 or more")
        if any(not t > 0 for t in self.temperatures):
            raise ModelError(f"temperatures must be above 0, got {list(self.temperatures)}")


@dataclass
class Row:
    label: str  # e.g. "LSTM, continued, T 1.0"
    group: str  # "bach" | "continuation" | "harmonization"
    model: str  # "Bach", "LSTM", "GRU", "harmonizer", "reference", "random"
    temperature: float | None
    stats: StyleStats
    seconds: float = 0.0


def _samplers(settings: Settings) -> dict[str, object]:
    from composer.ml.baselines import load_reference_sampler, unigram_sampler
    from composer.ml.checkpoint import HARMONIZER, MODELS_DIR, resolve
    from composer.ml.generate import load_sampler

    samplers: dict[str, object] = {}
    for name in settings.models:
        samplers[name.upper() if name in ("lstm", "gru") else Path(name).stem] = \
            load_sampler(name)
    if settings.harmonizer and resolve(HARMONIZER).exists():
        samplers["harmonizer"] = load_sampler(HARMONIZER)
    if settings.reference is not None:
        path = MODELS_DIR / "reference.pt" if settings.reference == "default" \
            else Path(settings.reference)
        if path.exists():
            samplers["reference"] = load_reference_sampler(path)
        elif settings.reference != "default":
            raise ModelError(f"no reference checkpoint at {path}")
    if settings.random:
        samplers["random"] = unigram_sampler()
    return samplers


def build_rows(settings: Settings, log: Callable[[str], None] = print) -> list[Row]:
    """Write and measure every row of the report."""
    from composer.ml import operations
    from composer.ml.generate import first_bars
    from composer.ml.sampling import SamplingOptions
    from composer.music.corpus import load_corpus
    from composer.music.tonality import score_key

    test = load_corpus().split("test")[:settings.chorales]
    seeds = [(i, e) for i, e in enumerate(test) if e.score.bars > settings.seed_bars]
    t0 = time.perf_counter()
    rows = [Row("Bach, test chorales", "bach", "Bach", None,
                _sum(style_stats(e.score, key=e.key) for e in test))]
    rows[0].seconds = time.perf_counter() - t0
    first, last = settings.seed_bars + 1, settings.seed_bars + settings.bars
    rows.append(Row(f"Bach, bars {first}-{last}", "bach", "Bach", None, _sum(
        style_stats(e.score, _bars(e.score, settings.seed_bars),
                    _bars(e.score, settings.seed_bars + settings.bars), key=e.key)
        for _, e in seeds)))
    samplers = _samplers(settings)
    shipped = [name for name in samplers if name not in ("reference", "random", "harmonizer")]

    def options(temperature: float, index: int, sample: int) -> SamplingOptions:
        return SamplingOptions(temperature=temperature, candidates=settings.candidates,
                               seed=settings.seed * 100_003 + index * 101 + sample)

    def measure(label: str, group: str, name: str, temperature: float) -> None:
        t = time.perf_counter()
        sampler = samplers[name]
        parts = []
        for index, entry in (seeds if group == "continuation" else enumerate(test)):
            for sample in range(settings.samples):
                opts = options(temperature, index, sample)
                if group == "continuation":
                    seed = first_bars(entry.score, settings.seed_bars)
                    made = operations.continue_score(sampler, seed, settings.bars, opts)
                    parts.append(style_stats(made.best.score, seed.length,
                                             key=score_key(seed)))
                else:
                    score = entry.score
                    tune = score.with_meta(voices=(score.voices[0], (), (), ()))
                    made = operations.harmonize(sampler, tune, (0,), 0, tune.length, opts)
                    parts.append(style_stats(made.best.score, key=score_key(score)))
        rows.append(Row(label, group, name, temperature, _sum(parts),
                        time.perf_counter() - t))
        log(f"  {label}: {len(parts)} pieces, {rows[-1].seconds:.1f} s")

    temperatures = (DEFAULT_TEMPERATURE, *settings.temperatures)
    for name in shipped:
        for temperature in temperatures:
            measure(f"{name}, continued, T {temperature:.1f}", "continuation", name, temperature)
    for name in [*shipped, *(["harmonizer"] if "harmonizer" in samplers else [])]:
        measure(f"{name}, harmonized, T {DEFAULT_TEMPERATURE:.1f}", "harmonization", name,
                DEFAULT_TEMPERATURE)
    for name in ("reference", "random"):
        if name in samplers:
            for group, verb in (("continuation", "continued"), ("harmonization", "harmonized")):
                measure(f"{name}, {verb}, T {DEFAULT_TEMPERATURE:.1f}", group, name,
                        DEFAULT_TEMPERATURE)
    return rows


def _bars(score, bars: int) -> int:
    return min(score.length, bars * score.steps_per_bar)


def _sum(parts) -> StyleStats:
    total = StyleStats()
    for part in parts:
        total = total + part
    return total


# --- the result --------------------------------------------------------------------------

def result(rows: Sequence[Row], settings: Settings, chorale_ids: Sequence[str],
           seconds: float) -> dict:
    """Everything the table and plots show, as JSON: per row its summary, the distance of
    each distribution from Bach's, the distributions themselves and the raw counts; and
    the targets."""
    bach = rows[0].stats
    out_rows = []
    for row in rows:
        each = distances(row.stats, bach)
        grouped = grouped_distances(each)
        out_rows.append({
            "music": row.label, "group": row.group, "model": row.model,
            "temperature": row.temperature, "pieces": row.stats.scores,
            "chord_changes": row.stats.rules.chord_changes, "notes": row.stats.rules.notes,
            "fermatas": row.stats.total("cadences"), "seconds": round(row.seconds, 1),
            "summary": _clean(row.stats.summary()),
            "distances": _clean(grouped),
            "mean_distance": _clean(_mean(grouped.values())),
            "distances_each": _clean(each),
            "distributions": {name: dict(zip(row.stats.labels(name), _clean(
                row.stats.distribution(name).tolist()))) for name in DISTRIBUTIONS},
        })
    return {
        "benchmark": RESULT_NAME,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": "composer evaluate-music " + " ".join(sys.argv[2:])
        if sys.argv[1:2] == ["evaluate-music"] else "composer evaluate-music",
        "settings": {"chorales": len(chorale_ids), "seed_bars": settings.seed_bars,
                     "bars": settings.bars, "samples_per_chorale": settings.samples,
                     "candidates": settings.candidates,
                     "temperatures": [DEFAULT_TEMPERATURE, *settings.temperatures],
                     "seed": settings.seed},
        "test_chorales": list(chorale_ids),
        "seconds": round(seconds, 1),
        "rows": out_rows,
        "targets": check_targets(out_rows),
    }


def _mean(values) -> float:
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else float("nan")


def _clean(value):
    """nan as None, for JSON; floats to 5 places."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 5)
    return value


def check_targets(rows: Sequence[dict]) -> list[dict]:
    """The issue's targets for each shipped network's rows at the default temperature:
    what is met, and by how much each miss misses."""
    bach = rows[0]["summary"]
    references = {r["group"]: r for r in rows if r["model"] == "reference"}
    checks = []
    for row in rows:
        if row["group"] == "bach" or row["model"] in ("reference", "random") \
                or row["temperature"] != DEFAULT_TEMPERATURE:
            continue
        misses = []
        for rule in RULES:
            ours, theirs = row["summary"][rule], bach[rule]
            if ours > RULE_FACTOR * theirs + 1e-9:
                ratio = f"{ours / theirs:.1f}x" if theirs else "Bach: none"
                misses.append(f"{RULE_TITLES[rule]} {ours:.2f} per 100 chord changes against "
                              f"Bach's {theirs:.2f} ({ratio}; the target is at most "
                              f"{RULE_FACTOR * theirs:.2f})")
        rules_met = not misses
        cadence_misses = []
        for kind in CADENCES:
            ours, theirs = row["summary"][f"cadence_{kind}"], bach[f"cadence_{kind}"]
            if abs(ours - theirs) > CADENCE_POINTS + 1e-9:
                cadence_misses.append(f"{kind} cadences {ours:.0%} against Bach's {theirs:.0%} "
                                      f"({100 * (ours - theirs):+.0f} points)")
        misses += cadence_misses
        reference = references.get(row["group"])
        distance_misses = []
        if reference is not None:
            for group in DISTANCE_GROUPS:
                ours, theirs = row["distances"][group], reference["distances"][group]
                if ours is None or theirs is None:
                    continue
                if ours > REFERENCE_SHARE * theirs + 1e-9:
                    distance_misses.append(
                        f"{group} JS {ours:.3f} against the reference's {theirs:.3f} "
                        f"({ours / theirs:.0%} of it; the target is at most "
                        f"{REFERENCE_SHARE:.0%})" if theirs else
                        f"{group} JS {ours:.3f}, the reference's 0")
        misses += distance_misses
        checks.append({"music": row["music"], "rules_met": rules_met,
                       "cadences_met": not cadence_misses,
                       "distances_met": None if reference is None else not distance_misses,
                       "misses": misses})
    return checks


# --- printing ----------------------------------------------------------------------------

def format_table(res: dict) -> str:
    rows = res["rows"]
    heads = [_short(r) for r in rows]
    width = max(8, *(len(h) + 1 for pair in heads for h in pair))
    label_width = 26

    def line(label: str, values: Sequence[str]) -> str:
        return f"{label:<{label_width}}" + "".join(f"{v:>{width}}" for v in values)

    def num(value, fmt: str) -> str:
        return "-" if value is None else fmt.format(value)

    out = [line("", [h[0] for h in heads]), line("", [h[1] for h in heads])]
    out.append("per 100 chord changes")
    for rule in RULES:
        out.append(line("  " + RULE_TITLES[rule],
                        [num(r["summary"][rule], "{:.2f}") for r in rows]))
    out.append("cadences at fermatas")
    for kind in CADENCES:
        out.append(line(f"  {kind}", [num(r["summary"][f"cadence_{kind}"], "{:.0%}")
                                      for r in rows]))
    out.append("keys")
    out.append(line("  bars in the home key", [num(r["summary"]["bars_in_key"], "{:.0%}")
                                                for r in rows]))
    out.append(line("  bars in remote keys", [num(r["summary"]["bars_remote"], "{:.0%}")
                                              for r in rows]))
    out.append(line("  time in the key's scale", [num(r["summary"]["in_scale"], "{:.1%}")
                                                  for r in rows]))
    out.append("JS divergence from Bach, bits")
    for group in DISTANCE_GROUPS:
        out.append(line(f"  {group}", [num(r["distances"][group], "{:.3f}") for r in rows]))
    out.append(line("  mean", [num(r["mean_distance"], "{:.3f}") for r in rows]))
    out.append(line("pieces", [str(r["pieces"]) for r in rows]))
    out.append(line("chord changes", [str(r["chord_changes"]) for r in rows]))
    s = res["settings"]
    out.append(f"(Bach: {s['chorales']} test chorales whole; cont: {s['bars']} bars after each "
               f"one's first {s['seed_bars']}, harm: its soprano harmonized; "
               f"{s['samples_per_chorale']} per chorale, best of {s['candidates']}; "
               f"T: temperature; ref: the course notebook's network; random: Bach's token "
               f"frequencies per voice; both through the same sampler; seed {s['seed']})")
    return "\n".join(out)


def format_markdown(res: dict) -> str:
    """The table as Markdown, for README: music down, measures across."""
    rows = res["rows"]
    heads = ["music", *(RULE_TITLES[r] for r in RULES if r != "out_of_range"),
             "tonic / dominant / other at fermatas", "bars in key", "remote bars",
             *(f"JS {g}" for g in DISTANCE_GROUPS), "JS mean"]
    lines = ["| " + " | ".join(heads) + " |", "|" + " --- |" * len(heads)]
    for r in rows:
        s, d = r["summary"], r["distances"]
        cells = [_row_name(r), *(f"{s[rule]:.2f}" for rule in RULES if rule != "out_of_range"),
                 " / ".join(f"{s[f'cadence_{k}']:.0%}" for k in CADENCES),
                 f"{s['bars_in_key']:.0%}", f"{s['bars_remote']:.0%}",
                 *("-" if d[g] is None else f"{d[g]:.3f}" for g in DISTANCE_GROUPS),
                 "-" if r["mean_distance"] is None else f"{r['mean_distance']:.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _short(row: dict) -> tuple[str, str]:
    if row["group"] == "bach":
        return "Bach", "test" if row["music"].endswith("chorales") else row["music"][6:]
    name = {"reference": "ref", "random": "random"}.get(row["model"], row["model"])
    kind = "cont" if row["group"] == "continuation" else "harm"
    return name, f"{kind} {row['temperature']:.1f}"


def format_targets(res: dict) -> str:
    lines = [f"Targets (rules within {RULE_FACTOR}x Bach's, cadences within "
             f"{CADENCE_POINTS * 100:.0f} points, distances at most {REFERENCE_SHARE:.0%} of "
             "the reference network's):"]
    for check in res["targets"]:
        met = [name for name, key in (("rules", "rules_met"), ("cadences", "cadences_met"),
                                      ("distances", "distances_met")) if check[key]]
        lines.append(f"  {check['music']}: met {', '.join(met) or 'none'}")
        lines += [f"    missed: {m}" for m in check["misses"]]
    return "\n".join(lines)


# --- plots -------------------------------------------------------------------------------

# colours by model, hatching none: continuations solid, harmonizations lighter
COLOURS = {"Bach": "#444444", "LSTM": "#1f77b4", "GRU": "#2ca02c", "reference": "#d62728",
           "random": "#9467bd", "harmonizer": "#ff7f0e"}


_MARKERS = {"continuation": "o", "harmonization": "s"}


def _colour(row: dict) -> str:
    return COLOURS.get(row["model"], "#8c564b")


def write_plots(res: dict, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.titlesize": 10})
    paths = [_plot_rules(res, folder, plt), _plot_distances(res, folder, plt),
             _plot_distributions(res, folder, plt)]
    plt.close("all")
    return paths


def _row_name(row: dict) -> str:
    if row["group"] == "bach":
        return row["music"]
    kind = "continued" if row["group"] == "continuation" else "harmonized"
    return f"{row['model']}, {kind}, T {row['temperature']:.1f}"


def _plot_rules(res: dict, folder: Path, plt) -> Path:
    rows = res["rows"]
    fig, axes = plt.subplots(3, 3, figsize=(13, 10.5), sharey=True)
    names = [_row_name(r) for r in rows]
    y = np.arange(len(rows))[::-1]
    bach = rows[0]["summary"]
    for ax, rule in zip(axes.flat, RULES):
        values = [r["summary"][rule] for r in rows]
        bars = ax.barh(y, values, color=[_colour(r) for r in rows], height=0.7)
        for bar, row in zip(bars, rows):
            if row["temperature"] not in (None, DEFAULT_TEMPERATURE):
                bar.set_alpha(0.45)
            if row["group"] == "harmonization":
                bar.set_hatch("//")
                bar.set_edgecolor("white")
        ax.axvline(bach[rule], color="black", lw=1, ls="--")
        if bach[rule] > 0:
            ax.axvline(RULE_FACTOR * bach[rule], color="black", lw=1, ls=":")
        top = max(values) or 1.0
        for yy, v in zip(y, values):
            ax.text(v + top * 0.02, yy, f"{v:.2f}", va="center", fontsize=7)
        ax.set_xlim(0, top * 1.25)
        ax.set_title(RULE_TITLES[rule])
        ax.set_yticks(y, names)
        ax.tick_params(axis="y", labelsize=8)
    fig.suptitle("Rules a teacher marks, per 100 chord changes (dashed: Bach; dotted: "
                 f"{RULE_FACTOR}x Bach, the target; pale: other temperatures; hatched: "
                 "harmonizations)")
    fig.tight_layout()
    path = folder / f"{RESULT_NAME}_rules.png"
    return _save_figure(fig, path)


def _save_figure(fig, path: Path) -> Path:  # noqa: ANN001 - a matplotlib Figure
    with atomic_open(path) as file:
        fig.savefig(file, dpi=110, format="png")
    return path


def _plot_distances(res: dict, folder: Path, plt) -> Path:
    rows = res["rows"][1:]
    groups = list(DISTANCE_GROUPS)
    grid = np.array([[np.nan if r["distances"][g] is None else r["distances"][g]
                      for g in groups] + [np.nan if r["mean_distance"] is None
                                          else r["mean_distance"]] for r in rows])
    fig, ax = plt.subplots(figsize=(10.5, 0.42 * len(rows) + 1.8))
    image = ax.imshow(grid, cmap="Reds", aspect="auto", vmin=0,
                      vmax=max(0.05, float(np.nanmax(grid))))
    ax.set_xticks(range(len(groups) + 1), [*groups, "mean"], rotation=20, ha="right")
    ax.set_yticks(range(len(rows)), [_row_name(r) for r in rows])
    high = np.nanmax(grid)
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            if not np.isnan(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.3f}", ha="center", va="center", fontsize=8,
                        color="white" if grid[i, j] > 0.6 * high else "black")
    fig.colorbar(image, ax=ax, label="JS divergence from Bach (bits)", fraction=0.03)
    ax.set_title("How far each distribution lies from Bach's (0: the same)")
    fig.tight_layout()
    path = folder / f"{RESULT_NAME}_distances.png"
    return _save_figure(fig, path)


def _plot_distributions(res: dict, folder: Path, plt) -> Path:
    rows = res["rows"]
    shown = rows[:1] + [r for r in rows if r["temperature"] == DEFAULT_TEMPERATURE
                        and r["group"] == "continuation"]
    shown += [r for r in rows if r["group"] == "harmonization" and r["model"] in
              ("LSTM", "harmonizer", "reference")]
    panels = ["pitch_classes_major", "pitch_classes_minor", "intervals_S", "intervals_B",
              "note_lengths", "motion", "chords", "cadences", "key_regions"]
    fig, axes = plt.subplots(3, 3, figsize=(15, 11))
    for ax, name in zip(axes.flat, panels):
        labels = list(rows[0]["distributions"][name])
        if name == "chords":  # the commonest named chords, then all the rest
            labels = [label for label in labels if label != OTHER_CHORD][:15] + [OTHER_CHORD]
        if name.startswith("intervals"):
            labels = labels[6:-6]  # +-7 semitones: the rest is all but empty
        x = np.arange(len(labels))
        for row in shown:
            dist = row["distributions"][name]
            values = [dist.get(label) or 0.0 for label in labels]
            if row["group"] == "bach":
                ax.bar(x, values, 0.8, color="#bbbbbb", edgecolor="#444444",
                       label=f"{_row_name(row)} (bars)")
            else:
                ax.plot(x, values, marker=_MARKERS[row["group"]], ms=5, lw=1.2,
                        ls="-" if row["group"] == "continuation" else "--",
                        color=_colour(row), label=_row_name(row))
        ax.set_xticks(x, labels, rotation=90 if len(labels) > 9 else 15 if len(labels) == 5
                      else 0, fontsize=8)
        ax.set_title(TITLES[name])
        ax.set_ylabel("share")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=9, frameon=False)
    fig.suptitle("What a listener hears: Bach's test chorales beside the networks' music "
                 "(default temperature; solid: continued, dashed: harmonized)")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    path = folder / f"{RESULT_NAME}_distributions.png"
    return _save_figure(fig, path)


# --- the command -------------------------------------------------------------------------

def settings_from_args(args: argparse.Namespace) -> Settings:
    try:
        temperatures = tuple(float(t) for t in args.temperatures.split(",") if t.strip()) \
            if args.temperatures else ()
    except ValueError:
        raise ModelError(f"--temperatures {args.temperatures!r}: numbers separated by "
                         "commas, e.g. 0.7,1.3") from None
    models = tuple(m.strip() for m in args.models.split(",") if m.strip())
    if not models:
        raise ModelError("--models names at least one network, e.g. lstm,gru")
    reference = None if args.reference == "none" else (args.reference or "default")
    return Settings(chorales=args.chorales, seed_bars=args.seed_bars, bars=args.bars,
                    samples=args.samples, candidates=args.candidates,
                    temperatures=temperatures, models=models, reference=reference,
                    random=not args.no_random, harmonizer=not args.no_harmonizer,
                    seed=args.seed)


def run_report(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    folder = Path(args.out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    from composer.ml.checkpoint import write_json
    from composer.music.corpus import load_corpus

    ids = [e.id for e in load_corpus().split("test")[:settings.chorales]]
    t0 = time.perf_counter()
    print(f"writing and measuring ({len(ids)} test chorales):", file=sys.stderr)
    rows = build_rows(settings, log=lambda m: print(m, file=sys.stderr, flush=True))
    res = result(rows, settings, ids, time.perf_counter() - t0)
    print(format_table(res))
    print()
    print(format_targets(res))
    path = folder / f"{RESULT_NAME}.json"
    markdown = folder / f"{RESULT_NAME}.md"
    written = [path, markdown]
    if not args.no_plots:
        written += write_plots(res, folder)
    write_json(path, res)
    with atomic_open(markdown, "w") as file:
        file.write(format_markdown(res))
    print(f"\nwritten {', '.join(str(p) for p in written)} ({res['seconds']:.0f} s)")
    return 0
