"""The Usage panel shows exactly what the cache's own queries say, for several ranges and filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from a2v2_desktop.cache import queries
from a2v2_desktop.domain.credits import SCALE
from a2v2_desktop.domain.times import local_day_bounds, zone
from a2v2_desktop.insights import ranges, text
from a2v2_desktop.ui.panels.breakdown import KEY_ROLE, NAME
from a2v2_desktop.ui.widgets import elide

RUNAWAY = "runaway"  # stands for the demo's runaway agent in parameters


@pytest.fixture
def panel(make_app, cache_copy, account_settings, settle):
    services, window = make_app(account_settings())
    settle(services)
    return window.usage


def choose(panel, settle, preset=None, agent=None, granularity=None):
    if preset is not None:
        panel.preset.setCurrentText(preset)
    if agent is not None:
        panel.agent.setCurrentIndex(panel.agent.findData(agent))
    if granularity is not None:
        panel.granularity.setCurrentIndex(panel.granularity.findData(granularity))
    settle(panel.services)
    assert panel.view.request == panel.pending


def read(panel, query, *args):
    with panel.services.engine.connect() as connection:
        return query(connection, *args)


def bounds(panel):
    return panel.view.span.bounds(zone(panel.view.timezone))


@pytest.mark.parametrize("preset,agent", [
    (ranges.LAST_30_DAYS, None),
    (ranges.THIS_BILLING_PERIOD, None),
    (ranges.TODAY, None),
    (ranges.LAST_7_DAYS, RUNAWAY),
    (ranges.LAST_MONTH, None),
])
def test_cards_and_tables_equal_the_cache_queries(panel, settle, preset, agent, runaway_id, now):
    agent = runaway_id if agent == RUNAWAY else agent
    choose(panel, settle, preset=preset, agent=agent)
    start, end = bounds(panel)
    agents = [agent] if agent else None
    credits, _ = read(panel, queries.spend_total, start, end, agents)
    assert panel.cards["Credits used"].value.text() == text.credits_text(credits)
    previous = panel.view.span.elapsed(now.date()).previous()
    before, _ = read(panel, queries.spend_total, *previous.bounds(zone(panel.view.timezone)), agents)
    assert panel.cards["Credits used"].note.text().startswith(text.change_text(credits, before))
    by_agent = {row.key: row for row in read(panel, queries.spend_by_agent, start, end, agents)}
    shown = {row.key: row for row in panel.agents_table.model.rows if row.credits or row.quantity}
    assert {k: (r.credits, r.quantity) for k, r in shown.items()} == \
        {k: (r.credits, r.quantity) for k, r in by_agent.items()}
    by_member = read(panel, queries.spend_by_member, start, end, agents)
    members = {row.key: row.credits for row in panel.members_table.model.rows if row.credits or row.quantity}
    assert members == {row.key: row.credits for row in by_member}
    assert sum(row.credits for row in panel.members_table.model.rows) == credits


@pytest.mark.parametrize("preset,granularity", [(ranges.LAST_90_DAYS, ranges.DAY), (ranges.LAST_30_DAYS, ranges.WEEK),
                                                (ranges.LAST_90_DAYS, ranges.MONTH)])
def test_chart_bars_equal_the_spend_of_their_days(panel, settle, preset, granularity):
    """Every bar's stacked height is the cache's spend_total over its local days (DST days included)."""
    choose(panel, settle, preset=preset, granularity=granularity)
    tz = zone(panel.view.timezone)
    chart = panel.chart
    series = chart.series
    for position, bucket in enumerate(series.buckets):
        expected, _ = read(panel, queries.spend_total, *local_day_bounds(bucket.first, bucket.last, tz))
        assert sum(values[position] for values in chart.heights().values()) == expected
    message_bar = chart.bars["message"]
    assert list(message_bar.opts["height"]) == [v / SCALE for v in series.credits["message"]]
    assert series.buckets[0].first == panel.view.span.first and series.buckets[-1].last == panel.view.span.last


def test_ninety_days_cover_the_dst_change(panel, settle):
    choose(panel, settle, preset=ranges.LAST_90_DAYS, granularity=ranges.DAY)
    tz = zone(panel.view.timezone)
    lengths = {b.first: local_day_bounds(b.first, b.last, tz) for b in panel.chart.series.buckets}
    assert 25 * 3600 in {end - start for start, end in lengths.values()}  # 25 Oct 2026 in Europe/Berlin


def test_messages_toggle_shows_message_quantities(panel, settle):
    choose(panel, settle, preset=ranges.LAST_7_DAYS)
    panel.measure_group.button(1).click()
    start, end = bounds(panel)
    activity = {row.key: row.quantity for row in read(panel, queries.spend_by_activity, start, end)}
    assert sum(panel.chart.heights()["message"]) == activity["message"]
    assert list(panel.chart.bars["message"].opts["height"]) == [float(v) for v in panel.chart.series.messages]


def test_changing_the_range_updates_everything(panel, settle):
    choose(panel, settle, preset=ranges.LAST_7_DAYS)
    seven = (panel.range_label.text(), panel.cards["Credits used"].value.text(), len(panel.chart.series.buckets))
    choose(panel, settle, preset=ranges.LAST_90_DAYS)
    ninety = (panel.range_label.text(), panel.cards["Credits used"].value.text(), len(panel.chart.series.buckets))
    assert all(a != b for a, b in zip(seven, ninety))
    assert panel.view.span.days == 90 and panel.chart.series.granularity == ranges.WEEK


def test_custom_range(panel, settle, now):
    choose(panel, settle, preset=ranges.CUSTOM)
    first = now.date() - timedelta(days=20)
    panel.first_date.setDate(first)
    panel.last_date.setDate(now.date() - timedelta(days=10))
    settle(panel.services)
    assert panel.view.span == ranges.DateRange(first, now.date() - timedelta(days=10))


def test_picking_an_agent_row_filters_the_chart(panel, settle, qtbot, runaway_id):
    choose(panel, settle, preset=ranges.LAST_30_DAYS)
    table = panel.agents_table
    row = next(r for r in range(table.proxy.rowCount()) if table.proxy.index(r, NAME).data(KEY_ROLE) == runaway_id)
    table.view.selectRow(row)
    qtbot.waitUntil(lambda: panel.chart.series.agent_id == runaway_id)
    start, end = bounds(panel)
    credits, _ = read(panel, queries.spend_total, start, end, [runaway_id])
    assert sum(sum(v) for v in panel.chart.heights().values()) == credits
    assert panel.chart_title.text() == "Credit usage — Support Assistant"
    panel.show_all.click()
    qtbot.waitUntil(lambda: panel.chart.series.agent_id is None)
    table.view.selectRow(row)
    qtbot.waitUntil(lambda: panel.chart.series.agent_id == runaway_id)
    choose(panel, settle, preset=ranges.LAST_7_DAYS)  # a new range starts over: no row stays picked
    assert table.selected_rows() == [] and panel.chart.series.agent_id is None


def test_the_runaway_agent_and_only_it_is_flagged(panel, settle, runaway_id):
    choose(panel, settle, preset=ranges.LAST_7_DAYS)
    assert panel.banner.isVisible()
    assert panel.banner_text.text().startswith("Runaway agent: Support Assistant spent ")
    assert [row.key for row in panel.agents_table.model.rows if row.runaway] == [runaway_id]


def test_the_runaway_scan_is_reused_until_the_data_changes(panel, settle, runaway_id, monkeypatch):
    """A range change in the same hour reuses the scan; a sync that touches usage scans again."""
    from a2v2_desktop.insights import usage

    scans = []
    monkeypatch.setattr(usage, "find_runaways", lambda *args: scans.append(args) or [])
    choose(panel, settle, preset=ranges.LAST_7_DAYS)
    choose(panel, settle, preset=ranges.LAST_90_DAYS)
    assert scans == []
    assert [row.key for row in panel.agents_table.model.rows if row.runaway] == [runaway_id]
    panel.services.cacheReplaced.emit()
    settle(panel.services)
    assert len(scans) == 1 and not panel.banner.isVisible()


@pytest.mark.parametrize("outcome", ["succeeded", "failed", "cancelled"])
def test_sums_kept_in_memory_are_forgotten_when_a_sync_may_have_changed_usage(panel, settle, now, outcome):
    """Usage added far outside the range shown still shows once the range covers it: a sync that
    touched usage, or one that stopped after committing pages, drops the panel's memory."""
    from a2v2_desktop.sync.engine import SyncResult
    from a2v2_desktop.ui.workers import SyncFailure

    choose(panel, settle, preset=ranges.LAST_7_DAYS)
    assert not panel.memory.wanted  # warmed after showing
    hour = int(now.timestamp()) // 3600 * 3600 - 60 * 86400
    with panel.services.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO usage (id, seq, hour, agent_id, member_id, activity, pool, quantity, credits) "
            "VALUES ('late-line', 1, ?, 'late-agent', NULL, 'message', 'plan', 1, 12345678)", (hour,))
    signal = getattr(panel.services.sync, outcome)
    signal.emit(*{"succeeded": [SyncResult(records={"usage": 1}, usage_hours=(hour, hour))],
                  "failed": [SyncFailure("offline", "cut off")], "cancelled": []}[outcome])
    choose(panel, settle, preset=ranges.LAST_90_DAYS)
    credits, _ = read(panel, queries.spend_total, *bounds(panel))
    assert panel.cards["Credits used"].value.text() == text.credits_text(credits)
    assert "late-agent" in {row.key for row in panel.agents_table.model.rows}


def test_the_agent_filter_is_refilled_only_when_the_agents_changed(panel, settle, runaway_id):
    """A refresh with the same agents leaves the list (and the pick) alone; an agent a sync
    brought is listed."""
    from a2v2_desktop.sync.engine import SyncResult

    choose(panel, settle, preset=ranges.LAST_7_DAYS, agent=runaway_id)
    listed = [panel.agent.itemData(i) for i in range(panel.agent.count())]
    with panel.services.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO agents (id, name, status, created_at, paid_access_enabled) "
            "VALUES ('zz-new', 'Zebra Desk', 'active', 0, 0)")
    choose(panel, settle, preset=ranges.LAST_30_DAYS)
    assert "zz-new" not in [panel.agent.itemData(i) for i in range(panel.agent.count())]  # kept until a sync
    panel.services.sync.succeeded.emit(SyncResult())  # one that brought the new agent, no usage
    choose(panel, settle, preset=ranges.LAST_90_DAYS)
    assert panel.agent.currentData() == runaway_id
    now_listed = [panel.agent.itemData(i) for i in range(panel.agent.count())]
    assert [key for key in now_listed if key != "zz-new"] == listed
    assert panel.agent.itemText(now_listed.index("zz-new")) == "Zebra Desk"


def test_copy_gives_tab_separated_rows(panel, settle):
    choose(panel, settle, preset=ranges.LAST_30_DAYS)
    panel.members_table.view.selectRow(0)
    panel.members_table.copy_selection()
    from PySide6.QtGui import QGuiApplication

    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines[0].split("\t") == ["Name", "Credits", "Share", "Quantity", "Change", "Trend"]
    assert lines[1].split("\t")[0] == "Visitors' traffic"


def test_sorting_is_by_exact_values(panel, settle):
    choose(panel, settle, preset=ranges.LAST_30_DAYS)
    view = panel.agents_table.view
    view.sortByColumn(1, Qt.AscendingOrder)
    proxy = panel.agents_table.proxy
    credits = [proxy.index(r, 1).data(Qt.UserRole) for r in range(proxy.rowCount())]
    assert credits == sorted(credits)


def test_sorting_keeps_the_picked_row_and_the_filter(panel, settle):
    """The model sorts itself: the picked row stays picked and a filter still applies."""
    choose(panel, settle, preset=ranges.LAST_30_DAYS)
    table = panel.agents_table
    view, proxy = table.view, table.proxy
    view.selectRow(3)
    picked = table.selected_rows()
    for column, order in ((0, Qt.AscendingOrder), (4, Qt.DescendingOrder), (3, Qt.AscendingOrder)):
        view.sortByColumn(column, order)
        assert table.selected_rows() == picked
        keys = [proxy.index(r, column).data(Qt.UserRole) for r in range(proxy.rowCount())]
        assert keys == sorted(keys, reverse=order == Qt.DescendingOrder)
    table.filter.setText(picked[0].name[:6])
    assert picked[0] in table.shown_rows() and len(table.shown_rows()) < len(table.model.rows)
    assert all(picked[0].name[:6].casefold() in row.name.casefold() for row in table.shown_rows())


@pytest.mark.parametrize("order", [Qt.AscendingOrder, Qt.DescendingOrder])
def test_rows_with_equal_keys_keep_their_order_either_way(qtbot, order):
    """A stable sort, as Qt's own: ties stay in the order they came, then in the order they had."""
    from a2v2_desktop.insights.usage import BreakdownRow
    from a2v2_desktop.ui.panels.breakdown import BreakdownTable

    table = BreakdownTable("", "deleted")
    qtbot.addWidget(table)
    rows = [BreakdownRow(f"k{n}", f"Agent {n}", credits, 1, 0, ()) for n, credits in enumerate([5, 7, 5, 9, 5, 7])]
    table.set_rows(tuple(rows), 38)
    table.view.sortByColumn(1, order)
    by_credits = sorted(rows, key=lambda row: row.credits, reverse=order == Qt.DescendingOrder)
    assert table.shown_rows() == by_credits
    table.view.sortByColumn(3, order)  # every quantity equal: the order stays as it was
    assert table.shown_rows() == by_credits


def test_only_the_rows_in_view_are_formatted_and_indexes_stay_inside_the_table(qtbot):
    """Hundreds of rows: the ones out of sight cost no text until scrolled to; the model's own
    index() (faster than Qt's) still refuses anything outside its rows and columns."""
    from a2v2_desktop.insights.usage import BreakdownRow
    from a2v2_desktop.ui.panels.breakdown import COLUMNS, BreakdownTable

    table = BreakdownTable("", "deleted")
    qtbot.addWidget(table)
    table.resize(700, 400)
    table.show()
    qtbot.waitExposed(table)
    rows = tuple(BreakdownRow(f"k{n}", f"Agent {n}", 1000 * n, n, 500 * n, (n, n + 1)) for n in range(300))
    table.set_rows(rows, sum(row.credits for row in rows))
    qtbot.wait(50)
    model = table.model
    formatted = [r for r, texts in enumerate(model.shown) if texts is not None]
    assert formatted and len(formatted) < 40 and formatted == list(range(len(formatted)))
    table.view.scrollToBottom()
    qtbot.wait(50)
    assert model.shown[-1] == (model.rows[-1].name, *model.cell_texts(model.rows[-1])[1:])
    assert model.index(0, 0).isValid() and model.index(299, len(COLUMNS) - 1).isValid()
    for outside in ((300, 0), (-1, 0), (0, len(COLUMNS)), (0, -1)):
        assert not model.index(*outside).isValid()
    assert not model.index(0, 0, model.index(0, 0)).isValid()


def test_cells_show_their_texts_whenever_qt_first_asks(panel, settle):
    """Texts are worked out for a row when first shown; every cell says what copying it says."""
    choose(panel, settle, preset=ranges.LAST_90_DAYS)
    model = panel.agents_table.model
    for r, row in enumerate(model.rows):
        texts = [model.index(r, c).data() for c in range(model.columnCount())]
        assert texts[1:] == list(model.cell_texts(row)[1:]) and texts[0] == elide(model.cell_texts(row)[0])


def test_sorting_by_change_puts_new_spend_above_every_percentage(panel, settle):
    choose(panel, settle, preset=ranges.LAST_7_DAYS)
    rows = panel.view.agents
    view, proxy = panel.agents_table.view, panel.agents_table.proxy
    view.sortByColumn(4, Qt.DescendingOrder)
    shown = [proxy.index(r, 4).data(Qt.DisplayRole) for r in range(proxy.rowCount())]
    changes = [text.change(row.credits, row.previous_credits) for row in rows if row.previous_credits > 0]
    assert shown[:sum(1 for row in rows if row.credits and not row.previous_credits)] == \
        ["new"] * sum(1 for row in rows if row.credits and not row.previous_credits)
    percentages = [value for value in shown if value not in ("new", "—")]
    assert len(percentages) == len(changes)
    assert percentages == [text.change_text(row.credits, row.previous_credits) for row in
                           sorted((row for row in rows if row.previous_credits > 0),
                                  key=lambda row: text.change(row.credits, row.previous_credits), reverse=True)]


def test_deleted_agent_is_marked_and_an_agent_without_usage_says_so(panel, settle):
    choose(panel, settle, preset=ranges.TODAY)
    legacy = next(c for c in panel.view.agent_choices if c.deleted)
    assert panel.agent.itemText(panel.agent.findData(legacy.id)).endswith(" (deleted)")
    choose(panel, settle, agent=legacy.id)
    assert panel.chart.empty.text() == f"{legacy.name} used no credits in this range."
    assert panel.chart.stack.currentWidget() is panel.chart.empty


def test_hostile_names_render_as_text(panel, settle):
    choose(panel, settle, preset=ranges.LAST_90_DAYS)
    hostile = next(c for c in panel.view.agent_choices if c.name.startswith("<b>"))
    long_name = next(c for c in panel.view.agent_choices if len(c.name) == 5000)
    rows = {row.key: row for row in panel.agents_table.model.rows}
    model = panel.agents_table.model
    position = model.rows.index(rows[hostile.id])
    assert model.index(position, NAME).data() == hostile.name
    assert "&lt;script&gt;" in model.index(position, NAME).data(Qt.ToolTipRole)
    long_row = model.index(model.rows.index(rows[long_name.id]), NAME)
    assert len(long_row.data()) <= 80 and len(model.cell_texts(rows[long_name.id])[NAME]) == 5000
    panel.agents_table.view.selectRow(panel.agents_table.proxy.mapFromSource(model.index(position, NAME)).row())
    settle(panel.services)
    assert panel.chart_title.textFormat() == Qt.PlainText
    assert panel.chart_title.text() == f"Credit usage — {hostile.name}"
    member_names = [row.name for row in panel.members_table.model.rows]
    assert any("\u202e" in name for name in member_names)  # the RTL override is kept as text, not acted on
    for label in (panel.range_label, panel.banner_text, panel.chart_title, panel.chart.empty,
                  *(card.value for card in panel.cards.values()), *(card.note for card in panel.cards.values())):
        assert label.textFormat() == Qt.PlainText


def test_a_result_for_a_range_already_left_is_dropped(panel, settle):
    choose(panel, settle, preset=ranges.LAST_7_DAYS)
    old_view = panel.view
    choose(panel, settle, preset=ranges.LAST_90_DAYS)
    panel._show(old_view)  # a late answer to the question before
    assert panel.view.span.days == 90 and panel.cards["Credits used"].value.text() == \
        text.credits_text(panel.view.cards.credits)


def test_empty_cache_says_no_data_yet(make_app, account_settings, settle, tmp_path):
    services, window = make_app(account_settings())
    settle(services)
    assert window.usage.chart.empty.text().startswith("No usage synced yet")
    assert window.usage.cards["Credits used"].value.text() == "0.00"
    assert window.status.message.text() == "Not synced yet"


def test_range_without_spend_says_so(panel, settle, now):
    choose(panel, settle, preset=ranges.CUSTOM)
    panel.first_date.setDate(now.date() - timedelta(days=400))
    panel.last_date.setDate(now.date() - timedelta(days=390))
    settle(panel.services)
    assert panel.chart.empty.text() == "No credits were spent in this range."


def test_compare_overlays_the_previous_period_and_hover_gives_exact_figures(panel, settle):
    choose(panel, settle, preset=ranges.LAST_7_DAYS)
    chart = panel.chart
    assert chart.previous_bar is None
    panel.compare.setChecked(True)
    series = chart.series
    assert list(chart.previous_bar.opts["height"]) == [v / SCALE for v in series.previous_credits]
    start, end = series.buckets[0].bounds(zone(panel.view.timezone))
    spent, _ = read(panel, queries.spend_total, start, end)
    tip = chart.describe(0)
    assert tip.splitlines()[1] == f"Credits used: {text.credits_text(spent)}"
    assert tip.splitlines()[-1] == f"Previous period: {text.credits_text(series.previous_credits[0])}"
    assert chart.bucket_at(chart.bars["message"].opts["x"][0]) == 0
