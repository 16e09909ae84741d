"""The Usage panel's view data: cards, the Credit usage chart and the per-agent/member rows.

Everything is read from the cache through `cache.queries`/`cache.usage_queries` and
the usage rollups in one short connection, off the GUI thread, and handed back as
frozen dataclasses. Each part (cards, chart, each table) is one read of per-bucket
sums, so a year costs about what a week does; with the panel's `UsageMemory` those
sums come from running totals read once per sync, so a refresh reads almost nothing.
Credits stay integer ten-thousandths; the only division is for averages and shares,
done with Fraction and rounded once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from a2v2_desktop.cache import queries, rollups, usage_queries
from a2v2_desktop.cache.usage_queries import NO_MEMORY, AgentChoice, BillingSummary, NoMemory, SeatCounts, UsageMemory
from a2v2_desktop.domain.times import local_date, zone
from a2v2_desktop.insights import ranges
from a2v2_desktop.insights.ranges import BillingPeriod, DateRange
from a2v2_desktop.insights.runaway import BASELINE_DAYS, SCAN_HOURS, RunawayAgent, find_runaways

ACTIVITIES = ("message", "document", "voice", "tool", "other")
CREDITS, MESSAGES = "credits", "messages"  # what the Credit usage chart measures
ACTIVITY_LABELS = {"message": "Messages", "document": "Documents", "voice": "Voice", "tool": "Tools", "other": "Other"}
TREND_POINTS = 12
RUNAWAY_LOOKBACK = SCAN_HOURS * 3600 + BASELINE_DAYS * 86400


@dataclass(frozen=True)
class UsageRequest:
    """What the user asked for; the worker resolves it against the cache."""

    preset: str
    now: int
    custom: DateRange | None = None
    timezone: str = ""  # empty: the organization's
    agent_id: str | None = None  # filters every figure
    chart_agent_id: str | None = None  # a row picked in the agents table: filters the chart only
    granularity: str = ranges.AUTO
    week_start: int = 1
    # The runaway scan depends on the hour and the data, not the range: the panel passes the
    # last answer back while neither changed, and the scan is skipped.
    known_runaways: tuple[RunawayAgent, ...] | None = None
    # What earlier requests read (running totals, names, seats), kept by the panel until a sync.
    memory: UsageMemory | NoMemory = NO_MEMORY


@dataclass(frozen=True)
class Cards:
    credits: int
    messages: int
    previous_credits: int  # like for like: the same number of elapsed days before
    elapsed_days: int
    period_credits: int | None  # this billing period, when billing was synced
    pools: dict[str, int]
    seats: SeatCounts
    agent_limit: int | None
    member_limit: int | None

    @property
    def average_per_day(self) -> int:
        return round(Fraction(self.credits, self.elapsed_days))


@dataclass(frozen=True)
class ChartSeries:
    buckets: tuple[DateRange, ...]
    granularity: str
    credits: dict[str, tuple[int, ...]]  # activity -> credits per bucket
    messages: tuple[int, ...]
    previous_credits: tuple[int, ...]  # the previous period, bucket by bucket
    previous_messages: tuple[int, ...]
    agent_id: str | None = None

    def totals(self) -> tuple[int, ...]:
        return tuple(sum(values) for values in zip(*self.credits.values()))


@dataclass(frozen=True)
class BreakdownRow:
    """One agent or member: spend in the range, the previous period and a small trend."""

    key: str | None
    name: str
    credits: int
    quantity: int
    previous_credits: int
    trend: tuple[int, ...]
    inactive: bool = False
    runaway: bool = False


@dataclass(frozen=True)
class UsageView:
    request: UsageRequest
    organization: str | None
    timezone: str
    span: DateRange | None  # None: a billing preset before billing was synced
    period: BillingPeriod | None
    has_usage: bool
    agent_choices: tuple[AgentChoice, ...] = ()
    cards: Cards | None = None
    chart: ChartSeries | None = None
    agents: tuple[BreakdownRow, ...] = ()
    members: tuple[BreakdownRow, ...] = ()
    runaways: tuple[RunawayAgent, ...] = field(default=())


@dataclass(frozen=True)
class _Scope:
    """A request resolved against the cache: zone, dates and bounds."""

    tz: ZoneInfo
    span: DateRange
    compared: DateRange  # the elapsed part of span
    previous: DateRange  # the like-for-like previous period of `compared`
    agent_ids: list[str] | None
    memory: UsageMemory | NoMemory = NO_MEMORY

    def bounds(self, which: DateRange) -> tuple[int, int]:
        return which.bounds(self.tz)


def build_usage_view(connection: Connection, request: UsageRequest) -> UsageView:
    """Everything the Usage panel shows for one request."""
    org, billing, tz_name, scope = _resolve(connection, request)
    view = UsageView(request, org.name if org else None, tz_name, None, _period(billing),
                     request.memory.kept(connection, usage_queries.usage_exists),
                     tuple(request.memory.kept(connection, usage_queries.agent_choices)))
    if scope is None:
        return view
    runaways = request.known_runaways
    if runaways is None:
        runaways = tuple(find_runaways(connection, request.now))
    flagged = {r.agent_id for r in runaways}
    return replace(
        view,
        span=scope.span,
        cards=build_cards(connection, scope, billing),
        chart=build_chart(connection, scope, request),
        agents=tuple(agent_rows(connection, scope, flagged)),
        members=tuple(member_rows(connection, scope)),
        runaways=runaways,
    )


def chart_only(connection: Connection, request: UsageRequest) -> ChartSeries | None:
    """Just the chart, when a row is picked in the agents table and nothing else changes."""
    _org, _billing, _tz_name, scope = _resolve(connection, request)
    return build_chart(connection, scope, request) if scope else None


def _period(billing: BillingSummary | None) -> BillingPeriod | None:
    return BillingPeriod(billing.period_start, billing.period_end) if billing else None


def _resolve(connection: Connection, request: UsageRequest):
    """The organization, latest billing, the zone for days and the resolved scope (None: no dates yet)."""
    org = request.memory.kept(connection, queries.organization)
    billing = request.memory.kept(connection, usage_queries.latest_billing_summary)
    tz_name = request.timezone or (org.timezone if org else "UTC")
    return org, billing, tz_name, resolve_scope(request, zone(tz_name), _period(billing))


def resolve_scope(request: UsageRequest, tz: ZoneInfo, period: BillingPeriod | None) -> _Scope | None:
    today = local_date(request.now, tz)
    if request.preset == ranges.CUSTOM:
        span = request.custom
    else:
        span = ranges.preset_range(request.preset, today, tz, period)
    if span is None:
        return None
    compared = span.elapsed(today)
    previous = compared.previous()
    agent_ids = [request.agent_id] if request.agent_id else None
    return _Scope(tz, span, compared, previous, agent_ids, request.memory)


def build_cards(connection: Connection, scope: _Scope, billing: BillingSummary | None) -> Cards:
    """The cards from one read: spend by activity and pool in the range, the previous period and the billing period."""
    buckets = [scope.bounds(scope.span), scope.bounds(scope.previous)]
    if billing is not None:
        buckets.append((billing.period_start, billing.period_end))
    found = scope.memory.sums_by(connection, ("activity", "pool"), buckets, scope.agent_ids)
    totals = [0] * len(buckets)
    pools: dict[str, int] = defaultdict(int)
    messages = 0
    for (bucket, activity, pool), sums in found.items():
        totals[bucket] += sums.credits
        if bucket == 0:
            pools[pool] += sums.credits
            messages += sums.quantity if activity == "message" else 0
    return Cards(
        credits=totals[0],
        messages=messages,
        previous_credits=totals[1],
        elapsed_days=scope.compared.days,
        period_credits=totals[2] if billing is not None else None,
        pools=dict(pools),
        seats=scope.memory.kept(connection, usage_queries.seat_counts),
        agent_limit=billing.agent_limit if billing else None,
        member_limit=billing.member_limit if billing else None,
    )


def build_chart(connection: Connection, scope: _Scope, request: UsageRequest) -> ChartSeries:
    """Credits per activity and messages per bucket, with the previous period alongside, from one read."""
    agent_ids = [request.chart_agent_id] if request.chart_agent_id else scope.agent_ids
    current = ranges.buckets(scope.span, request.granularity, request.week_start)
    earlier = ranges.buckets(scope.span.previous(), request.granularity, request.week_start)
    found = scope.memory.sums_by(connection, ("activity",), [b.bounds(scope.tz) for b in current + earlier], agent_ids)
    credits = {activity: [0] * len(current + earlier) for activity in ACTIVITIES}
    messages = [0] * len(current + earlier)
    for (position, activity), sums in found.items():
        credits[activity if activity in credits else "other"][position] += sums.credits
        if activity == "message":
            messages[position] += sums.quantity
    old_totals = [sum(values) for values in zip(*(values[len(current):] for values in credits.values()))]
    return ChartSeries(
        buckets=tuple(current),
        granularity=ranges.auto_granularity(scope.span.days) if request.granularity == ranges.AUTO
        else request.granularity,
        credits={activity: tuple(values[:len(current)]) for activity, values in credits.items()},
        messages=tuple(messages[:len(current)]),
        previous_credits=_aligned(old_totals, len(current)),
        previous_messages=_aligned(messages[len(current):], len(current)),
        agent_id=request.chart_agent_id,
    )


def _aligned(values: Sequence[int], length: int) -> tuple[int, ...]:
    """Previous buckets matched by position: months and cut weeks may differ by one in count."""
    return tuple(values[:length]) + (0,) * max(0, length - len(values))


class BucketIndex:
    """Which bucket a UTC hour falls in, by the local date its start falls on."""

    def __init__(self, buckets: Sequence[DateRange], tz: ZoneInfo):
        self.tz = tz
        self._by_date: dict[date, int] = {}
        for position, bucket in enumerate(buckets):
            for offset in range(bucket.days):
                self._by_date[date.fromordinal(bucket.first.toordinal() + offset)] = position
        self._by_hour: dict[int, int] = {}

    def of(self, hour: int) -> int:
        position = self._by_hour.get(hour)
        if position is None:
            position = self._by_hour[hour] = self._by_date[local_date(hour, self.tz)]
        return position


def agent_rows(connection: Connection, scope: _Scope, flagged: Collection[str] = ()) -> list[BreakdownRow]:
    """Agents' rows; those in `flagged` (the runaways) marked."""
    return _rows(connection, scope, "agent_id", queries.agent_spend, flagged)


def member_rows(connection: Connection, scope: _Scope) -> list[BreakdownRow]:
    return _rows(connection, scope, "member_id", queries.member_spend)


def _rows(connection: Connection, scope: _Scope, dimension: str, named: Callable,
          flagged: Collection[str] = ()) -> list[BreakdownRow]:
    """Rows for everyone with spend now or in the previous period (one that stopped shows -100%).

    One read: the trend slices of the elapsed range, the rest of the range after today,
    and the previous period; the range's own figures are the sum of the first two.
    """
    slices = ranges.split_evenly(scope.compared, TREND_POINTS)
    buckets = [scope.bounds(part) for part in slices] + [scope.bounds(scope.previous)]
    if scope.compared.last < scope.span.last:
        buckets.append(scope.bounds(DateRange(scope.compared.last + timedelta(days=1), scope.span.last)))
    found = scope.memory.sums_by(connection, (dimension,), buckets, scope.agent_ids)
    now: dict = defaultdict(lambda: [0, 0])
    before: dict = {}
    trends: dict = defaultdict(lambda: [0] * len(slices))
    for (bucket, key), sums in found.items():
        if bucket == len(slices):
            before[key] = sums
            continue
        now[key][0] += sums.credits
        now[key][1] += sums.quantity
        if bucket < len(slices):
            trends[key][bucket] += sums.credits
    rows = [_row(row, before.get(row.key), trends, flagged)
            for row in named(connection, {key: rollups.Sums(*values) for key, values in now.items()})]
    gone = {key: sums for key, sums in before.items() if key not in now}  # named only when there are some
    if gone:
        rows += [_row(queries.SpendRow(old.key, old.name, 0, 0, old.inactive), old, trends, flagged)
                 for old in named(connection, gone)]
    return rows


def _row(row: queries.SpendRow, previous: rollups.Sums | queries.SpendRow | None, trends: dict,
         flagged: Collection[str]) -> BreakdownRow:
    return BreakdownRow(row.key, row.name, row.credits, row.quantity, previous.credits if previous else 0,
                        tuple(trends[row.key]) if row.key in trends else (), row.inactive, row.key in flagged)


def sync_touches(view: UsageView | None, changed_feeds: frozenset[str], usage_hours: tuple[int, int] | None) -> bool:
    """Whether a finished sync changed what this view shows: its range, the one before, or the runaway scan."""
    if view is None or view.span is None or view.organization is None:
        return True
    if "usage" not in changed_feeds or usage_hours is None:
        return False
    tz = zone(view.timezone)
    start = min(view.span.previous().bounds(tz)[0], view.request.now - RUNAWAY_LOOKBACK)
    end = max(view.span.bounds(tz)[1], view.request.now)
    first, last = usage_hours
    return first < end and last >= start
