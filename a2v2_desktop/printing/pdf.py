"""Painting the summary page by page onto a PDF writer or a printer, with "Page 2 of 3" in the footer.

The document is laid out for the device it is painted on (its resolution sets the
fonts' size in device units), then each page's slice of it is drawn. QTextDocument
and QPdfWriter are not widgets, so `write_pdf` may run on a worker thread.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFontMetricsF,
    QPagedPaintDevice,
    QPainter,
    QPdfWriter,
)

from a2v2_desktop.printing.chart import paper_font
from a2v2_desktop.printing.document import DEMO, SMALL, build_document, isolated
from a2v2_desktop.printing.page import Geometry, geometry, page_layout
from a2v2_desktop.printing.qt_app import ensure_gui_app
from a2v2_desktop.reports.summary import SpendSummary


def document_title(summary: SpendSummary) -> str:
    return f"{summary.request.title}: {summary.report.organization.name}, {summary.span.label()}"


def paint_summary(device: QPagedPaintDevice, summary: SpendSummary) -> int:
    """Lay the summary out for `device` and paint every page; returns the number of pages."""
    doc = build_document(summary)
    page = geometry(device)
    doc.documentLayout().setPaintDevice(device)
    doc.setPageSize(page.body.size())
    pages = doc.pageCount()
    painter = QPainter()
    if not painter.begin(device):
        raise OSError("the PDF or printer could not be opened for writing")
    try:
        for number in range(pages):
            if number:
                device.newPage()
            paint_page(painter, doc, page, number)
            paint_footer(painter, page, summary, number + 1, pages)
    finally:
        painter.end()
    return pages


def paint_page(painter: QPainter, doc, page: Geometry, number: int) -> None:
    """The document's slice for one page, clipped so nothing of the next page shows."""
    height = page.body.height()
    painter.save()
    painter.setClipRect(page.body)
    painter.translate(0, -number * height)
    context = QAbstractTextDocumentLayout.PaintContext()
    context.clip = QRectF(0, number * height, page.body.width(), height)
    doc.documentLayout().draw(painter, context)
    painter.restore()


def paint_footer(painter: QPainter, page: Geometry, summary: SpendSummary, number: int, pages: int) -> None:
    """Who and what on the left (elided to fit), "Demo data" and "Page 2 of 3" on the right."""
    font = paper_font(SMALL.size)
    metrics = QFontMetricsF(font, painter.device())
    box = page.footer.adjusted(0, page.point * 6, 0, 0)
    right = f"Page {number} of {pages}"
    painter.setFont(font)
    painter.setPen(QColor(SMALL.color))
    painter.drawLine(box.topLeft(), box.topRight())
    painter.drawText(box, Qt.AlignRight | Qt.AlignVCenter, right)
    used = metrics.horizontalAdvance(right)
    if summary.request.demo:
        bold = paper_font(SMALL.size, bold=True)
        demo = "DEMO DATA · "
        painter.setFont(bold)
        painter.setPen(QColor(DEMO.color))
        painter.drawText(box.adjusted(0, 0, -used, 0), Qt.AlignRight | Qt.AlignVCenter, demo)
        used += QFontMetricsF(bold, painter.device()).horizontalAdvance(demo)
        painter.setFont(font)
        painter.setPen(QColor(SMALL.color))
    left = (f"{isolated(summary.report.organization.name, 80)} · {summary.request.title}, "
            f"{summary.span.label()}")
    room = box.width() - used - page.point * 12
    painter.drawText(box, Qt.AlignLeft | Qt.AlignVCenter, metrics.elidedText(left, Qt.ElideRight, room))


def write_pdf(summary: SpendSummary, path: Path, paper: str | None = None) -> int:
    """The summary as a PDF file (A4 or Letter by the locale unless `paper` says); returns the page count.

    Written beside the target and renamed into place, so a statement is never half a file.
    """
    partial = path.with_name(path.name + ".partial")
    try:
        partial.open("wb").close()  # an unwritable place fails here, with the system's reason
    except OSError as error:
        raise OSError(f"cannot write {path}: {error.strerror or error}") from error
    ensure_gui_app()
    writer = QPdfWriter(str(partial))
    writer.setPageLayout(page_layout(paper))
    writer.setTitle(document_title(summary))
    writer.setCreator("A2V2 Desktop")
    try:
        pages = paint_summary(writer, summary)
    except BaseException:
        del writer
        partial.unlink(missing_ok=True)
        raise
    del writer  # closes the file
    os.replace(partial, path)
    return pages
