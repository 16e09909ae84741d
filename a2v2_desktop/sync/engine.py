"""The sync engine: pulls the organization, lists and six feeds into the cache.

Every feed page is applied in one transaction together with its cursor, so a
process killed at any moment loses nothing and the next run resumes after the
last committed page. Applying a page is idempotent (the highest `seq` wins), so
duplicates, re-sends and 410 restarts cannot double-count.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from a2v2_desktop.api import records as rec
from a2v2_desktop.api.client import MAX_PAGE, ApiClient
from a2v2_desktop.api.errors import ApiError, Cancelled, CursorExpired
from a2v2_desktop.cache import writes
from a2v2_desktop.cache.db import describe_write_error
from a2v2_desktop.cache.models import FEED_TABLES, Agent, Member
from a2v2_desktop.sync.rows import FEED_ROW, agent_row, billing_row, member_row, organization_row

log = logging.getLogger(__name__)

MAX_RESTARTS_PER_FEED = 20
STAGES = ("organization", "agents", "members", *rec.FEEDS, "billing")


class SyncError(Exception):
    """The sync stopped; everything committed before it stays. str() is for people."""


@dataclass(frozen=True)
class SyncProgress:
    """What the sync is doing now; sent after every page and before every wait."""

    stage: str
    stage_records: int = 0
    total_records: int = 0
    pages: int = 0
    waiting_reason: str | None = None
    waiting_seconds: float | None = None


@dataclass
class SyncResult:
    """What a finished sync changed, so views refresh only when it touches them."""

    records: dict[str, int] = field(default_factory=dict)
    pages: int = 0
    restarts: int = 0
    seconds: float = 0.0
    usage_hours: tuple[int, int] | None = None

    @property
    def total_records(self) -> int:
        return sum(self.records.values())

    @property
    def changed_feeds(self) -> frozenset[str]:
        return frozenset(name for name, count in self.records.items() if count)


ProgressCallback = Callable[[SyncProgress], None]


class SyncEngine:
    def __init__(
        self,
        client: ApiClient,
        engine: Engine,
        *,
        page_size: int = MAX_PAGE,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.client = client
        self.engine = engine
        self.page_size = page_size
        self.progress = progress or (lambda _p: None)
        self.cancel = cancel or client.cancel
        self.clock = clock
        self.result = SyncResult()
        self._stage = "organization"
        client.on_wait = self._report_wait

    def run(self) -> SyncResult:
        """Sync everything; raises SyncError (or Cancelled) with all committed pages kept."""
        try:
            return self._recorded_run()
        except DBAPIError as error:
            raise SyncError(f"{describe_write_error(error)}; the data synced before is intact.") from error

    def _recorded_run(self) -> SyncResult:
        """The sync, bracketed by its sync_runs row (ok, failed with its message, or cancelled)."""
        started = time.monotonic()
        with self.engine.begin() as connection:
            run_id = writes.start_run(connection, self._now())
        try:
            self._sync_all()
        except Cancelled:
            self._finish(run_id, "cancelled", started)
            raise
        except (ApiError, rec.InvalidRecordError, SyncError) as error:
            self._finish(run_id, "failed", started, error=str(error))
            raise SyncError(str(error)) from error
        self._finish(run_id, "ok", started)
        return self.result

    def _sync_all(self) -> None:
        self._sync_lists()
        for feed in rec.FEEDS:
            self._sync_feed(feed)
        self._sync_billing()

    def _sync_lists(self) -> None:
        self._enter("organization")
        organization = self.client.organization()
        self._enter("agents")
        agents = [agent_row(agent) for agent in self.client.agents()]
        self._enter("members")
        members = [member_row(member) for member in self.client.members()]
        with self.engine.begin() as connection:
            writes.save_organization(connection, organization_row(organization))
            writes.replace_all(connection, Agent.__table__, agents)
            writes.replace_all(connection, Member.__table__, members)

    def _sync_billing(self) -> None:
        self._enter("billing")
        snapshot = self.client.billing()
        with self.engine.begin() as connection:
            row = billing_row(snapshot, self._now())
            row["usage_seq"] = writes.read_cursor(connection, "usage")
            row["credit_transactions_seq"] = writes.read_cursor(connection, "credit_transactions")
            writes.save_billing_snapshot(connection, row)

    def _sync_feed(self, feed: str) -> None:
        self._enter(feed)
        with self.engine.connect() as connection:
            after_seq = writes.read_cursor(connection, feed)
        restarts = 0
        has_more = True
        while has_more:
            self._check_cancel()
            try:
                records, has_more, next_after_seq = self.client.feed_page(feed, after_seq, self.page_size)
            except CursorExpired:
                restarts += 1
                if restarts > MAX_RESTARTS_PER_FEED:
                    raise SyncError(f"The server keeps expiring the {feed} feed's cursor; try again later.") from None
                after_seq = self._restart_feed(feed)
                continue
            self._apply_page(feed, records, next_after_seq)
            after_seq = next_after_seq

    def _restart_feed(self, feed: str) -> int:
        """410: start the feed over; ids already held are simply upserted again."""
        log.warning("feed %s: cursor expired, restarting from the beginning", feed)
        with self.engine.begin() as connection:
            writes.save_cursor(connection, feed, 0, self._now(), restarted=True)
        self.result.restarts += 1
        return 0

    def _apply_page(self, feed: str, records: list[rec.FeedRecord], next_after_seq: int) -> None:
        to_row = FEED_ROW[feed]
        rows = [to_row(record) for record in records]
        with self.engine.begin() as connection:
            writes.upsert_versioned(connection, FEED_TABLES[feed], rows)
            writes.save_cursor(connection, feed, next_after_seq, self._now())
        if feed == "usage" and rows:
            self._widen_usage_hours(min(r["hour"] for r in rows), max(r["hour"] for r in rows))
        self.result.records[feed] = self.result.records.get(feed, 0) + len(rows)
        self.result.pages += 1
        self._report()

    def _widen_usage_hours(self, first: int, last: int) -> None:
        span = self.result.usage_hours
        self.result.usage_hours = (first, last) if span is None else (min(span[0], first), max(span[1], last))

    def _finish(self, run_id: int, status: str, started: float, error: str | None = None) -> None:
        self.result.seconds = time.monotonic() - started
        log.info("sync %s: %d records, %d pages, %d restarts in %.1f s%s", status, self.result.total_records,
                 self.result.pages, self.result.restarts, self.result.seconds, f" ({error})" if error else "")
        with self.engine.begin() as connection:
            writes.finish_run(connection, run_id, self._now(), status, self.result.total_records,
                              error=error, changed_hours=self.result.usage_hours)

    # -- progress ----------------------------------------------------------------

    def _enter(self, stage: str) -> None:
        self._check_cancel()
        self._stage = stage
        self._report()

    def _report(self, reason: str | None = None, seconds: float | None = None) -> None:
        self.progress(SyncProgress(
            stage=self._stage,
            stage_records=self.result.records.get(self._stage, 0),
            total_records=self.result.total_records,
            pages=self.result.pages,
            waiting_reason=reason,
            waiting_seconds=seconds,
        ))

    def _report_wait(self, reason: str, seconds: float) -> None:
        self._report(reason, seconds)

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()

    def _now(self) -> int:
        return int(self.clock())
