"""The Balance history chart: both credit pools over time as steps, markers for period
boundaries, top-ups and auto-recharges, and the forecast as dashed lines in a shaded band.

Instants are placed at their wall-clock time in the report zone read as UTC (the axis
is told the offset is 0), so the axis shows the zone's dates and hours across DST.
Credits become floats only here, for drawing; hover shows the exact figures.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timezone, tzinfo

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from a2v2_desktop.domain.credits import SCALE
from a2v2_desktop.insights.billing import (
    PERIOD,
    POOL_NAMES,
    POOLS,
    BalancePoint,
    Marker,
    marker_lines,
)
from a2v2_desktop.insights.forecast import Forecast
from a2v2_desktop.insights.text import credits_text, moment_text
from a2v2_desktop.ui.charts.base import ChartFrame
from a2v2_desktop.ui.theme import Colors

DAY = 86400
SHOWN_DAYS = 90  # history shown at first; drag or scroll sideways for the rest
HOVER_PIXELS = 6
MARKER_NAMES = {PERIOD: "Period boundary", "top_up": "Top-up", "auto_recharge": "Auto-recharge",
                "adjustment": "Adjustment"}


def wall_x(epoch: int, tz: tzinfo) -> int:
    """An instant as its wall-clock time in `tz`, read as UTC by the axis."""
    return epoch + int(datetime.fromtimestamp(epoch, timezone.utc).astimezone(tz).utcoffset().total_seconds())


class BalanceChart(ChartFrame):
    def __init__(self, colors: Colors, parent: QWidget | None = None):
        super().__init__(colors, {"bottom": pg.DateAxisItem(orientation="bottom", utcOffset=0)}, pan_x=True,
                         parent=parent)
        self.tz: tzinfo = timezone.utc
        self.history: tuple[BalancePoint, ...] = ()
        self.markers: tuple[Marker, ...] = ()
        self.forecast: Forecast | None = None
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.bands: dict[str, pg.FillBetweenItem] = {}
        self.marker_lines: list[pg.InfiniteLine] = []
        self._history_x: list[int] = []
        self._forecast_x: list[int] = []
        self.plot.getPlotItem().getViewBox().setAutoVisible(y=True)
        self.set_colors(colors)

    # -- colours --------------------------------------------------------------------------------

    def _redraw(self) -> None:
        self._build_legend()
        self._draw()

    def pool_color(self, pool: str) -> str:
        return self.colors.activities[POOLS.index(pool)]

    def _marker_pen(self, kind: str) -> pg.QtGui.QPen:
        styles = {PERIOD: (self.colors.muted, Qt.DashLine), "auto_recharge": (self.colors.activities[2], Qt.SolidLine),
                  "top_up": (self.colors.activities[3], Qt.SolidLine)}
        color, style = styles.get(kind, (self.colors.muted, Qt.DotLine))
        return pg.mkPen(color, width=1, style=style)

    def _build_legend(self) -> None:
        self._clear_legend()
        for pool in POOLS:
            self._legend_entry(POOL_NAMES[pool], self.pool_color(pool), radius=1)
        self._legend_entry("Forecast", self.colors.muted, 3, radius=1)
        for kind in (PERIOD, "auto_recharge", "top_up"):
            self._legend_entry(MARKER_NAMES[kind], self._marker_pen(kind).color().name(), 2, radius=1)
        self.legend.addStretch(1)

    # -- data -----------------------------------------------------------------------------------

    def show_history(self, history: tuple[BalancePoint, ...], markers: tuple[Marker, ...],
                     forecast: Forecast | None, tz: tzinfo, empty_message: str = "") -> None:
        """Draw the rebuilt pools, the markers and the forecast, or say why there is nothing to draw."""
        self.history, self.markers, self.forecast, self.tz = history, markers, forecast, tz
        self.empty.setText(empty_message)
        self.stack.setCurrentWidget(self.empty if empty_message or not history else self.plot)
        self._draw()

    def _draw(self) -> None:
        self.plot.clear()
        self.curves, self.bands, self.marker_lines = {}, {}, []
        if not self.history:
            return
        self._history_x = [wall_x(p.at, self.tz) for p in self.history]
        for pool in POOLS:
            values = [getattr(p, pool) / SCALE for p in self.history]  # floats only for drawing
            self.curves[pool] = self.plot.plot(self._history_x, values, stepMode="left",
                                               pen=pg.mkPen(self.pool_color(pool), width=2))
        for marker in self.markers:
            self._add_marker(wall_x(marker.at, self.tz), self._marker_pen(marker.kind))
        if self.forecast is not None:
            self._draw_forecast(self.forecast)
        self._show_recent()

    def _add_marker(self, x: int, pen) -> None:
        line = pg.InfiniteLine(pos=x, angle=90, movable=False, pen=pen)
        line.setZValue(-5)
        self.plot.addItem(line)
        self.marker_lines.append(line)

    def _draw_forecast(self, forecast: Forecast) -> None:
        projection = forecast.projection
        self._forecast_x = [wall_x(t, self.tz) for t in projection.times]
        for pool in POOLS:
            color = QColor(self.pool_color(pool))
            edges = [pg.PlotCurveItem(self._forecast_x, [v / SCALE for v in getattr(series, pool)], pen=pg.mkPen(None))
                     for series in (projection.faster, projection.slower)]
            for edge in edges:
                self.plot.addItem(edge)
            color.setAlpha(56)
            self.bands[pool] = pg.FillBetweenItem(*edges, brush=color)
            self.plot.addItem(self.bands[pool])
            self.curves[f"{pool}_forecast"] = self.plot.plot(
                self._forecast_x, [v / SCALE for v in getattr(projection.pace, pool)],
                pen=pg.mkPen(self.pool_color(pool), width=2, style=Qt.DashLine))
        for period in forecast.outlooks:
            self._add_marker(wall_x(period.end, self.tz), pg.mkPen(self.colors.muted, width=1, style=Qt.DashDotLine))

    def _show_recent(self) -> None:
        end = self._forecast_x[-1] if self.forecast is not None else self._history_x[-1]
        start = max(self._history_x[0], self._history_x[-1] - SHOWN_DAYS * DAY)
        self.plot.setXRange(start, end, padding=0.02)
        self.plot.getAxis("left").setLabel("credits")
        self.plot.enableAutoRange(axis="y")

    # -- hover ----------------------------------------------------------------------------------

    def describe_at(self, x: float, tolerance: float = 0) -> str:
        """Exact figures at one x: the pools (or the forecast) and any marker within `tolerance`."""
        lines = self._forecast_lines(x) if self._in_forecast(x) else self._history_lines(x)
        for marker in self.markers:
            if abs(wall_x(marker.at, self.tz) - x) <= tolerance:
                lines += ["", *marker_lines(marker, self.tz)]
        return "\n".join(lines)

    def _in_forecast(self, x: float) -> bool:
        return self.forecast is not None and bool(self._forecast_x) and x > self._history_x[-1]

    def _history_lines(self, x: float) -> list[str]:
        index = bisect_right(self._history_x, x) - 1
        if index < 0:
            return []
        point = self.history[index]
        return [f"Balance after {moment_text(point.at, self.tz)}",
                f"{POOL_NAMES['plan']}: {credits_text(point.plan)}",
                f"{POOL_NAMES['topup']}: {credits_text(point.topup)}"]

    def _forecast_lines(self, x: float) -> list[str]:
        projection = self.forecast.projection
        index = max(0, bisect_right(self._forecast_x, x) - 1)
        lines = [f"Forecast for {moment_text(projection.times[index], self.tz)}"]
        for pool in POOLS:
            pace, low, high = (getattr(series, pool)[index]
                               for series in (projection.pace, projection.faster, projection.slower))
            likely = f" (likely {credits_text(low)} – {credits_text(high)})" if low != high else ""
            lines.append(f"{POOL_NAMES[pool]}: {credits_text(pace)}{likely}")
        return lines

    def hover_text(self, x: float, view: pg.ViewBox) -> str:
        return self.describe_at(x, HOVER_PIXELS * view.viewPixelSize()[0]) if self.history else ""
