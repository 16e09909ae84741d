"""Render the demo organization's last-month spend summary to docs/report-sample.pdf, and its pages to PNG.

Headless: starts the stand-in with seed 7 and a fixed clock, syncs it through the real
sync path into a temporary cache, builds the summary for "Last month" (October 2026)
and writes an A4 PDF; then `pdftoppm -r 80` (poppler-utils) makes
docs/screenshots/report-page-1.png, -2.png … Prints how long each step took.

Usage: `python tools/sample_report.py [--paper a4|letter] [--out docs]`
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from a2v2_desktop.api.client import ApiClient, Credentials
from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.insights import ranges
from a2v2_desktop.printing.pdf import write_pdf
from a2v2_desktop.reports.summary import SummaryRequest, build_summary
from a2v2_desktop.standin.generator import DemoOrg, OrgSpec
from a2v2_desktop.standin.server import DEMO_API_KEY, DEMO_API_SECRET, StandinServer
from a2v2_desktop.sync.engine import SyncEngine

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parents[1]


def synced_demo(cache: Path) -> None:
    """The seed-7 demo organization, synced over HTTP into `cache` as the app would."""
    server = StandinServer(DemoOrg(OrgSpec(seed=7), now=NOW), port=0).start()
    engine = open_cache(cache)
    try:
        with ApiClient(server.base_url, Credentials(DEMO_API_KEY, DEMO_API_SECRET)) as client:
            SyncEngine(client, engine, clock=NOW.timestamp).run()
    finally:
        server.stop()
        engine.dispose()


def page_images(pdf: Path, folder: Path) -> list[Path]:
    """report-page-N.png at 80 dpi, replacing the previous run's pages."""
    for old in folder.glob("report-page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf), str(folder / "report-page")], check=True)
    pages = sorted(folder.glob("report-page-*.png"))
    for page in pages:  # pdftoppm pads the number to the page count's width ("-01"): keep it plain
        page.rename(folder / f"report-page-{int(page.stem.rsplit('-', 1)[1])}.png")
    return sorted(folder.glob("report-page-*.png"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paper", choices=["a4", "letter"], default="a4")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "demo.sqlite"
        started = time.perf_counter()
        synced_demo(cache)
        synced = time.perf_counter()
        engine = open_cache(cache)
        request = SummaryRequest(None, int(NOW.timestamp()), preset=ranges.LAST_MONTH, demo=True)
        with engine.connect() as connection:
            summary = build_summary(connection, request)
        engine.dispose()
        built = time.perf_counter()
        pdf = args.out / "report-sample.pdf"
        pages = write_pdf(summary, pdf, args.paper)
        written = time.perf_counter()
    print(f"sync {synced - started:.2f} s, summary data {built - synced:.2f} s, "
          f"PDF {written - built:.2f} s: {pages} pages -> {pdf}")
    if shutil.which("pdftoppm") is None:
        print("pdftoppm not found (apt-get install poppler-utils): no page images", file=sys.stderr)
        return 0
    for image in page_images(pdf, args.out / "screenshots"):
        print(image)
    return 0


if __name__ == "__main__":
    sys.exit(main())
