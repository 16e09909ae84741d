"""The sidebar: the panels, with icons tinted to the theme."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from a2v2_desktop import __version__
from a2v2_desktop.ui.icons import icon
from a2v2_desktop.ui.theme import Colors
from a2v2_desktop.ui.widgets import plain_label

PANELS = (("Usage", "usage"), ("Billing", "billing"), ("Analytics", "analytics"), ("Alerts", "alerts"),
          ("Settings", "settings"))


class Sidebar(QWidget):
    panelChosen = Signal(int)

    def __init__(self, colors: Colors, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("Sidebar")
        self.setAttribute(Qt.WA_StyledBackground, True)
        self.setFixedWidth(160)
        self.list = QListWidget()
        self.list.setObjectName("SidebarList")
        self.list.setIconSize(QSize(20, 20))
        for number, (name, _icon) in enumerate(PANELS, start=1):
            item = QListWidgetItem(name)
            item.setToolTip(f"{name} (Ctrl+{number})")
            self.list.addItem(item)
        self.list.currentRowChanged.connect(self.panelChosen)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 10)
        layout.addWidget(self.list, 1)
        version = plain_label(f"Version {__version__}", "Muted")
        version.setContentsMargins(20, 0, 0, 0)
        layout.addWidget(version)
        self.set_colors(colors)

    def set_colors(self, colors: Colors) -> None:
        for row, (_name, name) in enumerate(PANELS):
            self.list.item(row).setIcon(icon(name, colors.text))

    def select(self, index: int) -> None:
        self.list.setCurrentRow(index)
