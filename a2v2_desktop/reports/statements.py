"""Statements kept for offline review: each closed billing period's spend summary, saved once (PDF + JSON).

A billing period has closed when a sync stores a snapshot whose period starts later than
the snapshot before it. Its statement is written once, with the data held at that
moment, into `statements/` beside the cache. A saved statement is never rewritten: when
late usage lines or refunds later change an earlier statement's total, the next statement
lists the revision, and the Statements list can regenerate one from today's data (kept
apart, under `statements/regenerated/`) showing what changed. Qt is reached only through
`printing.pdf`, imported when a PDF is written.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, Engine

from a2v2_desktop import paths
from a2v2_desktop.cache import billing_queries, queries
from a2v2_desktop.cache.db import cache_file
from a2v2_desktop.domain.credits import parse_credits
from a2v2_desktop.domain.times import format_rfc3339, local_day_bounds, parse_rfc3339, zone
from a2v2_desktop.insights.ranges import BillingPeriod
from a2v2_desktop.reports.exports import summary_json_dict
from a2v2_desktop.reports.summary import Revision, SpendSummary, summary_for_period

FOLDER, REGENERATED = "statements", "regenerated"
RenderPdf = Callable[[SpendSummary, Path], object]


@dataclass(frozen=True)
class Statement:
    """One saved statement, read back from its JSON."""

    first: date
    last: date
    period_start: int
    period_end: int
    timezone: str
    total: int
    saved_at: int
    json_path: Path
    revisions: tuple[Revision, ...]  # earlier statements' totals that this one noted as changed
    demo: bool

    @property
    def pdf_path(self) -> Path:
        return self.json_path.with_suffix(".pdf")

    def read(self) -> dict:
        return json.loads(self.json_path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Change:
    """One figure of a regenerated statement: as saved and as today's data has it (decimal strings)."""

    what: str
    before: str
    after: str


@dataclass(frozen=True)
class Regenerated:
    statement: Statement
    pdf_path: Path
    changes: tuple[Change, ...]  # the total first, then every pool, agent and member that changed


def statements_dir(cache_location: str) -> Path:
    """Beside a SQLite cache (a statement belongs with its data); in the app's data folder otherwise."""
    file = cache_file(cache_location)
    return (file.parent if file else paths.data_dir()) / FOLDER


def pdf_writer() -> RenderPdf:
    """The PDF renderer, imported only when a statement is due, so this module stays Qt-free."""
    from a2v2_desktop.printing.pdf import write_pdf

    return write_pdf


def closed_periods(periods: list[tuple[int, int]]) -> list[BillingPeriod]:
    """The period of every snapshot followed by one whose period starts later, oldest first, once each."""
    closed = {before: BillingPeriod(*before) for before, after in zip(periods, periods[1:]) if after[0] > before[0]}
    return sorted(closed.values(), key=lambda p: p.start)


def save_closed_period_statements(engine: Engine, cache_location: str, *, now: int | None = None,
                                  demo: bool = False, render_pdf: RenderPdf | None = None) -> list[Statement]:
    """After a sync: save a statement for every closed billing period that has none yet; returns the new ones."""
    folder = statements_dir(cache_location)
    now = int(time.time()) if now is None else now
    with engine.connect() as connection:
        closed = closed_periods(billing_queries.snapshot_periods(connection))
        kept = list_statements(folder)
        held = {s.period_start for s in kept}
        saved: list[Statement] = []
        for period in closed:
            if period.start in held:
                continue
            summary = summary_for_period(connection, period, now, demo)
            summary = replace(summary, revisions=revisions(connection, kept + saved))
            saved.append(write_statement(folder, period, summary, now, render_pdf or pdf_writer()))
    return saved


def revisions(connection: Connection, earlier: list[Statement]) -> tuple[Revision, ...]:
    """Earlier statements whose total today differs from the last total stated for them."""
    stated = {(s.first, s.last): s.total for s in earlier}
    for statement in sorted(earlier, key=lambda s: s.saved_at):
        stated.update({(r.first, r.last): r.current for r in statement.revisions})
    found = []
    for statement in sorted(earlier, key=lambda s: s.first):
        bounds = local_day_bounds(statement.first, statement.last, zone(statement.timezone))
        current, _quantity = queries.spend_total(connection, *bounds)
        if current != stated[(statement.first, statement.last)]:
            found.append(Revision(statement.first, statement.last, stated[(statement.first, statement.last)], current))
    return tuple(found)


def statement_json(summary: SpendSummary, period: BillingPeriod, saved_at: int) -> dict:
    return {**summary_json_dict(summary),
            "statement": {"period_start": format_rfc3339(period.start), "period_end": format_rfc3339(period.end),
                          "saved_at": format_rfc3339(saved_at)}}


def write_statement(folder: Path, period: BillingPeriod, summary: SpendSummary, now: int,
                    render_pdf: RenderPdf) -> Statement:
    """The PDF first, then the JSON: a statement counts as saved once its JSON is there."""
    paths.ensure_private_dir(folder)
    target = folder / f"{summary.span.first.isoformat()}_{summary.span.last.isoformat()}.json"
    render_pdf(summary, target.with_suffix(".pdf"))
    _write_atomically(target, json.dumps(statement_json(summary, period, now), ensure_ascii=False, indent=2) + "\n")
    return read_statement(target)


def _write_atomically(path: Path, content: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(content, encoding="utf-8")
    os.replace(partial, path)


def read_statement(path: Path) -> Statement:
    data = json.loads(path.read_text(encoding="utf-8"))
    meta = data["statement"]
    noted = tuple(Revision(date.fromisoformat(r["from"]), date.fromisoformat(r["to"]),
                           parse_credits(r["stated_credits"]), parse_credits(r["current_credits"]))
                  for r in data["tables"]["revisions"])
    return Statement(date.fromisoformat(data["from"]), date.fromisoformat(data["to"]),
                     parse_rfc3339(meta["period_start"]), parse_rfc3339(meta["period_end"]), data["timezone"],
                     parse_credits(data["total_credits"]), parse_rfc3339(meta["saved_at"]), path, noted,
                     data["summary"]["demo_data"] == "yes")


def list_statements(folder: Path) -> list[Statement]:
    """Every saved statement in the folder, newest period first; a file that cannot be read is skipped."""
    found = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            found.append(read_statement(path))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(found, key=lambda s: s.first, reverse=True)


def regenerate_statement(engine: Engine, statement: Statement, *, now: int | None = None,
                         render_pdf: RenderPdf | None = None) -> Regenerated:
    """The statement made again from today's data, beside the original (kept as it was), and what changed."""
    now = int(time.time()) if now is None else now
    period = BillingPeriod(statement.period_start, statement.period_end)
    with engine.connect() as connection:
        summary = summary_for_period(connection, period, now, statement.demo, title="Statement (regenerated)")
    folder = statement.json_path.parent / REGENERATED
    paths.ensure_private_dir(folder)
    target = folder / statement.pdf_path.name
    (render_pdf or pdf_writer())(summary, target)
    after = statement_json(summary, period, now)
    _write_atomically(target.with_suffix(".json"), json.dumps(after, ensure_ascii=False, indent=2) + "\n")
    return Regenerated(statement, target, statement_changes(statement.read(), after))


def statement_changes(before: dict, after: dict) -> tuple[Change, ...]:
    """The total, then each pool, agent and member whose credits differ between two statements' JSON."""
    changes = [Change("Total credits", before["total_credits"], after["total_credits"])]
    for label, rows_of, key, name in (("Pool", lambda d: d["tables"]["pools"], "pool", "pool_name"),
                                      ("Agent", lambda d: d["by_agent"], "agent_id", "agent_name"),
                                      ("Team member", lambda d: d["by_member"], "member_id", "member_name")):
        old = {row[key]: row for row in rows_of(before)}
        new = {row[key]: row for row in rows_of(after)}
        for ident in sorted(old.keys() | new.keys(), key=lambda k: str(k)):
            was, now = old.get(ident, {}).get("credits", "0"), new.get(ident, {}).get("credits", "0")
            if was != now:
                shown = (new.get(ident) or old[ident])[name]
                changes.append(Change(f"{label}: {shown}", was, now))
    return tuple(changes)
