"""Client-side ingest of pages already in memory (parse, validate, write), beside stdlib executemany.

The pages are the stand-in's own bytes, captured once over HTTP; the sync then runs
through the real ApiClient and SyncEngine with a transport that answers from memory.
"""

from __future__ import annotations

import sqlite3
import time
import tracemalloc
from pathlib import Path
from urllib.parse import parse_qs

import httpx

from a2v2_desktop.api.client import ApiClient
from a2v2_desktop.api.records import FEEDS, parse_feed_columns
from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.cache.writes import Batch
from a2v2_desktop.sync.engine import SyncEngine
from a2v2_desktop.sync.rows import column_values, feed_columns
from bench.standin import CREDENTIALS
from bench.stats import Figure
from bench.sync import HEADERS, feed_pages

LISTS = ("/organization", "/agents", "/members", "/billing")
FAKE_URL = "http://127.0.0.1:9/v1/open"


class Captured:
    """Every answer a sync asks for, in memory; big feeds cut to their first `pages` pages."""

    def __init__(self, base_url: str, pages: dict[str, int]):
        self.answers: dict[tuple[str, int], bytes] = {}
        self.records = 0
        with httpx.Client(base_url=base_url, headers=HEADERS, timeout=60) as http:
            for path in LISTS:
                self.answers[(path, 0)] = http.get(path).raise_for_status().content
            for feed in FEEDS:
                self._capture(http, feed, pages.get(feed))

    def _capture(self, http: httpx.Client, feed: str, pages: int | None) -> None:
        after, body = 0, None
        for after, body in feed_pages(http, feed, pages):
            self.records += body.count(b'{"seq":')
            self.answers[(f"/feeds/{feed}", after)] = body
        if body is not None:  # a cut sample ends on its last page: say so there
            tail = body[-80:].replace(b'"has_more":true', b'"has_more":false')
            self.answers[(f"/feeds/{feed}", after)] = body[:-80] + tail

    def transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            path = request.url.path.removeprefix("/v1/open")
            after = int(parse_qs(request.url.query.decode()).get("after_seq", ["0"])[0])
            return httpx.Response(200, content=self.answers[(path, after)], headers={"Content-Type": "application/json"})

        return httpx.MockTransport(answer)

    def feed_bodies(self):
        for (path, after), body in self.answers.items():
            if path.startswith("/feeds/"):
                yield path.removeprefix("/feeds/"), after, body


def _sync_from_memory(captured: Captured, cache: Path) -> float:
    engine = open_cache(cache)
    try:
        with ApiClient(FAKE_URL, CREDENTIALS, transport=captured.transport()) as client:
            sync = SyncEngine(client, engine)
            started = time.perf_counter()
            sync.run()
            return time.perf_counter() - started
    finally:
        engine.dispose()


def _remove(cache: Path) -> None:
    for path in cache.parent.glob(cache.name + "*"):
        path.unlink()


def _batch(feed: str, body: bytes, after: int) -> Batch:
    """A page as the sync makes it for the writer."""
    return Batch(feed_columns(feed), column_values(feed, parse_feed_columns(feed, body, after).columns))


def stdlib_rate(captured: Captured, work: Path) -> float:
    """Rows per second of sqlite3.executemany of the same rows into plain tables (no keys, no indexes)."""
    pages = [(feed, _batch(feed, body, after).rows()) for feed, after, body in captured.feed_bodies()]
    path = work / "stdlib.sqlite"
    _remove(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    for feed in FEEDS:
        db.execute(f"CREATE TABLE {feed} ({', '.join(feed_columns(feed))})")
    started = time.perf_counter()
    for feed, rows in pages:
        db.executemany(f"INSERT INTO {feed} VALUES ({', '.join('?' * len(feed_columns(feed)))})", rows)
        db.commit()
    seconds = time.perf_counter() - started
    db.close()
    _remove(path)
    return sum(len(rows) for _feed, rows in pages) / seconds


def held_pages(captured: Captured, work: Path) -> str:
    """Peak Python memory of one sync from memory, in pages of the biggest feed: the few-pages budget."""
    body = next(body for feed, _after, body in captured.feed_bodies() if feed == "usage")
    cache = work / "memory.sqlite"
    tracemalloc.start()
    page = _batch("usage", body, 0)  # a page as the sync holds it
    one_page = tracemalloc.get_traced_memory()[0]
    del page
    tracemalloc.reset_peak()
    baseline = tracemalloc.get_traced_memory()[0]
    _sync_from_memory(captured, cache)
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    _remove(cache)
    return f"peak {peak / 2**20:.0f} MB while syncing ≈ {peak / max(one_page, 1):.1f} usage pages ready to write"


def ingest(base_url: str, runs: int, work: Path, pages: dict[str, int]) -> list[Figure]:
    captured = Captured(base_url, pages)
    rate = Figure("ingest of pages in memory (parse, validate, write)", "records/s", target="≥ 150,000",
                  higher=True)
    stdlib = Figure("stdlib sqlite3.executemany of the same rows", "rows/s", higher=True,
                    note="plain tables, no keys or indexes: the limit")
    for run in range(runs):
        cache = work / f"ingest-{run}.sqlite"
        rate.values.append(captured.records / _sync_from_memory(captured, cache))
        _remove(cache)
        stdlib.values.append(stdlib_rate(captured, work))
    ratio = Figure("ingest ÷ stdlib executemany", "", target="≥ 0.25 (150k ÷ 600k)", higher=True,
                   values=[a / b for a, b in zip(rate.values, stdlib.values)])
    rate.note = f"{captured.records:,} records; {held_pages(captured, work)}"
    return [rate, stdlib, ratio]
