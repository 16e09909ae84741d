"""The Busiest hours heat map: new conversations per local weekday and hour, painted as a grid.

Painted with QPainter rather than pyqtgraph: 168 cells with labels need no axes, and
every word drawn is our own (weekday and hour names), so there is nothing untrusted
to escape; the hover text is a plain-text tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QToolTip, QWidget

from a2v2_desktop.insights.analytics import WEEKDAYS
from a2v2_desktop.ui.theme import Colors
from a2v2_desktop.ui.widgets import plain_tooltip

LEFT, BOTTOM, GAP = 36, 18, 2


def mix(low: str, high: str, weight: float) -> QColor:
    """A colour `weight` of the way from `low` to `high`."""
    a, b = QColor(low), QColor(high)
    return QColor(*(round(x + (y - x) * weight) for x, y in ((a.red(), b.red()), (a.green(), b.green()),
                                                             (a.blue(), b.blue()))))


class HeatMap(QWidget):
    def __init__(self, colors: Colors, parent: QWidget | None = None):
        super().__init__(parent)
        self.colors = colors
        self.grid: tuple[tuple[int, ...], ...] = tuple((0,) * 24 for _ in WEEKDAYS)
        self.setMouseTracking(True)
        self.setMinimumSize(290, 126)

    def set_colors(self, colors: Colors) -> None:
        self.colors = colors
        self.update()

    def set_grid(self, grid: tuple[tuple[int, ...], ...]) -> None:
        self.grid = grid
        self.update()

    def cell_rect(self, day: int, hour: int) -> QRectF:
        width = (self.width() - LEFT) / 24
        height = (self.height() - BOTTOM) / len(WEEKDAYS)
        return QRectF(LEFT + hour * width, day * height, width - GAP, height - GAP)

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        for day in range(len(WEEKDAYS)):
            for hour in range(24):
                if self.cell_rect(day, hour).contains(x, y):
                    return day, hour
        return None

    def describe(self, day: int, hour: int) -> str:
        count = self.grid[day][hour]
        return f"{WEEKDAYS[day]} {hour:02d}:00–{(hour + 1) % 24:02d}:00\n" \
               f"{count:,} new conversation{'s' if count != 1 else ''}"

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        top = max((max(row) for row in self.grid), default=0)
        for day, row in enumerate(self.grid):
            for hour, count in enumerate(row):
                weight = count / top if top else 0.0
                painter.setPen(Qt.NoPen)
                painter.setBrush(mix(self.colors.alternate, self.colors.accent, weight))
                painter.drawRoundedRect(self.cell_rect(day, hour), 2, 2)
        self._labels(painter)
        painter.end()

    def _labels(self, painter: QPainter) -> None:
        painter.setPen(QColor(self.colors.muted))
        for day, name in enumerate(WEEKDAYS):
            rect = self.cell_rect(day, 0)
            painter.drawText(QRectF(0, rect.top(), LEFT - 6, rect.height()), Qt.AlignRight | Qt.AlignVCenter, name)
        for hour in range(0, 24, 3):
            rect = self.cell_rect(len(WEEKDAYS) - 1, hour)
            painter.drawText(QRectF(rect.left(), rect.bottom() + 2, rect.width() * 3, BOTTOM - 2),
                             Qt.AlignLeft | Qt.AlignTop, f"{hour:02d}")

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        position = event.position()
        cell = self.cell_at(position.x(), position.y())
        if cell is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(event.globalPosition().toPoint(), plain_tooltip(self.describe(*cell)), self)
