"""After each sync, off the GUI thread: check the alert rules and summarize what changed.

New alerts go to the notifier one by one; the panel and the tray listen to the signals.
Organizations synced in the background ("sync all") are checked on their sync's thread; their
alerts arrive here to be notified under the organization's name. Budgets and rule settings are
written here too, so no widget writes to the cache.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from sqlalchemy import Engine

from a2v2_desktop.cache import watch_store
from a2v2_desktop.cache.watch_store import Alert, RuleSetting
from a2v2_desktop.insights.watch import Watched, titled, watch
from a2v2_desktop.ui.notifier import Notifier
from a2v2_desktop.ui.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrgAlerts:
    """New alerts of an organization that is not on screen."""

    profile: str
    organization: str  # untrusted text
    alerts: tuple[Alert, ...]


def write(engine: Engine, change: Callable, *args) -> None:
    with engine.begin() as connection:
        change(connection, *args)


class AlertWatcher(QObject):
    alertsChanged = Signal(object)  # the new alerts (possibly none): the list may have cleared entries too
    changesReady = Signal(object)  # ChangeSummary
    otherAlerts = Signal(object)  # OrgAlerts: fired in another organization's cache
    settingsSaved = Signal()

    def __init__(self, services: Services, notifier: Notifier, parent: QObject | None = None):
        super().__init__(parent)
        self.services, self.notifier = services, notifier
        services.sync.succeeded.connect(lambda _result: self.check(with_changes=True))
        services.sync.failed.connect(lambda _failure: self.check(with_changes=False))
        services.sync_all.organizationChecked.connect(self._other_checked)

    def check(self, with_changes: bool = False) -> None:
        """Evaluate the rules now (after a sync, or when the user asks)."""
        engine = self.services.engine
        if engine is None or self.services.read_only:  # checking records alerts: nothing is written read-only
            return
        now = int(self.services.clock())
        self.services.runner.submit(lambda: watch(engine, now, with_changes), self._checked, self._failed)

    def _checked(self, watched: Watched) -> None:
        if watched.changes is not None:
            self.changesReady.emit(watched.changes)
        for alert in watched.alerts:
            self.notifier.notify(alert.title, alert.detail)
        self.alertsChanged.emit(list(watched.alerts))

    def _other_checked(self, profile: str, watched: Watched) -> None:
        """A background-synced organization's new alerts, titled with its name."""
        if not watched.alerts:
            return
        org = self.services.settings.organization(profile)
        name = watched.organization or (org.name or org.api_url if org else profile)
        for alert in watched.alerts:
            self.notifier.notify(titled(alert.title, name), alert.detail)
        self.otherAlerts.emit(OrgAlerts(profile, name, watched.alerts))

    @staticmethod
    def _failed(error: Exception) -> None:
        log.warning("checking the alert rules failed: %s", error)

    def save_rule(self, setting: RuleSetting) -> None:
        self._write(watch_store.save_rule_setting, setting)

    def save_threshold(self, rule: str, threshold: int) -> None:
        """A rule's threshold changed outside the rules editor (the Billing panel's low balance)."""
        self._write(watch_store.save_rule_threshold, rule, threshold)

    def save_budget(self, subject: str, credits: int | None) -> None:
        self._write(watch_store.save_budget, subject, credits)

    def _write(self, change: Callable, *args) -> None:
        engine = self.services.engine
        if engine is not None and not self.services.read_only:
            self.services.runner.submit(lambda: write(engine, change, *args), lambda _none: self.settingsSaved.emit(),
                                        self._failed)
