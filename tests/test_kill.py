"""A `sync` process killed with SIGKILL at several moments, rerun until done, ends exact."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date

import pytest

from a2v2_desktop.standin.generator import OrgSpec
from a2v2_desktop.standin.server import DEMO_API_KEY, DEMO_API_SECRET, Faults
from tests.expected import comparable, expected_report

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")


def sync_command(server, cache):
    return [sys.executable, "-m", "a2v2_desktop", "--api-url", server.base_url, "--cache", str(cache), "sync", "--quiet"]


def child_env():
    return dict(os.environ, A2V2_API_KEY=DEMO_API_KEY, A2V2_API_SECRET=DEMO_API_SECRET)


def cursor_total(cache) -> int:
    if not cache.exists():
        return 0
    with sqlite3.connect(cache) as raw:
        try:
            return raw.execute("SELECT coalesce(sum(after_seq), 0) FROM feed_cursors").fetchone()[0]
        except sqlite3.OperationalError:  # killed before the schema was committed
            return 0


def wait_for_new_pages(process, cache, seen: int) -> None:
    """Block until the running sync has committed past `seen` (or ended): kills land mid-sync whatever the load."""
    deadline = time.monotonic() + 60
    while process.poll() is None and cursor_total(cache) <= seen and time.monotonic() < deadline:
        time.sleep(0.02)


def integrity(cache) -> str:
    with sqlite3.connect(cache) as raw:
        return raw.execute("PRAGMA integrity_check").fetchone()[0]


def test_sigkill_at_several_moments_then_rerun_ends_exact(standin, cache_path):
    server = standin(OrgSpec(seed=5, agents=4, members=3, days=30), faults=Faults(slow_seconds=0.03, page_cap=250))
    rng = random.Random(42)
    progress = []
    for _ in range(6):
        process = subprocess.Popen(sync_command(server, cache_path), env=child_env(), stderr=subprocess.PIPE)
        wait_for_new_pages(process, cache_path, progress[-1] if progress else 0)
        time.sleep(rng.uniform(0, 0.3))  # then a random moment: mid-request, mid-commit, between pages
        if process.poll() is not None:
            break
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert integrity(cache_path) == "ok"
        progress.append(cursor_total(cache_path))
    assert len(progress) >= 3, "the sync finished before it could be killed; slow the stand-in down"
    assert progress == sorted(progress) and progress[-1] > 0
    finished = subprocess.run(sync_command(server, cache_path), env=child_env(), capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert integrity(cache_path) == "ok"
    out = subprocess.run(
        [sys.executable, "-m", "a2v2_desktop", "--cache", str(cache_path), "report", "--from", "2000-01-01", "--to", "2100-01-01"],
        capture_output=True, text=True, check=True,
    ).stdout
    span = (date(2000, 1, 1), date(2100, 1, 1))
    assert comparable(json.loads(out)) == expected_report(server.org, *span)
