"""Alert rules and "what changed" without Qt: each rule on hand-built facts, firing once and
re-arming, thresholds, and the seed-7 demo organization synced through the stand-in."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import timedelta

import pytest

from a2v2_desktop.cache import writes
from a2v2_desktop.cache import watch_store as store
from a2v2_desktop.cache.analytics_queries import ConversationTotals
from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.cache.watch_store import ORG_BUDGET, RuleSetting
from a2v2_desktop.domain.credits import SCALE
from a2v2_desktop.insights import alerts, billing, changes
from a2v2_desktop.insights.alerts import Facts
from a2v2_desktop.insights.runaway import RunawayAgent
from a2v2_desktop.insights.watch import titled, watch
from a2v2_desktop.standin.generator import DemoOrg, OrgSpec
from a2v2_desktop.standin.server import StandinServer
from tests.conftest import FIXED_NOW
from tests.test_billing_insights import AS_OF, snapshot
from tests.test_sync_e2e import sync_in_process

NOW = int(FIXED_NOW.timestamp())
PERIOD = (AS_OF - 19 * 86400, AS_OF + 11 * 86400)


def credits(whole: int) -> int:
    return whole * SCALE


def keys(found) -> list[str]:
    return [alert.key for alert in found]


def only(rule: str, threshold: int | None = None, enabled: bool = True) -> dict[str, RuleSetting]:
    """Settings with every rule off but one."""
    settings = {spec.rule: RuleSetting(spec.rule, False, spec.default_threshold) for spec in alerts.RULES}
    spec = alerts.SPECS[rule]
    settings[rule] = RuleSetting(rule, enabled, spec.default_threshold if threshold is None else threshold)
    return settings


# ---- firing once and re-arming ---------------------------------------------------------------------

def test_a_condition_fires_once_and_re_arms_when_it_clears():
    held = alerts.sync_failing_alerts(Facts(NOW, failed_runs=3), 3)
    fresh, cleared = alerts.reconcile(held, set())
    assert keys(fresh) == ["sync_failing"] and cleared == set()
    fresh, cleared = alerts.reconcile(held, {"sync_failing"})
    assert fresh == [] and cleared == set()
    fresh, cleared = alerts.reconcile([], {"sync_failing"})
    assert fresh == [] and cleared == {"sync_failing"}
    fresh, _ = alerts.reconcile(held, set())
    assert keys(fresh) == ["sync_failing"]


def test_a_rule_turned_off_holds_nothing():
    facts = Facts(NOW, failed_runs=5)
    assert alerts.conditions(facts, only(alerts.SYNC_FAILING, enabled=False)) == []
    assert keys(alerts.conditions(facts, only(alerts.SYNC_FAILING))) == ["sync_failing"]


# ---- each rule on hand-built facts ---------------------------------------------------------------

def test_budget_levels_from_the_threshold_up_and_one_alert_per_budget():
    facts = Facts(NOW, period=PERIOD, org_spend=credits(850), agent_spend={"a1": credits(500)},
                  agent_names={"a1": "<b>Sales</b>"}, budgets={ORG_BUDGET: credits(1000), "a1": credits(1000)})
    found = alerts.budget_alerts(facts, 50)
    assert keys(found) == [f"budget:*:{PERIOD[0]}:80", f"budget:a1:{PERIOD[0]}:50"]
    assert found[1].title == "Budget 50% reached: <b>Sales</b>" and found[0].panel == "usage"
    assert "850.00 of the 1,000.00 credits" in found[0].detail and "(85%)" in found[0].detail
    assert keys(alerts.budget_alerts(facts, 80)) == [f"budget:*:{PERIOD[0]}:80"]
    assert alerts.budget_alerts(facts, 100) == []
    assert alerts.budget_alerts(replace(facts, period=None), 50) == []


def test_a_new_billing_period_is_a_new_occurrence():
    facts = Facts(NOW, period=PERIOD, org_spend=credits(1000), budgets={ORG_BUDGET: credits(1000)})
    later = replace(facts, period=(PERIOD[1], PERIOD[1] + 30 * 86400))
    assert keys(alerts.budget_alerts(facts, 50)) != keys(alerts.budget_alerts(later, 50))


def test_runaway_respects_its_excess_threshold():
    agent = RunawayAgent("a1", "Bot", NOW, credits(900), credits(100))
    facts = Facts(NOW, runaways=(agent,))
    assert keys(alerts.runaway_alerts(facts, credits(800))) == ["runaway:a1"]
    assert alerts.runaway_alerts(facts, credits(801)) == []
    assert "9× normal" in alerts.runaway_alerts(facts, 0)[0].detail


def test_billing_warnings_become_alerts_with_the_panels_own_words():
    warnings = (billing.BillingWarning(billing.LOW_BALANCE, "Low balance: 10.00 credits left"),
                billing.BillingWarning(billing.RECHARGE_OFF, "Auto-Recharge was on"),
                billing.BillingWarning(billing.RUNS_OUT, "credits run out on 3 Dec"))
    facts = Facts(NOW, period=PERIOD, warnings=warnings)
    assert [a.detail for a in alerts.low_balance_alerts(facts, 0)] == ["Low balance: 10.00 credits left"]
    assert keys(alerts.recharge_off_alerts(facts, None)) == ["recharge_off"]
    assert keys(alerts.runs_out_alerts(facts, None)) == [f"runs_out:{PERIOD[1]}"]
    assert alerts.low_balance_alerts(Facts(NOW), 0) == []


def test_cap_about_to_be_reached_and_reached_are_two_occurrences():
    warning = (billing.BillingWarning(billing.CAP, "cap"),)
    soon = Facts(NOW, snapshot=snapshot(auto_recharge_enabled=True, auto_recharge_used_this_month=3),
                 warnings=warning)
    reached = replace(soon, snapshot=snapshot(auto_recharge_enabled=True, auto_recharge_used_this_month=5))
    start = snapshot().period_start
    assert keys(alerts.cap_alerts(soon, None)) == [f"cap:{start}:soon"]
    assert keys(alerts.cap_alerts(reached, None)) == [f"cap:{start}:reached"]
    assert alerts.cap_alerts(replace(soon, warnings=()), None) == []


def test_low_runway_in_days():
    assert keys(alerts.low_runway_alerts(Facts(NOW, runway_days=3), 7)) == ["low_runway"]
    assert alerts.low_runway_alerts(Facts(NOW, runway_days=3), 2) == []
    assert alerts.low_runway_alerts(Facts(NOW, runway_days=None), 30) == []
    assert "today" in alerts.low_runway_alerts(Facts(NOW, runway_days=0), 1)[0].detail


def test_unanswered_jump_in_points_and_enough_replies():
    def week(replies: int, missed: int) -> ConversationTotals:
        return ConversationTotals(agent_messages=replies, unanswered=missed)

    facts = Facts(NOW, agent_names={"a1": "Bot"}, unanswered={"a1": (week(100, 25), week(100, 10)),
                                                                "a2": (week(20, 15), week(100, 1))})
    found = alerts.unanswered_alerts(facts, 15)
    assert keys(found) == ["unanswered:a1"] and found[0].panel == "analytics"
    assert "25.0%" in found[0].detail and "10.0%" in found[0].detail
    assert alerts.unanswered_alerts(facts, 16) == []


def test_sync_failing_counts_failures_in_a_row():
    assert alerts.sync_failing_alerts(Facts(NOW, failed_runs=2, last_error="401"), 3) == []
    found = alerts.sync_failing_alerts(Facts(NOW, failed_runs=3, last_error="The key was refused"), 3)
    assert found[0].detail == "The last 3 syncs failed: The key was refused"


def test_revised_days_are_old_hours_whose_totals_moved():
    hour = 3600
    seen = {NOW - 50 * hour: credits(10), NOW - 2 * hour: credits(5)}
    current = {NOW - 50 * hour: credits(7), NOW - 2 * hour: credits(8), NOW: credits(4)}
    new_spend, revised = changes.split_changes(current, seen, NOW - 90 * 60, "UTC")  # checked mid-hour
    assert new_spend == credits(3) + credits(4)
    assert [(day.day.isoformat(), day.change) for day in revised] == [("2026-11-25", -credits(3))]


# ---- the demo organization ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The seed-7 demo org and a cache of one sync of it (tests copy the file)."""
    org = DemoOrg(OrgSpec(seed=7), now=FIXED_NOW)
    server = StandinServer(org, port=0).start()
    path = tmp_path_factory.mktemp("alerts") / "template.sqlite"
    try:
        sync_in_process(server, path)
    finally:
        server.stop()
    return org, path


@pytest.fixture
def engine(demo, tmp_path):
    target = tmp_path / "cache.sqlite"
    shutil.copy(demo[1], target)
    engine = open_cache(target)
    yield engine
    engine.dispose()


def save(engine, rule: str, threshold: int | None = None, enabled: bool = True) -> None:
    with engine.begin() as connection:
        store.save_rule_setting(connection, RuleSetting(rule, enabled, threshold))


def test_demo_fires_its_runaway_and_cap_once(demo, engine):
    org = demo[0]
    fired = alerts.check_alerts(engine, NOW)
    assert f"runaway:{org.runaway_agent_id}" in keys(fired)
    assert any(key.startswith("cap:") and key.endswith(":reached") for key in keys(fired))
    assert alerts.check_alerts(engine, NOW + 60) == []
    with engine.connect() as connection:
        assert sorted(keys(store.recent_alerts(connection))) == sorted(keys(fired))


def test_demo_budget_fires_re_arms_when_raised_and_fires_again(engine):
    for rule in alerts.SPECS:
        save(engine, rule, enabled=rule == alerts.BUDGET, threshold=alerts.SPECS[rule].default_threshold)
    with engine.begin() as connection:
        store.save_budget(connection, ORG_BUDGET, credits(1000))
    assert [a.title for a in alerts.check_alerts(engine, NOW)] == ["Budget 100% reached: the organization"]
    with engine.begin() as connection:
        store.save_budget(connection, ORG_BUDGET, credits(1_000_000))
    assert alerts.check_alerts(engine, NOW + 60) == []
    with engine.connect() as connection:
        assert store.open_alert_keys(connection) == set()
    with engine.begin() as connection:
        store.save_budget(connection, ORG_BUDGET, credits(1000))
    assert len(alerts.check_alerts(engine, NOW + 120)) == 1
    with engine.connect() as connection:
        assert len(store.recent_alerts(connection)) == 2


def test_demo_low_balance_threshold_is_respected(engine):
    save(engine, alerts.LOW_BALANCE, credits(1))
    assert alerts.LOW_BALANCE not in {a.rule for a in alerts.check_alerts(engine, NOW)}
    save(engine, alerts.LOW_BALANCE, credits(1_000_000))
    found = [a for a in alerts.check_alerts(engine, NOW + 60) if a.rule == alerts.LOW_BALANCE]
    assert len(found) == 1 and "below your alert at 1,000,000 credits" in found[0].detail


def test_the_low_balance_threshold_is_the_rules_and_changing_it_keeps_the_rule_off(engine):
    with engine.connect() as connection:
        assert alerts.low_balance_threshold(connection) == billing.DEFAULT_LOW_BALANCE
    save(engine, alerts.LOW_BALANCE, credits(10), enabled=False)
    with engine.begin() as connection:
        store.save_rule_threshold(connection, alerts.LOW_BALANCE, credits(1_000_000))
        store.save_rule_threshold(connection, alerts.RUNAWAY, credits(3))  # never saved before: on
    with engine.connect() as connection:
        assert alerts.low_balance_threshold(connection) == credits(1_000_000)
        assert store.rule_settings(connection) == {
            alerts.LOW_BALANCE: RuleSetting(alerts.LOW_BALANCE, False, credits(1_000_000)),
            alerts.RUNAWAY: RuleSetting(alerts.RUNAWAY, True, credits(3))}
    assert alerts.LOW_BALANCE not in {a.rule for a in alerts.check_alerts(engine, NOW)}


def test_watch_names_the_organization_and_fires_once(engine):
    first = watch(engine, NOW)
    assert first.organization == "Kite & Key Learning" and first.alerts and first.changes is None
    assert watch(engine, NOW + 60).alerts == ()
    assert titled("Low balance", first.organization) == "Kite & Key Learning: Low balance"


def test_demo_sync_that_keeps_failing(engine):
    for second in range(3):
        with engine.begin() as connection:
            run = writes.start_run(connection, NOW + second)
            writes.finish_run(connection, run, NOW + second, "failed", 0, error="The API key was refused.")
    assert any(a.rule == alerts.SYNC_FAILING for a in alerts.check_alerts(engine, NOW + 10))
    with engine.begin() as connection:
        writes.finish_run(connection, writes.start_run(connection, NOW + 20), NOW + 20, "ok", 0)
    alerts.check_alerts(engine, NOW + 30)
    with engine.connect() as connection:
        assert "sync_failing" not in store.open_alert_keys(connection)


def total_spend(engine) -> int:
    with engine.connect() as connection:
        return sum(store.hourly_credits(connection).values())


def test_what_changed_after_the_demo_moves_on(demo, tmp_path):
    """30 hours later: new spend, new conversations, and earlier days revised by late lines and refunds."""
    later = FIXED_NOW + timedelta(hours=30)
    org = DemoOrg(OrgSpec(seed=7), now=FIXED_NOW)
    server = StandinServer(org, port=0).start()
    path = tmp_path / "cache.sqlite"
    try:
        sync_in_process(server, path)
        engine = open_cache(path)
        assert changes.check_changes(engine, NOW).since is None
        before = total_spend(engine)
        org.frozen = False  # the stand-in moves on by 30 hours, as a live one would
        org.advance(later)
        org.frozen = True
        sync_in_process(server, path)
        summary = changes.check_changes(engine, int(later.timestamp()))
        after = total_spend(engine)
        engine.dispose()
    finally:
        server.stop()
    assert summary.since == NOW and summary.new_spend > 0 and summary.new_conversations > 0
    assert summary.revised_days and all(day.day < later.date() for day in summary.revised_days)
    assert summary.new_spend + sum(day.change for day in summary.revised_days) == after - before
    assert summary.lines()[0].startswith("Since 27 Nov 2026")
