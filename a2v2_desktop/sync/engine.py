"""The sync engine: pulls the organization, lists and six feeds into the cache.

Every feed page is committed together with its cursor (a few pages to a transaction,
`sync.writer`), so a process killed at any moment loses nothing and the next run
resumes after the last committed page. Applying a page is idempotent (the highest
`seq` wins), so duplicates, re-sends and 410 restarts cannot double-count.

While pages are written on a second thread, the next is fetched and validated:
SQLite releases the GIL while it works, so parsing and writing overlap. At most three
pages are held at once, whatever the feed's size.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from a2v2_desktop.api import records as rec
from a2v2_desktop.api.client import MAX_PAGE, ApiClient
from a2v2_desktop.api.errors import ApiError, Cancelled, CursorExpired
from a2v2_desktop.cache import writes
from a2v2_desktop.cache.db import describe_write_error
from a2v2_desktop.cache.models import FEED_TABLES, Agent, Member
from a2v2_desktop.sync.rows import agent_row, billing_row, column_values, feed_columns, member_row, organization_row
from a2v2_desktop.sync.writer import PageWriter

log = logging.getLogger(__name__)

MAX_RESTARTS_PER_FEED = 20
STAGES = ("organization", "agents", "members", *rec.FEEDS, "billing")
# The instant each feed's records roughly arrive in order of: how far through its history a page is.
FEED_TIME = {"usage": "hour", "conversations": "last_activity_at", "unanswered_questions": "asked_at",
             "credit_transactions": "occurred_at", "transactions": "created_at"}


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
    records_per_second: float | None = None  # this feed so far, waits included
    eta_seconds: float | None = None  # this feed's time left; None when it cannot be told

    def speed_text(self) -> str:
        """"52,000 records/s · about 3 min left" (or "· time left unknown"); "" before any rate."""
        if not self.records_per_second:
            return ""
        rate = f"{self.records_per_second:,.0f} records/s"
        if self.eta_seconds is None:
            return f"{rate} · time left unknown"
        return f"{rate} · {_duration_text(self.eta_seconds)} left"


def _duration_text(seconds: float) -> str:
    if seconds < 60:
        return "less than a minute"
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return f"about {minutes} min"
    return f"about {minutes / 60:.1f} h"


@dataclass
class _FeedPace:
    """How fast one feed is coming in, and how much of its history is still to come.

    The server does not say how many records a feed holds; its records arrive roughly
    in time order, so the share of the time from the first page to now already covered
    estimates the share done. The platform's rate limit puts a floor under the estimate.
    """

    now: int
    started: float = field(default_factory=time.monotonic)
    records: int = 0
    first: int | None = None
    latest: int | None = None

    def add(self, records: int, span: tuple[int, int] | None) -> None:
        self.records += records
        if span is not None:
            self.first = span[0] if self.first is None else self.first
            self.latest = span[1] if self.latest is None else max(self.latest, span[1])

    def rate(self) -> float | None:
        elapsed = time.monotonic() - self.started
        return self.records / elapsed if self.records and elapsed > 0 else None

    def eta(self, page_size: int, rate_limit: tuple[int, int] | None) -> float | None:
        """Seconds left for this feed, or None when its history gives no hint."""
        rate = self.rate()
        if rate is None or self.first is None or self.latest is None or self.latest <= self.first:
            return None
        remaining = self.records * max(0, self.now - self.latest) / (self.latest - self.first)
        seconds = remaining / rate
        if rate_limit is not None:
            per_minute, left_in_window = rate_limit
            pages_after_window = math.ceil(remaining / page_size) - left_in_window
            seconds = max(seconds, pages_after_window / max(per_minute, 1) * 60)
        return seconds


@dataclass(frozen=True)
class _Page:
    feed: str
    rows: writes.Batch
    has_more: bool
    next_after_seq: int
    span: tuple[int, int] | None  # earliest and latest FEED_TIME instant on the page


@dataclass(frozen=True)
class _Written:
    """What the result and the progress need of a page once it is committed (its rows are long gone)."""

    feed: str
    records: int
    span: tuple[int, int] | None


@dataclass(frozen=True)
class _Folded:
    """The span of usage hours a committed transaction changed."""

    usage_hours: tuple[int, int]


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


def _short(error: Exception) -> str:
    """The driver's own words, cut short: they may quote the value."""
    text = str(error)
    return text if len(text) <= 120 else text[:119] + "…"


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
        self._pace = _FeedPace(0)
        self._progress_lock = threading.Lock()
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
        with PageWriter(self.engine, self._write_page, self._committed, self._fold_usage) as writer:
            for feed in rec.FEEDS:
                self._sync_feed(feed, writer)
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

    def _sync_feed(self, feed: str, writer: PageWriter) -> None:
        """Pages in order: each is fetched here while the ones before are written by `writer`. Whatever
        stops the feed, the pages fetched before it are written and committed first."""
        self._pace = _FeedPace(self._now())
        self._enter(feed)
        with self.engine.connect() as connection:
            after_seq = writes.read_cursor(connection, feed)
        restarts = 0
        has_more = True
        try:
            while has_more:
                self._check_cancel()
                try:
                    page = self._fetch(feed, after_seq)
                except CursorExpired:
                    writer.drain()  # the pages written so far commit their cursor before it goes back to 0
                    restarts += 1
                    if restarts > MAX_RESTARTS_PER_FEED:
                        raise SyncError(f"The server keeps expiring the {feed} feed's cursor; try again later.") from None
                    after_seq = self._restart_feed(feed)
                    continue
                writer.put(page)
                after_seq, has_more = page.next_after_seq, page.has_more
        finally:
            writer.drain()

    def _fetch(self, feed: str, after_seq: int) -> _Page:
        """One page, validated and made ready to write (here, while the writer works on the one before)."""
        page = self.client.feed_columns(feed, after_seq, self.page_size)
        span = None
        if page.count and feed in FEED_TIME:
            instants = page.columns[FEED_TIME[feed]]
            span = (min(instants), max(instants))
        rows = writes.Batch(feed_columns(feed), column_values(feed, page.columns))
        return _Page(feed, rows, page.has_more, page.next_after_seq, span)

    def _restart_feed(self, feed: str) -> int:
        """410: start the feed over; ids already held are simply upserted again."""
        log.warning("feed %s: cursor expired, restarting from the beginning", feed)
        with self.engine.begin() as connection:
            writes.save_cursor(connection, feed, 0, self._now(), restarted=True)
        self.result.restarts += 1
        return 0

    def _write_page(self, connection: Connection, page: _Page) -> _Written:
        """On the writer's thread, in the page's savepoint: the page and its cursor."""
        writes.save_cursor(connection, page.feed, page.next_after_seq, self._now())
        try:
            self._upsert(connection, page)
        except OverflowError as error:  # an integer past 64 bits: the driver's refusal undid the page
            raise SyncError(
                f"A {page.feed} record on the page up to seq {page.next_after_seq} holds a value the cache cannot "
                f"store ({_short(error)}); nothing from that page was saved. If it keeps happening, tell A2V2 support."
            ) from error
        return _Written(page.feed, page.rows.count, page.span)

    @staticmethod
    def _upsert(connection: Connection, page: _Page) -> None:
        """The page's rows; usage lines wait for the transaction's fold (`_fold_usage`)."""
        if page.feed == "usage":
            writes.claim_usage(connection, page.rows)
        else:
            writes.upsert_versioned(connection, FEED_TABLES[page.feed], page.rows)

    @staticmethod
    def _fold_usage(connection: Connection) -> _Folded | None:
        """On the writer's thread, last in each transaction: its usage lines added to the rollups."""
        hours = writes.fold_usage(connection)
        return None if hours is None else _Folded(hours)

    def _committed(self, page: _Written | _Folded) -> None:
        """On the writer's thread, once the page's transaction has committed: counted and reported."""
        if isinstance(page, _Folded):
            self._widen_usage_hours(*page.usage_hours)
            return
        self.result.records[page.feed] = self.result.records.get(page.feed, 0) + page.records
        self.result.pages += 1
        self._pace.add(page.records, page.span)
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
        """Progress to the callback, one report at a time: pages are reported from the writer thread."""
        pace = self._pace if self._stage in rec.FEEDS else None
        with self._progress_lock:
            self.progress(SyncProgress(
                stage=self._stage,
                stage_records=self.result.records.get(self._stage, 0),
                total_records=self.result.total_records,
                pages=self.result.pages,
                waiting_reason=reason,
                waiting_seconds=seconds,
                records_per_second=pace.rate() if pace else None,
                eta_seconds=pace.eta(self.page_size, self.client.rate_limit) if pace else None,
            ))

    def _report_wait(self, reason: str, seconds: float) -> None:
        self._report(reason, seconds)

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()

    def _now(self) -> int:
        return int(self.clock())
