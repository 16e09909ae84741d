"""The sync's page writer: several pages to a transaction when they queue up, each page still whole
with its cursor, the pages before a failed one kept, and nothing written after it."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from a2v2_desktop.cache import writes
from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.sync.writer import PAGE_CACHE_KIB, PAGES_PER_COMMIT, PageWriter


class Hold:
    def __init__(self):
        self.started, self.release = threading.Event(), threading.Event()


class Pages:
    """Writes page n as one cursor row (after_seq n); page `failing` raises, page `held` (and the pages
    in `holds`) wait to be released."""

    def __init__(self, failing: int | None = None, held: int | None = None, holds: tuple[int, ...] = ()):
        self.failing = failing
        self.holds = {page: Hold() for page in (*holds, *([held] if held else []))}
        if held:
            self.started, self.release = self.holds[held].started, self.holds[held].release
        self.committed: list[int] = []

    def write(self, connection, page: int) -> int:
        connection.execute(text("INSERT INTO feed_cursors (feed, after_seq, updated_at, restarts) "
                                "VALUES ('usage', :n, 0, 0) ON CONFLICT (feed) DO UPDATE SET after_seq = :n"),
                           {"n": page})
        if page in self.holds:
            self.holds[page].started.set()
            assert self.holds[page].release.wait(10)
        if page == self.failing:
            raise ValueError(f"page {page} is bad")
        return page


@pytest.fixture
def engine(cache_path):
    engine = open_cache(cache_path)
    commits = []
    event.listen(engine, "commit", lambda _connection: commits.append(1))
    engine.commits = commits
    yield engine
    engine.dispose()


def cursor(engine) -> int | None:
    with engine.connect() as connection:
        return connection.execute(text("SELECT after_seq FROM feed_cursors WHERE feed = 'usage'")).scalar()


def writer_for(engine, pages: Pages) -> PageWriter:
    return PageWriter(engine, pages.write, pages.committed.append)


def test_pages_queued_behind_a_slow_one_share_its_transaction(engine):
    pages = Pages(holds=(1, 2))
    first, second = pages.holds[1], pages.holds[2]
    with writer_for(engine, pages) as writer:
        writer.put(1)
        assert first.started.wait(10)
        writer.put(2)  # waits while page 1 is written
        first.release.set()
        assert second.started.wait(10)
        assert cursor(engine) is None  # page 1 is not committed alone
        second.release.set()
        writer.drain()
    assert pages.committed == [1, 2] and cursor(engine) == 2
    assert len(engine.commits) == 1


def test_a_page_with_nothing_behind_it_commits_at_once(engine):
    """No transaction stays open while the next page is awaited: readers see the page meanwhile."""
    pages = Pages()
    with writer_for(engine, pages) as writer:
        writer.put(1)
        for _ in range(1000):
            if pages.committed:
                break
            threading.Event().wait(0.01)
        assert pages.committed == [1] and cursor(engine) == 1
        writer.drain()
    assert len(engine.commits) == 1


def test_a_transaction_holds_at_most_pages_per_commit(engine):
    """Each page is held until the next one waits, so the writer never runs out of pages: only the
    limit (and the drain) ends a transaction."""
    count = PAGES_PER_COMMIT + 2
    pages = Pages(holds=tuple(range(1, count + 1)))
    with writer_for(engine, pages) as writer:
        for page in range(1, count + 1):
            writer.put(page)
            if page > 1:
                pages.holds[page - 1].release.set()
            assert pages.holds[page].started.wait(10)
        pages.holds[count].release.set()
        writer.drain()
    assert pages.committed == list(range(1, count + 1)) and cursor(engine) == count
    assert len(engine.commits) == 2


def test_a_failed_page_keeps_the_pages_before_it_and_stops_the_ones_after(engine):
    pages = Pages(held=1, failing=2)
    with writer_for(engine, pages) as writer:
        writer.put(1)
        assert pages.started.wait(10)
        writer.put(2)
        pages.release.set()
        with pytest.raises(ValueError, match="page 2 is bad"):
            writer.put(3)
            writer.drain()
    assert pages.committed == [1] and cursor(engine) == 1  # page 2's cursor went with its savepoint


def settings_of(connection) -> tuple[int, int]:
    """The connection's page cache and WAL checkpoint settings."""
    return tuple(connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in ("cache_size", "wal_autocheckpoint"))


def test_the_writer_syncs_with_a_larger_page_cache_and_gives_its_connection_back_as_it_came(engine):
    """...and once pages queue up, without checkpoints of its own: another thread copies its commits out
    of the WAL, the last one before the writer closes."""
    with engine.connect() as connection:
        usual = settings_of(connection)
    pages = Pages(holds=(1,))
    settings = []

    def write(connection, page):
        settings.append(settings_of(connection))
        connection.exec_driver_sql(f"CREATE TABLE filler_{page} (blob)")
        connection.exec_driver_sql(f"INSERT INTO filler_{page} WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                                   "SELECT i + 1 FROM n WHERE i < 100) SELECT zeroblob(2000) FROM n")  # 50 pages of WAL
        return pages.write(connection, page)

    checkpoints = []
    event.listen(engine, "before_cursor_execute", lambda *call: checkpoints.append(threading.current_thread().name)
                 if "wal_checkpoint" in call[2] else None)
    with PageWriter(engine, write, pages.committed.append) as writer:
        writer.put(1)
        assert pages.holds[1].started.wait(10)
        writer.put(2)  # queues up behind page 1: the two share a transaction
        pages.holds[1].release.set()
        writer.drain()
        writer.put(3)
        writer.drain()
    assert usual == (-2000, 1000)
    assert settings == [(-PAGE_CACHE_KIB, 1000), (-PAGE_CACHE_KIB, 1000), (-PAGE_CACHE_KIB, 0)]
    assert checkpoints and set(checkpoints) == {"a2v2-cache-checkpointer"}
    with engine.connect() as connection:
        assert settings_of(connection) == usual
        _busy, in_wal, copied = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        assert in_wal == copied  # the checkpointer left nothing to copy


def test_a_small_sync_leaves_checkpoints_to_sqlite(engine):
    """A page at a time (an incremental sync): no checkpointer, whose flushes would only add to its time."""
    checkpoints = []
    event.listen(engine, "before_cursor_execute", lambda *call: checkpoints.append(1) if "wal_checkpoint" in call[2] else None)
    pages = Pages()
    with writer_for(engine, pages) as writer:
        for page in (1, 2, 3):
            writer.put(page)
            writer.drain()
    assert pages.committed == [1, 2, 3] and len(engine.commits) == 3 and checkpoints == []


def test_before_commit_runs_last_in_each_transaction_and_its_receipt_follows_the_pages(engine):
    """The sync folds a transaction's usage lines there: once per transaction, committed with its pages."""
    pages = Pages(holds=(1,), failing=4)
    folds = []

    def before_commit(connection):
        folds.append(connection.execute(text("SELECT after_seq FROM feed_cursors")).scalar())
        connection.execute(text("UPDATE feed_cursors SET restarts = restarts + 1"))
        return f"fold {len(folds)}"

    first = pages.holds[1]
    with pytest.raises(ValueError, match="page 4 is bad"):
        with PageWriter(engine, pages.write, pages.committed.append, before_commit) as writer:
            writer.put(1)
            assert first.started.wait(10)
            writer.put(2)
            first.release.set()
            writer.drain()
            writer.put(3)
            writer.put(4)
            writer.drain()
    assert pages.committed == [1, 2, "fold 1", 3, "fold 2"]
    assert folds == [2, 3]  # after each transaction's last page; page 4 was undone before the second
    with engine.connect() as connection:
        assert connection.execute(text("SELECT after_seq, restarts FROM feed_cursors")).one() == (3, 2)


def test_a_checkpoint_that_fails_is_logged_and_the_pages_are_still_committed(engine, monkeypatch, caplog):
    def refuse(_connection):
        raise OperationalError("PRAGMA wal_checkpoint(PASSIVE)", (), sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(writes, "checkpoint", refuse)
    pages = Pages(holds=(1,))
    with writer_for(engine, pages) as writer:
        writer.put(1)
        assert pages.holds[1].started.wait(10)
        writer.put(2)  # queues up: the checkpointer starts after the commit
        pages.holds[1].release.set()
        writer.drain()
    assert pages.committed == [1, 2] and cursor(engine) == 2
    assert "the cache's WAL was not checkpointed: (sqlite3.OperationalError) disk I/O error" in caplog.text
