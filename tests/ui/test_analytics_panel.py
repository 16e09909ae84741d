"""The Analytics panel shows the figures computed from the feeds, follows the agent and the
range on every tab, drops answers the user no longer waits for, and keeps untrusted text plain."""

from __future__ import annotations

import shutil
import threading
from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import delete

from a2v2_desktop.cache.models import FeedCursor
from a2v2_desktop.insights import ranges
from a2v2_desktop.insights.analytics import build_analytics_view
from a2v2_desktop.insights.analytics_base import kpi_text
from a2v2_desktop.insights.answer_quality import questions_csv
from a2v2_desktop.settings import save_settings
from a2v2_desktop.standin.generator import DemoOrg
from a2v2_desktop.standin.server import StandinServer
from a2v2_desktop.ui.panels.analytics import AnalyticsPanel
from a2v2_desktop.ui.panels.analytics_agents import ID_ROLE
from a2v2_desktop.ui.panels.analytics_tabs.common import COMING_SOON
from a2v2_desktop.ui.panels.analytics_tabs.quality import ASKED, QUESTION
from a2v2_desktop.ui.services import CredentialStore, Services
from a2v2_desktop.ui.theme import Theme
from tests.test_analytics import day_bounds, expected_overview, last_days, org_zone
from tests.test_sync_e2e import SMALL, sync_in_process
from tests.ui.conftest import NoKeychain


@pytest.fixture(scope="module")
def small_org(now):
    return DemoOrg(SMALL, now=now)


@pytest.fixture(scope="module")
def small_template(tmp_path_factory, small_org):
    """The seed-11 organization synced once over HTTP; each test gets a copy."""
    path = tmp_path_factory.mktemp("analytics-ui") / "cache.sqlite"
    server = StandinServer(small_org, port=0).start()
    try:
        sync_in_process(server, path)
    finally:
        server.stop()
    return path


@pytest.fixture
def open_panel(account_settings, settle, small_template, tmp_path, qtbot, now):
    """`open_panel(builder=..., prepare=..., empty=False)`: the panel alone over a copy of the small
    organization (or an empty cache), with the services and theme app.py would give it."""
    opened = []

    def start(prepare=None, empty=False, **panel_options):
        cache = tmp_path / "account.sqlite"
        if not empty:
            shutil.copy(small_template, cache)
        save_settings(account_settings(), tmp_path / "settings.json")
        services = Services(settings_path=tmp_path / "settings.json", account_cache=str(cache),
                            demo_cache=str(tmp_path / "demo.sqlite"), credentials=CredentialStore(NoKeychain()),
                            demo_factory=None, clock=now.timestamp)
        services.activate()
        opened.append(services)
        if prepare is not None:
            with services.engine.begin() as connection:
                prepare(connection)
        theme = Theme(QApplication.instance())
        theme.apply(False)
        panel = AnalyticsPanel(services, theme, **panel_options)
        theme.setParent(panel)
        qtbot.addWidget(panel)
        panel.resize(1100, 720)
        panel.show()
        panel.refresh()
        settle(services)
        return panel

    yield start
    for services in opened:
        services.shutdown()
        services.deleteLater()  # destroyed by Qt after the test (conftest), not by a later collection


@pytest.fixture
def panel(open_panel):
    return open_panel()


def pick(panel, settle, agent_id):
    panel.agents.select(agent_id)
    settle(panel.services)
    assert panel.view.agent.id == agent_id and panel.view.request == panel.pending


def fresh_view(panel):
    """The view for the panel's current request, computed again on a connection of our own."""
    with panel.services.engine.connect() as connection:
        return build_analytics_view(connection, panel.pending)


def card_values(cards) -> dict[str, str]:
    return {title: card.value.text() for title, card in cards.cards.items()}


def visit_tabs(panel) -> None:
    """Look at every tab: the panel fills a tab when it comes into sight."""
    for index in range(panel.tabs.count()):
        panel.tabs.setCurrentIndex(index)
    panel.tabs.setCurrentIndex(0)


def shown(panel) -> tuple:
    """What every tab shows: card values, chart data and tables."""
    visit_tabs(panel)
    return (card_values(panel.overview.cards), card_values(panel.quality.cards), card_values(panel.cost.cards),
            panel.overview.chart.drawn(), panel.cost.chart.drawn(), panel.quality.model.groups,
            panel.subscriptions.currentIndex())


def assert_overview_matches_feeds(panel, org, agent_id, days):
    bounds = day_bounds(*last_days(org, days), org_zone(org))
    expected = expected_overview(org, agent_id, *bounds)
    kpis = {k.title: k for k in panel.view.overview.kpis}
    assert {t: k.current for t, k in kpis.items()} == expected
    assert card_values(panel.overview.cards) == {t: kpi_text(k) for t, k in kpis.items()}


def assert_every_tab_shows(panel, view):
    visit_tabs(panel)
    tabs = [(panel.overview, view.overview.kpis), (panel.quality, view.quality.kpis), (panel.cost, view.cost.kpis)]
    if view.paid.shown:
        tabs.append((panel.subscriptions, view.paid.kpis))
    assert panel.subscriptions.currentIndex() == (0 if view.paid.shown else 1)
    for tab, kpis in tabs:
        values = card_values(tab.cards)
        assert {k.title: values[k.title] for k in kpis} == {k.title: kpi_text(k) for k in kpis}
    assert panel.overview.chart.drawn()["New conversations"] == list(view.overview.new)
    assert panel.quality.model.groups == list(view.quality.questions)
    assert sum(sum(v) for v in panel.cost.chart.drawn().values()) == view.cost.kpis[0].current


def test_tabs_show_the_figures_of_the_feeds(panel, small_org, settle):
    org = small_org
    pick(panel, settle, org.runaway_agent_id)
    panel.preset.setCurrentText(ranges.LAST_7_DAYS)
    settle(panel.services)
    assert_overview_matches_feeds(panel, org, org.runaway_agent_id, 7)
    assert_every_tab_shows(panel, fresh_view(panel))
    assert panel.overview.heatmap.grid == panel.view.overview.busiest
    assert panel.cost.banner.isVisibleTo(panel.cost) and panel.cost.banner_text.text().startswith("Runaway agent: ")
    assert panel.subscriptions.currentIndex() == 1  # no paid access: the explanation, not empty charts
    assert panel.subscriptions.message_title.text().endswith("does not sell access")


def test_switching_agent_updates_every_tab(panel, small_org, settle):
    org = small_org
    paid = next(a["id"] for a in org.agents if a["paid_access"]["enabled"])
    pick(panel, settle, org.runaway_agent_id)
    before = shown(panel)
    pick(panel, settle, paid)
    after = shown(panel)
    assert all(a != b for a, b in zip(before, after))
    assert_overview_matches_feeds(panel, org, paid, 30)
    assert_every_tab_shows(panel, fresh_view(panel))
    assert panel.subscriptions.currentIndex() == 0
    assert panel.subscriptions.transactions.rowCount() == len(panel.view.paid.transactions) > 0
    assert panel.agent_title.text() == next(a["name"] for a in org.agents if a["id"] == paid)


def test_switching_range_updates_every_tab(panel, small_org, settle):
    org = small_org
    pick(panel, settle, org.runaway_agent_id)
    panel.preset.setCurrentText(ranges.LAST_7_DAYS)
    settle(panel.services)
    seven = shown(panel)
    label = panel.range_label.text()
    panel.preset.setCurrentText(ranges.LAST_90_DAYS)
    settle(panel.services)
    assert panel.view.span.days == 90 and panel.range_label.text() != label
    assert all(a != b for a, b in zip(seven[:6], shown(panel)[:6]))
    assert_every_tab_shows(panel, fresh_view(panel))
    panel.granularity.setCurrentIndex(panel.granularity.findData(ranges.WEEK))
    settle(panel.services)
    assert len(panel.overview.chart.data.buckets) < 90 and panel.view.granularity == ranges.WEEK


def test_custom_range(panel, settle, now):
    panel.preset.setCurrentText(ranges.CUSTOM)
    settle(panel.services)
    assert panel.first_date.isVisible()
    panel.first_date.setDate(datetime(2026, 11, 20).date())
    panel.last_date.setDate(datetime(2026, 11, 22).date())
    settle(panel.services)
    assert panel.view.span == ranges.DateRange(datetime(2026, 11, 20).date(), datetime(2026, 11, 22).date())
    assert len(panel.overview.chart.data.buckets) == 3


def test_a_slow_stale_result_is_dropped(open_panel, small_org, settle, qtbot):
    """The answer for an agent the user already left arrives last and must not be shown."""
    org = small_org
    slow, fast = org.runaway_agent_id, next(a["id"] for a in org.agents if a["paid_access"]["enabled"])
    release, started = threading.Event(), threading.Event()

    def builder(connection, request):
        if request.agent_id == slow:
            started.set()
            release.wait(10)
        return build_analytics_view(connection, request)

    panel = open_panel(builder=builder)
    panel.agents.select(slow)
    qtbot.waitUntil(started.is_set)
    panel.agents.select(fast)
    qtbot.waitUntil(lambda: panel.view.agent.id == fast)
    release.set()
    settle(panel.services)
    assert panel.view.agent.id == fast and panel.view.request == panel.pending
    assert_every_tab_shows(panel, fresh_view(panel))
    selected = panel.agents.list.currentItem()
    assert selected.data(ID_ROLE) == fast


def test_agent_list_groups_search_and_figures(panel, small_org):
    org = small_org
    headers = [item.text() for item in panel.agents.items() if item.data(ID_ROLE) is None]
    assert headers == ["Active", "Archived"]
    assert panel.agents.agent_ids() == [e.id for e in panel.view.agents]
    first = panel.agents.items()[1]
    entry = panel.view.agents[0]
    assert first.text().splitlines()[1] == f"{entry.credits / 10000:,.2f} credits · {entry.conversations:,} " \
                                            f"conversation{'s' if entry.conversations != 1 else ''}"
    panel.agents.search.setText("coach")
    assert [org_name(org, a) for a in panel.agents.agent_ids(visible_only=True)] == ["Onboarding Coach"]
    hidden = {item.text() for item in panel.agents.items() if item.isHidden() and item.data(ID_ROLE) is None}
    assert hidden == {"Archived"}
    panel.agents.search.setText("<b>")
    assert [org_name(org, a) for a in panel.agents.agent_ids(visible_only=True)] == \
        ["<b>Sales</b> & <script>alert(1)</script>"]


def org_name(org, agent_id):
    return next(a["name"] for a in org.agents if a["id"] == agent_id)


def test_untrusted_text_stays_plain(panel, small_org, settle):
    org = small_org
    hostile = next(a for a in org.agents if a["name"].startswith("<b>"))
    pick(panel, settle, hostile["id"])
    assert panel.agent_title.textFormat() == Qt.PlainText and panel.agent_title.text() == hostile["name"]
    assert "&lt;script&gt;" in panel.agent_title.toolTip()
    item = panel.agents.list.currentItem()
    assert item.text().startswith("<b>Sales</b>") and "&lt;b&gt;" in item.toolTip()
    panel.preset.setCurrentText(ranges.LAST_30_DAYS)
    settle(panel.services)
    labels = [panel.range_label, panel.agent_title, panel.subscriptions.offer, panel.subscriptions.versus_text,
              panel.cost.banner_text, panel.overview.heatmap_note, panel.subscriptions.message_title]
    for tab in panel.all_tabs():
        labels += [tab.message, tab.message_title]
        labels += [label for card in tab.cards.cards.values() for label in (card.title, card.value, card.note)]
    assert all(label.textFormat() == Qt.PlainText for label in labels)


def test_questions_are_sortable_searchable_and_exported_safely(panel, small_org, settle, tmp_path):
    org = small_org
    hostile = next(q for q in small_org.feeds["unanswered_questions"] if q["question"].startswith("<img"))
    pick(panel, settle, hostile["agent_id"])
    panel.tabs.setCurrentWidget(panel.quality)
    quality = panel.quality
    model, proxy = quality.model, quality.proxy
    row = next(r for r, g in enumerate(model.groups) if g.text == hostile["question"])
    cell = model.index(row, QUESTION)
    assert "\n" not in cell.data() and cell.data().startswith("<img src=x")
    assert "&lt;img" in cell.data(Qt.ToolTipRole) and "<img" not in cell.data(Qt.ToolTipRole)
    quality.table.selectRow(proxy.mapFromSource(cell).row())
    assert quality.detail.toPlainText().startswith(hostile["question"].replace("\r\n", "\n"))
    assert "Asked once" in quality.detail.toPlainText()
    quality.table.sortByColumn(ASKED, Qt.AscendingOrder)
    counts = [proxy.index(r, ASKED).data(Qt.UserRole) for r in range(proxy.rowCount())]
    assert counts == sorted(counts)
    quality.search.setText("REFUND")
    assert proxy.rowCount() >= 1 and all("refund" in g.key for g in quality.visible_groups())
    target = tmp_path / "questions.csv"
    quality.export_csv(target)
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig") == questions_csv(quality.visible_groups(), org_zone(org))


def test_a_feed_the_platform_never_served_says_coming_soon(open_panel):
    def forget_paid_feeds(connection):
        connection.execute(delete(FeedCursor).where(FeedCursor.feed.in_(("subscriptions", "transactions"))))

    panel = open_panel(prepare=forget_paid_feeds)
    visit_tabs(panel)
    assert panel.subscriptions.currentIndex() == 1 and panel.subscriptions.message.text() == COMING_SOON
    assert panel.overview.currentIndex() == 0


def test_compare_adds_changes_and_the_previous_period(panel, small_org, settle):
    pick(panel, settle, small_org.runaway_agent_id)
    note = panel.overview.cards.cards["New conversations"].note
    assert note.text() == "" and "Previous New conversations" not in panel.overview.chart.items
    panel.compare.setChecked(True)
    assert note.text().endswith(" vs previous period")
    assert "Previous New conversations" in panel.overview.chart.items
    assert "previous period" in panel.overview.chart.describe(0)


def test_dark_theme_recolours_the_charts(panel, settle):
    panel.theme.apply(True)
    assert panel.overview.chart.colors.dark and panel.overview.heatmap.colors.dark
    assert panel.agents.delegate.colors.dark
    panel.theme.apply(False)


def test_an_empty_cache_says_nothing_was_synced(open_panel):
    panel = open_panel(empty=True)
    assert panel.view.agent is None and panel.agents.agent_ids() == []
    assert panel.overview.currentIndex() == 1 and panel.overview.message.text().startswith("No data synced yet")
