from __future__ import annotations

import subprocess
import sys
import wave

import pytest

from composer.cli import main
from composer.music.files import write_score

from .conftest import chord_score


def test_render_writes_a_wav_of_the_score(tmp_path, capsys):
    source = tmp_path / "chords.mid"
    write_score(source, chord_score(chords=4, tempo=120.0))
    out = tmp_path / "chords.wav"
    assert main(["render", str(source), "-o", str(out), "--program", "52"]) == 0
    with wave.open(str(out)) as wav:
        assert wav.getnframes() == 3 * 44100  # 2 s of music and 1 s of tail
    assert "Choir Aahs" in capsys.readouterr().out


def test_render_holds_fermatas_unless_told_to_keep_strict_time(tmp_path, capsys):
    source = tmp_path / "phrase.mid"
    write_score(source, chord_score(chords=4, tempo=120.0).with_meta(fermatas=frozenset({12})))
    lengths = []
    for hold in ([], ["--fermata-hold", "1"], ["--fermata-hold", "3"]):
        out = tmp_path / f"phrase{len(lengths)}.wav"
        assert main(["render", str(source), "-o", str(out), *hold]) == 0
        with wave.open(str(out)) as wav:
            lengths.append(wav.getnframes() / 44100)
    assert lengths == [3.5, 3.0, 4.0]  # the last chord: 0.5 s in time, doubled, tripled
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["render", str(source), "-o", str(tmp_path / "x.wav"), "--fermata-hold", "0.5"])
    assert "a fermata hold is a number, 1 or more" in capsys.readouterr().err


def test_render_with_a_bad_soundfont_warns_and_uses_the_default(tmp_path, capsys):
    source = tmp_path / "chords.mid"
    write_score(source, chord_score(chords=1))
    bad = tmp_path / "bad.sf2"
    bad.write_text("not a soundfont")
    assert main(["render", str(source), "-o", str(tmp_path / "x.wav"), "--soundfont",
                 str(bad)]) == 0
    err = capsys.readouterr().err
    assert "bad.sf2 is not a valid soundfont" in err and "built-in soundfont" in err
    assert "pass another with --soundfont" in err


def test_render_explains_a_missing_or_unreadable_input(tmp_path, capsys):
    assert main(["render", str(tmp_path / "none.mid"), "-o", str(tmp_path / "x.wav")]) == 1
    assert "does not exist" in capsys.readouterr().err
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert main(["render", str(text), "-o", str(tmp_path / "x.wav")]) == 1
    assert "Composer reads and writes" in capsys.readouterr().err


def test_render_into_a_missing_folder_says_so_without_a_traceback(tmp_path):
    source = tmp_path / "chords.mid"
    write_score(source, chord_score(chords=1))
    out = tmp_path / "no-such-folder" / "x.wav"
    done = subprocess.run([sys.executable, "-m", "composer", "render", str(source), "-o",
                           str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"cannot write {out}: No such file or directory" in done.stderr
    assert "Traceback" not in done.stderr
