"""Endings: how often new music ends on the key's tonic chord with the tonic in the bass, as
Bach's chorales do: ours against Bach's own last chords and against the networks left to
end where they like.

Bach: the last chord of every chorale of our corpus's test split, against its declared key.
Continuations: each test chorale with at least SEED_BARS + BARS bars, its first SEED_BARS
bars continued by BARS bars (composer.ml.operations.continue_score; the seed's declared
key), SAMPLES times. Harmonizations: each test chorale's soprano alone, given new alto,
tenor and bass over the whole chorale (operations.harmonize). Beside ours, in the same run:
the sampler with no cadence (phrase fermatas only, as `composer generate` did before), with
only the fermata on the last bar's downbeat (is the network's fermata flag enough?), and
for the harmonizations the sampler writing the three voices with nothing forced (as
`--harmonize` did before).

Columns: the share ending on the tonic; the share with a fermata on the final chord; the
share whose chord at the last fermata is the tonic chord, tonic in the bass; the
LSTM's (or the GRU's) NLL per token written in the last bar, in nats (how natural it finds
the ending; for Bach, all four voices of his last bar); parallel fifths and octaves into
the final chord per 100 endings.

    .venv/bin/python benchmarks/bench_endings.py [--samples 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from composer.ml import operations  # noqa: E402
from composer.ml.checkpoint import write_json  # noqa: E402
from composer.ml.endings import cadence_fermatas, final_bar_onset  # noqa: E402
from composer.ml.generate import first_bars, load_sampler  # noqa: E402
from composer.ml.sampling import SamplingOptions  # noqa: E402
from composer.music.corpus import load_corpus  # noqa: E402
from composer.music.score import Score  # noqa: E402
from composer.music.tonality import ends_on_tonic, final_chord, tonic_chord  # noqa: E402
from composer.music.voice_leading import voice_leading  # noqa: E402

SEED_BARS = 4
BARS = 8


@dataclass
class Tally:
    endings: int = 0
    tonic: int = 0
    fermata: int = 0
    tonic_at_fermata: int = 0
    parallels: int = 0
    nll: float = 0.0
    tokens: int = 0

    def add(self, score: Score, key: str, last_bar: np.ndarray) -> None:
        """`last_bar`: log-probabilities of the last bar's tokens, nan where not written."""
        chord = final_chord(score)
        self.endings += 1
        self.tonic += ends_on_tonic(score, key)
        self.tonic_at_fermata += tonic_at_last_fermata(score, key)
        if chord is not None:
            self.fermata += chord.onset in score.fermatas
            counts = voice_leading(score, chord.onset, chord.onset + 1)
            self.parallels += counts.parallel_fifths + counts.parallel_octaves
        written = last_bar[np.isfinite(last_bar)]
        self.nll -= float(written.sum())
        self.tokens += written.size

    def row(self, group: str, label: str) -> dict:
        n = max(1, self.endings)
        return {"group": group, "music": label, "endings": self.endings,
                "on_tonic": round(self.tonic / n, 4),
                "fermata_on_final_chord": round(self.fermata / n, 4),
                "tonic_at_last_fermata": round(self.tonic_at_fermata / n, 4),
                "last_bar_nll_per_token": round(self.nll / max(1, self.tokens), 4),
                "parallels_into_final_chord_per_100": round(100 * self.parallels / n, 2)}


def tonic_at_last_fermata(score: Score, key: str) -> bool:
    if not score.fermatas:
        return False
    step = max(score.fermatas)
    pitches = [score.note_at(v, step) for v in range(4)]
    if None in pitches:
        return False
    chord = tonic_chord(key)
    return pitches[3].pitch % 12 == chord.tonic and all(chord.fits(n.pitch) for n in pitches)


def last_bar(lp: np.ndarray, steps_per_bar: int) -> np.ndarray:
    return lp[-steps_per_bar:]


def continuations(entry, samplers, samples: int, tallies: dict[str, Tally]) -> None:
    seed = first_bars(entry.score, SEED_BARS)
    bar = seed.steps_per_bar
    start, end = seed.length, seed.length + BARS * bar
    onset = final_bar_onset(start, end, bar)
    flagged = seed.with_meta(length=end,
                             fermatas=seed.fermatas | cadence_fermatas(seed, start, onset))
    for sample in range(samples):
        options = SamplingOptions(seed=sample)
        for name, sampler in samplers.items():
            ours = operations.continue_score(sampler, seed, BARS, options).best
            tallies[f"{name}, ours"].add(ours.score, seed.key,
                                         last_bar(ours.token_log_probs, bar))
        lstm = samplers["LSTM"]
        best = operations.continue_score(lstm, seed, BARS,
                                         SamplingOptions(seed=sample, candidates=4)).best
        tallies["LSTM, ours, best of 4"].add(best.score, seed.key,
                                             last_bar(best.token_log_probs, bar))
        plain = operations.continue_score(lstm, seed, BARS, options, ending=False).best
        tallies["LSTM, no cadence (before)"].add(plain.score, seed.key,
                                                 last_bar(plain.token_log_probs, bar))
        flag = lstm.generate(flagged, start, end, options=options)
        tallies["LSTM, final fermata only"].add(flag.score, seed.key,
                                                last_bar(flag.token_log_probs[0], bar))


def harmonizations(entry, samplers, samples: int, tallies: dict[str, Tally]) -> None:
    score = entry.score
    tune = score.with_meta(voices=(score.voices[0], (), (), ()))
    bar = score.steps_per_bar
    for sample in range(samples):
        options = SamplingOptions(seed=sample)
        for name, sampler in samplers.items():
            ours = operations.harmonize(sampler, tune, (0,), 0, tune.length, options).best
            tallies[f"{name}, ours"].add(ours.score, score.key,
                                         last_bar(ours.token_log_probs, bar))
        free = samplers["LSTM"].generate(tune, 0, tune.length, voices=(1, 2, 3),
                                         options=options)
        tallies["LSTM, nothing forced (before)"].add(free.score, score.key,
                                                     last_bar(free.token_log_probs[0], bar))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3, help="endings per chorale and row")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "endings.json"))
    args = parser.parse_args()

    test = load_corpus().split("test")
    samplers = {"LSTM": load_sampler("lstm"), "GRU": load_sampler("gru")}
    t0 = time.perf_counter()
    bach = Tally()
    for entry in test:
        lp = operations.token_log_probs(samplers["LSTM"], entry.score)
        bach.add(entry.score, entry.key, last_bar(lp, entry.score.steps_per_bar))
    long_enough = [e for e in test if e.score.bars >= SEED_BARS + BARS]
    cont: dict[str, Tally] = {k: Tally() for k in (
        "LSTM, ours", "GRU, ours", "LSTM, ours, best of 4", "LSTM, no cadence (before)",
        "LSTM, final fermata only")}
    harm: dict[str, Tally] = {k: Tally() for k in (
        "LSTM, ours", "GRU, ours", "LSTM, nothing forced (before)")}
    for entry in long_enough:
        continuations(entry, samplers, args.samples, cont)
    for entry in test:
        harmonizations(entry, samplers, args.samples, harm)
    elapsed = time.perf_counter() - t0

    rows = [bach.row("Bach", f"Bach's last chords ({len(test)} test chorales)")]
    rows += [t.row("continuation", k) for k, t in cont.items()]
    rows += [t.row("harmonization", k) for k, t in harm.items()]
    print(f"\nEndings: Bach's {len(test)} test chorales; continuations of {BARS} bars after "
          f"{SEED_BARS} of the {len(long_enough)} with {SEED_BARS + BARS}+ bars, and "
          f"harmonizations of all {len(test)} sopranos, {args.samples} each")
    print(f"{'group':14} {'music':38} {'n':>4} {'tonic':>7} {'fermata':>8} "
          f"{'tonic@f':>8} {'NLL/tok':>8} {'par/100':>8}")
    for r in rows:
        print(f"{r['group']:14} {r['music']:38} {r['endings']:4d} {r['on_tonic']:7.1%} "
              f"{r['fermata_on_final_chord']:8.1%} {r['tonic_at_last_fermata']:8.1%} "
              f"{r['last_bar_nll_per_token']:8.3f} "
              f"{r['parallels_into_final_chord_per_100']:8.1f}")
    write_json(args.out, {
        "benchmark": "endings", "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "seed_bars": SEED_BARS, "bars": BARS, "samples_per_chorale": args.samples,
        "test_chorales": [e.id for e in test],
        "continued_chorales": [e.id for e in long_enough],
        "seconds": round(elapsed, 1), "rows": rows})
    print(f"\nwritten {Path(args.out).resolve().relative_to(ROOT)} ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
