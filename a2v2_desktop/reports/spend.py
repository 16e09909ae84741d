"""The spend summary: one range of local dates, every figure exact, from the cache only."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine

from a2v2_desktop.cache import queries
from a2v2_desktop.domain.credits import format_credits
from a2v2_desktop.domain.times import days_between, local_day_bounds, zone


class ReportError(Exception):
    """The report cannot be made (e.g. nothing synced yet); str() is for people."""


@dataclass(frozen=True)
class SpendReport:
    organization: queries.OrganizationInfo
    timezone: str
    first: date
    last: date
    total_credits: int
    total_quantity: int
    by_agent: list[queries.SpendRow]
    by_member: list[queries.SpendRow]
    by_activity: list[queries.SpendRow]
    by_day: list[tuple[date, int]]
    conversations: queries.ConversationStats
    agent_ids: tuple[str, ...] | None = None  # None: every agent


def credits_by_local_day(connection: Connection, first: date, last: date, tz_name: str,
                         agent_ids: Sequence[str] | None = None) -> list[tuple[date, int]]:
    """Credits per local date; an hour belongs to the date its start falls on, since each date's
    bounds are its own local midnights."""
    tz = zone(tz_name)
    days = days_between(first, last)
    credits = queries.credits_by_bucket(connection, [local_day_bounds(day, day, tz) for day in days], agent_ids)
    return list(zip(days, credits))


def build_spend_report(engine: Engine, first: date, last: date, timezone: str | None = None,
                       agent_ids: Sequence[str] | None = None) -> SpendReport:
    with engine.connect() as connection:
        return read_spend_report(connection, first, last, timezone, agent_ids)


def read_spend_report(connection: Connection, first: date, last: date, timezone: str | None = None,
                      agent_ids: Sequence[str] | None = None) -> SpendReport:
    """The report in the caller's connection, so a summary reads every figure from one snapshot."""
    if last < first:
        raise ReportError(f"The range ends ({last}) before it starts ({first}).")
    org = queries.organization(connection)
    if org is None:
        raise ReportError("The cache is empty: run `a2v2-desktop sync` first.")
    tz_name = timezone or org.timezone
    start, end = local_day_bounds(first, last, zone(tz_name))
    agents = check_agent_ids(connection, agent_ids)
    credits, quantity = queries.spend_total(connection, start, end, agents)
    return SpendReport(
        organization=org,
        timezone=tz_name,
        first=first,
        last=last,
        total_credits=credits,
        total_quantity=quantity,
        by_agent=queries.spend_by_agent(connection, start, end, agents),
        by_member=queries.spend_by_member(connection, start, end, agents),
        by_activity=queries.spend_by_activity(connection, start, end, agents),
        by_day=credits_by_local_day(connection, first, last, tz_name, agents),
        conversations=queries.conversation_stats(connection, start, end, agents),
        agent_ids=agents,
    )


def check_agent_ids(connection: Connection, agent_ids: Sequence[str] | None) -> tuple[str, ...] | None:
    """The agents to filter by (None: all); an id the cache never saw is a typo, not an idle agent."""
    if not agent_ids:
        return None
    from a2v2_desktop.cache import usage_queries  # its models (the ORM) only when a filter is given

    known = {choice.id for choice in usage_queries.agent_choices(connection)}
    unknown = [agent_id for agent_id in agent_ids if agent_id not in known]
    if unknown:
        raise ReportError(f"no agent with id {unknown[0]!r} in the cache")
    return tuple(dict.fromkeys(agent_ids))


def report_to_json_dict(report: SpendReport) -> dict:
    """The command line's JSON contract; credits as exact decimal strings."""
    return {
        "organization": {"id": report.organization.id, "name": report.organization.name},
        "timezone": report.timezone,
        "from": report.first.isoformat(),
        "to": report.last.isoformat(),
        "total_credits": format_credits(report.total_credits),
        "by_agent": [
            {"agent_id": r.key, "agent_name": r.name, "credits": format_credits(r.credits), "quantity": r.quantity}
            for r in report.by_agent
        ],
        "by_member": [
            {"member_id": r.key, "member_name": r.name, "credits": format_credits(r.credits), "quantity": r.quantity}
            for r in report.by_member
        ],
        "by_activity": [
            {"activity": r.key, "credits": format_credits(r.credits), "quantity": r.quantity} for r in report.by_activity
        ],
        "by_day": [{"date": day.isoformat(), "credits": format_credits(c)} for day, c in report.by_day],
        "conversations": report.conversations.conversations,
        "messages": report.conversations.messages,
        "visitors": report.conversations.visitors,
        **({"agent_ids": list(report.agent_ids)} if report.agent_ids is not None else {}),
    }


def report_to_json(report: SpendReport) -> str:
    return json.dumps(report_to_json_dict(report), ensure_ascii=False, indent=2) + "\n"
