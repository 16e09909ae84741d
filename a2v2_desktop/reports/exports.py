"""The spend summary as files: the JSON behind a statement, and CSV tables for spreadsheets.

Both are made from the same records (one dict per row, every value already text), so
the CSV parsed back equals the JSON. Credits are exact decimal strings, instants ISO
8601 in the report's zone, and a cell a spreadsheet would run as a formula is
neutralized (plain signed numbers are left as numbers).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

from a2v2_desktop.domain.credits import format_credits
from a2v2_desktop.domain.times import zone
from a2v2_desktop.insights import text
from a2v2_desktop.insights.answer_quality import neutralize
from a2v2_desktop.insights.billing import KIND_LABELS, POOL_NAMES
from a2v2_desktop.insights.forecast import money_text
from a2v2_desktop.insights.usage import ACTIVITIES, BreakdownRow
from a2v2_desktop.reports.spend import report_to_json_dict
from a2v2_desktop.reports.summary import Balance, SpendSummary

Record = dict[str, str]
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?%?")
AGENT, MEMBER = "agent", "member"
TABLE_FILES = ("summary.csv", "agents.csv", "members.csv", "activities.csv", "pools.csv", "days.csv",
               "purchases.csv", "runaways.csv", "revisions.csv")


# ---- cells ---------------------------------------------------------------------------------------

def safe_cell(value: str) -> str:
    """A plain signed number stays a number; anything else that starts like a formula is neutralized."""
    return value if _NUMBER.fullmatch(value) else neutralize(value)


def moment_iso(epoch: int | None, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(epoch, tz).isoformat(timespec="seconds") if epoch is not None else ""


def change_cell(current: int, previous: int) -> str:
    """Signed percent ("-4.0%"), "new" when nothing came before, empty when nothing either time."""
    ratio = text.change(current, previous)
    if ratio is None:
        return "new" if current > 0 else ""
    return ("+" if ratio > 0 else "") + text.percent(ratio)


def share_cell(part: int, total: int) -> str:
    return text.percent(Fraction(part, total)) if total > 0 else ""


# ---- records ------------------------------------------------------------------------------------------

def breakdown_records(rows: Iterable[BreakdownRow], total: int, kind: str) -> list[Record]:
    """One agent or member per record, as the tables show them (the Usage panel's rows included)."""
    inactive = "deleted" if kind == AGENT else "removed"
    records = []
    for row in rows:
        status = "visitors" if kind == MEMBER and row.key is None else inactive if row.inactive else "active"
        record = {f"{kind}_id": row.key or "", f"{kind}_name": row.name, "status": status,
                  "credits": format_credits(row.credits), "share": share_cell(row.credits, total),
                  "quantity": str(row.quantity), "previous_credits": format_credits(row.previous_credits),
                  "change": change_cell(row.credits, row.previous_credits)}
        if kind == AGENT:
            record["runaway"] = "yes" if row.runaway else "no"
        records.append(record)
    return records


def _balance_fields(prefix: str, balance: Balance | None, tz: ZoneInfo) -> Record:
    if balance is None:
        return {}
    return {f"{prefix}_at": moment_iso(balance.at, tz),
            f"{prefix}_message_credits": format_credits(balance.plan),
            f"{prefix}_topup_credits": format_credits(balance.topup),
            f"{prefix}_next_billing_date": moment_iso(balance.next_billing, tz),
            f"{prefix}_source": "snapshot" if balance.recorded else "ledger"}


def summary_fields(summary: SpendSummary) -> Record:
    """The figures of the header, the totals, the balances and the forecast, one per field."""
    report, cards, tz = summary.report, summary.cards, zone(summary.timezone)
    forecast = summary.forecast
    return {
        "title": summary.request.title, "organization_id": report.organization.id,
        "organization_name": report.organization.name, "timezone": report.timezone,
        "from": report.first.isoformat(), "to": report.last.isoformat(), "range": summary.label,
        "agents": " ".join(report.agent_ids) if report.agent_ids else "all",
        "generated_at": moment_iso(summary.request.now, tz), "data_as_of": moment_iso(summary.data_as_of, tz),
        "demo_data": "yes" if summary.request.demo else "no",
        "total_credits": format_credits(report.total_credits), "total_quantity": str(report.total_quantity),
        "compared_from": summary.compared.first.isoformat(), "compared_to": summary.compared.last.isoformat(),
        "previous_from": summary.previous.first.isoformat(), "previous_to": summary.previous.last.isoformat(),
        "previous_credits": format_credits(cards.previous_credits),
        "change": change_cell(cards.credits, cards.previous_credits),
        "conversations": str(report.conversations.conversations), "messages": str(report.conversations.messages),
        "visitors": str(report.conversations.visitors),
        **_balance_fields("balance_end", summary.balance_end, tz),
        **_balance_fields("balance_now", summary.balance_now, tz),
        "forecast_as_of": moment_iso(forecast.at, tz) if forecast else "",
        "forecast": " ".join(forecast.sentences) if forecast else "",
    }


def activity_records(summary: SpendSummary) -> list[Record]:
    total = summary.report.total_credits
    return [{"activity": row.key, "credits": format_credits(row.credits), "share": share_cell(row.credits, total),
             "quantity": str(row.quantity)} for row in summary.report.by_activity]


def pool_records(summary: SpendSummary) -> list[Record]:
    total = summary.report.total_credits
    return [{"pool": pool, "pool_name": POOL_NAMES.get(pool, pool), "credits": format_credits(credits),
             "share": share_cell(credits, total)} for pool, credits in sorted(summary.cards.pools.items())]


def day_records(summary: SpendSummary) -> list[Record]:
    """Each local date's credits (the JSON's by_day), split by activity as the chart draws them."""
    chart = summary.chart
    return [{"date": day.isoformat(), "credits": format_credits(credits),
             **{activity: format_credits(chart.credits[activity][index]) for activity in ACTIVITIES}}
            for index, (day, credits) in enumerate(summary.report.by_day)]


def purchase_records(summary: SpendSummary) -> list[Record]:
    tz = zone(summary.timezone)
    return [{"occurred_at": moment_iso(tx.occurred_at, tz), "kind": tx.kind,
             "kind_name": KIND_LABELS.get(tx.kind, tx.kind), "pool": tx.pool, "credits": format_credits(tx.credits),
             "paid": money_text(tx.paid_amount, tx.paid_currency) if tx.paid_amount is not None else "",
             "paid_minor_units": "" if tx.paid_amount is None else str(tx.paid_amount),
             "currency": (tx.paid_currency or "").upper(), "note": tx.note or ""} for tx in summary.purchases]


def runaway_records(summary: SpendSummary) -> list[Record]:
    tz = zone(summary.timezone)
    return [{"agent_id": r.agent_id, "agent_name": r.name, "window_end": moment_iso(r.window_end, tz),
             "spent_credits": format_credits(r.spent), "normal_credits_per_day": format_credits(r.normal),
             "times_normal": str(round(r.ratio)) if r.ratio is not None else ""} for r in summary.runaways]


def revision_records(summary: SpendSummary) -> list[Record]:
    return [{"from": r.first.isoformat(), "to": r.last.isoformat(), "stated_credits": format_credits(r.stated),
             "current_credits": format_credits(r.current), "difference": format_credits(r.current - r.stated)}
            for r in summary.revisions]


def summary_tables(summary: SpendSummary) -> dict[str, list[Record]]:
    """Every table of the summary by file name; summary.csv holds one field per row."""
    total = summary.report.total_credits
    return {
        "summary.csv": [{"field": key, "value": value} for key, value in summary_fields(summary).items()],
        "agents.csv": breakdown_records(summary.agents, total, AGENT),
        "members.csv": breakdown_records(summary.members, total, MEMBER),
        "activities.csv": activity_records(summary),
        "pools.csv": pool_records(summary),
        "days.csv": day_records(summary),
        "purchases.csv": purchase_records(summary),
        "runaways.csv": runaway_records(summary),
        "revisions.csv": revision_records(summary),
    }


HEADERS = {  # the header row of a table that may have no rows
    "purchases.csv": ("occurred_at", "kind", "kind_name", "pool", "credits", "paid", "paid_minor_units", "currency",
                      "note"),
    "runaways.csv": ("agent_id", "agent_name", "window_end", "spent_credits", "normal_credits_per_day",
                     "times_normal"),
    "revisions.csv": ("from", "to", "stated_credits", "current_credits", "difference"),
    "pools.csv": ("pool", "pool_name", "credits", "share"),
    "activities.csv": ("activity", "credits", "share", "quantity"),
}


# ---- writers ------------------------------------------------------------------------------------------

def csv_text(records: Sequence[Record], header: Sequence[str] | None = None) -> str:
    """Records as CSV text with a header row; every cell made safe for a spreadsheet."""
    columns = list(records[0]) if records else list(header or ())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([safe_cell(record[column]) for column in columns])
    return out.getvalue()


def csv_bytes(records: Sequence[Record], header: Sequence[str] | None = None) -> bytes:
    """UTF-8 with a byte-order mark: what spreadsheets expect (as the analytics export writes it)."""
    return csv_text(records, header).encode("utf-8-sig")


def csv_files(summary: SpendSummary) -> dict[str, bytes]:
    """Each table of the summary as a CSV file's bytes."""
    return {name: csv_bytes(records, HEADERS.get(name)) for name, records in summary_tables(summary).items()}


def write_csv(summary: SpendSummary, target: Path) -> list[Path]:
    """A .zip of every table, or one file per table in the folder `target` (created if missing)."""
    files = csv_files(summary)
    if target.suffix.lower() == ".zip":
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in files.items():
                archive.writestr(name, content)
        return [target]
    target.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (target / name).write_bytes(content)
    return [target / name for name in files]


def summary_json_dict(summary: SpendSummary) -> dict:
    """The JSON report (the contract, unchanged) with the summary's other figures beside it."""
    tables = summary_tables(summary)
    return {
        **report_to_json_dict(summary.report),
        "summary": summary_fields(summary),
        "tables": {name.removesuffix(".csv"): records for name, records in tables.items() if name != "summary.csv"},
    }


def summary_json(summary: SpendSummary) -> str:
    return json.dumps(summary_json_dict(summary), ensure_ascii=False, indent=2) + "\n"
