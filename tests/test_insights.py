"""The Usage panel's computations without Qt: ranges, buckets, wording, runaway agents, view data."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from a2v2_desktop.api.client import ApiClient, Credentials
from a2v2_desktop.cache import queries
from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.domain.credits import SCALE
from a2v2_desktop.domain.times import local_day_bounds, zone
from a2v2_desktop.insights import ranges, text
from a2v2_desktop.insights.ranges import BillingPeriod, DateRange
from a2v2_desktop.insights.runaway import MIN_EXCESS, find_runaways, is_runaway, worst_windows
from a2v2_desktop.insights.usage import BucketIndex, UsageRequest, build_usage_view, sync_touches
from a2v2_desktop.standin.generator import DemoOrg, OrgSpec
from a2v2_desktop.standin.server import DEMO_API_KEY, DEMO_API_SECRET, StandinServer
from a2v2_desktop.sync.engine import SyncEngine

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
BERLIN = zone("Europe/Berlin")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The seed-7 demo synced over HTTP through the real sync engine, with a fixed clock."""
    org = DemoOrg(OrgSpec(seed=7), now=NOW)
    server = StandinServer(org, port=0).start()
    engine = open_cache(tmp_path_factory.mktemp("insights") / "cache.sqlite")
    try:
        with ApiClient(server.base_url, Credentials(DEMO_API_KEY, DEMO_API_SECRET)) as client:
            SyncEngine(client, engine).run()
    finally:
        server.stop()
    yield org, engine
    engine.dispose()


# -- ranges -------------------------------------------------------------------------------------

def test_presets_for_a_fixed_day():
    today = date(2026, 11, 27)
    expect = {
        ranges.TODAY: DateRange(today, today),
        ranges.LAST_7_DAYS: DateRange(date(2026, 11, 21), today),
        ranges.LAST_30_DAYS: DateRange(date(2026, 10, 29), today),
        ranges.LAST_90_DAYS: DateRange(date(2026, 8, 30), today),
        ranges.MONTH_TO_DATE: DateRange(date(2026, 11, 1), today),
        ranges.LAST_MONTH: DateRange(date(2026, 10, 1), date(2026, 10, 31)),
    }
    for preset, span in expect.items():
        assert ranges.preset_range(preset, today, BERLIN, None) == span
    assert ranges.preset_range(ranges.THIS_BILLING_PERIOD, today, BERLIN, None) is None
    assert ranges.preset_range(ranges.CUSTOM, today, BERLIN, None) is None


def test_billing_presets_follow_the_snapshot_and_never_share_a_day():
    period = BillingPeriod(int(datetime(2026, 11, 8, 10, tzinfo=timezone.utc).timestamp()),
                           int(datetime(2026, 12, 8, 10, tzinfo=timezone.utc).timestamp()))
    this = ranges.preset_range(ranges.THIS_BILLING_PERIOD, date(2026, 11, 27), BERLIN, period)
    last = ranges.preset_range(ranges.LAST_BILLING_PERIOD, date(2026, 11, 27), BERLIN, period)
    assert this == DateRange(date(2026, 11, 8), date(2026, 12, 7))
    assert last == DateRange(date(2026, 10, 8), date(2026, 11, 7))
    assert ranges.previous_billing_period(BillingPeriod(
        int(datetime(2026, 3, 31, tzinfo=timezone.utc).timestamp()),
        int(datetime(2026, 4, 30, tzinfo=timezone.utc).timestamp()))).start == \
        int(datetime(2026, 2, 28, tzinfo=timezone.utc).timestamp())


def test_previous_and_elapsed():
    span = DateRange(date(2026, 11, 8), date(2026, 12, 7))
    assert span.previous() == DateRange(date(2026, 10, 9), date(2026, 11, 7))
    assert span.elapsed(date(2026, 11, 27)) == DateRange(date(2026, 11, 8), date(2026, 11, 27))
    with pytest.raises(ValueError):
        DateRange(date(2026, 1, 2), date(2026, 1, 1))


def test_buckets_by_week_start_and_month():
    span = DateRange(date(2026, 11, 4), date(2026, 11, 20))  # a Wednesday to a Friday
    mondays = ranges.buckets(span, ranges.WEEK, week_start=1)
    assert [b.first for b in mondays] == [date(2026, 11, 4), date(2026, 11, 9), date(2026, 11, 16)]
    assert mondays[0].last == date(2026, 11, 8) and mondays[-1].last == date(2026, 11, 20)
    sundays = ranges.buckets(span, ranges.WEEK, week_start=7)
    assert [b.first.isoweekday() for b in sundays[1:]] == [7, 7]
    months = ranges.buckets(DateRange(date(2026, 1, 15), date(2026, 3, 3)), ranges.MONTH)
    assert months == [DateRange(date(2026, 1, 15), date(2026, 1, 31)), DateRange(date(2026, 2, 1), date(2026, 2, 28)),
                      DateRange(date(2026, 3, 1), date(2026, 3, 3))]
    assert ranges.auto_granularity(30) == ranges.DAY and ranges.auto_granularity(90) == ranges.WEEK
    assert sum(s.days for s in ranges.split_evenly(DateRange(date(2026, 1, 1), date(2026, 3, 31)), 12)) == 90


def test_a_dst_day_has_25_hours_and_each_hour_lands_on_its_local_day():
    day = date(2026, 10, 25)
    start, end = local_day_bounds(day, day, BERLIN)
    assert end - start == 25 * 3600
    index = BucketIndex(ranges.buckets(DateRange(day - timedelta(days=1), day + timedelta(days=1)), ranges.DAY), BERLIN)
    assert {index.of(hour) for hour in range(start, end, 3600)} == {1}
    assert index.of(start - 3600) == 0 and index.of(end) == 2


# -- wording ------------------------------------------------------------------------------------

def test_change_share_and_trend_text():
    assert text.change_text(150, 100) == "+50.0%" and text.change_text(50, 100) == "\u221250.0%"
    assert text.change_text(5, 0) == "new" and text.change_text(0, 0) == "—"
    assert text.share_text(1, 8) == "12.5%" and text.share_text(1, 0) == "—"
    assert text.sparkline([0, 4, 8, -1]) == "▁▄█▁" and text.sparkline([0, 0]) == "▁▁"
    assert text.credits_text(12_345_678) == "1,234.57"


def test_status_wording():
    assert text.synced_text(None, 100) == "Not synced yet"
    assert text.synced_text(1000, 1000 + 180) == "Synced 3 minutes ago"
    assert text.synced_text(1000, 1030) == "Synced just now"
    assert text.progress_text("usage", 41_000) == "Syncing usage… 41,000 records"
    assert text.progress_text("credit_transactions", 0) == "Syncing credit transactions…"
    assert text.waiting_text("Rate limited", 39.6) == "Rate limited — resuming in 40 s"
    cached = int(datetime(2026, 11, 24, 14, 2, tzinfo=timezone.utc).timestamp())
    assert text.failure_text("offline", "Cannot reach", cached, timezone.utc) == \
        "Offline — showing data cached on 24 Nov 2026, 14:02"
    assert text.failure_text("auth", "Bad key.", None) == "Sync failed — no data cached yet. Bad key."


# -- runaway agents -----------------------------------------------------------------------------

def test_runaway_needs_both_the_ratio_and_the_excess():
    assert is_runaway(5 * MIN_EXCESS, MIN_EXCESS // 2)
    assert not is_runaway(MIN_EXCESS // 2, 0)  # tiny agent, infinite ratio
    assert not is_runaway(3 * MIN_EXCESS, MIN_EXCESS)  # big excess, only 3x


def test_worst_window_slides_over_the_scan():
    hourly = [(3600 * h, "a", 10 * SCALE, 1) for h in range(100, 110)]
    assert worst_windows(hourly, 3600 * 105, 3600 * 140)["a"] == (100 * SCALE, 3600 * 110)


@given(st.lists(st.tuples(st.integers(90, 145), st.sampled_from("ab"), st.integers(0, 50)), max_size=60))
def test_worst_window_equals_summing_every_window(spend):
    """The running-total scan against the plain definition: each window summed, the earliest of equals."""
    hourly = [(3600 * hour, agent, credits, 1) for hour, agent, credits in spend]
    first_end, last_end = 3600 * 120, 3600 * 140
    expected = {}
    for agent in {agent for _hour, agent, _credits in spend}:
        for end in range(first_end, last_end + 1, 3600):
            spent = sum(c for h, a, c, _q in hourly if a == agent and end - 24 * 3600 <= h < end)
            if agent not in expected or spent > expected[agent][0]:
                expected[agent] = (spent, end)
    found = worst_windows(hourly, first_end, last_end)
    assert {agent: found[agent] for agent in expected} == expected


def test_the_demo_runaway_and_no_other_agent_is_caught(demo):
    org, engine = demo
    with engine.connect() as connection:
        found = find_runaways(connection, int(NOW.timestamp()))
    assert [r.agent_id for r in found] == [org.runaway_agent_id]
    assert found[0].ratio > 20 and found[0].excess > 50 * MIN_EXCESS


def test_no_runaway_a_month_earlier(demo):
    _org, engine = demo
    with engine.connect() as connection:
        assert find_runaways(connection, int((NOW - timedelta(days=30)).timestamp())) == []


# -- the view -----------------------------------------------------------------------------------

@pytest.mark.parametrize("preset", [ranges.LAST_30_DAYS, ranges.THIS_BILLING_PERIOD, ranges.LAST_90_DAYS])
def test_view_adds_up(demo, preset):
    _org, engine = demo
    with engine.connect() as connection:
        view = build_usage_view(connection, UsageRequest(preset, int(NOW.timestamp())))
        start, end = view.span.bounds(zone(view.timezone))
        credits, _ = queries.spend_total(connection, start, end)
    assert view.cards.credits == credits == sum(view.chart.totals()) == sum(r.credits for r in view.members)
    assert sum(r.credits for r in view.agents) == credits == sum(view.cards.pools.values())
    assert view.cards.seats.agents_in_use == 7 and view.cards.agent_limit == 8
    assert view.timezone == "Europe/Berlin" and view.organization == "Kite & Key Learning"


def test_view_for_one_agent(demo):
    org, engine = demo
    now = int(NOW.timestamp())
    with engine.connect() as connection:
        one = build_usage_view(connection, UsageRequest(ranges.LAST_7_DAYS, now, agent_id=org.runaway_agent_id))
        credits, _ = queries.spend_total(connection, *one.span.bounds(BERLIN), [org.runaway_agent_id])
    assert one.cards.credits == credits and [r.key for r in one.agents] == [org.runaway_agent_id]


def test_sync_touches_only_what_the_view_shows(demo):
    _org, engine = demo
    now = int(NOW.timestamp())
    with engine.connect() as connection:
        view = build_usage_view(connection, UsageRequest(ranges.LAST_7_DAYS, now))
    assert sync_touches(None, frozenset(), None)
    assert not sync_touches(view, frozenset({"conversations"}), None)
    assert sync_touches(view, frozenset({"usage"}), (now - 7200, now - 3600))
    assert not sync_touches(view, frozenset({"usage"}), (now - 400 * 86400, now - 300 * 86400))
