"""Cost: the agent's credits over time by activity or by model, what a conversation and an
answered message cost, its share of the organization's spend, and the runaway warning."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QButtonGroup, QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from a2v2_desktop.domain.credits import SCALE
from a2v2_desktop.insights import text
from a2v2_desktop.insights.agent_cost import DEFINITIONS, AgentCost
from a2v2_desktop.insights.analytics import AnalyticsView
from a2v2_desktop.insights.money import money_text
from a2v2_desktop.insights.usage import ACTIVITIES
from a2v2_desktop.ui.charts.analytics_chart import GREY, TONES, AnalyticsChart, ChartData, Series
from a2v2_desktop.ui.charts.usage_chart import LABELS
from a2v2_desktop.ui.icons import icon
from a2v2_desktop.ui.panels.analytics_tabs.common import AnalyticsTab, KpiCards
from a2v2_desktop.ui.panels.usage import runaway_text
from a2v2_desktop.ui.theme import Colors
from a2v2_desktop.ui.widgets import elide, plain_label, section

BY_ACTIVITY, BY_MODEL = "By activity", "By model"
VALUE = "Value at top-up rate"


def rate_text(cost: AgentCost) -> str:
    """"20.00 USD per 1,000 credits (the latest auto-recharge price)"."""
    rate = cost.rate
    source = "the latest auto-recharge price" if rate.from_billing else "the documented top-up rate"
    return f"{money_text(rate.amount, rate.currency)} per {text.credits_text(rate.credits).removesuffix('.00')} " \
           f"credits ({source})"


class CostTab(AnalyticsTab):
    feeds = frozenset({"usage", "conversations"})

    def __init__(self, colors: Colors, parent: QWidget | None = None):
        super().__init__(colors, parent)
        self.breakdown = BY_ACTIVITY
        self.banner, self.banner_text = self._banner()
        self.cards = KpiCards((*DEFINITIONS, VALUE), columns=5)
        self.chart = AnalyticsChart(colors)
        self.body.addWidget(self.banner)
        self.body.addWidget(self.cards)
        self.body.addWidget(self._chart_section(), 1)
        self.recolor(colors)

    def _banner(self) -> tuple[QFrame, QLabel]:
        banner = QFrame()
        banner.setObjectName("Banner")
        self.banner_icon = QLabel()
        message = plain_label("", "BannerText", wrap=True)
        row = QHBoxLayout(banner)
        row.setContentsMargins(12, 8, 12, 8)
        row.addWidget(self.banner_icon, 0, Qt.AlignTop)
        row.addWidget(message, 1)
        banner.setVisible(False)
        return banner, message

    def _chart_section(self):
        frame, layout = section()
        header = QHBoxLayout()
        header.addWidget(plain_label("Credits over time", "SectionTitle"))
        header.addStretch(1)
        self.breakdowns = QButtonGroup(self)
        for name in (BY_ACTIVITY, BY_MODEL):
            button = QPushButton(name)
            button.setCheckable(True)
            button.setChecked(name == self.breakdown)
            self.breakdowns.addButton(button)
            header.addWidget(button)
        self.breakdowns.buttonClicked.connect(self._breakdown_chosen)
        layout.addLayout(header)
        layout.addWidget(self.chart, 1)
        frame.setMinimumHeight(330)
        return frame

    def _breakdown_chosen(self, button: QPushButton) -> None:
        self.breakdown = button.text()
        if self.view is not None and self.view.cost is not None:
            self._show_chart(self.view)

    def recolor(self, colors: Colors) -> None:
        self.chart.set_colors(colors)
        self.banner_icon.setPixmap(icon("warning", colors.warning_fg).pixmap(20, 20))

    def fill(self, view: AnalyticsView, compare: bool) -> None:
        cost = view.cost
        self.banner.setVisible(cost.runaway is not None)
        self.banner_text.setText(runaway_text(cost.runaway, view.timezone) if cost.runaway else "")
        self.cards.show_kpis(cost.kpis, compare, self.colors)
        credits = cost.kpis[0].current
        self.cards.cards[VALUE].show_figure(money_text(cost.rate.value(credits), cost.rate.currency), rate_text(cost))
        self._show_chart(view)

    def current_chart(self, view: AnalyticsView) -> ChartData:
        cost = view.cost
        if self.breakdown == BY_MODEL:
            series = tuple(Series(name, values, number % len(TONES))
                           for number, (name, values) in enumerate(cost.by_model.items()))
        else:
            series = tuple(Series(LABELS[a], cost.by_activity[a], ACTIVITIES.index(a) if a != "other" else GREY)
                           for a in ACTIVITIES)
        return self.chart_data(series, value_text=text.credits_text, scale=SCALE, stacked=True, axis_label="credits")

    def _show_chart(self, view: AnalyticsView) -> None:
        cost = view.cost
        quiet = "" if any(cost.credits) else f"{elide(view.agent.name, 60)} used no credits in this range."
        self.chart.show_data(self.current_chart(view), quiet)
