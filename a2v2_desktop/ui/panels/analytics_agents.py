"""The Analytics panel's agent list: Active, Paused, then Archived (deleted, with history),
each agent with its credits and conversations in the range, searchable by name.

Names are untrusted: items hold plain text, the delegate draws it with QPainter
(never as markup), and tooltips are escaped.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from a2v2_desktop.insights import text
from a2v2_desktop.insights.analytics import AgentEntry
from a2v2_desktop.ui.theme import Colors
from a2v2_desktop.ui.widgets import elide, plain_tooltip

ID_ROLE = Qt.UserRole
NAME_ROLE = Qt.UserRole + 1
FIGURES_ROLE = Qt.UserRole + 2


def figures_text(entry: AgentEntry) -> str:
    conversations = f"{entry.conversations:,} conversation{'s' if entry.conversations != 1 else ''}"
    return f"{text.credits_text(entry.credits)} credits · {conversations}"


class AgentDelegate(QStyledItemDelegate):
    """Group headers in small capitals; agents as a name line and a muted figures line."""

    def __init__(self, colors: Colors, parent=None):
        super().__init__(parent)
        self.colors = colors

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802 - Qt's name
        return QSize(option.rect.width(), 46 if index.data(ID_ROLE) else 30)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        rect = option.rect.adjusted(4, 1, -4, -1)
        if index.data(ID_ROLE) is None:
            self._header(painter, rect, index.data(Qt.DisplayRole))
        else:
            self._agent(painter, option, rect, index)
        painter.restore()

    def _header(self, painter: QPainter, rect: QRect, title: str) -> None:
        font = painter.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 0.85)
        painter.setFont(font)
        painter.setPen(QColor(self.colors.muted))
        painter.drawText(rect.adjusted(8, 8, 0, 0), Qt.AlignLeft | Qt.AlignVCenter, title.upper())

    def _agent(self, painter: QPainter, option: QStyleOptionViewItem, rect: QRect, index: QModelIndex) -> None:
        if option.state & QStyle.State_Selected:
            painter.setRenderHint(QPainter.Antialiasing)
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor(self.colors.selection))
            painter.drawRoundedRect(rect, 7, 7)
        inner = rect.adjusted(10, 5, -8, -5)
        font = painter.font()
        font.setBold(bool(option.state & QStyle.State_Selected))
        painter.setFont(font)
        painter.setPen(QColor(self.colors.text))
        name = painter.fontMetrics().elidedText(index.data(NAME_ROLE), Qt.ElideRight, inner.width())
        painter.drawText(inner, Qt.AlignLeft | Qt.AlignTop | Qt.TextSingleLine, name)
        font.setBold(False)
        font.setPointSizeF(font.pointSizeF() * 0.88)
        painter.setFont(font)
        painter.setPen(QColor(self.colors.muted))
        painter.drawText(inner, Qt.AlignLeft | Qt.AlignBottom | Qt.TextSingleLine, index.data(FIGURES_ROLE))


class AgentList(QWidget):
    """Emits the picked agent's id; rebuilt silently whenever a view arrives."""

    agentPicked = Signal(object)

    def __init__(self, colors: Colors, parent: QWidget | None = None):
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search agents")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.list = QListWidget()
        self.list.setObjectName("AgentList")
        self.delegate = AgentDelegate(colors, self.list)
        self.list.setItemDelegate(self.delegate)
        self.list.setStyleSheet("QListWidget#AgentList { border: none; background: transparent; outline: none; }")
        self.list.currentItemChanged.connect(self._picked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        self.setFixedWidth(250)

    def set_colors(self, colors: Colors) -> None:
        self.delegate.colors = colors
        self.list.viewport().update()

    def set_entries(self, entries: tuple[AgentEntry, ...], selected: str | None) -> None:
        """Rebuild the list without announcing a pick (the view already shows `selected`)."""
        self.list.blockSignals(True)
        self.list.clear()
        group = None
        for entry in entries:
            if entry.group != group:
                group = entry.group
                header = QListWidgetItem(group)
                header.setFlags(Qt.NoItemFlags)
                self.list.addItem(header)
            item = QListWidgetItem(f"{elide(entry.name, 40)}\n{figures_text(entry)}")
            item.setData(ID_ROLE, entry.id)
            item.setData(NAME_ROLE, entry.name)
            item.setData(FIGURES_ROLE, figures_text(entry))
            item.setToolTip(plain_tooltip(entry.name))
            self.list.addItem(item)
            if entry.id == selected:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._filter(self.search.text())
        if self.list.currentItem() is not None:
            self.list.scrollToItem(self.list.currentItem())

    def items(self) -> list[QListWidgetItem]:
        return [self.list.item(row) for row in range(self.list.count())]

    def agent_ids(self, visible_only: bool = False) -> list[str]:
        return [item.data(ID_ROLE) for item in self.items()
                if item.data(ID_ROLE) and not (visible_only and item.isHidden())]

    def select(self, agent_id: str) -> None:
        """Pick an agent as a click would (announced)."""
        for item in self.items():
            if item.data(ID_ROLE) == agent_id:
                self.list.setCurrentItem(item)

    def _filter(self, query: str) -> None:
        """Hide agents whose name does not contain the query, and groups left empty."""
        needle = query.casefold()
        header, shown = None, False
        for item in self.items():
            if item.data(ID_ROLE) is None:
                if header is not None:
                    header.setHidden(not shown)
                header, shown = item, False
                continue
            item.setHidden(needle not in item.data(NAME_ROLE).casefold())
            shown = shown or not item.isHidden()
        if header is not None:
            header.setHidden(not shown)

    def _picked(self, current: QListWidgetItem | None, _previous) -> None:
        if current is not None and current.data(ID_ROLE):
            self.agentPicked.emit(current.data(ID_ROLE))
