"""Pieces every Analytics tab uses: KPI cards, a scrolling page with a message state, small tables."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHeaderView,
    QScrollArea,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from a2v2_desktop.insights import text
from a2v2_desktop.insights.analytics import AnalyticsView
from a2v2_desktop.insights.analytics_base import Kpi, kpi_change_text, kpi_text, kpi_trend
from a2v2_desktop.ui.charts.analytics_chart import ChartData, Series
from a2v2_desktop.ui.theme import Colors
from a2v2_desktop.ui.widgets import Card, plain_label, plain_tooltip, section

COMING_SOON = "We're building this out next. Overview is live today."
NOT_SYNCED = "No data synced yet. Sync (Ctrl+R) to see how your agents perform."
NO_AGENTS = "This organization has no agents yet."


class KpiCards(QWidget):
    """A grid of cards titled with the dashboard's labels; notes show the change when comparing."""

    def __init__(self, titles: Iterable[str], columns: int = 4, parent: QWidget | None = None):
        super().__init__(parent)
        self.cards = {title: Card(title) for title in titles}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(10)
        for position, card in enumerate(self.cards.values()):
            grid.addWidget(card, position // columns, position % columns)
        for column in range(columns):
            grid.setColumnStretch(column, 1)

    def show_kpis(self, kpis: Iterable[Kpi], compare: bool, colors: Colors) -> None:
        for kpi in kpis:
            card = self.cards[kpi.title]
            card.setToolTip(plain_tooltip(kpi.definition))
            note = f"{kpi_change_text(kpi)} vs previous period" if compare else ""
            card.show_figure(kpi_text(kpi), note)
            paint_trend(card.note, kpi_trend(kpi) if compare else 0, colors)


def paint_trend(label, trend: int, colors: Colors) -> None:
    """Better in the theme's green, worse in its red, unchanged in the card's own colour."""
    colour = {1: colors.activities[1], -1: colors.danger}.get(trend)
    label.setStyleSheet(f"color: {colour};" if colour else "")


class _Body(QWidget):
    """A tab's content: fills the visible height (charts stretch) and scrolls only below its minimum.

    Wrapped labels give the layout a height-for-width, which QScrollArea would honour
    with the *preferred* height; the minimum is what must stay readable.
    """

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        return self.minimumSizeHint().height()


class AnalyticsTab(QStackedWidget):
    """A tab's scrolling content, or one message in its place (coming soon, no data, no paid access)."""

    feeds: frozenset[str] = frozenset()  # the feeds the tab's data comes from

    def __init__(self, colors: Colors, parent: QWidget | None = None):
        super().__init__(parent)
        self.colors = colors
        self.view: AnalyticsView | None = None
        self.compare = False
        body = _Body()
        self.body = QVBoxLayout(body)
        self.body.setContentsMargins(0, 10, 6, 6)
        self.body.setSpacing(12)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setWidget(body)
        self.message_title = plain_label("", "SectionTitle", wrap=True)
        self.message = plain_label("", "EmptyState", wrap=True)
        page = QWidget()
        column = QVBoxLayout(page)
        column.addStretch(1)
        for label in (self.message_title, self.message):
            label.setAlignment(Qt.AlignCenter)
            column.addWidget(label)
        column.addStretch(2)
        self.addWidget(scroll)
        self.addWidget(page)

    def show_message(self, message: str, title: str = "") -> None:
        self.message_title.setText(title)
        self.message_title.setVisible(bool(title))
        self.message.setText(message)
        self.setCurrentIndex(1)

    def show_view(self, view: AnalyticsView, compare: bool) -> None:
        """Fill the tab, or say honestly why it cannot be filled."""
        self.view, self.compare = view, compare
        if not view.synced_feeds:
            return self.show_message(NOT_SYNCED)
        if not self.feeds <= view.synced_feeds:
            return self.show_message(COMING_SOON, "Coming soon")
        if view.agent is None:
            return self.show_message(NO_AGENTS)
        self.setCurrentIndex(0)
        self.fill(view, compare)

    def set_colors(self, colors: Colors) -> None:
        """New chart colours; the panel shows the view again for the cards' colours."""
        self.colors = colors
        self.recolor(colors)

    def chart_data(self, series: Iterable[Series], **options) -> ChartData:
        """A chart over the view's buckets, with the previous period when comparing."""
        return ChartData(self.view.buckets, tuple(series), granularity=self.view.granularity, compare=self.compare,
                         **options)

    def fill(self, view: AnalyticsView, compare: bool) -> None:
        raise NotImplementedError

    def recolor(self, colors: Colors) -> None:
        """Charts take the new colours; cards are repainted by show_view."""


def titled_section(title: str, *widgets: QWidget, stretch: int = 0) -> QFrame:
    frame, layout = section()
    layout.addWidget(plain_label(title, "SectionTitle"))
    for widget in widgets:
        layout.addWidget(widget, stretch)
    return frame


class RankTable(QTableWidget):
    """Name, count and share rows (channels, countries): plain-text items only."""

    def __init__(self, first_column: str, parent: QWidget | None = None):
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels((first_column, "Count", "Share"))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setToolTip("New conversations in the range")
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.NoSelection)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(24)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        for column in (1, 2):
            self.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeToContents)
        self.setMinimumHeight(120)

    def set_rows(self, rows: tuple[tuple[str, int], ...]) -> None:
        total = sum(count for _name, count in rows)
        self.setRowCount(len(rows))
        for number, (name, count) in enumerate(rows):
            for column, content in enumerate((name, f"{count:,}", text.share_text(count, total))):
                item = QTableWidgetItem(content)
                if column:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.setItem(number, column, item)
