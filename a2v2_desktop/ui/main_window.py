"""The main window: welcome page or workspace (sidebar + panels), toolbar, status area, shortcuts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QSizePolicy, QStackedWidget, QToolBar, QWidget

from a2v2_desktop.cache import queries
from a2v2_desktop.ui.icons import app_icon, icon
from a2v2_desktop.ui.lazy import LazyStack
from a2v2_desktop.ui.notifier import Notifier
from a2v2_desktop.ui.organizations import install_organization_actions
from a2v2_desktop.ui.panels.usage import UsagePanel
from a2v2_desktop.ui.prompts import Prompts
from a2v2_desktop.ui.report_actions import install_report_actions
from a2v2_desktop.ui.services import WELCOME, Services
from a2v2_desktop.ui.sidebar import PANELS, Sidebar
from a2v2_desktop.ui.status import StatusArea
from a2v2_desktop.ui.theme import Theme
from a2v2_desktop.ui.tray import TrayController
from a2v2_desktop.ui.watcher import AlertWatcher
from a2v2_desktop.ui.welcome import AccountDialog, WelcomePage
from a2v2_desktop.ui.widgets import elide, plain_label, plain_tooltip

if TYPE_CHECKING:
    from a2v2_desktop.ui.panels.alerts import AlertsPanel
    from a2v2_desktop.ui.panels.analytics import AnalyticsPanel
    from a2v2_desktop.ui.panels.billing import BillingPanel
    from a2v2_desktop.ui.panels.settings import SettingsPanel

USAGE, BILLING, ANALYTICS, ALERTS, SETTINGS = range(len(PANELS))
PANEL_INDEX = {"usage": USAGE, "billing": BILLING, "analytics": ANALYTICS, "alerts": ALERTS}


class MainWindow(QMainWindow):
    def __init__(self, services: Services, theme: Theme, state: QSettings, prompts: Prompts):
        super().__init__()
        self.services, self.theme, self.state, self.prompts = services, theme, state, prompts
        self.setWindowTitle("A2V2 Desktop")
        self.setWindowIcon(app_icon())
        self.setMinimumSize(1000, 640)
        self.welcome = WelcomePage()
        self.sidebar = Sidebar(theme.colors)
        self.usage = UsagePanel(services, theme)
        self.notifier = Notifier(self)
        self.watcher = AlertWatcher(services, self.notifier, self)
        # what changed since the last sync is kept by the Alerts panel, built for it if it was waiting
        self.watcher.changesReady.connect(lambda summary: self.alerts.show_changes(summary))
        self.tray = TrayController(services, self, self.notifier, self.watcher, lambda: self.show_panel(ALERTS))
        self.panels = LazyStack()
        self.panels.addWidget(self.usage)
        for build in (self._build_billing, self._build_analytics, self._build_alerts, self._build_settings):
            self.panels.add_later(build)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(self._workspace())
        self.setCentralWidget(self.pages)
        self.status = StatusArea(services)
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().setSizeGripEnabled(False)
        self._actions()
        self._connect()
        install_report_actions(self)
        self.organizations = install_organization_actions(self)
        self._restore()
        self._mode_changed(services.mode)

    # -- the panels other than Usage: built when first shown or asked for --------------------------

    @property
    def billing(self) -> BillingPanel:
        return self.panels.page(BILLING)

    @property
    def analytics(self) -> AnalyticsPanel:
        return self.panels.page(ANALYTICS)

    @property
    def alerts(self) -> AlertsPanel:
        return self.panels.page(ALERTS)

    @property
    def settings_panel(self) -> SettingsPanel:
        return self.panels.page(SETTINGS)

    def _build_billing(self) -> BillingPanel:
        from a2v2_desktop.ui.panels.billing import BillingPanel

        return BillingPanel(self.services, self.theme, self.watcher)

    def _build_analytics(self) -> AnalyticsPanel:
        from a2v2_desktop.ui.panels.analytics import AnalyticsPanel

        return AnalyticsPanel(self.services, self.theme)

    def _build_alerts(self) -> AlertsPanel:
        from a2v2_desktop.ui.panels.alerts import AlertsPanel

        panel = AlertsPanel(self.services, self.watcher)
        panel.openPanel.connect(lambda name: self.show_panel(PANEL_INDEX[name]))
        return panel

    def _build_settings(self) -> SettingsPanel:
        from a2v2_desktop.ui.panels.settings import SettingsPanel

        panel = SettingsPanel(self.services, self.prompts)
        panel.connectRequested.connect(self.connect_account)
        return panel

    def _workspace(self) -> QWidget:
        workspace = QWidget()
        row = QHBoxLayout(workspace)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.sidebar)
        row.addWidget(self.panels, 1)
        return workspace

    def _actions(self) -> None:
        toolbar = QToolBar("Sync")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        toolbar.toggleViewAction().setVisible(False)
        toolbar.addWidget(self._brand())
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        toolbar.addWidget(spacer)
        self.addToolBar(toolbar)
        self.sync_action = self._action("Sync now", "Ctrl+R", self.services.sync.start, "sync")
        self.cancel_action = self._action("Cancel sync", "Esc", self.services.sync.cancel, "cancel")
        self.cancel_action.setEnabled(False)
        toolbar.addAction(self.sync_action)
        toolbar.addAction(self.cancel_action)
        self._action("Quit", "Ctrl+Q", self.tray.quit)  # quits even when closing would hide to the tray
        for index, (name, _icon) in enumerate(PANELS):
            self._action(name, f"Ctrl+{index + 1}", lambda _checked=False, i=index: self.show_panel(i))

    def _brand(self) -> QWidget:
        """The app's name and the organization being shown, at the left of the toolbar."""
        brand = QWidget()
        row = QHBoxLayout(brand)
        row.setContentsMargins(6, 0, 6, 0)
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(24, 24))
        self.org_label = plain_label("", "OrgName")
        row.addWidget(logo)
        row.addWidget(plain_label("A2V2 Desktop", "AppTitle"))
        row.addSpacing(8)
        row.addWidget(self.org_label)
        return brand

    def _action(self, text: str, shortcut: str, slot, icon_name: str | None = None) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.WindowShortcut)
        action.setToolTip(f"{text} ({QKeySequence(shortcut).toString(QKeySequence.NativeText)})")
        action.triggered.connect(slot)
        if icon_name:
            action.setProperty("icon_name", icon_name)
            action.setIcon(icon(icon_name, self.theme.colors.text))
        self.addAction(action)
        return action

    def _connect(self) -> None:
        services = self.services
        self.sidebar.panelChosen.connect(self.panels.setCurrentIndex)
        self.welcome.demoRequested.connect(services.start_demo)
        self.welcome.connectRequested.connect(self.connect_account)
        services.modeChanged.connect(self._mode_changed)
        services.sync.started.connect(lambda: self._syncing(True))
        for outcome in (services.sync.succeeded, services.sync.failed):
            outcome.connect(lambda _value: self._syncing(False))
        services.sync.cancelled.connect(lambda: self._syncing(False))
        services.sync.succeeded.connect(lambda _result: self._load_organization())
        self.theme.changed.connect(self._recolor)

    def _recolor(self, colors) -> None:
        self.sidebar.set_colors(colors)
        for action in (self.sync_action, self.cancel_action):
            action.setIcon(icon(action.property("icon_name"), colors.text))

    def _syncing(self, busy: bool) -> None:
        self.sync_action.setEnabled(not busy)
        self.cancel_action.setEnabled(busy)

    def _mode_changed(self, mode: str) -> None:
        self.pages.setCurrentIndex(0 if mode == WELCOME else 1)
        self.sync_action.setEnabled(mode != WELCOME and not self.services.sync.busy)
        self._load_organization()

    def _load_organization(self) -> None:
        self._show_organization(None)
        self.services.query(queries.organization,
                            on_done=lambda org: self._show_organization(org.name if org else None))

    def _show_organization(self, name: str | None) -> None:
        self.org_label.setText(elide(name, 60) if name else "")
        self.org_label.setToolTip(plain_tooltip(name or ""))

    def show_panel(self, index: int) -> None:
        if self.services.mode != WELCOME:
            self.sidebar.select(index)

    def connect_account(self) -> None:
        """The account dialog for a new organization, window-modal but not blocking: the answer arrives
        by signal."""
        dialog = AccountDialog(self.services, self, self.services.new_profile())
        dialog.accepted.connect(lambda: self.services.add_organization(dialog.organization()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.account_dialog = dialog

    # -- remembered between runs -----------------------------------------------------------

    def _restore(self) -> None:
        geometry = self.state.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        self.sidebar.select(int(self.state.value("window/panel", USAGE) or 0))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.state.setValue("window/geometry", self.saveGeometry())
        self.state.setValue("window/panel", self.panels.currentIndex())
        self.state.sync()
        self.services.shutdown()
        super().closeEvent(event)
