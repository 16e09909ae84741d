"""Peak memory of the window, measured in a fresh process by the caller:
`python -m bench.memory CACHE FOLDER` opens the window on the cache, visits every panel (the
Usage panel over a year, the Analytics panel on the busiest agent's every tab) and prints
`peak N` — its peak resident memory in MB (VmHWM)."""

from __future__ import annotations

import os
import re
import sys
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QDate

from a2v2_desktop.domain.times import local_date, zone
from a2v2_desktop.insights import ranges
from a2v2_desktop.ui.sidebar import PANELS
from bench.orgs import NOW
from bench.window import busiest_agent, open_window, settle


def visit_everything(app, services, window) -> None:
    """Every panel shown until its first queries have answered; the widest views of the two big ones."""
    usage = window.usage
    usage.preset.setCurrentText(ranges.CUSTOM)
    today = local_date(int(NOW.timestamp()), zone(usage.view.timezone))
    usage.first_date.setDate(QDate(today - timedelta(days=364)))
    settle(app, lambda: usage.view is not None and usage.view.request == usage.pending)
    for index in range(len(PANELS)):
        window.show_panel(index)
        settle(app, services.runner.idle)
    analytics = window.analytics
    window.show_panel(window.panels.indexOf(analytics))
    analytics.pick_agent(busiest_agent(services))
    settle(app, lambda: analytics.view is not None and analytics.view.request == analytics.pending)
    for tab in range(analytics.tabs.count()):
        analytics.tabs.setCurrentIndex(tab)
        settle(app, services.runner.idle)


def peak_rss_mb() -> float:
    return int(re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1)) / 1024


if __name__ == "__main__":
    qt_app, qt_services, shown = open_window(Path(sys.argv[1]), Path(sys.argv[2]))
    visit_everything(qt_app, qt_services, shown)
    print(f"peak {peak_rss_mb():.1f}", flush=True)
    os._exit(0)
