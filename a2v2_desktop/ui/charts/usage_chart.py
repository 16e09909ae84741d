"""The Credit usage chart: bars stacked by activity per day, week or month, with the
previous period as a faint overlay and exact figures on hover.

Buckets are local dates placed as `base.axis_position` places them, and the DateAxisItem
is told the offset is 0, so the axis shows the report zone's dates.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from a2v2_desktop.domain.credits import SCALE
from a2v2_desktop.insights import text
from a2v2_desktop.insights.usage import ACTIVITIES, CREDITS, MESSAGES, ChartSeries
from a2v2_desktop.insights.usage import (
    ACTIVITY_LABELS as LABELS,  # also the paper's legend
)
from a2v2_desktop.ui.charts.base import (
    DAY_SECONDS,
    ChartFrame,
    axis_position,
    bucket_index,
)
from a2v2_desktop.ui.theme import Colors


class GroupedAxis(pg.AxisItem):
    """Tick labels with thousands separators, like every other figure in the app."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's name
        decimals = 0 if spacing * scale >= 1 else 2
        return [f"{value * scale:,.{decimals}f}" for value in values]


class UsageChart(ChartFrame):
    def __init__(self, colors: Colors, parent: QWidget | None = None):
        super().__init__(colors, {"bottom": pg.DateAxisItem(orientation="bottom", utcOffset=0),
                                  "left": GroupedAxis(orientation="left")}, parent=parent)
        self.series: ChartSeries | None = None
        self.measure = CREDITS
        self.compare = False
        self.bars: dict[str, pg.BarGraphItem] = {}
        self.previous_bar: pg.BarGraphItem | None = None
        self.plot.getPlotItem().setContentsMargins(0, 10, 8, 0)  # room for the top tick label
        self._make_bars()
        self.set_colors(colors)

    def _redraw(self) -> None:
        self._build_legend()
        self.plot.getAxis("left").setLabel(self.measure)  # here, not per draw: a label change lays the plot out again
        self._draw()

    def _build_legend(self) -> None:
        self._clear_legend()
        shown = ACTIVITIES if self.measure == CREDITS else ("message",)
        for activity in shown:
            self._legend_entry(LABELS[activity], self._color(activity))
        if self.compare:
            self._legend_entry("Previous period", self.colors.previous)
        self.legend.addStretch(1)

    def _color(self, activity: str) -> str:
        return self.colors.activities[ACTIVITIES.index(activity)]

    # -- data ---------------------------------------------------------------------------------

    def show_series(self, series: ChartSeries | None, empty_message: str = "") -> None:
        """Draw a series, or say why there is nothing to draw."""
        self.series = series
        self.empty.setText(empty_message)
        self.stack.setCurrentWidget(self.empty if empty_message or series is None else self.plot)
        self._draw()

    def set_measure(self, measure: str) -> None:
        self.measure = measure
        self._redraw()

    def set_compare(self, compare: bool) -> None:
        self.compare = compare
        self._redraw()

    def heights(self) -> dict[str, list[int]]:
        """What each bar stands for, exactly (credits in ten-thousandths or messages)."""
        series = self.series
        if series is None:
            return {}
        if self.measure == MESSAGES:
            return {"message": list(series.messages)}
        return {activity: list(values) for activity, values in series.credits.items()}

    def _draw(self) -> None:
        """New numbers for the bars made once (setOpts): far cheaper than new items on every change."""
        series = self.series
        heights = self.heights() if series is not None and series.buckets else {}
        for activity, bar in self.bars.items():
            bar.setVisible(activity in heights)
        self._keep_previous_bar(bool(heights) and self.compare)
        if not heights:
            return
        x = [axis_position(b.first) + b.days * DAY_SECONDS / 2 for b in series.buckets]
        width = [b.days * DAY_SECONDS * 0.72 for b in series.buckets]
        scale = SCALE if self.measure == CREDITS else 1
        if self.previous_bar is not None:
            previous = series.previous_credits if self.measure == CREDITS else series.previous_messages
            self.previous_bar.setOpts(x=x, width=[w * 1.25 for w in width], height=[v / scale for v in previous],
                                      brush=QColor(self.colors.previous))
        base = [0.0] * len(x)
        for activity, values in heights.items():
            stacked = [v / scale for v in values]  # floats only for drawing
            self.bars[activity].setOpts(x=x, width=width, y0=list(base), height=stacked,
                                        brush=QColor(self._color(activity)))
            base = [b + max(h, 0.0) for b, h in zip(base, stacked)]
        edge = series.buckets[-1]
        self.plot.setXRange(axis_position(series.buckets[0].first), axis_position(edge.last) + DAY_SECONDS,
                            padding=0.02)
        self.plot.enableAutoRange(axis="y")

    def _make_bars(self) -> None:
        """One bar item per activity, hidden until there is data."""
        for activity in ACTIVITIES:
            self.bars[activity] = pg.BarGraphItem(x=[0], width=[0], height=[0], pen=pg.mkPen(None))
            self.plot.addItem(self.bars[activity])

    def _keep_previous_bar(self, wanted: bool) -> None:
        """The previous period's bars exist only while compared."""
        if wanted and self.previous_bar is None:
            self.previous_bar = pg.BarGraphItem(x=[0], width=[0], height=[0], pen=pg.mkPen(None))
            self.previous_bar.setZValue(-1)
            self.plot.addItem(self.previous_bar)
        elif not wanted and self.previous_bar is not None:
            self.plot.removeItem(self.previous_bar)
            self.previous_bar = None

    # -- hover --------------------------------------------------------------------------------

    def bucket_at(self, x: float) -> int | None:
        return bucket_index(self.series.buckets, x) if self.series is not None else None

    def describe(self, position: int) -> str:
        """The exact figures of one bar, as plain text."""
        series = self.series
        lines = [series.buckets[position].label()]
        if self.measure == MESSAGES:
            lines.append(f"Messages: {series.messages[position]:,}")
            if self.compare:
                lines.append(f"Previous period: {series.previous_messages[position]:,}")
            return "\n".join(lines)
        total = sum(series.credits[a][position] for a in ACTIVITIES)
        lines.append(f"Credits used: {text.credits_text(total)}")
        lines += [f"  {LABELS[a]}: {text.credits_text(series.credits[a][position])}"
                  for a in ACTIVITIES if series.credits[a][position]]
        if self.compare:
            lines.append(f"Previous period: {text.credits_text(series.previous_credits[position])}")
        return "\n".join(lines)
