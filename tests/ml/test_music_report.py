"""`composer evaluate-music` on a tiny run: one table printed, the JSON and the plots
written, the same again with the same seed, and settings that cannot work refused."""

import json

import pytest

from composer.cli import main


def _run(tmp_path, capsys, *extra: str) -> tuple[int, str, dict | None]:
    out = tmp_path / "results"
    code = main(["evaluate-music", "--chorales", "2", "--seed-bars", "2", "--bars", "2",
                 "--samples", "1", "--temperatures", "0.8", "--out-dir", str(out), *extra])
    printed = capsys.readouterr().out
    path = out / "music_quality.json"
    return code, printed, json.loads(path.read_text()) if path.exists() else None


def _rows(result: dict) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "seconds"} for r in result["rows"]]


def test_evaluate_music_prints_one_table_and_writes_it_with_plots(tmp_path, capsys):
    code, printed, result = _run(tmp_path, capsys)
    assert code == 0
    assert "parallel 5ths" in printed and "JS divergence from Bach" in printed
    assert "Targets" in printed
    names = [r["music"] for r in result["rows"]]
    assert names[:2] == ["Bach, test chorales", "Bach, bars 3-4"]
    for expected in ("LSTM, continued, T 1.0", "LSTM, continued, T 0.8",
                     "GRU, harmonized, T 1.0", "reference, continued, T 1.0",
                     "reference, harmonized, T 1.0", "random, harmonized, T 1.0"):
        assert expected in names
    bach = result["rows"][0]
    assert bach["pieces"] == 2 and all(v == 0 for v in bach["distances"].values())
    assert all(r["pieces"] == 2 for r in result["rows"][2:])
    for row in result["rows"]:
        shares = row["distributions"]["note_lengths"]
        assert sum(shares.values()) == pytest.approx(1, abs=1e-4)
    checked = {t["music"] for t in result["targets"]}
    assert checked == {"LSTM, continued, T 1.0", "GRU, continued, T 1.0",
                       "LSTM, harmonized, T 1.0", "GRU, harmonized, T 1.0",
                       "harmonizer, harmonized, T 1.0"}  # what Harmonize uses
    folder = tmp_path / "results"
    assert (folder / "music_quality.md").read_text().startswith("| music |")
    for plot in ("rules", "distances", "distributions"):
        assert (folder / f"music_quality_{plot}.png").stat().st_size > 10_000


def test_the_same_seed_gives_the_same_report(tmp_path, capsys):
    first = _run(tmp_path, capsys, "--no-plots", "--no-random", "--reference", "none",
                 "--models", "gru")
    second = _run(tmp_path, capsys, "--no-plots", "--no-random", "--reference", "none",
                  "--models", "gru")
    assert first[0] == second[0] == 0
    assert _rows(first[2]) == _rows(second[2])
    assert not list((tmp_path / "results").glob("*.png"))
    other = _run(tmp_path, capsys, "--no-plots", "--no-random", "--reference", "none",
                 "--models", "gru", "--seed", "1")
    assert _rows(other[2])[2:] != _rows(first[2])[2:]


@pytest.mark.parametrize("flags, words", [
    (["--samples", "0"], "--samples"),
    (["--temperatures", "0.7,hot"], "--temperatures"),
    (["--temperatures", "0"], "temperatures must be above 0"),
    (["--reference", "no/such.pt"], "no reference checkpoint"),
    (["--models", ","], "--models"),
])
def test_settings_that_cannot_work_are_refused_and_nothing_is_written(tmp_path, capsys,
                                                                      flags, words):
    code = main(["evaluate-music", "--out-dir", str(tmp_path / "out"), *flags])
    assert code == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "out" / "music_quality.json").exists()
