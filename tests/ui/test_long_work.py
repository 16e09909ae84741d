"""Work the GUI thread waits for runs on another thread behind a busy dialog, and an old cache is
upgraded that way when the window opens it."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QProgressDialog

from a2v2_desktop.cache import db
from a2v2_desktop.settings import Settings
from a2v2_desktop.ui.long_work import SHOW_AFTER_MS, wait_with_progress
from tests.test_lean_usage import at_revision


def busy_dialogs() -> list[str]:
    return [w.labelText() for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog) and w.isVisible()]


def test_slow_work_runs_off_the_gui_thread_behind_a_busy_dialog(qapp):
    ran_on, seen = [], []
    QTimer.singleShot(SHOW_AFTER_MS + 300, lambda: seen.extend(busy_dialogs()))
    wait_with_progress("Working…", lambda: ran_on.append(threading.current_thread()) or time.sleep(1.0))
    assert ran_on and ran_on[0] is not threading.main_thread()
    assert seen == ["Working…"] and busy_dialogs() == []


def test_quick_work_shows_no_dialog_and_its_error_is_raised_here(qapp):
    seen = []
    QTimer.singleShot(0, lambda: seen.extend(busy_dialogs()))

    def fail():
        time.sleep(0.05)
        raise ValueError("the disk is full")

    with pytest.raises(ValueError, match="the disk is full"):
        wait_with_progress("Working…", fail)
    assert seen == [] and busy_dialogs() == []


def test_the_window_upgrades_an_older_cache_off_the_gui_thread(make_app, tmp_path, monkeypatch):
    at_revision(tmp_path / "account.sqlite", "0003").dispose()
    upgraded_on = []
    original = db._back_up_and_upgrade
    monkeypatch.setattr(db, "_back_up_and_upgrade", lambda engine, revision: (
        upgraded_on.append(threading.current_thread().name), original(engine, revision)))
    services, _window = make_app(Settings(account_configured=True, sync_interval_minutes=0))
    assert upgraded_on == ["a2v2-long-work"]
    assert db.current_revision(services.engine) == db.head_revision()
    assert (tmp_path / "account.sqlite.before-0003").exists()
