"""Per-agent and per-team-member tables: sortable, filterable, copyable (Ctrl+C), exportable (context menu)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from a2v2_desktop.insights import text
from a2v2_desktop.insights.usage import BreakdownRow
from a2v2_desktop.ui.widgets import elide, isolated, plain_label, plain_tooltip

COLUMNS = ("Name", "Credits", "Share", "Quantity", "Change", "Trend")
NAME, CREDITS, SHARE, QUANTITY, CHANGE, TREND = range(len(COLUMNS))
SORT_ROLE = Qt.UserRole
KEY_ROLE = Qt.UserRole + 1
RIGHT = int(Qt.AlignRight | Qt.AlignVCenter)
HEADER = {(Qt.Horizontal, int(Qt.DisplayRole), column): title for column, title in enumerate(COLUMNS)} | {
    (Qt.Horizontal, int(Qt.ToolTipRole), CHANGE): "Change against the same number of days just before the range"}
SIZING_ROWS = 0  # columns fit the rows in view (Qt's default reads a thousand rows at every refresh)


class BreakdownModel(QAbstractTableModel):
    """Rows of spend; display text from insights.text, sorting on the exact integers."""

    def __init__(self, inactive_word: str, parent=None):
        super().__init__(parent)
        self.inactive_word = inactive_word  # "deleted" or "removed"
        self.rows: list[BreakdownRow] = []
        self.total = 0
        self.warning_icon = None
        self.shown: list[tuple[str, ...] | None] = []  # per row, each cell's text as shown, once asked for
        self.sort_keys: dict[int, list] = {}  # per column asked for, each row's exact sort value
        self.sorting: tuple[int, Qt.SortOrder] = (-1, Qt.AscendingOrder)  # column, order
        self._answers = self._role_answers()

    def set_rows(self, rows: tuple[BreakdownRow, ...], total: int) -> None:
        """Texts and sort keys are worked out when Qt first asks, then kept: it asks for each cell many
        times while it sizes, sorts and paints, and never for rows out of sight or columns not sorted on."""
        self.beginResetModel()
        self.rows, self.total = list(rows), total
        self.shown, self.sort_keys = [None] * len(self.rows), {}
        self._put_in_order()
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.AscendingOrder) -> None:
        """Rows in order by their exact keys, here at once: a proxy's sort asks Python for two indexes
        and a comparison per step, which costs more than the rest of a refresh."""
        self.layoutAboutToBeChanged.emit()
        self.sorting = (column, order)
        moved = self._put_in_order()
        persistent = self.persistentIndexList()  # the selection follows its rows
        self.changePersistentIndexList(persistent, [self.index(moved[i.row()], i.column()) for i in persistent])
        self.layoutChanged.emit()

    def _put_in_order(self) -> list[int]:
        """Sort the rows as asked (ties keep their order, as Qt's stable sort does); where each row went."""
        column, order = self.sorting
        positions = list(range(len(self.rows)))
        if column >= 0:
            positions.sort(key=self.column_keys(column).__getitem__, reverse=order == Qt.DescendingOrder)
        self.rows, self.shown = [self.rows[r] for r in positions], [self.shown[r] for r in positions]
        self.sort_keys = {c: [keys[r] for r in positions] for c, keys in self.sort_keys.items()}
        moved = [0] * len(positions)
        for new, old in enumerate(positions):
            moved[old] = new
        return moved

    def column_keys(self, column: int) -> list:
        """Each row's sort value in this column, worked out the first time it is sorted on or asked for."""
        keys = self.sort_keys.get(column)
        if keys is None:
            keys = self.sort_keys[column] = [self._sort_value(row, column) for row in self.rows]
        return keys

    def shown_texts(self, r: int) -> tuple[str, ...]:
        """Row r's cells as shown (the name elided), worked out on first sight."""
        texts = self.shown[r]
        if texts is None:
            name, *rest = self.cell_texts(self.rows[r])
            texts = self.shown[r] = (elide(name), *rest)
        return texts

    def index(self, row: int, column: int, parent=QModelIndex()) -> QModelIndex:
        """Qt's own asks rowCount and columnCount (two calls into Python) for every index it makes."""
        if 0 <= row < len(self.rows) and 0 <= column < len(COLUMNS) and not parent.isValid():
            return self.createIndex(row, column)
        return QModelIndex()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        """A lookup: Qt asks every role of every section on each paint, and reading Qt's enums costs."""
        return HEADER.get((orientation, role, section))

    def name_text(self, row: BreakdownRow) -> str:
        return f"{isolated(row.name)} ({self.inactive_word})" if row.inactive else row.name

    def cell_texts(self, row: BreakdownRow) -> tuple[str, ...]:
        """What each cell says (also what Ctrl+C copies, so names are never cut there)."""
        return (
            self.name_text(row),
            text.credits_text(row.credits),
            text.share_text(row.credits, self.total),
            f"{row.quantity:,}",
            text.change_text(row.credits, row.previous_credits),
            text.sparkline(row.trend),
        )

    def data(self, index: QModelIndex, role=Qt.DisplayRole):
        """One dictionary lookup per call: Qt asks for every role of every cell it sizes or paints."""
        answer = self._answers.get(role)
        if answer is None or not index.isValid():
            return None
        return answer(index.row(), index.column())

    def _role_answers(self) -> dict:
        """Per role, how to answer for (row, column); roles not here are None."""
        return {
            int(Qt.DisplayRole): lambda r, c: self.shown_texts(r)[c],
            int(SORT_ROLE): lambda r, c: self.column_keys(c)[r],
            int(KEY_ROLE): lambda r, _c: self.rows[r].key,
            int(Qt.ToolTipRole): lambda r, c: plain_tooltip(self._name_tooltip(self.rows[r])) if c == NAME else None,
            int(Qt.TextAlignmentRole): lambda _r, c: RIGHT if c != NAME else None,
            int(Qt.ForegroundRole): self._foreground,
            int(Qt.FontRole): self._font,
            int(Qt.DecorationRole): lambda r, c: self.warning_icon if c == NAME and self.rows[r].runaway else None,
        }

    def _foreground(self, r: int, column: int):
        if self.rows[r].inactive:
            return QGuiApplication.palette().color(QPalette.PlaceholderText)
        return QGuiApplication.palette().color(QPalette.Link) if column == TREND else None

    def _font(self, r: int, _column: int) -> QFont | None:
        row = self.rows[r]
        if not (row.inactive or row.runaway):
            return None
        font = QFont()
        font.setItalic(row.inactive)
        font.setBold(row.runaway)
        return font

    def _name_tooltip(self, row: BreakdownRow) -> str:
        note = "\nFar above its normal spend: see the warning above." if row.runaway else ""
        return self.name_text(row) + note

    def _sort_value(self, row: BreakdownRow, column: int):
        """Exact values to sort on; a change from nothing sorts above any percentage."""
        if column == CHANGE:
            change = text.change(row.credits, row.previous_credits)
            if change is None:
                return (1, 0) if row.credits else (-1, 0)
            return (0, change)
        if column == NAME:
            return row.name.casefold()
        return sum(row.trend) if column == TREND else row.quantity if column == QUANTITY else row.credits


class _Proxy(QSortFilterProxyModel):
    """Filters by name; the source model sorts itself (BreakdownModel.sort)."""

    def sort(self, column: int, order: Qt.SortOrder = Qt.AscendingOrder) -> None:
        self.sourceModel().sort(column, order)


class BreakdownTable(QWidget):
    """A table with a hint and a filter field; emits the picked row's key (None when cleared).

    Its context menu copies, or asks for the shown rows as CSV (`exportRequested`: the
    window's report actions know the range and write the file).
    """

    keyPicked = Signal(object)
    exportRequested = Signal()

    def __init__(self, hint: str, inactive_word: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = BreakdownModel(inactive_word, self)
        self.proxy = _Proxy(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseInsensitive)
        self.proxy.setFilterKeyColumn(NAME)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by name")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMaximumWidth(220)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.view = self._make_view()
        header = QHBoxLayout()
        header.addWidget(plain_label(hint, "Muted"))
        header.addStretch(1)
        header.addWidget(self.filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.view, 1)
        QShortcut(QKeySequence.Copy, self.view, self.copy_selection, context=Qt.WidgetShortcut)
        self.view.setContextMenuPolicy(Qt.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)

    def _make_view(self) -> QTableView:
        view = QTableView()
        view.setModel(self.proxy)
        view.setSortingEnabled(True)
        view.sortByColumn(CREDITS, Qt.DescendingOrder)
        view.setSelectionBehavior(QAbstractItemView.SelectRows)
        view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        view.setAlternatingRowColors(True)
        view.setShowGrid(False)
        view.setWordWrap(False)
        view.setTextElideMode(Qt.ElideRight)
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(26)
        header = view.horizontalHeader()
        header.setSectionResizeMode(NAME, QHeaderView.Stretch)
        header.setResizeContentsPrecision(SIZING_ROWS)
        for column in range(CREDITS, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeToContents)
        view.selectionModel().selectionChanged.connect(self._selection_changed)
        return view

    def set_rows(self, rows: tuple[BreakdownRow, ...], total: int) -> None:
        self.model.set_rows(rows, total)

    def clear_pick(self) -> None:
        """Forget the picked row without telling anyone (the caller is starting over anyway). With no
        row picked it does nothing: a repaint of the table now would, merged with the range control's,
        repaint the chart between them before the answer comes."""
        selection = self.view.selectionModel()
        if not selection.hasSelection():
            return
        selection.blockSignals(True)
        selection.clearSelection()
        selection.blockSignals(False)
        self.view.viewport().update()

    def _selection_changed(self) -> None:
        rows = self.view.selectionModel().selectedRows()
        self.keyPicked.emit(rows[0].data(KEY_ROLE) if len(rows) == 1 else None)

    def selected_rows(self) -> list[BreakdownRow]:
        picked = sorted(self.view.selectionModel().selectedRows(), key=lambda index: index.row())
        return [self.model.rows[self.proxy.mapToSource(index).row()] for index in picked]

    def shown_rows(self) -> list[BreakdownRow]:
        """The rows the filter lets through, in the order shown."""
        return [self.model.rows[self.proxy.mapToSource(self.proxy.index(r, 0)).row()]
                for r in range(self.proxy.rowCount())]

    def copy_text(self) -> str:
        """Selected rows (all rows when none is selected) as tab-separated text with a header line."""
        rows = self.selected_rows() or self.shown_rows()
        lines = ["\t".join(COLUMNS)]
        lines += ["\t".join(self.model.cell_texts(row)) for row in rows]
        return "\n".join(lines)

    def copy_selection(self) -> None:
        QGuiApplication.clipboard().setText(self.copy_text())

    def context_menu(self) -> QMenu:
        menu = QMenu(self)
        copy = menu.addAction("Copy", self.copy_selection)
        copy.setShortcut(QKeySequence.Copy)
        menu.addAction("Export CSV…", self.exportRequested.emit).setEnabled(bool(self.model.rows))
        return menu

    def _context_menu(self, position) -> None:
        menu = self.context_menu()
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(self.view.viewport().mapToGlobal(position))

