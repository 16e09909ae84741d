"""Several organizations in one window: the switcher at the top of the sidebar, "Sync all", and the
All organizations overview, installed on the main window like the report actions.

Switching goes through Services (`use_organization`, `start_demo`), which swaps the cache and
credentials, so every panel reloads from that organization's cache only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QMenu, QToolBar, QWidget

from a2v2_desktop.cache.org_overview_queries import read_org_figures
from a2v2_desktop.ui.panels.organizations import DEMO_NAME, OrganizationsDialog
from a2v2_desktop.ui.services import ACCOUNT, DEMO, WELCOME, Services, sqlite_files
from a2v2_desktop.ui.widgets import elide, plain_tooltip

if TYPE_CHECKING:
    from a2v2_desktop.ui.main_window import MainWindow

ADD = "+add"  # the switcher's "Add organization…" entry (no profile can be spelled so)
NAME_LIMIT = 40


class OrgSwitcher(QComboBox):
    """Every connected organization, the demo, and "Add organization…"; names are plain text."""

    def __init__(self, services: Services, add_organization, parent=None):
        super().__init__(parent)
        self.services, self.add_organization = services, add_organization
        self.setObjectName("OrgSwitcher")
        self.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(8)
        self.activated.connect(self._chosen)
        services.settingsChanged.connect(lambda _settings: self.reload())
        services.modeChanged.connect(lambda _mode: self.reload())
        self.reload()

    def shown_key(self) -> str:
        """The entry for what the window shows: the demo, or the active organization's profile."""
        return DEMO if self.services.mode == DEMO else self.services.settings.active_organization

    def reload(self) -> None:
        self.blockSignals(True)
        self.clear()
        for org in self.services.settings.organizations:
            self._add(org.name or org.api_url, org.profile)
        self._add(DEMO_NAME, DEMO)
        self.insertSeparator(self.count())
        self._add("Add organization…", ADD)
        self.setCurrentIndex(max(0, self.findData(self.shown_key())))
        self.blockSignals(False)

    def _add(self, name: str, key: str) -> None:
        self.addItem(elide(name, NAME_LIMIT), key)  # combo items never render markup
        self.setItemData(self.count() - 1, plain_tooltip(name), Qt.ToolTipRole)

    def _chosen(self, index: int) -> None:
        self.choose(self.itemData(index))

    def choose(self, key: str) -> None:
        """Show the organization with this key (a profile, DEMO), or ask for a new one (ADD)."""
        services = self.services
        if key == ADD:
            self.setCurrentIndex(max(0, self.findData(self.shown_key())))
            self.add_organization()
        elif key == DEMO and services.mode != DEMO:
            services.start_demo()
        elif key != DEMO and (services.mode != ACCOUNT or key != services.settings.active_organization):
            services.use_organization(key)


class OrgActions(QObject):
    """The switcher, "Sync all" and "All organizations…"; keeps each organization's name as its cache says."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window, self.services = window, window.services
        self.switcher = OrgSwitcher(self.services, window.connect_account)
        window.sidebar.layout().insertWidget(0, _padded(self.switcher))
        self.sync_all_action = self._action("Sync all organizations", "Ctrl+Shift+R", self.services.sync_all.start)
        self.overview_action = self._action("All organizations…", "Ctrl+Shift+O", self.show_overview)
        self.add_action = self._action("Add organization…", None, window.connect_account)
        self.overview: OrganizationsDialog | None = None
        self._menu()
        toolbar = window.findChild(QToolBar)
        if toolbar is not None:
            toolbar.addAction(self.sync_all_action)
        sync_all = self.services.sync_all
        sync_all.started.connect(self._enable)
        sync_all.finished.connect(self._enable)
        sync_all.organizationSynced.connect(self._synced)
        self.services.sync.succeeded.connect(lambda _result: self._shown_synced())
        self.services.modeChanged.connect(lambda _mode: self._enable())
        self._enable()

    def _action(self, text: str, shortcut: str | None, slot) -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.WindowShortcut)
            action.setToolTip(f"{text} ({QKeySequence(shortcut).toString(QKeySequence.NativeText)})")
        action.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(action)  # the shortcut works with the menu bar hidden too
        return action

    def _menu(self) -> QMenu:
        menu = self.window.menuBar().addMenu("&Organizations")
        for action in (self.add_action, self.sync_all_action, self.overview_action):
            menu.addAction(action)
        return menu

    def _enable(self) -> None:
        self.sync_all_action.setEnabled(self.services.mode != WELCOME and not self.services.sync_all.running)

    def show_overview(self) -> OrganizationsDialog:
        """Non-blocking; double-clicking a row shows that organization. One dialog, kept and reopened:
        it listens to the services for as long as the window lives."""
        if self.overview is None:
            self.overview = OrganizationsDialog(self.services, self.window)
            self.overview.panel.organizationChosen.connect(self.switcher.choose)
        self.overview.panel.refresh()
        self.overview.open()
        return self.overview

    def _shown_synced(self) -> None:
        if self.services.mode == ACCOUNT:
            self.follow_name(self.services.settings.active_organization)

    def _synced(self, profile: str, outcome) -> None:
        from a2v2_desktop.sync.engine import SyncResult  # loaded by the sync that just ran, not at start-up

        if isinstance(outcome, SyncResult):
            self.follow_name(profile)

    def follow_name(self, profile: str) -> None:
        """After a sync, name the organization as its cache does (the platform's name, not the URL)."""
        org = self.services.settings.organization(profile)
        files = sqlite_files(self.services.organization_cache(org)) if org else []
        if files:
            self.services.runner.submit(lambda: read_org_figures(str(files[0])),
                                        lambda figures: self._rename(profile, figures), lambda _error: None)

    def _rename(self, profile: str, figures) -> None:
        org = self.services.settings.organization(profile)
        if org is not None and figures is not None and figures.name and figures.name != org.name:
            self.services.save_organization(replace(org, name=figures.name))


def install_organization_actions(window: MainWindow) -> OrgActions:
    return OrgActions(window)


def _padded(widget: QWidget) -> QWidget:
    """The sidebar's list runs edge to edge; the switcher lines up with its item text instead."""
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(10, 0, 10, 8)
    row.addWidget(widget)
    return holder
