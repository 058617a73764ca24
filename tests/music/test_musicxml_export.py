"""The written MusicXML itself, as an engraver reads it: title and names, accidentals,
spelling against Bach's originals, fermatas, the pickup and the rests."""

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import music21
import pytest

from composer.music.commands import BACH, chorale_title
from composer.music.corpus import build_corpus, chorale_paths
from composer.music.files import read_score, write_score
from composer.music.musicxml_file import ScoreInfo, musicxml_bytes
from composer.music.score import Note, Score, TimeSignature
from composer.music.spelling import spell, spell_voices
from composer.music.voicing import voice_of_name

TEST_CHORALES = ["bwv277", "bwv151.5", "bwv1.6"]  # from the test split
OTHERS = ["bwv269", "bwv123.6", "bwv176.6"]  # G major with a pickup; B minor (A sharp,
# issue 15); G minor leaning to B flat minor (D flats, which the key alone spells C sharp)
_FIFTHS = "FCGDAEB"
_STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


@pytest.fixture(scope="module")
def chorales():
    corpus = build_corpus(ids=TEST_CHORALES + OTHERS, processes=1)
    return {e.id: e for e in corpus.entries}


def _root(score: Score, info: ScoreInfo | None = None) -> ET.Element:
    return ET.fromstring(musicxml_bytes(score, info))


def _events(part: ET.Element, steps_per_bar: int):
    """(measure, start step, length in steps, note element) for each note and rest, the
    steps counted as the file does (from the pickup's nominal bar start)."""
    divisions = None
    position = 0
    out = []
    measures = part.findall("measure")
    for m in measures:
        d = m.find("attributes/divisions")
        if d is not None:
            divisions = int(d.text)
        length = 0
        for n in m.findall("note"):
            steps = int(n.find("duration").text) * 4 // divisions
            out.append((m, position + length, steps, n))
            length += steps
        if m.get("number") == "0":
            for i, (mm, start, steps, n) in enumerate(out):
                out[i] = (mm, start + steps_per_bar - length, steps, n)
            position = steps_per_bar
        else:
            position += length
    return out


def _written(n: ET.Element) -> str:
    step = n.find("pitch/step").text
    alter = int(float(n.findtext("pitch/alter") or 0))
    accidental = {-2: "bb", -1: "b", 0: "", 1: "#", 2: "##"}[alter]
    return f"{step}{accidental}{n.find('pitch/octave').text}"


def _midi(n: ET.Element) -> int:
    step = n.find("pitch/step").text
    alter = int(float(n.findtext("pitch/alter") or 0))
    return 12 * (int(n.find("pitch/octave").text) + 1) + _STEPS[step] + alter


# --- 1. title, composer, part names --------------------------------------------------------
def test_corpus_chorale_has_its_title_composer_and_part_names(chorales, tmp_path):
    entry = chorales["bwv269"]
    path = tmp_path / "269.musicxml"
    write_score(path, entry.score, title=chorale_title(entry), composer=BACH)
    root = ET.parse(path).getroot()
    assert root.findtext("work/work-title") == "Aus meines Herzens Grunde, BWV 269"
    assert root.findtext("movement-title") == "Aus meines Herzens Grunde, BWV 269"
    creators = root.findall("identification/creator")
    assert [(c.get("type"), c.text) for c in creators] == [("composer", "J. S. Bach")]
    names = [p.findtext("part-name") for p in root.findall("part-list/score-part")]
    assert names == ["Soprano", "Alto", "Tenor", "Bass"]
    parsed = music21.converter.parse(str(path))
    assert parsed.metadata.bestTitle == "Aus meines Herzens Grunde, BWV 269"
    assert read_score(path).score == entry.score


def test_corpus_export_command_writes_the_title_and_composer(chorales, tmp_path, monkeypatch):
    from composer.cli import main
    from composer.music import commands
    from composer.music.corpus import Corpus

    monkeypatch.setattr(commands, "load_corpus", lambda progress=None: Corpus(
        list(chorales.values())))
    path = tmp_path / "c.musicxml"
    assert main(["corpus", "export", "bwv123.6", "-o", str(path)]) == 0
    root = ET.parse(path).getroot()
    assert root.findtext("movement-title") == "Liebster Immanuel, Herzog der Frommen, BWV 123.6"
    assert root.findtext("identification/creator[@type='composer']") == "J. S. Bach"


def test_untitled_chorale_title_is_its_bwv_number(chorales):
    assert chorale_title(chorales["bwv1.6"]) == "BWV 1.6"


def test_users_own_score_carries_no_music21_title_or_composer(tmp_path):
    path = tmp_path / "mine.musicxml"
    write_score(path, Score(((Note(0, 16, 72),), (), (), ())))
    text = path.read_text()
    assert "Music21" not in text
    root = ET.fromstring(text)
    assert root.find("identification/creator") is None
    assert root.find("movement-title") is None
    write_score(path, Score(((Note(0, 16, 72),), (), (), ())), title="Mine")
    assert ET.parse(path).getroot().findtext("movement-title") == "Mine"


# --- 2. accidentals ------------------------------------------------------------------------
def _check_accidentals(root: ET.Element, steps_per_bar: int) -> int:
    """Every <accidental> is one the key and the bar call for, and every such note has
    one: a note needs it when its alteration differs from what its letter and octave
    carry at that point of the bar (the key signature, or an earlier accidental)."""
    shown = 0
    for part in root.findall("part"):
        fifths = int(part.findtext("measure/attributes/key/fifths") or 0)
        in_key = {letter: 0 for letter in _FIFTHS}
        for letter in (_FIFTHS[:fifths] if fifths > 0 else _FIFTHS[7 + fifths:]):
            in_key[letter] = 1 if fifths > 0 else -1
        for m in part.findall("measure"):
            state: dict[tuple[str, str], int] = {}
            for n in m.findall("note"):
                if n.find("pitch") is None:
                    continue
                step, octave = n.findtext("pitch/step"), n.findtext("pitch/octave")
                alter = int(float(n.findtext("pitch/alter") or 0))
                current = state.get((step, octave), in_key[step])
                tied_over = any(t.get("type") == "stop" for t in n.findall("tie"))
                has = n.find("accidental") is not None
                shown += has
                if tied_over:  # carries its sign without showing it, for itself only
                    assert not has, f"bar {m.get('number')}: a tied-over note needs no sign"
                    continue
                assert has == (alter != current), (
                    f"bar {m.get('number')} {_written(n)}: accidental shown={has}, "
                    f"needed={alter != current}")
                state[(step, octave)] = alter
    return shown


@pytest.mark.parametrize("chorale", TEST_CHORALES + OTHERS)
def test_accidentals_only_where_the_key_and_bar_call_for_them(chorales, chorale):
    score = chorales[chorale].score
    root = _root(score)
    shown = _check_accidentals(root, score.steps_per_bar)
    naturals = [a for a in root.iter("accidental") if a.text == "natural"]
    if chorale == "bwv269":  # was 180 naturals, e.g. G and D in G major
        assert len(naturals) <= 3 and shown <= 10


def test_accidental_holds_for_the_bar_and_not_the_next():
    # G major: F natural twice in a bar, then F natural in the next bar, then F sharp.
    score = Score(((Note(0, 4, 77), Note(4, 4, 77), Note(16, 4, 77), Note(20, 4, 78)),
                   (), (), ()), key="G major")
    root = _root(score)
    signs = [n.findtext("accidental") for n in root.find("part").iter("note")
             if n.find("pitch") is not None]
    assert signs == ["natural", None, "natural", "sharp"]
    _check_accidentals(root, 16)


# --- 3. spelling ---------------------------------------------------------------------------
def _spellings(parts) -> dict[tuple[int, float, int], str]:
    found = {}
    for i, part in enumerate(parts):
        for n in part.flatten().notes:
            if n.tie is not None and n.tie.type in ("stop", "continue"):
                continue
            found[(i, float(n.offset), round(n.pitch.ps))] = n.pitch.nameWithOctave
    return found


@pytest.mark.parametrize("chorale", TEST_CHORALES + ["bwv123.6", "bwv176.6"])
def test_spelling_agrees_with_bachs_original_and_with_spell(chorales, chorale):
    score = chorales[chorale].score
    root = _root(score)
    names = spell_voices(score.voices, score.key, score.time_signature.steps_per_beat)
    for part, voice, voice_names in zip(root.findall("part"), score.voices, names):
        wanted = {n.start: name for n, name in zip(voice, voice_names)}
        for _, start, _, n in _events(part, score.steps_per_bar):
            if n.find("pitch") is not None and not n.findall("tie[@type='stop']"):
                assert _written(n) == wanted[start]
    ours = music21.converter.parse(musicxml_bytes(score), format="musicxml")
    original = music21.converter.parse(  # the MusicXML the corpus reads, not the Humdrum
        next(p for p in chorale_paths() if p.stem.lower() == chorale))
    voices = [p for p in original.parts if voice_of_name(p.partName or "") is not None]
    mine, bach = _spellings(ours.parts), _spellings((voices or list(original.parts))[:4])
    common = set(mine) & set(bach)
    assert len(common) >= 0.95 * len(mine)
    agreement = sum(mine[k] == bach[k] for k in common) / len(common)
    print(f"{chorale}: {agreement:.1%} of {len(common)} notes spelled as Bach did")
    assert agreement >= 0.99, f"{chorale}: {agreement:.1%} of the notes spelled as Bach did"


def test_chromatic_note_leans_towards_the_chord_it_sounds_in():
    # G minor: C sharp in an A major chord (V of V); D flat in a B flat minor chord after
    # an E flat major one (BWV 176.6 bars 5 and 15, where the key alone says C sharp).
    a_major = [Note(0, 4, p) for p in (69, 61, 52, 45)]
    e_flat_major = [Note(4, 4, p) for p in (63, 58, 55, 51)]
    b_flat_minor = [Note(8, 4, p) for p in (65, 61, 53, 46)]
    voices = tuple(zip(a_major, e_flat_major, b_flat_minor))
    names = spell_voices(voices, "G minor", 4)
    assert (names[1][0], names[1][2]) == ("C#4", "Db4")
    assert spell(61, "G minor") == "C#4"  # the key alone, for a pitch (the roll's rows)
    assert spell_voices(((Note(0, 4, 61),), (), (), ()), "G minor", 4)[0] == ["C#4"]
    assert spell_voices(voices, None, 4)[1][2] == spell(61, None)


def test_leading_tone_of_b_minor_is_a_sharp(chorales):
    score = chorales["bwv123.6"].score
    root = _root(score)
    soprano = root.find("part")
    names = {_written(n)[:-1] for m in soprano.findall("measure")
             if 11 <= int(m.get("number")) <= 15
             for n in m.findall("note") if n.find("pitch") is not None}
    assert "A#" in names and "Bb" not in names


# --- 4. fermatas ---------------------------------------------------------------------------
@pytest.mark.parametrize("chorale", ["bwv269", "bwv277"])
def test_fermatas_upright_above_on_every_voice(chorales, chorale):
    score = chorales[chorale].score
    root = _root(score)
    fermatas = list(root.iter("fermata"))
    assert len(fermatas) == 4 * len(score.fermatas) > 0
    # upright is above; <fermata> has no placement attribute in MusicXML 3.1 or 4.0, and
    # MuseScore 3 rejects a file with one as invalid ("load anyway?")
    assert all(f.attrib == {"type": "upright"} for f in fermatas)
    for part in root.findall("part"):
        at = {start for _, start, _, n in _events(part, score.steps_per_bar)
              if n.find("notations/fermata") is not None}
        assert at == set(score.fermatas)


# --- 5. pickup and last bar ----------------------------------------------------------------
def _bar_lengths(part: ET.Element, steps_per_bar: int) -> list[int]:
    lengths: dict[str, int] = {}
    for m, _, steps, _ in _events(part, steps_per_bar):
        lengths[m.get("number")] = lengths.get(m.get("number"), 0) + steps
    return list(lengths.values())


def test_pickup_is_an_incomplete_first_bar_and_the_last_bar_as_long_as_its_music(
        chorales, tmp_path):
    entry = chorales["bwv1.6"]  # one-beat pickup in 4/4, a three-beat last bar
    score = entry.score
    root = _root(score)
    for part in root.findall("part"):
        first = part.find("measure")
        assert (first.get("number"), first.get("implicit")) == ("0", "yes")
        assert all(n.find("rest") is None for n in first.findall("note"))
        lengths = _bar_lengths(part, 16)
        assert lengths[0] == 4 and lengths[-1] == 12
        assert set(lengths[1:-1]) == {16}
        assert sum(lengths) == score.length - 12
    assert 'print-object="no"' not in musicxml_bytes(score).decode()
    path = tmp_path / "pickup.musicxml"
    write_score(path, score)
    assert read_score(path).score == score


def test_score_starting_on_the_beat_has_no_pickup():
    root = _root(Score(((Note(0, 16, 72),), (), (), ())))
    assert root.find("part/measure").get("number") == "1"
    assert root.find("part/measure").get("implicit") in (None, "no")


# --- 6. rests by the metre -----------------------------------------------------------------
def _rests(root: ET.Element, voice: int, bar: str) -> list[tuple[str | None, int, bool]]:
    part = root.findall("part")[voice]
    measure = next(m for m in part.findall("measure") if m.get("number") == bar)
    return [(n.findtext("type"), len(n.findall("dot")), n.find("rest").get("measure") == "yes")
            for n in measure.findall("note") if n.find("rest") is not None]


def test_twelve_eight_rests_a_whole_bar_and_by_dotted_beats():
    ts = TimeSignature(12, 8)
    score = Score(((Note(0, 6, 72), Note(24, 24, 72)), (Note(30, 6, 67),), (), ()),
                  time_signature=ts, length=48)
    root = _root(score)
    assert _rests(root, 0, "1") == [("quarter", 1, False), ("half", 1, False)]
    assert _rests(root, 2, "1") == [(None, 0, True)]  # one whole-bar rest
    assert _rests(root, 1, "1") == [(None, 0, True)]
    assert _rests(root, 1, "2") == [("quarter", 1, False), ("half", 1, False)]
    assert not [n for n in root.iter("note")
                if n.find("rest") is not None and n.findtext("type") == "whole"]


def test_four_four_rests_group_by_half_bar():
    score = Score(((Note(4, 4, 72), Note(16, 2, 72)), (), (), (Note(0, 32, 48),)))
    root = _root(score)
    assert _rests(root, 0, "1") == [("quarter", 0, False), ("half", 0, False)]
    assert _rests(root, 0, "2") == [("eighth", 0, False), ("quarter", 0, False),
                                    ("half", 0, False)]
    assert _rests(root, 1, "2") == [(None, 0, True)]


# --- what MuseScore 3 makes of it (only where mscore3 is installed) -----------------------
def test_musescore_reads_the_export_as_valid_with_fermatas_above_and_a_pickup(
        chorales, tmp_path):
    mscore = shutil.which("mscore3") or shutil.which("musescore3")
    if mscore is None:
        pytest.skip("MuseScore 3 (mscore3) is not installed")
    entry = chorales["bwv176.6"]
    source, target = tmp_path / "c.musicxml", tmp_path / "c.mscx"
    write_score(source, entry.score, title=chorale_title(entry), composer=BACH)
    run = subprocess.run([mscore, "-o", str(target), str(source)], capture_output=True,
                         text=True, timeout=300, check=False,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert "not a valid MusicXML file" not in run.stdout + run.stderr
    score = ET.parse(target).getroot().find("Score")
    assert score.findtext("metaTag[@name='workTitle']") == chorale_title(entry)
    subtypes = [f.findtext("subtype") for f in score.iter("Fermata")]
    assert subtypes == ["fermataAbove"] * 4 * len(entry.score.fermatas)
    assert score.find("Staff/Measure").get("len") == "1/4"
