"""Subscriptions (paid agents): revenue per currency, subscribers, churn, MRR, revenue beside
cost, and the transactions. An agent that never sold access gets a clear explanation instead."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from a2v2_desktop.domain.times import zone
from a2v2_desktop.insights import text
from a2v2_desktop.insights.analytics import AnalyticsView
from a2v2_desktop.insights.money import minor_digits, money_text, monies_text
from a2v2_desktop.insights.paid_access import (
    DEFINITIONS,
    SUCCEEDED,
    TRANSACTION_COLUMNS,
    PaidAccess,
    transaction_cells,
)
from a2v2_desktop.ui.charts.analytics_chart import BLUE, GREEN, LINE, ORANGE, RED, AnalyticsChart, Series
from a2v2_desktop.ui.panels.analytics_tabs.common import AnalyticsTab, KpiCards, titled_section
from a2v2_desktop.ui.theme import Colors
from a2v2_desktop.ui.widgets import elide, plain_label, section

GROSS, NET, MRR = "Gross revenue", "Net revenue", "MRR"
MONEY_DEFINITIONS = {
    GROSS: "Succeeded charges in the range.",
    NET: "Gross revenue minus refunds and the platform's fees.",
    MRR: "Monthly recurring revenue of the subscriptions paying at the end of the range (a yearly price / 12).",
}
NO_PAID_ACCESS = ("Visitors pay for access to an agent once “Pay for Access” is set up under Agent UI → Customize → "
                  "Visibility, with help from the A2V2 team. Its revenue, subscribers and transactions then show here.")


def money_changes(now: dict[str, int], before: dict[str, int]) -> str:
    """"USD +12.5%" per currency, for a card's note."""
    return " · ".join(f"{code.upper()} {text.change_text(now.get(code, 0), before.get(code, 0))}"
                      for code in sorted(set(now) | set(before)))


class SubscriptionsTab(AnalyticsTab):
    feeds = frozenset({"subscriptions", "transactions"})

    def __init__(self, colors: Colors, parent: QWidget | None = None):
        super().__init__(colors, parent)
        self.offer = plain_label("", "Muted", wrap=True)
        self.currency = QComboBox()
        self.currency.currentIndexChanged.connect(self._currency_chosen)
        self.cards = KpiCards((GROSS, NET, MRR, *DEFINITIONS))
        self.revenue_chart, self.subscribers_chart = AnalyticsChart(colors), AnalyticsChart(colors)
        self.versus_chart = AnalyticsChart(colors)
        self.versus_text = plain_label("", "Muted", wrap=True)
        self.transactions = self._make_table()
        top = QHBoxLayout()
        top.addWidget(self.offer, 1)
        top.addWidget(self.currency)
        self.body.addLayout(top)
        self.body.addWidget(self.cards)
        row = QHBoxLayout()
        row.setSpacing(10)
        row.addWidget(titled_section("Revenue", self.revenue_chart, stretch=1))
        row.addWidget(titled_section("Subscribers", self.subscribers_chart, stretch=1))
        self.body.addLayout(row, 1)
        self.body.addWidget(titled_section("Revenue vs cost", self.versus_text, self.versus_chart, stretch=1), 1)
        frame, layout = section()
        layout.addWidget(plain_label("Transactions", "SectionTitle"))
        layout.addWidget(self.transactions)
        frame.setMinimumHeight(240)
        self.body.addWidget(frame, 1)

    def _make_table(self) -> QTableWidget:
        table = QTableWidget(0, len(TRANSACTION_COLUMNS))
        table.setHorizontalHeaderLabels(TRANSACTION_COLUMNS)
        table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectRows)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(24)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        for column in (0, 2, 3, 4, 5, 6):
            table.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeToContents)
        return table

    def recolor(self, colors: Colors) -> None:
        for chart in (self.revenue_chart, self.subscribers_chart, self.versus_chart):
            chart.set_colors(colors)

    def fill(self, view: AnalyticsView, compare: bool) -> None:
        paid = view.paid
        if not paid.shown:
            return self.show_message(NO_PAID_ACCESS, f"{elide(view.agent.name, 60)} does not sell access")
        self.offer.setText(f"Pay for Access · {paid.offer}" if paid.enabled and paid.offer else
                           "Paid access is off for this agent now; showing the history synced before.")
        self._fill_currencies(paid)
        self._show_cards(paid, compare)
        self._show_charts(view)
        self._show_transactions(view)

    def _fill_currencies(self, paid: PaidAccess) -> None:
        """Charts show one currency at a time; the choice appears only when there are several."""
        codes = [r.currency for r in paid.revenue] or [paid.rate.currency]
        current = self.currency.currentData()
        self.currency.blockSignals(True)
        self.currency.clear()
        for code in codes:
            self.currency.addItem(code.upper(), code)
        self.currency.setCurrentIndex(max(0, self.currency.findData(current)))
        self.currency.blockSignals(False)
        self.currency.setVisible(len(codes) > 1)

    def _currency_chosen(self) -> None:
        if self.view is not None and self.view.paid is not None and self.view.paid.shown:
            self._show_charts(self.view)

    def _show_cards(self, paid: PaidAccess, compare: bool) -> None:
        self.cards.show_kpis(paid.kpis, compare, self.colors)
        gross = {r.currency: r.total("gross") for r in paid.revenue}
        net = {r.currency: r.total("net") for r in paid.revenue}
        previous = {r.currency: r.previous_net for r in paid.revenue}
        figures = {GROSS: (monies_text(gross), ""), NET: (monies_text(net), money_changes(net, previous)),
                   MRR: (monies_text(paid.mrr), money_changes(paid.mrr, paid.previous_mrr))}
        for title, (value, change) in figures.items():
            card = self.cards.cards[title]
            card.setToolTip(MONEY_DEFINITIONS[title])
            card.show_figure(value, f"{change} vs previous period" if compare and change else "")

    def _show_charts(self, view: AnalyticsView) -> None:
        paid, code = view.paid, self.currency.currentData()
        revenue = next((r for r in paid.revenue if r.currency == code), None)
        zeros = (0,) * len(view.buckets)
        money = dict(value_text=lambda value: money_text(value, code), scale=10 ** minor_digits(code),
                     axis_label=code.upper())
        self.revenue_chart.show_data(self.chart_data((
            Series(GROSS, revenue.gross if revenue else zeros, BLUE),
            Series(NET, revenue.net if revenue else zeros, GREEN)), **money))
        self.subscribers_chart.show_data(self.chart_data((
            Series("New", paid.new, BLUE), Series("Canceled", paid.canceled, RED),
            Series("Active subscribers", paid.subscribers, GREEN, LINE)), axis_label="subscribers"))
        self._show_versus(view)

    def _show_versus(self, view: AnalyticsView) -> None:
        """Net revenue beside the agent's credits at the top-up rate, in the rate's currency only."""
        paid = view.paid
        rate = paid.rate
        net = paid.net_in(rate.currency) or (0,) * len(view.buckets)
        cost = sum(paid.cost)
        others = [r.currency.upper() for r in paid.revenue if r.currency != rate.currency]
        summary = " · ".join((f"Net revenue {money_text(sum(net), rate.currency)}",
                              f"credits at the top-up rate {money_text(cost, rate.currency)}",
                              f"revenue minus cost {money_text(sum(net) - cost, rate.currency)}"))
        if others:
            summary += f". Revenue in {', '.join(others)} is not compared: it is another currency."
        self.versus_text.setText(summary)
        self.versus_chart.show_data(self.chart_data((
            Series(NET, net, GREEN), Series("Cost at top-up rate", paid.cost, ORANGE)),
            value_text=lambda value: money_text(value, rate.currency), scale=10 ** minor_digits(rate.currency),
            axis_label=rate.currency.upper()))

    def _show_transactions(self, view: AnalyticsView) -> None:
        tz = zone(view.timezone)
        rows = view.paid.transactions
        self.transactions.setRowCount(len(rows))
        for number, transaction in enumerate(rows):
            for column, content in enumerate(transaction_cells(transaction, tz)):
                item = QTableWidgetItem(content)
                if column >= 4:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if transaction.status != SUCCEEDED:
                    item.setForeground(self.palette().placeholderText())
                self.transactions.setItem(number, column, item)
