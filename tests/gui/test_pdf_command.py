"""`composer export-pdf`: File ▸ Export PDF from the command line, run as a person runs it
(a child process with no display), the PDF read back with Qt's own PDF reader."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from composer.music.files import write_score

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("verovio")


def composer(*args: str, prelude: str = "") -> subprocess.CompletedProcess:
    """`composer ARGS` in a child process without a display; `prelude` runs first."""
    code = f"{prelude}\nimport sys\nfrom composer.cli import main\nsys.exit(main(sys.argv[1:]))"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def pdf_pages(path: Path) -> list[tuple[int, int]]:
    """Each page's size in points, as Qt's PDF reader opens the file."""
    from PySide6.QtPdf import QPdfDocument

    document = QPdfDocument()
    assert document.load(str(path)) == QPdfDocument.Error.None_
    sizes = [document.pagePointSize(i) for i in range(document.pageCount())]
    return [(round(s.width()), round(s.height())) for s in sizes]


def test_export_pdf_engraves_a_corpus_chorale_on_a4_pages(qapp, tmp_path):
    out = tmp_path / "bwv269.pdf"
    run = composer("export-pdf", "bwv269", str(out))
    assert run.returncode == 0, run.stderr
    assert "Wrote 1 page of Aus meines Herzens Grunde, BWV 269" in run.stdout
    assert pdf_pages(out) == [(595, 842)]


def test_export_pdf_reads_a_file_and_writes_every_page(qapp, small_corpus, tmp_path):
    entry = small_corpus.entries[0]
    voices = tuple(v + tuple(n.shifted(entry.score.length * k) for k in (1, 2, 3) for n in v)
                   for v in entry.score.voices)  # four times over: more than one page
    source = tmp_path / "long chorale.mid"
    write_score(source, entry.score.with_meta(voices=voices, length=4 * entry.score.length))
    out = tmp_path / "long.pdf"
    run = composer("export-pdf", str(source), str(out))
    assert run.returncode == 0, run.stderr
    pages = pdf_pages(out)
    assert len(pages) >= 2 and set(pages) == {(595, 842)}
    assert f"Wrote {len(pages)} pages of long chorale to" in run.stdout


def test_export_pdf_without_verovio_says_what_is_missing_and_writes_nothing(tmp_path):
    out = tmp_path / "none.pdf"
    run = composer("export-pdf", "bwv269", str(out),
                   prelude="import sys; sys.modules['verovio'] = None")
    assert run.returncode == 2
    assert "Verovio, the engraving library, is not installed" in run.stderr
    assert "pip install verovio" in run.stderr
    assert not out.exists()


@pytest.mark.parametrize(("source", "output", "said"), [
    ("bwv269", "score.png", "the output must be a .pdf file"),
    ("no-such-chorale", "score.pdf", "no such file, nor a chorale of the corpus"),
])
def test_export_pdf_refuses_with_the_reason(tmp_path, source, output, said):
    run = composer("export-pdf", source, str(tmp_path / output))
    assert run.returncode == 2 and said in run.stderr
    assert list(tmp_path.iterdir()) == []
