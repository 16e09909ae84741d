"""`a2v2-desktop report --format json` as a whole process: a year and a month of the organization."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench.orgs import NOW
from bench.standin import ROOT
from bench.stats import Figure
from bench.sync import peak_rss_mb


def report_process(cache: Path, first: str, last: str) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one JSON report from the cache, written to /dev/null."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "a2v2_desktop", "--cache", str(cache), "report",
                                "--from", first, "--to", last, "--format", "json"],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = peak_rss_mb(process)
    _out, err = process.communicate()
    if process.returncode:
        raise RuntimeError(f"report failed: {err.strip()}")
    return time.perf_counter() - started, peak


def report_figures(cache: Path, runs: int) -> list[Figure]:
    today = NOW.date()
    spans = {"year": (today - timedelta(days=364), today), "month": (today - timedelta(days=30), today)}
    figures = []
    for name, (first, last) in spans.items():
        wall = Figure(f"report --format json, one {name}, whole process", "s",
                      target="≤ 1.5" if name == "year" else "less than the year", note=f"{first} – {last}")
        memory = Figure(f"report --format json, one {name}, peak RSS", "MB", target="≤ 250" if name == "year" else "")
        for _ in range(runs):
            seconds, peak = report_process(cache, first.isoformat(), last.isoformat())
            wall.values.append(seconds)
            memory.values.append(peak)
        figures += [wall, memory]
    return figures
