"""A concert-band score written as MuseScore 3 writes MusicXML: 22 parts (woodwinds, brass,
percussion), layout and beaming on every note, dynamics, slurs and articulations, about
3.7 MB for 70 bars. Real band scores are this size; the import tests and
benchmarks/bench_large_import.py read it to time what a user's first large file costs."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

_STEPS = ("C", "C", "D", "D", "E", "F", "F", "G", "G", "A", "A", "B")
_ALTERS = (0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0)


@dataclass(frozen=True)
class BandPart:
    name: str
    low: int  # MIDI pitch range the part plays in
    high: int
    program: int
    clef: str = "G"
    doubles: int | None = None  # plays the line of this earlier part (an octave apart)
    octave: int = 0
    percussion: bool = False
    transpose: int = 0  # semitones from written to sounding pitch


BAND = (
    BandPart("Piccolo", 79, 96, 73, doubles=1, octave=12, transpose=12),
    BandPart("Flute 1", 67, 84, 74),
    BandPart("Flute 2", 64, 79, 74),
    BandPart("Oboe", 62, 79, 69),
    BandPart("Bassoon", 38, 60, 71, "F"),
    BandPart("Clarinet in B♭ 1", 62, 81, 72, doubles=1, transpose=-2),
    BandPart("Clarinet in B♭ 2", 58, 74, 72, transpose=-2),
    BandPart("Clarinet in B♭ 3", 55, 70, 72, transpose=-2),
    BandPart("Bass Clarinet", 38, 58, 72, "F", transpose=-14),
    BandPart("Alto Saxophone 1", 58, 74, 66, transpose=-9),
    BandPart("Alto Saxophone 2", 55, 70, 66, transpose=-9),
    BandPart("Tenor Saxophone", 50, 65, 67, transpose=-14),
    BandPart("Baritone Saxophone", 38, 55, 68, "F", transpose=-21),
    BandPart("Trumpet in B♭ 1", 60, 77, 57, transpose=-2),
    BandPart("Trumpet in B♭ 2", 58, 72, 57, transpose=-2),
    BandPart("Trumpet in B♭ 3", 55, 70, 57, transpose=-2),
    BandPart("Horn in F 1", 53, 69, 61, transpose=-7),
    BandPart("Horn in F 2", 50, 65, 61, transpose=-7),
    BandPart("Trombone 1", 45, 62, 58, "F"),
    BandPart("Trombone 2", 41, 58, 58, "F"),
    BandPart("Tuba", 28, 46, 59, "F", doubles=4, octave=-12),
    BandPart("Percussion", 36, 50, 0, "percussion", percussion=True),
)


def band_score_xml(bars: int = 70, parts: tuple[BandPart, ...] = BAND, seed: int = 15,
                   engraving: bool = True) -> bytes:
    """The whole score as partwise MusicXML in 4/4 at 112 BPM, eighths and quarters with
    a few rests in every part. Without `engraving`, the same notes bare: no layout,
    positions, stems, beams, slurs, articulations or dynamics."""
    rng = random.Random(seed)
    lines: dict[int, list[list[tuple[int, int]]]] = {}
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 3.1 Partwise//EN" '
           '"http://www.musicxml.org/dtds/partwise.dtd">',
           '<score-partwise version="3.1">',
           "  <work>\n    <work-title>Festive Overture</work-title>\n    </work>",
           "  <identification>\n    <creator type=\"composer\">Nobody</creator>\n"
           "    <encoding>\n      <software>MuseScore 3.6.2</software>\n"
           "      <encoding-date>2024-01-01</encoding-date>\n      </encoding>\n"
           "    </identification>",
           "  <part-list>"]
    for i, part in enumerate(parts):
        out.append(_score_part(i, part))
    out.append("    </part-list>")
    for i, part in enumerate(parts):
        if part.doubles is None:
            lines[i] = [_bar_line(rng, part) for _ in range(bars)]
    for i, part in enumerate(parts):
        if part.doubles is not None:
            lines[i] = [[(p + part.octave if p >= 0 else p, d) for p, d in bar]
                        for bar in lines[part.doubles]]
        out.append(f'  <part id="P{i + 1}">')
        for number, bar in enumerate(lines[i], 1):
            out.append(_measure(number, bar, part, first_part=i == 0, rng=rng,
                                engraving=engraving))
        out.append("    </part>")
    out.append("  </score-partwise>\n")
    return "\n".join(out).encode()


def _score_part(i: int, part: BandPart) -> str:
    abbreviation = "".join(w[0] for w in part.name.split()) + "."
    return (f'    <score-part id="P{i + 1}">\n'
            f"      <part-name>{part.name}</part-name>\n"
            f"      <part-abbreviation>{abbreviation}</part-abbreviation>\n"
            f'      <score-instrument id="P{i + 1}-I1">\n'
            f"        <instrument-name>{part.name}</instrument-name>\n"
            "        </score-instrument>\n"
            f'      <midi-device id="P{i + 1}-I1" port="1"></midi-device>\n'
            f'      <midi-instrument id="P{i + 1}-I1">\n'
            f"        <midi-channel>{i % 16 + 1}</midi-channel>\n"
            f"        <midi-program>{part.program + 1}</midi-program>\n"
            "        <volume>78.7402</volume>\n        <pan>0</pan>\n"
            "        </midi-instrument>\n      </score-part>")


def _bar_line(rng: random.Random, part: BandPart) -> list[tuple[int, int]]:
    """A bar of 4/4 as (pitch or -1 for a rest, eighths)."""
    bar, left = [], 8
    while left:
        length = min(left, rng.choice((1, 1, 1, 1, 2)))
        pitch = -1 if rng.random() < 0.08 else rng.randint(part.low, part.high)
        bar.append((pitch, length))
        left -= length
    return bar


def _measure(number: int, bar: list[tuple[int, int]], part: BandPart, first_part: bool,
             rng: random.Random, engraving: bool) -> str:
    width = f' width="{180 + 7 * len(bar):.2f}"' if engraving else ""
    out = [f'    <measure number="{number}"{width}>']
    if engraving and number % 4 == 1:
        out.append("      <print new-system=\"yes\">\n        <system-layout>\n"
                   "          <system-margins>\n            <left-margin>0.00</left-margin>\n"
                   "            <right-margin>0.00</right-margin>\n"
                   "            </system-margins>\n          <system-distance>112.50"
                   "</system-distance>\n          </system-layout>\n        </print>")
    if number == 1:
        sign, line = {"G": ("G", 2), "F": ("F", 4)}.get(part.clef, ("percussion", 2))
        out.append("      <attributes>\n        <divisions>2</divisions>\n"
                   "        <key>\n          <fifths>-2</fifths>\n          </key>\n"
                   "        <time>\n          <beats>4</beats>\n"
                   "          <beat-type>4</beat-type>\n          </time>\n"
                   f"        <clef>\n          <sign>{sign}</sign>\n"
                   f"          <line>{line}</line>\n          </clef>\n"
                   f"{_transpose(part.transpose)}      </attributes>")
        if first_part:
            out.append('      <direction placement="above">\n        <direction-type>\n'
                       '          <metronome parentheses="no" default-x="-37.18" '
                       'relative-y="20.00">\n            <beat-unit>quarter</beat-unit>\n'
                       "            <per-minute>112</per-minute>\n            </metronome>\n"
                       '          </direction-type>\n        <sound tempo="112"/>\n'
                       "        </direction>")
    if engraving and number % 8 == 1:
        out.append('      <direction placement="below">\n        <direction-type>\n'
                   '          <dynamics default-x="6.58" default-y="-80.00" '
                   'relative-y="-25.00">\n            <mf/>\n            </dynamics>\n'
                   '          </direction-type>\n        <sound dynamics="88.89"/>\n'
                   "        </direction>")
    x = 12.0
    for k, (pitch, eighths) in enumerate(bar):
        written = pitch - part.transpose if pitch >= 0 else pitch
        note = _note(written, eighths, part, x, k, bar, rng)
        out.append(note if engraving else _bare(note))
        x += 24.0 * eighths
    out.append("      </measure>")
    return "\n".join(out)


def _bare(note: str) -> str:
    """The note without what only engraving uses."""
    note = re.sub(r' default-[xy]="[^"]*"', "", note)
    note = re.sub(r"\s*<stem>.*?</stem>|\s*<beam [^>]*>.*?</beam>", "", note)
    return re.sub(r"\s*<notations>.*?</notations>", "", note, flags=re.S)


def _transpose(semitones: int) -> str:
    """A transposing instrument's <transpose>: from the written to the sounding pitch."""
    if not semitones:
        return ""
    octaves = int(semitones / 12)
    chromatic = semitones - 12 * octaves
    diatonic = {0: 0, -2: -1, -9: -5, -7: -4}[chromatic]
    change = f"          <octave-change>{octaves}</octave-change>\n" if octaves else ""
    return ("        <transpose>\n"
            f"          <diatonic>{diatonic}</diatonic>\n"
            f"          <chromatic>{chromatic}</chromatic>\n{change}        </transpose>\n")


def _note(pitch: int, eighths: int, part: BandPart, x: float, k: int,
          bar: list[tuple[int, int]], rng: random.Random) -> str:
    kind = {1: "eighth", 2: "quarter", 3: "quarter", 4: "half"}[eighths]
    dot = "        <dot/>\n" if eighths == 3 else ""
    if pitch < 0:
        return (f'      <note default-x="{x:.2f}" default-y="-20.00">\n        <rest/>\n'
                f"        <duration>{eighths}</duration>\n        <voice>1</voice>\n"
                f"        <type>{kind}</type>\n{dot}        </note>")
    if part.percussion:
        where = (f"        <unpitched>\n          <display-step>{_STEPS[pitch % 12]}"
                 f"</display-step>\n          <display-octave>{pitch // 12 - 1}"
                 "</display-octave>\n          </unpitched>\n")
    else:
        alter = f"          <alter>{_ALTERS[pitch % 12]}</alter>\n" if _ALTERS[pitch % 12] else ""
        where = (f"        <pitch>\n          <step>{_STEPS[pitch % 12]}</step>\n{alter}"
                 f"          <octave>{pitch // 12 - 1}</octave>\n          </pitch>\n")
    beam = ""
    if eighths == 1:
        before = k > 0 and bar[k - 1][1] == 1 and bar[k - 1][0] >= 0
        after = k + 1 < len(bar) and bar[k + 1][1] == 1 and bar[k + 1][0] >= 0
        state = {(False, True): "begin", (True, True): "continue", (True, False): "end"}.get(
            (before, after))
        if state:
            beam = f'        <beam number="1">{state}</beam>\n'
    notations = ""
    if rng.random() < 0.2:
        notations = ('        <notations>\n          <articulations>\n'
                     '            <staccato/>\n            </articulations>\n'
                     '          <slur type="start" placement="above" number="1"/>\n'
                     '          <slur type="stop" number="1"/>\n          </notations>\n')
    stem = "up" if pitch < 71 else "down"
    return (f'      <note default-x="{x:.2f}" default-y="{(pitch - 71) * 2.5:.2f}">\n{where}'
            f"        <duration>{eighths}</duration>\n        <voice>1</voice>\n"
            f"        <type>{kind}</type>\n{dot}        <stem>{stem}</stem>\n{beam}"
            f"{notations}        </note>")
