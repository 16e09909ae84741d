"""The Billing panel shows the latest snapshot and the history rebuilt from the cache, exactly."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import update

from a2v2_desktop.cache import billing_queries, watch_store, writes
from a2v2_desktop.cache.watch_store import RuleSetting
from a2v2_desktop.cache.models import BillingSnapshot, CreditTransactionRow, Organization
from a2v2_desktop.domain.credits import SCALE
from a2v2_desktop.domain.times import zone
from a2v2_desktop.insights import alerts, billing, forecast as fc
from a2v2_desktop.insights.text import credits_text
from a2v2_desktop.settings import load_settings, save_settings
from a2v2_desktop.ui.charts.balance_chart import wall_x
from a2v2_desktop.ui.panels.billing import EMPTY, MESSAGE, NEXT, TOPUP, USED, BillingPanel
from a2v2_desktop.ui.widgets import plain_tooltip

HOSTILE = "<b>Gold</b><img src=x onerror=alert(1)>"  # short enough not to be elided


@pytest.fixture
def open_panel(qtbot, make_app, account_settings, settle):
    """`open_panel(**settings)`: the app on the account cache, with a Billing panel that has answered."""

    def make(**changes) -> BillingPanel:
        services, window = make_app(account_settings(**changes))
        panel = BillingPanel(services, window.theme, window.watcher)
        qtbot.addWidget(panel)
        panel.resize(1100, 700)
        panel.refresh()
        settle(services)
        return panel

    return make


@pytest.fixture
def panel(open_panel, cache_copy):
    return open_panel()


def read(panel, query, *args):
    with panel.services.engine.connect() as connection:
        return query(connection, *args)


def latest(panel) -> billing_queries.Snapshot:
    return read(panel, billing_queries.latest_snapshots, 1)[0]


def change_cache(panel, settle, *statements) -> None:
    with panel.services.engine.begin() as connection:
        for statement in statements:
            connection.execute(statement)
    panel.refresh()
    settle(panel.services)


def test_cards_equal_the_latest_snapshot(panel):
    snapshot, tz = latest(panel), zone(panel.view.timezone)
    cards = panel.cards
    assert cards[MESSAGE].value.text() == credits_text(snapshot.plan_credits_remaining) == "0.00"
    assert cards[MESSAGE].note.text() == "of 6,000 · Refilled on 8 Nov, no rollover"
    assert cards[MESSAGE].bar.value() == 0
    assert cards[TOPUP].value.text() == credits_text(snapshot.topup_credits_remaining)
    assert cards[TOPUP].note.text() == "Remaining from recharges · carried over"
    assert cards[USED].value.text() == credits_text(snapshot.credits_used_this_period)
    assert cards[NEXT].value.text() == fc.date_text(snapshot.period_end, tz) == "8 Dec 2026"
    assert cards[NEXT].note.text() == "11 days remaining · Enterprise, 6,000 credits per month"
    rows = {name: label.text() for name, label in panel.recharge_rows.items()}
    assert rows == {"Rate": "$20.00 per 1,000 credits", "Threshold": "below 100 credits",
                    "This month": "5/5 recharges used this month", "Last recharged": "26 Nov 2026, 06:18"}
    assert panel.recharge_state.text() == "On"
    assert "As of " in panel.subtitle.text() and "(last sync)" in panel.subtitle.text()
    assert panel.banner.isVisibleTo(panel) and "used all 5 recharges" in panel.banner.findChild(
        type(panel.subtitle), "BannerText").text()


def test_chart_series_equal_the_reconstruction(panel):
    data = read(panel, billing.load_billing)
    tz = zone(panel.view.timezone)
    chart = panel.chart
    assert chart.history == data.history and data.disagreements == ()
    for pool in billing.POOLS:
        curve = chart.curves[pool]
        assert list(curve.xData) == [wall_x(p.at, tz) for p in data.history]
        assert list(curve.yData) == [getattr(p, pool) / SCALE for p in data.history]
    snapshot = latest(panel)
    assert (data.history[-1].plan, data.history[-1].topup) == (snapshot.plan_credits_remaining,
                                                               snapshot.topup_credits_remaining)
    projection = panel.view.forecast.projection
    assert list(chart.curves["topup_forecast"].yData) == [v / SCALE for v in projection.pace.topup]
    assert chart.curves["plan_forecast"].opts["pen"].style() == Qt.DashLine
    assert set(chart.bands) == set(billing.POOLS)
    assert len(chart.marker_lines) == len(data.markers) + len(panel.view.forecast.outlooks)
    assert panel.ledger_note.text() == ("The history rebuilt from the credit ledger and usage matches "
                                        "the synced balance.")


def test_hover_shows_exact_figures(panel):
    chart, tz = panel.chart, zone(panel.view.timezone)
    last = chart.history[-1]
    text = chart.describe_at(wall_x(last.at, tz))
    assert f"Top-up Credits: {credits_text(last.topup)}" in text
    recharge = next(m for m in chart.markers if m.kind == "auto_recharge")
    text = chart.describe_at(wall_x(recharge.at, tz))
    assert "Auto-recharge: +1,000.00 Top-up Credits ($20.00)" in text
    ahead = chart.describe_at(wall_x(panel.view.forecast.outlooks[0].end + 86400, tz))
    assert ahead.startswith("Forecast for ") and "likely" in ahead


def test_forecast_sentences_follow_the_window(panel, settle):
    assert panel.sentences.text().startswith("• At the last 14 days' pace")
    panel.window_days.setValue(7)
    settle(panel.services)
    assert panel.view.request.window_days == 7
    assert panel.sentences.text().startswith("• At the last 7 days' pace")


def test_only_the_last_question_is_answered(panel, settle):
    for days in (5, 9, 30, 21):
        panel.window_days.setValue(days)
    panel.refresh()
    panel.window_days.setValue(10)
    settle(panel.services)
    assert panel.view.request.window_days == 10 and not panel.loading


def low_balance_rule(panel) -> RuleSetting:
    return read(panel, watch_store.rule_settings)[alerts.LOW_BALANCE]


def test_low_balance_threshold_warns_and_is_the_alert_rules(panel, qtbot, settle):
    assert panel.low_balance.value() == billing.DEFAULT_LOW_BALANCE // SCALE
    with qtbot.waitSignal(panel.watcher.settingsSaved):
        panel.low_balance.setValue(1000)
    settle(panel.services)
    assert low_balance_rule(panel) == RuleSetting(alerts.LOW_BALANCE, True, 1000 * SCALE)
    assert [w.kind for w in panel.view.warnings] == [billing.LOW_BALANCE, billing.CAP]
    assert "below your alert at 1,000 credits" in panel.view.warnings[0].text


def test_the_rules_editor_and_the_billing_panel_share_one_threshold(make_app, account_settings, cache_copy, qtbot,
                                                                    settle):
    services, window = make_app(account_settings())
    settle(services)
    row = next(row for row in window.alerts.editor.rows if row.spec.rule == alerts.LOW_BALANCE)
    window.alerts.editor.reload()
    settle(services)
    assert row.threshold.value() == window.billing.low_balance.value() == billing.DEFAULT_LOW_BALANCE // SCALE
    row.enabled.setChecked(False)  # off in the editor: the Billing panel keeps it off
    settle(services)
    with qtbot.waitSignal(window.watcher.settingsSaved):
        row.threshold.setValue(2_000_000)
    settle(services)
    assert window.billing.low_balance.value() == 2_000_000
    assert window.billing.view.request.low_balance == 2_000_000 * SCALE
    assert "below your alert at 2,000,000 credits" in window.billing.view.warnings[0].text
    with qtbot.waitSignal(window.watcher.settingsSaved):
        window.billing.low_balance.setValue(300)
    settle(services)
    window.alerts.editor.reload()
    settle(services)
    assert row.threshold.value() == 300 and not row.enabled.isChecked()
    with services.engine.connect() as connection:
        assert watch_store.rule_settings(connection)[alerts.LOW_BALANCE] == RuleSetting(alerts.LOW_BALANCE, False,
                                                                                       300 * SCALE)


def test_old_settings_with_a_low_balance_field_still_load(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"low_balance_credits": 1234, "sync_interval_minutes": 5}')
    settings = load_settings(path)
    assert settings.sync_interval_minutes == 5 and not hasattr(settings, "low_balance_credits")
    save_settings(settings, path)
    assert "low_balance" not in path.read_text()


def test_hostile_text_stays_plain(panel, settle):
    change_cache(panel, settle, update(BillingSnapshot).values(plan_name=HOSTILE),
                 update(Organization).values(name=HOSTILE),
                 update(CreditTransactionRow).where(CreditTransactionRow.kind == "adjustment").values(note=HOSTILE))
    assert HOSTILE in panel.cards[NEXT].note.text()
    assert panel.cards[NEXT].note.textFormat() == Qt.PlainText
    assert HOSTILE in panel.subtitle.text() and panel.subtitle.textFormat() == Qt.PlainText
    tz = zone(panel.view.timezone)
    adjustment = next(m for m in panel.chart.markers if m.kind == "adjustment")
    hover = panel.chart.describe_at(wall_x(adjustment.at, tz))
    assert HOSTILE in hover
    assert "<img" not in plain_tooltip(hover) and "&lt;img" in plain_tooltip(hover)


def test_a_snapshot_that_disagrees_is_called_out(panel, settle):
    first = latest(panel)
    copy = {k: v for k, v in asdict(first).items() if k != "id"}
    with panel.services.engine.begin() as connection:
        writes.save_billing_snapshot(connection, copy)
    change_cache(panel, settle, update(BillingSnapshot).where(BillingSnapshot.id == first.id)
                 .values(topup_credits_remaining=first.topup_credits_remaining + 25_000))
    texts = [label.text() for label in panel.banner.findChildren(type(panel.subtitle), "BannerText")]
    notice = next(t for t in texts if t.startswith("The balance history does not add up"))
    assert f"Top-up Credits: reported {credits_text(first.topup_credits_remaining + 25_000)}, rebuilt " \
           f"{credits_text(first.topup_credits_remaining)}" in notice
    assert panel.ledger_note.text() == "1 of the last 2 synced balances disagree with the ledger."


def test_the_last_sync_still_catching_up_is_only_noted(panel, settle):
    snapshot = latest(panel)
    change_cache(panel, settle, update(BillingSnapshot).values(plan_credits_remaining=snapshot.plan_credits_remaining
                                                                + 10_000))
    assert panel.ledger_note.text().startswith("The last sync's balance differs from the synced records by "
                                               "1.00 Message Credits.")
    assert not any(t.startswith("The balance history") for t in
                   (label.text() for label in panel.banner.findChildren(type(panel.subtitle), "BannerText")))


def test_empty_cache_shows_the_empty_state(open_panel):
    panel = open_panel()
    assert panel.view.data.snapshot is None
    assert panel.stack.currentWidget() is panel.empty and panel.empty.text() == EMPTY
    assert not panel.banner.isVisibleTo(panel)


def test_dark_theme_recolours_the_chart(panel, settle):
    panel.theme.apply(True)
    settle(panel.services)
    assert panel.chart.colors.dark
    assert panel.chart.curves["plan"].opts["pen"].color().name() == panel.theme.colors.activities[0]
