"""The `composer` command: the GUI by default, subcommands for the same core."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    from composer.audio import commands as audio_commands
    from composer.ml import commands as ml_commands
    from composer.music import commands as music_commands

    parser = argparse.ArgumentParser(
        prog="composer", description="Write four-voice chorales with a neural partner."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    music_commands.register(sub)
    ml_commands.register(sub)
    audio_commands.register(sub)
    _register_export_pdf(sub)
    return parser


def _register_export_pdf(sub: argparse._SubParsersAction) -> None:
    """`export-pdf`: File ▸ Export PDF without the window (Qt is imported only to run it)."""
    pdf = sub.add_parser("export-pdf", help="engrave a score into a PDF, every page on A4, "
                                            "as File > Export PDF does")
    pdf.add_argument("input", help="a MIDI or MusicXML file, or a corpus chorale's id "
                                   "(e.g. bwv269)")
    pdf.add_argument("output", help="the PDF to write (.pdf)")
    pdf.set_defaults(handler=_export_pdf)


def _export_pdf(args: argparse.Namespace) -> int:
    from composer.gui.pdf_command import export_pdf_command

    return export_pdf_command(args.input, args.output)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-psn") or (argv and not argv[0].startswith("-")
                                                  and argv[0].endswith(FILE_SUFFIXES)):
        from composer.gui.app import run_app

        return run_app(argv)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            # pyfluidsynth, imported on the way, announces the library it found on stdout
            # when CI is set; stdout carries only what the command was asked for.
            parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        code = int(args.handler(args) or 0)
        sys.stdout.flush()  # here, where a closed pipe can still be answered
        return code
    except BrokenPipeError:
        # The reader went away (`composer corpus list | head`): stop quietly, as a tool
        # killed by SIGPIPE would, with nothing left to flush into the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13


FILE_SUFFIXES = (".mid", ".midi", ".musicxml", ".xml", ".mxl", ".composer.json")
