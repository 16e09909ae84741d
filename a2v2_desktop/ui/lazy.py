"""Refresh a panel when it can be seen: the one on screen answers first at start-up and after
a sync, and hidden panels do not compete with it for the cache and the interpreter."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget


class RefreshWhenShown(QObject):
    """`request()` refreshes at once if the panel is visible, else on its next show."""

    def __init__(self, panel: QWidget, refresh: Callable[[], None]):
        super().__init__(panel)
        self.panel, self.refresh = panel, refresh
        self.stale = False
        panel.installEventFilter(self)

    def request(self, *_args) -> None:
        if self.panel.isVisible():
            self.stale = False
            self.refresh()
        else:
            self.stale = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.panel and event.type() == QEvent.Show and self.stale:
            self.stale = False
            self.refresh()
        return False
