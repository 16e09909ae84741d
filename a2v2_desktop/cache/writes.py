"""The cache's write side: idempotent upserts where the highest `seq` wins.

Only the sync engine writes, from one thread; every function here runs inside the
caller's transaction so a page and its cursor commit together.

A page of rows (`Batch`) reaches SQLite as plain parameters, thousands of rows per
INSERT. Binding rows one by one (SQLAlchemy dicts, or even the driver's executemany)
costs more than the insert, and executemany hands the GIL back and forth around every
row, which crawls while the next page is parsed on another thread; reading the rows out
of one JSON array with json_each costs SQLite more than the insert itself.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

from a2v2_desktop.cache import rollups
from a2v2_desktop.cache.models import BillingSnapshot, FeedCursor, Organization, SyncRun

_DIALECT_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
# A whole page in as few statements as SQLite's parameter limit allows (2 for a page of 5,000 usage
# lines). Alone, 500 rows to a statement were as fast; but while the next page is parsed, the writer
# waits for the GIL after every statement, and fewer statements made the ingest 11% faster
# (bench/ingest.py's pages, medians of 5 alternating runs: 41,600 → 46,300 records/s).
ROWS_PER_STATEMENT = 5000


@dataclass(frozen=True)
class Batch:
    """A page of rows, made on the sync's fetch side, written here: `values` holds them one after another,
    each in `columns` order (no tuple per row, and nothing to flatten before binding).

    The driver refuses an integer beyond 64 bits (OverflowError, never a float) when the rows
    are bound, inside the page's transaction, so nothing of such a page is written."""

    columns: tuple[str, ...]
    values: list

    @property
    def count(self) -> int:
        return len(self.values) // len(self.columns)

    def rows(self) -> list[tuple]:
        """The values cut back into a tuple per row (for drivers that take rows one by one)."""
        width = len(self.columns)
        return [tuple(self.values[start:start + width]) for start in range(0, len(self.values), width)]


@lru_cache(maxsize=64)
def _upsert_sql(table: str, columns: tuple[str, ...], count: int, mark: str) -> str:
    """Insert `count` rows; a held id is replaced only by a higher seq (so in-page duplicates
    resolve in order: the highest seq wins, the first on ties)."""
    row = f"({', '.join([mark] * len(columns))})"
    changes = ", ".join(f"{name} = excluded.{name}" for name in columns if name != "id")
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * count)} "
            f"ON CONFLICT (id) DO UPDATE SET {changes} WHERE excluded.seq > {table}.seq")


def _rows_per_statement(connection: Connection, columns: int, rows: int) -> int:
    """Rows to a statement: `rows` shared evenly among as few statements as SQLite's parameter limit and
    ROWS_PER_STATEMENT allow (even parts reuse one prepared statement)."""
    if connection.dialect.name != "sqlite":
        return 1
    limit = connection.connection.driver_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    most = max(1, min(ROWS_PER_STATEMENT, limit // columns))
    parts = max(1, -(-rows // most))
    return max(1, -(-rows // parts))


def _upsert(connection: Connection, table: str, rows: Batch) -> None:
    """Insert new ids and replace held ones with higher seqs, many rows per statement: SQLite
    then steps once per few thousand rows (the GIL changes hands once, not once per row) and
    reads plain parameters (reading each row back out of JSON costs more than the insert)."""
    width = len(rows.columns)
    step = width * _rows_per_statement(connection, width, rows.count)
    mark = rollups.marks(connection, 1)
    if step == width:
        connection.exec_driver_sql(_upsert_sql(table, rows.columns, 1, mark), rows.rows())
        return
    for start in range(0, len(rows.values), step):
        part = tuple(rows.values[start:start + step])
        connection.exec_driver_sql(_upsert_sql(table, rows.columns, len(part) // width, mark), part)


def swap_setting(connection: Connection, name: str, value: int) -> int | None:
    """Set this connection's SQLite `PRAGMA name` (cache_size, wal_autocheckpoint) to an integer; the
    value it had. Other databases have no such settings: nothing is done and None returned."""
    if connection.dialect.name != "sqlite":
        return None
    previous = connection.exec_driver_sql(f"PRAGMA {name}").scalar()
    connection.exec_driver_sql(f"PRAGMA {name} = {int(value)}")
    return previous


def checkpoint(connection: Connection) -> None:
    """Copy what the WAL holds into the database file, as far as readers allow, without waiting for
    any (SQLite's PASSIVE checkpoint). Other databases have nothing to do."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def begin_writing(connection: Connection) -> None:
    """Start the transaction with a write that changes nothing: SQLite takes the write lock now, and
    the driver opens the transaction before any SAVEPOINT (a SAVEPOINT that opened it would commit
    it on RELEASE)."""
    connection.exec_driver_sql("UPDATE feed_cursors SET after_seq = after_seq WHERE false")


def upsert_versioned(connection: Connection, table: Table, rows: Batch) -> None:
    """Upsert a page of feed rows into a feed table."""
    if rows.values:
        _upsert(connection, table.name, rows)


def claim_usage(connection: Connection, rows: Batch) -> None:
    """Upsert usage lines, claimed by the transaction: the rollups take them at `fold_usage`, which must
    run before the transaction commits."""
    if rows.values:
        rollups.hold_changes(connection)
        _upsert(connection, "usage", rows)


def fold_usage(connection: Connection) -> tuple[int, int] | None:
    """Add the usage lines the transaction claimed to the rollups; the span of hours they changed."""
    return rollups.fold_changes(connection)


def replace_all(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Upsert a full list (agents, members): the server's current state wins, nothing is deleted."""
    if not rows:
        return
    statement = _DIALECT_INSERT[connection.dialect.name](table)
    key = [column for column in table.primary_key.columns]
    statement = statement.on_conflict_do_update(
        index_elements=key,
        set_={name: statement.excluded[name] for name in rows[0] if name not in {c.name for c in key}},
    )
    connection.execute(statement, rows)


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
