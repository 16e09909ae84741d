"""Sync every organization, one after another, through the same SyncEngine path as "Sync now".

The organization on screen syncs through the Services' SyncController, so its panels refresh
as usual; the others sync in the background into their own caches, each with its own
profile's key and secret. Each background sync, succeeded or failed, is followed on its thread
by the same alert check as the shown organization's, so no organization runs away unwatched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.insights.watch import watch
from a2v2_desktop.ui.workers import SyncFailure, SyncSource, SyncWorker, describe_failure

if TYPE_CHECKING:
    from a2v2_desktop.ui.services import Services

log = logging.getLogger(__name__)
NO_CREDENTIALS = SyncFailure("auth", "No API key and secret are stored for this organization on this computer.")


class OrgSyncWorker(SyncWorker):
    """A SyncWorker that opens another organization's cache on its own thread, checks its alert rules
    after the sync and closes it; `checked` comes before `finished`."""

    checked = Signal(object)  # insights.watch.Watched

    def __init__(self, source: SyncSource, location: str, clock: Callable[[], float], parent: QObject | None = None):
        super().__init__(source, None, clock, parent)
        self.location = location

    def run(self) -> None:
        try:
            self.engine = open_cache(self.location)
        except Exception as error:  # a foreign or newer cache: that organization fails, the others go on
            self.failed.emit(describe_failure(error))
            return
        try:
            super().run()
            if not self.cancel_event.is_set():
                self._check()
        finally:
            self.engine.dispose()

    def _check(self) -> None:
        try:
            self.checked.emit(watch(self.engine, int(self.clock())))
        except Exception as error:  # the sync's outcome still counts; the next sync checks again
            log.warning("checking the alert rules of %s failed: %s", self.location, error)


class SyncAll(QObject):
    """The shown organization first, then every other one; a second request while it runs is ignored."""

    started = Signal()
    organizationSynced = Signal(str, object)  # profile, SyncResult or SyncFailure (None: cancelled)
    organizationChecked = Signal(str, object)  # profile, Watched: a background organization's alert check
    finished = Signal()

    def __init__(self, services: Services):
        super().__init__(services)
        self.services = services
        self.queue: list[str] = []
        self.worker: OrgSyncWorker | None = None
        self.running = False
        self._awaiting_shown = False
        sync = services.sync
        sync.succeeded.connect(self._shown_done)
        sync.failed.connect(self._shown_done)
        sync.cancelled.connect(lambda: self._shown_done(None))

    def start(self) -> bool:
        """Queue every organization; False when a "sync all" already runs or there is nothing to sync."""
        services = self.services
        if self.running:
            return False
        shown = None if services.settings.demo_mode else services.settings.active_organization
        self.queue = [org.profile for org in services.settings.organizations if org.profile != shown]
        self._awaiting_shown = services.sync.start()
        if not self._awaiting_shown and not self.queue:
            return False
        self.running = True
        self.started.emit()
        if not self._awaiting_shown:
            self._next()
        return True

    def stop(self) -> None:
        """Drop what is queued and cancel the background sync (what it committed is kept)."""
        self.queue.clear()
        self._awaiting_shown = False
        worker = self.worker
        if worker is not None:
            worker.cancel()
            worker.wait()
            self._worker_ended(worker)
        self._end()

    def _shown_done(self, outcome) -> None:
        if self._awaiting_shown:
            self._awaiting_shown = False
            self.organizationSynced.emit(self.services.settings.active_organization, outcome)
            self._next()

    def _next(self) -> None:
        """Start the next queued organization that is still connected; the end when none is left."""
        while self.queue:
            org = self.services.settings.organization(self.queue.pop(0))
            if org is None:
                continue
            source = self.services.source_for(org)
            if source is None:
                self.organizationSynced.emit(org.profile, NO_CREDENTIALS)
                continue
            self._start_worker(org.profile, source, self.services.organization_cache(org))
            return
        self._end()

    def _start_worker(self, profile: str, source: SyncSource, location: str) -> None:
        """The outcome is announced when the thread ends, after the alert check, so whoever reads the
        cache on `organizationSynced` (the overview) sees the alerts too."""
        worker = OrgSyncWorker(source, location, self.services.clock, self)
        outcome: list = []
        worker.succeeded.connect(outcome.append)
        worker.failed.connect(outcome.append)
        worker.cancelled.connect(lambda: outcome.append(None))
        worker.checked.connect(lambda watched: self.organizationChecked.emit(profile, watched))
        worker.finished.connect(lambda: self._announce(worker, profile, outcome))
        self.worker = worker
        worker.start()

    def _announce(self, worker: OrgSyncWorker, profile: str, outcome: list) -> None:
        self.organizationSynced.emit(profile, outcome[0] if outcome else None)
        self._worker_ended(worker, then_next=True)

    def _worker_ended(self, worker: OrgSyncWorker, then_next: bool = False) -> None:
        if self.worker is worker:
            self.worker = None
            worker.deleteLater()
            if then_next and self.running:
                self._next()

    def _end(self) -> None:
        if self.running:
            self.running = False
            self.finished.emit()
