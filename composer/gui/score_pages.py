"""Engraved pages as Qt draws them: each SVG page rasterized into an image with the box of
every note head, and the pages written into a PDF. No widgets: both run on worker threads
(QImage and QPdfWriter may be painted off the GUI thread), so the window never waits for a
page to be drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QMarginsF, QRectF, QSizeF
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter
from PySide6.QtSvg import QSvgRenderer

from composer.atomic_write import atomic_open
from composer.music.engraving import Engraving
from composer.work import Cancel, Cancelled, Progress

PDF_RESOLUTION = 300  # dots per inch of the PDF's coordinates (vector output either way)


@dataclass(frozen=True)
class RenderedPage:
    """One page drawn at a pixel width: the image (at `ratio` device pixels per pixel) and
    each note head's box in the page's pixels, by the written note's id."""

    image: QImage
    width: int
    height: int
    heads: dict[str, QRectF]


def _renderer(svg: str) -> QSvgRenderer:
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not renderer.isValid():
        raise ValueError("the engraved page is not SVG Qt can draw")
    return renderer


def render_page(svg: str, note_ids: list[str], width: int, ratio: float = 1.0,
                paper: QColor | None = None) -> RenderedPage:
    """The page at `width` pixels (its height in proportion), the note heads' boxes."""
    renderer = _renderer(svg)
    box = renderer.viewBoxF()
    scale = width / box.width() if box.width() else 1.0
    height = max(1, round(box.height() * scale))
    image = QImage(round(width * ratio), round(height * ratio),
                   QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    image.fill(paper or QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, width, height))
    painter.end()
    heads = {}
    for note_id in note_ids:
        head = f"{note_id}-head"
        if renderer.elementExists(head):
            r = renderer.transformForElement(head).mapRect(renderer.boundsOnElement(head))
            heads[note_id] = QRectF((r.x() - box.x()) * scale, (r.y() - box.y()) * scale,
                                    r.width() * scale, r.height() * scale)
    return RenderedPage(image, width, height, heads)


def render_pages(engraving: Engraving, width: int, ratio: float = 1.0,
                 cancel: Cancel | None = None) -> list[RenderedPage]:
    ids: list[list[str]] = [[] for _ in engraving.pages]
    for note in engraving.notes:
        ids[note.page].append(note.id)
    pages = []
    for svg, page_ids in zip(engraving.pages, ids):
        if cancel is not None and cancel():
            raise Cancelled()
        pages.append(render_page(svg, page_ids, width, ratio))
    return pages


def write_pdf(engraving: Engraving, path: Path, title: str = "",
              progress: Progress | None = None, cancel: Cancel | None = None) -> int:
    """Every page of `engraving` (laid out for paper, e.g. `engraving.A4`) into a PDF at
    `path`, as vectors; written atomically. Returns the number of pages."""
    path = Path(path)
    with atomic_open(path) as file:
        data = _pdf_bytes(engraving, title, progress, cancel)
        file.write(data)
    return len(engraving.pages)


def _pdf_bytes(engraving: Engraving, title: str, progress: Progress | None,
               cancel: Cancel | None) -> bytes:
    from PySide6.QtCore import QBuffer, QIODevice

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(title)
    writer.setCreator("Composer (engraved by Verovio)")
    writer.setResolution(PDF_RESOLUTION)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                     QPageLayout.Orientation.Portrait, QMarginsF()))
    painter = QPainter(writer)
    try:
        total = len(engraving.pages)
        for number, svg in enumerate(engraving.pages):
            if cancel is not None and cancel():
                raise Cancelled()
            if number:
                writer.newPage()
            target = QRectF(0, 0, writer.width(), writer.height())
            renderer = _renderer(svg)
            size = renderer.viewBoxF().size()
            renderer.render(painter, _fitted(target, size))
            if progress:
                progress(number + 1, total)
    finally:
        painter.end()
    return bytes(buffer.data())


def _fitted(target: QRectF, size: QSizeF) -> QRectF:
    """`size` scaled into `target`, keeping its proportions, from the top left."""
    if size.width() <= 0 or size.height() <= 0:
        return target
    scale = min(target.width() / size.width(), target.height() / size.height())
    return QRectF(target.x(), target.y(), size.width() * scale, size.height() * scale)
