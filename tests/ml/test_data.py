import json

import numpy as np
import pytest

from composer.ml.data import (
    JSB_ENV,
    WindowDataset,
    allowed_transpositions,
    fingerprint,
    jsb_chorales,
    sequence_inputs,
    transpose_grid,
    voice_states,
)
from composer.ml.errors import ModelError
from composer.ml.model import BOS, HELD, SILENT, START
from composer.music.score import VOICE_RANGES
from composer.music.tokens import HOLD, NOTE_OFFSET, REST, note_token


def test_voice_states_tell_struck_held_and_silent_notes_apart():
    grid = np.array([[note_token(60), REST, REST, REST],
                     [HOLD, REST, REST, REST],
                     [note_token(62), REST, REST, REST]])
    states = voice_states(grid)
    assert states[:, 0].tolist() == [note_token(60), HELD + 60, note_token(62)]
    assert states[:, 1].tolist() == [SILENT] * 3


def test_inputs_shift_tokens_by_one_and_describe_the_token_to_predict(chorales):
    c = chorales[0]
    inputs = sequence_inputs(c.grid, c.fermata, c.steps_per_bar)
    assert inputs["tokens"][0] == BOS
    assert (inputs["tokens"][1:] == c.grid.reshape(-1)[:-1]).all()
    assert (inputs["targets"] == c.grid.reshape(-1)).all()
    assert inputs["voices"][:8].tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    assert (inputs["states"][:4] == START).all()
    assert (inputs["states"][4:8] == voice_states(c.grid)[0]).all()


def test_every_window_matches_the_same_stretch_of_the_whole_chorale(chorales):
    """A window opening on held notes still knows what is held."""
    data = WindowDataset(chorales[:3], window_steps=16, seed=3, transpose=False)
    whole = [sequence_inputs(c.grid, c.fermata, c.steps_per_bar) for c in chorales[:3]]
    for i in range(20):
        item = {k: v.numpy() for k, v in data[i].items()}
        found = False
        for full in whole:
            for s in range(0, len(full["targets"]) - 64 + 1, 4):
                if all((full[k][s:s + 64] == item[k]).all() for k in full):
                    found = True
                    break
        assert found, f"window {i} is not a stretch of any chorale"


def test_transpositions_keep_every_voice_in_range(chorales):
    for c in chorales:
        shifts = allowed_transpositions(c.grid)
        assert 0 in shifts and len(shifts) > 1
        for s in shifts:
            g = transpose_grid(c.grid, s)
            for v, (lo, hi) in enumerate(VOICE_RANGES):
                col = g[:, v]
                pitches = col[col >= NOTE_OFFSET] - NOTE_OFFSET
                orig = c.grid[:, v][c.grid[:, v] >= NOTE_OFFSET] - NOTE_OFFSET
                assert pitches.min() >= min(lo, orig.min())
                assert pitches.max() <= max(hi, orig.max())


def test_windows_are_reproducible_and_differ_between_epochs(chorales):
    a = WindowDataset(chorales, window_steps=32, seed=7)
    b = WindowDataset(chorales, window_steps=32, seed=7)
    assert all((a[i]["targets"] == b[i]["targets"]).all() for i in range(5))
    b.set_epoch(1)
    assert any((a[i]["targets"] != b[i]["targets"]).any() for i in range(5))


def test_fingerprint_changes_with_the_data(chorales):
    assert fingerprint(chorales) == fingerprint(list(chorales))
    assert fingerprint(chorales) != fingerprint(chorales[1:])


def test_the_jsb_set_is_found_by_its_environment_variable_and_named_when_missing(
        tmp_path, monkeypatch):
    data = tmp_path / "jsb.json"
    data.write_text(json.dumps({"test": [[[72, 67, 64, 48]] * 8]}))
    monkeypatch.setenv(JSB_ENV, str(data))
    assert [c.steps for c in jsb_chorales("test")] == [8]
    monkeypatch.setenv(JSB_ENV, str(tmp_path / "absent.json"))
    with pytest.raises(ModelError, match=f"absent.json: pass --jsb-path, or set {JSB_ENV}"):
        jsb_chorales("test")
