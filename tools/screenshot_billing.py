"""Regenerate docs/screenshots/billing-{light,dark}.png: the Billing panel at 1280×800 with demo data.

Runs offscreen like tools/screenshots.py (seed 7, fixed clock, synced through the real
sync path into a temporary folder). Until the main window builds the Billing panel
itself, this swaps it in for the placeholder. Usage: `python tools/screenshot_billing.py`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from screenshots import NOW, ROOT, fixed_demo_server, settle  # noqa: E402

from a2v2_desktop.ui.app import AppOptions, build  # noqa: E402
from a2v2_desktop.ui.main_window import BILLING  # noqa: E402
from a2v2_desktop.ui.panels.billing import BillingPanel  # noqa: E402


def billing_panel(window) -> BillingPanel:
    """The window's Billing panel, swapped in for the placeholder when it has none yet."""
    current = window.panels.widget(BILLING)
    if isinstance(current, BillingPanel):
        return current
    panel = BillingPanel(window.services, window.theme)
    window.panels.removeWidget(current)
    window.panels.insertWidget(BILLING, panel)
    current.deleteLater()
    return panel


def screenshot_billing(out: Path) -> list[Path]:
    """Both themes of the Billing panel, as PNGs in `out`."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    written = []
    with tempfile.TemporaryDirectory() as folder:
        temp = Path(folder)
        options = AppOptions(settings_path=temp / "settings.json", demo_cache=str(temp / "demo.sqlite"),
                             account_cache=str(temp / "cache.sqlite"),
                             state=QSettings(str(temp / "state.ini"), QSettings.IniFormat),
                             demo_factory=fixed_demo_server, clock=NOW.timestamp, dark=False)
        services, window = build(options)
        panel = billing_panel(window)
        window.resize(1280, 800)
        window.show()
        services.start_demo()
        settle(services)
        window.show_panel(BILLING)
        panel.refresh()
        settle(services)
        out.mkdir(parents=True, exist_ok=True)
        for name, dark in (("light", False), ("dark", True)):
            window.theme.apply(dark)
            settle(services)
            target = out / f"billing-{name}.png"
            window.grab().save(str(target))
            written.append(target)
        window.close()
        services.shutdown()
    app.processEvents()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    for path in screenshot_billing(parser.parse_args().out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
