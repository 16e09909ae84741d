"""The window on a benchmark cache: Usage panel refreshes, Analytics, and the spend summary PDF.

Qt runs offscreen. The window is built by `ui.app.build` exactly as the app builds it,
over the cache in account mode, with no credentials (so no sync starts).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from a2v2_desktop.ui.app import AppOptions, build  # noqa: E402,I001  first, as the app's own entry imports it

from PySide6.QtCore import QDate, QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from a2v2_desktop.domain.times import local_date, zone  # noqa: E402
from a2v2_desktop.insights import ranges  # noqa: E402
from a2v2_desktop.keychain import KeychainUnavailable  # noqa: E402
from a2v2_desktop.settings import Settings, save_settings  # noqa: E402
from a2v2_desktop.ui.prompts import Prompts  # noqa: E402
from bench.orgs import NOW  # noqa: E402
from bench.stats import Figure  # noqa: E402

USAGE_PRESETS = [preset for preset in ranges.PRESETS if preset != ranges.CUSTOM]


class NoKeychain:
    """No stored credentials: the window opens the cache and never syncs."""

    def load_credentials(self, *_args):
        raise KeychainUnavailable("benchmark")

    save_credentials = delete_credentials = load_credentials


def settle(app: QApplication, done: Callable[[], bool], timeout: float = 120) -> None:
    """Run the event loop until `done()`, then once more so what changed is laid out and painted.

    The loop sleeps between events, as the app's own does: spinning here would take the CPU
    and the interpreter lock from the worker whose answer is awaited. A timer wakes it
    now and then, so the deadline is checked even when no event comes."""
    deadline = time.monotonic() + timeout
    waker = QTimer()
    waker.start(20)
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not finish in time")
        app.processEvents(QEventLoop.AllEvents | QEventLoop.WaitForMoreEvents)
    waker.stop()
    app.processEvents()


def open_window(cache: Path, folder: Path, every_panel: bool = True):
    """(app, services, window) over `cache`, shown at 1280×800, once the Usage panel (and, with
    `every_panel`, its chart and every other first query) has answered."""
    app = QApplication.instance() or QApplication(["a2v2-bench"])
    settings = folder / "settings.json"
    save_settings(Settings(account_configured=True, sync_interval_minutes=0), settings)
    services, window = build(AppOptions(
        settings_path=settings, account_cache=str(cache), demo_cache=str(folder / "demo.sqlite"),
        state=QSettings(str(folder / "state.ini"), QSettings.IniFormat), keychain_backend=NoKeychain(),
        clock=NOW.timestamp, prompts=Prompts(), dark=False))
    window.resize(1280, 800)
    window.show()
    settle(app, lambda: window.usage.view is not None and (services.runner.idle() or not every_panel))
    if every_panel:  # the window complete: its chart too is built just after the first paint
        settle(app, lambda: window.usage.chart.built and services.runner.idle())
    return app, services, window


def busiest_agent(services) -> str:
    """The agent with the most usage lines."""
    with services.engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT agent_id FROM usage_by_agent WHERE span = 86400 GROUP BY agent_id ORDER BY sum(lines) DESC LIMIT 1"
        ).scalar()


def _usage_shown(app: QApplication, panel) -> float:
    """Seconds from the change just made to the panel showing its answer."""
    started = time.perf_counter()
    settle(app, lambda: panel.view is not None and panel.view.request == panel.pending)
    return time.perf_counter() - started


def _timed_change(app: QApplication, panel, change: Callable[[], None]) -> float:
    started = time.perf_counter()
    change()
    settle(app, lambda: panel.view is not None and panel.view.request == panel.pending)
    return time.perf_counter() - started


def usage_refreshes(app: QApplication, window, agents: list[str | None], runs: int) -> list[float]:
    """Every preset and a custom year, for each agent filter, `runs` times."""
    panel = window.usage
    today = local_date(int(NOW.timestamp()), zone(window.usage.view.timezone))
    times = []
    for _ in range(runs):
        for agent in agents:
            panel.agent.setCurrentIndex(max(0, panel.agent.findData(agent)))
            _usage_shown(app, panel)
            for preset in USAGE_PRESETS:
                times.append(_timed_change(app, panel, lambda: panel.preset.setCurrentText(preset)))
            panel.preset.setCurrentText(ranges.CUSTOM)
            _usage_shown(app, panel)
            year_ago = QDate(today - timedelta(days=364))
            times.append(_timed_change(app, panel, lambda: panel.first_date.setDate(year_ago)))
    panel.preset.setCurrentText(ranges.LAST_30_DAYS)
    panel.agent.setCurrentIndex(0)
    _usage_shown(app, panel)
    return times


def raw_sql_times(services, agents: list[str | None], runs: int) -> list[float]:
    """The agents table alone, as one GROUP BY over the raw usage lines, for the same ranges."""
    with services.engine.connect() as connection:
        tz = zone(connection.exec_driver_sql("SELECT timezone FROM organization").scalar())
        today = local_date(int(NOW.timestamp()), tz)
        spans = [ranges.preset_range(preset, today, tz, None) for preset in USAGE_PRESETS]
        spans = [span for span in spans if span] + [ranges.DateRange(today - timedelta(days=364), today)]
        times = []
        for _ in range(runs):
            for agent in agents:
                for span in spans:
                    start, end = span.bounds(tz)
                    where = "hour >= ? AND hour < ?" + (" AND agent_id = ?" if agent else "")
                    params = (start, end, agent) if agent else (start, end)
                    begun = time.perf_counter()
                    connection.exec_driver_sql(
                        f"SELECT agent_id, sum(credits), sum(quantity) FROM usage WHERE {where} GROUP BY agent_id",
                        params).all()
                    times.append(time.perf_counter() - begun)
    return times


def usage_figures(app, services, window, runs: int) -> list[Figure]:
    agents = [None, busiest_agent(services)]
    times = [seconds * 1000 for seconds in usage_refreshes(app, window, agents, runs)]
    raw = [seconds * 1000 for seconds in raw_sql_times(services, agents, runs)]
    cases = f"{len(USAGE_PRESETS)} presets + a custom year, all agents and the busiest"
    return [
        Figure("Usage panel refresh, median", "ms", [statistics.median(times)], target="≤ 50", note=cases),
        Figure("Usage panel refresh, worst", "ms", [max(times)], target="≤ 150", note=f"{len(times)} refreshes"),
        Figure("one raw SQL query over the usage lines, median", "ms", [statistics.median(raw)],
               note="the agents table alone, GROUP BY over the lines, same ranges"),
        Figure("one raw SQL query over the usage lines, worst", "ms", [max(raw)]),
    ]


def analytics_figures(app, services, window, runs: int) -> list[Figure]:
    """The busiest agent over 90 days: picking it, then switching between its tabs."""
    panel = window.analytics
    agent = busiest_agent(services)
    pick, switch = Figure("Analytics: pick the busiest agent, 90 days", "ms"), \
        Figure("Analytics tab switch, busiest agent, 90 days", "ms", target="≤ 150", note="median of the 4 tabs")
    window.show_panel(window.panels.indexOf(panel))
    settle(app, lambda: panel.view is not None and services.runner.idle())
    panel.preset.setCurrentText(ranges.LAST_90_DAYS)
    settle(app, lambda: panel.view is not None and panel.view.request == panel.pending)
    for _ in range(runs):
        panel.pick_agent(next(a for a in panel.agents.agent_ids() if a != agent))
        settle(app, lambda: panel.view is not None and panel.view.request == panel.pending)
        pick.values.append(_timed_change(app, panel, lambda: panel.pick_agent(agent)) * 1000)
        tabs = []
        for index in (1, 2, 3, 0):
            started = time.perf_counter()
            panel.tabs.setCurrentIndex(index)
            app.processEvents()
            tabs.append((time.perf_counter() - started) * 1000)
        switch.values.append(statistics.median(tabs))
    window.show_panel(0)
    return [pick, switch]


def pdf_figures(services, folder: Path, runs: int) -> list[Figure]:
    """The spend summary of one month (every agent) as a PDF, from the cache to the file."""
    from a2v2_desktop.printing.pdf import write_pdf
    from a2v2_desktop.reports.summary import SummaryRequest, build_summary

    figure = Figure("spend summary PDF, one month", "s", target="≤ 3")
    with services.engine.connect() as connection:
        tz = zone(connection.exec_driver_sql("SELECT timezone FROM organization").scalar())
    last_month = ranges.preset_range(ranges.LAST_MONTH, local_date(int(NOW.timestamp()), tz), tz, None)
    for run in range(runs):
        started = time.perf_counter()
        with services.engine.connect() as connection:
            summary = build_summary(connection, SummaryRequest(last_month, int(NOW.timestamp())))
        pages = write_pdf(summary, folder / f"summary-{run}.pdf")
        figure.values.append(time.perf_counter() - started)
    figure.note = f"{last_month.label()}, {len(summary.agents)} agent rows, {pages} pages"
    return [figure]
