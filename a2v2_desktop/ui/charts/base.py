"""What every chart shares: a themed plot under a legend row of plain-text names, an empty-state
message in the plot's place, and the hover tooltip of exact figures.

Buckets of local dates are placed at their date's midnight *as if UTC* (the axis is told the
offset is 0), so the axis shows the report zone's dates and a 23- or 25-hour DST day is still
one bar wide. Legends are labels, never pyqtgraph's HTML legend, so names stay text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QStackedLayout,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from a2v2_desktop.insights.ranges import DateRange
from a2v2_desktop.ui.theme import Colors
from a2v2_desktop.ui.widgets import plain_label, plain_tooltip

pg.setConfigOptions(antialias=True)  # here, where pyqtgraph is first loaded (after the window's first paint)

DAY_SECONDS = 86400
EPOCH = date(1970, 1, 1)


def axis_position(day: date) -> int:
    """A local date as the x of its midnight, read as UTC by the axis."""
    return (day - EPOCH).days * DAY_SECONDS


def bucket_index(buckets: Sequence[DateRange], x: float) -> int | None:
    """The bucket whose days hold x, if any."""
    for position, bucket in enumerate(buckets):
        if axis_position(bucket.first) <= x < axis_position(bucket.last) + DAY_SECONDS:
            return position
    return None


class ChartFrame(QWidget):
    """A plot with a legend row above it, or a message in its place; subclasses draw and describe.

    Subclasses implement `_redraw` (legend and drawing, after a colour change) and either
    `bucket_at` and `describe` or `hover_text` (plain text for the tooltip at an x, "" for none),
    and call `set_colors` once they are built.
    """

    def __init__(self, colors: Colors, axis_items: dict | None = None, pan_x: bool = False,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.colors = colors
        self.plot = pg.PlotWidget(axisItems=axis_items)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=pan_x, y=False)
        self.plot.hideButtons()
        self.plot.scene().sigMouseMoved.connect(self._hover)
        self.empty = plain_label("", "EmptyState", wrap=True)
        self.empty.setAlignment(Qt.AlignCenter)
        self.legend = QHBoxLayout()
        host = QWidget()
        self.stack = QStackedLayout(host)
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.legend)
        layout.addWidget(host, 1)

    def set_colors(self, colors: Colors) -> None:
        self.colors = colors
        self.plot.setBackground(colors.base)
        for side in ("left", "bottom"):
            axis = self.plot.getAxis(side)
            axis.setPen(pg.mkPen(colors.border))
            axis.setTextPen(pg.mkPen(colors.muted))
        self._redraw()

    def _redraw(self) -> None:
        raise NotImplementedError

    # -- legend -----------------------------------------------------------------------------------

    def _clear_legend(self) -> None:
        while self.legend.count():
            item = self.legend.takeAt(0)
            if item.widget():
                item.widget().deleteLater()

    def _legend_entry(self, name: str, color: str, width: int = 10, radius: int = 2) -> None:
        """A colour swatch and its name as a plain-text label."""
        swatch = QLabel()
        swatch.setFixedSize(width, 10)
        swatch.setStyleSheet(f"background:{color}; border-radius:{radius}px;")
        self.legend.addWidget(swatch)
        self.legend.addWidget(plain_label(name, "Muted"))
        self.legend.addSpacing(10)

    # -- hover ------------------------------------------------------------------------------------

    def hover_text(self, x: float, view: pg.ViewBox) -> str:
        """The figures of the bucket under x; charts of buckets define `bucket_at` and `describe`."""
        position = self.bucket_at(x)
        return "" if position is None else self.describe(position)

    def _hover(self, scene_pos: QPointF) -> None:
        view = self.plot.getPlotItem().vb
        if not view.sceneBoundingRect().contains(scene_pos):
            return
        content = self.hover_text(view.mapSceneToView(scene_pos).x(), view)
        if not content:
            QToolTip.hideText()
            return
        QToolTip.showText(self.plot.mapToGlobal(self.plot.mapFromScene(scene_pos)), plain_tooltip(content), self.plot)
