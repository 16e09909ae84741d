"""One window per user and cache: starting the app again brings the running window forward.

Two processes on one cache would both sync into it and wait on each other's locks, so
the first start listens on a local socket (a named pipe on Windows) named after the user
and the cache locations; a later start that can connect to it quits with exit code 0,
and the connection itself asks the first one to raise its window.
"""

from __future__ import annotations

import getpass
import hashlib
import logging

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 1000


def instance_key(*cache_locations: str) -> str:
    """A socket name for this user and these caches: short (Unix socket paths are limited) and path-free."""
    digest = hashlib.sha256("\0".join([getpass.getuser(), *cache_locations]).encode("utf-8")).hexdigest()
    return f"a2v2-desktop-{digest[:24]}"


class SingleInstance(QObject):
    """Claims the key for this process, or tells the process that holds it to raise its window."""

    raiseRequested = Signal()

    def __init__(self, key: str, parent: QObject | None = None):
        super().__init__(parent)
        self.key = key
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.UserAccessOption)  # other users may not connect
        self.server.newConnection.connect(self._accept)

    def claim(self) -> bool:
        """True when this process is the first and now listens; False when another one was asked to raise."""
        if self._notify_running():
            return False
        if not self.server.listen(self.key):
            if self._notify_running():  # it started between our two tries
                return False
            QLocalServer.removeServer(self.key)  # a socket file left by a process that was killed
            self.server.listen(self.key)
        if self.server.isListening():
            log.info("listening for other starts as %s", self.key)
        else:  # run anyway: a missing guard is better than no window
            log.warning("cannot listen for other starts as %s: %s", self.key, self.server.errorString())
        return True

    def _notify_running(self) -> bool:
        socket = QLocalSocket()
        socket.connectToServer(self.key)
        connected = socket.waitForConnected(CONNECT_TIMEOUT_MS)
        socket.abort()
        return connected

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            self.server.nextPendingConnection().deleteLater()
        log.info("another start asked for the window")
        self.raiseRequested.emit()


def raise_window(window: QWidget) -> None:
    """Un-minimize, raise and activate (the window manager may still only flash it in the taskbar)."""
    window.setWindowState(window.windowState() & ~Qt.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()
