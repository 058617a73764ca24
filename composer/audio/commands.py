"""`composer render FILE -o out.wav`: the offline renderer on the command line."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from composer.audio.library import AudioError
from composer.audio.mixer import Mixer, VoiceMix, program_name
from composer.audio.render import all_cores, render_to_wav
from composer.audio.schedule import FERMATA_HOLD
from composer.music.errors import ScoreError
from composer.music.files import OPEN_SUFFIXES, read_score


def register(sub: argparse._SubParsersAction) -> None:
    render = sub.add_parser(
        "render", help="render a score to a WAV file with FluidSynth",
        description="Render a MIDI or MusicXML score to a 16-bit stereo WAV file.")
    render.add_argument("file", type=Path, help=f"score to render ({', '.join(OPEN_SUFFIXES)})")
    render.add_argument("-o", "--output", type=Path, required=True, help="WAV file to write")
    render.add_argument("--soundfont", type=Path,
                        help="a .sf2 or .sf3 soundfont (default: the built-in TimGM6mb)")
    render.add_argument("--program", type=int, metavar="N",
                        help="General MIDI program 0-127 for all voices (default: 19, "
                             "Church Organ)")
    render.add_argument("--tempo", type=float, metavar="BPM",
                        help="play at this tempo instead of the score's")
    render.add_argument("--fermata-hold", type=_hold, default=FERMATA_HOLD, metavar="FACTOR",
                        help=f"how many times its written length a chord under a fermata "
                             f"lasts (default: {FERMATA_HOLD:g}; 1 plays it in time)")
    render.set_defaults(handler=_render)


def _hold(text: str) -> float:
    try:
        hold = float(text)
    except ValueError:
        hold = float("nan")
    if not hold >= 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a fermata hold is a number, 1 or more")
    return hold


def _render(args: argparse.Namespace) -> int:
    try:
        imported = read_score(args.file)
        score = imported.score
        if args.tempo is not None:
            score = score.with_meta(tempo=args.tempo)
        mixer = Mixer()
        if args.program is not None:
            mixer = Mixer((VoiceMix(program=args.program),) * 4)
    except FileNotFoundError:
        print(f"composer render: {args.file} does not exist", file=sys.stderr)
        return 1
    except (ScoreError, ValueError) as exc:
        print(f"composer render: {exc}", file=sys.stderr)
        return 1
    for message in imported.messages:
        print(f"note: {message}", file=sys.stderr)
    if args.output.suffix.lower() != ".wav":
        print(f"composer render: the output must be a .wav file, not {args.output.name}",
              file=sys.stderr)
        return 1
    started = time.perf_counter()
    try:
        rendering = render_to_wav(score, args.output, mixer, args.soundfont,
                                  threads=all_cores(), fermata_hold=args.fermata_hold)
    except AudioError as exc:
        print(f"composer render: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"composer render: cannot write {args.output}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    if rendering.warning:
        print(f"warning: {rendering.warning}; pass another with --soundfont.", file=sys.stderr)
    print(f"Wrote {args.output}: {rendering.seconds:.1f} s of audio "
          f"({program_name(mixer.voices[0].program)}, {rendering.soundfont.name}) "
          f"in {elapsed:.2f} s, {rendering.seconds / elapsed:.0f}x real time")
    return 0
