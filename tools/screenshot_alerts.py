"""Regenerate docs/screenshots/alerts-{light,dark}.png: the Alerts panel at 1280×800 with demo data.

Runs offscreen like tools/screenshots.py: the seed-7 stand-in with a fixed clock is synced,
a budget is set for the organization and for its busiest agent, then the stand-in moves on
30 hours and syncs again, so the panel shows alerts and a "What changed since last sync"
with new spend and revised days. Usage: `python tools/screenshot_alerts.py`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from screenshots import NOW, ROOT, fixed_demo_server, settle  # noqa: E402

from a2v2_desktop.cache import queries, watch_store  # noqa: E402
from a2v2_desktop.domain.credits import SCALE  # noqa: E402
from a2v2_desktop.ui.app import AppOptions, build  # noqa: E402
from a2v2_desktop.ui.main_window import ALERTS  # noqa: E402

LATER = NOW + timedelta(hours=30)


def set_budgets(services) -> None:
    """The organization's budget and its busiest agent's, in the cache the panel reads."""
    with services.engine.begin() as connection:
        busiest = queries.spend_by_agent(connection, int(NOW.timestamp()) - 14 * 86400, int(NOW.timestamp()))[0]
        watch_store.save_budget(connection, watch_store.ORG_BUDGET, 20_000 * SCALE)
        watch_store.save_budget(connection, busiest.key, busiest.credits * 2)


def move_on(services) -> None:
    """The stand-in's organization lives 30 more hours, as a live one would between two syncs."""
    org = services.demo_server.org
    org.frozen = False
    org.advance(LATER)
    org.frozen = True


def screenshot_alerts(out: Path) -> list[Path]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    clock = [NOW.timestamp()]
    written = []
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
        set_budgets(services)
        move_on(services)
        clock[0] = LATER.timestamp()
        services.sync.start()
        settle(services)
        window.show_panel(ALERTS)
        settle(services)
        out.mkdir(parents=True, exist_ok=True)
        for name, dark in (("light", False), ("dark", True)):
            window.theme.apply(dark)
            settle(services)
            target = out / f"alerts-{name}.png"
            window.grab().save(str(target))
            written.append(target)
        window.close()
        services.shutdown()
    app.processEvents()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    for path in screenshot_alerts(parser.parse_args().out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
