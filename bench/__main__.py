"""Benchmarks at organization scale: `python -m bench [--org large|medium] [--runs N] [--only ...]`.

Generates the organization with the stand-in's own generator, serves it from a separate
process over loopback HTTP, and prints every figure as the median and spread of its
runs beside its target and its physical limit. The synced cache is kept under
bench/out/ so later runs of the window figures start at once.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sqlite3
import sys
import time
from importlib.util import find_spec
from pathlib import Path

from a2v2_desktop.cache.db import head_revision
from bench import startup, sync
from bench.report import report_figures
from bench.orgs import OUT, SPECS
from bench.standin import StandinProcess
from bench.stats import Figure, load, print_table

PARTS = ("sync", "ingest", "incremental", "window", "startup", "report")
SAMPLE_PAGES = {"large": {"usage": 60, "conversations": 20}, "medium": {}}


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    return (f"{platform.system()} {platform.machine()}, {model}, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}")


def cached_sync(org: str) -> Path:
    """Where the synced organization is kept: its spec and the schema revision are in the name."""
    return OUT / f"{org}-{abs(hash(SPECS[org])) % 10**8:08d}-rev{head_revision()}.sqlite"


def server_parts(org: str, parts: set[str], runs: int, cache: Path, work: Path) -> list[Figure]:
    figures: list[Figure] = []
    with StandinProcess(org) as standin:
        if "sync" in parts:
            figures.append(sync.serving_rate(standin.base_url, runs))
            figures += sync.initial_sync(standin.base_url, runs, work, keep=cache)
        elif not cache.exists():
            sync.sync_process(standin.base_url, cache)
        if "ingest" in parts:
            from bench.ingest import ingest

            figures += ingest(standin.base_url, runs, work, SAMPLE_PAGES[org])
        if "incremental" in parts:  # last: it moves the organization's clock on
            figures += sync.incremental(standin, runs, cache, work)
    return figures


def window_parts(cache: Path, runs: int, work: Path) -> list[Figure]:
    from bench import window

    app, services, shown = window.open_window(cache, work)
    figures = window.usage_figures(app, services, shown, runs)
    if hasattr(shown, "analytics"):
        figures += window.analytics_figures(app, services, shown, runs)
    if find_spec("a2v2_desktop.printing.pdf"):
        figures += window.pdf_figures(services, work, runs)
    shown.close()
    services.shutdown()
    return figures


def cache_size(cache: Path) -> Figure:
    with sqlite3.connect(cache) as raw:
        lines = raw.execute("SELECT count(*) FROM usage").fetchone()[0]
    raw.close()
    size = cache.stat().st_size
    return Figure("cache size on disk", "bytes per usage line", [size / lines],
                  note=f"{size / 2**20:,.0f} MB for {lines:,} usage lines and everything else")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--org", choices=sorted(SPECS), default="large")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated, of: {', '.join(PARTS)}")
    parser.add_argument("--fresh", action="store_true", help="sync the organization again instead of reusing it")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    OUT.mkdir(exist_ok=True)
    work = OUT / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    cache = cached_sync(args.org)
    if args.fresh:
        cache.unlink(missing_ok=True)
    spec = SPECS[args.org]
    print(f"{args.org} organization: {spec.agents} agents, {spec.members} members, {spec.days} days, "
          f"traffic {spec.traffic}; {args.runs} runs each", flush=True)
    print(f"machine: {machine()}; {load()} at the start", flush=True)
    started = time.monotonic()
    figures: list[Figure] = []
    if parts & {"sync", "ingest", "incremental"} or not cache.exists():
        figures += server_parts(args.org, parts, args.runs, cache, work)
    figures.append(cache_size(cache))
    if "window" in parts:
        figures += window_parts(cache, args.runs, work)
    if "startup" in parts:
        figures += [*startup.cold_start(cache, work, args.runs), startup.import_qt(args.runs),
                    startup.peak_memory(cache, work, args.runs)]
    if "report" in parts:
        figures += report_figures(cache, args.runs)
    shutil.rmtree(work, ignore_errors=True)
    print(f"\n{load()} at the end; {time.monotonic() - started:.0f} s in all\n")
    print_table(figures, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
