"""MusicXML bytes to an element tree that music21 may safely be handed.

music21 believes the numbers in a file: a metre of a thousand beats kept it busy for 47 s,
an `<alter>` of 1e308 or a dynamics of `inf` escaped as raw exceptions, and a million
measures would take it hours. It parses with xml.etree, which expands entities. So the
file is unpacked here (an .mxl archive within the size limit, however small its
compressed form), parsed with defusedxml (no entity declarations, so nothing of
`/etc/passwd` and no billion laughs), and its counts, numbers, metres and length are
checked against `import_limits`; music21 then converts the tree this returns.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
import zlib
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from composer.music.errors import FileFormatError
from composer.music.import_limits import (
    MAX_FILE_BYTES,
    MAX_MUSICXML_ALL_BARS,
    MAX_MUSICXML_BARS,
    MAX_MUSICXML_ELEMENTS,
    MAX_MUSICXML_NOTES,
    MAX_PARTS,
    MAX_QUARTERS,
    TEMPO_RANGE,
    too_long,
    too_many,
)
from composer.music.score import STEPS_PER_QUARTER

# What each number may be: beyond these a file is broken (or hostile), and music21 would
# fail on it, overflow, or allocate by it.
NUMBER_RANGES = {
    "divisions": (1e-3, 1e6),
    "duration": (0, 1e12),
    "alter": (-4, 4),
    "octave": (0, 9),
    "fifths": (-14, 14),
    "per-minute": (0, 1e4),
    "staves": (1, 16),
    "actual-notes": (1, 1000),
    "normal-notes": (1, 1000),
}
ATTRIBUTE_RANGES = {("sound", "tempo"): (0, 1e4), ("sound", "dynamics"): (0, 1000),
                    ("note", "dynamics"): (0, 1000)}
BEAT_TYPES = (1, 2, 4, 8, 16, 32, 64)
MAX_BEATS = 32


def checked_tree(data: bytes, name: str) -> Element:
    """The root of the score in `data` (MusicXML, or an .mxl archive of it)."""
    if data.startswith(b"PK"):
        data = _unpack(data, name)
    _check_tag_count(data, name)
    root = _parse(data, name)
    _check_counts(root, name)
    _check_numbers(root, name)
    _check_metres(root, name)
    quarters = max((_part_quarters(part) for part in root.iter("part")), default=0.0)
    if quarters > MAX_QUARTERS:
        raise too_long(name, quarters * STEPS_PER_QUARTER, TEMPO_RANGE[1])
    return root


def _unpack(data: bytes, name: str) -> bytes:
    """The score file an .mxl archive names, read no further than the size limit, whatever
    the archive claims about it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            member = _root_file(archive, name)
            with archive.open(member) as file:
                xml = file.read(MAX_FILE_BYTES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError,
            NotImplementedError, RuntimeError, ValueError, zlib.error) as exc:
        raise FileFormatError(
            f"{name} is not a readable compressed MusicXML file ({type(exc).__name__}: "
            f"{exc}). Export it again as MusicXML from your notation program.") from None
    if len(xml) > MAX_FILE_BYTES:
        raise FileFormatError(
            f"{name} unpacks to more than {MAX_FILE_BYTES // 2**20} MB of MusicXML; Composer "
            "opens scores of up to that size. Export a shorter excerpt of it.")
    return xml


def _root_file(archive: zipfile.ZipFile, name: str) -> str:
    """The score's name: from META-INF/container.xml, else the first MusicXML file."""
    names = archive.namelist()
    if "META-INF/container.xml" in names:
        container = archive.open("META-INF/container.xml").read(1 << 16)
        found = re.search(rb'full-path\s*=\s*["\']([^"\']+)["\']', container)
        if found:
            return found.group(1).decode("utf-8", "replace")
    scores = [n for n in names if n.lower().endswith((".musicxml", ".xml"))
              and not n.startswith("META-INF/")]
    if not scores:
        raise FileFormatError(f"{name} is a zip archive without a MusicXML score in it.")
    return scores[0]


def _check_tag_count(data: bytes, name: str) -> None:
    """Elements counted in the bytes, before the parse that would build them all (which
    takes about 2.5 us an element, entity checks included): each start tag, comment or
    declaration opens with "<" and no end tag does. A file in UTF-16 passes this, and is
    counted again once parsed."""
    elements = data.count(b"<") - data.count(b"</")
    if elements > MAX_MUSICXML_ELEMENTS:
        raise too_many(name, f"about {elements:,}", MAX_MUSICXML_ELEMENTS, "XML elements")


def _parse(data: bytes, name: str) -> Element:
    try:
        root = safe_xml.fromstring(data, forbid_dtd=False, forbid_entities=True,
                                   forbid_external=True)
    except DefusedXmlException:
        raise FileFormatError(
            f"{name} declares XML entities, which Composer does not expand: they can pull "
            "in other files from this computer or grow without bound, and no notation "
            "program needs them. Export the score again from your notation program.") from None
    except (ParseError, ValueError, LookupError) as exc:
        raise FileFormatError(
            f"{name} is not a readable MusicXML file ({exc}). Export it again as MusicXML "
            "(.musicxml or .mxl) from your notation program.") from None
    if root.tag == "score-timewise":
        raise FileFormatError(
            f"{name} is timewise MusicXML; Composer reads partwise MusicXML, which notation "
            "programs export by default. Export it again as (partwise) MusicXML.")
    if root.tag != "score-partwise":
        raise FileFormatError(
            f"{name} is not a readable MusicXML file: its root element is <{root.tag}>, not "
            "<score-partwise>. It may be another kind of XML file.")
    return root


def _check_counts(root: Element, name: str) -> None:
    elements = sum(1 for _ in root.iter())
    if elements > MAX_MUSICXML_ELEMENTS:
        raise too_many(name, f"{elements:,}", MAX_MUSICXML_ELEMENTS, "XML elements")
    notes = sum(1 for _ in root.iter("note"))
    if notes > MAX_MUSICXML_NOTES:
        raise too_many(name, f"{notes:,}", MAX_MUSICXML_NOTES, "notes and rests")
    parts = root.findall("part")
    if len(parts) > MAX_PARTS:
        raise too_many(name, f"{len(parts):,}", MAX_PARTS, "parts")
    bars = [len(part.findall("measure")) for part in parts]
    if max(bars, default=0) > MAX_MUSICXML_BARS:
        raise too_many(name, f"{max(bars):,}", MAX_MUSICXML_BARS, "bars in a part", _AS_MIDI)
    if sum(bars) > MAX_MUSICXML_ALL_BARS:
        raise too_many(name, f"{sum(bars):,}", MAX_MUSICXML_ALL_BARS, "bars in all its parts",
                       _AS_MIDI)


# music21's time grows with the square of a part's bars; MIDI files open without it.
_AS_MIDI = "Open a shorter excerpt of it, or save it as MIDI, which opens up to an hour."


def _check_numbers(root: Element, name: str) -> None:
    for tag, (low, high) in NUMBER_RANGES.items():
        for element in root.iter(tag):
            _check_number(element.text, low, high, f"<{tag}>", name)
    for (tag, attribute), (low, high) in ATTRIBUTE_RANGES.items():
        for element in root.iter(tag):
            text = element.get(attribute)
            if text is not None:
                _check_number(text, low, high, f'<{tag} {attribute}="...">', name)


def _number(text: str | None) -> float | None:
    """A MusicXML decimal, or None for anything else (inf and nan included)."""
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _is_float(text: str | None) -> bool:
    try:
        float(text or "")
    except ValueError:
        return False
    return True


def _check_number(text: str | None, low: float, high: float, where: str, name: str) -> None:
    value = _number(text)
    if value is None and where == "<per-minute>" and not _is_float(text):
        return  # a tempo in words ("c. 60"): MusicXML allows it, music21 passes it by
    if value is None or not low <= value <= high:
        raise FileFormatError(
            f"{name} is not a readable MusicXML file: {where} holds {(text or '').strip()!r}, "
            f"where MusicXML has a number from {low:g} to {high:g}. The file is damaged; "
            "export it again from your notation program.")


def _check_metres(root: Element, name: str) -> None:
    """A metre of thousands of beats takes music21 minutes; a chorale has a handful."""
    for time in root.iter("time"):
        for beats, kind in zip(time.iter("beats"), time.iter("beat-type")):
            counts = [_number(b) for b in (beats.text or "").split("+")]
            denominator = _number(kind.text)
            if (None in counts or denominator not in BEAT_TYPES
                    or not 1 <= sum(counts) <= MAX_BEATS):
                raise FileFormatError(
                    f"{name} has a time signature of {(beats.text or '').strip()}/"
                    f"{(kind.text or '').strip()}; Composer reads metres of 1 to {MAX_BEATS} "
                    f"beats of a whole, half, quarter, eighth... note (1, 2, 4, 8, 16, 32 "
                    "or 64). Check the file's metre in your notation program.")


def _part_quarters(part: Element) -> float:
    """How long a part lasts in quarter notes, following the time cursor through notes,
    chords, backups and forwards as MusicXML defines it."""
    divisions, total = 1.0, 0.0
    for measure in part.iter("measure"):
        cursor = longest = 0.0
        for element in measure:
            if element.tag == "attributes" and element.find("divisions") is not None:
                divisions = _number(element.find("divisions").text) or divisions
            elif element.tag in ("note", "forward", "backup"):
                skip = element.find("chord") is not None or element.find("grace") is not None
                step = 0.0 if skip else (_number(element.findtext("duration")) or 0.0)
                cursor += -step if element.tag == "backup" else step
                longest = max(longest, cursor)
        total += longest / divisions
    return total
