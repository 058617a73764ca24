from __future__ import annotations

import subprocess
import sys

import pytest

from composer.audio.library import (
    AudioUnavailable,
    SoundFontError,
    fluidsynth_problem,
    load_fluidsynth,
)
from composer.audio.soundfonts import check_soundfont_file, default_soundfont, system_soundfonts
from composer.audio.synth import Synthesizer


def test_the_system_library_loads():
    assert fluidsynth_problem() is None
    assert load_fluidsynth().module.Synth is not None


def test_a_missing_library_says_what_is_missing_and_how_to_install_it():
    message = fluidsynth_problem(["composer-no-such-fluidsynth"])
    assert message.startswith("Playback is off: the FluidSynth library (libfluidsynth)")
    assert "sudo apt install libfluidsynth3" in message
    assert "Editing, saving and exporting MIDI work without it" in message
    with pytest.raises(AudioUnavailable, match="libfluidsynth"):
        Synthesizer(library_names=["composer-no-such-fluidsynth"])


def test_the_default_soundfont_is_the_one_pretty_midi_ships():
    path = default_soundfont()
    assert path.name == "TimGM6mb.sf2" and path.parent.name == "pretty_midi"
    check_soundfont_file(path)


def test_system_soundfonts_are_found_largest_first(tmp_path):
    (tmp_path / "small.sf2").write_bytes(b"RIFF" + b"\0" * 10)
    (tmp_path / "big.sf3").write_bytes(b"RIFF" + b"\0" * 1000)
    (tmp_path / "notes.txt").write_text("not a soundfont")
    assert [p.name for p in system_soundfonts([tmp_path])] == ["big.sf3", "small.sf2"]


@pytest.mark.parametrize("name, content, problem", [
    ("missing.sf2", None, "does not exist"),
    ("song.mid", b"MThd", "is not a soundfont: expected a .sf2 or .sf3 file"),
    ("fake.sf2", b"hello, I am text", "is not a valid soundfont"),
])
def test_bad_soundfont_files_are_rejected_with_the_reason(tmp_path, name, content, problem):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SoundFontError, match=problem):
        check_soundfont_file(path)


def test_a_bad_soundfont_leaves_the_synthesizer_on_the_default(tmp_path):
    fake = tmp_path / "fake.sf2"
    fake.write_bytes(b"RIFF\0\0\0\0sfbk" + b"\0" * 64)  # right header, nothing inside
    with Synthesizer(fake) as synth:
        assert synth.soundfont == default_soundfont()
        assert "fake.sf2" in synth.warning and "damaged" in synth.warning


FIRST_SYNTHESIZERS_AT_ONCE = """
import threading
from composer.audio.synth import Synthesizer
start = threading.Barrier(4)
def make():
    start.wait()
    Synthesizer().close()
threads = [threading.Thread(target=make) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
"""


def test_synthesizers_made_at_once_keep_fluidsynths_default_modulators():
    # FluidSynth sets its defaults up once per process: each trial needs a fresh one
    for _ in range(4):
        done = subprocess.run([sys.executable, "-c", FIRST_SYNTHESIZERS_AT_ONCE],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "Modulator" not in done.stderr
