"""Read-only queries over the cache, shared by the reports and the UI.

All sums are SQL integer sums of ten-thousandths (exact). Ranges are half-open
[start, end) in epoch seconds; callers turn local dates into them with
`domain.times.local_day_bounds`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, ColumnElement, and_, distinct, func, select

from a2v2_desktop.cache.models import (
    Agent,
    ConversationRow,
    Member,
    Organization,
    SyncRun,
    UsageLine,
)

VISITORS = "Visitors' traffic"


@dataclass(frozen=True)
class SpendRow:
    """Spend of one agent, member or activity in a range."""

    key: str | None
    name: str
    credits: int
    quantity: int
    inactive: bool = False  # a deleted agent or a removed member


@dataclass(frozen=True)
class ConversationStats:
    conversations: int
    messages: int
    visitors: int


@dataclass(frozen=True)
class OrganizationInfo:
    id: str
    name: str
    timezone: str


def usage_filter(start: int, end: int, agent_ids: Sequence[str] | None) -> ColumnElement[bool]:
    condition = and_(UsageLine.hour >= start, UsageLine.hour < end)
    if agent_ids is not None:
        condition = and_(condition, UsageLine.agent_id.in_(list(agent_ids)))
    return condition


def organization(connection: Connection) -> OrganizationInfo | None:
    row = connection.execute(select(Organization.id, Organization.name, Organization.timezone)).first()
    return OrganizationInfo(*row) if row else None


def spend_total(connection: Connection, start: int, end: int, agent_ids: Sequence[str] | None = None) -> tuple[int, int]:
    """(credits, quantity) spent in the range."""
    row = connection.execute(
        select(func.coalesce(func.sum(UsageLine.credits), 0), func.coalesce(func.sum(UsageLine.quantity), 0))
        .where(usage_filter(start, end, agent_ids))
    ).one()
    return int(row[0]), int(row[1])


def _ordered(rows: list[SpendRow]) -> list[SpendRow]:
    return sorted(rows, key=lambda r: (-r.credits, r.name.casefold(), r.key or ""))


def spend_by_agent(connection: Connection, start: int, end: int, agent_ids: Sequence[str] | None = None) -> list[SpendRow]:
    """Every agent with usage in the range, deleted ones included, most spend first."""
    credits, quantity = func.sum(UsageLine.credits), func.sum(UsageLine.quantity)
    rows = connection.execute(
        select(UsageLine.agent_id, Agent.name, Agent.status, credits, quantity)
        .outerjoin(Agent, Agent.id == UsageLine.agent_id)
        .where(usage_filter(start, end, agent_ids))
        .group_by(UsageLine.agent_id, Agent.name, Agent.status)
    ).all()
    return _ordered([
        SpendRow(agent_id, name if name is not None else f"Unknown agent {agent_id}", int(c), int(q), status == "deleted")
        for agent_id, name, status, c, q in rows
    ])


def spend_by_member(connection: Connection, start: int, end: int, agent_ids: Sequence[str] | None = None) -> list[SpendRow]:
    """Spend per team member; visitors' traffic (no member) is one row with key None."""
    credits, quantity = func.sum(UsageLine.credits), func.sum(UsageLine.quantity)
    rows = connection.execute(
        select(UsageLine.member_id, Member.name, Member.status, credits, quantity)
        .outerjoin(Member, Member.id == UsageLine.member_id)
        .where(usage_filter(start, end, agent_ids))
        .group_by(UsageLine.member_id, Member.name, Member.status)
    ).all()
    return _ordered([
        SpendRow(member_id, _member_name(member_id, name), int(c), int(q), status == "removed")
        for member_id, name, status, c, q in rows
    ])


def _member_name(member_id: str | None, name: str | None) -> str:
    if member_id is None:
        return VISITORS
    return name if name is not None else f"Unknown member {member_id}"


def spend_by_activity(connection: Connection, start: int, end: int, agent_ids: Sequence[str] | None = None) -> list[SpendRow]:
    rows = connection.execute(
        select(UsageLine.activity, func.sum(UsageLine.credits), func.sum(UsageLine.quantity))
        .where(usage_filter(start, end, agent_ids))
        .group_by(UsageLine.activity)
    ).all()
    return _ordered([SpendRow(activity, activity, int(c), int(q)) for activity, c, q in rows])


def spend_by_hour(connection: Connection, start: int, end: int, agent_ids: Sequence[str] | None = None) -> list[tuple[int, str, int, int]]:
    """(hour, activity, credits, quantity) per UTC hour and activity: the input for any local bucketing."""
    rows = connection.execute(
        select(UsageLine.hour, UsageLine.activity, func.sum(UsageLine.credits), func.sum(UsageLine.quantity))
        .where(usage_filter(start, end, agent_ids))
        .group_by(UsageLine.hour, UsageLine.activity)
        .order_by(UsageLine.hour)
    ).all()
    return [(int(h), a, int(c), int(q)) for h, a, c, q in rows]


def conversation_stats(connection: Connection, start: int, end: int, agent_ids: Sequence[str] | None = None) -> ConversationStats:
    """Conversations started in the range, their messages and distinct visitors."""
    condition = and_(ConversationRow.started_at >= start, ConversationRow.started_at < end)
    if agent_ids is not None:
        condition = and_(condition, ConversationRow.agent_id.in_(list(agent_ids)))
    row = connection.execute(
        select(
            func.count(),
            func.coalesce(func.sum(ConversationRow.visitor_messages + ConversationRow.agent_messages), 0),
            func.count(distinct(ConversationRow.visitor_id)),
        ).where(condition)
    ).one()
    return ConversationStats(int(row[0]), int(row[1]), int(row[2]))


def last_successful_sync(connection: Connection) -> int | None:
    """When the last sync that finished cleanly ended (epoch seconds), for "data as of"."""
    return connection.execute(
        select(func.max(SyncRun.finished_at)).where(SyncRun.status == "ok")
    ).scalar()
