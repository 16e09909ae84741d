"""Work off the GUI thread: cache reads and connection tests on a pool, the sync on its own QThread.

Workers never touch widgets. Results come back by queued signal as plain Python
objects (`Signal(object)`: credits overflow a 32-bit int), and callers decide whether
a result is still wanted. The API client and the sync engine (httpx, pydantic) are imported
on the sync's thread when it first runs, so opening the window never pays for them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot
from sqlalchemy import Engine

from a2v2_desktop.api.endpoint import Credentials
from a2v2_desktop.api.errors import AuthenticationError, Cancelled, NetworkError


def read(engine: Engine, query: Callable, *args: Any) -> Any:
    """Run `query(connection, *args)` in a short read connection of its own."""
    with engine.connect() as connection:
        return query(connection, *args)


class _Job(QRunnable):
    def __init__(self, runner: TaskRunner, ticket: int, call: Callable[[], Any]):
        super().__init__()
        self.runner, self.ticket, self.call = runner, ticket, call

    def run(self) -> None:
        try:
            result, error = self.call(), None
        except Exception as problem:  # handed to the caller's on_error, never lost
            result, error = None, problem
        self.runner.delivered.emit(self.ticket, result, error)


class TaskRunner(QObject):
    """A small thread pool whose results come back on the GUI thread through callbacks."""

    delivered = Signal(int, object, object)  # ticket, result, exception

    def __init__(self, parent: QObject | None = None, threads: int = 2):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._next = 0
        self._callbacks: dict[int, tuple[Callable, Callable | None]] = {}
        self._waiting: list[tuple[int, Callable[[], None]]] = []  # (last ticket to wait for, call)
        self.delivered.connect(self._deliver)

    def submit(self, call: Callable[[], Any], on_done: Callable[[Any], None],
               on_error: Callable[[Exception], None] | None = None) -> int:
        """Run `call()` on the pool; `on_done(result)` or `on_error(exception)` runs on the GUI thread."""
        self._next += 1
        self._callbacks[self._next] = (on_done, on_error)
        self._pool.start(_Job(self, self._next, call))
        return self._next

    @Slot(int, object, object)
    def _deliver(self, ticket: int, result: Any, error: Exception | None) -> None:
        on_done, on_error = self._callbacks.pop(ticket)
        if error is None:
            on_done(result)
        elif on_error is not None:
            on_error(error)
        self._call_answered()

    def when_answered(self, call: Callable[[], None]) -> None:
        """`call()` on the GUI thread once every job submitted so far has answered (at once if none is
        running); jobs submitted later are not waited for. Start-up runs the first sync so, after the
        window's first reads instead of beside them."""
        self._waiting.append((self._next, call))
        self._call_answered()

    def _call_answered(self) -> None:
        oldest = min(self._callbacks, default=self._next + 1)
        ready = [call for last, call in self._waiting if last < oldest]
        self._waiting = [(last, call) for last, call in self._waiting if last >= oldest]
        for call in ready:
            call()

    def wait(self, msecs: int = 5000) -> bool:
        """Let running jobs finish (shutdown, tests)."""
        return self._pool.waitForDone(msecs)

    def idle(self) -> bool:
        return not self._callbacks


@dataclass(frozen=True)
class SyncSource:
    """Where to sync from: an API URL, or what finds it on the sync's own thread (the demo's
    stand-in, whose generation would otherwise freeze the window), and the credentials for it."""

    api_url: str | Callable[[], str]
    credentials: Credentials

    def url(self) -> str:
        return self.api_url() if callable(self.api_url) else self.api_url


@dataclass(frozen=True)
class SyncFailure:
    """What failed, in words a person can act on; `kind` picks the status line's wording."""

    kind: str  # offline, auth, other
    message: str


def describe_failure(error: BaseException) -> SyncFailure:
    """SyncError wraps the API error: its cause says whether we are offline or the key was refused."""
    cause = error.__cause__ or error
    if isinstance(cause, NetworkError):
        return SyncFailure("offline", str(error))
    if isinstance(cause, AuthenticationError):
        return SyncFailure("auth", str(error))
    return SyncFailure("other", str(error) or type(error).__name__)


class SyncWorker(QThread):
    """One sync through the real SyncEngine; emits progress, then exactly one of the outcomes."""

    progress = Signal(object)  # SyncProgress
    succeeded = Signal(object)  # SyncResult
    failed = Signal(object)  # SyncFailure
    cancelled = Signal()

    def __init__(self, source: SyncSource, engine: Engine, clock: Callable[[], float] = time.time,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.source, self.engine, self.clock = source, engine, clock  # the app's clock stamps the sync run
        self.cancel_event = threading.Event()

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:
        try:
            from a2v2_desktop.api.client import ApiClient
            from a2v2_desktop.sync.engine import SyncEngine

            with ApiClient(self.source.url(), self.source.credentials, cancel=self.cancel_event) as client:
                engine = SyncEngine(client, self.engine, progress=self.progress.emit, cancel=self.cancel_event,
                                    clock=self.clock)
                result = engine.run()
        except Cancelled:
            self.cancelled.emit()
        except Exception as error:  # every failure becomes a message; the cache keeps what was synced
            self.failed.emit(describe_failure(error))
        else:
            self.succeeded.emit(result)
