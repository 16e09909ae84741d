"""Python's cycle collector, run on the GUI thread only.

CPython collects reference cycles in whichever thread crosses its allocation threshold, and
the sync's thread and the pool's workers allocate the most. A Qt object caught in a cycle would
then be destroyed off the GUI thread, which Qt does not survive. So automatic collection is
turned off and a GUI-thread timer does the same generational work (calibre's and pyqtgraph's
remedy for the same crash).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

INTERVAL_MS = 1000
NAME = "gui-thread-collector"


def collect_due() -> int | None:
    """Collect the oldest generation whose count is past its threshold, as the automatic collector
    would have; the generation collected, or None."""
    due = None
    for generation, (count, threshold) in enumerate(zip(gc.get_count(), gc.get_threshold())):
        if count <= threshold:
            break
        due = generation
    if due is not None:
        gc.collect(due)
    return due


class GuiThreadCollector(QObject):
    """Owns the timer; lives as long as the application."""

    def __init__(self, app: QCoreApplication):
        super().__init__(app)
        self.setObjectName(NAME)
        self.timer = QTimer(self)
        self.timer.timeout.connect(collect_due)
        self.timer.start(INTERVAL_MS)
        gc.disable()


def install_collector(app: QCoreApplication) -> GuiThreadCollector:
    """The application's collector, made on the first call."""
    return app.findChild(GuiThreadCollector, NAME) or GuiThreadCollector(app)
