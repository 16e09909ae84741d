"""Overview: the seven KPI cards, "Conversations & messages over time", "Busiest hours",
and new conversations by channel and by country."""

from __future__ import annotations

from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QPushButton, QSizePolicy, QWidget

from a2v2_desktop.insights.analytics import DEFINITIONS, AnalyticsView
from a2v2_desktop.ui.charts.analytics_chart import BLUE, GREEN, LINE, AnalyticsChart, ChartData, Series
from a2v2_desktop.ui.charts.analytics_heatmap import HeatMap
from a2v2_desktop.ui.panels.analytics_tabs.common import AnalyticsTab, KpiCards, RankTable, titled_section
from a2v2_desktop.ui.theme import Colors
from a2v2_desktop.ui.widgets import elide, plain_label, section

CONVERSATIONS, MESSAGES = "Conversations", "Messages"


class OverviewTab(AnalyticsTab):
    feeds = frozenset({"conversations"})

    def __init__(self, colors: Colors, parent: QWidget | None = None):
        super().__init__(colors, parent)
        self.measure = CONVERSATIONS
        self.cards = KpiCards(DEFINITIONS)
        self.chart = AnalyticsChart(colors)
        self.heatmap = HeatMap(colors)
        self.heatmap_note = plain_label("", "Muted")
        self.heatmap_note.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.channels, self.countries = RankTable("Channel"), RankTable("Country")
        self.body.addWidget(self.cards)
        self.body.addWidget(self._chart_section(), 1)
        row = QHBoxLayout()
        row.setSpacing(10)
        row.addWidget(titled_section("Busiest hours", self.heatmap_note, self.heatmap), 4)
        row.addWidget(titled_section("By channel", self.channels), 3)
        row.addWidget(titled_section("By country", self.countries), 3)
        self.body.addLayout(row)

    def _chart_section(self):
        frame, layout = section()
        header = QHBoxLayout()
        header.addWidget(plain_label("Conversations & messages over time", "SectionTitle"))
        header.addStretch(1)
        self.measures = QButtonGroup(self)
        for name in (CONVERSATIONS, MESSAGES):
            button = QPushButton(name)
            button.setCheckable(True)
            button.setChecked(name == self.measure)
            self.measures.addButton(button)
            header.addWidget(button)
        self.measures.buttonClicked.connect(self._measure_chosen)
        layout.addLayout(header)
        layout.addWidget(self.chart, 1)
        frame.setMinimumHeight(230)
        return frame

    def _measure_chosen(self, button: QPushButton) -> None:
        self.measure = button.text()
        if self.view is not None and self.view.overview is not None:
            self._show_chart(self.view)

    def recolor(self, colors: Colors) -> None:
        self.chart.set_colors(colors)
        self.heatmap.set_colors(colors)

    def fill(self, view: AnalyticsView, compare: bool) -> None:
        overview = view.overview
        self.cards.show_kpis(overview.kpis, compare, self.colors)
        self._show_chart(view)
        self.heatmap.set_grid(overview.busiest)
        self.heatmap_note.setText(f"New conversations · {view.timezone} time")
        self.channels.set_rows(overview.channels)
        self.countries.set_rows(overview.countries)

    def current_chart(self, view: AnalyticsView) -> ChartData:
        o = view.overview
        if self.measure == MESSAGES:
            series = (Series("User messages", o.user_messages, BLUE, previous=o.previous_user_messages),)
        else:
            series = (Series("New conversations", o.new, BLUE, LINE, o.previous_new),
                      Series("Active conversations", o.active, GREEN, LINE, o.previous_active))
        return self.chart_data(series, axis_label=self.measure.lower())

    def _show_chart(self, view: AnalyticsView) -> None:
        o = view.overview
        quiet = not any(o.active) and not any(o.new)
        message = f"No conversations with {elide(view.agent.name, 60)} in this range." if quiet else ""
        self.chart.show_data(self.current_chart(view), message)
