"""The sync's cache writer: pages written on a thread of their own, several to a transaction.

A transaction takes pages until it holds PAGES_PER_COMMIT, or until no further page is
waiting, and then runs `before_commit` (the sync adds the transaction's usage lines to the
rollups there, once for all its pages) and commits with the last page's cursor. Folding
and committing every page made the writing 15-30% slower (each commit writes the rollups'
busiest database pages to the WAL again); committing as soon as the writer would wait means a
transaction is never held open while the network is awaited, so readers see new pages as
they arrive and other writers never queue behind a slow server.

Each page is written inside a SAVEPOINT: a page whose data fails is undone alone and the
pages before it in the transaction are committed, as if each page had committed on its own.
A database error may already have undone the whole transaction (SQLite does so when the
disk is full), so then none of it is counted. After a failure nothing more is written: a
later page's cursor must never be committed without the page before it.

Once pages queue up, the writer's connection stops checkpointing the WAL: `_Checkpointer` does,
after every commit, on a thread and connection of its own.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from a2v2_desktop.cache import writes

log = logging.getLogger(__name__)

PAGES_PER_COMMIT = 16  # the writer alone, 400,000 usage lines in pages of 5,000: 53,000-58,000 lines/s folding
                       # each page and committing every 4; folding each transaction once, 60,000 with 4 or 8
                       # pages to it, 60,000-76,000 with 16 (32 no better). A whole large sync: 100 → 92 s
PAGES_WAITING = 1  # pages handed over and not yet being written: with the one being written and the
                   # one being fetched, at most three pages are held whatever the feed's size
# SQLite's page cache on the writer's connection while it syncs (2 MB by default): the rollups'
# pages stay in memory instead of being read again (system time of a large initial sync 20 → 14 s).
PAGE_CACHE_KIB = 32 * 1024


class _Checkpointer:
    """Copies the WAL into the database file on a thread and connection of its own, after each commit,
    once pages queue up for the writer (a page is handed over while the one before is being written):
    a large sync.

    SQLite checkpoints on the committing connection by default (every 1,000 pages of WAL): the writer
    would copy the pages and wait for the disk to flush them while the next page waits. A small sync
    keeps that default: a checkpoint after each of its few commits would only add flushes. Off the writer's
    thread, the usage feed of the large benchmark organization went in 9% faster (its first 200 pages
    over HTTP, medians of 6 alternating runs: 48,942 → 53,442 lines/s), and the WAL still never grows
    much past a transaction or two. A checkpoint that fails is only logged: the pages stay in the WAL,
    as safe there, and SQLite copies them at its next chance."""

    def __init__(self, engine: Engine):
        self._engine = engine
        self._due = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="a2v2-cache-checkpointer", daemon=True)
        self._thread.start()

    def nudge(self) -> None:
        """A commit went in: checkpoint it (soon; nudges while one runs make one more)."""
        self._due.set()

    def close(self) -> None:
        """Return once a last checkpoint of everything committed is done."""
        self._closing = True
        self._due.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            with self._engine.connect() as connection:
                closing = False
                while not closing:
                    self._due.wait()
                    self._due.clear()
                    closing = self._closing  # read first: a close during this checkpoint gets one more
                    self._checkpoint(connection)
        except DBAPIError as error:  # no connection: SQLite checkpoints the WAL at its next chance
            log.warning("the cache's WAL is not checkpointed during this sync: %s", error)

    @staticmethod
    def _checkpoint(connection: Connection) -> None:
        try:
            writes.checkpoint(connection)
        except DBAPIError as error:
            log.warning("the cache's WAL was not checkpointed: %s", error)
        connection.rollback()  # ends the transaction SQLAlchemy began for the PRAGMA


class PageWriter:
    """`write(connection, page) -> receipt` runs on the writer's thread inside the page's savepoint;
    `committed(receipt)` runs there too, once the transaction holding the page has committed.
    The receipt should be small: it is kept until the commit, the page is not. `before_commit(connection)`
    runs last in every transaction; a receipt it returns (not None) reaches `committed` after the pages'."""

    def __init__(self, engine: Engine, write: Callable[[Connection, Any], Any], committed: Callable[[Any], None],
                 before_commit: Callable[[Connection], Any] = lambda _connection: None):
        self._engine, self._write_page, self._committed = engine, write, committed
        self._before_commit = before_commit
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="a2v2-cache-writer")
        self._handed: deque[Future] = deque()
        self._lock = threading.Lock()
        self._waiting = 0  # pages handed over whose write has not started
        self._queued = False  # a page was handed over while one before it was still being written
        self._connection: Connection | None = None
        self._usual_settings: dict[str, int | None] = {}
        self._checkpointer: _Checkpointer | None = None
        self._receipts: list = []
        self._failed = False

    # -- the sync's thread ------------------------------------------------------------------

    def put(self, page: Any) -> None:
        """Hand a page over, first waiting while PAGES_WAITING pages already wait; raises what an
        earlier page's write raised."""
        while len(self._handed) > PAGES_WAITING:
            self._handed.popleft().result()
        with self._lock:
            self._waiting += 1
            self._queued = self._queued or any(not handed.done() for handed in self._handed)
        self._handed.append(self._executor.submit(self._write, page))

    def drain(self) -> None:
        """Return once every page handed over is written and committed; raises the first failure."""
        self._handed.append(self._executor.submit(self._commit))
        failure = None
        while self._handed:
            try:
                self._handed.popleft().result()
            except BaseException as error:  # the rest still finish (they write nothing now) before it is raised
                failure = failure or error
        if failure is not None:
            raise failure

    def close(self) -> None:
        self._executor.submit(self._release).result()
        self._executor.shutdown(wait=True)

    def __enter__(self) -> PageWriter:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # -- the writer's thread ----------------------------------------------------------------

    def _write(self, page: Any) -> None:
        with self._lock:
            self._waiting -= 1
        if self._failed:
            return
        try:
            connection = self._open()
            with connection.begin_nested():
                receipt = self._write_page(connection, page)
        except BaseException as error:
            self._failed = True
            self._end_after_failure(keep=not isinstance(error, DBAPIError))
            raise
        self._receipts.append(receipt)
        if len(self._receipts) >= PAGES_PER_COMMIT or not self._page_waiting():
            self._commit()

    def _page_waiting(self) -> bool:
        with self._lock:
            return self._waiting > 0

    def _open(self) -> Connection:
        """The writer's one connection, in a transaction."""
        if self._connection is None:
            self._connection = self._engine.connect()
            self._change_setting("cache_size", -PAGE_CACHE_KIB)
        if not self._connection.in_transaction():
            self._connection.begin()
            writes.begin_writing(self._connection)
        return self._connection

    def _change_setting(self, name: str, value: int) -> None:
        """Set a PRAGMA on the writer's connection (outside a transaction) until `_release` puts it back."""
        usual = writes.swap_setting(self._connection, name, value)
        self._usual_settings.setdefault(name, usual)
        self._connection.rollback()  # ends what the PRAGMA began (nothing to undo): a page begins with a write

    def _commit(self) -> None:
        connection, receipts = self._connection, self._receipts
        self._receipts = []
        if connection is None or not connection.in_transaction():
            return
        try:
            last = self._before_commit(connection)
            connection.commit()
        except BaseException:
            self._failed = True
            connection.rollback()
            raise
        if self._checkpointer is None and self._queued and connection.dialect.name == "sqlite":
            self._change_setting("wal_autocheckpoint", 0)
            self._checkpointer = _Checkpointer(self._engine)
        if self._checkpointer is not None:
            self._checkpointer.nudge()
        for receipt in receipts if last is None else (*receipts, last):
            self._committed(receipt)

    def _end_after_failure(self, keep: bool) -> None:
        """Commit the pages written before the one that failed (its savepoint undid it), or with `keep`
        false roll them back; the failed page's error is the one reported."""
        if not keep and self._connection is not None and self._connection.in_transaction():
            self._connection.rollback()
            self._receipts = []
        try:
            self._commit()
        except Exception as error:
            log.warning("the pages written before the failed one were not saved either: %s", error)

    def _release(self) -> None:
        """The connection goes back to the pool as it came (no transaction, its usual page cache and
        checkpoints), once the last commit is checkpointed."""
        connection, self._connection = self._connection, None
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            checkpointer.close()
        if connection is None:
            return
        try:
            if connection.in_transaction():
                connection.rollback()
            for name, value in self._usual_settings.items():
                if value is not None:
                    writes.swap_setting(connection, name, value)
        except Exception as error:  # what stopped the sync is the error to report
            log.warning("the cache writer's connection was not reset: %s", error)
        finally:
            connection.close()
