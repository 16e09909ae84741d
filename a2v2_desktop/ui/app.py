"""Start-up: the one place that builds settings, cache, services, theme and window and wires them."""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
# The window's imports allocate enough to set off several full cycle collections, 0.2 s of a cold
# start; build() installs the collector that runs them on the GUI thread from then on (ui.collector).
gc.disable()

# The Qt-free core before Qt: once loaded, PySide6 reads the source of every module imported after
# it (looking for `from __feature__ import`); for SQLAlchemy's and the core's that was 0.09 s of start-up.
import a2v2_desktop.cache.models  # noqa: E402,F401
import a2v2_desktop.insights.usage  # noqa: E402,F401
from a2v2_desktop.cache.db import CacheError, cache_url  # noqa: E402,I001

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from a2v2_desktop import __version__, keychain, paths  # noqa: E402
from a2v2_desktop.logs import log_file  # noqa: E402
from a2v2_desktop.settings import Settings, load_settings, save_settings, settings_path  # noqa: E402
from a2v2_desktop.ui.cache_problem import QUIT, install_read_only_notice, open_or_ask  # noqa: E402
from a2v2_desktop.ui.collector import install_collector  # noqa: E402
from a2v2_desktop.ui.crash import CrashReporter  # noqa: E402
from a2v2_desktop.ui.help_menu import install_help_menu  # noqa: E402
from a2v2_desktop.ui.long_work import UPGRADING, wait_with_progress  # noqa: E402
from a2v2_desktop.ui.main_window import MainWindow  # noqa: E402
from a2v2_desktop.ui.prompts import Prompts  # noqa: E402
from a2v2_desktop.ui.services import CredentialStore, Services  # noqa: E402
from a2v2_desktop.ui.single_instance import SingleInstance, instance_key, raise_window  # noqa: E402
from a2v2_desktop.ui.theme import Theme  # noqa: E402
from a2v2_desktop.ui.workers import SyncFailure  # noqa: E402

DEMO_SEED = 7
APP_ID = "ai.a2v2.desktop"  # the name of the .desktop file and the macOS bundle identifier
SMOKE_TEST_SECONDS = 180


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
    orgs_dir: Path | None = None  # None: the user's data dir; each added organization's cache is under it
    demo_cache: str | None = None
    api_url: str | None = None
    state: QSettings | None = None  # window geometry and last panel
    keychain_backend: object = keychain
    demo_factory: Callable[[], object] = live_demo_server
    clock: Callable[[], float] = time.time
    prompts: Prompts = field(default_factory=Prompts)
    dark: bool | None = None  # None: follow the system


def build(options: AppOptions) -> tuple[Services, MainWindow]:
    """Build and wire everything once; raises CacheError when the cache was refused and the person chose
    to quit (it was left as it was)."""
    app = QApplication.instance()
    install_collector(app)
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
        orgs_dir=options.orgs_dir,
    )
    state = options.state or QSettings("A2V2", "A2V2 Desktop")
    window = MainWindow(services, theme, state, options.prompts)
    install_help_menu(window)  # here, after the window's own menus: Help comes last
    install_read_only_notice(window)
    theme.setParent(window)
    services.setParent(window)
    def parent() -> MainWindow | None:
        """Dialogs about the cache come before the window is shown, at start-up, or over it later."""
        return window if window.isVisible() else None

    services.ask_cache_problem = lambda diagnosis, leave: options.prompts.cache_problem(parent(), diagnosis, leave)
    services.upgrade_cache = lambda work: wait_with_progress(UPGRADING, work, parent())
    if not open_or_ask(services, services.ask_cache_problem, QUIT):
        services.shutdown()
        window.deleteLater()
        raise CacheError("The cache was left as it was.")
    return services, window


def run_gui(args) -> int:
    """The window, for `a2v2-desktop` with no subcommand; returns the exit code."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("A2V2 Desktop")
    app.setOrganizationName("A2V2")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    reporter = CrashReporter(log_file(), app)
    reporter.install()
    if getattr(args, "smoke_test", False):
        return smoke_test(app, reporter)
    options = AppOptions(account_cache=getattr(args, "cache", None) or os.environ.get("A2V2_CACHE"),
                         api_url=getattr(args, "api_url", None) or os.environ.get("A2V2_API_URL"))
    open_demo_on_first_run(options.settings_path)
    guard = SingleInstance(instance_key(*cache_locations(options)), app)
    if not guard.claim():
        print("A2V2 Desktop is already running: its window was brought forward.", file=sys.stderr)
        return 0
    try:
        services, window = build(options)
    except CacheError:  # the person was told what is wrong and chose to quit
        return 1
    guard.raiseRequested.connect(lambda: raise_window(window))
    window.show()
    services.runner.when_answered(services.sync.start)  # the cached figures first, then the sync
    return app.exec()


def open_demo_on_first_run(saved_at: Path | None) -> bool:
    """The very first start (no settings saved yet) opens on the demo, so a new user sees a filled
    window at once; "Connect your organization" is in Settings and Organizations → Add. Later starts
    keep whatever the user chose, the welcome page included. True when this was the first run."""
    path = saved_at or settings_path()
    if path.exists():
        return False
    save_settings(Settings(demo_mode=True), path)
    return True


def cache_locations(options: AppOptions) -> tuple[str, str]:
    """The account and demo caches this start would open, as URLs so two spellings of a path agree."""
    account = options.account_cache or load_settings(options.settings_path).cache_location()
    return cache_url(account), cache_url(options.demo_cache or paths.demo_cache_path())


def smoke_test(app: QApplication, reporter: CrashReporter) -> int:
    """`--smoke-test`: the demo in a throw-away folder, synced, each panel shown once; 0 when all worked
    and nothing raised (a module missing from a bundle often fails only inside a slot).

    The user's settings and caches are not touched, so it can check a bundle on any machine.
    """
    import PySide6
    import pyqtgraph as pg

    with tempfile.TemporaryDirectory(prefix="a2v2-smoke-") as folder:
        root = Path(folder)
        save_settings(Settings(demo_mode=True, sync_interval_minutes=0), root / "settings.json")
        services, window = build(AppOptions(settings_path=root / "settings.json", demo_cache=str(root / "demo.sqlite"),
                                            state=QSettings(str(root / "state.ini"), QSettings.IniFormat)))
        outcome, errors = [], []
        reporter.crashed.connect(errors.append)
        services.sync.succeeded.connect(outcome.append)
        services.sync.failed.connect(outcome.append)
        window.show()
        services.sync.start()
        synced = _run_until(app, lambda: bool(outcome) and services.runner.idle())
        shown = synced and all(_show_panel(app, window, index) for index in range(window.panels.count()))
        window.close()
    problem = _smoke_problem(outcome, synced, shown, errors, pg.Qt.QT_LIB)
    if problem:
        print(f"smoke test failed: {problem}", file=sys.stderr)
        return 1
    print(f"smoke test passed: {outcome[0].total_records:,} demo records synced, {window.panels.count()} panels "
          f"shown, pyqtgraph {pg.__version__} on {pg.Qt.QT_LIB} {PySide6.__version__}")
    return 0


def _smoke_problem(outcome: list, synced: bool, shown: bool, errors: list[str], binding: str) -> str | None:
    """What went wrong in the smoke test, in one line; None when nothing did."""
    if errors:
        return f"uncaught exception ({errors[0]}; the traceback is in {log_file()})"
    if not synced:
        return "the demo sync did not finish"
    if isinstance(outcome[0], SyncFailure):
        return f"the demo sync failed: {outcome[0].message}"
    if not shown:
        return "a panel did not finish loading"
    if binding != "PySide6":
        return f"pyqtgraph uses {binding}, not PySide6"
    return None


def _show_panel(app: QApplication, window: MainWindow, index: int) -> bool:
    """Show one panel, let its queries answer, and render it."""
    window.show_panel(index)
    if not _run_until(app, window.services.runner.idle):
        return False
    return not window.grab().isNull()


def _run_until(app: QApplication, done: Callable[[], bool], seconds: float = SMOKE_TEST_SECONDS) -> bool:
    """Process events until done() or the deadline; the ticking timer wakes the loop when nothing else does."""
    ticker = QTimer()
    ticker.start(50)
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        app.processEvents(QEventLoop.WaitForMoreEvents)
    return done()
