"""Which drawn note is which score note, read from the order a staff draws its voice's
written notes: the same map as Verovio's timemap gives, for chorales and for scores with
ties over bar lines, a pickup, fermatas inside long notes and rests."""

from __future__ import annotations

import pytest

from composer.music.corpus import build_corpus
from composer.music.engraving import (
    A4,
    _note_map,
    _note_map_in_order,
    _toolkit,
    engrave,
    view_layout,
)
from composer.music.musicxml_file import musicxml_bytes
from composer.music.musicxml_notation import written_notes
from composer.music.score import Note, Score, TimeSignature

pytest.importorskip("verovio")


def _both_maps(score: Score, layout=A4):
    toolkit = _toolkit(layout)
    assert toolkit.loadData(musicxml_bytes(score).decode("utf-8"))
    pages = [toolkit.renderToSVG(p) for p in range(1, toolkit.getPageCount() + 1)]
    return _note_map_in_order(score, pages), _note_map(score, pages, toolkit.renderToTimemap())


@pytest.fixture(scope="module")
def chorales():
    return build_corpus(ids=["bwv269", "bwv123.6", "bwv277"], processes=1).entries


def test_the_order_of_the_drawn_notes_maps_them_as_the_timemap_does(chorales):
    for entry in chorales:
        for layout in (A4, view_layout(360)):  # one page, and several systems
            in_order, timed = _both_maps(entry.score, layout)
            assert in_order is not None and in_order == timed, entry.id


def test_ties_fermatas_and_a_pickup_map_piece_by_piece():
    soprano = (Note(12, 4, 72), Note(16, 28, 74), Note(44, 6, 76), Note(50, 14, 72))
    bass = (Note(12, 20, 48), Note(40, 24, 43))
    score = Score((soprano, (), (), bass), time_signature=TimeSignature(4, 4),
                  key="G major", fermatas=frozenset({28, 56}), length=64)
    in_order, timed = _both_maps(score)
    assert in_order is not None and in_order == timed
    pieces = written_notes(score)
    assert [(s, e) for s, e, _ in pieces[0]][:4] == [(12, 16), (16, 28), (28, 32), (32, 44)]
    assert engrave(score).notes == tuple(in_order)
