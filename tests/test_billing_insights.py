"""The Billing panel's numbers without Qt: forecast cases, warnings, and the rebuilt balance history
of the seed-7 demo organization against what the stand-in itself reports."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest
from sqlalchemy import update

from a2v2_desktop.cache import billing_queries
from a2v2_desktop.cache.billing_queries import CreditTx, Snapshot
from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.cache.models import BillingSnapshot
from a2v2_desktop.domain.credits import SCALE, parse_credits
from a2v2_desktop.domain.times import parse_rfc3339
from a2v2_desktop.insights import billing, forecast as fc
from a2v2_desktop.standin.generator import OrgSpec
from tests.test_sync_e2e import sync_in_process

UTC = timezone.utc
DAY, HOUR = 86400, 3600
AS_OF = int(datetime(2026, 11, 27, 12, tzinfo=UTC).timestamp())
RENEWAL = int(datetime(2026, 12, 8, 10, tzinfo=UTC).timestamp())
NEXT_RENEWAL = int(datetime(2027, 1, 8, 10, tzinfo=UTC).timestamp())


def credits(whole: int) -> int:
    return whole * SCALE


def snapshot(**changes) -> Snapshot:
    """An Enterprise-like snapshot as of AS_OF; auto-recharge off unless a test turns it on."""
    base = Snapshot(
        id=1, synced_at=AS_OF + 60, as_of=AS_OF, plan_id="plan_x", plan_name="Enterprise",
        plan_credits_per_period=credits(6000), agent_limit=8, member_limit=5,
        period_start=int(datetime(2026, 11, 8, 10, tzinfo=UTC).timestamp()), period_end=RENEWAL,
        plan_credits_remaining=credits(1200), topup_credits_remaining=0, credits_used_this_period=credits(4800),
        auto_recharge_enabled=False, auto_recharge_threshold=credits(100), auto_recharge_credits=credits(1000),
        auto_recharge_price_amount=2000, auto_recharge_price_currency="usd", auto_recharge_max_per_month=5,
        auto_recharge_used_this_month=0, auto_recharge_last_at=None, usage_seq=0, credit_transactions_seq=0,
    )
    return replace(base, **changes)


def steady(per_day: int, days: int = 30, end: int = AS_OF) -> list[tuple[int, int]]:
    """Hourly spend adding up to `per_day` whole credits every 24 hours."""
    return [(end - (i + 1) * HOUR, credits(per_day) // 24) for i in range(days * 24)]


def run(snap: Snapshot, hourly: list[tuple[int, int]], window: int = 14) -> tuple[fc.Forecast, tuple[str, ...]]:
    result = fc.forecast(snap, fc.measure_pace(hourly, snap.as_of, window))
    return result, fc.describe(result, UTC)


# ---- the forecast -------------------------------------------------------------------------------

def test_constant_burn_runs_the_plan_out_on_the_exact_day():
    result, sentences = run(snapshot(), steady(120))
    assert result.pace.per_day == credits(120) and result.pace.spread == 0
    now = result.outlooks[0]
    assert now.plan_out == AS_OF + 10 * DAY  # 1,200 credits at 120 a day
    assert now.turned_away == now.plan_out and now.recharges == ()
    assert sentences[0] == ("At the last 14 days' pace (about 120 credits a day), plan credits run out on 7 Dec, "
                            "1 day before renewal on 8 Dec.")
    assert "auto-recharge is off" in sentences[1] and "turned away" in sentences[1]


def test_zero_burn_says_nothing_runs_out():
    result, sentences = run(snapshot(), [])
    assert result.pace.per_day == 0
    assert all(o.plan_out is None and o.turned_away is None for o in result.outlooks)
    assert sentences == ("No credits were spent in the last 14 days: nothing runs out before renewal on 8 Dec.",)
    assert result.projection.pace.plan[-1] == credits(6000)  # refilled at renewal, nothing spent


def test_one_spike_does_not_set_the_pace():
    hourly = steady(120) + [(AS_OF - 5 * HOUR, credits(12_000))]
    pace = fc.measure_pace(hourly, AS_OF, 14)
    assert [spent for _end, spent in pace.capped] == [credits(12_120)]
    assert pace.days[0] == credits(360)  # counted as three typical days
    assert credits(120) < pace.per_day < credits(200)
    _result, sentences = run(snapshot(), hourly)
    assert sentences[-1].startswith("Unusual spend counts as 3× a typical day")


def test_a_quiet_stretch_long_ago_weighs_less_than_recent_days():
    hourly = steady(120, days=7) + [(h - 7 * DAY, c // 10) for h, c in steady(120, days=7)]
    pace = fc.measure_pace(hourly, AS_OF, 14)
    assert credits(84) < pace.per_day < credits(120) and pace.spread > 0  # above the plain mean of 66


def test_renewal_inside_the_horizon_refills_the_plan():
    snap = snapshot(plan_credits_remaining=credits(600), topup_credits_remaining=credits(50),
                    plan_credits_per_period=credits(3000))
    result, sentences = run(snap, steady(120))
    now, after = result.outlooks
    assert now.plan_out == AS_OF + 5 * DAY
    assert now.turned_away == AS_OF + 5 * DAY + 10 * HOUR  # the 50 top-up credits last 10 hours
    assert (after.start, after.end) == (RENEWAL, NEXT_RENEWAL)
    assert after.wallet == fc.Wallet(credits(3000), 0, 0)
    assert after.plan_out == RENEWAL + 25 * DAY
    times = result.projection.times
    assert result.projection.pace.plan[times.index(RENEWAL - 1)] == 0
    assert result.projection.pace.plan[times.index(RENEWAL)] == credits(3000)
    assert sentences[2] == ("After renewal, the 3,000 plan credits would last until 2 Jan, "
                            "6 days before renewal on 8 Jan; visitors would be turned away from 2 Jan.")


def test_auto_recharge_without_a_cap_covers_the_gap():
    snap = snapshot(auto_recharge_enabled=True, auto_recharge_max_per_month=None)
    result, sentences = run(snap, steady(120))
    now = result.outlooks[0]
    first = AS_OF + -(-(credits(1100) + 1) * DAY // credits(120))  # the balance falls below 100 credits
    assert now.recharges == (first,) and now.turned_away is None
    assert sentences[1] == "1 auto-recharge ($20.00) would cover the gap."
    assert now.topup_left == credits(1200 + 1000) - credits(120) * (RENEWAL - AS_OF) // DAY


def test_top_up_credits_then_auto_recharge():
    snap = snapshot(topup_credits_remaining=credits(300), auto_recharge_enabled=True)
    result, sentences = run(snap, steady(192))
    now = result.outlooks[0]
    assert now.topup_out == AS_OF + 1500 * DAY // 192 and len(now.recharges) == 1
    assert sentences[1] == "The 300.00 top-up credits last until 5 Dec; then 1 auto-recharge ($20.00) would cover the gap."
    _result, sentences = run(snap, steady(120))
    assert sentences[1] == "The 300.00 top-up credits would cover the gap."


def test_auto_recharge_with_a_cap_stops_and_visitors_are_turned_away():
    snap = snapshot(auto_recharge_enabled=True, auto_recharge_max_per_month=2, auto_recharge_used_this_month=1)
    result, sentences = run(snap, steady(360))
    now = result.outlooks[0]
    assert len(now.recharges) == 1
    assert now.turned_away == AS_OF + -(-credits(2200) * DAY // credits(360))
    assert sentences[1] == ("1 auto-recharge ($20.00) would reach the monthly cap of 2, and visitors would be "
                            "turned away from 3 Dec, 5 days before renewal.")
    warnings = billing.billing_warnings(snap, result, billing.DEFAULT_LOW_BALANCE, None, UTC)
    assert [w.kind for w in warnings] == [billing.CAP]
    assert "reaches its monthly cap of 2" in warnings[0].text and "turned away from 3 Dec" in warnings[0].text


def test_cap_already_reached():
    snap = snapshot(plan_credits_remaining=0, topup_credits_remaining=credits(300), auto_recharge_enabled=True,
                    auto_recharge_used_this_month=5)
    result, sentences = run(snap, steady(120))
    assert result.outlooks[0].turned_away == AS_OF + int(2.5 * DAY)
    assert sentences[0].endswith("plan credits are used up until renewal on 8 Dec.")
    assert "already used all 5 recharges this month" in sentences[1]
    kinds = [w.kind for w in billing.billing_warnings(snap, result, credits(500), None, UTC)]
    assert kinds == [billing.LOW_BALANCE, billing.CAP]


def test_already_at_zero():
    snap = snapshot(plan_credits_remaining=0, topup_credits_remaining=0)
    result, sentences = run(snap, steady(120))
    assert result.outlooks[0].turned_away == AS_OF
    assert sentences[0] == ("No credits are left and auto-recharge is off: visitors are being turned away "
                            "until renewal on 8 Dec.")
    kinds = [w.kind for w in billing.billing_warnings(snap, result, credits(500), None, UTC)]
    assert kinds == [billing.LOW_BALANCE, billing.RUNS_OUT]


def test_the_band_brackets_the_pace():
    hourly = [(h, c * (3 if (AS_OF - h) // DAY % 2 else 1)) for h, c in steady(100)]
    result, sentences = run(snapshot(), hourly)
    now, slower, faster = result.outlooks[0], result.slower[0], result.faster[0]
    assert result.pace.spread > 0
    assert faster.plan_out < now.plan_out < slower.plan_out
    assert "(likely " in sentences[0]
    band = result.projection
    assert all(f <= p <= s for f, p, s in zip(band.faster.plan, band.pace.plan, band.slower.plan))


def test_snapshot_after_its_renewal_gives_no_forecast():
    snap = snapshot(as_of=RENEWAL + HOUR)
    assert fc.forecast(snap, fc.measure_pace([], snap.as_of, 14)) is None


def test_recharge_turned_off_since_an_earlier_snapshot():
    earlier = snapshot(id=1, auto_recharge_enabled=True)
    now = snapshot(id=2, auto_recharge_enabled=False)
    kinds = [w.kind for w in billing.billing_warnings(now, None, 0, earlier, UTC)]
    assert kinds == [billing.RECHARGE_OFF]
    assert billing.billing_warnings(now, None, 0, None, UTC) == ()


def test_money_and_rates():
    assert fc.money_text(4000, "usd") == "$40.00"
    assert fc.money_text(123450, "eur") == "€1,234.50"
    assert fc.money_text(1000, "jpy") == "1,000 JPY"
    assert fc.money_text(1200, "chf") == "12.00 CHF"
    assert fc.AutoRecharge.from_snapshot(snapshot()).rate_text() == "$20.00 per 1,000 credits"


# ---- the ledger ------------------------------------------------------------------------------------

def tx(seq, at, kind, pool, whole, paid=None) -> CreditTx:
    return CreditTx(seq, at, kind, pool, credits(whole), paid, "usd" if paid else None, None)


def test_history_applies_each_hour_at_its_end_and_draws_jumps():
    start = AS_OF - 2 * DAY
    ledger = [tx(1, start, "period_grant", "plan", 100), tx(2, start + DAY, "period_expiry", "plan", -90),
              tx(3, start + DAY, "period_grant", "plan", 100), tx(4, start + DAY + 1800, "auto_recharge", "topup", 50, 2000)]
    hourly = [(start, credits(10), 0, credits(10)), (start + DAY, 0, credits(5), credits(5))]
    points = billing.balance_history(ledger, hourly, until=AS_OF)
    assert [(p.at - start, p.plan // SCALE, p.topup // SCALE) for p in points] == [
        (0, 0, 0), (0, 100, 0), (HOUR, 90, 0), (DAY, 100, 0), (DAY + 1800, 100, 50), (DAY + HOUR, 100, 45),
        (2 * DAY, 100, 45)]
    kinds = [(m.at - start, m.kind) for m in billing.markers(ledger)]
    assert kinds == [(0, billing.PERIOD), (DAY, billing.PERIOD), (DAY + 1800, "auto_recharge")]


def test_snapshot_checks_count_records_up_to_the_cursors():
    ledger = [tx(1, AS_OF - DAY, "period_grant", "plan", 100)]
    tail = billing.UsageTail(0, {}, ((1, AS_OF - 3 * HOUR, "plan", credits(10)), (2, AS_OF - 2 * HOUR, "plan", credits(5)),
                             (3, AS_OF + HOUR, "plan", credits(7))))
    agree = snapshot(id=1, plan_credits_remaining=credits(90), usage_seq=1, credit_transactions_seq=1)
    # stored with cursor 1, but the platform had already counted seq 2: timing, explained by the next sync
    timing = snapshot(id=2, plan_credits_remaining=credits(85), usage_seq=1, credit_transactions_seq=1)
    wrong = snapshot(id=3, plan_credits_remaining=credits(80), usage_seq=2, credit_transactions_seq=1)
    latest = snapshot(id=4, as_of=AS_OF + 2 * HOUR, plan_credits_remaining=credits(70), usage_seq=3,
                      credit_transactions_seq=1)
    found = billing.check_snapshots([agree, timing, wrong, latest], ledger, tail)
    assert [(d.snapshot_id, d.pool, d.reconstructed // SCALE, d.recorded // SCALE, d.pending) for d in found] == [
        (3, "plan", 85, 80, False), (4, "plan", 78, 70, True)]


def test_demo_org_rebuilt_from_the_ledger_equals_the_platforms_balance(standin, cache_path):
    """Seed 7 at a fixed clock, synced over HTTP: the rebuilt pools end where billing() says, every snapshot agrees."""
    server = standin(OrgSpec(seed=7))
    sync_in_process(server, cache_path)
    sync_in_process(server, cache_path)  # a second snapshot with nothing new
    served = server.org.billing()
    engine = open_cache(cache_path)
    try:
        with engine.connect() as connection:
            data = billing.load_billing(connection)
        last = data.history[-1]
        assert last.at == parse_rfc3339(served["as_of"])
        assert last.plan == parse_credits(served["balance"]["plan_credits_remaining"])
        assert last.topup == parse_credits(served["balance"]["topup_credits_remaining"])
        assert len(data.snapshots) == 2 and data.disagreements == ()
        period_start = parse_rfc3339(served["period"]["start"])
        assert sum(billing.period_spend(data.hourly, period_start, 2 ** 62).values()) == \
            parse_credits(served["balance"]["credits_used_this_period"])
        grants = [m for m in data.markers if m.kind == billing.PERIOD]
        assert len(grants) == 5 and sum(1 for m in data.markers if m.kind == "auto_recharge") == 6
        # stored as if the usage cursor lagged 100 records behind the balance: timing, not a disagreement
        lagging = update(BillingSnapshot).where(BillingSnapshot.id == 1).values(usage_seq=BillingSnapshot.usage_seq - 100)
        wrong = update(BillingSnapshot).where(BillingSnapshot.id == 1).values(
            topup_credits_remaining=BillingSnapshot.topup_credits_remaining + 1)
        for statement, expected in ((lagging, []), (wrong, [(1, "topup", False)])):  # the plan was 0 throughout
            with engine.begin() as connection:
                connection.execute(statement)
            with engine.connect() as connection:
                found = billing.load_billing(connection).disagreements
            assert [(d.snapshot_id, d.pool, d.pending) for d in found] == expected
    finally:
        engine.dispose()


def test_demo_org_forecast_sentences(standin, cache_path):
    sync_in_process(standin(OrgSpec(seed=7)), cache_path)
    engine = open_cache(cache_path)
    try:
        with engine.connect() as connection:
            view = billing.read_billing_view(connection, billing.BillingRequest(now=AS_OF))
            assert billing_queries.last_enabled_snapshot(connection).id == 1
    finally:
        engine.dispose()
    assert view.timezone == "Europe/Berlin"
    assert view.sentences[0].startswith("At the last 14 days' pace (about ")
    assert view.sentences[0].endswith("plan credits are used up until renewal on 8 Dec.")
    assert "auto-recharge has already used all 5 recharges this month" in view.sentences[1]
    assert [w.kind for w in view.warnings] == [billing.CAP]


@pytest.mark.parametrize("window", [fc.MIN_WINDOW_DAYS, 7, 30, fc.MAX_WINDOW_DAYS])
def test_every_window_gives_a_forecast(window):
    result, sentences = run(snapshot(), steady(120, days=120), window)
    assert result.pace.per_day == credits(120) and sentences
