"""A chart built just after the window's first paint.

pyqtgraph and numpy take longer to import (about 0.6 s) than everything else the first
paint needs, so a panel shows its cards and tables first and its chart on the turn of the
event loop after the first paint that had something to draw (before that, the import would
only compete with the panel's first query). Drawing calls made before then are kept, in
order, and replayed on the chart; anything that reads from the chart builds it at once.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

LATEST_MS = 250  # after the first drawing call, whether or not a paint came


def _kept_until_built(name: str):
    def call(self: DeferredChart, *args) -> None:
        self._call(name, args)

    call.__name__ = name
    return call


class DeferredChart(QWidget):
    """Stands in for the widget `build()` makes, and holds it once made (`chart()`)."""

    show_series = _kept_until_built("show_series")
    set_measure = _kept_until_built("set_measure")
    set_compare = _kept_until_built("set_compare")
    set_colors = _kept_until_built("set_colors")

    def __init__(self, build: Callable[[], QWidget], parent: QWidget | None = None):
        super().__init__(parent)
        self._build = build
        self._built: QWidget | None = None
        self._calls: list[tuple[str, tuple]] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    @property
    def built(self) -> bool:
        return self._built is not None

    def chart(self) -> QWidget:
        if self._built is None:
            self._built = self._build()
            self._layout.addWidget(self._built)
            for name, args in self._calls:
                getattr(self._built, name)(*args)
            self._calls.clear()
        return self._built

    def _call(self, name: str, args: tuple) -> None:
        if self._built is None:
            if not self._calls:  # in case no paint comes (hidden, or no room): built a moment later anyway
                QTimer.singleShot(LATEST_MS, self, self.chart)
            self._calls.append((name, args))
        else:
            getattr(self._built, name)(*args)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Painted with something to draw: build the chart on the next turn of the event loop."""
        super().paintEvent(event)
        if self._built is None and self._calls:
            QTimer.singleShot(0, self, self.chart)

    def __getattr__(self, name: str):
        """Anything else is the chart's (tests and hovers read it): built now if need be."""
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.chart(), name)
