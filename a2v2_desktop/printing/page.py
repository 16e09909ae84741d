"""Paper: A4 or Letter by the locale, portrait, with room for the footer at the bottom of each page."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QLocale, QMarginsF, QRectF
from PySide6.QtGui import QPageLayout, QPageSize, QPagedPaintDevice

A4, LETTER = "a4", "letter"
PAPERS = {A4: QPageSize.PageSizeId.A4, LETTER: QPageSize.PageSizeId.Letter}
_C = QLocale.Country
LETTER_COUNTRIES = frozenset({_C.UnitedStates, _C.Canada, _C.Mexico, _C.Chile, _C.Colombia, _C.Venezuela,
                              _C.Philippines, _C.PuertoRico, _C.CostaRica, _C.Guatemala, _C.Panama,
                              _C.DominicanRepublic, _C.ElSalvador, _C.Nicaragua, _C.Honduras})
MARGINS_MM = QMarginsF(16, 14, 16, 10)  # left, top, right, bottom; the footer sits inside the bottom edge
FOOTER_PT = 22


def locale_paper(locale: QLocale | None = None) -> str:
    """Letter where the locale's country uses it (the Americas mostly), A4 everywhere else."""
    return LETTER if (locale or QLocale.system()).territory() in LETTER_COUNTRIES else A4


def page_layout(paper: str | None = None) -> QPageLayout:
    size = QPageSize(PAPERS[paper or locale_paper()])
    return QPageLayout(size, QPageLayout.Orientation.Portrait, MARGINS_MM, QPageLayout.Unit.Millimeter)


@dataclass(frozen=True)
class Geometry:
    """Where the text flows and where the footer goes, in the device's own units."""

    body: QRectF
    footer: QRectF
    point: float  # device units per typographic point


def geometry(device: QPagedPaintDevice) -> Geometry:
    point = device.logicalDpiY() / 72
    footer = FOOTER_PT * point
    width, height = device.width(), device.height()
    return Geometry(QRectF(0, 0, width, height - footer), QRectF(0, height - footer, width, footer), point)
