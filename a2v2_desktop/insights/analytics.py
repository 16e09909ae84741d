"""Agent Analytics view data: the agent list, the Overview tab, and the view every tab reads.

All of it is read from the cache in one short connection off the GUI thread. Exact
definitions (the web dashboard's labels), for one agent and a range [start, end):

- **New conversations**: started in the range (start <= started_at < end).
- **Active conversations**: any activity in the range, even if started earlier:
  started_at < end and last_activity_at >= start. The feed gives only a
  conversation's first and last activity, so a conversation is active on every
  day between them.
- **Unique visitors**: distinct visitor ids among the active conversations.
- **Total user messages**: the visitor messages of the new conversations. A
  conversation's counts are lifetime totals, so they are credited to the range it
  started in; every message-based figure uses the new conversations for the same reason.
- **Avg. messages per conversation**: visitor plus agent messages of the new
  conversations over their number.
- **Avg. conversations per visitor**: active conversations over unique visitors.
- **Avg. response time**: summed response time over the agent replies of the new
  conversations, in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from a2v2_desktop.cache import analytics_queries as aq
from a2v2_desktop.cache import queries
from a2v2_desktop.cache.analytics_queries import ConversationTotals
from a2v2_desktop.domain.times import local_date, zone
from a2v2_desktop.insights import ranges
from a2v2_desktop.insights.agent_cost import AgentCost, build_cost
from a2v2_desktop.insights.analytics_base import AVERAGE, SECONDS, Bucketing, Kpi, Scope, aligned, ratio
from a2v2_desktop.insights.answer_quality import AnswerQuality, build_quality
from a2v2_desktop.insights.paid_access import PaidAccess, build_paid_access
from a2v2_desktop.insights.ranges import DateRange

PRESETS = (ranges.LAST_7_DAYS, ranges.LAST_30_DAYS, ranges.LAST_90_DAYS, ranges.MONTH_TO_DATE, ranges.CUSTOM)
GRANULARITIES = (ranges.DAY, ranges.WEEK, ranges.MONTH)
ACTIVE, PAUSED, ARCHIVED = "Active", "Paused", "Archived"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
UNKNOWN = "Unknown"


@dataclass(frozen=True)
class AnalyticsRequest:
    """What the user asked for; the worker resolves it against the cache."""

    preset: str
    now: int
    agent_id: str | None = None  # None: the first agent of the list
    custom: DateRange | None = None
    timezone: str = ""  # empty: the organization's
    granularity: str = ranges.DAY
    week_start: int = 1


@dataclass(frozen=True)
class AgentEntry:
    """One agent in the list, with its credits and new conversations in the range."""

    id: str
    name: str
    status: str
    group: str
    credits: int
    conversations: int
    paid_access: bool


@dataclass(frozen=True)
class Overview:
    kpis: tuple[Kpi, ...]
    new: tuple[int, ...]  # per bucket
    active: tuple[int, ...]
    user_messages: tuple[int, ...]
    agent_messages: tuple[int, ...]
    previous_new: tuple[int, ...]  # the previous period, bucket by bucket
    previous_active: tuple[int, ...]
    previous_user_messages: tuple[int, ...]
    busiest: tuple[tuple[int, ...], ...]  # new conversations per local weekday (Mon first) and hour
    channels: tuple[tuple[str, int], ...]
    countries: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class AnalyticsView:
    request: AnalyticsRequest
    organization: str | None
    timezone: str
    span: DateRange
    previous: DateRange
    agents: tuple[AgentEntry, ...]
    agent: AgentEntry | None = None
    buckets: tuple[DateRange, ...] = ()
    granularity: str = ranges.DAY
    synced_feeds: frozenset[str] = frozenset()
    overview: Overview | None = None
    quality: AnswerQuality | None = None
    cost: AgentCost | None = None
    paid: PaidAccess | None = None


def build_analytics_view(connection: Connection, request: AnalyticsRequest) -> AnalyticsView:
    """Everything the Analytics panel shows for one request."""
    org = queries.organization(connection)
    tz_name = request.timezone or (org.timezone if org else "UTC")
    scope = resolve_scope(request, tz_name)
    entries = tuple(agent_entries(connection, scope))
    agent = pick_agent(entries, request.agent_id)
    view = AnalyticsView(request, org.name if org else None, tz_name, scope.span, scope.previous, entries, agent,
                         granularity=request.granularity, synced_feeds=aq.synced_feeds(connection))
    if agent is None:
        return view
    bucketing = Bucketing(scope.span, request.granularity, request.week_start, scope.tz)
    earlier = Bucketing(scope.previous, request.granularity, request.week_start, scope.tz)
    starts = aq.starts_by_quarter(connection, agent.id, *scope.bounds())
    previous_starts = aq.starts_by_quarter(connection, agent.id, *scope.previous_bounds)
    cost = build_cost(connection, scope, agent.id, bucketing)
    return replace(
        view,
        buckets=bucketing.ranges,
        overview=build_overview(connection, scope, agent.id, bucketing, earlier, starts, previous_starts),
        quality=build_quality(connection, scope, agent.id, bucketing, starts, previous_starts),
        cost=cost,
        paid=build_paid_access(connection, scope, agent.id, bucketing, cost.credits, cost.rate),
    )


def resolve_scope(request: AnalyticsRequest, tz_name: str) -> Scope:
    """The preset's dates (Custom without dates falls back to the last 30 days)."""
    tz = zone(tz_name)
    today = local_date(request.now, tz)
    span = request.custom if request.preset == ranges.CUSTOM else ranges.preset_range(request.preset, today, tz, None)
    span = span or ranges.preset_range(ranges.LAST_30_DAYS, today, tz, None)
    return Scope(tz, span, span.elapsed(today).previous(), request.now)


# -- the agent list ---------------------------------------------------------------------------------

def _group(status: str) -> tuple[int, str]:
    return {"active": (0, ACTIVE), "paused": (1, PAUSED), "deleted": (3, ARCHIVED)}.get(status, (2, status.title()))


def agent_entries(connection: Connection, scope: Scope) -> list[AgentEntry]:
    """Active agents first, then paused, then deleted ones that still have history ("Archived")."""
    start, end = scope.bounds()
    credits = {row.key: row.credits for row in queries.spend_by_agent(connection, start, end)}
    conversations = aq.new_conversations_by_agent(connection, start, end)
    entries = []
    for agent in aq.agents(connection):
        if agent.status == "deleted" and not aq.has_history(connection, agent.id):
            continue
        order, group = _group(agent.status)
        entries.append((order, AgentEntry(agent.id, agent.name, agent.status, group, credits.get(agent.id, 0),
                                          conversations.get(agent.id, 0), agent.paid_access)))
    entries.sort(key=lambda pair: (pair[0], pair[1].name.casefold(), pair[1].id))
    return [entry for _order, entry in entries]


def pick_agent(entries: tuple[AgentEntry, ...], agent_id: str | None) -> AgentEntry | None:
    """The asked-for agent, or the first in the list when none (or one no longer listed) was asked for."""
    return next((e for e in entries if e.id == agent_id), entries[0] if entries else None)


# -- Overview -------------------------------------------------------------------------------------------

def overview_kpis(connection: Connection, agent_id: str, bounds: tuple[int, int]) -> dict[str, int | Fraction | None]:
    """The seven figures for one range, exactly."""
    new = aq.new_conversation_totals(connection, agent_id, *bounds)
    active, visitors = aq.active_totals(connection, agent_id, *bounds)
    return {
        "New conversations": new.conversations,
        "Active conversations": active,
        "Unique visitors": visitors,
        "Total user messages": new.visitor_messages,
        "Avg. messages per conversation": ratio(new.visitor_messages + new.agent_messages, new.conversations),
        "Avg. conversations per visitor": ratio(active, visitors),
        "Avg. response time": ratio(new.response_ms, new.agent_messages * 1000),
    }


DEFINITIONS = {
    "New conversations": "Conversations started in the range.",
    "Active conversations": "Conversations with any activity in the range, even if started earlier.",
    "Unique visitors": "Distinct visitors among the active conversations. Anonymous web visitors are counted "
                       "per device and browser.",
    "Total user messages": "Messages visitors sent in the conversations started in the range.",
    "Avg. messages per conversation": "Visitor and agent messages of the conversations started in the range, "
                                      "per conversation.",
    "Avg. conversations per visitor": "Active conversations per unique visitor: higher means visitors come back.",
    "Avg. response time": "Time until the agent starts replying, averaged over its replies. Lower is better.",
}
UNITS = {"Avg. messages per conversation": AVERAGE, "Avg. conversations per visitor": AVERAGE,
         "Avg. response time": SECONDS}


def build_overview(connection: Connection, scope: Scope, agent_id: str, bucketing: Bucketing, earlier: Bucketing,
                   starts: list[tuple[int, ConversationTotals]],
                   previous_starts: list[tuple[int, ConversationTotals]]) -> Overview:
    now = overview_kpis(connection, agent_id, scope.bounds())
    before = overview_kpis(connection, agent_id, scope.previous_bounds)
    kpis = tuple(Kpi(title, value, before[title], UNITS.get(title, "count"), DEFINITIONS[title],
                     lower_is_better=title == "Avg. response time") for title, value in now.items())
    new, user, agent = _per_bucket(starts, bucketing)
    old_new, old_user, _ = _per_bucket(previous_starts, earlier)
    length = len(bucketing)
    return Overview(
        kpis=kpis, new=new, active=active_per_bucket(connection, agent_id, scope.bounds(), bucketing),
        user_messages=user, agent_messages=agent,
        previous_new=aligned(old_new, length),
        previous_active=aligned(active_per_bucket(connection, agent_id, scope.previous_bounds, earlier), length),
        previous_user_messages=aligned(old_user, length),
        busiest=busiest_hours(starts, scope.tz),
        channels=_ranked(aq.new_conversations_by(connection, "channel", agent_id, *scope.bounds())),
        countries=_ranked(aq.new_conversations_by(connection, "country", agent_id, *scope.bounds())),
    )


def _per_bucket(starts: list[tuple[int, ConversationTotals]],
                bucketing: Bucketing) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """New conversations, visitor messages and agent messages per bucket of the start time."""
    new, user, agent = bucketing.zeros(), bucketing.zeros(), bucketing.zeros()
    for moment, totals in starts:
        position = bucketing.position(moment)
        new[position] += totals.conversations
        user[position] += totals.visitor_messages
        agent[position] += totals.agent_messages
    return tuple(new), tuple(user), tuple(agent)


def active_per_bucket(connection: Connection, agent_id: str, bounds: tuple[int, int],
                      bucketing: Bucketing) -> tuple[int, ...]:
    """Conversations active in each bucket (one spanning two days counts on both)."""
    counts = bucketing.zeros()
    for first, last, conversations in aq.active_spans(connection, agent_id, *bounds):
        for position in bucketing.span_positions(first, last):
            counts[position] += conversations
    return tuple(counts)


def busiest_hours(starts: list[tuple[int, ConversationTotals]], tz: ZoneInfo) -> tuple[tuple[int, ...], ...]:
    """New conversations by local weekday and hour in the report zone."""
    grid = [[0] * 24 for _ in WEEKDAYS]
    for moment, totals in starts:
        local = datetime.fromtimestamp(moment, tz)
        grid[local.weekday()][local.hour] += totals.conversations
    return tuple(tuple(row) for row in grid)


def _ranked(counts: dict[str | None, int]) -> tuple[tuple[str, int], ...]:
    """Most conversations first; an unknown channel or country is named so."""
    named = [(key if key else UNKNOWN, count) for key, count in counts.items()]
    return tuple(sorted(named, key=lambda pair: (-pair[1], pair[0])))
