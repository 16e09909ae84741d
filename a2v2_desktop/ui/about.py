"""About: the version, where the cache and the logs are, and the license — what a bug report needs."""

from __future__ import annotations

import platform

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from a2v2_desktop import __version__
from a2v2_desktop.logs import log_file
from a2v2_desktop.ui.icons import app_icon
from a2v2_desktop.ui.widgets import plain_label

LICENSE = "Released under the MIT License. Copyright © 2026 A2V2 Desktop developers."


class AboutDialog(QDialog):
    def __init__(self, cache_location: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("About A2V2 Desktop")
        self.setMinimumWidth(480)
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(64, 64))
        heading = QVBoxLayout()
        heading.addWidget(plain_label("A2V2 Desktop", "PanelTitle"))
        heading.addWidget(plain_label(f"Version {__version__}", "Muted"))
        top = QHBoxLayout()
        top.addWidget(logo)
        top.addLayout(heading, 1)
        details = QFormLayout()
        for name, value in (("Cache", cache_location), ("Logs", str(log_file())),
                            ("Built with", f"Qt {qVersion()}, PySide6 {PySide6.__version__}, "
                                           f"Python {platform.python_version()}")):
            label = plain_label(value, wrap=True)
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)  # paths get copied into bug reports
            details.addRow(name, label)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(details)
        layout.addWidget(plain_label(LICENSE, "Muted", wrap=True))
        layout.addWidget(buttons)


def show_about(parent: QWidget, cache_location: str) -> AboutDialog:
    """Window-modal without blocking; the dialog deletes itself when closed."""
    dialog = AboutDialog(cache_location, parent)
    dialog.setAttribute(Qt.WA_DeleteOnClose)
    dialog.open()
    return dialog
