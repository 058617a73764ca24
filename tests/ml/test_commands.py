import pytest

from composer.cli import main
from composer.ml.checkpoint import save_checkpoint
from composer.music.files import read_score, write_score
from composer.music.voice_leading import rule_counts, voice_leading

from .conftest import tiny_model


@pytest.fixture()
def model_file(tmp_path):
    model = tiny_model("lstm", hidden=16)
    path = tmp_path / "tiny.pt"
    save_checkpoint(path, model, model.config, {"command": "test"})
    return path


@pytest.fixture()
def seed_file(tmp_path, small_corpus):
    path = tmp_path / "seed.mid"
    write_score(path, small_corpus.entries[1].score)
    return path


def test_generate_continues_a_seed_file_into_a_midi_file(tmp_path, model_file, seed_file,
                                                         capsys):
    out = tmp_path / "out.mid"
    code = main(["generate", "--from-file", str(seed_file), "--seed-bars", "2", "--bars", "3",
                 "--model", str(model_file), "--candidates", "2", "--seed", "1",
                 "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    score = read_score(out).score
    seed = read_score(seed_file).score
    assert score.length == 5 * seed.steps_per_bar
    assert score.slice(0, 2 * seed.steps_per_bar).voices == \
        seed.slice(0, 2 * seed.steps_per_bar).voices
    assert all(score.voices[v] for v in range(4))
    assert "best of 2 candidates" in capsys.readouterr().out


def test_generate_avoids_parallels_unless_told_to_allow_them(tmp_path, model_file, seed_file):
    def parallels(*flags: str) -> int:
        out = tmp_path / "p.mid"
        assert main(["generate", "--from-file", str(seed_file), "--seed-bars", "2",
                     "--bars", "8", "--model", str(model_file), "--seed", "2", *flags,
                     "-o", str(out)]) == 0
        seed_steps = 2 * read_score(seed_file).score.steps_per_bar
        counts = voice_leading(read_score(out).score, seed_steps)
        return counts.parallel_fifths + counts.parallel_octaves

    assert parallels() == 0
    assert parallels("--allow-parallels") > 0


def test_generate_keeps_the_voicing_rules_unless_told_to_write_freely(tmp_path, model_file,
                                                                      seed_file):
    def faults(*flags: str) -> int:
        out = tmp_path / "v.mid"
        total = 0
        for seed in ("2", "3", "4"):
            assert main(["generate", "--from-file", str(seed_file), "--seed-bars", "2",
                         "--bars", "8", "--model", str(model_file), "--seed", seed, *flags,
                         "-o", str(out)]) == 0
            counts = rule_counts(read_score(out).score,
                                 2 * read_score(seed_file).score.steps_per_bar)
            total += counts.hidden_fifths + counts.hidden_octaves + counts.wide_soprano_alto
        return total

    assert faults() == 0
    assert faults("--free-voicing") > 0


def generate(tmp_path, model_file, seed_file, *flags: str) -> int:
    return main(["generate", "--from-file", str(seed_file), "--model", str(model_file),
                 "--seed", "3", *flags, "-o", str(tmp_path / "out.mid")])


def test_generate_harmonize_keeps_the_soprano_and_writes_the_whole_input_by_default(
        tmp_path, model_file, seed_file, capsys):
    assert generate(tmp_path, model_file, seed_file, "--harmonize", "--candidates", "2") == 0
    seed = read_score(seed_file).score
    out = read_score(tmp_path / "out.mid").score
    assert out.length == seed.length and out.voices[0] == seed.voices[0]
    assert out.voices[1:] != seed.voices[1:]
    assert f"new alto, tenor and bass for bars 1–{seed.bars} of" in capsys.readouterr().out


def test_generate_harmonize_writes_the_voices_named_within_the_region_only(
        tmp_path, model_file, seed_file):
    assert generate(tmp_path, model_file, seed_file, "--harmonize", "--region", "3:4",
                    "--voices", "at") == 0
    seed = read_score(seed_file).score
    out = read_score(tmp_path / "out.mid").score
    start, end = 2 * seed.steps_per_bar, 4 * seed.steps_per_bar
    assert (out.voices[0], out.voices[3]) == (seed.voices[0], seed.voices[3])
    assert out.slice(0, start).voices == seed.slice(0, start).voices
    assert out.slice(end, seed.length).voices == seed.slice(end, seed.length).voices
    assert out.slice(start, end).voices != seed.slice(start, end).voices


def test_generate_region_writes_those_bars_anew_and_keeps_the_rest(
        tmp_path, model_file, seed_file, capsys):
    assert generate(tmp_path, model_file, seed_file, "--region", "2:3", "--voices", "b",
                    "--candidates", "3") == 0
    seed = read_score(seed_file).score
    out = read_score(tmp_path / "out.mid").score
    start, end = seed.steps_per_bar, 3 * seed.steps_per_bar
    assert out.voices[:3] == seed.voices[:3]
    assert out.slice(0, start).voices == seed.slice(0, start).voices
    assert out.slice(end, seed.length).voices == seed.slice(end, seed.length).voices
    text = capsys.readouterr().out
    assert "bass of bars 2–3 of" in text and "of the music after the region" in text


@pytest.mark.parametrize("flags, reason", [
    (["--harmonize", "--bars", "4"], "--bars sets how long a continuation is; --harmonize "
     "writes within the input"),
    (["--region", "2:3", "--bars", "4"], "--bars sets how long a continuation is; --region "
     "writes within the input"),
    (["--harmonize", "--seed-bars", "2"], "--seed-bars cuts a continuation's seed"),
    (["--harmonize", "--phrase-bars", "2"], "--phrase-bars places fermatas in a "
     "continuation's new bars; --harmonize keeps the input's fermatas"),
    (["--region", "1:2", "--phrase-bars", "2"], "--region keeps the input's fermatas"),
    (["--voices", "atb"], "--voices names the voices --harmonize or --region writes; a "
     "continuation writes all four"),
    (["--harmonize", "--voices", "satb"], "name three at most"),
    (["--region", "1:2", "--voices", "sax"], "--voices 'sax': letters s, a, t, b"),
    (["--region", "3:2"], "the first comes before the last"),
    (["--region", "0:2"], "bars count from 1"),
    (["--region", "two"], "--region two: give the first and last bar, e.g. 5:8"),
    (["--harmonize", "--region", "1:99"], "--region 1:99: the input has"),
])
def test_generate_refuses_a_setting_that_does_nothing_in_its_mode_and_says_why(
        tmp_path, model_file, seed_file, capsys, flags, reason):
    assert generate(tmp_path, model_file, seed_file, *flags) == 2
    assert reason in capsys.readouterr().err
    assert not (tmp_path / "out.mid").exists()


def test_generate_with_a_broken_model_file_says_what_is_wrong(tmp_path, seed_file, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_text("nope")
    code = main(["generate", "--from-file", str(seed_file), "--model", str(bad),
                 "-o", str(tmp_path / "x.mid")])
    assert code == 2
    assert "bad.pt" in capsys.readouterr().err


@pytest.mark.parametrize("flags, problem", [
    (["--bars", "0"], "the bars to add must be 1 or more, got 0"),
    (["--seed-bars", "-1"], "the seed bars must be 0 (all of it) or more, got -1"),
    (["--phrase-bars", "-2"], "the phrase bars must be 0 (no fermatas) or more, got -2"),
    (["--candidates", "0"], "candidates must be at least 1, got 0"),
])
def test_generate_refuses_settings_that_cannot_work_and_names_the_rule(
        tmp_path, model_file, seed_file, capsys, flags, problem):
    out = tmp_path / "x.mid"
    assert main(["generate", "--from-file", str(seed_file), "--model", str(model_file),
                 *flags, "-o", str(out)]) == 2
    assert problem in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("flags, problem", [
    (["--batch-size", "0"], "the batch size must be 1 or more, got 0"),
    (["--window", "0"], "the window must be 1 or more, got 0"),
    (["--epochs", "0"], "epochs must be 1 or more, got 0"),
    (["--lr", "-1"], "the learning rate must be above 0, got -1.0"),
    (["--workers", "-1"], "workers must be 0 or more, got -1"),
    (["--max-minutes", "0"], "max minutes must be above 0, got 0.0"),
])
def test_train_refuses_settings_that_cannot_work_before_reading_any_data(
        tmp_path, capsys, flags, problem):
    out = tmp_path / "t.pt"
    assert main(["train", "--cell", "gru", "--limit", "2", "--max-steps", "1", *flags,
                 "-o", str(out)]) == 2
    assert problem in capsys.readouterr().err
    assert not out.exists()


def test_evaluate_refuses_a_json_file_in_a_missing_folder_before_evaluating(
        tmp_path, model_file, capsys):
    target = tmp_path / "no-such-folder" / "table.json"
    assert main(["evaluate", str(model_file), "--json", str(target)]) == 2
    captured = capsys.readouterr()
    assert "its folder does not exist" in captured.err and captured.out == ""


def test_the_generate_report_counts_bars_in_words(tmp_path, model_file, seed_file, capsys):
    assert main(["generate", "--from-file", str(seed_file), "--seed-bars", "1", "--bars", "1",
                 "--model", str(model_file), "-o", str(tmp_path / "one.mid")]) == 0
    assert "1 bar after 1 bar of seed" in capsys.readouterr().out


def test_evaluate_prints_the_model_beside_the_baselines(tmp_path, model_file, chorales, capsys):
    import json

    from composer.music.tokens import pitch_grid

    data = tmp_path / "jsb_data.json"
    grids = [pitch_grid(c.grid).astype(int).tolist() for c in chorales]
    data.write_text(json.dumps({"train": grids[:6], "valid": grids[6:], "test": grids[6:]}))
    out = tmp_path / "table.json"
    code = main(["evaluate", str(model_file), "--data", "jsb", "--jsb-path", str(data),
                 "--reference", str(model_file), "--json", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "repeat previous step" in text and "NLL/note" in text
    rows = json.loads(out.read_text())
    assert len(rows) == 3 and rows[-1]["model"] == "repeat previous step"


def test_new_music_gets_phrase_fermatas_at_the_seed_phrase_length(small_corpus):
    from composer.ml.endings import phrase_fermatas

    score = small_corpus.get("bwv10.7").score  # fermatas 64, 128, 208, 336 (16 steps a bar)
    marks = phrase_fermatas(score, 240, 400)
    assert marks == frozenset({272, 336})  # median gap 4 bars, counted on from 208
    assert phrase_fermatas(score, 240, 400, phrase_bars=2) == frozenset({240, 272, 304, 336,
                                                                         368})
    assert phrase_fermatas(score, 240, 400, phrase_bars=0) == frozenset()
    plain = score.with_meta(fermatas=frozenset())
    assert phrase_fermatas(plain, 64, 128) == frozenset({64, 96})


# --- hostile checkpoints in every command (issue 13) -----------------------------------

def _jsb_file(tmp_path, chorales):
    import json

    from composer.music.tokens import pitch_grid

    data = tmp_path / "jsb_data.json"
    grids = [pitch_grid(c.grid).astype(int).tolist() for c in chorales]
    data.write_text(json.dumps({"train": grids[:6], "valid": grids[6:], "test": grids[6:]}))
    return data


def _hostile(tmp_path, kind: str):
    """A checkpoint made for real the way an attacker or a diverged run would make it."""
    import torch

    model = tiny_model("lstm", hidden=16)
    payload = {"format": "composer-checkpoint", "version": 1,
               "config": model.config.to_dict(),
               "state_dict": {k: v.clone() for k, v in model.state_dict().items()}}
    if kind == "nan":
        payload["state_dict"]["rnn.weight_ih_l0"][0, 0] = float("nan")
    elif kind == "inf":
        payload["state_dict"]["out.bias"][:] = float("inf")
    elif kind == "layers":
        payload["config"]["layers"] = 100_000
    elif kind == "hidden":
        payload["config"]["hidden"] = 200_000
    path = tmp_path / f"{kind}.pt"
    torch.save(payload, path)
    return path


HOSTILE = [("nan", "the weights hold NaN or infinite values (1 of 768 in rnn.weight_ih_l0)"),
           ("inf", "the weights hold NaN or infinite values (130 of 130 in out.bias)"),
           ("layers", "its config cannot be used (layers 100,000 is outside 1 to 16)"),
           ("hidden", "its config cannot be used (hidden 200,000 is outside 1 to 4,096)")]


@pytest.mark.parametrize("kind, problem", HOSTILE)
def test_generate_refuses_a_hostile_checkpoint_and_writes_nothing(tmp_path, seed_file, capsys,
                                                                  kind, problem):
    out = tmp_path / "out.mid"
    path = _hostile(tmp_path, kind)
    assert main(["generate", "--from-file", str(seed_file), "--model", str(path),
                 "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: {problem}" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("kind, problem", HOSTILE)
def test_evaluate_refuses_a_hostile_checkpoint_before_evaluating(tmp_path, chorales, capsys,
                                                                 kind, problem):
    path = _hostile(tmp_path, kind)
    assert main(["evaluate", str(path), "--data", "jsb", "--jsb-path",
                 str(_jsb_file(tmp_path, chorales))]) == 2
    captured = capsys.readouterr()
    assert f"{path}: {problem}" in captured.err and captured.out == ""


@pytest.mark.parametrize("damage, problem", [
    (lambda card: card.write_bytes(b"\xff\xfe{\x00}\x00"), "is not UTF-8 text"),
    (lambda card: card.write_text('"a card"'), "holds a JSON string"),
    (lambda card: card.write_text('[{"format": "composer-checkpoint"}]'), "holds a JSON list"),
    (lambda card: card.write_text("3.5"), "holds a JSON number"),
    (lambda card: card.write_text('{"format": "composer-checkpoint", "data": '),
     "is not JSON"),
    (lambda card: (card.unlink(), card.mkdir()), "is a folder, not a file"),
    (lambda card: card.write_text('{"format": "composer-checkpoint", "config": {}, '
                                  '"data": "corpus"}'), "has a str for 'data'"),
])
def test_evaluate_reports_a_damaged_card_and_evaluates_the_weights(
        tmp_path, model_file, chorales, capsys, damage, problem):
    import json

    from composer.ml.checkpoint import card_path

    damage(card_path(model_file))
    out = tmp_path / "table.json"
    assert main(["evaluate", str(model_file), "--data", "jsb", "--jsb-path",
                 str(_jsb_file(tmp_path, chorales)), "--json", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"composer: warning: the card {card_path(model_file)} {problem}" in captured.err
    assert "Traceback" not in captured.err and "NLL/note" in captured.out
    rows = json.loads(out.read_text())
    assert rows[0]["trained_on"] is None and rows[0]["nll_token"] > 0


TRAIN = ["train", "--cell", "gru", "--hidden", "16", "--layers", "1", "--embed", "8",
         "--window", "16", "--batch-size", "8", "--windows-per-epoch", "8", "--threads", "1",
         "--data", "jsb"]


@pytest.mark.parametrize("kind, problem", HOSTILE)
def test_train_resume_refuses_a_hostile_checkpoint_before_reading_any_data(
        tmp_path, capsys, kind, problem):
    path = _hostile(tmp_path, kind)
    out = tmp_path / "t.pt"
    assert main([*TRAIN, "--jsb-path", str(tmp_path / "no-such-data.json"), "--resume",
                 str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: {problem}" in err and "no-such-data" not in err
    assert not out.exists()


def _resume_file(tmp_path, spoil):
    """A resume file as a run writes it, with its optimizer state spoiled by `spoil`."""
    import torch

    model = tiny_model("gru", layers=1, hidden=16)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    loss = sum(p.sum() for p in model.parameters())
    loss.backward()
    opt.step()
    state = opt.state_dict()
    spoil(state["state"])
    path = tmp_path / "spoiled.resume.pt"
    save_checkpoint(path, model, model.config, {"command": "test"},
                    {"optimizer": state, "epoch": 1, "step": 8, "best_nll": 3.0,
                     "elapsed": 1.0})
    return path


@pytest.mark.parametrize("spoil, problem", [
    (lambda s: s[2]["exp_avg"].fill_(float("nan")),
     "the optimizer's exp_avg of parameter 2 holds NaN or infinite values"),
    (lambda s: s[0].update(exp_avg_sq=s[0]["exp_avg_sq"][:5]),
     "the optimizer's exp_avg_sq of parameter 0 has shape (5, 12) where the parameter has "
     "(131, 12)"),
    (lambda s: s.update({99: {}}),
     "the optimizer holds state for a parameter 99 this network does not have"),
])
def test_train_resume_refuses_a_spoiled_optimizer_state(tmp_path, chorales, capsys, spoil,
                                                       problem):
    path = _resume_file(tmp_path, spoil)
    out = tmp_path / "t.pt"
    assert main([*TRAIN, "--jsb-path", str(_jsb_file(tmp_path, chorales)), "--resume",
                 str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: its training state cannot be resumed ({problem}" in err
    assert not out.exists()


def test_train_resume_goes_on_past_a_damaged_card_and_says_so(tmp_path, chorales, capsys):
    from composer.ml.checkpoint import card_path, load_checkpoint
    from composer.ml.train import resume_path

    data, out = str(_jsb_file(tmp_path, chorales)), tmp_path / "t.pt"
    assert main([*TRAIN, "--jsb-path", data, "--epochs", "1", "-o", str(out)]) == 0
    card_path(resume_path(out)).write_text("[1, 2]")
    capsys.readouterr()
    assert main([*TRAIN, "--jsb-path", data, "--epochs", "2", "--resume",
                 str(resume_path(out)), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "holds a JSON list" in captured.out and "the new card lists no earlier epochs" \
        in captured.out
    assert load_checkpoint(out).card_problem is None
