"""Fixtures for the window's tests: offscreen Qt, a synced demo cache per test, the app built in tmp."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import shutil  # noqa: E402
from dataclasses import asdict  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from a2v2_desktop.api.client import ApiClient, Credentials  # noqa: E402
from a2v2_desktop.cache.db import open_cache  # noqa: E402
from a2v2_desktop.keychain import KeychainUnavailable  # noqa: E402
from a2v2_desktop.settings import Settings, save_settings  # noqa: E402
from a2v2_desktop.standin.generator import DemoOrg, OrgSpec  # noqa: E402
from a2v2_desktop.standin.server import DEMO_API_KEY, DEMO_API_SECRET, Faults, StandinServer  # noqa: E402
from a2v2_desktop.sync.engine import SyncEngine  # noqa: E402
from a2v2_desktop.ui.app import AppOptions, build  # noqa: E402
from a2v2_desktop.ui.collector import install_collector  # noqa: E402
from a2v2_desktop.ui.prompts import Prompts  # noqa: E402

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
DEMO_CREDENTIALS = Credentials(DEMO_API_KEY, DEMO_API_SECRET)


def demo_server(faults: Faults = Faults()) -> StandinServer:
    return StandinServer(DemoOrg(OrgSpec(seed=7), now=NOW), port=0, faults=faults).start()


class NoKeychain:
    """This machine's situation: no OS keychain at all."""

    def load_credentials(self, *_args):
        raise KeychainUnavailable("No OS keychain is available on this system.")

    save_credentials = delete_credentials = load_credentials


class Answers(Prompts):
    """Answers the confirmation dialogs without showing them."""

    def __init__(self, confirm: bool = True, option: bool = False):
        self.answer, self.option = confirm, option
        self.asked: list[str] = []

    def confirm(self, parent, title, question, action) -> bool:
        self.asked.append(title)
        return self.answer

    def confirm_with_option(self, parent, title, question, action, option) -> tuple[bool, bool]:
        self.asked.append(title)
        return self.answer, self.option


@pytest.fixture
def start_server():
    """`start_server(faults)`: a seed-7 stand-in with the fixed clock, stopped after the test."""
    servers = []

    def start(faults: Faults = Faults()) -> StandinServer:
        servers.append(demo_server(faults))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def demo_credentials():
    return DEMO_CREDENTIALS


@pytest.fixture(scope="session")
def now():
    return NOW


@pytest.fixture(scope="session")
def runaway_id():
    return DemoOrg(OrgSpec(seed=7), now=NOW).runaway_agent_id


@pytest.fixture(scope="session")
def synced_template(tmp_path_factory):
    """One real sync of the seed-7 demo (fixed clock) over HTTP; tests copy the file."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "cache.sqlite"
    engine = open_cache(path)
    server = demo_server()
    try:
        with ApiClient(server.base_url, DEMO_CREDENTIALS) as client:
            SyncEngine(client, engine).run()
    finally:
        server.stop()
        engine.dispose()
    return path


@pytest.fixture
def cache_copy(tmp_path, synced_template):
    target = tmp_path / "account.sqlite"
    shutil.copy(synced_template, target)
    return target


@pytest.fixture(scope="session", autouse=True)
def gui_thread_collector(qapp):
    """As in the app: cycles are collected on the GUI thread, never on a pool or sync thread."""
    return install_collector(qapp)


@pytest.fixture(autouse=True)
def widgets_held_until_teardown(qtbot, monkeypatch):
    """pytest-qt refers to the widgets it closes at teardown weakly: once a test returns, a widget
    in a reference cycle could be collected while pytest-qt processes events, its Python attributes
    cleared before Qt destroys it, and its destruction would call event filters and slots without
    them. Held until teardown, it is closed and destroyed by Qt first (root conftest)."""
    held = []
    register = qtbot.addWidget

    def add_widget(widget, *args, **kwargs):
        held.append(widget)
        register(widget, *args, **kwargs)

    monkeypatch.setattr(qtbot, "addWidget", add_widget)
    yield held
    held.clear()


@pytest.fixture
def make_app(qtbot, tmp_path):
    """Build the whole app in tmp_path: `make_app(settings=Settings(...), **AppOptions fields)`."""
    built = []

    def factory(settings: Settings | None = None, **overrides):
        settings_path = tmp_path / "settings.json"
        if settings is not None:
            save_settings(settings, settings_path)
        options = dict(settings_path=settings_path, account_cache=str(tmp_path / "account.sqlite"),
                       orgs_dir=tmp_path / "orgs",
                       demo_cache=str(tmp_path / "demo.sqlite"),
                       state=QSettings(str(tmp_path / "state.ini"), QSettings.IniFormat),
                       keychain_backend=NoKeychain(), demo_factory=demo_server, clock=NOW.timestamp,
                       prompts=Answers(), dark=False)
        options.update(overrides)
        services, window = build(AppOptions(**options))
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        window.activateWindow()  # window shortcuts (Ctrl+1..4, Esc) need the active window
        qtbot.waitUntil(window.isActiveWindow)
        built.append((services, window))
        return services, window

    yield factory
    for services, window in built:
        window.close()
        services.shutdown()


@pytest.fixture
def settle(qtbot):
    """`settle(services)`: wait until no sync runs and every query has answered."""

    def wait(services, timeout: int = 20_000) -> None:
        qtbot.waitUntil(lambda: not services.sync.busy and services.runner.idle(), timeout=timeout)

    return wait


@pytest.fixture
def account_settings():
    """`account_settings(**changes)`: saved settings of a connected account with automatic sync off."""

    def settings(**changes) -> Settings:
        return Settings(**{**asdict(Settings()), "account_configured": True, "sync_interval_minutes": 0, **changes})

    return settings
