"""What the window works with, built once by app.py: settings, the cache, credentials, sync, demo.

One object owns each resource and says when it changed (signals), so widgets never
open databases, read the keychain or start threads themselves.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from a2v2_desktop import keychain
from a2v2_desktop.api.client import ApiClient, Credentials
from a2v2_desktop.cache import queries
from a2v2_desktop.cache.db import cache_url, open_cache
from a2v2_desktop.settings import Settings, load_settings, save_settings
from a2v2_desktop.ui.workers import SyncSource, SyncWorker, TaskRunner, read

WELCOME, DEMO, ACCOUNT = "welcome", "demo", "account"


class CredentialStore:
    """The API key and secret: the OS keychain, or memory for this session when the user chose so."""

    def __init__(self, backend=keychain):
        self._backend = backend
        self._session: Credentials | None = None

    def load(self) -> Credentials | None:
        """Environment first (as the command line does), then this session's, then the keychain."""
        found = keychain.credentials_from_env() or self._session
        if found is not None:
            return found
        try:
            return self._backend.load_credentials()
        except keychain.KeychainUnavailable:
            return None

    def save(self, credentials: Credentials, session_only: bool = False) -> None:
        """Raises KeychainUnavailable when there is no keychain; the caller then offers session-only."""
        if session_only:
            self._session = credentials
            return
        self._backend.save_credentials(credentials)
        self._session = None

    def delete(self) -> None:
        self._session = None
        try:
            self._backend.delete_credentials()
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
    """The organization's name if the URL, key and secret work (raises ApiError otherwise)."""
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
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.start)

    @property
    def busy(self) -> bool:
        """True until the outcome is announced (not until the thread object is gone), so the
        views that react to the outcome already see the sync as over."""
        return self.worker is not None and not self._settled

    def set_interval(self, minutes: int) -> None:
        """0 turns automatic sync off."""
        self.timer.stop()
        if minutes > 0:
            self.timer.start(minutes * 60_000)

    def start(self) -> bool:
        """Start a sync unless one runs or there is nothing to sync from."""
        source = self.services.sync_source()
        if self.busy or source is None or self.services.engine is None:
            return False
        if self.worker is not None:  # the last one announced its outcome; let its thread end
            self.worker.wait()
            self._finished()
        worker = SyncWorker(source, self.services.engine, self)
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
    settingsChanged = Signal(object)

    def __init__(self, *, settings_path: Path | None, account_cache: str | None, demo_cache: str,
                 credentials: CredentialStore,
                 demo_factory: Callable[[], object], clock: Callable[[], float],
                 api_url_override: str | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.settings_path = settings_path
        self.settings: Settings = load_settings(settings_path)
        if api_url_override:
            self.settings = replace(self.settings, api_url=api_url_override)
        self.account_cache, self.demo_cache = account_cache, demo_cache
        self.credentials = credentials
        self.demo_factory = demo_factory
        self.clock = clock
        self.runner = TaskRunner(self)
        self.sync = SyncController(self)
        self.engine: Engine | None = None
        self.demo_server = None
        self.sync.set_interval(self.settings.sync_interval_minutes)

    # -- where the data comes from ------------------------------------------------------

    @property
    def mode(self) -> str:
        if self.settings.demo_mode:
            return DEMO
        return ACCOUNT if self.settings.account_configured else WELCOME

    @property
    def account_cache_location(self) -> str:
        return self.account_cache or self.settings.cache_location()

    @property
    def cache_location(self) -> str:
        return self.demo_cache if self.mode == DEMO else self.account_cache_location

    def activate(self) -> None:
        """Open the cache (and the demo server) for the current mode; raises CacheError."""
        self._close()
        if self.mode == DEMO:
            self.demo_server = self.demo_factory()
        if self.mode != WELCOME:
            self.engine, _sessions = open_cache(self.cache_location)
        self.cacheReplaced.emit()
        self.modeChanged.emit(self.mode)

    def sync_source(self) -> SyncSource | None:
        if self.mode == DEMO and self.demo_server is not None:
            from a2v2_desktop.standin.server import DEMO_API_KEY, DEMO_API_SECRET

            return SyncSource(self.demo_server.base_url, Credentials(DEMO_API_KEY, DEMO_API_SECRET))
        credentials = self.credentials.load() if self.mode == ACCOUNT else None
        return SyncSource(self.settings.api_url, credentials) if credentials else None

    def start_demo(self) -> None:
        self._switch(demo_mode=True)

    def use_account(self, api_url: str) -> None:
        """After the credentials were saved: sync the organization instead of the demo."""
        self._switch(api_url=api_url, account_configured=True, demo_mode=False)

    def remove_account(self, clear_cache: bool) -> None:
        """Forget the key and secret (and optionally the account's cache); back to the welcome page."""
        self.credentials.delete()
        self._switch(account_configured=False, demo_mode=False)
        if clear_cache:
            _delete_files(self.account_cache_location)

    def _switch(self, **changes) -> None:
        self.sync.stop()
        self.update_settings(**changes)
        self.activate()
        self.sync.start()

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
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        if self.demo_server is not None:
            self.demo_server.stop()
            self.demo_server = None

    def shutdown(self) -> None:
        self.sync.timer.stop()
        self._close()

    # -- settings ---------------------------------------------------------------------------

    def update_settings(self, **changes) -> None:
        self.settings = replace(self.settings, **changes)
        save_settings(self.settings, self.settings_path)
        if "sync_interval_minutes" in changes:
            self.sync.set_interval(self.settings.sync_interval_minutes)
        self.settingsChanged.emit(self.settings)

    # -- reads off the GUI thread -----------------------------------------------------------

    def query(self, query: Callable, *args, on_done: Callable, on_error: Callable | None = None) -> int | None:
        """Run a cache read on the pool; None (and no callback) when no cache is open."""
        engine = self.engine
        if engine is None:
            return None
        return self.runner.submit(lambda: read(engine, query, *args), on_done, on_error)

    def last_sync(self, on_done: Callable[[int | None], None]) -> None:
        self.query(queries.last_successful_sync, on_done=on_done)


def _delete_files(location: str) -> None:
    for path in sqlite_files(location):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
