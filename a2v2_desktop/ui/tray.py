"""The optional tray icon: balance and days of runway in its tooltip, the last sync, Sync now, the
latest alerts (of the organization on screen, and those other organizations' background syncs fired
while the app runs); and, if the user chose so, closing the window leaves the app syncing in the tray."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QSystemTrayIcon
from sqlalchemy import Connection

from a2v2_desktop.cache import queries, watch_store
from a2v2_desktop.cache.watch_store import Alert
from a2v2_desktop.insights import billing
from a2v2_desktop.insights.alerts import runway_days
from a2v2_desktop.insights.text import credits_text, synced_text
from a2v2_desktop.insights.watch import titled
from a2v2_desktop.settings import Settings
from a2v2_desktop.ui.icons import app_icon
from a2v2_desktop.ui.notifier import Notifier
from a2v2_desktop.ui.services import ACCOUNT, Services
from a2v2_desktop.ui.watcher import AlertWatcher, OrgAlerts
from a2v2_desktop.ui.widgets import elide, plain_tooltip

LATEST = 5


@dataclass(frozen=True)
class TrayStatus:
    organization: str | None
    balance: int | None  # both pools, credits
    runway_days: int | None  # None: credits do not run out within the forecast
    last_sync: int | None
    latest: tuple[Alert, ...]

    def tooltip(self, now: int) -> str:
        lines = [f"A2V2 Desktop — {self.organization}" if self.organization else "A2V2 Desktop"]
        if self.balance is not None:
            runway = (f", about {self.runway_days:,} days of credits left" if self.runway_days is not None
                      else ", enough until renewal at the recent pace")
            lines.append(f"Balance {credits_text(self.balance)} credits{runway}")
        lines.append(synced_text(self.last_sync, now))
        return "\n".join(lines)


@dataclass(frozen=True)
class TrayAlert:
    """One line of "Latest alerts": `profile` is the organization to show first, None for the one on screen."""

    text: str
    fired_at: int
    profile: str | None = None


def latest_alerts(shown: tuple[Alert, ...], others: list[OrgAlerts], shown_profile: str | None) -> list[TrayAlert]:
    """The newest alerts of every organization; another organization's carry its name. Those of the
    organization now on screen come from its cache, not from when it synced in the background."""
    found = [TrayAlert(alert.title, alert.fired_at) for alert in shown]
    found += [TrayAlert(titled(alert.title, group.organization), alert.fired_at, group.profile)
              for group in others if group.profile != shown_profile for alert in group.alerts]
    return sorted(found, key=lambda entry: entry.fired_at, reverse=True)[:LATEST]


def read_tray_status(connection: Connection, now: int) -> TrayStatus:
    """What the tray shows, with the Billing panel's own forecast."""
    view = billing.read_billing_view(connection, billing.BillingRequest(now))
    snapshot = view.data.snapshot
    balance = snapshot.plan_credits_remaining + snapshot.topup_credits_remaining if snapshot else None
    return TrayStatus(view.data.organization, balance, runway_days(view.forecast, view.timezone),
                      queries.last_successful_sync(connection), tuple(watch_store.recent_alerts(connection, LATEST)))


class TrayController(QObject):
    """Shows or hides the icon as the settings say; keeps the window's close from quitting when asked."""

    def __init__(self, services: Services, window: QMainWindow, notifier: Notifier, watcher: AlertWatcher,
                 open_alerts: Callable[[], None],
                 available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable):
        super().__init__(window)
        self.services, self.window, self.notifier = services, window, notifier
        self.open_alerts = open_alerts
        self.available = available
        self.icon: QSystemTrayIcon | None = None
        self.quitting = False
        self.status: TrayStatus | None = None
        self.others: list[OrgAlerts] = []  # fired in background syncs since the app started
        self.latest: list[TrayAlert] = []
        window.installEventFilter(self)
        services.settingsChanged.connect(self.apply)
        services.sync.succeeded.connect(lambda _result: self.refresh())
        services.cacheReplaced.connect(self.refresh)
        watcher.alertsChanged.connect(lambda _fired: self.refresh())
        watcher.otherAlerts.connect(self._other_alerts)
        self.apply(services.settings)

    @property
    def shown(self) -> bool:
        return self.icon is not None

    def apply(self, settings: Settings) -> None:
        """The icon only where the desktop has a tray and the user wants it."""
        wanted = settings.tray_icon and self.available()
        if wanted and self.icon is None:
            self.icon = self._make_icon()
            self.icon.show()
            self.refresh()
        elif not wanted and self.icon is not None:
            self.icon.hide()
            self.icon.deleteLater()
            self.icon = None
        self.notifier.tray = self.icon

    def _make_icon(self) -> QSystemTrayIcon:
        icon = QSystemTrayIcon(app_icon(), self)
        self.menu = QMenu()
        self.alerts_menu = QMenu("Latest alerts", self.menu)
        self._add(self.menu, "Show A2V2 Desktop", self.show_window)
        self._add(self.menu, "Sync now", self.services.sync.start)
        self.menu.addMenu(self.alerts_menu)
        self.menu.addSeparator()
        self._add(self.menu, "Quit", self.quit)
        icon.setContextMenu(self.menu)
        icon.activated.connect(lambda reason: self.show_window() if reason == QSystemTrayIcon.Trigger else None)
        return icon

    @staticmethod
    def _add(menu: QMenu, text: str, slot) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def refresh(self) -> None:
        if self.icon is not None:
            now = int(self.services.clock())
            self.services.query(read_tray_status, now, on_done=self._show)

    def _other_alerts(self, fired: OrgAlerts) -> None:
        self.others = [*self.others, fired][-LATEST:]
        if self.status is not None:
            self._show(self.status)

    def _show(self, status: TrayStatus) -> None:
        self.status = status
        if self.icon is None:
            return
        self.icon.setToolTip(plain_tooltip(status.tooltip(int(self.services.clock()))))
        services = self.services
        shown = services.settings.active_organization if services.mode == ACCOUNT else None
        self.latest = latest_alerts(status.latest, self.others, shown)
        self.alerts_menu.clear()
        for entry in self.latest:
            # menu items are plain text; "&" would mark a shortcut key
            self._add(self.alerts_menu, elide(entry.text, 70).replace("&", "&&"),
                      lambda profile=entry.profile: self.show_alerts(profile))
        self.alerts_menu.setEnabled(bool(self.latest))

    def show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def show_alerts(self, profile: str | None = None) -> None:
        """The Alerts panel, of the alert's organization (switched to first when it is another one)."""
        if profile is not None and self.services.settings.organization(profile) is not None:
            self.services.use_organization(profile)
        self.show_window()
        self.open_alerts()

    def quit(self) -> None:
        self.quitting = True
        self.window.close()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Closing the window hides it to the tray when the user chose so; Quit in the tray really quits."""
        if (watched is self.window and event.type() == QEvent.Close and not self.quitting and self.icon is not None
                and self.services.settings.keep_running_in_tray):
            self.window.hide()
            event.ignore()
            return True
        return False
