"""The status area: always says where the data stands, and shows a running sync with Cancel."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QSizePolicy, QWidget

from a2v2_desktop.insights import text
from a2v2_desktop.ui.services import DEMO, WELCOME, Services
from a2v2_desktop.ui.widgets import plain_label, plain_tooltip
from a2v2_desktop.ui.workers import SyncFailure


class StatusArea(QWidget):
    """Synced N ago / Syncing usage… N records / Offline — showing data cached on … / Rate limited — …"""

    def __init__(self, services: Services, parent: QWidget | None = None):
        super().__init__(parent)
        self.services = services
        self.last_ok: int | None = None
        self.failure: SyncFailure | None = None
        self._wait: tuple[str, float] | None = None  # reason, monotonic deadline
        self.badge = plain_label("Demo data", "Badge")
        self.badge.setToolTip("Figures come from a generated demo organization, not from your account.")
        self.message = plain_label("", "StatusMessage")
        self.message.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setFixedWidth(140)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the sync (Esc); everything synced so far is kept")
        self.cancel_button.clicked.connect(services.sync.cancel)
        self._layout()
        self._connect()
        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self._tick)
        self.ticker.start()
        self._show_busy(False)
        self.reload()

    def _layout(self) -> None:
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 0, 6, 0)
        row.addWidget(self.badge)
        row.addWidget(self.message, 1)
        row.addWidget(self.bar)
        row.addWidget(self.cancel_button)

    def _connect(self) -> None:
        sync = self.services.sync
        sync.started.connect(self._started)
        sync.progress.connect(self._progress)
        sync.succeeded.connect(lambda _result: self._ended(None))
        sync.failed.connect(self._ended)
        sync.cancelled.connect(lambda: self._ended(None))
        self.services.modeChanged.connect(lambda _mode: self.reload())

    def reload(self) -> None:
        """Read when the last good sync finished (from the cache, off the GUI thread)."""
        self.badge.setVisible(self.services.mode == DEMO)
        self.last_ok = None
        self.services.last_sync(self._loaded)
        self._render()

    def _loaded(self, last_ok: int | None) -> None:
        self.last_ok = last_ok
        self._render()

    def _started(self) -> None:
        self.failure, self._wait = None, None
        self._show_busy(True)
        self._set_message("Syncing…")

    def _progress(self, progress) -> None:
        if progress.waiting_reason:
            self._wait = (progress.waiting_reason, time.monotonic() + (progress.waiting_seconds or 0))
        else:
            self._wait = None
            speed = progress.speed_text()  # records per second and time left, once a feed has pages
            message = text.progress_text(progress.stage, progress.stage_records)
            self._set_message(f"{message} · {speed}" if speed else message)
        self._tick()

    def _ended(self, failure: SyncFailure | None) -> None:
        self.failure, self._wait = failure, None
        self._show_busy(False)
        self.reload()

    def _tick(self) -> None:
        if self._wait is not None:
            reason, deadline = self._wait
            self._set_message(text.waiting_text(reason, math.ceil(max(0.0, deadline - time.monotonic()))))
        elif not self.services.sync.busy:
            self._render()

    def _render(self) -> None:
        if self.services.sync.busy:
            return
        if self.services.mode == WELCOME:
            self._set_message("Not connected")
        elif self.failure is not None:
            self._set_message(text.failure_text(self.failure.kind, self.failure.message, self.last_ok),
                              self.failure.message)
        else:
            self._set_message(text.synced_text(self.last_ok, int(self.services.clock())))

    def _set_message(self, content: str, details: str = "") -> None:
        self.message.setText(content)
        self.message.setToolTip(plain_tooltip(details or content))

    def _show_busy(self, busy: bool) -> None:
        self.bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
