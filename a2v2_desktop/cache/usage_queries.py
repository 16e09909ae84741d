"""Read queries the Usage panel needs beyond `queries`: pools, per-key hourly spend, seats.

Same conventions as `cache.queries`: integer sums of ten-thousandths, half-open
[start, end) ranges of epoch seconds, an optional `agent_ids` filter, spend read
from the usage rollups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
