"""A Qt application to paint with, also on a machine with no display (a server, a scheduled job)."""

from __future__ import annotations

import os
import sys

_APP = []  # keeps the application alive for the rest of the process


def needs_offscreen(environ=os.environ, platform: str = sys.platform) -> bool:
    """Linux with neither X11 nor Wayland, and no platform chosen: Qt would abort instead of drawing."""
    return (platform.startswith("linux") and not environ.get("QT_QPA_PLATFORM")
            and not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"))


def ensure_gui_app():
    """The running QGuiApplication (the window's QApplication counts), or a new one; offscreen when headless."""
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance()
    if app is None:
        if needs_offscreen():
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        app = QGuiApplication(["a2v2-desktop"])
        _APP.append(app)
    return app
