import numpy as np
from hypothesis import given, settings

from composer.music.score import Note, Score, TimeSignature
from composer.music.tokens import (
    HOLD,
    REST,
    decode,
    encode,
    grid_from_pitches,
    note_token,
    pitch_grid,
)

from .strategies import scores


@settings(max_examples=200, deadline=None)
@given(scores())
def test_score_tokens_score_round_trip_is_exact(score):
    assert decode(encode(score), velocity=80) == _flat_velocity(score)


def _flat_velocity(score: Score) -> Score:
    voices = tuple(tuple(Note(n.start, n.duration, n.pitch) for n in v) for v in score.voices)
    return score.with_meta(voices=voices)


def test_repeated_notes_stay_repeated_and_held_notes_stay_held():
    repeated = Score(voices=((Note(0, 2, 60), Note(2, 2, 60)), (), (), ()))
    held = Score(voices=((Note(0, 4, 60),), (), (), ()))
    assert encode(repeated).grid[:, 0].tolist() == [note_token(60), HOLD, note_token(60), HOLD]
    assert encode(held).grid[:, 0].tolist() == [note_token(60), HOLD, HOLD, HOLD]
    assert decode(encode(repeated)) == repeated and decode(encode(held)) == held


def test_flat_sequence_reads_satb_of_each_step_and_positions_follow_the_bar():
    score = Score(voices=((Note(0, 1, 72),), (Note(0, 1, 67),), (Note(0, 1, 64),),
                          (Note(1, 1, 48),)), time_signature=TimeSignature(3, 4), length=14)
    tokens = encode(score)
    assert tokens.flat()[:8].tolist() == [note_token(72), note_token(67), note_token(64), REST,
                                          REST, REST, REST, note_token(48)]
    assert tokens.positions().tolist() == list(range(12)) + [0, 1]


def test_pitch_grid_counts_held_pitch_and_grid_from_pitches_holds_equal_neighbours():
    score = Score(voices=((Note(0, 2, 60), Note(3, 1, 62)), (), (), ()))
    pitches = pitch_grid(encode(score).grid)
    assert pitches[:, 0].tolist() == [60, 60, -1, 62]
    back = grid_from_pitches(pitches)
    assert np.array_equal(back, encode(score).grid)
