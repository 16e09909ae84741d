"""Answer quality: unanswered replies and thumbs over time, and the questions the agent could
not answer — sortable, searchable, exportable to CSV, full text on demand.

Questions are visitors' text: the table shows them as plain text on one line, long
ones elided; the tooltip (escaped) and the detail box (a plain-text editor) hold
the whole question.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QWidget,
)

from a2v2_desktop.domain.times import zone
from a2v2_desktop.insights.analytics import AnalyticsView
from a2v2_desktop.insights.analytics_base import PERCENT, local_time_text, value_text
from a2v2_desktop.insights.answer_quality import CSV_COLUMNS, QuestionGroup, questions_csv
from a2v2_desktop.ui.charts.analytics_chart import GREEN, LINE, ORANGE, RED, AnalyticsChart, Series
from a2v2_desktop.ui.panels.analytics_tabs.common import AnalyticsTab, KpiCards, titled_section
from a2v2_desktop.ui.theme import Colors
from a2v2_desktop.ui.widgets import elide, plain_label, plain_tooltip, section

QUESTION, ASKED, FIRST, LAST, CONVERSATIONS = range(len(CSV_COLUMNS))
SORT_ROLE = Qt.UserRole
FILTER_ROLE = Qt.UserRole + 1
TITLES = ("Unanswered replies", "Unanswered questions", "Thumbs up", "Thumbs down", "Positive feedback")


def one_line(question: str, limit: int = 120) -> str:
    """A question on one line for a table cell: whitespace runs become one space, long ones elided."""
    return elide(" ".join(question.split()), limit)


class QuestionsModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.groups: list[QuestionGroup] = []
        self.tz = zone("UTC")

    def set_groups(self, groups: tuple[QuestionGroup, ...], tz_name: str) -> None:
        self.beginResetModel()
        self.groups, self.tz = list(groups), zone(tz_name)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.groups)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(CSV_COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return CSV_COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        group, column = self.groups[index.row()], index.column()
        if role == Qt.DisplayRole:
            return (one_line(group.text), f"{group.count:,}", local_time_text(group.first_asked, self.tz),
                    local_time_text(group.last_asked, self.tz), f"{len(group.conversation_ids):,}")[column]
        if role == SORT_ROLE:
            return (group.key, group.count, group.first_asked, group.last_asked, len(group.conversation_ids))[column]
        if role == FILTER_ROLE:
            return f"{group.text}\n{group.key}"
        if role == Qt.ToolTipRole:
            return self._tooltip(group, column)
        if role == Qt.TextAlignmentRole and column in (ASKED, CONVERSATIONS):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    def _tooltip(self, group: QuestionGroup, column: int) -> str | None:
        if column == QUESTION:
            return plain_tooltip(group.text)
        if column == CONVERSATIONS and group.conversation_ids:
            return plain_tooltip("\n".join(group.conversation_ids))
        return None


class _Proxy(QSortFilterProxyModel):
    def lessThan(self, left: QModelIndex, right: QModelIndex) -> bool:  # noqa: N802
        return left.data(SORT_ROLE) < right.data(SORT_ROLE)


class QualityTab(AnalyticsTab):
    feeds = frozenset({"conversations", "unanswered_questions"})

    def __init__(self, colors: Colors, parent: QWidget | None = None):
        super().__init__(colors, parent)
        self.cards = KpiCards(TITLES, columns=5)
        self.share_chart, self.thumbs_chart = AnalyticsChart(colors), AnalyticsChart(colors)
        self.body.addWidget(self.cards)
        row = QHBoxLayout()
        row.setSpacing(10)
        row.addWidget(titled_section("Unanswered replies over time", self.share_chart, stretch=1))
        row.addWidget(titled_section("Thumbs up and down", self.thumbs_chart, stretch=1))
        self.body.addLayout(row, 1)
        self.body.addWidget(self._questions_section(), 2)

    def _questions_section(self):
        frame, layout = section()
        self.model = QuestionsModel(self)
        self.proxy = _Proxy(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterRole(FILTER_ROLE)
        self.proxy.setFilterKeyColumn(QUESTION)
        self.proxy.setFilterCaseSensitivity(Qt.CaseInsensitive)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search questions")
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(240)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self._ask_export)
        header = QHBoxLayout()
        header.addWidget(plain_label("Unanswered questions", "SectionTitle"))
        header.addStretch(1)
        header.addWidget(self.search)
        header.addWidget(self.export_button)
        self.table = self._make_table()
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText("Pick a question to read it in full.")
        self.detail.setMaximumHeight(64)
        layout.addLayout(header)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        frame.setMinimumHeight(290)
        return frame

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(ASKED, Qt.DescendingOrder)
        table.setSelectionBehavior(QAbstractItemView.SelectRows)
        table.setSelectionMode(QAbstractItemView.SingleSelection)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(24)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QUESTION, QHeaderView.Stretch)
        for column in (ASKED, FIRST, LAST, CONVERSATIONS):
            header.setSectionResizeMode(column, QHeaderView.ResizeToContents)
        table.selectionModel().currentRowChanged.connect(self._show_detail)
        return table

    def recolor(self, colors: Colors) -> None:
        self.share_chart.set_colors(colors)
        self.thumbs_chart.set_colors(colors)

    def fill(self, view: AnalyticsView, compare: bool) -> None:
        quality = view.quality
        self.cards.show_kpis(quality.kpis, compare, self.colors)
        quiet = "" if any(quality.replies) else f"{elide(view.agent.name, 60)} sent no replies in this range."
        self.share_chart.show_data(self.chart_data(
            (Series("Unanswered replies", quality.unanswered_share, ORANGE, LINE),),
            value_text=lambda value: value_text(value, PERCENT), scale=Fraction(1, 100), axis_label="%"), quiet)
        self.thumbs_chart.show_data(self.chart_data(
            (Series("Thumbs up", quality.thumbs_up, GREEN), Series("Thumbs down", quality.thumbs_down, RED)),
            axis_label="ratings"), quiet)
        self.model.set_groups(quality.questions, view.timezone)
        self.detail.clear()
        self.export_button.setEnabled(bool(quality.questions))

    def _show_detail(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return self.detail.clear()
        group = self.model.groups[self.proxy.mapToSource(current).row()]
        conversations = ", ".join(group.conversation_ids) or "none recorded"
        times = "once" if group.count == 1 else f"{group.count:,} times"
        self.detail.setPlainText(f"{group.text}\n\nAsked {times} · conversations: {conversations}")

    def visible_groups(self) -> list[QuestionGroup]:
        """The rows as shown: filtered by the search, in the table's order."""
        return [self.model.groups[self.proxy.mapToSource(self.proxy.index(row, 0)).row()]
                for row in range(self.proxy.rowCount())]

    def export_csv(self, path: Path) -> None:
        """The shown rows as CSV (UTF-8 with a byte-order mark, which spreadsheets expect)."""
        content = questions_csv(self.visible_groups(), self.model.tz)
        Path(path).write_text(content, encoding="utf-8-sig", newline="")

    def _ask_export(self) -> None:
        span = self.view.span
        name = f"unanswered-questions-{span.first}-{span.last}.csv"
        path, _filter = QFileDialog.getSaveFileName(self, "Export unanswered questions", name, "CSV files (*.csv)")
        if not path:
            return
        try:
            self.export_csv(Path(path))
        except OSError as error:
            QMessageBox.warning(self, "Export unanswered questions", f"The file could not be written: {error}")
