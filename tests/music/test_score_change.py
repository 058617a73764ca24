"""A ScoreChange turns the score before an edit into the one after and back, exactly, while
holding only what the edit changed."""

from hypothesis import given, settings
from hypothesis import strategies as st

from composer.music.score import Note, Score
from composer.music.score_change import ScoreChange
from tests.music.strategies import scores


@settings(max_examples=200, deadline=None)
@given(scores(), scores())
def test_a_change_applies_and_reverts_exactly(before, after):
    change = ScoreChange.between(before, after)
    assert change.apply(before) == after
    assert change.revert(after) == before


@given(scores(), st.integers(0, 3), st.integers(0, 200), st.integers(40, 80))
def test_an_added_note_is_all_a_change_holds_of_its_voice(score, voice, start, pitch):
    after = score.add_note(voice, Note(start, 2, pitch))
    change = ScoreChange.between(score, after)
    new = Note(start, 2, pitch)
    for held in change.voices:  # only notes the new one overlaps leave, cut back or whole
        assert all(n.start < new.end and n.end > new.start for n in held.removed)
        assert all(n == new or any((n.start, n.end) in ((old.start, new.start),
                                                        (new.end, old.end))
                                   for old in held.removed) for n in held.added)
        assert new in held.added
    assert change.revert(after) == score


def test_a_change_of_metadata_alone_touches_no_voice():
    score = Score(((Note(0, 4, 60),), (), (), ()), tempo=90.0)
    change = ScoreChange.between(score, score.with_meta(tempo=60.0, key="G major"))
    assert change.voices == ()
    assert change.apply(score) == score.with_meta(tempo=60.0, key="G major")
