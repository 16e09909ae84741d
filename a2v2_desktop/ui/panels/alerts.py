"""The Alerts panel: what changed since the last sync, every alert fired (when, what, the figures,
and a link to the panel that shows it), and the rules and budgets editor."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from a2v2_desktop.cache import watch_store
from a2v2_desktop.cache.watch_store import Alert
from a2v2_desktop.insights.changes import ChangeSummary
from a2v2_desktop.insights.text import moment_text
from a2v2_desktop.ui.panels.alert_rules import AlertRulesEditor
from a2v2_desktop.ui.services import Services
from a2v2_desktop.ui.watcher import AlertWatcher
from a2v2_desktop.ui.widgets import plain_label, plain_tooltip, section

PANEL_NAMES = {"usage": "Usage", "billing": "Billing", "analytics": "Analytics", "alerts": "Alerts"}
COLUMNS = ("When", "Alert", "Figures", "")
EMPTY = "No alerts yet. Rules are checked after every sync; set budgets and thresholds under Rules and budgets."


class AlertsPanel(QWidget):
    openPanel = Signal(str)  # a panel name of PANEL_NAMES

    def __init__(self, services: Services, watcher: AlertWatcher, parent: QWidget | None = None):
        super().__init__(parent)
        self.services, self.watcher = services, watcher
        self.alerts: list[Alert] = []
        self.ticket = 0
        self.changes = plain_label("", None, wrap=True)
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.clicked.connect(lambda: self.changes_frame.setVisible(False))
        self.table = self._table()
        self.empty = plain_label(EMPTY, "EmptyState", wrap=True)
        self.empty.setAlignment(Qt.AlignCenter)
        self.editor = AlertRulesEditor(services, watcher)
        self._layout()
        watcher.alertsChanged.connect(lambda _fired: self.refresh())
        services.cacheReplaced.connect(self._cache_replaced)
        services.modeChanged.connect(self._follow_read_only)
        self._follow_read_only()
        self.refresh()

    def _follow_read_only(self, *_mode) -> None:
        """Rules and budgets are saved to the cache: they cannot change while it is open read-only."""
        self.editor.setEnabled(not self.services.read_only)

    def _table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS))
        table.setHorizontalHeaderLabels(COLUMNS)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)  # follows the column widths
        table.verticalHeader().setMinimumSectionSize(40)
        table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectRows)
        table.setWordWrap(True)
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.Interactive)
        header.setSectionResizeMode(2, QHeaderView.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeToContents)
        table.setColumnWidth(1, 300)
        return table

    def _layout(self) -> None:
        self.changes_frame, changes_layout = section()
        title = QHBoxLayout()
        title.addWidget(plain_label("What changed since last sync", "SectionTitle"))
        title.addStretch(1)
        title.addWidget(self.dismiss)
        changes_layout.addLayout(title)
        changes_layout.addWidget(self.changes)
        self.changes_frame.setVisible(False)
        history = QWidget()
        history_layout = QVBoxLayout(history)
        history_layout.setContentsMargins(0, 8, 0, 0)
        history_layout.addWidget(self.table, 1)
        history_layout.addWidget(self.empty, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(history, "Alerts")
        self.tabs.addTab(self.editor, "Rules and budgets")
        self.tabs.currentChanged.connect(lambda index: self.editor.reload() if index == 1 else None)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(12)
        layout.addWidget(plain_label("Alerts", "PanelTitle"))
        layout.addWidget(plain_label("Watched on this computer after every sync; each alert is also shown as a "
                                     "desktop notification.", "Muted", wrap=True))
        layout.addWidget(self.changes_frame)
        layout.addWidget(self.tabs, 1)

    def _cache_replaced(self) -> None:
        self.changes_frame.setVisible(False)
        self.refresh()
        self.editor.reload()

    def refresh(self) -> None:
        """Read the alert history off the GUI thread; an answer for an older question is dropped."""
        self.ticket += 1
        ticket = self.ticket
        self.services.query(watch_store.recent_alerts, on_done=lambda found: self._loaded(ticket, found))

    def _loaded(self, ticket: int, found: list[Alert]) -> None:
        if ticket == self.ticket:
            self.show_alerts(found)

    def show_alerts(self, found: list[Alert]) -> None:
        self.alerts = found
        self.table.setRowCount(len(found))
        for row, alert in enumerate(found):
            when = moment_text(alert.fired_at)
            if alert.cleared_at is not None:
                when += "\ncleared " + moment_text(alert.cleared_at)
            for column, text in enumerate((when, alert.title, alert.detail)):
                item = QTableWidgetItem(text)  # items never render markup: names stay text
                item.setToolTip(plain_tooltip(text) if column else "")
                self.table.setItem(row, column, item)
            self.table.setCellWidget(row, 3, self._link(alert.panel))
        self.table.setVisible(bool(found))
        self.empty.setVisible(not found)

    def _link(self, panel: str) -> QPushButton:
        button = QPushButton(f"Open {PANEL_NAMES.get(panel, panel)}")
        button.setFlat(True)
        button.setCursor(Qt.PointingHandCursor)
        button.clicked.connect(lambda: self.openPanel.emit(panel))
        return button

    def show_changes(self, summary: ChangeSummary) -> None:
        self.changes.setText("\n".join(summary.lines()))
        self.changes_frame.setVisible(True)
