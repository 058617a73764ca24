"""Import of broken and hostile files: every failure is a FileFormatError that names the
file and the problem, refused before the work or memory it would cost; what a score can
hold is kept, and odd but valid files still open."""

import re
import struct
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composer.music.errors import FileFormatError
from composer.music.files import read_score, write_score
from composer.music.import_limits import MAX_FILE_BYTES, MAX_MIDI_NOTES, MAX_MUSICXML_NOTES
from composer.music.score import Note, Score, TimeSignature
from composer.music.voicing import _nearest_inner_pair
from composer.work import Cancelled


def vlq(value: int) -> bytes:
    out = [value & 0x7F]
    while value > 0x7F:
        value >>= 7
        out.append(0x80 | (value & 0x7F))
    return bytes(reversed(out))


def track(*events: bytes) -> bytes:
    return b"".join(events) + b"\x00\xff\x2f\x00"


def midi_file(*tracks: bytes, division: int = 480) -> bytes:
    header = b"MThd" + struct.pack(">IHHH", 6, 1, len(tracks), division)
    return header + b"".join(b"MTrk" + struct.pack(">I", len(t)) + t for t in tracks)


def note(pitch: int, delta: int = 0, length: int = 480) -> bytes:
    return vlq(delta) + bytes((0x90, pitch, 90)) + vlq(length) + bytes((0x80, pitch, 0))


def tempo(micros: int) -> bytes:
    return b"\x00\xff\x51\x03" + micros.to_bytes(3, "big")


def refused(path: Path, data: bytes, message: str) -> str:
    path.write_bytes(data)
    with pytest.raises(FileFormatError, match=message) as error:
        read_score(path)
    assert path.name in str(error.value)
    return str(error.value)


# --- MIDI ---------------------------------------------------------------------------------
def test_a_file_over_50_mb_is_refused_unread(tmp_path):
    path = tmp_path / "huge.mid"
    with path.open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing to read but zeros
    with pytest.raises(FileFormatError, match=r"huge.mid is 50 MB; Composer opens MIDI files "
                                              r"of up to 50 MB"):
        read_score(path)


def test_a_track_declaring_more_bytes_than_the_file_holds_is_refused(tmp_path):
    data = bytearray(midi_file(track(note(60))))
    data[18:22] = struct.pack(">I", 0xFFFFFFFF)
    refused(tmp_path / "long.mid", bytes(data),
            r"long.mid is truncated: track 1 declares 4,294,967,295 bytes but only \d+ follow")


def test_a_delta_time_of_years_is_refused_as_longer_than_an_hour(tmp_path):
    message = refused(tmp_path / "years.mid", midi_file(track(note(60), note(62, 0x0FFFFFFF))),
                      "years.mid lasts .* hours at 400 BPM; Composer opens scores of up to an "
                      "hour")
    assert "one wrong length" in message


def test_a_delta_time_longer_than_four_bytes_is_refused(tmp_path):
    refused(tmp_path / "endless.mid", midi_file(track(b"\xff" * 1000 + b"\x7f\x90\x3c\x40")),
            "endless.mid is not a readable MIDI file: track 1 has a number longer than the "
            "four bytes")


def test_more_notes_than_the_limit_are_refused_while_reading(tmp_path):
    many = note(60, 0, 1) * (MAX_MIDI_NOTES + 1)
    refused(tmp_path / "many.mid", midi_file(track(many)),
            "many.mid holds more than 100,000 notes; Composer opens files of up to 100,000")


def test_more_tracks_than_the_limit_are_refused(tmp_path):
    refused(tmp_path / "tracks.mid", midi_file(*[track(note(60))] * 300),
            "tracks.mid holds more than 256 tracks")


@pytest.mark.parametrize("division, message", [
    (0xE728, "counts time in SMPTE frames"), (0, "declares 0 ticks per beat")])
def test_a_time_division_without_beats_is_refused(tmp_path, division, message):
    refused(tmp_path / "frames.mid", midi_file(track(note(60)), division=division), message)


def test_an_event_running_past_its_track_is_refused(tmp_path):
    refused(tmp_path / "meta.mid", midi_file(track(b"\x00\xff\x01" + vlq(10**6) + b"text")),
            "meta.mid is not a readable MIDI file: track 1 has an event of 1,000,000 bytes "
            "running past its end")


def test_running_status_reads_like_explicit_status(tmp_path):
    explicit = track(b"\x00\x90\x3c\x50", b"\x00\x90\x40\x50", b"\x83\x60\x80\x3c\x00",
                     b"\x00\x80\x40\x00")
    running = track(b"\x00\x90\x3c\x50", b"\x00\x40\x50", b"\x83\x60\x3c\x00", b"\x00\x40\x00")
    (tmp_path / "explicit.mid").write_bytes(midi_file(explicit))
    (tmp_path / "running.mid").write_bytes(midi_file(running))
    score = read_score(tmp_path / "running.mid").score
    assert score == read_score(tmp_path / "explicit.mid").score
    assert sorted(n.pitch for _, n in score.notes()) == [60, 64]


@pytest.mark.parametrize("micros, bpm", [(1, "60,000,000"), (0xFFFFFF, "4")])
def test_an_extreme_tempo_is_brought_within_10_to_400_bpm_and_said(tmp_path, micros, bpm):
    (tmp_path / "fast.mid").write_bytes(midi_file(track(tempo(micros), note(60))))
    result = read_score(tmp_path / "fast.mid")
    assert result.score.tempo in (400, 10)
    assert f"The file's tempo of {bpm} BPM is outside 10-400" in " ".join(result.messages)


def test_a_tempo_of_zero_is_ignored(tmp_path):
    (tmp_path / "zero.mid").write_bytes(midi_file(track(tempo(0), note(60))))
    assert read_score(tmp_path / "zero.mid").score.tempo == 120


def test_a_key_signature_that_is_no_key_is_left_out_and_said(tmp_path):
    (tmp_path / "key.mid").write_bytes(midi_file(track(b"\x00\xff\x59\x02\x7f\x05", note(60))))
    result = read_score(tmp_path / "key.mid")
    assert result.score.key is None
    assert "key signature (127 sharps, mode 5) is not a key" in " ".join(result.messages)


def test_a_chord_of_thousands_of_notes_keeps_four_voices(tmp_path):
    chord = b"".join(b"\x00\x90" + bytes((p % 128, 80)) for p in range(3000))
    offs = b"\x83\x60\x80\x00\x00" + b"".join(b"\x00\x80" + bytes((p, 0)) for p in range(1, 128))
    result = read_score(_write(tmp_path / "cluster.mid", midi_file(track(chord + offs))))
    assert [len(v) for v in result.score.voices] == [1, 1, 1, 1]
    assert "left out" in " ".join(result.messages)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@settings(max_examples=200, deadline=None)
@given(pitches=st.lists(st.integers(0, 127), min_size=2, max_size=12),
       alto=st.integers(40, 80), tenor=st.integers(40, 80))
def test_the_inner_voices_of_a_wide_chord_are_the_nearest_pair(pitches, alto, tenor):
    """The linear search picks what trying every pair picked, the first of equals."""
    inner = [Note(0, 1, p) for p in sorted(pitches, reverse=True)]
    pairs = [(a, b) for i, a in enumerate(inner) for b in inner[i + 1:]]
    best = min(pairs, key=lambda pair: abs(pair[0].pitch - alto) + abs(pair[1].pitch - tenor))
    found = _nearest_inner_pair(inner, alto, tenor)
    assert (found[0].pitch, found[1].pitch) == (best[0].pitch, best[1].pitch)


# --- both formats -------------------------------------------------------------------------
def long_score(steps: int) -> Score:
    """Few bars of 16/4, so that music21 writes and reads it quickly."""
    return Score(voices=((Note(0, 4, 72), Note(steps - 4, 4, 72)), (), (), ()), tempo=10,
                 time_signature=TimeSignature(16, 4))


@pytest.mark.parametrize("suffix", [".mid", ".musicxml"])
def test_a_score_longer_than_an_hour_at_its_tempo_is_refused(tmp_path, suffix):
    """At 10 BPM an hour is 600 quarter notes, 2,400 steps; this one has 2,496 (39 bars)."""
    write_score(tmp_path / f"long{suffix}", long_score(2496))
    with pytest.raises(FileFormatError, match=f"long{suffix} lasts 62 minutes at 10 BPM"):
        read_score(tmp_path / f"long{suffix}")


@pytest.mark.parametrize("suffix", [".mid", ".musicxml"])
def test_a_score_of_almost_an_hour_opens(tmp_path, suffix):
    write_score(tmp_path / f"long{suffix}", long_score(2368))  # 37 bars of 16/4: 59 minutes
    assert read_score(tmp_path / f"long{suffix}").score.length == 2368


@pytest.mark.parametrize("suffix", [".mid", ".musicxml", ".mxl"])
def test_import_reports_progress_up_to_its_total(tmp_path, suffix):
    write_score(tmp_path / f"s{suffix}", long_score(64))
    seen = []
    read_score(tmp_path / f"s{suffix}", progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1]
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@pytest.mark.parametrize("suffix", [".mid", ".musicxml"])
def test_import_stops_when_cancelled(tmp_path, suffix):
    write_score(tmp_path / f"s{suffix}", long_score(64))
    with pytest.raises(Cancelled, match=f"opening s{suffix} cancelled"):
        read_score(tmp_path / f"s{suffix}", cancel=lambda: True)


# --- MusicXML -----------------------------------------------------------------------------
def musicxml(tmp_path: Path) -> str:
    score = Score(voices=((Note(0, 4, 72), Note(4, 4, 74)), (Note(0, 8, 67),),
                          (Note(0, 8, 64),), (Note(0, 8, 48),)), tempo=90)
    write_score(tmp_path / "model.musicxml", score)
    return (tmp_path / "model.musicxml").read_text()


def with_entity(text: str, declaration: str, use: str) -> str:
    text = re.sub(r"<!DOCTYPE[^>]*>", f"<!DOCTYPE score-partwise [{declaration}]>", text)
    return text.replace("<part-name>Soprano</part-name>", f"<part-name>{use}</part-name>")


def test_an_external_entity_naming_etc_passwd_is_refused(tmp_path):
    text = with_entity(musicxml(tmp_path), '<!ENTITY xxe SYSTEM "file:///etc/passwd">',
                       "&xxe;")
    message = refused(tmp_path / "xxe.musicxml", text.encode(),
                      "xxe.musicxml declares XML entities, which Composer does not expand")
    assert "root" not in message


def test_a_billion_laughs_file_is_refused(tmp_path):
    laughs = '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    text = with_entity(musicxml(tmp_path), laughs, "&l9;")
    refused(tmp_path / "laughs.musicxml", text.encode(), "declares XML entities")


def test_an_entity_in_a_utf16_file_is_refused_too(tmp_path):
    text = with_entity(musicxml(tmp_path), '<!ENTITY a "Soprano">', "&a;")
    text = text.replace('encoding="utf-8"', 'encoding="utf-16"')
    refused(tmp_path / "wide.musicxml", text.encode("utf-16"), "declares XML entities")


@pytest.mark.parametrize("value", ["inf", "nan", "1e308", "-5"])
def test_a_dynamics_that_is_not_a_sane_number_is_refused(tmp_path, value):
    text = re.sub(r'dynamics="[^"]*"', f'dynamics="{value}"', musicxml(tmp_path), count=1)
    refused(tmp_path / "loud.musicxml", text.encode(),
            f'loud.musicxml is not a readable MusicXML file: <note dynamics="..."> holds '
            f"'{value}', where MusicXML has a number from 0 to 1000")


def test_an_alter_of_1e308_is_refused(tmp_path):
    text = musicxml(tmp_path).replace("<alter>0</alter>", "<alter>1e308</alter>", 1)
    refused(tmp_path / "sharp.musicxml", text.encode(), "<alter> holds '1e308'")


def test_a_metre_of_a_thousand_beats_is_refused_before_music21_reads_it(tmp_path):
    text = musicxml(tmp_path).replace("<beats>4</beats>", "<beats>1000</beats>")
    refused(tmp_path / "metre.musicxml", text.encode(),
            "metre.musicxml has a time signature of 1000/4; Composer reads metres of 1 to 32")


def test_more_notes_than_the_limit_are_refused(tmp_path):
    text = musicxml(tmp_path)
    first = re.search(r"<note\b.*?</note>", text, re.S).group(0)
    text = text.replace(first, first * MAX_MUSICXML_NOTES, 1)
    refused(tmp_path / "dense.musicxml", text.encode(),
            rf"dense.musicxml holds {MAX_MUSICXML_NOTES // 1000},0\d\d notes and rests; "
            f"Composer opens files of up to {MAX_MUSICXML_NOTES:,} notes and rests")


def test_more_bars_in_a_part_than_music21_reads_quickly_are_refused(tmp_path):
    text = musicxml(tmp_path)
    last = list(re.finditer(r"<measure\b.*?</measure>", text, re.S))[-1]
    text = text[:last.start()] + last.group(0) * 401 + text[last.end():]
    refused(tmp_path / "bars.musicxml", text.encode(),
            "bars.musicxml holds 401 bars in a part; .* or save it as MIDI")


def test_a_midi_file_of_as_many_bars_opens(tmp_path):
    score = Score(voices=((Note(0, 4, 72), Note(16 * 400, 4, 72)), (), (), ()))
    write_score(tmp_path / "bars.mid", score)
    assert read_score(tmp_path / "bars.mid").score == score


def test_an_mxl_that_unpacks_past_50_mb_is_refused(tmp_path):
    xml = musicxml(tmp_path).replace("<part-list>", " " * MAX_FILE_BYTES + "<part-list>", 1)
    with zipfile.ZipFile(tmp_path / "bomb.mxl", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("score.musicxml", xml)
    assert (tmp_path / "bomb.mxl").stat().st_size < 2**20
    with pytest.raises(FileFormatError, match="bomb.mxl unpacks to more than 50 MB"):
        read_score(tmp_path / "bomb.mxl")


def test_timewise_musicxml_is_refused_with_the_reason(tmp_path):
    text = musicxml(tmp_path).replace("score-partwise", "score-timewise")
    refused(tmp_path / "timewise.musicxml", text.encode(), "is timewise MusicXML")


def test_a_tempo_in_words_is_passed_by(tmp_path):
    words = ("<direction><direction-type><metronome><beat-unit>quarter</beat-unit>"
             "<per-minute>c. 60</per-minute></metronome></direction-type></direction>")
    text = re.sub(r"(<measure[^>]*>)", rf"\1{words}", musicxml(tmp_path), count=1)
    (tmp_path / "words.musicxml").write_text(text)
    assert read_score(tmp_path / "words.musicxml").score.note_count() == 5


def test_a_pitch_beyond_midi_is_left_out_and_said(tmp_path):
    text = re.sub(r"<step>D</step>\s*<alter>0</alter>\s*<octave>5</octave>",
                  "<step>B</step><alter>2</alter><octave>9</octave>", musicxml(tmp_path))
    (tmp_path / "high.musicxml").write_text(text)
    result = read_score(tmp_path / "high.musicxml")
    assert "Left out 1 note(s) outside MIDI's pitch range (0-127)." in result.messages
    assert [n.pitch for n in result.score.voices[0]] == [72]


@pytest.mark.parametrize("name", ["folder.mid", "folder.musicxml"])
def test_a_folder_named_like_a_score_gives_a_clear_error(tmp_path, name):
    (tmp_path / name).mkdir()
    (tmp_path / name / "inside.txt").write_text("a file, so the folder has a size")
    with pytest.raises(FileFormatError, match=f"{name} cannot be read"):
        read_score(tmp_path / name)
