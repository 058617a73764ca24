"""Engraving with Verovio: the pages hold the chorale's notes, each written note names its
score note, and the export's MusicXML reads in an engraver (Verovio's MEI) with the right
title, no stray naturals, upright fermatas and a real pickup."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from composer.music.commands import BACH, chorale_title
from composer.music.corpus import build_corpus
from composer.music.engraving import A4, engrave, mei, svg_tiny, view_layout
from composer.music.musicxml_file import ScoreInfo
from composer.music.musicxml_notation import pickup
from composer.music.score import Note, Score

pytest.importorskip("verovio")

TEST_CHORALES = ["bwv277", "bwv151.5", "bwv1.6"]  # from the test split
M = "{http://www.music-encoding.org/ns/mei}"
_KEY_ORDER = {"s": "fcgdaeb", "f": "beadgcf"}
_ALTER = {"s": 1, "f": -1, "n": 0, "ss": 2, "x": 2, "ff": -2}


@pytest.fixture(scope="module")
def chorales():
    corpus = build_corpus(ids=TEST_CHORALES + ["bwv269"], processes=1)
    return {e.id: e for e in corpus.entries}


def _info(entry) -> ScoreInfo:
    return ScoreInfo(chorale_title(entry), BACH)


def test_engraving_writes_every_note_of_the_chorale_and_names_it(chorales):
    entry = chorales["bwv269"]
    engraving = engrave(entry.score, _info(entry), A4)
    written = {n.ref for n in engraving.notes}
    assert written == set(entry.score.notes())
    ids = [m for svg in engraving.pages for m in re.findall(r'class="note"', svg)]
    assert len(ids) == len(engraving.notes)
    assert "Aus meines Herzens Grunde, BWV 269" in engraving.pages[0]
    for note in engraving.notes:  # each piece lies within the note it writes
        assert note.note.start <= note.start < note.end <= note.note.end


def test_the_sounding_chord_is_the_notes_under_the_step(chorales):
    score = chorales["bwv269"].score
    engraving = engrave(score, None, view_layout(400))
    for step in (score.voices[0][0].start, 40, 41, score.length - 1):
        expected = {(v, n) for v in range(4) for n in score.voices[v] if n.start <= step < n.end}
        assert {n.ref for n in engraving.sounding(step)} == expected


def test_svg_tiny_has_one_root_and_flat_texts(chorales):
    engraving = engrave(chorales["bwv269"].score, _info(chorales["bwv269"]), A4)
    svg = engraving.pages[0]
    assert svg.count("<svg") == 1
    assert "<tspan" not in svg and "<title" not in svg
    assert re.search(r'<text [^>]*font-size="\d+px"[^>]*>Soprano</text>', svg)
    ET.fromstring(svg)  # still well-formed XML


def test_coloured_notes_are_filled_in_their_colour():
    note = Note(0, 4, 72)
    score = Score(((note, Note(4, 4, 74)), (), (), ()), length=16)
    engraving = engrave(score, None, A4, colors={(0, note): "#2f7fd8"})
    coloured = re.findall(r'<g id="([^"]+)" class="note" color="#2f7fd8"', engraving.pages[0])
    assert coloured == [n.id for n in engraving.notes if n.note == note]


def test_svg_tiny_leaves_plain_svg_alone():
    plain = '<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>'
    assert svg_tiny(plain) == plain


# --- the export as an engraver reads it ----------------------------------------------------
def _tree(entry) -> ET.Element:
    return ET.fromstring(mei(entry.score, _info(entry)))


@pytest.mark.parametrize("chorale", TEST_CHORALES)
def test_exported_chorale_reads_in_verovio_with_its_title_and_composer(chorales, chorale):
    entry = chorales[chorale]
    root = _tree(entry)
    title = root.find(f".//{M}fileDesc/{M}titleStmt/{M}title")
    assert title is not None and title.text == chorale_title(entry)
    names = [p.text for p in root.iter(f"{M}persName") if p.get("role") == "composer"]
    assert names == [BACH]
    labels = [lab.findtext(".//" + M + "rend") or lab.text for lab in
              root.iter(f"{M}label")]
    assert [t.strip() for t in labels if t] == ["Soprano", "Alto", "Tenor", "Bass"]


def _key_alters(keysig: str | None) -> dict[str, int]:
    if not keysig or keysig == "0":
        return {}
    count, kind = int(keysig[:-1]), keysig[-1]
    return {letter: _ALTER[kind] for letter in _KEY_ORDER[kind][:count]}


@pytest.mark.parametrize("chorale", TEST_CHORALES + ["bwv269"])
def test_exported_chorale_shows_accidentals_only_where_the_bar_needs_them(chorales, chorale):
    """Every sign Verovio will draw (`accid`) changes what the key and the bar so far say;
    every note the key and bar do not already give (`accid.ges` alone) needs no sign."""
    root = _tree(chorales[chorale])
    keysig = next((e.get("keysig") for e in root.iter() if e.get("keysig")), None)
    if keysig is None:
        keysig = next((k.get("sig") for k in root.iter(f"{M}keySig")), None)
    signature = _key_alters(keysig)
    stray, missing, altered = [], [], 0
    for measure in root.iter(f"{M}measure"):
        for staff in measure.iter(f"{M}staff"):
            bar: dict[tuple[str, str], int] = {}
            for note in staff.iter(f"{M}note"):
                place = (note.get("pname"), note.get("oct"))
                shown = note.get("accid") or next(
                    (a.get("accid") for a in note.iter(f"{M}accid") if a.get("accid")), None)
                hidden = note.get("accid.ges") or next(
                    (a.get("accid.ges") for a in note.iter(f"{M}accid")
                     if a.get("accid.ges")), None)
                expected = bar.get(place, signature.get(place[0], 0))
                altered += bool(shown or hidden)
                tied_on = note.get("tie") in ("m", "t")
                if shown is not None:
                    if _ALTER[shown] == expected and not tied_on:
                        stray.append((measure.get("n"), place, shown))
                    bar[place] = _ALTER[shown]
                elif not tied_on and _ALTER.get(hidden or "n", 0) != expected \
                        and (hidden or place[0] in signature or place in bar):
                    missing.append((measure.get("n"), place, hidden))
    assert altered, "no altered note: the check would pass whatever the export wrote"
    assert stray == [] and missing == []


@pytest.mark.parametrize("chorale", ["bwv277", "bwv151.5", "bwv269"])  # BWV 1.6 has none
def test_exported_fermatas_stand_upright_above_every_voice(chorales, chorale):
    entry = chorales[chorale]
    fermatas = list(_tree(entry).iter(f"{M}fermata"))
    sounding = [f for f in entry.score.fermatas
                if any(n.start <= f < n.end for v in entry.score.voices for n in v)]
    assert sounding, "a chorale with no fermata tests nothing here"
    assert all(f.get("form") != "inv" and f.get("place", "above") == "above"
               for f in fermatas), [f.attrib for f in fermatas]
    assert len(fermatas) >= len(sounding)


@pytest.mark.parametrize("chorale", TEST_CHORALES)
def test_exported_pickup_is_an_incomplete_first_bar(chorales, chorale):
    entry = chorales[chorale]
    score = entry.score
    root = _tree(entry)
    first = next(root.iter(f"{M}measure"))
    begin = pickup(score)
    if not begin:
        assert first.get("metcon") != "false"
        return
    assert first.get("metcon") == "false"
    for staff in first.iter(f"{M}staff"):
        events = [e for e in staff.iter() if e.tag in (f"{M}note", f"{M}rest")]
        ppq = sum(int(e.get("dur.ppq")) for e in events)
        quarter = next(int(e.get("dur.ppq")) // (4 / int(e.get("dur")))
                       for e in root.iter(f"{M}note") if e.get("dots") is None)
        assert ppq * 4 / quarter == score.steps_per_bar - begin, staff.get("n")
