import os
import subprocess
import sys

import pretty_midi
import pytest

from composer.cli import main
from composer.music.corpus import cache_path, save_corpus
from composer.music.files import read_score


@pytest.fixture
def cached_corpus(tmp_path, monkeypatch, small_corpus):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    save_corpus(small_corpus, cache_path())
    return small_corpus


def test_corpus_list_shows_id_bwv_key_bars_and_title(cached_corpus, capsys):
    assert main(["corpus", "list"]) == 0
    out = capsys.readouterr().out
    assert "bwv269" in out and "Aus meines Herzens Grunde" in out and "G major" in out
    assert len(out.strip().splitlines()) == len(cached_corpus.entries) + 1


def _env_of_a_ci_runner() -> dict[str, str]:
    # pyfluidsynth prints the library it found on stdout, at import, when CI is set
    return {**os.environ, "CI": "true"}


def test_corpus_list_into_a_closed_pipe_stops_quietly(cached_corpus):
    # `true` exits before Python has started, as `head` does once it has its lines
    shell = f"'{sys.executable}' -m composer corpus list | true"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True,
                          text=True, timeout=60, env=_env_of_a_ci_runner())
    assert "Error" not in done.stderr and "Traceback" not in done.stderr
    assert done.returncode == 141  # as a tool that SIGPIPE stops


def test_corpus_list_stdout_holds_only_the_table_on_a_ci_runner(cached_corpus):
    done = subprocess.run([sys.executable, "-m", "composer", "corpus", "list"],
                          capture_output=True, text=True, timeout=60, env=_env_of_a_ci_runner())
    assert done.returncode == 0
    assert done.stdout.splitlines()[0].split()[:2] == ["id", "BWV"]


def test_corpus_list_filters_by_text(cached_corpus, capsys):
    main(["corpus", "list", "Herzliebster"])
    lines = capsys.readouterr().out.strip().splitlines()[1:]
    assert [line.split()[0] for line in lines] == ["bwv244.3", "bwv244.46"]


def test_corpus_export_writes_four_track_midi_and_musicxml(cached_corpus, tmp_path):
    assert main(["corpus", "export", "269", "-o", str(tmp_path / "c.mid")]) == 0
    midi = pretty_midi.PrettyMIDI(str(tmp_path / "c.mid"))
    assert [i.name for i in midi.instruments] == ["Soprano", "Alto", "Tenor", "Bass"]
    assert main(["corpus", "export", "bwv269", "-o", str(tmp_path / "c.musicxml")]) == 0
    expected = cached_corpus.get("269").score
    assert read_score(tmp_path / "c.mid").score == expected
    assert read_score(tmp_path / "c.musicxml").score.voices == expected.voices


def test_corpus_export_of_unknown_chorale_says_how_to_find_one(cached_corpus, tmp_path, capsys):
    assert main(["corpus", "export", "9999", "-o", str(tmp_path / "x.mid")]) == 2
    assert "composer corpus list" in capsys.readouterr().err
