"""Start-up: the one place that builds settings, cache, services, theme and window and wires them."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from a2v2_desktop import keychain, paths  # noqa: E402
from a2v2_desktop.cache.db import CacheError  # noqa: E402
from a2v2_desktop.ui.main_window import MainWindow  # noqa: E402
from a2v2_desktop.ui.prompts import Prompts  # noqa: E402
from a2v2_desktop.ui.services import CredentialStore, Services  # noqa: E402
from a2v2_desktop.ui.theme import Theme  # noqa: E402

DEMO_SEED = 7


def live_demo_server():
    """The stand-in with the fixed seed and the real clock, on a free loopback port."""
    from a2v2_desktop.standin.generator import DemoOrg, OrgSpec
    from a2v2_desktop.standin.server import StandinServer

    return StandinServer(DemoOrg(OrgSpec(seed=DEMO_SEED), now=None), port=0).start()


@dataclass
class AppOptions:
    """Everything start-up can be told; tests point each at temporary places."""

    settings_path: Path | None = None  # None: the user's config dir
    account_cache: str | None = None  # None: the saved setting or the default location
    demo_cache: str | None = None
    api_url: str | None = None
    state: QSettings | None = None  # window geometry and last panel
    keychain_backend: object = keychain
    demo_factory: Callable[[], object] = live_demo_server
    clock: Callable[[], float] = time.time
    prompts: Prompts = field(default_factory=Prompts)
    dark: bool | None = None  # None: follow the system


def build(options: AppOptions) -> tuple[Services, MainWindow]:
    """Build and wire everything once; raises CacheError when the cache cannot be opened."""
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=True)
    app = QApplication.instance()
    theme = Theme(app)
    if options.dark is None:
        theme.follow_system()
    else:
        theme.apply(options.dark)
    services = Services(
        settings_path=options.settings_path,
        account_cache=options.account_cache,
        demo_cache=options.demo_cache or str(paths.demo_cache_path()),
        credentials=CredentialStore(options.keychain_backend),
        demo_factory=options.demo_factory,
        clock=options.clock,
        api_url_override=options.api_url,
    )
    state = options.state or QSettings("A2V2", "A2V2 Desktop")
    window = MainWindow(services, theme, state, options.prompts)
    theme.setParent(window)
    services.setParent(window)
    services.activate()
    return services, window


def run_gui(args) -> int:
    """The window, for `a2v2-desktop` with no subcommand; returns the exit code."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("A2V2 Desktop")
    app.setOrganizationName("A2V2")
    options = AppOptions(account_cache=getattr(args, "cache", None) or os.environ.get("A2V2_CACHE"),
                         api_url=getattr(args, "api_url", None) or os.environ.get("A2V2_API_URL"))
    try:
        services, window = build(options)
    except CacheError as error:
        QMessageBox.critical(None, "A2V2 Desktop", str(error))
        return 1
    window.show()
    services.sync.start()
    return app.exec()
