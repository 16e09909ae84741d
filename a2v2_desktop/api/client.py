"""HTTP client for the platform API.

Adds the key and secret headers, retries what the contract says to retry (429 and
503 after Retry-After; other 5xx, cut connections and unreadable bodies with
exponential backoff and full jitter), slows down before the rate limit is hit, and
returns validated, typed records.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from a2v2_desktop import __version__
from a2v2_desktop.api import records as rec
from a2v2_desktop.api.errors import (
    ApiError,
    AuthenticationError,
    Cancelled,
    CursorExpired,
    NetworkError,
    RequestError,
    ServerError,
    UnsafeUrlError,
)

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.a2v2.ai/v1/open"
MAX_PAGE = 5000

WaitCallback = Callable[[str, float], None]


@dataclass(frozen=True)
class Credentials:
    api_key: str
    api_secret: str = field(repr=False)


@dataclass
class RetryPolicy:
    attempts: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    # Below this many requests left in the window, wait for the window to reset.
    slow_down_below: int = 2


def check_api_url(url: str) -> str:
    """Refuse plain http except to this machine, so the secret never crosses a network in clear."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrlError(f"Not an API URL: {url!r} (expected https://host/path).")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise UnsafeUrlError(f"Refusing unencrypted http:// to {parts.hostname}: use https://, or a loopback address.")
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _error_message(response: httpx.Response) -> str:
    """The server's own message from an error body, if it sent a readable one."""
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return response.reason_phrase or "no message"
    return str(message)[:500]


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0


class ApiClient:
    """A synchronous client; one per sync, used from one thread."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        cancel: threading.Event | None = None,
        on_wait: WaitCallback | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = check_api_url(base_url)
        self.retry = retry or RetryPolicy()
        self.cancel = cancel or threading.Event()
        self.on_wait = on_wait
        self._random = random.Random()
        self._pause_until = 0.0
        # (requests per window, requests left in it) from the last answer: sync estimates include the wait.
        self.rate_limit: tuple[int, int] | None = None
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                "X-API-Key": credentials.api_key,
                "X-API-Secret": credentials.api_secret,
                "Accept": "application/json",
                "Accept-Encoding": "gzip",
                "User-Agent": f"A2V2-Desktop/{__version__}",
            },
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- endpoints -------------------------------------------------------------

    def organization(self) -> rec.Organization:
        return rec.validate(rec.Organization, self._get_json("/organization"), "/organization")

    def billing(self) -> rec.BillingSnapshot:
        return rec.validate(rec.BillingSnapshot, self._get_json("/billing"), "/billing")

    def agents(self) -> list[rec.Agent]:
        return self._list("/agents", rec.Agent)

    def members(self) -> list[rec.Member]:
        return self._list("/members", rec.Member)

    def feed_page(self, feed: str, after_seq: int, limit: int = MAX_PAGE) -> tuple[list[rec.FeedRecord], bool, int]:
        """One page of a feed: (records, has_more, next_after_seq). Raises CursorExpired on 410."""
        return self._get_json(f"/feeds/{feed}", {"after_seq": after_seq, "limit": limit},
                              decode=lambda body: rec.parse_feed_page(feed, body, after_seq))

    def _list(self, path: str, model: type[rec.Record]) -> list:
        page = rec.validate(rec.ListPage, self._get_json(path), path)
        return rec.validate_many(model, page.data, path)

    # -- transport -------------------------------------------------------------

    def _get_json(self, path: str, params: dict[str, Any] | None = None,
                  decode: Callable[[bytes], Any] = json.loads) -> Any:
        """GET with the contract's retry rules; returns decode(body), retrying a body that is not JSON."""
        last_problem = "no attempt made"
        for attempt in range(self.retry.attempts):
            self._wait_for_rate_window()
            try:
                response = self._http.get(path, params=params)
            except httpx.TransportError as error:
                last_problem = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
                log.warning("GET %s: %s", path, last_problem)
                self._backoff(attempt, f"Connection problem on {path}")
                continue
            self._note_rate_headers(response)
            status = response.status_code
            if status == 200:
                try:
                    return decode(response.content)
                except rec.InvalidRecordError:
                    raise
                except ValueError:
                    last_problem = "the answer was not valid JSON"
                    self._backoff(attempt, f"Unreadable answer from {path}")
                    continue
            if status in (429, 503):
                last_problem = f"HTTP {status}: {_error_message(response)}"
                reason = "Rate limited" if status == 429 else "Server under maintenance"
                self._sleep(_retry_after(response), reason)
                continue
            if status >= 500:
                last_problem = f"HTTP {status}: {_error_message(response)}"
                self._backoff(attempt, f"Server error on {path}")
                continue
            self._raise_for_client_error(path, response)
        raise self._gave_up(path, last_problem)

    def _gave_up(self, path: str, problem: str) -> ApiError:
        where = f"{urlsplit(self.base_url).netloc}{urlsplit(self.base_url).path}{path}"
        text = f"{where} failed {self.retry.attempts} times in a row ({problem})"
        if problem.startswith("HTTP") or "JSON" in problem:
            return ServerError(f"The server keeps failing: {text}. Try again later.")
        return NetworkError(f"Cannot reach the server: {text}. Check your network connection.")

    @staticmethod
    def _raise_for_client_error(path: str, response: httpx.Response) -> None:
        status, message = response.status_code, _error_message(response)
        if status == 401:
            raise AuthenticationError(f"The API key or secret was not accepted (401: {message}). Check them in Settings.")
        if status == 403:
            raise AuthenticationError(f"The API key may not read this organization (403: {message}). Use a key with the organization read scope.")
        if status == 410:
            raise CursorExpired(f"{path}: {message}")
        raise RequestError(f"The server refused {path} (HTTP {status}: {message}).")

    # -- waiting ---------------------------------------------------------------

    def _note_rate_headers(self, response: httpx.Response) -> None:
        """Pause before the limit is hit when the window is nearly used up."""
        try:
            remaining = int(response.headers["X-RateLimit-Remaining"])
            reset = float(response.headers["X-RateLimit-Reset"])
        except (KeyError, ValueError):
            return
        try:
            self.rate_limit = (int(response.headers["X-RateLimit-Limit"]), remaining)
        except (KeyError, ValueError):
            self.rate_limit = None
        if remaining < self.retry.slow_down_below:
            self._pause_until = time.monotonic() + max(reset, 0.0)

    def _wait_for_rate_window(self) -> None:
        delay = self._pause_until - time.monotonic()
        if delay > 0:
            self._sleep(delay, "Rate limit nearly reached")

    def _backoff(self, attempt: int, reason: str) -> None:
        if attempt + 1 < self.retry.attempts:
            ceiling = min(self.retry.backoff_cap, self.retry.backoff_base * 2**attempt)
            self._sleep(self._random.uniform(0, ceiling), reason)

    def _sleep(self, seconds: float, reason: str) -> None:
        """Wait, telling the caller why and for how long; wake at once on cancel."""
        log.info("%s: waiting %.1f s", reason, seconds)
        if self.on_wait is not None:
            self.on_wait(reason, seconds)
        if self.cancel.wait(seconds):
            raise Cancelled()
        if self.cancel.is_set():
            raise Cancelled()
