"""Desktop notifications through one object, so every alert takes the same path and tests can watch it."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QSystemTrayIcon

SHOWN_MSECS = 10_000


class Notifier(QObject):
    """Shows a notification on the tray icon when there is one; `notified` fires either way."""

    notified = Signal(str, str)  # title, message (plain text)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.tray: QSystemTrayIcon | None = None

    def notify(self, title: str, message: str) -> None:
        """Qt hands title and message to the desktop as plain text on every platform, so untrusted names
        are passed as they are: escaping them would show "&amp;" literally."""
        self.notified.emit(title, message)
        if self.tray is not None and self.tray.isVisible():
            self.tray.showMessage(title, message, QSystemTrayIcon.Warning, SHOWN_MSECS)
