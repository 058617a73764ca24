from __future__ import annotations

import wave

import numpy as np
import pytest

from composer.audio.mixer import Mixer, VoiceMix
from composer.audio.render import render, render_frames, render_to_wav
from composer.audio.soundfonts import default_soundfont
from composer.music.score import Note, Score
from composer.work import Cancelled

from .conftest import chord_score

RATE = 44100


def rms(audio: np.ndarray, start: float, end: float) -> float:
    part = audio[round(start * RATE):round(end * RATE)]
    return float(np.sqrt(np.mean(part**2)))


def test_rendering_lasts_the_score_plus_the_tail_to_the_sample():
    score = chord_score(chords=4, tempo=120.0)  # 16 steps of 0.125 s
    rendering = render(score, tail=1.0)
    assert rendering.audio.shape == (2 * RATE + RATE, 2)
    assert rendering.audio.dtype == np.float32
    assert render_frames(Score(length=16, tempo=90.0), tail=0.5) == round(16 / 6 * RATE) + RATE // 2


def test_a_fermata_chord_sounds_for_its_held_length_and_the_next_chord_comes_after_it():
    # chords of 0.5 s at 0, 0.5 and 1.0 s; a fermata on the second holds it to 1.0 s
    score = chord_score(chords=3, tempo=120.0).with_meta(fermatas=frozenset({4}))
    held = render(score, tail=1.0).audio
    strict = render(score, tail=1.0, fermata_hold=1.0).audio
    assert len(held) == render_frames(score) == round(2.0 * RATE) + RATE
    assert len(strict) == round(1.5 * RATE) + RATE
    np.testing.assert_allclose(held[:RATE // 2], strict[:RATE // 2], atol=1e-6)
    # which chord sounds is told by its spectrum: the second is a tone above the others
    second, third = spectrum(strict, 0.6, 0.9), spectrum(strict, 1.1, 1.4)
    for at in (0.6, 0.9, 1.2):  # the held second chord, until 1.5 s
        assert similarity(spectrum(held, at, at + 0.25), second) > similarity(
            spectrum(held, at, at + 0.25), third)
    assert similarity(spectrum(held, 1.6, 1.9), third) > similarity(
        spectrum(held, 1.6, 1.9), second)


def spectrum(audio: np.ndarray, start: float, end: float) -> np.ndarray:
    part = audio[round(start * RATE):round(end * RATE), 0]
    return np.abs(np.fft.rfft(part * np.hanning(len(part)), n=RATE))[:2000]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_loud_where_notes_sound_quiet_in_rests():
    # a chord for 0.5 s, then 1.5 s of rest, then another chord
    score = chord_score(chords=2, tempo=120.0, rest_after=12)
    audio = render(score).audio
    loud = rms(audio, 0.1, 0.45)
    assert loud > 0.02
    assert rms(audio, 1.5, 1.95) < loud / 100  # well after the release and the reverb
    assert rms(audio, 2.1, 2.45) > loud / 2
    assert np.abs(audio).max() < 1.0


def test_two_voices_are_louder_than_one():
    one = render(chord_score(voices=(0,))).audio
    two = render(chord_score(voices=(0, 3))).audio
    assert rms(two, 0.1, 1.9) > 1.3 * rms(one, 0.1, 1.9)


def test_a_muted_voice_is_not_heard():
    score = chord_score(voices=(0, 3))
    muted = render(score, Mixer().with_voice(3, muted=True)).audio
    alone = render(chord_score(voices=(0,))).audio
    np.testing.assert_allclose(muted, alone, atol=1e-6)


def test_splitting_voices_across_threads_renders_the_same_sound():
    score = chord_score(chords=6)
    one = render(score, threads=1).audio
    two = render(score, threads=2).audio
    np.testing.assert_allclose(one, two, atol=1e-5)


def test_wav_file_holds_the_rendering(tmp_path):
    score = chord_score(chords=2)
    path = tmp_path / "chorale.wav"
    rendering = render_to_wav(score, path)
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, RATE)
        frames = wav.readframes(wav.getnframes())
    pcm = np.frombuffer(frames, "<i2").reshape(-1, 2) / 32767.0
    assert len(pcm) == len(rendering.audio)
    np.testing.assert_allclose(pcm, rendering.audio, atol=1.5 / 32767)
    assert [p.name for p in tmp_path.iterdir()] == ["chorale.wav"]  # no temporary left


def test_a_bad_soundfont_falls_back_to_the_default_with_a_message(tmp_path):
    broken = tmp_path / "broken.sf2"
    broken.write_bytes(b"RIFF\0\0\0\0WAVEnot a soundfont")
    rendering = render(chord_score(chords=1), soundfont=broken)
    assert rendering.soundfont == default_soundfont()
    assert "broken.sf2 is not a valid soundfont" in rendering.warning
    assert "built-in soundfont" in rendering.warning
    assert rms(rendering.audio, 0.1, 0.4) > 0.02


def test_cancel_stops_rendering(tmp_path):
    score = Score(voices=((Note(0, 4000, 60),), (), (), ()), tempo=60.0)
    with pytest.raises(Cancelled):
        render_to_wav(score, tmp_path / "long.wav", cancel=lambda: True)
    assert not (tmp_path / "long.wav").exists()


def test_progress_counts_the_frames_of_every_synthesizer_up_to_their_sum():
    score = Score(voices=((Note(0, 64, 60),), (Note(0, 64, 55),), (), ()), tempo=60.0)
    seen: list[tuple[int, int]] = []
    render(score, progress=lambda done, total: seen.append((done, total)), threads=2)
    assert {total for _, total in seen} == {2 * render_frames(score)}
    done = [d for d, _ in seen]
    assert len(done) > 2 and done == sorted(done) and done[-1] == seen[-1][1]


def test_a_wav_louder_than_full_scale_is_scaled_down_not_clipped(tmp_path):
    loud = Mixer(tuple(VoiceMix(volume=1.0) for _ in range(4)))
    score = Score(voices=tuple((Note(0, 8, p, 127),) for p in (84, 79, 76, 72)), tempo=120.0)
    rendering = render(score, loud, "/usr/share/sounds/sf2/FluidR3_GM.sf2")
    assert np.abs(rendering.audio).max() > 1.0
    path = tmp_path / "loud.wav"
    render_to_wav(score, path, loud, "/usr/share/sounds/sf2/FluidR3_GM.sf2")
    with wave.open(str(path)) as wav:
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
    assert np.abs(pcm).max() == pytest.approx(0.99 * 32767, abs=2)
