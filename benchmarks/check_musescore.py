"""Do Composer's MusicXML exports open right in MuseScore 3? (issue 15, "done when")

Exports three test-split chorales with the app's own writer (title and composer as the
corpus export gives them), converts each with `mscore3 -o NAME.mscx` (MuseScore's own XML
format, so what is checked is what MuseScore made of the file, not what we meant) and reads:

- whether MuseScore took the file as valid MusicXML (it validates against the MusicXML 3.1
  schema and, in the GUI, asks "load anyway?" when a file fails);
- the title (the workTitle tag and the title text over the music), composer, part names;
- accidentals: any that the key signature and the bar make redundant ("stray") or that are
  missing;
- spelling: each note's tonal pitch class (`tpc`) against music21's parse of Bach's original;
- fermatas: how many, and how many MuseScore places above the staff;
- the first bar's length (a one-beat pickup is `len="1/4"`), the last bar's, and the rests.

The chorales: BWV 7.7 (B minor, leading tone A sharp, a pickup, nine fermatas), BWV 368
(3/4 with a one-beat pickup, ties across bars) and BWV 176.6 (G minor: a flat key with
raised sixth and seventh degrees written as naturals and sharps).

Without mscore3 only the MusicXML-level facts are reported. Needs the built corpus.
Run: .venv/bin/python benchmarks/check_musescore.py [--keep DIR]
Writes benchmarks/results/musescore_check.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import music21

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from composer.atomic_write import atomic_write_text  # noqa: E402
from composer.music.commands import BACH, chorale_title  # noqa: E402
from composer.music.corpus import ChoraleEntry, chorale_paths, load_corpus  # noqa: E402
from composer.music.files import write_score  # noqa: E402
from composer.music.musicxml_notation import bars  # noqa: E402
from composer.music.score import STEPS_PER_QUARTER, VOICE_NAMES  # noqa: E402
from composer.music.voicing import voice_of_name  # noqa: E402

CHORALES = ["bwv7.7", "bwv368", "bwv176.6"]
RESULT = ROOT / "benchmarks" / "results" / "musescore_check.json"
_FIFTHS = "FCGDAEB"
_NATURAL = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_VALUES = {"whole": Fraction(4), "half": Fraction(2), "quarter": Fraction(1),
           "eighth": Fraction(1, 2), "16th": Fraction(1, 4), "32nd": Fraction(1, 8),
           "64th": Fraction(1, 16)}
_INVALID = "is not a valid MusicXML file"


@dataclass
class Check:
    """What one chorale's export looks like in MuseScore 3 (None: not checked)."""

    chorale: str
    key: str
    metre: str
    title_expected: str
    valid_musicxml: bool | None = None
    title: str | None = None
    composer: str | None = None
    parts: list[str] = field(default_factory=list)
    accidentals: int | None = None
    stray_accidentals: int | None = None
    missing_accidentals: int | None = None
    spelled_as_bach: float | None = None
    notes_compared: int | None = None
    fermatas_expected: int = 0
    fermatas: int | None = None
    fermatas_above: int | None = None
    pickup_expected: str = "none"
    first_bar: str | None = None
    last_bar_expected: str = ""
    last_bar: str | None = None
    rests: int | None = None
    problems: list[str] = field(default_factory=list)


# --- MuseScore's file ----------------------------------------------------------------------
@dataclass
class StaffNote:
    offset: Fraction  # quarters from the start of the first bar
    pitch: int
    tpc: int
    accidental: str | None  # the subtype MuseScore shows, e.g. accidentalNatural
    tied_over: bool
    bar: int  # index of the bar, 0 = first


@dataclass
class Staff:
    notes: list[StaffNote] = field(default_factory=list)
    bar_lengths: list[Fraction] = field(default_factory=list)  # in quarters
    fifths: int = 0
    rests: int = 0
    fermatas: list[str] = field(default_factory=list)  # subtypes


def _duration(element: ET.Element, bar_length: Fraction) -> Fraction:
    kind = element.findtext("durationType")
    if kind == "measure":
        return bar_length
    value = _VALUES[kind]
    dots = int(element.findtext("dots") or 0)
    return value * (2 - Fraction(1, 2 ** dots))


def _tied_over(note_element: ET.Element) -> bool:
    return any(s.get("type") == "Tie" and s.find("prev") is not None
               for s in note_element.findall("Spanner"))


def _read_staff(element: ET.Element) -> Staff:
    """Notes, bars, rests and fermatas of a staff in the first voice of each bar (a chorale
    voice has one)."""
    staff = Staff()
    signature = Fraction(4)
    position = Fraction(0)
    for index, measure in enumerate(element.findall("Measure")):
        voice = measure.find("voice")
        time_signature = voice.find("TimeSig") if voice is not None else None
        if time_signature is not None:
            signature = (Fraction(int(time_signature.findtext("sigN")))
                         * 4 / int(time_signature.findtext("sigD")))
        key_signature = voice.find("KeySig") if voice is not None else None
        if key_signature is not None and index == 0:
            staff.fifths = int(key_signature.findtext("accidental")
                               or key_signature.findtext("concertKey") or 0)
        length = 4 * Fraction(measure.get("len")) if measure.get("len") else signature
        staff.bar_lengths.append(length)
        offset = position
        for item in voice if voice is not None else ():
            if item.tag == "Fermata":
                staff.fermatas.append(item.findtext("subtype") or "")
            elif item.tag == "Rest":
                staff.rests += 1
                offset += _duration(item, length)
            elif item.tag == "Chord":
                for n in item.findall("Note"):
                    staff.notes.append(StaffNote(
                        offset, int(n.findtext("pitch")), int(n.findtext("tpc")),
                        n.findtext("Accidental/subtype"), _tied_over(n), index))
                offset += _duration(item, length)
        position += length
    return staff


def read_mscx(path: Path) -> tuple[dict[str, str], list[str], list[Staff]]:
    """(title texts: workTitle and the title over the music and composer, part names,
    staves) of a MuseScore 3 file."""
    score = ET.parse(path).getroot().find("Score")
    meta = {t.get("name"): t.text or "" for t in score.findall("metaTag")}
    texts = {t.findtext("style"): t.findtext("text") or "" for t in score.iter("Text")}
    heads = {"workTitle": meta.get("workTitle", ""), "Title": texts.get("Title", ""),
             "Composer": texts.get("Composer", meta.get("composer", ""))}
    parts = [p.findtext("Instrument/longName") or p.findtext("trackName") or ""
             for p in score.findall("Part")]
    return heads, parts, [_read_staff(s) for s in score.findall("Staff")]


# --- checks ----------------------------------------------------------------------------------
def _letter(tpc: int) -> tuple[str, int]:
    """(letter, alteration) of a tonal pitch class: 14 is C, one more a fifth up."""
    fifths = tpc - 14 + 1
    return _FIFTHS[fifths % 7], fifths // 7


def _signature(fifths: int) -> dict[str, int]:
    altered = _FIFTHS[:fifths] if fifths > 0 else _FIFTHS[7 + fifths:] if fifths else ""
    return {letter: (1 if fifths > 0 else -1) if letter in altered else 0
            for letter in _FIFTHS}


def accidental_errors(staff: Staff) -> tuple[int, int, int]:
    """(shown, stray, missing): a sign is needed where a note's alteration differs from
    what its letter carries at that point of the bar in its octave (the key signature or an
    earlier sign); a tied-over note needs none."""
    in_key = _signature(staff.fifths)
    shown = stray = missing = 0
    state: dict[tuple[str, int], int] = {}
    bar = -1
    for n in staff.notes:
        if n.bar != bar:
            bar, state = n.bar, {}
        letter, alter = _letter(n.tpc)
        octave = (n.pitch - alter - _NATURAL[letter]) // 12 - 1
        has = n.accidental is not None
        shown += has
        if n.tied_over:
            stray += has
            continue
        needed = alter != state.get((letter, octave), in_key[letter])
        stray += has and not needed
        missing += needed and not has
        state[(letter, octave)] = alter
    return shown, stray, missing


def bach_tpcs(chorale: str) -> list[dict[tuple[Fraction, int], int]]:
    """Bach's spelling, voice by voice, from music21's parse of the original: the tpc of
    each note that is struck (not tied over), by (offset in quarters, MIDI pitch)."""
    path = next(p for p in chorale_paths() if p.stem.lower() == chorale)
    original = music21.converter.parse(path)
    voices = [p for p in original.parts if voice_of_name(p.partName or "") is not None]
    out = []
    for part in (voices or list(original.parts))[:4]:
        found = {}
        for n in part.flatten().notes:
            if n.tie is not None and n.tie.type in ("stop", "continue"):
                continue
            for p in n.pitches:
                fifths = _FIFTHS.index(p.step) - 1 + 7 * int(p.alter)
                found[(Fraction(n.offset).limit_denominator(64), round(p.ps))] = 14 + fifths
        out.append(found)
    return out


def spelling_agreement(staves: list[Staff], bach: list[dict]) -> tuple[float, int]:
    """The share of notes found in both whose tpc is Bach's, and how many were compared."""
    same = compared = 0
    for staff, theirs in zip(staves, bach):
        for n in staff.notes:
            if n.tied_over or (n.offset, n.pitch) not in theirs:
                continue
            compared += 1
            same += theirs[(n.offset, n.pitch)] == n.tpc
    return (same / compared if compared else 0.0), compared


def _whole_notes(quarters: Fraction) -> str:
    """A length as MuseScore writes a bar's: in whole notes ("1/4" is one beat of 4/4)."""
    return str(quarters / 4)


def expected(entry: ChoraleEntry) -> Check:
    score = entry.score
    layout = bars(score)
    ts = score.time_signature
    return Check(
        chorale=entry.id, key=score.key or "", metre=f"{ts.numerator}/{ts.denominator}",
        title_expected=chorale_title(entry), fermatas_expected=4 * len(score.fermatas),
        pickup_expected=(_whole_notes(Fraction(layout[0].length, STEPS_PER_QUARTER))
                         if layout[0].number == 0 else "none"),
        last_bar_expected=_whole_notes(Fraction(layout[-1].length, STEPS_PER_QUARTER)))


def check_mscx(check: Check, path: Path, bach: list[dict]) -> None:
    heads, check.parts, staves = read_mscx(path)
    if heads["workTitle"] == heads["Title"]:
        check.title = heads["Title"]
    else:
        check.title = f"{heads['workTitle']!r} / {heads['Title']!r}"
    check.composer = heads["Composer"]
    counts = [accidental_errors(s) for s in staves]
    check.accidentals, check.stray_accidentals, check.missing_accidentals = (
        sum(c[i] for c in counts) for i in range(3))
    check.spelled_as_bach, check.notes_compared = spelling_agreement(staves, bach)
    check.fermatas = sum(len(s.fermatas) for s in staves)
    check.fermatas_above = sum(f == "fermataAbove" for s in staves for f in s.fermatas)
    first, last = staves[0].bar_lengths[0], staves[0].bar_lengths[-1]
    full = staves[0].bar_lengths[len(staves[0].bar_lengths) // 2]
    check.first_bar = "none" if first == full else _whole_notes(first)
    check.last_bar = _whole_notes(last)
    check.rests = sum(s.rests for s in staves)


def problems(check: Check) -> list[str]:
    """Each way the check falls short of issue 15's "done when"."""
    found = []
    if check.valid_musicxml is False:
        found.append("MuseScore says the file is not valid MusicXML")
    if check.title != check.title_expected:
        found.append(f"title {check.title!r}")
    if check.composer != BACH:
        found.append(f"composer {check.composer!r}")
    if check.parts != list(VOICE_NAMES):
        found.append(f"parts {check.parts}")
    if check.stray_accidentals or check.missing_accidentals:
        found.append(f"{check.stray_accidentals} stray, {check.missing_accidentals} missing "
                     "accidentals")
    if check.spelled_as_bach is not None and check.spelled_as_bach < 0.99:
        found.append(f"spelling {check.spelled_as_bach:.1%} as Bach")
    if check.fermatas_above != check.fermatas_expected:
        found.append(f"{check.fermatas_above} of {check.fermatas_expected} fermatas above")
    if check.first_bar != check.pickup_expected:
        found.append(f"first bar {check.first_bar}, pickup {check.pickup_expected}")
    if check.last_bar != check.last_bar_expected:
        found.append(f"last bar {check.last_bar}, music {check.last_bar_expected}")
    return found


# --- running ---------------------------------------------------------------------------------
def convert(mscore: str, source: Path, target: Path) -> bool:
    """Convert with MuseScore; whether it took the file as valid MusicXML."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([mscore, "-o", str(target), str(source)], env=env,
                         capture_output=True, text=True, timeout=300, check=False)
    made = [target] if target.suffix != ".png" else list(target.parent.glob(
        f"{target.stem}-*.png"))  # a page a file
    if not all(t.exists() for t in made) or not made:
        raise RuntimeError(f"mscore3 could not convert {source.name}: {run.stderr[-500:]}")
    return _INVALID not in run.stdout + run.stderr


def check_chorale(entry: ChoraleEntry, folder: Path, mscore: str | None,
                  pages: bool) -> Check:
    check = expected(entry)
    source = folder / f"{entry.id}.musicxml"
    write_score(source, entry.score, title=check.title_expected, composer=BACH)
    if mscore is None:
        check.problems = ["mscore3 not installed: MuseScore's reading not checked"]
        return check
    target = folder / f"{entry.id}.mscx"
    check.valid_musicxml = convert(mscore, source, target)
    check_mscx(check, target, bach_tpcs(entry.id))
    if pages:
        convert(mscore, source, folder / f"{entry.id}.png")
    check.problems = problems(check)
    return check


_COLUMNS = (("chorale", 10), ("key/metre", 13), ("valid", 5), ("title", 6), ("stray", 5),
            ("missing", 7), ("as Bach", 14), ("fermatas above", 14), ("pickup", 11),
            ("last bar", 8), ("rests", 5))


def _row(c: Check) -> list[str]:
    def yes(flag: bool | None) -> str:
        return "-" if flag is None else "yes" if flag else "NO"

    spelling = ("-" if c.spelled_as_bach is None
                else f"{c.spelled_as_bach:.1%} of {c.notes_compared}")
    return [c.chorale, f"{c.key} {c.metre}", yes(c.valid_musicxml),
            yes(None if c.title is None else c.title == c.title_expected),
            str(c.stray_accidentals if c.stray_accidentals is not None else "-"),
            str(c.missing_accidentals if c.missing_accidentals is not None else "-"),
            spelling, f"{c.fermatas_above if c.fermatas_above is not None else '-'}"
            f"/{c.fermatas_expected}", f"{c.first_bar or '-'} ({c.pickup_expected})",
            c.last_bar or "-", str(c.rests if c.rests is not None else "-")]


def table(checks: list[Check]) -> str:
    lines = ["  ".join(name.ljust(width) for name, width in _COLUMNS)]
    for c in checks:
        lines.append("  ".join(v.ljust(w) for v, (_, w) in zip(_row(c), _COLUMNS)))
        lines.extend(f"    ! {p}" for p in c.problems)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the exports, .mscx and pages here")
    parser.add_argument("--pages", action="store_true", help="also render PNG pages")
    args = parser.parse_args(argv)
    mscore = shutil.which("mscore3") or shutil.which("musescore3")
    corpus = load_corpus()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        checks = [check_chorale(corpus.get(c), folder, mscore, args.pages) for c in CHORALES]
    print(table(checks))
    result = {"benchmark": "musescore_check",
              "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "musescore": _version(mscore), "chorales": [asdict(c) for c in checks],
              "passed": mscore is not None and not any(c.problems for c in checks)}
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULT, json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULT.relative_to(ROOT)}")
    return 0 if result["passed"] or mscore is None else 1


def _version(mscore: str | None) -> str | None:
    if mscore is None:
        return None
    run = subprocess.run([mscore, "--long-version"], capture_output=True, text=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, check=False)
    return (run.stdout or run.stderr).strip().splitlines()[-1] if run.returncode == 0 else None


if __name__ == "__main__":
    raise SystemExit(main())
