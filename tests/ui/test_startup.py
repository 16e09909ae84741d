"""Start-up does only what the first paint needs: hidden panels, the API client, the sync engine and
the demo's server wait until they are first used, and the first sync waits for the first reads."""

from __future__ import annotations

import subprocess
import sys
import threading

from PySide6.QtWidgets import QLabel, QWidget

from a2v2_desktop.settings import Settings
from a2v2_desktop.ui.lazy import LazyStack
from a2v2_desktop.ui.main_window import ANALYTICS, SETTINGS
from a2v2_desktop.ui.panels.analytics import AnalyticsPanel
from a2v2_desktop.ui.workers import TaskRunner
from tests.ui.conftest import demo_server

# Loaded only by a sync, a connection check, a statement, a print or PDF, or a panel the user opens;
# SQLAlchemy's ORM by none of them (the cache's tables are Core tables).
DEFERRED = ("httpx", "pydantic", "alembic", "a2v2_desktop.api.client", "a2v2_desktop.sync.engine",
            "a2v2_desktop.standin.generator", "a2v2_desktop.ui.panels.analytics", "a2v2_desktop.ui.panels.settings",
            "a2v2_desktop.printing.pdf", "sqlalchemy.orm")

OPEN_WINDOW = """
import gc, os, sys
from pathlib import Path
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from a2v2_desktop.settings import Settings, save_settings
from a2v2_desktop.ui.app import AppOptions, build
app = QApplication([])
folder = Path(sys.argv[2])
save_settings(Settings(account_configured=True, sync_interval_minutes=0), folder / "settings.json")
services, window = build(AppOptions(settings_path=folder / "settings.json", account_cache=sys.argv[1],
                                    demo_cache=str(folder / "demo.sqlite"), dark=False,
                                    state=QSettings(str(folder / "state.ini"), QSettings.IniFormat)))
window.show()
while window.usage.view is None:
    app.processEvents()
window.repaint()
print(",".join(name for name in sys.argv[3].split(",") if name in sys.modules))
print(gc.get_stats()[2]["collections"])
os._exit(0)
"""


def test_the_window_paints_the_usage_panel_without_loading_what_only_later_work_needs(cache_copy, tmp_path):
    """Nor any full cycle collection: start-up's imports made several, 0.2 s of a cold start."""
    done = subprocess.run([sys.executable, "-c", OPEN_WINDOW, str(cache_copy), str(tmp_path), ",".join(DEFERRED)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["", "0"]


def test_a_later_page_is_built_once_in_its_place_when_it_becomes_current(qtbot):
    stack = LazyStack()
    qtbot.addWidget(stack)
    stack.addWidget(QWidget())
    built: list[QLabel] = []
    index = stack.add_later(lambda: built.append(QLabel("page")) or built[-1])
    assert built == [] and stack.count() == 2
    stack.setCurrentIndex(index)
    assert len(built) == 1
    assert stack.currentWidget() is built[0] and stack.indexOf(built[0]) == index and stack.count() == 2
    assert stack.page(index) is built[0] and len(built) == 1


def test_a_later_page_asked_for_while_hidden_is_built_without_being_shown(qtbot):
    stack = LazyStack()
    qtbot.addWidget(stack)
    first = QWidget()
    stack.addWidget(first)
    index = stack.add_later(lambda: QLabel("page"))
    page = stack.page(index)
    assert isinstance(page, QLabel) and stack.indexOf(page) == index
    assert stack.currentWidget() is first and stack.count() == 2


def test_analytics_and_settings_are_built_on_first_show_and_then_read_the_open_cache(
        make_app, cache_copy, account_settings, settle):
    services, window = make_app(account_settings())
    settle(services)
    assert not isinstance(window.panels.widget(ANALYTICS), AnalyticsPanel)
    assert type(window.panels.widget(SETTINGS)) is QWidget
    window.show_panel(ANALYTICS)
    assert isinstance(window.panels.currentWidget(), AnalyticsPanel)
    settle(services)
    assert window.analytics.view is not None


def _blocked_job(runner: TaskRunner, release: threading.Event, answered: list[str], name: str) -> None:
    runner.submit(lambda: release.wait(10), lambda _result: answered.append(name))


def test_when_answered_waits_for_the_jobs_submitted_before_it_and_no_others(qtbot):
    runner = TaskRunner()
    answered: list[str] = []
    first, second = threading.Event(), threading.Event()
    _blocked_job(runner, first, answered, "first")
    runner.when_answered(lambda: answered.append("called"))
    _blocked_job(runner, second, answered, "second")
    assert answered == []
    first.set()
    qtbot.waitUntil(lambda: "called" in answered)
    assert answered == ["first", "called"]
    runner.when_answered(lambda: answered.append("called again"))
    second.set()
    qtbot.waitUntil(lambda: "called again" in answered)
    assert answered == ["first", "called", "second", "called again"]
    runner.when_answered(lambda: answered.append("at once"))
    assert answered[-1] == "at once"
    runner.wait()


def test_the_demo_server_starts_with_the_first_demo_sync_off_the_gui_thread_and_never_read_only(
        make_app, qtbot, settle):
    started, on_gui_thread = [], []

    def factory():
        on_gui_thread.append(threading.current_thread() is threading.main_thread())
        started.append(demo_server())
        return started[-1]

    services, _window = make_app(Settings(demo_mode=True, sync_interval_minutes=0), demo_factory=factory)
    settle(services)
    assert started == []
    with qtbot.waitSignal(services.sync.succeeded, timeout=60_000):
        assert services.sync.start()
    assert len(started) == 1 and services.demo_server is started[0] and on_gui_thread == [False]
    settle(services)
    services.activate_read_only("a test")
    assert not services.sync.start() and services.demo_server is None and len(started) == 1
