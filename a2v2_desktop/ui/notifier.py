"""Desktop notifications through one object, so every alert takes the same path and tests can watch it."""

from __future__ import annotations

import html
import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QSystemTrayIcon

SHOWN_MSECS = 10_000


def desktop_body(message: str, platform: str = sys.platform) -> str:
    """The body as the desktop will read it. Freedesktop notification servers (GNOME, KDE, dunst…) read
    the body as markup, so a name holding `<img src=…>` would be fetched: there it is escaped. The
    title is plain text everywhere, and macOS and Windows show the body as it is."""
    return html.escape(message, quote=False) if platform.startswith("linux") else message


class Notifier(QObject):
    """Shows a notification on the tray icon when there is one; `notified` fires either way."""

    notified = Signal(str, str)  # title, message (plain text)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.tray: QSystemTrayIcon | None = None

    def notify(self, title: str, message: str) -> None:
        self.notified.emit(title, message)
        if self.tray is not None and self.tray.isVisible():
            self.tray.showMessage(title, desktop_body(message), QSystemTrayIcon.Warning, SHOWN_MSECS)
