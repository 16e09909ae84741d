"""Regenerate docs/screenshots/analytics-<tab>-{light,dark}.png: the window at 1280×800 with demo data.

Runs offscreen: starts the stand-in (seed 7, fixed clock), syncs it through the real
sync path into a temporary cache and grabs the window on each Analytics tab. Until
the main window shows the Analytics panel itself, the panel is put in place of its
placeholder here. Usage: `python tools/screenshot_analytics.py [--out docs/screenshots]`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from a2v2_desktop.ui.app import AppOptions, build  # noqa: E402
from a2v2_desktop.ui.main_window import ANALYTICS  # noqa: E402
from a2v2_desktop.ui.panels.analytics import AnalyticsPanel  # noqa: E402
from tools.screenshots import NOW, ROOT, fixed_demo_server, settle  # noqa: E402

# Tab, file name, and which agent shows it best: the busiest agent, or one that sells access.
TABS = (("overview", None), ("answer-quality", None), ("cost", None), ("subscriptions", "paid"))


def analytics_panel(window, services) -> AnalyticsPanel:
    """The window's Analytics panel, put in place of the placeholder if the window has none yet."""
    current = window.panels.widget(ANALYTICS)
    if isinstance(current, AnalyticsPanel):
        return current
    panel = AnalyticsPanel(services, window.theme)
    window.panels.removeWidget(current)
    window.panels.insertWidget(ANALYTICS, panel)
    current.deleteLater()
    return panel


def paid_agent(panel: AnalyticsPanel) -> str:
    return next(entry.id for entry in panel.view.agents if entry.paid_access)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as folder:
        temp = Path(folder)
        options = AppOptions(settings_path=temp / "settings.json", demo_cache=str(temp / "demo.sqlite"),
                             account_cache=str(temp / "cache.sqlite"),
                             state=QSettings(str(temp / "state.ini"), QSettings.IniFormat),
                             demo_factory=fixed_demo_server, clock=NOW.timestamp, dark=False)
        services, window = build(options)
        panel = analytics_panel(window, services)
        window.resize(1280, 800)
        window.show()
        services.start_demo()
        settle(services)
        window.show_panel(ANALYTICS)
        panel.refresh()
        settle(services)
        busiest = max(panel.view.agents, key=lambda entry: entry.credits).id
        args.out.mkdir(parents=True, exist_ok=True)
        for number, (name, agent) in enumerate(TABS):
            panel.agents.select(paid_agent(panel) if agent == "paid" else busiest)
            settle(services)
            panel.tabs.setCurrentIndex(number)
            for theme, dark in (("light", False), ("dark", True)):
                window.theme.apply(dark)
                settle(services)
                target = args.out / f"analytics-{name}-{theme}.png"
                window.grab().save(str(target))
                print(target)
            window.theme.apply(False)
        window.close()
        services.shutdown()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
