"""Read queries the Usage panel needs beyond `queries`: pools, per-key hourly spend, seats,
and what it read kept in memory between refreshes until a sync (`UsageMemory`).

Same conventions as `cache.queries`: integer sums of ten-thousandths, half-open
[start, end) ranges of epoch seconds, an optional `agent_ids` filter, spend read
from the usage rollups.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, TypeVar

from sqlalchemy import Connection, func, select

from a2v2_desktop.cache import rollups
from a2v2_desktop.cache.models import Agent, BillingSnapshot, Member, UsageLine


@dataclass(frozen=True)
class AgentChoice:
    """One agent for the filter list; deleted agents stay selectable for past ranges."""

    id: str
    name: str
    deleted: bool


@dataclass(frozen=True)
class BillingSummary:
    """The latest snapshot's period and plan limits: what the Usage panel needs from billing."""

    period_start: int
    period_end: int
    agent_limit: int | None
    member_limit: int | None


@dataclass(frozen=True)
class SeatCounts:
    agents_in_use: int  # agents not deleted
    members_active: int


def spend_by_pool(connection: Connection, start: int, end: int,
                  agent_ids: Sequence[str] | None = None) -> dict[str, int]:
    """Credits per pool ("plan", "topup", or any new pool the server names)."""
    found = rollups.sums_by(connection, ("pool",), [(start, end)], agent_ids)
    return {pool: sums.credits for (_bucket, pool), sums in found.items()}


def spend_by_hour_and_agent(connection: Connection, start: int, end: int,
                            agent_ids: Sequence[str] | None = None) -> list[tuple[int, str, int, int]]:
    """(hour, agent_id, credits, quantity): trends per agent and the runaway scan."""
    return rollups.hourly_by(connection, ("agent_id",), start, end, agent_ids)


def spend_by_hour_and_member(connection: Connection, start: int, end: int,
                             agent_ids: Sequence[str] | None = None) -> list[tuple[int, str | None, int, int]]:
    """(hour, member_id or None for visitors, credits, quantity): trends per member."""
    return rollups.hourly_by(connection, ("member_id",), start, end, agent_ids)


def agent_choices(connection: Connection) -> list[AgentChoice]:
    """Every agent the cache knows, active ones first, then by name."""
    rows = connection.execute(select(Agent.id, Agent.name, Agent.status)).all()
    choices = [AgentChoice(agent_id, name, status == "deleted") for agent_id, name, status in rows]
    return sorted(choices, key=lambda c: (c.deleted, c.name.casefold(), c.id))


def seat_counts(connection: Connection) -> SeatCounts:
    """Seats in use as the dashboard counts them: agents not deleted, members active."""
    agents = connection.execute(select(func.count()).where(Agent.status != "deleted")).scalar_one()
    members = connection.execute(select(func.count()).where(Member.status == "active")).scalar_one()
    return SeatCounts(int(agents), int(members))


def usage_exists(connection: Connection) -> bool:
    """Whether any usage was ever synced: tells "no data yet" from "no spend in this range"."""
    return connection.execute(select(UsageLine.id).limit(1)).first() is not None


def latest_billing_summary(connection: Connection) -> BillingSummary | None:
    """The newest billing snapshot's period and limits, as plain values from a Core connection."""
    row = connection.execute(
        select(BillingSnapshot.period_start, BillingSnapshot.period_end, BillingSnapshot.agent_limit,
               BillingSnapshot.member_limit)
        .order_by(BillingSnapshot.id.desc()).limit(1)
    ).first()
    return BillingSummary(*row) if row else None


# ---- the rollups' sums kept in memory ----------------------------------------------------------


def day_sums(connection: Connection, dimensions: Sequence[str],
             agent_ids: Sequence[str] | None = None) -> list[tuple]:
    """(UTC day start, *dimension values, credits, quantity, lines) of every day row, in no set order
    (sorting them would cost more than reading them). Visitors' member is rollups.VISITORS_KEY here."""
    rollup = rollups.rollup_for(dimensions, agent_ids)
    names = "".join(f", {name}" for name in dimensions)
    where, agents = rollups.agent_filter(connection, agent_ids, "agent_id")
    if agent_ids is None and tuple(dimensions) == rollup.dimensions:  # a row per key already: GROUP BY doubles the cost
        sql = f"SELECT start{names}, credits, quantity, lines FROM {rollup.table} WHERE span = {rollups.DAY}"
    else:
        sql = (f"SELECT start{names}, sum(credits), sum(quantity), sum(lines) FROM {rollup.table} "
               f"WHERE span = {rollups.DAY}{where} GROUP BY start{names}")
    return connection.exec_driver_sql(sql, agents).all()


def hour_sums(connection: Connection, dimensions: Sequence[str], spans: Sequence[tuple[int, int]],
              agent_ids: Sequence[str] | None = None) -> list[tuple]:
    """(span index, *dimension values, credits, quantity, lines) over the hour rows starting in each [lo, hi)."""
    if not spans:
        return []
    rollup = rollups.rollup_for(dimensions, agent_ids)
    selected = "".join(f", r.{name}" for name in dimensions)
    values = ", ".join([f"({rollups.marks(connection, 3)})"] * len(spans))
    where, agents = rollups.agent_filter(connection, agent_ids, "r.agent_id")
    sql = (f"WITH part(i, lo, hi) AS (VALUES {values}) "
           f"SELECT part.i{selected}, sum(r.credits), sum(r.quantity), sum(r.lines) "
           f"FROM part CROSS JOIN {rollup.table} AS r "
           f"WHERE r.span = {rollups.HOUR} AND r.start >= part.lo AND r.start < part.hi{where} "
           f"GROUP BY part.i{selected}")
    params = tuple(value for i, (lo, hi) in enumerate(spans) for value in (i, lo, hi)) + agents
    return connection.exec_driver_sql(sql, params).all()


class RunningTotals:
    """One rollup's sums per key, running over its whole UTC days.

    What was spent before an instant is the running total up to the UTC midnight nearest
    to it, give or take the hours between the two, so any [lo, hi) is a difference of two
    such points: the same figures as `rollups.sums_by`, whatever the zone. Each point is
    worked out once (a few hour rows read) and kept. Totals are kept in 64-bit arrays (as
    SQLite sums them): no object per number for the garbage collector to walk on every pass.
    """

    def __init__(self, dimensions: Sequence[str], agent_ids: Sequence[str] | None, rows: list[tuple]):
        self.dimensions, self.agent_ids = tuple(dimensions), agent_ids
        width = len(self.dimensions)
        raw_keys = sorted({tuple(row[1:1 + width]) for row in rows})  # the order SQL groups them in
        self.keys = rollups.visitors_as_none(raw_keys, self.dimensions, 0)
        self._position = {key: j for j, key in enumerate(raw_keys)}
        days = [row[0] for row in rows]
        self.first_day = min(days, default=0)
        self.days = (max(days) - self.first_day) // rollups.DAY + 1 if rows else 0
        self._running = self._running_sums(rows, width)
        self._points: dict[int, tuple[array, array, array]] = {}  # credits, quantity, lines per key

    def _running_sums(self, rows: list[tuple], width: int) -> list[tuple[array, array, array]]:
        """Per key, (credits, quantity, lines) summed over the days before each day index."""
        daily = [([0] * self.days, [0] * self.days, [0] * self.days) for _ in self._position]
        position, first, end = self._position, self.first_day, 1 + width
        for row in rows:
            credits, quantity, lines = daily[position[tuple(row[1:end])]]
            at = (row[0] - first) // rollups.DAY
            credits[at], quantity[at], lines[at] = row[end:]
        return [tuple(array("q", accumulate(values, initial=0)) for values in sums) for sums in daily]

    def sums(self, connection: Connection, buckets: Sequence[tuple[int, int]]) -> dict[tuple, rollups.Sums]:
        """{(bucket index, *dimension values): sums} for each [lo, hi); keys without lines are absent."""
        self._add_points(connection, {edge for bucket in buckets for edge in bucket} - self._points.keys())
        found = {}
        for index, (lo, hi) in enumerate(buckets):
            (was_credits, was_quantity, was_lines), (credits, quantity, lines) = self._points[lo], self._points[hi]
            for j, key in enumerate(self.keys):
                if lines[j] > was_lines[j]:
                    found[(index, *key)] = rollups.Sums(credits[j] - was_credits[j], quantity[j] - was_quantity[j])
        return found

    def _add_points(self, connection: Connection, points: set[int]) -> None:
        """Running totals at each new instant, from one read of the hours between them and their midnights."""
        ordered = sorted(points)
        between = [_hours_to_midnight(point) for point in ordered]
        extra: list[dict[int, tuple]] = [{} for _ in ordered]
        width = len(self.dimensions)
        for index, *rest in hour_sums(connection, self.dimensions, [(lo, hi) for _m, lo, hi in between],
                                      self.agent_ids):
            extra[index][self._position[tuple(rest[:width])]] = rest[width:]
        for point, (midnight, lo, _hi), hours in zip(ordered, between, extra):
            self._points[point] = self._point(midnight, hours, 1 if lo == midnight else -1)

    def _point(self, midnight: int, hours: dict[int, tuple], sign: int) -> tuple[array, array, array]:
        at = min(max((midnight - self.first_day) // rollups.DAY, 0), self.days)
        totals = tuple(array("q", (running[field][at] for running in self._running)) for field in range(3))
        for j, extra in hours.items():
            for field in range(3):
                totals[field][j] += sign * extra[field]
        return totals


def _hours_to_midnight(point: int) -> tuple[int, int, int]:
    """(the UTC midnight nearer to `point`, and the [lo, hi) of hours between the two)."""
    offset = point % rollups.DAY
    if offset <= rollups.DAY // 2:
        return point - offset, point - offset, point
    return point - offset + rollups.DAY, point, point - offset + rollups.DAY


T = TypeVar("T")


class NoMemory:
    """Every read straight from the cache: a request made without a panel's `UsageMemory`
    (reports, the chart alone, tests) answers exactly as one with it does."""

    def kept(self, connection: Connection, query: Callable[[Connection], T]) -> T:
        return query(connection)

    def sums_by(self, connection: Connection, dimensions: Sequence[str], buckets: Sequence[tuple[int, int]],
                agent_ids: Sequence[str] | None = None) -> dict[tuple, rollups.Sums]:
        return rollups.sums_by(connection, dimensions, buckets, agent_ids)


NO_MEMORY = NoMemory()


class UsageMemory:
    """What the Usage panel read, kept while the cache stays the same: running totals per
    (dimensions, agent filter), and small reads only a sync changes (`kept`).

    A source not in memory yet is answered from the rollups, and noted: `warm` then reads it
    off the refresh path, so no refresh waits for a whole year of day rows. Whoever holds
    one drops it after a sync or on another cache: nothing here can tell.
    Refreshes on the pool's threads may share it: every entry is stored whole.
    """

    def __init__(self) -> None:
        self._totals: dict[tuple, RunningTotals] = {}
        self._kept: dict[Callable, Any] = {}
        self.wanted: set[tuple] = set()

    def kept(self, connection: Connection, query: Callable[[Connection], T]) -> T:
        """`query(connection)`, read once: the organization, billing, agents and seats change only with a sync."""
        if query not in self._kept:
            self._kept[query] = query(connection)
        return self._kept[query]

    def sums_by(self, connection: Connection, dimensions: Sequence[str], buckets: Sequence[tuple[int, int]],
                agent_ids: Sequence[str] | None = None) -> dict[tuple, rollups.Sums]:
        """The same answer as `rollups.sums_by`."""
        source = (tuple(dimensions), None if agent_ids is None else tuple(agent_ids))
        totals = self._totals.get(source)
        if totals is None:
            self.wanted.add(source)
            return rollups.sums_by(connection, dimensions, buckets, agent_ids)
        return totals.sums(connection, buckets)

    def warm(self, connection: Connection) -> None:
        """Read the running totals of every source asked for since the last warm."""
        for source in list(self.wanted):
            if source not in self._totals:
                self._totals[source] = RunningTotals(*source, day_sums(connection, *source))
            self.wanted.discard(source)
