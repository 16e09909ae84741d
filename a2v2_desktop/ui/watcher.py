"""After each sync, off the GUI thread: check the alert rules and summarize what changed.

New alerts go to the notifier one by one; the panel and the tray listen to the signals.
Budgets and rule settings are written here too, so no widget writes to the cache.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from sqlalchemy import Engine

from a2v2_desktop.cache import watch_store
from a2v2_desktop.cache.watch_store import RuleSetting
from a2v2_desktop.insights.alerts import check_alerts
from a2v2_desktop.insights.changes import ChangeSummary, check_changes
from a2v2_desktop.ui.notifier import Notifier
from a2v2_desktop.ui.services import Services

log = logging.getLogger(__name__)


def watch(engine: Engine, now: int, with_changes: bool) -> tuple[list, ChangeSummary | None]:
    """The new alerts, and the summary of the sync when it succeeded."""
    summary = check_changes(engine, now) if with_changes else None
    return check_alerts(engine, now), summary


def write(engine: Engine, change: Callable, *args) -> None:
    with engine.begin() as connection:
        change(connection, *args)


class AlertWatcher(QObject):
    alertsChanged = Signal(object)  # the new alerts (possibly none): the list may have cleared entries too
    changesReady = Signal(object)  # ChangeSummary
    settingsSaved = Signal()

    def __init__(self, services: Services, notifier: Notifier, parent: QObject | None = None):
        super().__init__(parent)
        self.services, self.notifier = services, notifier
        services.sync.succeeded.connect(lambda _result: self.check(with_changes=True))
        services.sync.failed.connect(lambda _failure: self.check(with_changes=False))

    def check(self, with_changes: bool = False) -> None:
        """Evaluate the rules now (after a sync, or when the user asks)."""
        engine = self.services.engine
        if engine is None:
            return
        now = int(self.services.clock())
        self.services.runner.submit(lambda: watch(engine, now, with_changes), self._checked, self._failed)

    def _checked(self, outcome: tuple[list, ChangeSummary | None]) -> None:
        fired, summary = outcome
        if summary is not None:
            self.changesReady.emit(summary)
        for alert in fired:
            self.notifier.notify(alert.title, alert.detail)
        self.alertsChanged.emit(fired)

    @staticmethod
    def _failed(error: Exception) -> None:
        log.warning("checking the alert rules failed: %s", error)

    def save_rule(self, setting: RuleSetting) -> None:
        self._write(watch_store.save_rule_setting, setting)

    def save_budget(self, subject: str, credits: int | None) -> None:
        self._write(watch_store.save_budget, subject, credits)

    def _write(self, change: Callable, *args) -> None:
        engine = self.services.engine
        if engine is not None:
            self.services.runner.submit(lambda: write(engine, change, *args), lambda _none: self.settingsSaved.emit(),
                                        self._failed)
