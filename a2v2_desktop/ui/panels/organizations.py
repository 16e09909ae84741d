"""All organizations: each one's spend this billing period, balance and open alerts, side by side.

Every figure comes from that organization's own cache, read off the GUI thread with short
read-only connections; names are untrusted text and stay plain (table items never render markup).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from a2v2_desktop.cache.org_overview_queries import OrgFigures, read_org_figures
from a2v2_desktop.insights.text import credits_text, synced_text
from a2v2_desktop.ui.services import DEMO, Services, sqlite_files
from a2v2_desktop.ui.widgets import plain_label, plain_tooltip

COLUMNS = ("Organization", "Spend this period", "Balance", "Open alerts", "Last sync")
DEMO_NAME = "Demo organization"
UNREADABLE = "Cannot be read"


@dataclass(frozen=True)
class OrgEntry:
    """One row to read: the switcher's key (a profile, or DEMO), the name we know, and its cache file."""

    key: str
    name: str
    location: str


@dataclass(frozen=True)
class OrgLine:
    entry: OrgEntry
    figures: OrgFigures | None  # None: not synced yet
    error: str | None = None


def org_entries(services: Services) -> list[OrgEntry]:
    """Every connected organization, and the demo once it has a cache."""
    entries = [OrgEntry(org.profile, org.name or org.api_url, services.organization_cache(org))
               for org in services.settings.organizations]
    demo_files = sqlite_files(services.demo_cache)
    if demo_files and demo_files[0].exists():
        entries.append(OrgEntry(DEMO, DEMO_NAME, services.demo_cache))
    return entries


def read_lines(entries: list[OrgEntry]) -> list[OrgLine]:
    """Runs on the pool: one cache after another; one unreadable cache does not hide the others."""
    lines = []
    for entry in entries:
        files = sqlite_files(entry.location)
        try:
            lines.append(OrgLine(entry, read_org_figures(str(files[0])) if files else None))
        except Exception as error:  # shown in that row; the file is left as it is
            lines.append(OrgLine(entry, None, f"{UNREADABLE}: {error}"))
    return lines


class OrganizationsPanel(QWidget):
    """The overview table; double-clicking a row shows that organization."""

    organizationChosen = Signal(str)  # a profile, or DEMO

    def __init__(self, services: Services, parent: QWidget | None = None):
        super().__init__(parent)
        self.services = services
        self.lines: list[OrgLine] = []
        self.ticket = 0
        self.table = self._table()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label("All organizations", "PanelTitle"))
        layout.addWidget(plain_label("From each organization's cache on this computer, as of its last sync. "
                                     "Double-click one to show it.", "Muted", wrap=True))
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        layout.addLayout(row)
        services.sync_all.organizationSynced.connect(lambda _profile, _outcome: self.refresh())
        services.sync.succeeded.connect(lambda _result: self.refresh())
        services.settingsChanged.connect(lambda _settings: self.refresh())
        self.refresh()

    def _table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS))
        table.setHorizontalHeaderLabels(COLUMNS)
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectRows)
        table.setAlternatingRowColors(True)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        for column in range(1, len(COLUMNS)):
            table.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeToContents)
        table.cellDoubleClicked.connect(lambda row, _column: self.organizationChosen.emit(self.lines[row].entry.key))
        return table

    def refresh(self) -> None:
        """Read every cache on the pool; an answer to an older question is dropped."""
        self.ticket += 1
        ticket, entries = self.ticket, org_entries(self.services)
        self.services.runner.submit(lambda: read_lines(entries), lambda lines: self._loaded(ticket, lines))

    def _loaded(self, ticket: int, lines: list[OrgLine]) -> None:
        if ticket == self.ticket:
            self.show_lines(lines)

    def show_lines(self, lines: list[OrgLine]) -> None:
        self.lines = lines
        self.table.setRowCount(len(lines))
        now = int(self.services.clock())
        for row, line in enumerate(lines):
            for column, content in enumerate(_cells(line, now)):
                item = QTableWidgetItem(content)
                item.setToolTip(plain_tooltip(line.error or content))
                if column:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(row, column, item)


def _cells(line: OrgLine, now: int) -> tuple[str, ...]:
    """The row's texts: the cache's own name for the organization when it has one."""
    figures = line.figures
    if figures is None:
        return line.entry.name, line.error or "Not synced yet", "", "", ""
    return (figures.name or line.entry.name,
            credits_text(figures.spend_this_period) if figures.spend_this_period is not None else "—",
            credits_text(figures.balance) if figures.balance is not None else "—",
            f"{figures.open_alerts:,}", synced_text(figures.last_sync, now))


class OrganizationsDialog(QDialog):
    """The overview in a window of its own, so the panels beside it keep their place."""

    def __init__(self, services: Services, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("All organizations")
        self.resize(760, 360)
        self.panel = OrganizationsPanel(services)
        self.panel.organizationChosen.connect(lambda _key: self.accept())
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
