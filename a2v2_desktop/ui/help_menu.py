"""The Help menu: About, and the log folder a person attaches to a bug report."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox, QWidget

from a2v2_desktop import paths
from a2v2_desktop.logs import log_file
from a2v2_desktop.ui.about import show_about


def install_help_menu(window: QMainWindow) -> QMenu:
    """Help → About (the app menu on macOS) and Open log folder; `window.services` gives the cache shown."""
    menu = window.menuBar().addMenu("&Help")
    about = QAction("&About A2V2 Desktop", window)
    about.setMenuRole(QAction.AboutRole)
    about.triggered.connect(lambda: show_about(window, window.services.cache_location))
    logs = QAction("Open &log folder", window)
    logs.triggered.connect(lambda: open_log_folder(window))
    menu.addActions([about, logs])
    return menu


def open_log_folder(parent: QWidget | None = None) -> None:
    """The folder in the file manager, or its path in a message where none opens (a bare server)."""
    folder = paths.ensure_private_dir(log_file().parent)
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        return
    box = QMessageBox(QMessageBox.Information, "Log folder", f"The logs are in:\n{folder}", QMessageBox.Ok, parent)
    box.setTextFormat(Qt.PlainText)
    box.setTextInteractionFlags(Qt.TextSelectableByMouse)
    box.setAttribute(Qt.WA_DeleteOnClose)
    box.open()
