"""Disk full, read-only and locked caches: a clear error, and the data synced before intact."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, event, func, select

from a2v2_desktop.api.client import ApiClient, Credentials
from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.cache.models import UsageLine
from a2v2_desktop.standin.generator import OrgSpec
from a2v2_desktop.standin.server import DEMO_API_KEY, DEMO_API_SECRET, Faults
from a2v2_desktop.sync.engine import SyncEngine, SyncError

FIRST, SECOND = OrgSpec(seed=11, agents=4, members=3, days=7), OrgSpec(seed=12, agents=4, members=3, days=30)


def sync(server, engine):
    with ApiClient(server.base_url, Credentials(DEMO_API_KEY, DEMO_API_SECRET)) as client:
        return SyncEngine(client, engine).run()


def usage_snapshot(path) -> dict:
    with sqlite3.connect(path) as raw:
        return dict(raw.execute("SELECT id, credits FROM usage"))


def restricted_engine(path, pragma: str):
    """An engine on the same file whose every connection runs `pragma` first."""
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", lambda connection, _record: connection.execute(pragma))
    return engine


@pytest.fixture
def synced_cache(standin, cache_path):
    engine = open_cache(cache_path)
    sync(standin(FIRST), engine)
    engine.dispose()
    return cache_path


def test_disk_full_during_a_sync_keeps_whole_pages_only(standin, cache_path):
    engine = open_cache(cache_path)
    engine.dispose()
    with sqlite3.connect(cache_path) as raw:
        pages = raw.execute("PRAGMA page_count").fetchone()[0]
    server = standin(SECOND, faults=Faults(page_cap=500))
    engine = restricted_engine(cache_path, f"PRAGMA max_page_count={pages + 150}")
    with pytest.raises(SyncError, match="disk holding the cache is full.*intact"):
        sync(server, engine)
    engine.dispose()
    with sqlite3.connect(cache_path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        cursor = raw.execute("SELECT after_seq FROM feed_cursors WHERE feed = 'usage'").fetchone()[0]
        held = dict(raw.execute("SELECT id, seq FROM usage"))
    assert 0 < cursor < server.org.feeds["usage"][-1]["seq"]
    sent = [r for r in server.org.feeds["usage"] if r["seq"] <= cursor]
    assert held == {r["id"]: r["seq"] for r in sent}  # every committed page whole, nothing past the cursor


def test_read_only_cache(standin, synced_cache):
    before = usage_snapshot(synced_cache)
    engine = restricted_engine(synced_cache, "PRAGMA query_only=ON")
    with pytest.raises(SyncError, match="read-only"):
        sync(standin(SECOND), engine)
    engine.dispose()
    assert usage_snapshot(synced_cache) == before


def test_cache_locked_by_another_process(standin, synced_cache):
    before = usage_snapshot(synced_cache)
    holder = sqlite3.connect(synced_cache, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    engine = restricted_engine(synced_cache, "PRAGMA busy_timeout=200")
    try:
        with pytest.raises(SyncError, match="locked by another program"):
            sync(standin(SECOND), engine)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()
    assert usage_snapshot(synced_cache) == before
    engine = open_cache(synced_cache)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(UsageLine)) == len(before)
    engine.dispose()
