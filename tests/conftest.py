"""Shared fixtures: an isolated cache per test and the stand-in server on a free port."""

from __future__ import annotations

import os

# CI has no display: Qt must render offscreen (setdefault so a real screen can still be chosen).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import gc  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

import pytest  # noqa: E402

FIXED_NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Settings, data and logs of every test live in its own temporary folders."""
    for variable, name in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"),
                           ("XDG_CACHE_HOME", "cache")):
        monkeypatch.setenv(variable, str(tmp_path / "home" / name))
    for variable in ("A2V2_API_URL", "A2V2_API_KEY", "A2V2_API_SECRET", "A2V2_CACHE"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(autouse=True)
def collected_between_tests():
    """After each test, the widgets it closed are destroyed by Qt, now, while their Python side is
    whole: left to the cycle collector, a later test's collection would clear them first, and
    their destruction would call event filters and slots that no longer have their attributes.
    Then, once the Qt tests have turned automatic collection off (`ui.collector`), the test's
    cycles are collected on the main thread, as the app's timer would."""
    yield
    if gc.isenabled():
        return
    from PySide6.QtCore import QCoreApplication, QEvent

    from a2v2_desktop.ui.collector import collect_due

    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    collect_due()


@pytest.fixture
def cache_path(tmp_path):
    return tmp_path / "cache.sqlite"


@pytest.fixture
def standin():
    """Start stand-in servers on free loopback ports: standin(spec=..., faults=..., now=...)."""
    from a2v2_desktop.standin.generator import DemoOrg, OrgSpec
    from a2v2_desktop.standin.server import Faults, StandinServer

    servers = []

    def start(spec=None, faults=None, now=FIXED_NOW, org=None):
        org = org or DemoOrg(spec or OrgSpec(), now=now)
        server = StandinServer(org, port=0, faults=faults or Faults()).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def demo_env(monkeypatch):
    """The stand-in's public demo credentials in the environment, as a user would set them."""
    from a2v2_desktop.standin.server import DEMO_API_KEY, DEMO_API_SECRET

    monkeypatch.setenv("A2V2_API_KEY", DEMO_API_KEY)
    monkeypatch.setenv("A2V2_API_SECRET", DEMO_API_SECRET)
