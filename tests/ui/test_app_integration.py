"""The app as a desktop program: Help menu, About, crash dialog, one instance per cache, smoke test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QDir, QObject, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtNetwork import QLocalServer

from a2v2_desktop import __version__
from a2v2_desktop.logs import log_file, setup_logging
from a2v2_desktop.ui import help_menu
from a2v2_desktop.ui.about import AboutDialog
from a2v2_desktop.ui.app import APP_ID, AppOptions, cache_locations, smoke_test
from a2v2_desktop.ui.crash import CrashReporter
from a2v2_desktop.ui.single_instance import SingleInstance, instance_key, raise_window


def help_actions(window) -> dict:
    menu = next(action.menu() for action in window.menuBar().actions() if action.text() == "&Help")
    return {action.text(): action for action in menu.actions()}


class OpenedUrls(QObject):
    """Stands in for the file manager: Qt hands it the URLs it would open."""

    def __init__(self):
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def file_manager():
    opened = OpenedUrls()
    QDesktopServices.setUrlHandler("file", opened, "open")
    yield opened
    QDesktopServices.unsetUrlHandler("file")


# -- Help menu and About ---------------------------------------------------------------------


def test_help_menu_is_last_with_about_and_log_folder(make_app):
    _services, window = make_app()
    assert window.menuBar().actions()[-1].text() == "&Help"
    assert set(help_actions(window)) == {"&About A2V2 Desktop", "Open &log folder"}


def test_about_shows_version_cache_location_and_license(make_app, qtbot, tmp_path):
    services, window = make_app()
    help_actions(window)["&About A2V2 Desktop"].trigger()
    dialog = window.findChild(AboutDialog)
    assert dialog is not None and dialog.isVisible()
    texts = "\n".join(label.text() for label in dialog.findChildren(type(window.org_label)))
    assert f"Version {__version__}" in texts
    assert services.cache_location == str(tmp_path / "account.sqlite") and services.cache_location in texts
    assert str(log_file()) in texts
    assert "MIT License" in texts and "A2V2 Desktop developers" in texts
    dialog.reject()
    qtbot.waitUntil(lambda: window.findChild(AboutDialog) is None)  # deleted on close


def test_open_log_folder_shows_the_log_directory(make_app, file_manager):
    _services, window = make_app()
    help_actions(window)["Open &log folder"].trigger()
    assert [Path(url.toLocalFile()) for url in file_manager.urls] == [log_file().parent]
    assert log_file().parent.is_dir()


def test_open_log_folder_without_a_file_manager_says_where_the_logs_are(make_app, monkeypatch):
    _services, window = make_app()
    monkeypatch.setattr(help_menu.QDesktopServices, "openUrl", lambda _url: False)
    help_actions(window)["Open &log folder"].trigger()
    box = next(w for w in window.findChildren(help_menu.QMessageBox) if w.isVisible())
    assert str(log_file().parent) in box.text()
    box.close()


def test_qt_names_the_desktop_file_that_ships():
    """Wayland and the docks match windows to menu entries by this name."""
    assert (Path(__file__).resolve().parents[2] / "resources" / "linux" / f"{APP_ID}.desktop").is_file()


# -- crashes ------------------------------------------------------------------------------------


@pytest.fixture
def reporter(monkeypatch, qtbot):
    """A CrashReporter installed as the hooks for this test only, logging to the test's log dir."""
    setup_logging()
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    installed = CrashReporter(log_file())
    installed.install()
    yield installed
    if installed.dialog is not None:
        installed.dialog.close()


def explode() -> None:
    raise ValueError("the chart had no axis")


def test_exception_in_a_slot_is_logged_and_shown_with_the_log_path(reporter, qtbot):
    QTimer.singleShot(0, explode)
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    assert "ValueError: the chart had no axis" in reporter.dialog.informativeText()
    assert str(log_file()) in reporter.dialog.informativeText()
    logged = log_file().read_text(encoding="utf-8")
    assert "uncaught exception" in logged and "Traceback" in logged and "the chart had no axis" in logged


def test_exception_in_a_thread_reaches_the_gui_thread(reporter, qtbot):
    worker = threading.Thread(target=explode)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    assert "the chart had no axis" in log_file().read_text(encoding="utf-8")


def test_a_burst_of_errors_shows_one_dialog(reporter, qtbot):
    for _ in range(3):
        QTimer.singleShot(0, explode)
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    first = reporter.dialog
    qtbot.wait(50)
    assert reporter.dialog is first
    assert log_file().read_text(encoding="utf-8").count("uncaught exception") == 3


# -- one instance per user and cache ----------------------------------------------------------


def test_the_key_follows_the_cache_not_its_spelling(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    relative = cache_locations(AppOptions(account_cache="cache.sqlite", settings_path=tmp_path / "s.json"))
    absolute = cache_locations(AppOptions(account_cache=str(tmp_path / "cache.sqlite"), settings_path=tmp_path / "s.json"))
    other = cache_locations(AppOptions(account_cache=str(tmp_path / "other.sqlite"), settings_path=tmp_path / "s.json"))
    assert instance_key(*relative) == instance_key(*absolute) != instance_key(*other)


def test_a_second_claim_asks_the_first_to_raise(qtbot, tmp_path):
    key = instance_key(str(tmp_path))
    first, second = SingleInstance(key), SingleInstance(key)
    assert first.claim()
    with qtbot.waitSignal(first.raiseRequested, timeout=5_000):
        assert not second.claim()
    first.server.close()  # removes the socket file


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes leave no file behind")
def test_a_socket_left_by_a_killed_instance_is_taken_over(tmp_path):
    key = instance_key(str(tmp_path))
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(os.path.join(QDir.tempPath(), key))
    stale.close()  # the file stays, as after a kill -9
    guard = SingleInstance(key)
    assert guard.claim() and guard.server.isListening()
    guard.server.close()


def test_raise_window_restores_a_minimized_window(make_app):
    _services, window = make_app()
    window.showMinimized()
    raise_window(window)
    assert not window.windowState() & Qt.WindowMinimized and window.isVisible()


def start_app(*args: str) -> subprocess.Popen:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen([sys.executable, "-m", "a2v2_desktop", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_log(text: str, count: int = 1, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if log_file().exists() and log_file().read_text(encoding="utf-8").count(text) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} did not appear {count}× in the log")


@pytest.mark.slow
def test_starting_twice_raises_the_running_window_and_exits_zero():
    """Two real processes with the same user and cache (the welcome page: no sync, no server)."""
    first = start_app()
    try:
        wait_for_log("listening for other starts")
        second = start_app()
        _out, err = second.communicate(timeout=60)
        assert second.returncode == 0 and "already running" in err
        wait_for_log("another start asked for the window")
        assert first.poll() is None  # the first one is still there
    finally:
        first.kill()  # as a crash would: the socket file stays behind
        first.wait()
    third = start_app()  # takes over the stale socket instead of believing an instance runs
    try:
        wait_for_log("listening for other starts", count=2)
        assert third.poll() is None
    finally:
        third.kill()
        third.wait()
        QLocalServer.removeServer(instance_key(*cache_locations(AppOptions())))  # same user and caches as the app


@pytest.mark.slow
def test_smoke_test_syncs_the_demo_and_shows_every_panel_without_touching_user_files():
    done = start_app("--smoke-test")
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    assert "smoke test passed" in out and "panels shown" in out and "on PySide6" in out
    config_home, data_home = Path(os.environ["XDG_CONFIG_HOME"]), Path(os.environ["XDG_DATA_HOME"])
    assert not (config_home / "a2v2-desktop" / "settings.json").exists()
    assert not list(data_home.rglob("*.sqlite"))


@pytest.mark.slow
def test_smoke_test_fails_when_anything_raised(qapp, reporter, capsys):
    """A module missing from a bundle often fails only inside a slot: the smoke test must notice."""
    QTimer.singleShot(0, explode)
    assert smoke_test(qapp, reporter) == 1
    assert "smoke test failed: uncaught exception (ValueError: the chart had no axis" in capsys.readouterr().err
