"""Sync off the GUI thread, failures that keep the cached figures, the first run and the window's keys."""

from __future__ import annotations

import json
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

from a2v2_desktop.api.client import Credentials
from a2v2_desktop.cache import queries
from a2v2_desktop.domain.times import zone
from a2v2_desktop.insights import ranges, text
from a2v2_desktop.standin.server import Faults
from a2v2_desktop.settings import load_settings
from a2v2_desktop.ui.app import open_demo_on_first_run
from a2v2_desktop.ui.services import ACCOUNT, DEMO, WELCOME



def test_gui_stays_responsive_while_a_slow_server_syncs(make_app, account_settings, qtbot, settle, start_server,
                                                         demo_credentials):
    server = start_server(Faults(slow_seconds=0.2))
    services, window = make_app(account_settings(api_url=server.base_url))
    services.credentials.save(demo_credentials, session_only=True)
    ticks, progress = [], []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    services.sync.progress.connect(progress.append)
    started = time.monotonic()
    with qtbot.waitSignal(services.sync.succeeded, timeout=60_000) as finished:
        assert services.sync.start()
        qtbot.waitUntil(lambda: window.status.message.text().startswith("Syncing"), timeout=5_000)
    elapsed = time.monotonic() - started
    timer.stop()
    assert elapsed > 2  # the server really was slow
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    # The event loop kept ticking all along: a sync on the GUI thread would leave one gap as long as
    # the sync. The bounds leave room for a loaded CI machine, where any process waits for a core.
    assert len(ticks) > elapsed / 0.02 * 0.25 and max(gaps) < elapsed / 4
    assert {p.stage for p in progress} >= {"organization", "usage", "billing"}
    assert finished.args[0].total_records > 30_000
    with services.engine.connect() as connection:  # stamped by the app's clock, as the status reads it
        assert queries.last_successful_sync(connection) == int(services.clock())
    settle(services)
    assert window.usage.view.has_usage and window.usage.cards["Credits used"].value.text() != "0.00"
    assert window.status.message.text().startswith("Synced")


def test_a_failed_sync_keeps_the_cached_figures_and_says_what_to_do(make_app, account_settings, cache_copy,
                                                                       qtbot, settle, start_server):
    server = start_server()
    services, window = make_app(account_settings(api_url=server.base_url))
    settle(services)
    shown = window.usage.cards["Credits used"].value.text()
    services.credentials.save(Credentials("demo-key", "wrong-secret"), session_only=True)
    with qtbot.waitSignal(services.sync.failed, timeout=20_000) as failed:
        services.sync.start()
    settle(services)
    assert failed.args[0].kind == "auth"
    message = window.status.message.text()
    assert message.startswith("Sync failed — showing data cached on ")
    assert "The API key or secret was not accepted" in message and "Check them in Settings" in message
    assert window.usage.cards["Credits used"].value.text() == shown != "0.00"


def test_cancel_with_escape(make_app, account_settings, qtbot, settle, start_server, demo_credentials):
    server = start_server(Faults(slow_seconds=0.2))
    services, window = make_app(account_settings(api_url=server.base_url))
    services.credentials.save(demo_credentials, session_only=True)
    with qtbot.waitSignal(services.sync.cancelled, timeout=10_000):
        services.sync.start()
        qtbot.waitUntil(lambda: window.cancel_action.isEnabled())
        QTest.keyClick(window, Qt.Key_Escape)
    settle(services)
    assert window.sync_action.isEnabled() and not window.status.bar.isVisible()


def test_first_run_demo_reaches_a_filled_usage_panel(make_app, qtbot, settle, tmp_path):
    services, window = make_app()
    assert services.mode == WELCOME and window.pages.currentWidget() is window.welcome
    with qtbot.waitSignal(services.sync.succeeded, timeout=30_000):
        qtbot.mouseClick(window.welcome.demo_button, Qt.LeftButton)
    settle(services)
    assert services.mode == DEMO and window.status.badge.isVisible()
    assert (tmp_path / "demo.sqlite").exists() and not (tmp_path / "account.sqlite").exists()
    usage = window.usage
    assert usage.isVisible() and usage.view.organization == "Kite & Key Learning"
    with services.engine.connect() as connection:
        credits, _ = queries.spend_total(connection, *usage.view.span.bounds(zone(usage.view.timezone)))
    assert usage.cards["Credits used"].value.text() == text.credits_text(credits) != "0.00"
    assert window.org_label.text() == "Kite & Key Learning"


def test_the_very_first_start_opens_on_the_demo_and_later_starts_keep_the_choice(make_app, qtbot, settle, tmp_path):
    settings = tmp_path / "settings.json"
    assert open_demo_on_first_run(settings)
    services, window = make_app()
    assert services.mode == DEMO and window.pages.currentWidget() is not window.welcome
    with qtbot.waitSignal(services.sync.succeeded, timeout=30_000):
        services.sync.start()
    settle(services)
    assert window.status.badge.isVisible() and window.usage.view.organization == "Kite & Key Learning"
    services.update_settings(demo_mode=False)
    assert not open_demo_on_first_run(settings) and not load_settings(settings).demo_mode


def test_connect_without_a_keychain_keeps_the_secret_for_the_session_only(make_app, qtbot, settle, tmp_path,
                                                                            start_server, demo_credentials):
    server = start_server()
    services, window = make_app()
    window.connect_account()
    dialog = window.account_dialog
    dialog.url.setText(server.base_url)
    dialog.key.setText(demo_credentials.api_key)
    dialog.secret.setText(demo_credentials.api_secret)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.result.text() == "Connected to Kite & Key Learning.", timeout=10_000)
    assert dialog.result.textFormat() == Qt.PlainText
    dialog.connect_button.click()
    assert dialog.keychain_notice.isVisible() and "No OS keychain" in dialog.keychain_text.text()
    with qtbot.waitSignal(services.sync.succeeded, timeout=30_000):
        dialog.session_button.click()
    settle(services)
    assert services.mode == ACCOUNT and services.settings.api_url == server.base_url
    saved = (tmp_path / "settings.json").read_text()
    assert demo_credentials.api_secret not in saved and json.loads(saved)["account_configured"] is True
    window.settings_panel.prompts.option = True
    window.settings_panel.remove_account()
    assert services.mode == WELCOME and not (tmp_path / "account.sqlite").exists()
    assert services.credentials.load() is None


def test_shortcuts_switch_panels_and_the_last_panel_is_remembered(make_app, account_settings, cache_copy, settle):
    services, window = make_app(account_settings())
    settle(services)
    QTest.keyClick(window, Qt.Key_5, Qt.ControlModifier)
    assert window.panels.currentWidget() is window.settings_panel
    QTest.keyClick(window, Qt.Key_2, Qt.ControlModifier)
    assert window.panels.currentIndex() == 1
    window.close()
    _services, again = make_app()
    assert again.panels.currentIndex() == 1


def test_clear_cache_asks_first_and_starts_empty(make_app, account_settings, cache_copy, settle):
    services, window = make_app(account_settings())
    settle(services)
    assert window.usage.view.has_usage
    window.settings_panel.prompts.answer = False
    window.settings_panel.clear_cache()
    assert window.usage.view.has_usage
    window.settings_panel.prompts.answer = True
    window.settings_panel.clear_cache()
    settle(services)
    assert window.settings_panel.prompts.asked == ["Clear cache", "Clear cache"]
    assert not window.usage.view.has_usage and window.usage.chart.empty.text().startswith("No usage synced yet")


def test_report_time_zone_setting_changes_the_days(make_app, account_settings, cache_copy, settle):
    services, window = make_app(account_settings())
    settle(services)
    assert window.usage.view.timezone == "Europe/Berlin"
    panel = window.settings_panel
    panel.timezone.setCurrentIndex(panel.timezone.findData("Asia/Kolkata"))
    panel.timezone.activated.emit(panel.timezone.currentIndex())
    settle(services)
    assert services.settings.report_timezone == "Asia/Kolkata"
    assert window.usage.view.timezone == "Asia/Kolkata" and window.usage.view.request.preset == ranges.LAST_30_DAYS
