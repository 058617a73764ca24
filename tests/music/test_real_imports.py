"""Files as other programs write them (issue 15, items 3-5): fermatas come from the voices,
not from an instrument part; a tempo set in any track or part is read; tempo and metre
changes are reported with what was kept; a 22-part band score imports quickly, at
sounding pitch, with its percussion ignored."""

from pathlib import Path
from xml.etree.ElementTree import tostring

import defusedxml.ElementTree as safe_xml
import mido
import music21
import pytest

from composer.music.files import read_score
from composer.music.musicxml_checks import checked_tree
from composer.music.musicxml_file import hollow_parts, named_voice_parts, prune_engraving
from composer.music.score import TimeSignature
from tests.music.band_score import BAND, BandPart, band_score_xml

TUBA = next(p for p in BAND if p.name == "Tuba")

# --- MIDI ---------------------------------------------------------------------------------
TPQ = 480
# four bars of 4/4 in quarters: (start, end, pitch)
SOPRANO = [(0, 2, 72), (2, 4, 71), (4, 8, 72), (8, 12, 74), (12, 16, 72)]
ALTO = [(i, i + 1, (67, 65, 67, 64)[i % 4]) for i in range(16)]
TENOR = [(2 * i, 2 * i + 2, (64, 62, 60, 59)[i % 4]) for i in range(8)]
BASS = [(i, i + 1, (48, 50, 43, 45, 41, 43, 48, 36)[i % 8]) for i in range(16)]


def _track(name: str, notes=(), meta=()) -> mido.MidiTrack:
    """A track with a name, meta events at (tick, message) and notes in quarters."""
    events = [(tick, message) for tick, message in meta]
    for start, end, pitch in notes:
        events.append((round(start * TPQ), mido.Message("note_on", note=pitch, velocity=80)))
        events.append((round(end * TPQ), mido.Message("note_off", note=pitch, velocity=0)))
    events.sort(key=lambda e: (e[0], e[1].type == "note_on"))  # offs before ons
    track = mido.MidiTrack()
    if name:
        track.append(mido.MetaMessage("track_name", name=name))
    now = 0
    for tick, message in events:
        track.append(message.copy(time=tick - now))
        now = tick
    return track


def _midi(path: Path, *tracks: mido.MidiTrack) -> Path:
    midi = mido.MidiFile(type=1, ticks_per_beat=TPQ)
    midi.tracks.extend(tracks)
    midi.save(str(path))
    return path


def _tempo(bpm: float, quarter: float = 0) -> tuple[int, mido.MetaMessage]:
    return round(quarter * TPQ), mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))


def _metre(numerator: int, denominator: int, quarter: float = 0) -> tuple[int, mido.MetaMessage]:
    return round(quarter * TPQ), mido.MetaMessage("time_signature", numerator=numerator,
                                                  denominator=denominator)


def _pitches(result) -> list[list[int]]:
    return [[n.pitch for n in voice] for voice in result.score.voices]


def _expected() -> list[list[int]]:
    return [[p for _, _, p in line] for line in (SOPRANO, ALTO, TENOR, BASS)]


def _text(result) -> str:
    return " ".join(result.messages)


def test_a_tempo_in_the_second_track_is_read(tmp_path):
    path = _midi(tmp_path / "t.mid", _track("Conductor"),
                 _track("Soprano", SOPRANO, [_tempo(230)]), _track("Alto", ALTO),
                 _track("Tenor", TENOR), _track("Bass", BASS))
    result = read_score(path)
    assert result.score.tempo == pytest.approx(230)
    assert _pitches(result) == _expected()
    assert "tempo" not in _text(result)  # one tempo: nothing to report


@pytest.mark.parametrize("names", [("Soprano", "Alto", "Tenor", "Bass", "Continuo"),
                                   ("", "", "", "", "")])
def test_five_tracks_with_a_continuo_and_the_tempo_in_track_two(tmp_path, names):
    lines = [SOPRANO, ALTO, TENOR, BASS, BASS]
    tracks = [_track(name, line, [_tempo(72)] if i == 1 else [])
              for i, (name, line) in enumerate(zip(names, lines))]
    result = read_score(_midi(tmp_path / "five.mid", *tracks))
    assert _pitches(result) == _expected()
    assert result.score.tempo == pytest.approx(72)
    dropped = "'Continuo' (doubles the bass)" if names[0] else "'Track 5' (doubles track"
    assert dropped in _text(result)


def test_eight_named_and_unnamed_tracks_with_a_continuo_and_a_metre_change(tmp_path):
    # 4/4 for two bars, then 2/2 (as long): the bar lines stay
    meta = [_metre(4, 4), _tempo(96), _metre(2, 2, 8)]
    tracks = [_track("", meta=meta), _track("Violino I", SOPRANO), _track("", TENOR),
              _track("Soprano", SOPRANO), _track("Alto", ALTO), _track("Oboe", ALTO),
              _track("", BASS), _track("Organo", BASS)]
    result = read_score(_midi(tmp_path / "eight.mid", *tracks))
    assert _pitches(result) == _expected()
    text = _text(result)
    assert "dropped track 'Violino I' (doubles the soprano)" in text
    assert "dropped track 'Oboe' (doubles the alto)" in text
    assert "The file changes metre (4/4, then 2/2 from bar 3)" in text
    assert "its bars are as long, so the bar lines stay" in text
    assert result.score.time_signature == TimeSignature(4, 4)  # a tie: the first


def test_a_metre_change_is_reported_with_the_metre_kept(tmp_path):
    # 6/8 for two bars (6 quarters), then 3/4 for the remaining ten quarters
    line = [(i, i + 1, 72) for i in range(16)]
    path = _midi(tmp_path / "m.mid", _track("", line, [_metre(6, 8), _metre(3, 4, 6)]))
    result = read_score(path)
    assert result.score.time_signature == TimeSignature(3, 4)
    assert ("The file changes metre (6/8, then 3/4 from bar 3); a score has one metre, so "
            "it keeps 3/4, the metre most of the music is in: its bars are as long"
            in _text(result))


def test_metres_of_different_lengths_say_the_bar_lines_move(tmp_path):
    line = [(i, i + 1, 72) for i in range(24)]
    path = _midi(tmp_path / "m.mid", _track("", line, [_metre(3, 4), _metre(4, 4, 6)]))
    result = read_score(path)
    assert result.score.time_signature == TimeSignature(4, 4)
    assert "(3/4, then 4/4 from bar 3)" in _text(result)
    assert "the bar lines fall every 4/4 throughout, so some differ" in _text(result)


def test_a_tempo_change_is_reported_and_the_tempo_of_most_of_the_music_kept(tmp_path):
    line = [(i, i + 1, 72) for i in range(16)]
    meta = [_tempo(60), _tempo(100, 4), _tempo(50, 15)]  # bars 2-4 at 100, a ritardando
    result = read_score(_midi(tmp_path / "t.mid", _track("", line, meta)))
    assert result.score.tempo == pytest.approx(100)
    assert ("The file changes tempo (60 BPM, then 100 BPM from bar 2, then 50 BPM from bar "
            "4); a score has one tempo, so it keeps 100 BPM" in _text(result))


def test_a_tempo_repeated_in_every_track_is_no_change(tmp_path):
    tracks = [_track(name, line, [_tempo(88)]) for name, line in
              zip(("S", "A", "T", "B"), (SOPRANO, ALTO, TENOR, BASS))]
    result = read_score(_midi(tmp_path / "t.mid", *tracks))
    assert result.score.tempo == pytest.approx(88)
    assert "tempo" not in _text(result)


def test_many_changes_are_summed_up_not_all_listed(tmp_path):
    line = [(i, i + 1, 72) for i in range(16)]
    meta = [_tempo(60 + i, i) for i in range(16)]
    result = read_score(_midi(tmp_path / "t.mid", _track("", line, meta)))
    assert "and 12 more change(s)" in _text(result)


# --- MusicXML -----------------------------------------------------------------------------
_STEPS = ("C", "C", "D", "D", "E", "F", "F", "G", "G", "A", "A", "B")
# four bars of 4/4 in half notes (pitch); a fermata ends every bar in each voice
HALVES = {"soprano": (72, 72, 71, 74, 76, 74, 72, 72), "alto": (67, 67, 67, 65, 67, 65, 64, 64),
          "tenor": (64, 64, 62, 62, 60, 59, 60, 60), "bass": (48, 48, 43, 43, 45, 47, 48, 36)}
VOICE_FERMATAS = {8, 24, 40, 56}  # steps: the second half note of each bar


def _xml_note(pitch: int | None, divisions: int, fermata: bool) -> str:
    if pitch is None:
        what = "<rest/>"
    else:
        alter = "<alter>1</alter>" if _STEPS[pitch % 12] == _STEPS[(pitch - 1) % 12] else ""
        what = (f"<pitch><step>{_STEPS[pitch % 12]}</step>{alter}"
                f"<octave>{pitch // 12 - 1}</octave></pitch>")
    mark = "<notations><fermata type=\"upright\"/></notations>" if fermata else ""
    return f"<note>{what}<duration>{divisions}</duration><type>half</type>{mark}</note>"


def _xml_part(halves, fermatas=(), metres=None, tempos=None, transpose=0) -> list[str]:
    """Bars of two half notes; `metres` and `tempos` map a bar index to what starts there."""
    metres = metres or {0: "<time><beats>4</beats><beat-type>4</beat-type></time>"}
    tempos = tempos or {}
    bars = []
    for b in range(len(halves) // 2):
        head = ""
        if b == 0 or b in metres:
            shift = (f"<transpose><diatonic>-1</diatonic><chromatic>{transpose}</chromatic>"
                     "</transpose>") if transpose and b == 0 else ""
            head = ("<attributes>" + ("<divisions>4</divisions>" if b == 0 else "")
                    + metres.get(b, "") + shift + "</attributes>")
        if b in tempos:
            head += (f"<direction><direction-type><metronome><beat-unit>quarter</beat-unit>"
                     f"<per-minute>{tempos[b]}</per-minute></metronome></direction-type>"
                     f"<sound tempo=\"{tempos[b]}\"/></direction>")
        notes = "".join(_xml_note(halves[2 * b + k], 8, 16 * b + 8 * k in fermatas)
                        for k in (0, 1))
        bars.append(f"<measure number=\"{b + 1}\">{head}{notes}</measure>")
    return bars


def _musicxml(path: Path, parts: list[tuple[str, list[str]]]) -> Path:
    names = "".join(f"<score-part id=\"P{i}\"><part-name>{name}</part-name></score-part>"
                    for i, (name, _) in enumerate(parts))
    body = "".join(f"<part id=\"P{i}\">{''.join(bars)}</part>" for i, (_, bars) in enumerate(parts))
    path.write_text(f"<?xml version=\"1.0\"?><score-partwise version=\"3.1\"><part-list>{names}"
                    f"</part-list>{body}</score-partwise>")
    return path


def _satb(names=("Soprano", "Alto", "Tenor", "Bass"), **first_part) -> list[tuple[str, list[str]]]:
    return [(name, _xml_part(HALVES[voice], VOICE_FERMATAS, **(first_part if i == 0 else {})))
            for i, (name, voice) in enumerate(zip(names, HALVES))]


def _halves_expected() -> list[list[int]]:
    return [list(HALVES[v]) for v in HALVES]


@pytest.mark.parametrize("names", [("Soprano", "Alto", "Tenor", "Bass"),
                                   ("Staff 2", "Staff 3", "Staff 4", "Staff 5")])
def test_fermatas_come_from_the_voices_not_an_instrument_part_first(tmp_path, names):
    violin = ("Violino I", _xml_part(HALVES["soprano"], {16}))  # its own, single fermata
    path = _musicxml(tmp_path / "bwv.musicxml", [violin, *_satb(names)])
    result = read_score(path)
    assert result.score.fermatas == VOICE_FERMATAS
    assert _pitches(result) == _halves_expected()
    text = _text(result)
    if names[0] == "Soprano":
        assert "dropped 'Violino I' (the four voices are named)" in text
    else:
        assert "dropped track 'Violino I' (doubles track 'Staff 2')" in text


def test_fermatas_marked_only_on_the_bass_are_kept(tmp_path):
    parts = [(name, _xml_part(HALVES[voice], VOICE_FERMATAS if voice == "bass" else ()))
             for name, voice in zip(("S", "A", "T", "B"), HALVES)]
    result = read_score(_musicxml(tmp_path / "b.musicxml", parts))
    assert result.score.fermatas == VOICE_FERMATAS


def test_a_tempo_only_in_a_part_left_unread_is_still_read(tmp_path):
    organ = ("Organo", _xml_part(HALVES["bass"], tempos={0: 230}))
    result = read_score(_musicxml(tmp_path / "t.musicxml", [organ, *_satb()]))
    assert result.score.tempo == pytest.approx(230)
    assert _pitches(result) == _halves_expected()


def test_a_tempo_in_the_second_part_is_read(tmp_path):
    parts = _satb()
    parts[1] = ("Alto", _xml_part(HALVES["alto"], VOICE_FERMATAS, tempos={0: 132}))
    result = read_score(_musicxml(tmp_path / "t.musicxml", parts))
    assert result.score.tempo == pytest.approx(132)


def test_a_musicxml_tempo_change_is_reported(tmp_path):
    result = read_score(_musicxml(tmp_path / "t.musicxml",
                                  _satb(tempos={0: 66, 1: 90, 2: 90, 3: 50})))
    assert result.score.tempo == pytest.approx(90)
    assert ("The file changes tempo (66 BPM, then 90 BPM from bar 2, then 50 BPM from bar 4);"
            " a score has one tempo, so it keeps 90 BPM" in _text(result))


def _time(beats: str, beat_type: str) -> str:
    return f"<time><beats>{beats}</beats><beat-type>{beat_type}</beat-type></time>"


def test_a_musicxml_metre_change_is_reported(tmp_path):
    # 4/4 for one bar, then 2/2 (as long)
    parts = _satb(metres={0: _time("4", "4"), 1: _time("2", "2")})
    parts[1:] = [(n, _xml_part(HALVES[v], metres={0: _time("4", "4"), 1: _time("2", "2")}))
                 for n, v in zip(("Alto", "Tenor", "Bass"), list(HALVES)[1:])]
    result = read_score(_musicxml(tmp_path / "m.musicxml", parts))
    assert result.score.time_signature == TimeSignature(2, 2)
    assert "The file changes metre (4/4, then 2/2 from bar 2)" in _text(result)
    assert _pitches(result) == _halves_expected()


def test_a_compound_metre_of_two_in_one_bar_is_named(tmp_path):
    compound = "<time><beats>6</beats><beat-type>8</beat-type><beats>3</beats>" \
               "<beat-type>4</beat-type></time>"
    parts = [(name, _xml_part((72,) * 6, metres={0: compound})) for name in ("S",)]
    result = read_score(_musicxml(tmp_path / "c.musicxml", parts))
    assert result.score.time_signature == TimeSignature(12, 8)
    assert ("The file's metre 6/8+3/4 joins two metres in each bar; a score has one simple "
            "metre, so each bar is read as one of 12/8." in _text(result))


def test_a_transposing_part_is_read_at_sounding_pitch(tmp_path):
    # a clarinet in B-flat written a tone above the soprano it doubles
    clarinet = ("Clarinet in B♭", _xml_part([p + 2 for p in HALVES["soprano"]], transpose=-2))
    parts = [clarinet, *_satb(("Staff 2", "Staff 3", "Staff 4", "Staff 5"))]
    result = read_score(_musicxml(tmp_path / "cl.musicxml", parts))
    assert _pitches(result) == _halves_expected()
    assert "dropped track 'Clarinet in B♭' (doubles track 'Staff 2')" in _text(result)


# --- a band score -------------------------------------------------------------------------
SMALL_BAND = 12  # bars: the layout of a real band score, a fraction of its length


def test_band_score_maps_by_sounding_register_and_ignores_the_percussion(tmp_path):
    path = tmp_path / "band.musicxml"
    path.write_bytes(band_score_xml(bars=SMALL_BAND))
    stages = []
    result = read_score(path, progress=lambda done, total: stages.append((done, total)))
    text = _text(result)
    # the B-flat clarinet doubles the flute only once both sound: read at sounding pitch
    assert "dropped track 'Clarinet in B♭ 1' (doubles track 'Flute 1')" in text
    assert "dropped track 'Tuba'" not in text  # the lowest line: the bass
    assert f"Ignored {_unpitched(path)} unpitched (percussion) note(s)." in text
    assert result.score.tempo == 112
    assert result.score.key == "Bb major"
    assert stages[-1] == (len(BAND) + 2, len(BAND) + 2)
    assert [done for done, _ in stages] == list(range(1, len(BAND) + 3))
    tuba = list(music21.converter.parse(str(path)).parts)[BAND.index(TUBA)]
    assert [n.pitch for n in result.score.voices[3]] == [
        round(n.pitch.ps) for n in tuba.flatten().notes]


def _unpitched(path: Path) -> int:
    root = safe_xml.parse(str(path)).getroot()
    return sum(1 for n in root.iter("note") if n.find("unpitched") is not None)


def test_a_band_score_with_choir_parts_reads_only_the_four_voices(tmp_path):
    choir = tuple(BandPart(name, low, high, 52) for name, low, high in
                  (("Soprano", 60, 79), ("Alto", 55, 72), ("Tenor", 48, 67), ("Bass", 40, 60)))
    path = tmp_path / "choir.musicxml"
    path.write_bytes(band_score_xml(bars=SMALL_BAND, parts=BAND[:8] + choir))
    result = read_score(path)
    assert result.messages[0].startswith("The file has 12 parts: dropped 'Piccolo', 'Flute 1'")
    assert "(the four voices are named)" in result.messages[0]
    parsed = music21.converter.parse(str(path))
    for voice, part in zip(result.score.voices, list(parsed.parts)[8:]):
        assert [n.pitch for n in voice] == [round(n.pitch.ps) for n in part.flatten().notes]


def _notes(score: music21.stream.Score) -> list[list[tuple]]:
    """What a Score takes from each part: onsets, lengths, pitches, ties, fermatas."""
    out = []
    for part in score.parts:
        out.append([(float(n.offset), float(n.quarterLength),
                     round(n.pitch.ps) if n.isNote else None,
                     n.tie.type if n.tie is not None else None,
                     any(isinstance(e, music21.expressions.Fermata) for e in n.expressions))
                    for n in part.flatten().notesAndRests])
    return out


def _music21_of(root) -> music21.stream.Score:
    return music21.converter.parseData(tostring(root, encoding="unicode"), format="musicxml")


def test_leaving_out_the_engraving_changes_no_note_tie_or_fermata():
    data = band_score_xml(bars=4)
    data = data.replace(b"<stem>up</stem>", b"<stem>up</stem><notations><tied type=\"start\"/>"
                        b"<fermata/></notations>", 3)
    whole, pruned = checked_tree(data, "band"), checked_tree(data, "band")
    prune_engraving(pruned)
    assert len(tostring(pruned)) < 0.7 * len(tostring(whole))
    assert _notes(_music21_of(pruned)) == _notes(_music21_of(whole))


def test_parts_left_unread_keep_their_bars_tempo_and_metre_but_no_notes():
    choir = tuple(BandPart(name, low, high, 52) for name, low, high in
                  (("Soprano", 60, 79), ("Alto", 55, 72), ("Tenor", 48, 67), ("Bass", 40, 60)))
    data = band_score_xml(bars=6, parts=BAND[:3] + choir)
    root = checked_tree(data, "choir")
    voices = named_voice_parts(root)
    assert voices == ["P4", "P5", "P6", "P7"]
    assert hollow_parts(root, voices) == ["Piccolo", "Flute 1", "Flute 2"]
    for part in root.iterfind("part"):
        assert (part.find(".//note") is not None) == (part.get("id") in voices)
    hollow, whole = _music21_of(root), music21.converter.parseData(data, format="musicxml")
    piccolo, original = hollow.parts[0], whole.parts[0]
    assert not piccolo.flatten().notes
    assert ([m.offset for m in piccolo.getElementsByClass("Measure")]
            == [m.offset for m in original.getElementsByClass("Measure")])
    assert piccolo.flatten().getElementsByClass("MetronomeMark")[0].number == 112
    assert piccolo.flatten().getElementsByClass("TimeSignature")[0].ratioString == "4/4"
