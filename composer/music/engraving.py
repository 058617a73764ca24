"""A score as engraved notation: Verovio's pages, drawn from the very MusicXML the export
writes (`musicxml_bytes`), so the score view, the PDF and an exported file never disagree.

Besides the pages, an engraving knows which written note is which note of the score: a
staff draws its voice's written notes in the order the MusicXML writes them, so the n-th
note drawn on a staff is the voice's n-th written note (a tied note's pieces each name the
note they write). Verovio's timemap, which gives each written note's onset, is asked only
where that count disagrees. Nothing here imports Qt; the SVG is rewritten
into the SVG Tiny form that Qt's renderer (and other small renderers) draw.

Verovio is optional: without it `verovio_problem()` says why and how to fix it, and the app
runs with an empty score view.
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from composer.music.musicxml_file import ScoreInfo, musicxml_bytes
from composer.music.musicxml_notation import bars, written_notes
from composer.music.score import STEPS_PER_QUARTER, Note, NoteRef, Score
from composer.work import Cancel, Cancelled, Progress

INSTALL_HINT = "Install it with `.venv/bin/pip install verovio` or `make setup`."


def verovio_problem() -> str | None:
    """Why notation cannot be engraved here (Verovio missing or broken), or None."""
    try:
        import verovio  # noqa: F401
    except ImportError as error:
        return f"Verovio, the engraving library, is not installed ({error}). {INSTALL_HINT}"
    return None


class EngravingError(Exception):
    """Verovio could not read or lay out the music."""


@dataclass(frozen=True)
class Layout:
    """How the music is laid out, in Verovio's units (tenths of a millimetre at scale 100):
    `width` and `height` of a page, `scale` in percent of the SVG's pixel size (the layout
    itself does not change with it), `fit_height` to cut each page to its music (a view
    that scrolls) rather than a paper page."""

    width: int = 2100
    height: int = 2970
    scale: int = 40
    fit_height: bool = False
    margin: int = 50
    header: bool = True  # the title over the first page
    staff_spacing: int = 12  # Verovio's defaults: staff spaces between staves, systems
    system_spacing: int = 12

    def options(self) -> dict[str, object]:
        return {
            "pageWidth": self.width, "pageHeight": self.height, "scale": self.scale,
            "adjustPageHeight": self.fit_height, "breaks": "auto", "footer": "none",
            "header": "auto" if self.header else "none",
            "pageMarginLeft": self.margin, "pageMarginRight": self.margin,
            "pageMarginTop": self.margin, "pageMarginBottom": self.margin,
            "spacingStaff": self.staff_spacing, "spacingSystem": self.system_spacing,
            "svgAdditionalAttribute": ["staff@n"], "xmlIdSeed": 1,
        }


A4 = Layout()  # paper: 210 × 297 mm pages


def view_layout(width_px: int, scale: int = 35) -> Layout:
    """Pages as wide as a view of `width_px` pixels, as tall as their music; no title (a
    narrow view cuts a long one off: the view's caption shows it)."""
    width = max(600, round(width_px * 100 / scale))
    return Layout(width=width, height=60000, scale=scale, fit_height=True, margin=40,
                  header=False, staff_spacing=7, system_spacing=6)


@dataclass(frozen=True)
class EngravedNote:
    """One written note: its element id in the SVG, the page it is on (from 0), and the
    span it writes of score note `note` of `voice` (a tied piece writes part of it)."""

    id: str
    page: int
    voice: int
    start: int
    end: int
    note: Note

    @property
    def ref(self) -> NoteRef:
        return (self.voice, self.note)


@dataclass(frozen=True)
class Engraving:
    pages: tuple[str, ...]  # SVG Tiny, one per page
    notes: tuple[EngravedNote, ...]
    musicxml: bytes = field(repr=False, default=b"")
    _by_start: tuple[tuple[int, ...], tuple[EngravedNote, ...]] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.notes, key=lambda n: (n.start, n.voice)))
        object.__setattr__(self, "_by_start", (tuple(n.start for n in ordered), ordered))

    def sounding(self, step: float) -> list[EngravedNote]:
        """The written notes sounding at `step`: the playing chord."""
        starts, ordered = self._by_start
        upto = bisect.bisect_right(starts, step)
        return [n for n in ordered[:upto] if n.end > step]

    def of(self, refs: Iterable[NoteRef]) -> list[EngravedNote]:
        """The written pieces of these score notes."""
        wanted = set(refs)
        return [n for n in self.notes if n.ref in wanted]


def engrave(score: Score, info: ScoreInfo | None = None, layout: Layout = A4,
            colors: Mapping[NoteRef, str] | None = None, progress: Progress | None = None,
            cancel: Cancel | None = None) -> Engraving:
    """Engrave `score` as the MusicXML export writes it; `colors` paints some notes (a
    pending candidate) in a colour of their own. Raises EngravingError when Verovio is
    missing or fails, Cancelled soon after `cancel()` turns true."""
    problem = verovio_problem()
    if problem:
        raise EngravingError(problem)
    check = _checker(cancel)
    data = _musicxml(score, info)
    check()
    toolkit = _toolkit(layout)
    if not toolkit.loadData(data.decode("utf-8")):
        raise EngravingError("Verovio could not read the MusicXML of this score")
    count = toolkit.getPageCount()
    total = count + 2
    if progress:
        progress(1, total)
    pages = []
    for page in range(1, count + 1):
        check()
        pages.append(toolkit.renderToSVG(page))
        if progress:
            progress(1 + page, total)
    check()
    notes = _note_map_in_order(score, pages)
    if notes is None:  # not drawn as written (never seen): ask Verovio when each sounds
        notes = _note_map(score, pages, toolkit.renderToTimemap())
    coloured = {n.id: colors[n.ref] for n in notes if n.ref in colors} if colors else {}
    pages = tuple(svg_tiny(svg, coloured) for svg in pages)
    if progress:
        progress(total, total)
    return Engraving(pages, tuple(notes), data)


def mei(score: Score, info: ScoreInfo | None = None) -> str:
    """The export's MusicXML as Verovio reads it, in MEI: what an engraver will draw."""
    problem = verovio_problem()
    if problem:
        raise EngravingError(problem)
    toolkit = _toolkit(A4)
    if not toolkit.loadData(musicxml_bytes(score, info).decode("utf-8")):
        raise EngravingError("Verovio could not read the MusicXML of this score")
    return toolkit.getMEI()


def _checker(cancel: Cancel | None):  # noqa: ANN202 - a no-argument check
    def check() -> None:
        if cancel is not None and cancel():
            raise Cancelled()

    return check


@functools.lru_cache(maxsize=4)
def _musicxml(score: Score, info: ScoreInfo | None) -> bytes:
    """The export's MusicXML, kept for the last few scores: the view engraves the same
    score again when it is resized, when a candidate is shown and hidden, or when the
    undo stack goes back to it."""
    return musicxml_bytes(score, info)


_TOOLKITS = threading.local()


def _toolkit(layout: Layout):  # noqa: ANN202 - verovio.toolkit, imported late
    """A Verovio toolkit set up for `layout`, one per thread, made once (its fonts take
    longer to load than a page to lay out) and given the options again each time, which
    also restarts its ids from the seed, so the same score is engraved with the same ids."""
    toolkit = getattr(_TOOLKITS, "toolkit", None)
    if toolkit is None:
        toolkit = _TOOLKITS.toolkit = _new_toolkit()
    toolkit.setOptions(layout.options())
    return toolkit


def _new_toolkit():  # noqa: ANN202 - verovio.toolkit, imported late
    from importlib.resources import files

    import verovio

    verovio.enableLog(False)
    toolkit = verovio.toolkit()
    # The package sets its fonts' folder as a default for the importing thread only; a
    # toolkit on a worker thread is told where they are.
    toolkit.setResourcePath(str(files("verovio") / "data"))
    return toolkit


_STAFF = re.compile(r'<g id="([^"]+)" class="staff" data-n="(\d+)"')
_NOTE = re.compile(r'<g id="([^"]+)" class="note"')


def _note_map_in_order(score: Score, pages: list[str]) -> list[EngravedNote] | None:
    """Each drawn note as the written note it is: a staff draws its voice's written notes
    (`written_notes`) in order, page after page. None when the counts disagree. (Verovio's
    timemap gives the same map, after working out the timing of the whole score, an
    eighth of an engraving's time.)"""
    written = written_notes(score)
    taken = [0, 0, 0, 0]
    found = []
    for page, svg in enumerate(pages):
        for element, voice in _notes_by_staff(svg):
            if not 0 <= voice < 4 or taken[voice] >= len(written[voice]):
                return None
            start, end, note = written[voice][taken[voice]]
            taken[voice] += 1
            found.append(EngravedNote(element, page, voice, start, end, note))
    return found if taken == [len(w) for w in written] else None


def _note_map(score: Score, pages: list[str], timemap: list[dict]) -> list[EngravedNote]:
    """Each written note as the span of a score note, by voice (its staff) and onset."""
    onset: dict[str, float] = {}
    release: dict[str, float] = {}
    for event in timemap:
        for element in event.get("on", ()):
            onset[element] = event["qstamp"]
        for element in event.get("off", ()):
            release[element] = event["qstamp"]
    origin = bars(score)[0].start
    found = []
    for page, svg in enumerate(pages):
        for element, voice in _notes_by_staff(svg):
            if element not in onset or not 0 <= voice < 4:
                continue
            start = origin + round(onset[element] * STEPS_PER_QUARTER)
            end = origin + round(release.get(element, onset[element]) * STEPS_PER_QUARTER)
            note = _covering(score.voices[voice], start)
            if note is not None:
                found.append(EngravedNote(element, page, voice, start, max(end, start + 1),
                                          note))
    return found


def _notes_by_staff(svg: str) -> list[tuple[str, int]]:
    """(note id, voice) in the order the page writes them: a note belongs to the staff
    opened last before it (notes sit inside their staff's group)."""
    marks = [(m.start(), "staff", m.group(2)) for m in _STAFF.finditer(svg)]
    marks += [(m.start(), "note", m.group(1)) for m in _NOTE.finditer(svg)]
    voice, out = -1, []
    for _, kind, value in sorted(marks):
        if kind == "staff":
            voice = int(value) - 1
        else:
            out.append((value, voice))
    return out


def _covering(voice: tuple[Note, ...], step: int) -> Note | None:
    index = bisect.bisect_right(voice, step, key=lambda n: n.start) - 1
    if index >= 0 and voice[index].start <= step < voice[index].end:
        return voice[index]
    return None


# --- SVG Tiny -------------------------------------------------------------------------------
_INNER_SVG = re.compile(r'<svg class="definition-scale"([^>]*?)\s*viewBox="([^"]*)"([^>]*)>')
_TEXT = re.compile(r"<text\b([^>]*?)(/?)>(.*?)(?:</text>|(?<=/>))", re.S)
_TITLE = re.compile(r"<title\b[^>]*>.*?</title>", re.S)
_ATTR = re.compile(r'\b(x|y|text-anchor|font-size|font-style|font-weight)="([^"]*)"')
_HEAD = re.compile(r'(<g id="([^"]+)" class="note"[^>]*?)>(\s*)<g class="notehead"')


def svg_tiny(svg: str, colors: Mapping[str, str] | None = None) -> str:
    """Verovio's SVG in the form SVG Tiny 1.2 renderers draw: the nested <svg> that scales
    the page becomes the root's viewBox, each text one <text> (no nested <tspan>s, whose
    sizes Qt does not inherit), each note head gets the id `<note id>-head` (its box is
    where a click lands and the playing chord lights up), and notes in `colors` (id to
    colour) are filled in their colour."""
    match = _INNER_SVG.search(svg)
    if match is not None:
        group = f'<g class="definition-scale"{match.group(1)}{match.group(3)}>'
        svg = svg[:match.start()] + group + svg[match.end():]
        last = svg.rfind("</svg>")
        inner = svg.rfind("</svg>", 0, last)
        if inner >= 0:
            svg = svg[:inner] + "</g>" + svg[inner + len("</svg>"):]
        svg = svg.replace('overflow="visible"', f'viewBox="{match.group(2)}"', 1)
    svg = _TITLE.sub("", svg)
    svg = _TEXT.sub(_flat_text, svg)
    colors = colors or {}

    def head(m: re.Match) -> str:
        colour = colors.get(m.group(2))
        paint = f' color="{colour}" fill="{colour}"' if colour else ""
        return f'{m.group(1)}{paint}>{m.group(3)}<g id="{m.group(2)}-head" class="notehead"'

    return _HEAD.sub(head, svg)


# SMuFL glyphs Verovio writes in text (a tempo's note) in a music font Qt does not have, as
# the Unicode notes any text font draws; other private-use glyphs are left out.
_SMUFL_TEXT = {0xECA3: "\U0001D15E", 0xECA5: "\u2669", 0xECA7: "\u266A", 0xECB7: "."}
_SMUFL_TEXT.update({c: None for c in range(0xE000, 0xF900) if c not in _SMUFL_TEXT})


def _flat_text(match: re.Match) -> str:
    attributes: dict[str, str] = {}
    for name, value in _ATTR.findall(match.group(1) + match.group(3)):
        if name == "font-size" and value.startswith("0"):
            continue  # Verovio zeroes the outer size and sets it on an inner <tspan>
        if name in ("x", "y", "text-anchor"):
            attributes.setdefault(name, value)  # the outermost place
        else:
            attributes[name] = value  # the innermost style
    content = re.sub(r"<[^>]+>", "", match.group(3)).translate(_SMUFL_TEXT)
    content = " ".join(content.split())
    if not content:
        return ""
    written = " ".join(f'{k}="{v}"' for k, v in attributes.items())
    return f"<text {written}>{content}</text>"
