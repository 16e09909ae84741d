"""Build a panel when it is first needed, and refresh it when it can be seen: the one on screen
is built and answers first at start-up and after a sync, and hidden panels do not compete with
it for the cache and the interpreter."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QStackedWidget, QWidget


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


class LazyStack(QStackedWidget):
    """A stack whose pages may be built on first need: a panel that is not on screen at start-up
    costs nothing before the first paint. `add_later(build)` holds the page's place with an empty
    widget; `page(index)` (or making it current, however that happens) builds it once, in its place."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._builders: dict[QWidget, Callable[[], QWidget]] = {}
        self.currentChanged.connect(self.page)

    def add_later(self, build: Callable[[], QWidget]) -> int:
        placeholder = QWidget()
        self._builders[placeholder] = build
        return self.addWidget(placeholder)

    def page(self, index: int) -> QWidget:
        """The page at `index`, built now if it was waiting."""
        placeholder = self.widget(index)
        build = self._builders.pop(placeholder, None)
        if build is None:
            return placeholder
        shown = self.currentIndex() == index
        page = build()
        self.insertWidget(index, page)
        if shown:
            self.setCurrentIndex(index)
        self.removeWidget(placeholder)
        placeholder.deleteLater()
        return page
