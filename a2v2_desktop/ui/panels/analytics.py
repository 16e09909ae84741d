"""The Agent Analytics panel (Beta): an agent list, the range control, and the Overview,
Answer quality, Cost and Subscriptions tabs.

The panel only asks: every figure comes from `insights.analytics.build_analytics_view`
run on the task pool, one request per agent and range, and an answer to a request
the user has already left is dropped. Agent names and questions are untrusted:
plain-text labels and list items, escaped tooltips.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from a2v2_desktop.insights import ranges
from a2v2_desktop.insights.analytics import (
    GRANULARITIES,
    PRESETS,
    AnalyticsRequest,
    AnalyticsView,
    build_analytics_view,
)
from a2v2_desktop.insights.ranges import DateRange
from a2v2_desktop.ui.lazy import RefreshWhenShown
from a2v2_desktop.ui.panels.analytics_agents import AgentList
from a2v2_desktop.ui.panels.analytics_tabs.common import AnalyticsTab
from a2v2_desktop.ui.panels.analytics_tabs.cost import CostTab
from a2v2_desktop.ui.panels.analytics_tabs.overview import OverviewTab
from a2v2_desktop.ui.panels.analytics_tabs.quality import QualityTab
from a2v2_desktop.ui.panels.analytics_tabs.subscriptions import SubscriptionsTab
from a2v2_desktop.ui.services import Services
from a2v2_desktop.ui.theme import Colors, Theme
from a2v2_desktop.ui.widgets import elide, plain_label, plain_tooltip

SUBTITLE = "See how your agent is performing — and where to improve it."
GRANULARITY_NAMES = {ranges.DAY: "Daily", ranges.WEEK: "Weekly", ranges.MONTH: "Monthly"}


class AnalyticsPanel(QWidget):
    """Agent → Analytics. `builder` is what runs on the pool (tests pass a slow one)."""

    def __init__(self, services: Services, theme: Theme, parent: QWidget | None = None,
                 builder: Callable = build_analytics_view):
        super().__init__(parent)
        self.services, self.theme, self.builder = services, theme, builder
        self.view: AnalyticsView | None = None
        self.pending: AnalyticsRequest | None = None
        self.agent_id: str | None = None
        self.filled: set[AnalyticsTab] = set()  # tabs showing self.view
        self._build()
        self._connect()

    # -- building -----------------------------------------------------------------------------------

    def _build(self) -> None:
        colors = self.theme.colors
        self.agents = AgentList(colors)
        self.overview, self.quality = OverviewTab(colors), QualityTab(colors)
        self.cost, self.subscriptions = CostTab(colors), SubscriptionsTab(colors)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for tab, name in ((self.overview, "Overview"), (self.quality, "Answer quality"), (self.cost, "Cost"),
                          (self.subscriptions, "Subscriptions")):
            self.tabs.addTab(tab, name)
        self.agent_title = plain_label("", "SectionTitle")
        self.agent_title.setMaximumWidth(460)
        self.agent_title.setContentsMargins(0, 0, 4, 2)
        self.tabs.setCornerWidget(self.agent_title, Qt.TopRightCorner)
        main = QHBoxLayout()
        main.setSpacing(14)
        main.addWidget(self.agents)
        main.addWidget(self.tabs, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 10)
        layout.setSpacing(10)
        layout.addLayout(self._header())
        layout.addLayout(main, 1)

    def _header(self) -> QHBoxLayout:
        self.preset = QComboBox()
        self.preset.addItems(PRESETS)
        self.preset.setCurrentText(ranges.LAST_30_DAYS)
        self.first_date, self.last_date = QDateEdit(), QDateEdit()
        for edit in (self.first_date, self.last_date):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
            edit.setVisible(False)
        self.granularity = QComboBox()
        for granularity in GRANULARITIES:
            self.granularity.addItem(GRANULARITY_NAMES[granularity], granularity)
        self.granularity.setToolTip("Points per day, week or month in every chart")
        self.compare = QCheckBox("Compare to previous period")
        self.range_label = plain_label("", "Muted")
        self.range_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        title = QHBoxLayout()
        title.addWidget(plain_label("Analytics", "PanelTitle"))
        title.addWidget(plain_label("Beta", "Badge"), 0, Qt.AlignVCenter)
        title.addSpacing(8)
        subtitle = plain_label(SUBTITLE, "Muted")
        subtitle.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        title.addWidget(subtitle, 1, Qt.AlignBottom)
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addLayout(title)
        titles.addWidget(self.range_label)
        row = QHBoxLayout()
        row.addLayout(titles, 1)
        for widget in (self.preset, self.first_date, self.last_date, self.granularity, self.compare):
            row.addWidget(widget, 0, Qt.AlignBottom)
        return row

    def _connect(self) -> None:
        self.preset.currentTextChanged.connect(self._preset_changed)
        for edit in (self.first_date, self.last_date):
            edit.dateChanged.connect(self.refresh)
        self.granularity.currentIndexChanged.connect(self.refresh)
        self.compare.toggled.connect(self._show_tabs)
        self.tabs.currentChanged.connect(self._fill_current)
        self.agents.agentPicked.connect(self.pick_agent)
        self.theme.changed.connect(self._recolor)
        self.when_shown = RefreshWhenShown(self, self.refresh)
        self.services.cacheReplaced.connect(self._cache_replaced)
        self.services.settingsChanged.connect(self.when_shown.request)
        self.services.sync.succeeded.connect(self._synced)
        self.when_shown.request()  # the window builds this panel when first needed, the cache already open

    def all_tabs(self) -> tuple[AnalyticsTab, ...]:
        return self.overview, self.quality, self.cost, self.subscriptions

    # -- asking ---------------------------------------------------------------------------------------

    def request(self) -> AnalyticsRequest:
        """What the controls ask for right now."""
        settings = self.services.settings
        custom = None
        if self.preset.currentText() == ranges.CUSTOM:
            first, last = self.first_date.date().toPython(), self.last_date.date().toPython()
            custom = DateRange(min(first, last), max(first, last))
        return AnalyticsRequest(preset=self.preset.currentText(), now=int(self.services.clock()),
                                agent_id=self.agent_id, custom=custom, timezone=settings.report_timezone,
                                granularity=self.granularity.currentData(), week_start=settings.week_start)

    def refresh(self) -> None:
        """Ask again; an answer to an older question will be ignored."""
        asked = self.pending = self.request()
        self.services.query(self.builder, asked, on_done=self._show,
                            on_error=lambda error: self._failed(asked, error))

    def pick_agent(self, agent_id: str) -> None:
        if agent_id != self.agent_id:
            self.agent_id = agent_id
            self.refresh()

    def _preset_changed(self, preset: str) -> None:
        custom = preset == ranges.CUSTOM
        if custom and self.view is not None:
            for edit, day in ((self.first_date, self.view.span.first), (self.last_date, self.view.span.last)):
                edit.blockSignals(True)
                edit.setDate(QDate(day))
                edit.blockSignals(False)
        self.first_date.setVisible(custom)
        self.last_date.setVisible(custom)
        self.refresh()

    def _cache_replaced(self) -> None:
        """Another organization (or the demo): its agents are not this one's."""
        self.agent_id = None
        self.when_shown.request()

    def _synced(self, result) -> None:
        if self.view is None or result.changed_feeds:
            self.when_shown.request()

    # -- showing --------------------------------------------------------------------------------------

    def _failed(self, asked: AnalyticsRequest, error: Exception) -> None:
        if asked != self.pending:
            return
        self.view = None
        for tab in self.all_tabs():
            tab.show_message(f"The cached figures could not be read: {error}")

    def _show(self, view: AnalyticsView) -> None:
        if view.request != self.pending:
            return  # the user has moved on to another agent or range
        self.view = view
        self.agent_id = view.agent.id if view.agent else None
        self.agents.set_entries(view.agents, self.agent_id)
        self._show_labels(view)
        self._show_tabs()

    def _show_labels(self, view: AnalyticsView) -> None:
        parts = [view.span.label(), f"days in {view.timezone}"]
        if view.organization:
            parts.insert(0, elide(view.organization, 60))
        self.range_label.setText(" · ".join(parts))
        agent = view.agent
        status = "" if agent is None or agent.status == "active" else f" ({agent.status})"
        self.agent_title.setText(elide(agent.name, 50) + status if agent else "")
        self.agent_title.setToolTip(plain_tooltip(agent.name) if agent else "")

    def _show_tabs(self) -> None:
        """Fill the tab in sight now, the others when they are looked at (charts are costly to draw)."""
        self.filled = set()
        self._fill_current()

    def _fill_current(self) -> None:
        tab = self.tabs.currentWidget()
        if self.view is not None and tab not in self.filled:
            tab.show_view(self.view, self.compare.isChecked())
            self.filled.add(tab)

    def _recolor(self, colors: Colors) -> None:
        self.agents.set_colors(colors)
        for tab in self.all_tabs():
            tab.set_colors(colors)
        self._show_tabs()
