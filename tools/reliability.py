"""Kill a real `sync` with SIGKILL at N random moments in a row, rerunning after each; print the figures.

    python tools/reliability.py --kills 50

Each kill lands after the running sync has committed at least one new page, plus a
random 0–300 ms, so it falls mid-request, mid-commit or between pages whatever the
machine's load. After every kill the cache must pass PRAGMA integrity_check; at the
end a clean rerun must leave exactly the server's data (compared with totals the
generator computes itself).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from a2v2_desktop.standin.generator import DemoOrg, OrgSpec  # noqa: E402
from a2v2_desktop.standin.server import DEMO_API_KEY, DEMO_API_SECRET, Faults, StandinServer  # noqa: E402
from tests.expected import comparable, expected_report  # noqa: E402

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def committed(cache: Path) -> int:
    try:
        with sqlite3.connect(cache) as raw:
            return raw.execute("SELECT coalesce(sum(after_seq), 0) FROM feed_cursors").fetchone()[0]
    except sqlite3.Error:
        return 0


def integrity(cache: Path) -> bool:
    with sqlite3.connect(cache) as raw:
        return raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def run(kills: int, seed: int) -> dict:
    org = DemoOrg(OrgSpec(seed=5, agents=6, members=4, days=120), now=NOW)
    server = StandinServer(org, port=0, faults=Faults(slow_seconds=0.01, page_cap=100)).start()
    env = dict(os.environ, A2V2_API_KEY=DEMO_API_KEY, A2V2_API_SECRET=DEMO_API_SECRET)
    rng = random.Random(seed)
    landed = intact = 0
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "cache.sqlite"
        command = [sys.executable, "-m", "a2v2_desktop", "--api-url", server.base_url, "--cache", str(cache), "sync", "--quiet"]
        for _ in range(kills):
            seen = committed(cache) if cache.exists() else 0
            process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while process.poll() is None and committed(cache) <= seen and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.3))
            if process.poll() is not None:
                cache.unlink()  # it finished: start the next round from an empty cache
                for suffix in ("-wal", "-shm"):
                    Path(str(cache) + suffix).unlink(missing_ok=True)
                continue
            process.send_signal(signal.SIGKILL)
            process.wait()
            landed += 1
            intact += integrity(cache)
        finished = subprocess.run(command, env=env, capture_output=True, text=True).returncode == 0
        report = subprocess.run([sys.executable, "-m", "a2v2_desktop", "--cache", str(cache), "report",
                                 "--from", "2000-01-01", "--to", "2100-01-01"], capture_output=True, text=True, env=env)
        span = (date(2000, 1, 1), date(2100, 1, 1))
        exact = finished and comparable(json.loads(report.stdout)) == expected_report(org, *span)
    server.stop()
    return {"kills": landed, "integrity_ok": intact, "exact": exact}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    figures = run(parser.parse_args().kills, parser.parse_args().seed)
    print(f"SIGKILL during sync: {figures['kills']} kills, integrity_check ok {figures['integrity_ok']}/{figures['kills']}, "
          f"final data exact: {'yes' if figures['exact'] else 'NO'}")
    return 0 if figures["exact"] and figures["integrity_ok"] == figures["kills"] else 1


if __name__ == "__main__":
    sys.exit(main())
