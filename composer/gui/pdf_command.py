"""`composer export-pdf IN OUT.pdf`: File ▸ Export PDF on the command line. The same core
(`score_part.export_pdf`: Verovio's A4 pages drawn into a QPdfWriter) on a file or a Bach
chorale, with a Qt application of its own and no window; without a display it draws
offscreen."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from composer.music.errors import ScoreError
from composer.music.score import Score

_APP: list[object] = []  # the command's QGuiApplication, kept alive while it draws


def export_pdf_command(source: str, output: str) -> int:
    """Engrave `source` (a MIDI or MusicXML file, or a corpus chorale's id) into the PDF
    `output`. Returns the exit status: 0 written, 2 a problem named on stderr."""
    from composer.music.engraving import verovio_problem

    target = Path(output)
    if target.suffix.lower() != ".pdf":
        return _refuse(f"{output}: the output must be a .pdf file")
    problem = verovio_problem()
    if problem:
        return _refuse(f"cannot engrave a PDF: {problem}")
    try:
        score, title = _read(source)
    except (KeyError, ScoreError, OSError) as error:
        return _refuse(str(error.args[0] if isinstance(error, KeyError) else error))
    _gui_application()
    from composer.gui.score_part import export_pdf

    try:
        pages = export_pdf(score, target, title)
    except OSError as error:
        return _refuse(f"{output} could not be written: {error.strerror or error}")
    except Exception as error:  # Verovio's or Qt's failure, said in a line
        return _refuse(f"{source} could not be engraved: {error}")
    print(f"Wrote {pages} page{'s' if pages != 1 else ''} of {title} to {output}")
    return 0


def _read(source: str) -> tuple[Score, str]:
    """The score and its title: a file's (its name, as the window titles it), else the
    corpus chorale's (its name and BWV number)."""
    path = Path(source)
    if path.exists():
        from composer.music.files import read_score

        result = read_score(path)
        for message in result.messages:
            print(f"composer: {path.name}: {message}", file=sys.stderr)
        return result.score, path.stem
    from composer.music.commands import chorale_title, progress_bar
    from composer.music.corpus import load_corpus

    corpus = load_corpus(progress=progress_bar("Building the Bach corpus (once)"))
    try:
        entry = corpus.get(source)
    except KeyError:
        raise KeyError(f"{source}: no such file, nor a chorale of the corpus "
                       "(`composer corpus list` lists them)") from None
    return entry.score, chorale_title(entry)


def _gui_application() -> None:
    """A QGuiApplication for QPdfWriter and the SVG renderer (fonts need one), offscreen
    where there is no display to connect to."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is not None:
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _APP.append(QGuiApplication([sys.argv[0] if sys.argv else "composer"]))


def _refuse(message: str) -> int:
    print(f"composer: {message}", file=sys.stderr)
    return 2
