"""Totals computed independently from the generator's own records (Decimal, zoneinfo, no cache code)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo


def _current(records) -> dict:
    best = {}
    for record in records:
        if record["id"] not in best or record["seq"] > best[record["id"]]["seq"]:
            best[record["id"]] = record
    return best


def _local_date(text: str, tz: ZoneInfo) -> date:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(tz).date()


def _text(value: Decimal) -> str:
    """The report's form: shortest exact decimal."""
    text = format(value.normalize(), "f") if value else "0"
    return text


def expected_report(org, first: date, last: date, tz_name: str | None = None) -> dict:
    """The JSON report's figures for the generator's data, as sets/dicts for order-free comparison."""
    tz = ZoneInfo(tz_name or org.organization["timezone"])
    agents = {a["id"]: a["name"] for a in org.agents}
    members = {m["id"]: m["name"] for m in org.members}
    credits = defaultdict(Decimal)
    by_agent = defaultdict(lambda: [Decimal(0), 0])
    by_member = defaultdict(lambda: [Decimal(0), 0])
    by_activity = defaultdict(lambda: [Decimal(0), 0])
    for record in _current(org.feeds["usage"]).values():
        day = _local_date(record["hour"], tz)
        if not first <= day <= last:
            continue
        amount = Decimal(record["credits"])
        credits[day] += amount
        for bucket, key in ((by_agent, record["agent_id"]), (by_member, record["member_id"]), (by_activity, record["activity"])):
            bucket[key][0] += amount
            bucket[key][1] += record["quantity"]
    started = [c for c in _current(org.feeds["conversations"]).values() if first <= _local_date(c["started_at"], tz) <= last]
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return {
        "organization": {"id": org.organization["id"], "name": org.organization["name"]},
        "timezone": str(tz),
        "from": first.isoformat(),
        "to": last.isoformat(),
        "total_credits": _text(sum(credits.values(), Decimal(0))),
        "by_agent": {(k, agents.get(k), _text(v[0]), v[1]) for k, v in by_agent.items()},
        "by_member": {(k, members.get(k) if k else "Visitors' traffic", _text(v[0]), v[1]) for k, v in by_member.items()},
        "by_activity": {(k, _text(v[0]), v[1]) for k, v in by_activity.items()},
        "by_day": [{"date": d.isoformat(), "credits": _text(credits.get(d, Decimal(0)))} for d in days],
        "conversations": len(started),
        "messages": sum(c["visitor_messages"] + c["agent_messages"] for c in started),
        "visitors": len({c["visitor_id"] for c in started}),
    }


def comparable(report: dict) -> dict:
    """A JSON report in the same order-free shape as expected_report."""
    out = dict(report)
    out["by_agent"] = {(r["agent_id"], r["agent_name"], r["credits"], r["quantity"]) for r in report["by_agent"]}
    out["by_member"] = {(r["member_id"], r["member_name"], r["credits"], r["quantity"]) for r in report["by_member"]}
    out["by_activity"] = {(r["activity"], r["credits"], r["quantity"]) for r in report["by_activity"]}
    return out
