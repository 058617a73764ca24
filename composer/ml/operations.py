"""What the network does for a person, the same in the app and on the command line:
continue a score, harmonize a tune, regenerate a passage, and read an existing score (how
likely it finds each note, what it would have written instead).

Each writing operation returns Candidates best first, each the whole score with that
candidate in place, so a caller shows, plays or applies one without knowing how it was
made, under the name its undo step takes. Scores are immutable, so the input is never
changed; a cancelled operation raises composer.work.Cancelled and makes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch

from composer.ml.blas import single_thread
from composer.ml.data import kept_inputs, sequence_inputs, voice_states
from composer.ml.endings import (
    Cadence,
    cadence_fermatas,
    final_bar_onset,
    last_chord,
    phrase_fermatas,
    plan_cadence,
)
from composer.ml.errors import ModelError
from composer.ml.sampling import Generation, Sampler, SamplingOptions
from composer.music.score import VOICE_SHORT, Note, Score
from composer.music.tokens import HOLD, NOTE_OFFSET, REST, encode
from composer.music.tonality import score_key
from composer.work import Cancel, Cancelled, Progress

ALL_VOICES = (0, 1, 2, 3)


@dataclass(frozen=True)
class Candidate:
    score: Score  # the whole score with this candidate in place
    log_likelihood: float  # what ranks it (nats; higher is better)
    token_log_probs: np.ndarray  # (end - start, 4): the network's log-prob of each token it
    # wrote; nan where a token was forced or kept


@dataclass(frozen=True)
class Candidates:
    kind: str  # "continue" | "harmonize" | "regenerate"
    start: int  # first step written
    end: int  # step after the last written
    voices: tuple[int, ...]  # the voices written (0-3 = S A T B)
    items: tuple[Candidate, ...]  # best first
    name: str  # the undo step's: "Continue 8 bars", "Regenerate bars 3–4 (A, T)"
    ranked_by: str = "region"  # the likelihood of the written music, or "after": of the
    # fixed music after it
    key: str | None = None  # the key whose tonic the music ends on, where it writes the
    # score's last chord

    @property
    def best(self) -> Candidate:
        return self.items[0]


def continue_score(sampler: Sampler, score: Score, bars: int, options: SamplingOptions, *,
                   from_step: int | None = None, phrase_bars: int | None = None,
                   ending: bool = True, progress: Progress | None = None,
                   cancel: Cancel | None = None) -> Candidates:
    """`bars` new bars after `from_step` (default: the end), replacing what followed it.
    Phrases end on fermatas (endings.phrase_period); with `ending` the last new bar is the
    final cadence on the tonic, without it music that goes on."""
    if bars < 1:
        raise ModelError(f"the bars to add must be 1 or more, got {bars}")
    start = score.length if from_step is None else from_step
    if not 0 <= start <= score.length:
        raise ModelError(f"cannot continue from step {start}: the score has steps 0-"
                         f"{score.length}")
    seed = score.slice(0, start)
    end = start + bars * score.steps_per_bar
    onset = final_bar_onset(start, end, score.steps_per_bar)
    key = score_key(seed) if ending else None
    cadence = plan_cadence(seed, onset, end, end, ALL_VOICES, key, options.ranges) \
        if key else None
    marks = (cadence_fermatas(seed, start, onset, phrase_bars) if cadence
             else phrase_fermatas(seed, start, end, phrase_bars))
    extended = seed.with_meta(length=end, fermatas=seed.fermatas | marks)
    generation = sampler.generate(extended, start, end, options=options, progress=progress,
                                  cancel=cancel, choices=cadence and cadence.choices)
    return _candidates("continue", generation, ALL_VOICES, f"Continue {_count(bars)}",
                       cadence)


def harmonize(sampler: Sampler, score: Score, keep: Iterable[int], start: int, end: int,
              options: SamplingOptions, *, progress: Progress | None = None,
              cancel: Cancel | None = None) -> Candidates:
    """The voices not in `keep` written anew over start..end and nowhere else; the kept
    ones stay note for note."""
    kept = _voices(keep)
    written = tuple(v for v in ALL_VOICES if v not in kept)
    if not kept or not written:
        raise ModelError("harmonizing keeps at least one voice and writes at least one")
    name = f"Harmonize {_bars(score, start, end)}"
    return _rewrite("harmonize", sampler, score, start, end, written, options, name,
                    progress, cancel)


def regenerate(sampler: Sampler, score: Score, start: int, end: int, voices: Iterable[int],
               options: SamplingOptions, *, progress: Progress | None = None,
               cancel: Cancel | None = None) -> Candidates:
    """`voices` written anew over start..end, the music around them fixed; candidates
    ranked by how likely they make the music after the region."""
    written = _voices(voices)
    if not written:
        raise ModelError("regenerating needs at least one voice to write")
    names = "" if written == ALL_VOICES else f" ({', '.join(VOICE_SHORT[v] for v in written)})"
    name = f"Regenerate {_bars(score, start, end)}{names}"
    return _rewrite("regenerate", sampler, score, start, end, written, options, name,
                    progress, cancel)


def _rewrite(kind: str, sampler: Sampler, score: Score, start: int, end: int,
             written: tuple[int, ...], options: SamplingOptions, name: str,
             progress: Progress | None, cancel: Cancel | None) -> Candidates:
    if not 0 <= start < end <= score.length:
        raise ModelError(f"the steps to write, {start}-{end}, are not a span of the score's "
                         f"0-{score.length}")
    chord = last_chord(score, written)
    cadence = None
    if chord is not None and start <= chord.onset and chord.end <= end:
        key = score_key(score)
        if key is not None:
            cadence = plan_cadence(score, chord.onset, chord.end, end, written, key,
                                   options.ranges)
    generation = sampler.generate(score, start, end, voices=written, options=options,
                                  progress=progress, cancel=cancel,
                                  choices=cadence and cadence.choices)
    return _candidates(kind, generation, written, name, cadence)


def _candidates(kind: str, generation: Generation, voices: tuple[int, ...], name: str,
                cadence: Cadence | None) -> Candidates:
    items = tuple(Candidate(s, ll, lp) for s, ll, lp in zip(
        generation.scores, generation.log_likelihoods, generation.token_log_probs))
    return Candidates(kind, generation.start, generation.end, voices, items, name,
                      generation.ranked_by, cadence and cadence.key)


def _voices(voices: Iterable[int]) -> tuple[int, ...]:
    chosen = tuple(sorted(set(voices)))
    if any(v not in ALL_VOICES for v in chosen):
        raise ModelError(f"voices are 0-3 (S, A, T, B), got {list(chosen)}")
    return chosen


def _count(bars: int) -> str:
    return f"{bars} bar" if bars == 1 else f"{bars} bars"


def _bars(score: Score, start: int, end: int) -> str:
    """1-based bars, as the ruler numbers them: "bar 5", "bars 5–8"."""
    first, last = start // score.steps_per_bar + 1, (end - 1) // score.steps_per_bar + 1
    return f"bar {first}" if first == last else f"bars {first}–{last}"


# --- reading a score ---------------------------------------------------------------------

@dataclass(frozen=True)
class NoteScores:
    probability: dict[tuple[int, Note], float]  # (voice, note) -> the probability the
    # network gave the note's onset token, given everything before it


def score_notes(sampler: Sampler, score: Score, *, cancel: Cancel | None = None
                ) -> NoteScores:
    """How likely the network finds each note where it stands: one forward pass."""
    if cancel is not None and cancel():
        raise Cancelled("scoring cancelled")
    chosen = np.exp(token_log_probs(sampler, score))
    if cancel is not None and cancel():
        raise Cancelled("scoring cancelled")
    return NoteScores({(v, n): float(chosen[n.start, v]) for v, n in score.notes()})


def token_log_probs(sampler: Sampler, score: Score) -> np.ndarray:
    """(steps, 4): the log-probability the network gives each token of the score (REST,
    HOLD or a note's onset), given every token before it."""
    tokens = encode(score)
    grid = tokens.grid.astype(np.int64)
    if grid.size == 0:
        return np.zeros(grid.shape)
    log_p = _log_probs(sampler, grid, tokens.fermata, score.steps_per_bar)
    flat = grid.reshape(-1)
    return log_p[np.arange(flat.size), flat].reshape(grid.shape)


def alternatives(sampler: Sampler, score: Score, voice: int, step: int, count: int = 5
                 ) -> list[tuple[int | None, float]]:
    """What the network would put at `step` in `voice`, given the music before: (pitch, or
    None for a rest; probability), best first. Holding the previous note is not offered:
    it starts nothing that could stand in the note's place."""
    if voice not in ALL_VOICES or not 0 <= step < score.length:
        raise ModelError(f"no step {step} in voice {voice} of a score of {score.length} steps")
    tokens = encode(score)
    grid = tokens.grid[:step + 1].astype(np.int64)
    p = np.exp(_log_probs(sampler, grid, tokens.fermata[:step + 1],
                          score.steps_per_bar)[step * 4 + voice])
    best = [t for t in np.argsort(-p, kind="stable") if t != HOLD][:count]
    return [(None if t == REST else int(t) - NOTE_OFFSET, float(p[t])) for t in best]


def _log_probs(sampler: Sampler, grid: np.ndarray, fermata: np.ndarray, steps_per_bar: int
               ) -> np.ndarray:
    """(steps * 4, vocabulary) log-probabilities of every token, in the flat S, A, T, B
    order, each given the tokens before it."""
    inputs = sequence_inputs(grid, fermata, steps_per_bar)
    if sampler.harmonizer:  # read as a harmonizer told nothing is kept: its best guess
        inputs["kept"] = kept_inputs(voice_states(grid), ())
    with single_thread(), torch.no_grad():
        logits, _ = sampler.model({k: torch.from_numpy(v)[None] for k, v in inputs.items()})
        return torch.log_softmax(logits[0].double(), -1).numpy()
