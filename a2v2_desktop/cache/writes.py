"""The cache's write side: idempotent upserts where the highest `seq` wins.

Only the sync engine writes, from one thread; every function here runs inside the
caller's transaction so a page and its cursor commit together.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

from a2v2_desktop.cache.models import BillingSnapshot, FeedCursor, Organization, SyncRun

_DIALECT_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def newest_per_id(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop in-page duplicates, keeping the highest seq for each id (first wins on ties)."""
    best: dict[str, dict[str, Any]] = {}
    for row in rows:
        kept = best.get(row["id"])
        if kept is None or row["seq"] > kept["seq"]:
            best[row["id"]] = row
    return list(best.values())


def upsert_versioned(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert new ids; replace an existing id only with a higher seq."""
    rows = newest_per_id(rows)
    if not rows:
        return
    make_insert = _DIALECT_INSERT.get(connection.dialect.name)
    if make_insert is None:
        _upsert_portable(connection, table, rows, versioned=True)
        return
    statement = make_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={name: statement.excluded[name] for name in rows[0] if name != "id"},
        where=table.c.seq < statement.excluded.seq,
    )
    connection.execute(statement, rows)


def replace_all(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Upsert a full list (agents, members): the server's current state wins, nothing is deleted."""
    if not rows:
        return
    make_insert = _DIALECT_INSERT.get(connection.dialect.name)
    if make_insert is None:
        _upsert_portable(connection, table, rows, versioned=False)
        return
    statement = make_insert(table)
    key = [column for column in table.primary_key.columns]
    statement = statement.on_conflict_do_update(
        index_elements=key,
        set_={name: statement.excluded[name] for name in rows[0] if name not in {c.name for c in key}},
    )
    connection.execute(statement, rows)


def _upsert_portable(connection: Connection, table: Table, rows: list[dict[str, Any]], *, versioned: bool) -> None:
    """Row-at-a-time upsert for databases without ON CONFLICT."""
    key = table.c.id
    for row in rows:
        current = connection.execute(select(table.c.seq if versioned else key).where(key == row["id"])).first()
        if current is None:
            connection.execute(table.insert(), row)
        elif not versioned or current[0] < row["seq"]:
            connection.execute(update(table).where(key == row["id"]).values(row))


def save_organization(connection: Connection, row: dict[str, Any]) -> None:
    replace_all(connection, Organization.__table__, [row])


def save_billing_snapshot(connection: Connection, row: dict[str, Any]) -> None:
    connection.execute(BillingSnapshot.__table__.insert(), row)


def read_cursor(connection: Connection, feed: str) -> int:
    value = connection.execute(select(FeedCursor.after_seq).where(FeedCursor.feed == feed)).scalar()
    return value or 0


def save_cursor(connection: Connection, feed: str, after_seq: int, now: int, *, restarted: bool = False) -> None:
    table = FeedCursor.__table__
    updated = connection.execute(
        update(table)
        .where(table.c.feed == feed)
        .values(after_seq=after_seq, updated_at=now, restarts=table.c.restarts + int(restarted))
    )
    if updated.rowcount == 0:
        connection.execute(table.insert(), {"feed": feed, "after_seq": after_seq, "updated_at": now, "restarts": int(restarted)})


def start_run(connection: Connection, now: int) -> int:
    """Record a new sync attempt; runs a killed process left 'running' become 'interrupted'."""
    table = SyncRun.__table__
    connection.execute(update(table).where(table.c.status == "running").values(status="interrupted"))
    return connection.execute(table.insert().values(started_at=now, status="running", records=0)).inserted_primary_key[0]


def finish_run(connection: Connection, run_id: int, now: int, status: str, records: int, *, error: str | None = None,
               changed_hours: tuple[int, int] | None = None) -> None:
    first, last = changed_hours or (None, None)
    connection.execute(
        update(SyncRun.__table__)
        .where(SyncRun.id == run_id)
        .values(finished_at=now, status=status, records=records, error=error,
                changed_from_hour=first, changed_to_hour=last)
    )
