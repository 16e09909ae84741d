"""What the window works with, built once by app.py: settings, the cache, credentials, sync, demo.

One object owns each resource and says when it changed (signals), so widgets never
open databases, read the keychain or start threads themselves.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from a2v2_desktop import keychain
from a2v2_desktop.api.endpoint import Credentials
from a2v2_desktop.cache import queries
from a2v2_desktop.cache.db import (
    Upgrader,
    back_up_and_rebuild,
    cache_url,
    open_cache_read_only,
    open_writable_cache,
    upgrade_here,
)
from a2v2_desktop.settings import DEFAULT_PROFILE, Organization, Settings, load_settings, save_settings
from a2v2_desktop.ui.cache_problem import CANCEL, Asker, open_or_ask
from a2v2_desktop.ui.sync_all import SyncAll
from a2v2_desktop.ui.workers import SyncSource, SyncWorker, TaskRunner, read

WELCOME, DEMO, ACCOUNT = "welcome", "demo", "account"
log = logging.getLogger(__name__)


class CredentialStore:
    """Each organization's API key and secret under its own keychain profile, or in memory for this
    session when the user chose so; one profile's secret is never returned for another."""

    def __init__(self, backend=keychain):
        self._backend = backend
        self._session: dict[str, Credentials] = {}

    def load(self, profile: str = DEFAULT_PROFILE) -> Credentials | None:
        """Environment first for the default profile (as the command line does), then this session's,
        then the keychain."""
        env = keychain.credentials_from_env() if profile == DEFAULT_PROFILE else None
        found = env or self._session.get(profile)
        if found is not None:
            return found
        try:
            return self._backend.load_credentials(profile)
        except keychain.KeychainUnavailable:
            return None

    def save(self, credentials: Credentials, session_only: bool = False, profile: str = DEFAULT_PROFILE) -> None:
        """Raises KeychainUnavailable when there is no keychain; the caller then offers session-only."""
        if session_only:
            self._session[profile] = credentials
            return
        self._backend.save_credentials(credentials, profile)
        self._session.pop(profile, None)

    def delete(self, profile: str = DEFAULT_PROFILE) -> None:
        self._session.pop(profile, None)
        try:
            self._backend.delete_credentials(profile)
        except keychain.KeychainUnavailable:
            pass


def sqlite_files(location: str) -> list[Path]:
    """The database file and its WAL companions, for a plain path or a sqlite URL."""
    url = make_url(cache_url(location))
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return []
    base = Path(url.database)
    return [base, base.with_name(base.name + "-wal"), base.with_name(base.name + "-shm")]


def cache_size(location: str) -> int:
    return sum(path.stat().st_size for path in sqlite_files(location) if path.exists())


def test_connection(api_url: str, credentials: Credentials) -> str:
    """The organization's name if the URL, key and secret work (raises ApiError otherwise). The API
    client (httpx, pydantic) is imported here, on the pool, so start-up never loads it."""
    from a2v2_desktop.api.client import ApiClient

    with ApiClient(api_url, credentials) as client:
        return client.organization().name


class SyncController(QObject):
    """Runs one SyncWorker at a time, on demand and on the user's interval."""

    started = Signal()
    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()

    def __init__(self, services: Services):
        super().__init__(services)
        self.services = services
        self.worker: SyncWorker | None = None
        self._settled = True
        self.timer = QTimer(self)  # Services connects it to "sync all"

    @property
    def busy(self) -> bool:
        """True until the outcome is announced (not until the thread object is gone), so the
        views that react to the outcome already see the sync as over."""
        return self.worker is not None and not self._settled

    def set_interval(self, minutes: int) -> None:
        """0 turns automatic sync off; so does a cache open read-only."""
        self.timer.stop()
        if minutes > 0 and not self.services.read_only:
            self.timer.start(minutes * 60_000)

    def start(self) -> bool:
        """Start a sync unless one runs or there is nothing to sync from."""
        source = self.services.sync_source()
        if self.busy or source is None or self.services.engine is None or self.services.read_only:
            return False
        if self.worker is not None:  # the last one announced its outcome; let its thread end
            self.worker.wait()
            self._finished()
        worker = SyncWorker(source, self.services.engine, self.services.clock, self)
        worker.progress.connect(self.progress)
        for outcome, relay in ((worker.succeeded, self.succeeded), (worker.failed, self.failed),
                               (worker.cancelled, self.cancelled)):
            outcome.connect(self._settle)  # connected first: runs before the relayed signal's slots
            outcome.connect(relay)
        worker.finished.connect(self._finished)
        self.worker, self._settled = worker, False
        worker.start()
        self.started.emit()
        return True

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def stop(self) -> None:
        """Cancel and wait: before the cache is swapped or the app quits."""
        worker = self.worker
        if worker is not None:
            worker.cancel()
            worker.wait()
            self._finished()

    def _settle(self, *_outcome) -> None:
        self._settled = True

    def _finished(self) -> None:
        if self.worker is not None and self.worker.isFinished():
            self.worker.deleteLater()
            self.worker = None


class Services(QObject):
    """Everything the window needs, with signals for what changes under it."""

    modeChanged = Signal(str)
    cacheReplaced = Signal()
    cacheRebuilt = Signal(object)  # the Path the unusable cache was moved to
    settingsChanged = Signal(object)
    statementsSaved = Signal(object)  # list of reports.statements.Statement

    def __init__(self, *, settings_path: Path | None, account_cache: str | None, demo_cache: str,
                 credentials: CredentialStore,
                 demo_factory: Callable[[], object], clock: Callable[[], float],
                 api_url_override: str | None = None, orgs_dir: Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.settings_path = settings_path
        self.settings: Settings = _with_api_url(load_settings(settings_path), api_url_override)
        self.account_cache, self.demo_cache, self.orgs_dir = account_cache, demo_cache, orgs_dir
        self.credentials = credentials
        self.demo_factory = demo_factory
        self.clock = clock
        self.runner = TaskRunner(self)
        self.sync = SyncController(self)
        self.sync_all = SyncAll(self)
        self.sync.timer.timeout.connect(self.sync_all.start)
        self.engine: Engine | None = None
        self.read_only: str | None = None  # why the cache is open read-only; None when it is writable
        self.ask_cache_problem: Asker | None = None  # the window's question when a cache is refused (app.build)
        self.upgrade_cache: Upgrader = upgrade_here  # app.build runs an upgrade behind a progress dialog
        self.demo_server = None
        self._demo_lock = threading.Lock()
        self.sync.set_interval(self.settings.sync_interval_minutes)
        self.sync.succeeded.connect(self._keep_statements)

    # -- where the data comes from ------------------------------------------------------

    @property
    def mode(self) -> str:
        if self.settings.demo_mode:
            return DEMO
        return ACCOUNT if self.settings.organization() is not None else WELCOME

    @property
    def account_cache_location(self) -> str:
        org = self.settings.organization()
        return self.organization_cache(org) if org else self.account_cache or self.settings.cache_location()

    def organization_cache(self, org: Organization) -> str:
        """An organization's own cache; the start-up override (--cache, tests) is the default profile's."""
        if org.profile == DEFAULT_PROFILE and self.account_cache:
            return self.account_cache
        return org.cache_location(self.orgs_dir)

    @property
    def cache_location(self) -> str:
        return self.demo_cache if self.mode == DEMO else self.account_cache_location

    def activate(self) -> None:
        """Open the cache for the current mode; raises CacheError. The demo's server starts with its
        first sync (`sync_source`), not here: generating the demo organization takes about a second,
        which the window would otherwise wait for before its first paint."""
        self._close()
        if self.mode != WELCOME:
            self.engine = open_writable_cache(self.cache_location, upgrade=self.upgrade_cache)
        self._opened()

    def activate_read_only(self, reason: str) -> None:
        """Show the current cache without writing it (no sync, no timer, no demo server); raises CacheError."""
        self._close()
        self.engine = open_cache_read_only(self.cache_location)
        self.read_only = reason
        self._opened()

    def rebuild_cache(self) -> None:
        """Move the unusable cache aside (the person chose so), open a fresh one and sync it; raises CacheError."""
        self._close()
        backup = back_up_and_rebuild(self.cache_location)
        self.activate()
        self.cacheRebuilt.emit(backup)
        self.sync.start()

    def _opened(self) -> None:
        self.sync.set_interval(self.settings.sync_interval_minutes)
        self.cacheReplaced.emit()
        self.modeChanged.emit(self.mode)

    def sync_source(self) -> SyncSource | None:
        if self.mode == DEMO:
            return self._demo_source()
        org = self.settings.organization() if self.mode == ACCOUNT else None
        return self.source_for(org) if org else None

    def _demo_source(self) -> SyncSource | None:
        """The demo's stand-in server, started by the first sync that needs it, on that sync's
        thread; none while the cache is closed or open read-only (nothing may be synced into it)."""
        if self.engine is None or self.read_only:
            return None
        from a2v2_desktop.standin.server import DEMO_API_KEY, DEMO_API_SECRET

        return SyncSource(self._demo_url, Credentials(DEMO_API_KEY, DEMO_API_SECRET))

    def _demo_url(self) -> str:
        """Called on a sync's thread; the GUI thread stops the server only after that sync has ended."""
        with self._demo_lock:
            if self.demo_server is None:
                self.demo_server = self.demo_factory()
            return self.demo_server.base_url

    def source_for(self, org: Organization) -> SyncSource | None:
        """An organization's URL with its own profile's key and secret (None when none are stored)."""
        credentials = self.credentials.load(org.profile)
        return SyncSource(org.api_url, credentials) if credentials else None

    def start_demo(self) -> None:
        self._switch(demo_mode=True)

    def new_profile(self) -> str:
        """The keychain profile for an organization being added: the default one while it is free
        (the command line syncs it), else a fresh random name."""
        if self.settings.organization(DEFAULT_PROFILE) is None:
            return DEFAULT_PROFILE
        return f"org-{secrets.token_hex(6)}"

    def add_organization(self, org: Organization) -> None:
        """After its credentials were saved under its profile: add the organization and show it."""
        self.save_organization(org)
        self.use_organization(org.profile)

    def use_organization(self, profile: str) -> None:
        """Show another organization (or leave the demo): every panel reloads from its cache only."""
        self._switch(active_organization=profile, demo_mode=False)

    def save_organization(self, org: Organization) -> None:
        """Add an organization or change its name or URL, without switching to it."""
        self._store(self.settings.with_organization(org))

    def remove_account(self, clear_cache: bool) -> None:
        """Remove the active organization (the Settings panel's button)."""
        self.remove_organization(self.settings.active_organization, clear_cache)

    def remove_organization(self, profile: str, clear_cache: bool) -> None:
        """Forget an organization's key and secret (and optionally its cache); the next one, the demo
        or the welcome page is shown if it was the one on screen."""
        org = self.settings.organization(profile)
        if org is None:
            return
        location = self.organization_cache(org)
        shown = self.mode == ACCOUNT and profile == self.settings.active_organization
        self.sync_all.stop()
        self.credentials.delete(profile)
        if shown:
            self.sync.stop()
            self._close()
        self._store(self.settings.without_organization(profile))
        if clear_cache:
            _delete_files(location)
        if shown:  # the next one's cache may be refused too: ask, as on any switch
            open_or_ask(self, self.ask_cache_problem, CANCEL)
            self.sync.start()

    def _switch(self, **changes) -> None:
        self.sync_all.stop()  # a background sync must not write the cache that is about to be shown
        self.sync.stop()
        previous, reason = self.settings, self.read_only
        self.update_settings(**changes)
        if not open_or_ask(self, self.ask_cache_problem, CANCEL):  # Cancel: stay where we were
            self._store(previous)
            self._reopen(reason)
        self.sync.start()

    def _reopen(self, read_only: str | None) -> None:
        """The cache shown before a switch the person cancelled, as it was opened then."""
        if read_only:
            self.activate_read_only(read_only)
        else:
            self.activate()

    def clear_cache(self) -> None:
        """Delete the current cache and start again from an empty one (history the platform
        no longer serves is lost: the caller asks first)."""
        self._close()
        _delete_files(self.cache_location)
        self.activate()
        self.sync.start()

    def _close(self) -> None:
        self.sync.stop()
        self.runner.wait()
        self.read_only = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        with self._demo_lock:
            if self.demo_server is not None:
                self.demo_server.stop()
                self.demo_server = None

    def shutdown(self) -> None:
        self.sync.timer.stop()
        self.sync_all.stop()
        self._close()

    # -- settings ---------------------------------------------------------------------------

    def update_settings(self, **changes) -> None:
        self._store(replace(self.settings, **changes))

    def _store(self, settings: Settings) -> None:
        """Save, follow a changed interval, and tell the views."""
        interval_changed = settings.sync_interval_minutes != self.settings.sync_interval_minutes
        self.settings = settings
        save_settings(settings, self.settings_path)
        if interval_changed:
            self.sync.set_interval(settings.sync_interval_minutes)
        self.settingsChanged.emit(settings)

    # -- reads off the GUI thread -----------------------------------------------------------

    def query(self, query: Callable, *args, on_done: Callable, on_error: Callable | None = None) -> int | None:
        """Run a cache read on the pool; None (and no callback) when no cache is open."""
        engine = self.engine
        if engine is None:
            return None
        return self.runner.submit(lambda: read(engine, query, *args), on_done, on_error)

    def last_sync(self, on_done: Callable[[int | None], None]) -> None:
        self.query(queries.last_successful_sync, on_done=on_done)

    def _keep_statements(self, _result) -> None:
        """After a sync: a billing period that closed gets its statement (PDF + JSON), on the pool."""
        engine, location, demo, now = self.engine, self.cache_location, self.mode == DEMO, int(self.clock())
        if engine is not None:
            self.runner.submit(lambda: _save_statements(engine, location, now, demo),
                               self.statementsSaved.emit, lambda error: log.warning("statement not saved: %s", error))


def _save_statements(engine: Engine, location: str, now: int, demo: bool) -> list:
    """On the pool: the reports (and what they import) load after a sync, never at start-up."""
    from a2v2_desktop.reports.statements import save_closed_period_statements

    return save_closed_period_statements(engine, location, now=now, demo=demo)


def _with_api_url(settings: Settings, api_url: str | None) -> Settings:
    """--api-url (or A2V2_API_URL) stands for the default profile's URL, as it does for the command line."""
    if not api_url:
        return settings
    org = settings.organization(DEFAULT_PROFILE)
    return settings.with_organization(replace(org, api_url=api_url)) if org else replace(settings, api_url=api_url)


def _delete_files(location: str) -> None:
    for path in sqlite_files(location):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
