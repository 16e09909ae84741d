"""The Usage panel: range and agent filters, summary cards, the Credit usage chart, the
per-agent and per-member tables, and a warning for runaway agents.

The panel only asks: every figure comes from `insights.usage` run on the task pool,
and a result for a request the user already left is dropped.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from a2v2_desktop.cache.usage_queries import UsageMemory
from a2v2_desktop.domain.times import local_date, zone
from a2v2_desktop.insights import ranges, text
from a2v2_desktop.insights.ranges import DateRange
from a2v2_desktop.insights.runaway import RunawayAgent
from a2v2_desktop.insights.usage import (CREDITS, MESSAGES, UsageRequest, UsageView, build_usage_view, chart_only,
                                         sync_touches)
from a2v2_desktop.ui.charts.deferred import DeferredChart
from a2v2_desktop.ui.icons import icon
from a2v2_desktop.ui.panels.breakdown import BreakdownTable
from a2v2_desktop.ui.services import Services
from a2v2_desktop.ui.theme import Theme
from a2v2_desktop.ui.widgets import Card, elide, plain_label, section

ALL_AGENTS = "All Agents"
POOL_NAMES = {"plan": "Message Credits", "topup": "Top-up Credits"}
CARD_TITLES = ("Credits used", "Credits used this period", "Average per day", "Message Credits used",
               "Chatbots used", "Team members used")
log = logging.getLogger(__name__)


class UsagePanel(QWidget):
    def __init__(self, services: Services, theme: Theme, parent: QWidget | None = None):
        super().__init__(parent)
        self.services, self.theme = services, theme
        self.view: UsageView | None = None
        self.pending: UsageRequest | None = None
        self.pending_chart: UsageRequest | None = None
        self.chart_agent: str | None = None
        self.runaways: tuple[int, tuple[RunawayAgent, ...]] | None = None  # (hour, scan) until a sync or new hour
        self.memory = UsageMemory()  # what refreshes read, until a sync or another cache
        self.view_choices: tuple = ()  # the agents the filter lists
        self._build()
        self._connect()

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.preset = QComboBox()
        self.preset.addItems(ranges.PRESETS)
        self.preset.setCurrentText(ranges.LAST_30_DAYS)
        self.first_date, self.last_date = QDateEdit(), QDateEdit()
        for edit in (self.first_date, self.last_date):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
            edit.setVisible(False)
        self.compare = QCheckBox("Compare to previous period")
        self.agent = QComboBox()
        self.agent.addItem(ALL_AGENTS, None)
        self.agent.setMinimumContentsLength(16)
        self.agent.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.range_label = plain_label("", "Muted")
        self.range_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.banner, self.banner_text = self._make_banner()
        self.cards = {title: Card(title) for title in CARD_TITLES}
        self.chart = DeferredChart(self._usage_chart)
        self.agents_table = BreakdownTable("Pick an agent to show only its spend in the chart.", "deleted")
        self.members_table = BreakdownTable("Visitors' traffic is the spend no team member caused.", "removed")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(12)
        layout.addLayout(self._header())
        layout.addWidget(self.banner)
        layout.addLayout(self._card_grid())
        layout.addWidget(self._chart_section(), 5)
        layout.addWidget(self._tables(), 4)

    def _header(self) -> QHBoxLayout:
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(plain_label("Usage", "PanelTitle"))
        titles.addWidget(self.range_label)
        row = QHBoxLayout()
        row.addLayout(titles, 1)
        for widget in (self.preset, self.first_date, self.last_date, self.agent, self.compare):
            row.addWidget(widget, 0, Qt.AlignBottom)
        return row

    def _make_banner(self) -> tuple[QFrame, QLabel]:
        banner = QFrame()
        banner.setObjectName("Banner")
        warning = QLabel()
        warning.setPixmap(icon("warning", self.theme.colors.warning_fg).pixmap(20, 20))
        message = plain_label("", "BannerText", wrap=True)
        row = QHBoxLayout(banner)
        row.setContentsMargins(12, 8, 12, 8)
        row.addWidget(warning, 0, Qt.AlignTop)
        row.addWidget(message, 1)
        banner.setVisible(False)
        return banner, message

    def _card_grid(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setSpacing(8)
        for position, card in enumerate(self.cards.values()):
            grid.addWidget(card, 0, position)
            grid.setColumnStretch(position, 1)
        return grid

    def _usage_chart(self) -> QWidget:
        from a2v2_desktop.ui.charts.usage_chart import UsageChart

        return UsageChart(self.theme.colors)

    def _chart_section(self) -> QFrame:
        frame, layout = section()
        self.chart_title = plain_label("Credit usage", "SectionTitle")
        self.show_all = QPushButton("Show all agents")
        self.show_all.setVisible(False)
        self.show_all.clicked.connect(self.agents_table.view.clearSelection)
        self.measure_group = QButtonGroup(self)
        header = QHBoxLayout()
        header.addWidget(self.chart_title)
        header.addWidget(self.show_all)
        header.addStretch(1)
        for number, (label, measure) in enumerate((("Credits", CREDITS), ("Messages", MESSAGES))):
            button = QPushButton(label)
            button.setCheckable(True)
            button.setChecked(measure == CREDITS)
            button.setProperty("measure", measure)
            self.measure_group.addButton(button, number)
            header.addWidget(button)
        self.granularity = QComboBox()
        for name in ranges.GRANULARITIES:
            self.granularity.addItem(name.capitalize(), name)
        self.granularity.setToolTip("Bars per day, week or month (Auto picks one for the range)")
        header.addWidget(self.granularity)
        layout.addLayout(header)
        layout.addWidget(self.chart, 1)
        frame.setMinimumHeight(220)
        return frame

    def _tables(self) -> QFrame:
        """Agents and members in tabs, each at full width so long names stay readable."""
        frame, layout = section()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.agents_table, "By agent")
        self.tabs.addTab(self.members_table, "By team member")
        layout.addWidget(self.tabs)
        frame.setMinimumHeight(190)
        self.agents_table.model.warning_icon = icon("warning", self.theme.colors.danger, 16)
        return frame

    def _connect(self) -> None:
        self.preset.currentTextChanged.connect(self._preset_changed)
        for edit in (self.first_date, self.last_date):
            edit.dateChanged.connect(self.refresh)
        self.agent.currentIndexChanged.connect(self.refresh)
        self.compare.toggled.connect(self.chart.set_compare)
        self.measure_group.idClicked.connect(
            lambda number: self.chart.set_measure(self.measure_group.button(number).property("measure")))
        self.granularity.currentIndexChanged.connect(self.refresh)
        self.agents_table.keyPicked.connect(self._pick_chart_agent)
        self.theme.changed.connect(self.chart.set_colors)
        self.services.cacheReplaced.connect(self._rescan)
        self.services.settingsChanged.connect(lambda _settings: self.refresh())
        self.services.sync.succeeded.connect(self._synced)
        for unfinished in (self.services.sync.failed, self.services.sync.cancelled):
            unfinished.connect(self._forget_reads)  # what it committed before stopping may have changed usage

    # -- asking -------------------------------------------------------------------------------

    def request(self) -> UsageRequest:
        """What the controls ask for right now."""
        settings = self.services.settings
        custom = None
        if self.preset.currentText() == ranges.CUSTOM:
            first, last = self.first_date.date().toPython(), self.last_date.date().toPython()
            custom = DateRange(min(first, last), max(first, last))
        return UsageRequest(
            preset=self.preset.currentText(), now=int(self.services.clock()), custom=custom,
            timezone=settings.report_timezone, agent_id=self.agent.currentData(),
            chart_agent_id=self.chart_agent, granularity=self.granularity.currentData(),
            week_start=settings.week_start, known_runaways=self._known_runaways(), memory=self.memory,
        )

    def _known_runaways(self) -> tuple[RunawayAgent, ...] | None:
        """The last runaway scan while it still holds: the same hour, no sync since."""
        hour = int(self.services.clock()) // 3600
        return self.runaways[1] if self.runaways is not None and self.runaways[0] == hour else None

    def refresh(self) -> None:
        """Ask for everything again; an answer to an older question will be ignored."""
        self.chart_agent = None
        self.agents_table.clear_pick()
        self.pending = self.request()
        self.pending_chart = None
        self.services.query(build_usage_view, self.pending, on_done=self._show, on_error=self._failed)

    def _refresh_chart(self) -> None:
        """Only the chart changes (an agent row was picked): ask for just that."""
        if self.view is None or self.view.span is None:
            return
        asked = self.pending_chart = self.request()
        self.services.query(chart_only, asked, on_done=lambda series: self._chart_answered(asked, series),
                            on_error=self._failed)

    def _chart_answered(self, asked: UsageRequest, series) -> None:
        if asked == self.pending_chart:
            self._show_chart(series)

    def _preset_changed(self, preset: str) -> None:
        custom = preset == ranges.CUSTOM
        if custom and self.view is not None and self.view.span is not None:
            for edit, day in ((self.first_date, self.view.span.first), (self.last_date, self.view.span.last)):
                edit.blockSignals(True)
                edit.setDate(QDate(day))
                edit.blockSignals(False)
        self.first_date.setVisible(custom)
        self.last_date.setVisible(custom)
        self.refresh()

    def _pick_chart_agent(self, key: str | None) -> None:
        self.chart_agent = key
        self._refresh_chart()

    def _synced(self, result) -> None:
        self._forget_reads()  # usage outside the range shown, agents, members and billing may have changed
        if sync_touches(self.view, result.changed_feeds, result.usage_hours):
            self._rescan()

    def _rescan(self) -> None:
        """Refresh with a new runaway scan and nothing remembered: the data changed."""
        self.runaways = None
        self._forget_reads()
        self.refresh()

    def _forget_reads(self, *_outcome) -> None:
        self.memory = UsageMemory()

    def _warm(self) -> None:
        """Read into memory, on the pool, what the last refresh had to ask the rollups: the next one is quick."""
        if self.memory.wanted:
            self.services.query(self.memory.warm, on_done=lambda _none: None,
                                on_error=lambda error: log.warning("usage sums not kept in memory: %s", error))

    # -- showing ------------------------------------------------------------------------------

    def _failed(self, error: Exception) -> None:
        self.chart.show_series(None, f"The cached figures could not be read: {error}")

    def _show(self, view: UsageView) -> None:
        if view.request != self.pending:
            return  # the user has moved on
        self.view = view
        self.runaways = (view.request.now // 3600, view.runaways)
        self.chart_agent = self.pending_chart = None  # the tables are refilled: no row is picked
        self._fill_agents(view)
        self._show_range(view)
        self._show_runaways(view.runaways, view.timezone)
        self._show_cards(view)
        self.agents_table.set_rows(view.agents, view.cards.credits if view.cards else 0)
        self.members_table.set_rows(view.members, view.cards.credits if view.cards else 0)
        self._show_chart(view.chart)
        QTimer.singleShot(0, self, self._warm)  # queued after the paint this view asked for: never delays it

    def _show_chart(self, series) -> None:
        names = {choice.id: choice.name for choice in self.view.agent_choices} if self.view else {}
        picked = series.agent_id if series is not None else None
        self.chart_title.setText(f"Credit usage — {elide(names.get(picked, picked), 60)}" if picked else "Credit usage")
        self.show_all.setVisible(picked is not None)
        self.chart.show_series(series, self._empty_message(series))

    def _empty_message(self, series) -> str:
        view = self.view
        if view is None or not view.has_usage:
            return "No usage synced yet. Sync (Ctrl+R) to see where your credits go."
        if view.span is None:
            return "No billing period synced yet: sync, or pick another range."
        if series is not None and not any(series.totals()) and not any(series.messages):
            agent = series.agent_id or view.request.agent_id
            if agent:
                name = {c.id: c.name for c in view.agent_choices}.get(agent, agent)
                return f"{elide(name, 60)} used no credits in this range."
            return "No credits were spent in this range."
        return ""

    def _fill_agents(self, view: UsageView) -> None:
        """Keep the agent filter's list in step with the cache, without re-asking (or refilling it unchanged)."""
        if self.view_choices == view.agent_choices:
            return
        self.view_choices = view.agent_choices
        current = self.agent.currentData()
        self.agent.blockSignals(True)
        self.agent.clear()
        self.agent.addItem(ALL_AGENTS, None)
        for choice in view.agent_choices:
            label = elide(choice.name, 40) + (" (deleted)" if choice.deleted else "")
            self.agent.addItem(label, choice.id)
        self.agent.setCurrentIndex(max(0, self.agent.findData(current)))
        self.agent.blockSignals(False)

    def _show_range(self, view: UsageView) -> None:
        parts = [view.span.label()] if view.span else []
        parts.append(f"days in {view.timezone}")
        if view.organization:
            parts.insert(0, elide(view.organization, 60))
        self.range_label.setText(" · ".join(parts))

    def _show_runaways(self, runaways: tuple[RunawayAgent, ...], tz_name: str) -> None:
        self.banner.setVisible(bool(runaways))
        self.banner_text.setText("\n".join(runaway_text(r, tz_name) for r in runaways))

    def _show_cards(self, view: UsageView) -> None:
        cards = view.cards
        if cards is None:
            for card in self.cards.values():
                card.show_figure("—")
            return
        figures = card_figures(cards, view)
        for title, (value, note) in figures.items():
            self.cards[title].show_figure(value, note)


def runaway_text(runaway: RunawayAgent, tz_name: str) -> str:
    """The banner line: which agent, how much, when, and how far above its own normal."""
    moment = datetime.fromtimestamp(runaway.window_end, zone(tz_name))
    normal = (f"{round(runaway.ratio):,}× its normal {text.credits_text(runaway.normal)} a day" if runaway.ratio
              else "where it normally spends nothing")
    return (f"Runaway agent: {elide(runaway.name, 80)} spent {text.credits_text(runaway.spent)} credits in the "
            f"24 hours up to {moment.day} {moment:%b, %H:%M}, {normal}.")


def card_figures(cards, view: UsageView) -> dict[str, tuple[str, str]]:
    """Each card's value and note, as text."""
    pools = dict(cards.pools)
    plan = pools.pop("plan", 0)
    others = " · ".join(f"{POOL_NAMES.get(name, name)} used: {text.credits_text(value)}"
                        for name, value in pools.items())
    period_start = local_date(view.period.start, zone(view.timezone)) if view.period else None
    days = f"{cards.elapsed_days} day{'s' if cards.elapsed_days != 1 else ''}"
    return {
        "Credits used": (text.credits_text(cards.credits),
                         f"{text.change_text(cards.credits, cards.previous_credits)} vs previous {days}"),
        "Credits used this period": (
            text.credits_text(cards.period_credits) if cards.period_credits is not None else "—",
            f"since {_short(period_start)}" if period_start else "no billing synced"),
        "Average per day": (text.credits_text(cards.average_per_day), f"over {days}; {cards.messages:,} messages"),
        "Message Credits used": (text.credits_text(plan), others or "Top-up Credits used: 0.00"),
        "Chatbots used": _seats(cards.seats.agents_in_use, cards.agent_limit),
        "Team members used": _seats(cards.seats.members_active, cards.member_limit),
    }


def _short(day: date) -> str:
    return f"{day.day} {day:%b}"


def _seats(used: int, limit: int | None) -> tuple[str, str]:
    if limit is None:
        return f"{used:,}", "no limit on the plan"
    return f"{used:,} / {limit:,}", f"{max(0, limit - used):,} free" if used <= limit else "over the plan's limit"
