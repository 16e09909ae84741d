"""Dialogs of the printed summary: what to print (range and agents), the saved statements, what changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from a2v2_desktop.cache.usage_queries import AgentChoice
from a2v2_desktop.domain.credits import parse_credits
from a2v2_desktop.domain.times import zone
from a2v2_desktop.insights import ranges, text
from a2v2_desktop.insights.ranges import DateRange
from a2v2_desktop.reports.statements import Change, Regenerated, Statement
from a2v2_desktop.ui.widgets import elide, plain_label, plain_tooltip


@dataclass(frozen=True)
class ReportChoice:
    """What the user picked: a preset (with its dates when Custom) and the agents (empty: all)."""

    preset: str
    custom: DateRange | None
    agent_ids: tuple[str, ...]


class ReportOptionsDialog(QDialog):
    """Range and agents for a printed summary or an export, starting from what the Usage panel shows."""

    def __init__(self, parent: QWidget, title: str, action: str, start: ReportChoice,
                 choices: tuple[AgentChoice, ...], today: date):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.preset = QComboBox()
        self.preset.addItems(ranges.PRESETS)
        self.preset.setCurrentText(start.preset)
        custom = start.custom or DateRange(today.replace(day=1), today)
        self.first, self.last = QDateEdit(QDate(custom.first)), QDateEdit(QDate(custom.last))
        for edit in (self.first, self.last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
        self.all_agents = QRadioButton("All agents")
        self.some_agents = QRadioButton("Only the agents ticked below")
        self.agents = self._agent_list(choices, set(start.agent_ids))
        (self.some_agents if start.agent_ids else self.all_agents).setChecked(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText(action)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._layout()
        self.preset.currentTextChanged.connect(self._update)
        self.some_agents.toggled.connect(self._update)
        self.agents.itemChanged.connect(self._update)
        self._update()

    @staticmethod
    def _agent_list(choices: tuple[AgentChoice, ...], ticked: set[str]) -> QListWidget:
        listing = QListWidget()
        for choice in choices:
            item = QListWidgetItem(elide(choice.name, 60) + (" (deleted)" if choice.deleted else ""))
            item.setToolTip(plain_tooltip(choice.name))
            item.setData(Qt.UserRole, choice.id)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if choice.id in ticked else Qt.Unchecked)
            listing.addItem(item)
        listing.setMinimumHeight(160)
        return listing

    def _layout(self) -> None:
        dates = QHBoxLayout()
        dates.addWidget(self.first)
        dates.addWidget(plain_label("to"))
        dates.addWidget(self.last)
        form = QFormLayout()
        form.addRow("Range", self.preset)
        form.addRow("", dates)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.all_agents)
        layout.addWidget(self.some_agents)
        layout.addWidget(self.agents)
        layout.addWidget(self.buttons)

    def _update(self) -> None:
        custom = self.preset.currentText() == ranges.CUSTOM
        for edit in (self.first, self.last):
            edit.setEnabled(custom)
        self.agents.setEnabled(self.some_agents.isChecked())
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(not self.some_agents.isChecked() or bool(self._ticked()))

    def _ticked(self) -> tuple[str, ...]:
        return tuple(self.agents.item(row).data(Qt.UserRole) for row in range(self.agents.count())
                     if self.agents.item(row).checkState() == Qt.Checked)

    def choice(self) -> ReportChoice:
        first, last = self.first.date().toPython(), self.last.date().toPython()
        custom = DateRange(min(first, last), max(first, last)) if self.preset.currentText() == ranges.CUSTOM else None
        return ReportChoice(self.preset.currentText(), custom,
                            self._ticked() if self.some_agents.isChecked() else ())


class StatementsDialog(QDialog):
    """Every saved statement with its period and total; open one offline, or regenerate it from today's data."""

    openRequested = Signal(object)  # Statement
    regenerateRequested = Signal(object)  # Statement

    COLUMNS = ("Billing period", "Credits used", "Saved", "Notes")

    def __init__(self, parent: QWidget, folder: Path):
        super().__init__(parent)
        self.folder = folder
        self.setWindowTitle("Statements")
        self.resize(720, 420)
        self.statements: list[Statement] = []
        self.busy = False  # a regeneration is running
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.Stretch)
        self.table.doubleClicked.connect(lambda _index: self._request(self.openRequested))
        self.empty = plain_label("No statement yet: one is saved when a sync sees a billing period close.", "Muted",
                                 wrap=True)
        self.open_button = QPushButton("Open")
        self.regenerate_button = QPushButton("Regenerate from today's data…")
        self.regenerate_button.setToolTip("Make the statement again from what the cache holds now, beside the "
                                          "saved one, and show what changed")
        self.open_button.clicked.connect(lambda: self._request(self.openRequested))
        self.regenerate_button.clicked.connect(lambda: self._request(self.regenerateRequested))
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.regenerate_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(f"Saved in {folder}", "Muted", wrap=True))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        self.table.itemSelectionChanged.connect(self._update)

    def show_statements(self, statements: list[Statement]) -> None:
        self.statements = list(statements)
        self.table.setRowCount(len(statements))
        for row, statement in enumerate(statements):
            tz = zone(statement.timezone)
            noted = "; ".join(f"revised {DateRange(r.first, r.last).label()}: "
                              f"{text.exact_credits_text(r.stated)} → {text.exact_credits_text(r.current)}"
                              for r in statement.revisions)
            cells = (DateRange(statement.first, statement.last).label(), text.exact_credits_text(statement.total),
                     text.moment_text(statement.saved_at, tz), noted)
            for column, content in enumerate(cells):
                item = QTableWidgetItem(content)
                if column == 1:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        if statements:
            self.table.selectRow(0)
        self.empty.setVisible(not statements)
        self._update()

    def selected(self) -> Statement | None:
        rows = self.table.selectionModel().selectedRows()
        return self.statements[rows[0].row()] if rows else None

    def _request(self, signal) -> None:
        statement = self.selected()
        if statement is not None:
            signal.emit(statement)

    def _update(self) -> None:
        picked = self.selected() is not None
        self.open_button.setEnabled(picked)
        self.regenerate_button.setEnabled(picked and not self.busy)

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self._update()


class ChangesDialog(QDialog):
    """A regenerated statement's figures next to the saved ones."""

    openRequested = Signal(object)  # the regenerated PDF's path

    def __init__(self, parent: QWidget, result: Regenerated):
        super().__init__(parent)
        period = DateRange(result.statement.first, result.statement.last).label()
        self.setWindowTitle(f"Statement {period}: saved and regenerated")
        self.resize(640, 360)
        changed = [c for c in result.changes if c.before != c.after]
        summary = ("Nothing changed since the statement was saved." if not changed else
                   f"{len(changed)} figure{'s' if len(changed) != 1 else ''} changed since the statement was saved "
                   "(late usage lines, refunds). The saved statement is kept as it was.")
        self.table = QTableWidget(len(result.changes), 4)
        self.table.setHorizontalHeaderLabels(("Figure", "Saved", "Today", "Difference"))
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        for row, change in enumerate(result.changes):
            for column, content in enumerate(change_cells(change)):
                item = QTableWidgetItem(content)
                if column:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(row, column, item)
        open_button = QPushButton("Open the regenerated PDF")
        open_button.clicked.connect(lambda: self.openRequested.emit(result.pdf_path))
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(open_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(summary, wrap=True))
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)


def change_cells(change: Change) -> tuple[str, str, str, str]:
    """Saved, today and the difference as the paper prints credits (exact, grouped)."""
    before, after = parse_credits(change.before), parse_credits(change.after)
    difference = after - before
    sign = "+" if difference > 0 else ""
    return (change.what, text.exact_credits_text(before), text.exact_credits_text(after),
            f"{sign}{text.exact_credits_text(difference)}" if difference else "—")
