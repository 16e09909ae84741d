"""One chart for every Agent Analytics series: bars (grouped or stacked) and lines per day,
week or month, the previous period as a faint overlay, exact figures on hover.

Buckets are placed as every chart places them (`base.axis_position`: local dates at
midnight read as UTC), so the axis shows the report zone's dates. Values stay exact (ints or
Fractions) in `ChartData`; they become floats only to be drawn. The legend is made
of plain-text labels, never pyqtgraph's HTML legend.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from a2v2_desktop.insights.ranges import DAY, MONTH, DateRange
from a2v2_desktop.ui.charts.base import (
    DAY_SECONDS,
    ChartFrame,
    axis_position,
    bucket_index,
)
from a2v2_desktop.ui.theme import Colors

BAR, LINE = "bar", "line"
TONES = BLUE, GREEN, ORANGE, PURPLE, RED, GREY = tuple(range(6))
Number = int | Fraction


def tones(colors: Colors) -> tuple[str, ...]:
    """The theme's chart colours in the order of BLUE..GREY."""
    return (*colors.activities[:4], colors.danger, colors.activities[4])


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[Number | None, ...]  # per bucket; None: undefined (a line breaks there)
    tone: int = BLUE
    kind: str = BAR
    previous: tuple[Number | None, ...] | None = None  # the previous period by position


@dataclass(frozen=True)
class ChartData:
    buckets: tuple[DateRange, ...]
    series: tuple[Series, ...]
    value_text: Callable[[Number], str] = lambda value: f"{value:,}"
    scale: Number = 1  # exact values are divided by this to be drawn (credits: SCALE, shares: 1/100)
    stacked: bool = False
    axis_label: str = ""
    granularity: str = DAY
    compare: bool = False  # draw the series' previous period too

    def whole(self) -> bool:
        """Counts: the value axis should not tick at halves."""
        return self.scale == 1 and all(isinstance(v, int) for s in self.series for v in s.values if v is not None)


def bucket_label(bucket: DateRange, granularity: str) -> str:
    """"3 Nov" for a day or a week, "Nov 2026" for a month."""
    first = bucket.first
    return f"{first:%b %Y}" if granularity == MONTH else f"{first.day} {first:%b}"


class AnalyticsChart(ChartFrame):
    """A plot with a plain-text legend above it, or a message when there is nothing to draw."""

    def __init__(self, colors: Colors, parent: QWidget | None = None):
        super().__init__(colors, parent=parent)
        self.data: ChartData | None = None
        self._legend_key = None
        self.items: dict[str, pg.GraphicsObject] = {}
        self.setMinimumHeight(150)
        self.set_colors(colors)

    def show_data(self, data: ChartData | None, empty_message: str = "") -> None:
        """Draw the series, or say why there is nothing to draw (then nothing is drawn)."""
        self.data = None if empty_message else data
        self.empty.setText(empty_message)
        self.stack.setCurrentWidget(self.plot if self.data is not None else self.empty)
        self._redraw()

    def _redraw(self) -> None:
        """Legend only when its entries changed: every Qt call counts on a large view."""
        key = (self.colors, self._comparing(), tuple((s.name, s.tone) for s in self.data.series) if self.data else ())
        if key != self._legend_key:
            self._legend_key = key
            self._build_legend()
        self._draw()

    # -- legend -------------------------------------------------------------------------------------

    def _build_legend(self) -> None:
        self._clear_legend()
        if self.data is not None:
            for series in self.data.series:
                self._legend_entry(series.name, self._color(series.tone))
            if self._comparing():
                self._legend_entry("Previous period", self.colors.previous)
        self.legend.addStretch(1)

    def _color(self, tone: int) -> str:
        return tones(self.colors)[tone]

    def _comparing(self) -> bool:
        data = self.data
        return data is not None and data.compare and any(s.previous is not None for s in data.series)

    # -- drawing ------------------------------------------------------------------------------------

    def drawn(self) -> dict[str, list[Number | None]]:
        """What each series stands for, exactly, bucket by bucket."""
        return {series.name: list(series.values) for series in self.data.series} if self.data else {}

    def _draw(self) -> None:
        if self.items:
            self.plot.clear()
            self.items = {}
        data = self.data
        if data is None or not data.buckets:
            return
        centers = [axis_position(b.first) + b.days * DAY_SECONDS / 2 for b in data.buckets]
        widths = [b.days * DAY_SECONDS * 0.72 for b in data.buckets]
        bars = [s for s in data.series if s.kind == BAR]
        if self._comparing():
            self._draw_previous(data, centers, widths)
        if data.stacked:
            self._draw_stacked(bars, centers, widths, data.scale)
        else:
            self._draw_grouped(bars, centers, widths, data.scale)
        for series in data.series:
            if series.kind == LINE:
                self._draw_line(series, series.values, centers, self._color(series.tone), data.scale)
        self.plot.getAxis("left").setLabel(html.escape(data.axis_label))
        self._value_ticks(data)
        self._date_ticks()
        last = data.buckets[-1]
        self.plot.setXRange(axis_position(data.buckets[0].first), axis_position(last.last) + DAY_SECONDS, padding=0.02)
        self.plot.enableAutoRange(axis="y")

    def _value_ticks(self, data: ChartData) -> None:
        """Whole steps for small counts; pyqtgraph's own spacing otherwise."""
        top = max((abs(float(v)) for s in data.series for v in s.values if v is not None), default=0)
        axis = self.plot.getAxis("left")
        if data.whole() and top <= 5:
            axis.setTickSpacing(1, 1)
        else:
            axis.setTickSpacing()

    def _date_ticks(self) -> None:
        """A readable date under every few buckets, as many as the width allows."""
        data = self.data
        if data is None or not data.buckets:
            return
        room = max(2, self.plot.width() // 78)
        step = math.ceil(len(data.buckets) / room)
        ticks = [(axis_position(b.first) + b.days * DAY_SECONDS / 2, bucket_label(b, data.granularity))
                 for b in data.buckets[::step]]
        self.plot.getAxis("bottom").setTicks([ticks, []])

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._date_ticks()

    def _bar(self, name: str, x, width, height, color: str, y0=None) -> None:
        item = pg.BarGraphItem(x=x, width=width, height=height, y0=y0 if y0 is not None else 0,
                               brush=QColor(color), pen=pg.mkPen(None))
        self.plot.addItem(item)
        self.items[name] = item

    def _draw_stacked(self, bars: list[Series], centers, widths, scale: Number) -> None:
        base = [0.0] * len(centers)
        for series in bars:
            heights = _floats(series.values, scale)
            self._bar(series.name, centers, widths, heights, self._color(series.tone), list(base))
            base = [b + max(h, 0.0) for b, h in zip(base, heights)]

    def _draw_grouped(self, bars: list[Series], centers, widths, scale: Number) -> None:
        for number, series in enumerate(bars):
            share = [w / len(bars) for w in widths]
            x = [c - w / 2 + s * (number + 0.5) for c, w, s in zip(centers, widths, share)]
            self._bar(series.name, x, [s * 0.92 for s in share], _floats(series.values, scale),
                      self._color(series.tone))

    def _draw_line(self, series: Series, values, centers, color: str, scale: Number, dashed: bool = False) -> None:
        pen = pg.mkPen(color, width=2, style=Qt.DashLine if dashed else Qt.SolidLine)
        item = pg.PlotDataItem(centers, _floats(values, scale, missing=math.nan), pen=pen, connect="finite",
                               symbol=None if dashed else "o", symbolSize=5, symbolBrush=QColor(color),
                               symbolPen=pg.mkPen(None))
        self.plot.addItem(item)
        self.items[("Previous " if dashed else "") + series.name] = item

    def _draw_previous(self, data: ChartData, centers, widths) -> None:
        """The previous period behind the current one: one faint bar of the bars' total, dashed lines."""
        bars = [s.previous for s in data.series if s.kind == BAR and s.previous is not None]
        if bars:
            totals = [sum(v or 0 for v in column) for column in zip(*bars)] if data.stacked else \
                [max((v or 0 for v in column), default=0) for column in zip(*bars)]
            self._bar("Previous period", centers, [w * 1.15 for w in widths], _floats(totals, data.scale),
                      self.colors.previous)
            self.items["Previous period"].setZValue(-1)
        for series in data.series:
            if series.kind == LINE and series.previous is not None:
                self._draw_line(series, series.previous, centers, self.colors.previous, data.scale, dashed=True)

    # -- hover ----------------------------------------------------------------------------------------

    def bucket_at(self, x: float) -> int | None:
        return bucket_index(self.data.buckets, x) if self.data is not None else None

    def describe(self, position: int) -> str:
        """The exact figures of one bucket, as plain text."""
        data = self.data
        lines = [data.buckets[position].label()]
        for series in data.series:
            lines.append(f"{series.name}: {_text(series.values[position], data.value_text)}")
            if data.compare and series.previous is not None:
                lines.append(f"  previous period: {_text(series.previous[position], data.value_text)}")
        return "\n".join(lines)


def _floats(values, scale: Number, missing: float = 0.0) -> list[float]:
    """Exact values as floats for drawing only."""
    return [missing if v is None else float(Fraction(v) / scale) for v in values]


def _text(value: Number | None, value_text: Callable[[Number], str]) -> str:
    return "—" if value is None else value_text(value)
