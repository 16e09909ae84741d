"""Agent Analytics view data against expectations computed by hand from the generator's feeds.

A small organization (seed 11, 4 agents, 14 days, America/Sao_Paulo) is synced once
through the stand-in over HTTP; every expected figure below is recomputed from
`org.feeds[...]` with plain Python (datetime, zoneinfo, Fraction), never with the
cache or insights code. Edge cases use small hand-built rows.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.cache.models import (
    Agent,
    ConversationRow,
    FeedCursor,
    Organization,
    SubscriptionRow,
    TransactionRow,
    UsageLine,
)
from a2v2_desktop.domain.credits import SCALE, parse_credits
from a2v2_desktop.insights import ranges
from a2v2_desktop.insights.analytics import ARCHIVED, AnalyticsRequest, build_analytics_view
from a2v2_desktop.insights.analytics_base import PERCENT, SECONDS, Kpi, kpi_change_text, kpi_text
from a2v2_desktop.insights.answer_quality import group_questions, neutralize, normalize_question, questions_csv
from a2v2_desktop.insights.money import money_text, monies_text
from a2v2_desktop.standin.generator import DemoOrg
from a2v2_desktop.standin.server import StandinServer
from tests.test_sync_e2e import SMALL, sync_in_process

UTC = timezone.utc
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
NOW_EPOCH = int(NOW.timestamp())


# -- the synced small organization ---------------------------------------------------------------

@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    org = DemoOrg(SMALL, now=NOW)
    server = StandinServer(org, port=0).start()
    path = tmp_path_factory.mktemp("analytics") / "cache.sqlite"
    try:
        sync_in_process(server, path)
    finally:
        server.stop()
    engine = open_cache(path)
    yield org, engine
    engine.dispose()


def view_for(engine, preset=ranges.LAST_7_DAYS, agent_id=None, **options):
    with engine.connect() as connection:
        return build_analytics_view(connection, AnalyticsRequest(preset, NOW_EPOCH, agent_id, **options))


def current(feed) -> list[dict]:
    best = {}
    for record in feed:
        if record["id"] not in best or record["seq"] > best[record["id"]]["seq"]:
            best[record["id"]] = record
    return list(best.values())


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def day_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[int, int]:
    start = datetime(first.year, first.month, first.day, tzinfo=tz)
    after = last + timedelta(days=1)
    return int(start.timestamp()), int(datetime(after.year, after.month, after.day, tzinfo=tz).timestamp())


def org_zone(org) -> ZoneInfo:
    return ZoneInfo(org.organization["timezone"])


def last_days(org, days: int, before: int = 0) -> tuple[date, date]:
    """The local dates of "Last N days" (shifted `before` periods back)."""
    today = NOW.astimezone(org_zone(org)).date()
    last = today - timedelta(days=days * before)
    return last - timedelta(days=days - 1), last


def conversations(org, agent_id):
    return [c for c in current(org.feeds["conversations"]) if c["agent_id"] == agent_id]


def expected_overview(org, agent_id, start, end) -> dict:
    """The seven KPIs, straight from their definitions."""
    mine = conversations(org, agent_id)
    new = [c for c in mine if start <= epoch(c["started_at"]) < end]
    active = [c for c in mine if epoch(c["started_at"]) < end and epoch(c["last_activity_at"]) >= start]
    visitors = {c["visitor_id"] for c in active}
    user = sum(c["visitor_messages"] for c in new)
    agent = sum(c["agent_messages"] for c in new)
    waited = sum(c["response_ms_total"] for c in new)
    return {
        "New conversations": len(new),
        "Active conversations": len(active),
        "Unique visitors": len(visitors),
        "Total user messages": user,
        "Avg. messages per conversation": Fraction(user + agent, len(new)) if new else None,
        "Avg. conversations per visitor": Fraction(len(active), len(visitors)) if visitors else None,
        "Avg. response time": Fraction(waited, 1000 * agent) if agent else None,
    }


def agent_ids(org) -> list[str]:
    return [a["id"] for a in org.agents]


# -- Overview --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("preset,days", [(ranges.LAST_7_DAYS, 7), (ranges.LAST_30_DAYS, 30)])
def test_overview_kpis_and_previous_period_match_the_feeds(synced, preset, days):
    org, engine = synced
    tz = org_zone(org)
    now_bounds = day_bounds(*last_days(org, days), tz)
    before_bounds = day_bounds(*last_days(org, days, before=1), tz)
    for agent_id in agent_ids(org):
        view = view_for(engine, preset, agent_id)
        assert view.agent.id == agent_id
        got = {k.title: (k.current, k.previous) for k in view.overview.kpis}
        now, before = expected_overview(org, agent_id, *now_bounds), expected_overview(org, agent_id, *before_bounds)
        assert got == {title: (now[title], before[title]) for title in now}


def test_the_runaway_agent_has_conversations_in_both_periods(synced):
    """Guards the test data: the comparison above must compare real numbers, not zeros."""
    org, engine = synced
    kpis = {k.title: k for k in view_for(engine, agent_id=org.runaway_agent_id).overview.kpis}
    assert kpis["New conversations"].current > 1000 and kpis["New conversations"].previous > 0
    assert kpis["Active conversations"].current >= kpis["New conversations"].current


def test_daily_series_are_counts_per_local_day(synced):
    org, engine = synced
    tz = org_zone(org)
    agent_id = org.runaway_agent_id
    view = view_for(engine, ranges.LAST_7_DAYS, agent_id)
    mine = conversations(org, agent_id)
    assert [b.first for b in view.buckets] == [b.last for b in view.buckets]  # one bucket per day
    for position, bucket in enumerate(view.buckets):
        start, end = day_bounds(bucket.first, bucket.last, tz)
        new = [c for c in mine if start <= epoch(c["started_at"]) < end]
        active = [c for c in mine if epoch(c["started_at"]) < end and epoch(c["last_activity_at"]) >= start]
        assert view.overview.new[position] == len(new)
        assert view.overview.active[position] == len(active)
        assert view.overview.user_messages[position] == sum(c["visitor_messages"] for c in new)
    kpis = {k.title: k.current for k in view.overview.kpis}
    assert sum(view.overview.user_messages) == kpis["Total user messages"]
    assert sum(view.overview.new) == kpis["New conversations"]


def test_weekly_and_monthly_buckets_add_up_to_the_days(synced):
    org, engine = synced
    agent_id = org.runaway_agent_id
    daily = view_for(engine, ranges.LAST_30_DAYS, agent_id)
    for granularity in (ranges.WEEK, ranges.MONTH):
        coarse = view_for(engine, ranges.LAST_30_DAYS, agent_id, granularity=granularity)
        for position, bucket in enumerate(coarse.buckets):
            days = [i for i, d in enumerate(daily.buckets) if bucket.first <= d.first <= bucket.last]
            assert coarse.overview.new[position] == sum(daily.overview.new[i] for i in days)
        assert coarse.buckets[0].first == daily.buckets[0].first and coarse.buckets[-1].last == daily.buckets[-1].last


def test_busiest_hours_count_starts_by_local_weekday_and_hour(synced):
    org, engine = synced
    tz = org_zone(org)
    agent_id = org.runaway_agent_id
    start, end = day_bounds(*last_days(org, 30), tz)
    expected = Counter()
    for c in conversations(org, agent_id):
        if start <= epoch(c["started_at"]) < end:
            local = datetime.fromtimestamp(epoch(c["started_at"]), tz)
            expected[(local.weekday(), local.hour)] += 1
    grid = view_for(engine, ranges.LAST_30_DAYS, agent_id).overview.busiest
    assert {(d, h): n for d, row in enumerate(grid) for h, n in enumerate(row) if n} == dict(expected)


def test_busiest_hours_follow_the_chosen_zone_half_hour_offsets_included(synced):
    org, engine = synced
    agent_id = org.runaway_agent_id
    kolkata = ZoneInfo("Asia/Kolkata")
    view = view_for(engine, ranges.CUSTOM, agent_id, timezone="Asia/Kolkata",
                    custom=ranges.DateRange(*last_days(org, 30)))
    start, end = view.span.bounds(kolkata)
    expected = Counter()
    for c in conversations(org, agent_id):
        if start <= epoch(c["started_at"]) < end:
            local = datetime.fromtimestamp(epoch(c["started_at"]), kolkata)
            expected[(local.weekday(), local.hour)] += 1
    grid = view.overview.busiest
    assert {(d, h): n for d, row in enumerate(grid) for h, n in enumerate(row) if n} == dict(expected)


def test_channels_and_countries(synced):
    org, engine = synced
    agent_id = org.runaway_agent_id
    start, end = day_bounds(*last_days(org, 7), org_zone(org))
    new = [c for c in conversations(org, agent_id) if start <= epoch(c["started_at"]) < end]
    overview = view_for(engine, ranges.LAST_7_DAYS, agent_id).overview
    assert dict(overview.channels) == Counter(c["channel"] or "Unknown" for c in new)
    assert dict(overview.countries) == Counter(c["country"] or "Unknown" for c in new)
    assert [n for _k, n in overview.countries] == sorted((n for _k, n in overview.countries), reverse=True)


# -- the agent list ----------------------------------------------------------------------------------------

def test_agent_list_groups_and_figures(synced):
    org, engine = synced
    tz = org_zone(org)
    start, end = day_bounds(*last_days(org, 7), tz)
    view = view_for(engine)
    usage = defaultdict(int)
    for line in current(org.feeds["usage"]):
        if start <= epoch(line["hour"]) < end:
            usage[line["agent_id"]] += parse_credits(line["credits"])
    started = Counter(c["agent_id"] for c in current(org.feeds["conversations"])
                      if start <= epoch(c["started_at"]) < end)
    deleted = {a["id"] for a in org.agents if a["status"] == "deleted"}
    assert {e.id: (e.credits, e.conversations) for e in view.agents} == \
        {a["id"]: (usage[a["id"]], started[a["id"]]) for a in org.agents}
    assert [e.group for e in view.agents] == ["Active"] * (len(org.agents) - len(deleted)) + [ARCHIVED] * len(deleted)
    active = [e.name for e in view.agents if e.group == "Active"]
    assert active == sorted(active, key=str.casefold)
    assert view.agent == view.agents[0]  # nothing asked for: the first agent


# -- Answer quality ----------------------------------------------------------------------------------------

def _normal(question: str) -> str:
    """Normalization spelled out independently: casefold, one space, no punctuation or space at the ends."""
    text = " ".join(question.casefold().split())
    while text and (text[0].isspace() or unicodedata.category(text[0]).startswith("P")):
        text = text[1:]
    while text and (text[-1].isspace() or unicodedata.category(text[-1]).startswith("P")):
        text = text[:-1]
    return text


def test_answer_quality_figures(synced):
    org, engine = synced
    tz = org_zone(org)
    agent_id = org.runaway_agent_id
    view = view_for(engine, ranges.LAST_7_DAYS, agent_id)
    for which, bounds in ((0, day_bounds(*last_days(org, 7), tz)), (1, day_bounds(*last_days(org, 7, 1), tz))):
        new = [c for c in conversations(org, agent_id) if bounds[0] <= epoch(c["started_at"]) < bounds[1]]
        up, down = sum(c["feedback_up"] for c in new), sum(c["feedback_down"] for c in new)
        asked = [q for q in current(org.feeds["unanswered_questions"])
                 if q["agent_id"] == agent_id and bounds[0] <= epoch(q["asked_at"]) < bounds[1]]
        expected = {
            "Unanswered replies": Fraction(sum(c["unanswered"] for c in new), sum(c["agent_messages"] for c in new)),
            "Unanswered questions": len(asked),
            "Thumbs up": up, "Thumbs down": down, "Positive feedback": Fraction(up, up + down),
        }
        got = {k.title: (k.current, k.previous)[which] for k in view.quality.kpis}
        assert got == expected
    quality = view.quality
    start, end = view.span.bounds(tz)
    assert sum(quality.unanswered) == sum(c["unanswered"] for c in conversations(org, agent_id)
                                          if start <= epoch(c["started_at"]) < end)
    for share, missed, replies in zip(quality.unanswered_share, quality.unanswered, quality.replies):
        assert share == (Fraction(missed, replies) if replies else None)


def test_unanswered_questions_are_grouped_by_normalized_text(synced):
    org, engine = synced
    tz = org_zone(org)
    agent_id = org.runaway_agent_id
    start, end = day_bounds(*last_days(org, 30), tz)
    asked = [q for q in current(org.feeds["unanswered_questions"])
             if q["agent_id"] == agent_id and start <= epoch(q["asked_at"]) < end]
    groups = defaultdict(list)
    for q in asked:
        groups[_normal(q["question"])].append(q)
    got = {g.key: g for g in view_for(engine, ranges.LAST_30_DAYS, agent_id).quality.questions}
    assert set(got) == set(groups)
    for key, questions in groups.items():
        group = got[key]
        assert group.count == len(questions)
        assert group.first_asked == min(epoch(q["asked_at"]) for q in questions)
        assert group.last_asked == max(epoch(q["asked_at"]) for q in questions)
        assert set(group.conversation_ids) == {q["conversation_id"] for q in questions if q["conversation_id"]}
        assert group.text in {q["question"] for q in questions}
    assert len(got) < len(asked)  # case and spacing variants really were merged


def test_a_hostile_question_is_kept_verbatim(synced):
    org, engine = synced
    hostile = next(q for q in current(org.feeds["unanswered_questions"]) if q["question"].startswith("<img"))
    questions = view_for(engine, ranges.LAST_30_DAYS, hostile["agent_id"]).quality.questions
    assert hostile["question"] in {g.text for g in questions}


def test_question_normalization_edge_cases():
    assert normalize_question("  Do  you ship to Switzerland ?\n") == "do you ship to switzerland"
    assert normalize_question("DO YOU SHIP TO SWITZERLAND?") == "do you ship to switzerland"
    assert normalize_question("¿Dónde está mi pedido?") == "dónde está mi pedido"
    assert normalize_question("(Really?!)") == "really"
    assert normalize_question("<b>hi</b>") == "<b>hi</b>"  # symbols are not punctuation
    assert normalize_question("Straße…") == "strasse"
    assert normalize_question("?!") == ""


def test_question_groups_pick_the_most_common_wording():
    from a2v2_desktop.cache.analytics_queries import Question

    questions = [Question("q1", "c1", 100, "Refund?"), Question("q2", None, 50, "refund"),
                 Question("q3", "c2", 300, "refund"), Question("q4", "c1", 200, "Other")]
    refund, other = group_questions(questions)
    assert (refund.key, refund.text, refund.count, refund.first_asked, refund.last_asked) == \
        ("refund", "refund", 3, 50, 300)
    assert refund.conversation_ids == ("c1", "c2")
    assert other.count == 1


def test_csv_export_neutralizes_formulas_and_keeps_full_text():
    from a2v2_desktop.cache.analytics_queries import Question

    hostile = '=HYPERLINK("http://x","click")'
    groups = group_questions([Question("1", "c9", 0, hostile), Question("2", None, 60, "-2+3"),
                              Question("3", None, 120, "@SUM(A1)"), Question("4", None, 180, "+1 is it free?"),
                              Question("5", None, 240, "line one\nline two")])
    rows = list(csv.reader(io.StringIO(questions_csv(groups, ZoneInfo("UTC")))))
    assert rows[0] == ["Question", "Times asked", "First asked", "Last asked", "Conversations"]
    cells = {row[0] for row in rows[1:]}
    assert cells == {"'" + hostile, "'-2+3", "'@SUM(A1)", "'+1 is it free?", "line one\nline two"}
    assert ["'" + hostile, "1", "1970-01-01 00:00", "1970-01-01 00:00", "c9"] in rows
    assert neutralize("\tx") == "'\tx" and neutralize("ok") == "ok"


# -- Cost --------------------------------------------------------------------------------------------------

def test_cost_figures(synced):
    org, engine = synced
    tz = org_zone(org)
    agent_id = org.runaway_agent_id
    first, last = last_days(org, 7)
    start, end = day_bounds(first, last, tz)
    view = view_for(engine, ranges.LAST_7_DAYS, agent_id)
    lines = [u for u in current(org.feeds["usage"]) if start <= epoch(u["hour"]) < end]
    mine = [u for u in lines if u["agent_id"] == agent_id]
    credits = sum(parse_credits(u["credits"]) for u in mine)
    new = [c for c in conversations(org, agent_id) if start <= epoch(c["started_at"]) < end]
    conversation_credits = sum(parse_credits(c["credits"]) for c in new)
    answered = sum(c["agent_messages"] - c["unanswered"] for c in new)
    got = {k.title: k.current for k in view.cost.kpis}
    assert got == {
        "Credits used": credits,
        "Share of organization's spend": Fraction(credits, sum(parse_credits(u["credits"]) for u in lines)),
        "Credits per conversation": Fraction(conversation_credits, len(new)),
        "Credits per answered message": Fraction(conversation_credits, answered),
    }
    per_day = defaultdict(lambda: defaultdict(int))
    by_model = defaultdict(int)
    for u in mine:
        per_day[datetime.fromtimestamp(epoch(u["hour"]), tz).date()][u["activity"]] += parse_credits(u["credits"])
        by_model[u["model"] or "Other activities"] += parse_credits(u["credits"])
    for position, bucket in enumerate(view.buckets):
        assert {a: v[position] for a, v in view.cost.by_activity.items() if v[position]} == \
            {a: v for a, v in per_day[bucket.first].items() if v}
    assert {m: sum(v) for m, v in view.cost.by_model.items()} == dict(by_model)
    assert sum(view.cost.credits) == credits


def test_only_the_runaway_agent_is_flagged(synced):
    org, engine = synced
    for agent_id in agent_ids(org):
        runaway = view_for(engine, agent_id=agent_id).cost.runaway
        assert (runaway is not None) == (agent_id == org.runaway_agent_id)


def test_cost_is_valued_at_the_latest_auto_recharge_price(synced):
    org, engine = synced
    view = view_for(engine, agent_id=org.runaway_agent_id)
    price = org.billing()["auto_recharge"]
    rate = view.cost.rate
    assert (rate.amount, rate.currency, rate.credits, rate.from_billing) == \
        (price["price_per_recharge"]["amount"], "usd", parse_credits(price["credits_per_recharge"]), True)
    credits = view.cost.kpis[0].current
    assert rate.value(credits) == Fraction(credits * 2000, 1000 * SCALE)  # $20.00 per 1,000 credits


# -- Subscriptions -----------------------------------------------------------------------------------------

def paid_agents(org) -> list[str]:
    return [a["id"] for a in org.agents if a["paid_access"]["enabled"]]


def test_subscriptions_of_paid_agents(synced):
    org, engine = synced
    tz = org_zone(org)
    start, end = day_bounds(*last_days(org, 7), tz)
    for agent_id in paid_agents(org):
        view = view_for(engine, ranges.LAST_7_DAYS, agent_id)
        paid = view.paid
        subs = [s for s in current(org.feeds["subscriptions"]) if s["agent_id"] == agent_id]
        txns = [t for t in current(org.feeds["transactions"]) if t["agent_id"] == agent_id]
        in_range = [t for t in txns if start <= epoch(t["created_at"]) < end and t["status"] == "succeeded"]
        gross = sum(t["amount"]["amount"] for t in in_range if t["kind"] == "charge")
        fees = sum(t["fee"]["amount"] for t in in_range if t["fee"])
        (usd,) = paid.revenue
        assert (usd.currency, usd.total("gross"), usd.total("refunds"), usd.total("fees"), usd.total("net")) == \
            ("usd", gross, 0, fees, gross - fees)

        def subscribed(moment):
            return [s for s in subs if epoch(s["started_at"]) < moment
                    and (s["canceled_at"] is None or epoch(s["canceled_at"]) >= moment)]

        charged = {t["subscription_id"] for t in txns if t["kind"] == "charge" and t["status"] == "succeeded"
                   and epoch(t["created_at"]) < end}
        months = {"month": Fraction(1), "year": Fraction(1, 12)}
        mrr = sum(s["price"]["amount"] * months[s["interval"]] for s in subscribed(end) if s["id"] in charged)
        assert paid.mrr == {"usd": mrr}
        kpis = {k.title: k.current for k in paid.kpis}
        assert kpis["Active subscribers"] == len(subscribed(end))
        assert kpis["New subscribers"] == sum(start <= epoch(s["started_at"]) < end for s in subs)
        assert paid.subscribers[-1] == len(subscribed(end))
        assert [t.id for t in paid.transactions] == [t["id"] for t in sorted(
            (t for t in txns if start <= epoch(t["created_at"]) < end), key=lambda t: (t["created_at"], t["id"]),
            reverse=True)]
        assert paid.enabled and paid.offer.endswith(f"USD / {org_agent(org, agent_id)['paid_access']['interval']}")


def org_agent(org, agent_id):
    return next(a for a in org.agents if a["id"] == agent_id)


def test_an_agent_without_paid_access_has_nothing_to_show(synced):
    org, engine = synced
    paid = view_for(engine, agent_id=org.runaway_agent_id).paid
    assert not paid.enabled and not paid.has_history and not paid.shown and paid.revenue == ()


# -- edge cases on hand-built rows ----------------------------------------------------------------------

BERLIN = "Europe/Berlin"
HAND_NOW = int(datetime(2026, 10, 31, 12, tzinfo=UTC).timestamp())
BASE = dict(visitor_messages=0, agent_messages=0, unanswered=0, response_ms_total=0, feedback_up=0,
            feedback_down=0, credits=None, channel=None, country=None)


def at(text: str, tz: str = BERLIN) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).timestamp())


@pytest.fixture
def hand_built(tmp_path):
    """A cache with rows inserted directly: `hand_built(table=[rows], ...)` returns the engine."""
    engine = open_cache(tmp_path / "hand.sqlite")
    models = {"agents": Agent, "conversations": ConversationRow, "subscriptions": SubscriptionRow,
              "transactions": TransactionRow, "usage": UsageLine}

    def fill(**tables):
        with engine.begin() as connection:
            connection.execute(insert(Organization), [dict(id="org", name="Hand", timezone=BERLIN, created_at=0)])
            connection.execute(insert(FeedCursor), [dict(feed=f, after_seq=1, updated_at=0) for f in (
                "usage", "conversations", "unanswered_questions", "credit_transactions", "subscriptions",
                "transactions")])
            for name, rows in tables.items():
                connection.execute(insert(models[name]), rows)
        return engine

    yield fill
    engine.dispose()


def agent(agent_id="a1", name="Agent", status="active", **paid):
    return dict(id=agent_id, name=name, model=None, model_tier=None, status=status, created_at=0, deleted_at=None,
                paid_access_enabled=bool(paid), paid_price_amount=paid.get("amount"),
                paid_price_currency=paid.get("currency"), paid_interval=paid.get("interval"))


def conversation(cid, started, last, visitor="v1", **fields):
    return dict(BASE, id=cid, seq=1, agent_id="a1", visitor_id=visitor, started_at=started, last_activity_at=last,
                **fields)


def hand_view(engine, first: date, last: date, agent_id="a1", **options):
    with engine.connect() as connection:
        return build_analytics_view(connection, AnalyticsRequest(
            ranges.CUSTOM, HAND_NOW, agent_id, custom=ranges.DateRange(first, last), **options))


def test_active_conversations_include_ones_started_earlier_and_the_edges(hand_built):
    start, end = at("2026-10-20T00:00"), at("2026-10-21T00:00")
    engine = hand_built(agents=[agent()], conversations=[
        conversation("before", start - 86400, start, "v1"),  # last active exactly at the start: active
        conversation("ended", start - 86400, start - 1, "v2"),  # ended a second before: not active
        conversation("inside", start + 10, start + 20, "v1", visitor_messages=3, agent_messages=2,
                     response_ms_total=3000),
        conversation("at-end", end, end + 5, "v3"),  # starts at the (exclusive) end: neither
    ])
    kpis = {k.title: k.current for k in hand_view(engine, date(2026, 10, 20), date(2026, 10, 20)).overview.kpis}
    assert kpis == {"New conversations": 1, "Active conversations": 2, "Unique visitors": 1, "Total user messages": 3,
                    "Avg. messages per conversation": 5, "Avg. conversations per visitor": 2,
                    "Avg. response time": Fraction(3, 2)}


def test_a_conversation_spanning_days_is_active_on_each_and_dst_days_are_whole(hand_built):
    """25 Oct 2026 has 25 hours in Berlin; a start at 23:30 that day still belongs to it."""
    engine = hand_built(agents=[agent()], conversations=[
        conversation("long", at("2026-10-24T23:00"), at("2026-10-26T00:10")),
        conversation("late", at("2026-10-25T23:30"), at("2026-10-25T23:40")),
    ])
    overview = hand_view(engine, date(2026, 10, 24), date(2026, 10, 27)).overview
    assert overview.new == (1, 1, 0, 0)
    assert overview.active == (1, 2, 1, 0)
    sunday = overview.busiest[6]
    assert sunday[23] == 1 and overview.busiest[5][23] == 1


def test_empty_ranges_give_undefined_averages_not_errors(hand_built):
    engine = hand_built(agents=[agent()])
    view = hand_view(engine, date(2026, 10, 1), date(2026, 10, 7))
    kpis = {k.title: k for k in view.overview.kpis}
    assert kpis["New conversations"].current == 0
    assert kpis["Avg. response time"].current is None and kpi_text(kpis["Avg. response time"]) == "—"
    assert view.cost.kpis[1].current is None  # no organization spend to share
    assert all(v == 0 for v in view.overview.new) and view.quality.questions == ()


def test_deleted_agents_without_history_are_left_out_and_others_archived(hand_built):
    engine = hand_built(agents=[agent("a1", "Zed"), agent("a2", "alpha", "paused"), agent("a3", "Old", "deleted"),
                                agent("a4", "Gone", "deleted")],
                        conversations=[conversation("c", 0, 1) | {"agent_id": "a3"}])
    view = hand_view(engine, date(2026, 10, 1), date(2026, 10, 7), agent_id="a4")
    assert [(e.id, e.group) for e in view.agents] == [("a1", "Active"), ("a2", "Paused"), ("a3", ARCHIVED)]
    assert view.agent.id == "a1"  # an agent no longer listed falls back to the first


def txn(tid, created, kind="charge", status="succeeded", amount=1000, currency="eur", fee=None, fee_currency=None,
        subscription="s1"):
    return dict(id=tid, seq=1, agent_id="a1", subscription_id=subscription, subscriber_id="cus_1", created_at=created,
                kind=kind, status=status, amount=amount, currency=currency, fee_amount=fee,
                fee_currency=fee_currency or (currency if fee is not None else None))


def sub(sid, started, canceled=None, interval="month", amount=1000, currency="eur"):
    return dict(id=sid, seq=1, agent_id="a1", subscriber_id=f"cus_{sid}", status="canceled" if canceled else "active",
                interval=interval, price_amount=amount, price_currency=currency, started_at=started,
                current_period_end=None, canceled_at=canceled)


def test_revenue_per_currency_with_refunds_fees_and_failures(hand_built):
    day = at("2026-10-20T12:00")
    engine = hand_built(agents=[agent(amount=1000, currency="eur", interval="month")], transactions=[
        txn("t1", day, fee=59),
        txn("t2", day + 60, kind="refund", amount=1000, fee=30),
        txn("t3", day + 120, status="failed"),
        txn("t4", day + 180, currency="jpy", amount=1200, fee=40),
        txn("t5", day + 240, status="pending", currency="usd", amount=500),
        txn("t6", day - 86400 * 7, fee=59),  # the previous period
    ], subscriptions=[sub("s1", day - 86400 * 30)])
    paid = hand_view(engine, date(2026, 10, 14), date(2026, 10, 20)).paid
    money = {r.currency: (r.total("gross"), r.total("refunds"), r.total("fees"), r.total("net"), r.previous_net)
             for r in paid.revenue}
    assert money == {"eur": (1000, 1000, 89, -89, 1000 - 59), "jpy": (1200, 0, 40, 1160, 0)}
    assert monies_text({c: v[3] for c, v in money.items()}) == "−0.89 EUR · 1,160 JPY"
    previous = hand_view(engine, date(2026, 10, 13), date(2026, 10, 20)).paid  # 8 days: t6 falls inside now
    assert {r.currency: r.previous_net for r in previous.revenue}["eur"] == 0
    assert [t.id for t in paid.transactions] == ["t5", "t4", "t3", "t2", "t1"]


def test_transaction_rows_show_refunds_as_money_back():
    from a2v2_desktop.cache.analytics_queries import Transaction
    from a2v2_desktop.insights.paid_access import transaction_cells

    utc = ZoneInfo("UTC")
    refund = Transaction("t", "s", "cus_<b>", 0, "refund", "succeeded", 999, "usd", 30, "usd")
    failed = Transaction("f", "s", "cus_1", 60, "charge", "failed", 999, "usd", None, None)
    foreign_fee = Transaction("x", "s", "cus_1", 120, "charge", "succeeded", 1000, "eur", 40, "usd")
    assert transaction_cells(refund, utc) == ("1970-01-01 00:00", "cus_<b>", "refund", "succeeded", "−9.99 USD",
                                              "0.30 USD", "−10.29 USD")
    assert transaction_cells(failed, utc)[4:] == ("9.99 USD", "—", "—")
    assert transaction_cells(foreign_fee, utc)[4:] == ("10.00 EUR", "0.40 USD", "10.00 EUR")


def test_subscribers_churn_and_mrr(hand_built):
    start = at("2026-10-01T00:00")
    engine = hand_built(agents=[agent(amount=1000, currency="eur", interval="month")], subscriptions=[
        sub("monthly", start - 86400 * 40),
        sub("yearly", start - 86400 * 40, interval="year", amount=12_000, currency="eur"),
        sub("usd", start - 86400 * 40, amount=999, currency="usd"),
        sub("gone", start - 86400 * 40, canceled=start + 86400 * 3),
        sub("trial", start + 86400 * 5),  # never charged: subscribed, not paying
        sub("new-paid", start + 86400 * 6, interval="week", amount=300),
        sub("quick", start + 86400 * 7, canceled=start + 86400 * 8),
    ], transactions=[
        txn("m", start - 86400 * 40, subscription="monthly"), txn("y", start - 86400 * 40, subscription="yearly"),
        txn("u", start - 86400 * 40, currency="usd", amount=999, subscription="usd"),
        txn("g", start - 86400 * 40, subscription="gone"),
        txn("n", start + 86400 * 6, amount=300, subscription="new-paid"),
        txn("f", start + 86400 * 5, status="failed", subscription="trial"),
    ])
    paid = hand_view(engine, date(2026, 10, 1), date(2026, 10, 10)).paid
    kpis = {k.title: k.current for k in paid.kpis}
    assert kpis == {"Active subscribers": 5, "New subscribers": 3, "Canceled": 2, "Churn rate": Fraction(2, 4)}
    assert paid.subscribers[0] == 4 and paid.subscribers[-1] == 5  # 4 at the start + 3 new - 2 canceled
    assert paid.mrr == {"eur": 1000 + Fraction(12_000, 12) + Fraction(300 * 52, 12), "usd": 999}
    assert paid.previous_mrr == {"eur": 1000 + 1000 + 1000, "usd": 999}  # "gone" still paid at the start
    assert money_text(paid.mrr["eur"], "eur") == "33.00 EUR"  # minor units
    assert paid.new == (0, 0, 0, 0, 0, 1, 1, 1, 0, 0) and paid.canceled == (0, 0, 0, 1, 0, 0, 0, 0, 1, 0)


def test_without_billing_the_documented_top_up_rate_values_cost(hand_built):
    engine = hand_built(agents=[agent()], usage=[dict(id="u1", seq=1, hour=at("2026-10-20T10:00"), agent_id="a1",
                                                      member_id=None, activity="message", model="m", pool="plan",
                                                      quantity=3, credits=30 * SCALE)])
    view = hand_view(engine, date(2026, 10, 20), date(2026, 10, 20))
    rate = view.cost.rate
    assert (rate.amount, rate.currency, rate.credits, rate.from_billing) == (2000, "usd", 1000 * SCALE, False)
    assert view.paid.cost == (Fraction(60, 1),) and money_text(sum(view.paid.cost), "usd") == "0.60 USD"
    assert view.cost.kpis[1].current == 1  # the only agent spends everything


# -- text -------------------------------------------------------------------------------------------------

def test_figures_are_rounded_only_for_display():
    assert kpi_text(Kpi("t", Fraction(31, 20), None, SECONDS)) == "1.6 s"  # 1.55 half-even
    assert kpi_text(Kpi("t", Fraction(1, 8), None, PERCENT)) == "12.5%"
    assert kpi_change_text(Kpi("t", Fraction(1, 10), Fraction(1, 8), PERCENT)) == "−2.5 pts"
    assert kpi_change_text(Kpi("t", 15, 10)) == "+50.0%"
    assert kpi_change_text(Kpi("t", 3, 0)) == "new"
    assert kpi_change_text(Kpi("t", None, 3)) == "—" and kpi_change_text(Kpi("t", 3, None)) == "—"
    assert money_text(Fraction(4900, 12), "usd") == "4.08 USD"  # 49.00 a year, per month
    assert money_text(1200, "JPY") == "1,200 JPY" and money_text(1234, "kwd") == "1.234 KWD"
