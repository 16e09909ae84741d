"""Sync figures: the stand-in's serving rate, the initial sync over HTTP, incremental syncs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from a2v2_desktop.api.client import MAX_PAGE, ApiClient
from a2v2_desktop.api.records import FEEDS
from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.standin.server import DEMO_API_KEY, DEMO_API_SECRET
from a2v2_desktop.sync.engine import SyncEngine
from bench.standin import CREDENTIALS, ROOT, StandinProcess
from bench.stats import Figure, timed

HEADERS = {"X-API-Key": DEMO_API_KEY, "X-API-Secret": DEMO_API_SECRET, "Accept-Encoding": "gzip"}
NEXT_AFTER = re.compile(rb'"has_more":(true|false),"next_after_seq":(\d+)}$')


def feed_pages(http: httpx.Client, feed: str, pages: int | None = None):
    """(after_seq, body) of a feed's pages as served, without parsing more than the tail."""
    after, served = 0, 0
    while pages is None or served < pages:
        body = http.get(f"/feeds/{feed}", params={"after_seq": after, "limit": MAX_PAGE}).raise_for_status().content
        yield after, body
        served += 1
        more, after_text = NEXT_AFTER.search(body).groups()
        if more == b"false":
            return
        after = int(after_text)


def serve_everything(base_url: str) -> int:
    """Fetch every page of every feed as fast as the server gives them; returns the records served."""
    records = 0
    with httpx.Client(base_url=base_url, headers=HEADERS, timeout=60) as http:
        for feed in FEEDS:
            for _after, body in feed_pages(http, feed):
                records += body.count(b'{"seq":')
    return records


def serving_rate(base_url: str, runs: int) -> Figure:
    figure = Figure("stand-in serving alone (all feeds)", "records/s", higher=True,
                    note="the physical limit of a sync over HTTP")
    for _ in range(runs):
        started = time.perf_counter()
        records = serve_everything(base_url)
        figure.values.append(records / (time.perf_counter() - started))
    return figure


def peak_rss_mb(process: subprocess.Popen) -> float:
    """The child's peak resident memory (VmHWM), read until it exits."""
    peak = 0.0
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            found = re.search(r"VmHWM:\s+(\d+) kB", status.read_text())
        except OSError:
            break
        if found:
            peak = max(peak, int(found.group(1)) / 1024)
        time.sleep(0.1)
    return peak


@dataclass
class SyncRun:
    """One `a2v2-desktop sync` process: its wall time, when each feed's line was printed, its peak memory."""

    seconds: float
    feed_done: dict[str, float]  # seconds from the spawn to the end of each feed
    peak_mb: float


def _feed_ends(stream, started: float, ends: dict[str, float]) -> list[str]:
    """Note when each "feed: N records" line arrives (off a terminal, one line per finished feed);
    the other lines, which say what went wrong if anything did."""
    others = []
    for line in stream:
        feed = line.split(":", 1)[0]
        if feed in FEEDS:
            ends[feed] = time.perf_counter() - started
        else:
            others.append(line.strip())
    return others


def sync_process(base_url: str, cache: Path) -> SyncRun:
    """`a2v2-desktop sync` as a user runs it, its progress lines read as they come."""
    env = {"A2V2_API_KEY": DEMO_API_KEY, "A2V2_API_SECRET": DEMO_API_SECRET, "PATH": "/usr/bin:/bin",
           "HOME": str(cache.parent)}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "a2v2_desktop", "--api-url", base_url, "--cache", str(cache),
                                "sync"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    peak, ends = [0.0], {}
    watcher = threading.Thread(target=lambda: peak.__setitem__(0, peak_rss_mb(process)))
    watcher.start()
    said = _feed_ends(process.stderr, started, ends)
    process.wait()
    seconds = time.perf_counter() - started
    watcher.join()
    if process.returncode:
        raise RuntimeError(f"sync failed: {' '.join(said)}")
    return SyncRun(seconds, ends, peak[0])


def count_rows(cache: Path) -> tuple[int, int]:
    """(usage lines, records of all feeds) held by a cache."""
    engine = open_cache(cache)
    try:
        with engine.connect() as connection:
            counts = {feed: connection.exec_driver_sql(f"SELECT count(*) FROM {feed}").scalar() for feed in FEEDS}
    finally:
        engine.dispose()
    return counts["usage"], sum(counts.values())


def initial_sync(base_url: str, runs: int, work: Path, keep: Path) -> list[Figure]:
    """The whole organization into an empty cache, as a separate `sync` process; the last cache is kept."""
    usage_rate = Figure("initial sync over loopback HTTP (usage lines)", "records/s", target="≥ 50,000",
                        higher=True, note="usage lines ÷ spawn to the usage feed done (start-up included)")
    whole_rate = Figure("initial sync over loopback HTTP (usage lines ÷ whole sync)", "records/s", higher=True,
                        note="whole `a2v2-desktop sync` process, every feed")
    all_rate = Figure("initial sync over loopback HTTP (all feeds)", "records/s", higher=True)
    seconds = Figure("initial sync, wall time", "s")
    memory = Figure("initial sync, peak RSS of the process", "MB", note="pages held at once: at most three")
    for run in range(runs):
        cache = work / f"initial-{run}.sqlite"
        synced = sync_process(base_url, cache)
        usage, everything = count_rows(cache)
        usage_rate.values.append(usage / synced.feed_done["usage"])
        whole_rate.values.append(usage / synced.seconds)
        all_rate.values.append(everything / synced.seconds)
        seconds.values.append(synced.seconds)
        memory.values.append(synced.peak_mb)
        if not keep.exists():
            shutil.copy(cache, keep)
        for path in work.glob(f"initial-{run}.sqlite*"):
            path.unlink()
    return [usage_rate, whole_rate, all_rate, seconds, memory]


def _sync_open_cache(base_url: str, cache: Path) -> float:
    """Seconds for one sync on an already open cache, as the window's periodic sync runs it."""
    engine = open_cache(cache)
    try:
        with ApiClient(base_url, CREDENTIALS) as client:
            return timed(SyncEngine(client, engine).run)
    finally:
        engine.dispose()


def incremental(standin: StandinProcess, runs: int, synced: Path, work: Path) -> list[Figure]:
    """Nothing new, then one new hour (each run from a copy of the cache synced before it)."""
    nothing = Figure("incremental sync, nothing new", "s", target="≤ 0.5")
    hour = Figure("incremental sync, one new hour", "s", target="≤ 1")
    copy = work / "incremental.sqlite"
    shutil.copy(synced, copy)
    for _ in range(runs):
        nothing.values.append(_sync_open_cache(standin.base_url, copy))
    lines = standin.advance(3600)
    hour.note = f"{lines:,} new usage lines"
    for _ in range(runs):
        shutil.copy(synced, copy)
        for suffix in ("-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        hour.values.append(_sync_open_cache(standin.base_url, copy))
    for path in work.glob("incremental.sqlite*"):
        path.unlink()
    return [nothing, hour]
