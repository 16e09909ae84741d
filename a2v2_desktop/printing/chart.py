"""The daily spend chart on paper: bars stacked by activity, drawn as vectors with QPainter.

It is an object inside the text flow (QPyTextObject), so it moves to the next page
as a whole like a line of text, and is painted straight onto the PDF or printer: no
pixels, sharp at any zoom. Colours are the app's light theme; credits become floats
only for placing bars, the labels are exact.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QObject, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QPyTextObject, QTextDocument, QTextFormat

from a2v2_desktop.domain.credits import SCALE
from a2v2_desktop.insights.forecast import whole_credits
from a2v2_desktop.insights.usage import ACTIVITIES, ACTIVITY_LABELS, ChartSeries
from a2v2_desktop.ui.theme import LIGHT

CHART_OBJECT = QTextFormat.ObjectTypes.UserObject + 1
HEIGHT_RATIO = 0.4  # of the text width
MAX_TICKS = 5
MAX_DAY_LABELS = 16
FONT_FAMILIES = ["DejaVu Sans", "Segoe UI", "Helvetica Neue", "Arial", "Noto Sans"]


def paper_font(points: float, bold: bool = False) -> QFont:
    """The one sans-serif face the paper uses, at a size in points (Qt scales it to the device)."""
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setStyleHint(QFont.StyleHint.SansSerif)
    # No "fi"/"ffi" ligatures in Latin text: the PDF's text then copies and searches as typed.
    font.setStyleStrategy(QFont.StyleStrategy.PreferNoShaping)
    font.setPointSizeF(points)
    font.setBold(bold)
    return font


def tick_step(top: int) -> int:
    """A round step (1, 2, 2.5 or 5 times a power of ten, in ten-thousandths) giving at most MAX_TICKS lines."""
    magnitude = 1
    while True:
        for factor in (10, 20, 25, 50):
            step = factor * magnitude
            if step * MAX_TICKS >= top:
                return step
        magnitude *= 10


def day_labels(days: list[date]) -> list[tuple[int, str]]:
    """(position, label): every few days with the month where it changes, or month starts for long ranges."""
    if len(days) > 62:
        return [(i, f"{d:%b %Y}" if d.month == 1 or i == 0 else f"{d:%b}")
                for i, d in enumerate(days) if d.day == 1 or i == 0]
    every = -(-len(days) // MAX_DAY_LABELS)
    labels, month = [], None
    for i, d in enumerate(days):
        if i % every == 0:
            labels.append((i, f"{d.day} {d:%b}" if d.month != month else str(d.day)))
            month = d.month
    return labels


class DailyChart(QPyTextObject):
    """Draws one document's chart at its object character; sized to the page's text width."""

    def __init__(self, series: ChartSeries, parent: QObject | None = None):
        super().__init__(parent)
        self.series = series

    def intrinsicSize(self, doc: QTextDocument, _pos: int, _format: QTextFormat) -> QSizeF:  # noqa: N802
        width = doc.pageSize().width() if doc.pageSize().width() > 0 else doc.textWidth()
        return QSizeF(width, width * HEIGHT_RATIO)

    def drawObject(self, painter: QPainter, rect: QRectF, doc: QTextDocument, _pos: int,  # noqa: N802
                   _format: QTextFormat) -> None:
        point = doc.documentLayout().paintDevice().logicalDpiY() / 72
        painter.save()
        ChartPainter(painter, rect, point).draw(self.series)
        painter.restore()


class ChartPainter:
    """One drawing of the chart into a rectangle of device units (`point` units per typographic point)."""

    def __init__(self, painter: QPainter, rect: QRectF, point: float):
        self.painter, self.rect, self.pt = painter, rect, point
        self.font = paper_font(7)
        self.metrics = QFontMetricsF(self.font, painter.device())
        self.title_font = paper_font(11, bold=True)
        self.title_height = QFontMetricsF(self.title_font, painter.device()).height()

    def draw(self, series: ChartSeries) -> None:
        totals = series.totals()
        step = tick_step(max([*totals, 0]) or SCALE)
        ticks = [step * i for i in range(MAX_TICKS + 1) if step * (i - 1) < max([*totals, 1])]
        plot = self._plot_area(ticks)
        self.painter.setFont(self.font)
        self._legend()
        self._grid(plot, ticks)
        self._bars(plot, series, ticks[-1])
        self._x_labels(plot, [bucket.first for bucket in series.buckets])
        if not any(totals):
            self._text(plot, Qt.AlignCenter, "No credits were spent in this range.")

    def _plot_area(self, ticks: list[int]) -> QRectF:
        label_width = max(self.metrics.horizontalAdvance(whole_credits(t)) for t in ticks) + 4 * self.pt
        line = self.metrics.height()
        return self.rect.adjusted(label_width, self.title_height + line, -2 * self.pt, -line * 1.3)

    def _text(self, box: QRectF, flags, content: str, color: str = LIGHT.muted) -> None:
        self.painter.setPen(QColor(color))
        self.painter.drawText(box, flags, content)

    def _legend(self) -> None:
        """The title at the top left, inside the object so it never parts from its chart; swatches at the right."""
        line = QRectF(self.rect.left(), self.rect.top(), self.rect.width(), self.title_height)
        x = self.rect.right()
        size = 6 * self.pt
        for activity in reversed(ACTIVITIES):
            label = ACTIVITY_LABELS[activity]
            width = self.metrics.horizontalAdvance(label)
            x -= width
            self._text(QRectF(x, line.top(), width, line.height()), Qt.AlignLeft | Qt.AlignVCenter, label)
            x -= size + 3 * self.pt
            swatch = QRectF(x, line.center().y() - size / 2, size, size)
            self.painter.fillRect(swatch, QColor(LIGHT.activities[ACTIVITIES.index(activity)]))
            x -= 9 * self.pt
        self.painter.setFont(self.title_font)
        self._text(line, Qt.AlignLeft | Qt.AlignVCenter, "Daily spend, in credits", LIGHT.text)
        self.painter.setFont(self.font)

    def _y(self, plot: QRectF, value: int, top: int) -> float:
        return plot.bottom() - plot.height() * value / top

    def _grid(self, plot: QRectF, ticks: list[int]) -> None:
        pen = QPen(QColor(LIGHT.border), 0.5 * self.pt)
        for tick in ticks:
            y = self._y(plot, tick, ticks[-1])
            self.painter.setPen(pen)
            self.painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            box = QRectF(self.rect.left(), y - self.metrics.height() / 2, plot.left() - self.rect.left() - 3 * self.pt,
                         self.metrics.height())
            self._text(box, Qt.AlignRight | Qt.AlignVCenter, whole_credits(tick))
        self.painter.setPen(QPen(QColor(LIGHT.muted), 0.6 * self.pt))
        self.painter.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))

    def _bars(self, plot: QRectF, series: ChartSeries, top: int) -> None:
        slot = plot.width() / max(1, len(series.buckets))
        width = max(slot * 0.72, 0.3 * self.pt)
        self.painter.setPen(Qt.NoPen)
        for index in range(len(series.buckets)):
            base = 0
            x = plot.left() + slot * index + (slot - width) / 2
            for number, activity in enumerate(ACTIVITIES):
                value = max(series.credits[activity][index], 0)
                if value:
                    y_top, y_base = self._y(plot, base + value, top), self._y(plot, base, top)
                    self.painter.setBrush(QColor(LIGHT.activities[number]))
                    self.painter.drawRect(QRectF(x, y_top, width, y_base - y_top))
                base += value

    def _x_labels(self, plot: QRectF, days: list[date]) -> None:
        slot = plot.width() / max(1, len(days))
        for index, label in day_labels(days):
            width = self.metrics.horizontalAdvance(label) + 2 * self.pt
            left = plot.left() + slot * index + slot / 2 - width / 2
            box = QRectF(max(self.rect.left(), left), plot.bottom() + 2 * self.pt, width, self.metrics.height())
            self._text(box, Qt.AlignCenter, label)
