"""An honest page for what is not built yet: says so, and where to look meanwhile."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from a2v2_desktop.ui.widgets import plain_label


class PlaceholderPanel(QWidget):
    def __init__(self, title: str, promise: str, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 18)
        layout.addWidget(plain_label(title, "PanelTitle"))
        layout.addStretch(1)
        for content, name in (("Coming in a later version", "SectionTitle"), (promise, "Muted"),
                              ("Until then, the A2V2.ai web dashboard has it.", "Muted")):
            label = plain_label(content, name, wrap=True)
            label.setAlignment(Qt.AlignCenter)
            layout.addWidget(label)
        layout.addStretch(2)
