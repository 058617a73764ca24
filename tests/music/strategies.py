"""Hypothesis strategies for scores."""

from hypothesis import strategies as st

from composer.music.keys import KEYS
from composer.music.score import Note, Score, TimeSignature

TIME_SIGNATURES = [TimeSignature(4, 4), TimeSignature(3, 4), TimeSignature(3, 2),
                   TimeSignature(6, 8), TimeSignature(2, 2)]


@st.composite
def voices(draw, max_notes: int = 12, velocity: bool = True):
    notes = []
    cursor = 0
    for _ in range(draw(st.integers(0, max_notes))):
        cursor += draw(st.integers(0, 6))
        duration = draw(st.integers(1, 16))
        vel = draw(st.integers(1, 127)) if velocity else 80
        notes.append(Note(cursor, duration, draw(st.integers(30, 90)), vel))
        cursor += duration
    return tuple(notes)


@st.composite
def scores(draw, whole_bars: bool = False, velocity: bool = True):
    four = tuple(draw(voices(velocity=velocity)) for _ in range(4))
    time_signature = draw(st.sampled_from(TIME_SIGNATURES))
    last = max((v[-1].end for v in four if v), default=0)
    length = last + draw(st.integers(0, 20))
    if whole_bars:
        bar = time_signature.steps_per_bar
        length = max(bar, -(-length // bar) * bar)
    fermatas = frozenset()
    if length:
        fermatas = draw(st.frozensets(st.integers(0, length - 1), max_size=4))
    return Score(
        voices=four,
        tempo=draw(st.integers(3000, 24000)) / 100,
        time_signature=time_signature,
        key=draw(st.none() | st.sampled_from(KEYS)),
        fermatas=fermatas,
        length=length,
    )
