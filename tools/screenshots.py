"""Regenerate docs/screenshots/usage-{light,dark}.png: the window at 1280×800 with demo data.

Runs offscreen (no display needed): starts the stand-in with seed 7 and a fixed
clock, syncs it through the real sync path into a temporary cache, and grabs the
window. Usage: `python tools/screenshots.py [--out docs/screenshots] [--panel usage]`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from a2v2_desktop.ui.app import AppOptions, build  # noqa: E402

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parents[1]


def fixed_demo_server():
    from a2v2_desktop.standin.generator import DemoOrg, OrgSpec
    from a2v2_desktop.standin.server import StandinServer

    return StandinServer(DemoOrg(OrgSpec(seed=7), now=NOW), port=0).start()


def wait_until(condition, timeout_ms: int = 60_000) -> None:
    """Spin the event loop until `condition()` holds (workers report by queued signals)."""
    loop = QEventLoop()
    poll = QTimer()

    def check() -> None:
        if condition():
            loop.quit()

    poll.timeout.connect(check)
    poll.start(50)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    poll.stop()
    if not condition():
        raise SystemExit("timed out waiting for the window to fill")


def settle(services) -> None:
    wait_until(lambda: not services.sync.busy and services.runner.idle())
    QApplication.processEvents()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--panel", type=int, default=0, help="sidebar index: 0 Usage, 3 Settings")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as folder:
        temp = Path(folder)
        options = AppOptions(settings_path=temp / "settings.json", demo_cache=str(temp / "demo.sqlite"),
                             account_cache=str(temp / "cache.sqlite"),
                             state=QSettings(str(temp / "state.ini"), QSettings.IniFormat),
                             demo_factory=fixed_demo_server, clock=NOW.timestamp, dark=False)
        services, window = build(options)
        window.resize(1280, 800)
        window.show()
        services.start_demo()
        settle(services)
        window.show_panel(args.panel)
        args.out.mkdir(parents=True, exist_ok=True)
        suffix = "" if args.panel == 0 else f"-panel{args.panel}"
        for name, dark in (("light", False), ("dark", True)):
            window.theme.apply(dark)
            settle(services)
            target = args.out / f"usage{suffix}-{name}.png"
            window.grab().save(str(target))
            print(target)
        window.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
