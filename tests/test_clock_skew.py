"""A machine clock far behind or ahead of the server's data: the texts, the forecast and the ranges stay sane.

One sync of the stand-in (data up to FIXED_NOW, the sync stamped at FIXED_NOW), then every
view is asked again with `now` moved by each skew, as a wrong computer clock would move it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from a2v2_desktop.api.client import ApiClient, Credentials, RetryPolicy
from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.cache.queries import last_successful_sync
from a2v2_desktop.domain.times import zone
from a2v2_desktop.insights import alerts, ranges, text
from a2v2_desktop.insights import forecast as fc
from a2v2_desktop.insights.analytics import AnalyticsRequest, build_analytics_view
from a2v2_desktop.insights.billing import BillingRequest, build_billing_view, load_billing
from a2v2_desktop.insights.usage import UsageRequest, build_usage_view
from a2v2_desktop.standin.generator import OrgSpec
from a2v2_desktop.standin.server import DEMO_API_KEY, DEMO_API_SECRET
from a2v2_desktop.sync.engine import SyncEngine
from tests.conftest import FIXED_NOW

SYNCED = int(FIXED_NOW.timestamp())
DAY = 86400
SKEWS = {"1 year behind": -365 * DAY, "3 days behind": -3 * DAY, "right": 0, "3 days ahead": 3 * DAY,
         "1 year ahead": 365 * DAY}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """The stand-in synced once, with the sync stamped at the server's own now."""
    from a2v2_desktop.standin.generator import DemoOrg
    from a2v2_desktop.standin.server import StandinServer

    path = tmp_path_factory.mktemp("skew") / "cache.sqlite"
    with StandinServer(DemoOrg(OrgSpec(seed=5, agents=4, members=3, days=120), now=FIXED_NOW), port=0) as server:
        engine = open_cache(path)
        with ApiClient(server.base_url, Credentials(DEMO_API_KEY, DEMO_API_SECRET),
                       retry=RetryPolicy(attempts=3, backoff_base=0.01)) as client:
            SyncEngine(client, engine, clock=lambda: SYNCED).run()
    yield engine
    engine.dispose()


def test_sync_stamped_at_the_servers_now(cache):
    with cache.connect() as connection:
        assert last_successful_sync(connection) == SYNCED


@pytest.mark.parametrize("skew", SKEWS.values(), ids=SKEWS.keys())
def test_synced_text_never_says_ago_of_a_future_sync(skew):
    said = text.synced_text(SYNCED, SYNCED + skew)
    assert said.startswith("Synced ") and " in " not in said
    if skew < 0:  # the sync looks later than now: name it instead of "just now" or "-3 days ago"
        assert said == f"Synced {text.moment_text(SYNCED)} (ahead of this computer's clock)"
    elif skew == 0:
        assert said == "Synced just now"
    else:
        assert said == f"Synced {skew // DAY} days ago"


def test_a_sync_a_few_seconds_ahead_is_still_just_now():
    assert text.synced_text(SYNCED + 30, SYNCED) == "Synced just now"


@pytest.mark.parametrize("skew", SKEWS.values(), ids=SKEWS.keys())
def test_forecast_ignores_the_machine_clock_and_stays_finite(cache, skew):
    with cache.connect() as connection:
        data = load_billing(connection)
    right = build_billing_view(data, BillingRequest(now=SYNCED))
    view = build_billing_view(data, BillingRequest(now=SYNCED + skew))
    assert view.forecast is not None and view.sentences == right.sentences  # the forecast starts at the server's as_of
    pace = view.forecast.pace
    assert pace.per_day >= 0 and pace.spread >= 0 and all(day >= 0 for day in pace.days)
    for outlook in view.forecast.outlooks:
        assert outlook.end > outlook.start and outlook.plan_left >= 0 and outlook.topup_left >= 0


@pytest.mark.parametrize("skew", SKEWS.values(), ids=SKEWS.keys())
def test_the_renewal_card_counts_from_no_earlier_than_the_servers_time(cache, skew):
    from a2v2_desktop.ui.panels.billing import NEXT, card_figures

    with cache.connect() as connection:
        view = build_billing_view(load_billing(connection), BillingRequest(now=SYNCED + skew))
    note = card_figures(view)[NEXT][1]
    days_left = fc.days_between(SYNCED, view.data.snapshot.period_end, zone(view.timezone))
    if skew <= 0:  # a clock behind the server cannot add days to the period
        assert note.startswith(f"{days_left:,} day")
    elif skew < days_left * DAY:
        assert note.startswith(f"{days_left - skew // DAY:,} day")
    else:  # by this clock the period has ended: say so rather than "renews today" for a year
        assert note.startswith("renewal has passed: sync to see the new period")


@pytest.mark.parametrize("skew", SKEWS.values(), ids=SKEWS.keys())
@pytest.mark.parametrize("preset", [p for p in ranges.PRESETS if p != ranges.CUSTOM])
def test_every_preset_covers_data_or_is_an_empty_range(cache, skew, preset):
    with cache.connect() as connection:
        view = build_usage_view(connection, UsageRequest(preset=preset, now=SYNCED + skew, timezone="Europe/Berlin"))
    assert view.has_usage and view.cards is not None  # the panel shows figures, or zeros for an empty range
    cards, chart = view.cards, view.chart
    assert cards.credits >= 0 and cards.elapsed_days >= 1
    assert view.span.first <= view.span.last
    if preset in ranges.BILLING_PRESETS or (skew == 0 and preset != ranges.TODAY):
        assert cards.credits > 0  # the billing period comes from the server, whatever the clock says
    if skew == 365 * DAY and preset not in ranges.BILLING_PRESETS:
        assert cards.credits == 0 and not any(chart.totals())  # a year ahead: nothing synced falls in range


@pytest.mark.parametrize("skew", SKEWS.values(), ids=SKEWS.keys())
def test_analytics_and_alerts_build_at_any_clock(cache, skew):
    now = SYNCED + skew
    with cache.connect() as connection:
        analytics = build_analytics_view(connection, AnalyticsRequest(preset=ranges.LAST_30_DAYS, now=now))
        facts = alerts.gather(connection, now, alerts.effective_settings({}))
    assert analytics.span.first <= analytics.span.last
    raised = alerts.conditions(facts, alerts.effective_settings({}))
    assert all(alert.title and alert.detail for alert in raised)
    assert facts.runway_days is None or facts.runway_days >= 0


def test_the_skews_are_what_their_names_say():
    assert FIXED_NOW + timedelta(seconds=SKEWS["3 days ahead"]) == FIXED_NOW + timedelta(days=3)
