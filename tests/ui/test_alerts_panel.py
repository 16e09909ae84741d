"""The Alerts panel and the notification path: alerts after a sync, once; links; the rules editor."""

from __future__ import annotations

from PySide6.QtWidgets import QSystemTrayIcon

from a2v2_desktop.ui.notifier import Notifier, desktop_body


def synced_once(make_app, account_settings, start_server, demo_credentials, qtbot, settle):
    """The app on the synced demo cache, synced once more (the first check of this cache)."""
    server = start_server()
    services, window = make_app(account_settings(api_url=server.base_url))
    services.credentials.save(demo_credentials, session_only=True)
    notified = []
    window.notifier.notified.connect(lambda title, message: notified.append((title, message)))
    sync_and_check(services, window, qtbot, settle)
    return services, window, notified


def sync_and_check(services, window, qtbot, settle) -> None:
    with qtbot.waitSignal(window.watcher.alertsChanged, timeout=30_000):
        assert services.sync.start()
    settle(services)


def test_alerts_after_a_sync_are_listed_notified_once_and_link_to_their_panel(
        make_app, account_settings, cache_copy, start_server, demo_credentials, qtbot, settle):
    services, window, notified = synced_once(make_app, account_settings, start_server, demo_credentials, qtbot,
                                             settle)
    panel = window.alerts
    titles = [title for title, _message in notified]
    assert any(title.startswith("Runaway agent: ") for title in titles)
    assert "Auto-Recharge cap reached" in titles
    assert [panel.table.item(row, 1).text() for row in range(panel.table.rowCount())] == titles[::-1]  # newest first
    assert panel.changes_frame.isVisibleTo(panel) and panel.changes.text().startswith("First sync")

    sync_and_check(services, window, qtbot, settle)
    assert len(notified) == len(titles)  # the conditions still hold: nothing fires twice
    assert panel.changes.text().startswith("Since ")

    row = next(r for r in range(panel.table.rowCount()) if panel.table.item(r, 1).text().startswith("Runaway"))
    panel.table.cellWidget(row, 3).click()
    assert window.panels.currentWidget() is window.usage
    panel.dismiss.click()
    assert not panel.changes_frame.isVisibleTo(panel)


def test_a_budget_set_in_the_editor_fires_when_checked(
        make_app, account_settings, cache_copy, start_server, demo_credentials, qtbot, settle):
    services, window, notified = synced_once(make_app, account_settings, start_server, demo_credentials, qtbot,
                                             settle)
    editor = window.alerts.editor
    window.alerts.tabs.setCurrentIndex(1)
    settle(services)
    assert editor.agent_budgets and editor.org_budget.value() == 0
    with qtbot.waitSignal(window.watcher.settingsSaved, timeout=5_000):
        editor.org_budget.setValue(1_000)
    with qtbot.waitSignal(window.watcher.alertsChanged, timeout=10_000):
        editor.check_button.click()
    assert notified[-1][0] == "Budget 100% reached: the organization"
    budget_rule = next(row for row in editor.rows if row.spec.rule == "budget")
    with qtbot.waitSignal(window.watcher.settingsSaved, timeout=5_000):
        budget_rule.enabled.setChecked(False)
    before = len(notified)
    with qtbot.waitSignal(window.watcher.alertsChanged, timeout=10_000):
        editor.check_button.click()
    assert len(notified) == before
    settle(services)
    window.alerts.tabs.setCurrentIndex(0)
    editor.reload()
    settle(services)
    assert not budget_rule.enabled.isChecked() and not budget_rule.threshold.isEnabled()


class FakeTray:
    def __init__(self):
        self.shown = []

    def isVisible(self) -> bool:  # noqa: N802 - Qt's name
        return True

    def showMessage(self, title, message, icon, msecs):  # noqa: N802 - Qt's name
        self.shown.append((title, message, icon))


def test_notifications_show_untrusted_names_as_plain_text(qtbot):
    notifier = Notifier()
    seen = []
    notifier.notified.connect(lambda title, message: seen.append((title, message)))
    notifier.tray = FakeTray()
    notifier.notify("Runaway agent: <b>Bot</b>", "1 & 2")
    assert seen == [("Runaway agent: <b>Bot</b>", "1 & 2")]
    assert notifier.tray.shown == [("Runaway agent: <b>Bot</b>", desktop_body("1 & 2"), QSystemTrayIcon.Warning)]


def test_tray_icon_follows_the_settings_and_keeps_the_app_running(make_app, account_settings, cache_copy, settle):
    services, window = make_app(account_settings())
    settle(services)
    tray = window.tray
    assert not tray.shown  # off by default
    tray.available = lambda: True  # offscreen has no tray: pretend the desktop has one
    services.update_settings(tray_icon=True, keep_running_in_tray=True)
    settle(services)
    assert tray.shown and window.notifier.tray is tray.icon
    tooltip = tray.icon.toolTip()
    assert "Balance " in tooltip and "days of credits left" in tooltip and "Synced" in tooltip
    assert tray.alerts_menu.isEnabled() is bool(tray.status.latest)
    window.close()
    assert not window.isVisible() and services.engine is not None  # still running, still watching
    tray.show_window()
    assert window.isVisible()
    services.update_settings(tray_icon=False)
    assert not tray.shown and window.notifier.tray is None


def test_a_linux_notification_body_cannot_fetch_or_link():
    hostile = 'Agent <img src="http://127.0.0.1:9/x.png"> & <a href="http://evil">co</a>'
    assert desktop_body(hostile, "linux") == \
        'Agent &lt;img src="http://127.0.0.1:9/x.png"&gt; &amp; &lt;a href="http://evil"&gt;co&lt;/a&gt;'
    assert desktop_body(hostile, "darwin") == desktop_body(hostile, "win32") == hostile
