"""Regenerate docs/screenshots/: each panel at 1280×800 with demo data, light and dark.

Runs offscreen (no display needed): starts the stand-in with seed 7 and a fixed clock,
syncs it through the real sync path into a temporary folder, and grabs the window.
Usage: `python tools/screenshots.py [--out docs/screenshots] [--only usage,billing,analytics,alerts]`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from a2v2_desktop.cache import queries, watch_store  # noqa: E402
from a2v2_desktop.domain.credits import SCALE  # noqa: E402
from a2v2_desktop.ui.app import AppOptions, build  # noqa: E402
from a2v2_desktop.ui.main_window import ALERTS, ANALYTICS, BILLING  # noqa: E402

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(hours=30)
ROOT = Path(__file__).resolve().parents[1]
# Analytics tab, file name, and which agent shows it best: the busiest one, or one that sells access.
ANALYTICS_TABS = (("overview", None), ("answer-quality", None), ("cost", None), ("subscriptions", "paid"))


def fixed_demo_server():
    from a2v2_desktop.standin.generator import DemoOrg, OrgSpec
    from a2v2_desktop.standin.server import StandinServer

    return StandinServer(DemoOrg(OrgSpec(seed=7), now=NOW), port=0).start()


def wait_until(condition: Callable[[], bool], timeout_ms: int = 60_000) -> None:
    """Spin the event loop until `condition()` holds (workers report by queued signals)."""
    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: condition() and loop.quit())
    poll.start(50)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    poll.stop()
    if not condition():
        raise SystemExit("timed out waiting for the window to fill")


def settle(services) -> None:
    wait_until(lambda: not services.sync.busy and services.runner.idle())
    QApplication.processEvents()


@contextmanager
def demo_window(clock: list[float]) -> Iterator[tuple[object, object]]:
    """The window on the synced demo, in a throw-away folder; `clock[0]` is the app's time."""
    with tempfile.TemporaryDirectory() as folder:
        temp = Path(folder)
        options = AppOptions(settings_path=temp / "settings.json", demo_cache=str(temp / "demo.sqlite"),
                             account_cache=str(temp / "cache.sqlite"),
                             state=QSettings(str(temp / "state.ini"), QSettings.IniFormat),
                             demo_factory=fixed_demo_server, clock=lambda: clock[0], dark=False)
        services, window = build(options)
        window.resize(1280, 800)
        window.show()
        services.start_demo()
        settle(services)
        try:
            yield services, window
        finally:
            window.close()
            services.shutdown()
            QApplication.processEvents()


def grab_both_themes(services, window, target: Path) -> list[Path]:
    """`target` with -light and -dark before its suffix; the window is left light."""
    written = []
    for name, dark in (("light", False), ("dark", True)):
        window.theme.apply(dark)
        settle(services)
        path = target.with_name(f"{target.stem}-{name}{target.suffix}")
        window.grab().save(str(path))
        written.append(path)
    window.theme.apply(False)
    return written


def usage(services, window, out: Path, _clock: list[float]) -> list[Path]:
    return grab_both_themes(services, window, out / "usage.png")


def billing(services, window, out: Path, _clock: list[float]) -> list[Path]:
    window.show_panel(BILLING)
    return grab_both_themes(services, window, out / "billing.png")


def analytics(services, window, out: Path, _clock: list[float]) -> list[Path]:
    """Each Analytics tab, for the agent that shows it best."""
    window.show_panel(ANALYTICS)
    settle(services)
    panel = window.panels.widget(ANALYTICS)
    busiest = max(panel.view.agents, key=lambda entry: entry.credits).id
    paid = next(entry.id for entry in panel.view.agents if entry.paid_access)
    written = []
    for number, (name, agent) in enumerate(ANALYTICS_TABS):
        panel.agents.select(paid if agent == "paid" else busiest)
        panel.tabs.setCurrentIndex(number)
        written += grab_both_themes(services, window, out / f"analytics-{name}.png")
    return written


def alerts(services, window, out: Path, clock: list[float]) -> list[Path]:
    """Budgets for the organization and its busiest agent, then 30 hours later a second sync:
    the panel shows alerts and a "What changed since last sync" with new spend and revised days."""
    with services.engine.begin() as connection:
        busiest = queries.spend_by_agent(connection, int(NOW.timestamp()) - 14 * 86400, int(NOW.timestamp()))[0]
        watch_store.save_budget(connection, watch_store.ORG_BUDGET, 20_000 * SCALE)
        watch_store.save_budget(connection, busiest.key, busiest.credits * 2)
    org = services.demo_server.org
    org.frozen = False
    org.advance(LATER)
    org.frozen = True
    clock[0] = LATER.timestamp()
    services.sync.start()
    settle(services)
    window.show_panel(ALERTS)
    return grab_both_themes(services, window, out / "alerts.png")


SCENES = {scene.__name__: scene for scene in (usage, billing, analytics, alerts)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", default=",".join(SCENES), help=f"comma-separated, of: {', '.join(SCENES)}")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only.split(","):
        clock = [NOW.timestamp()]
        with demo_window(clock) as (services, window):
            for path in SCENES[name](services, window, args.out, clock):
                print(path)
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
