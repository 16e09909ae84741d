"""HTTP client for the platform API.

Adds the key and secret headers, retries what the contract says to retry (429 and
503 after Retry-After; other 5xx, cut connections and unreadable bodies with
exponential backoff and full jitter), slows down before the rate limit is hit, and
returns validated, typed records. Bodies are read in chunks against a byte cap, so an
answer far larger than asked for stops the client instead of exhausting memory.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
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
    ResponseTooLarge,
    ServerError,
)
from a2v2_desktop.api.endpoint import Credentials, check_api_url
from a2v2_desktop.api.records import MAX_PAGE

log = logging.getLogger(__name__)

# Byte caps. The contract bounds a feed page by records (`limit` <= 5000), not bytes; its
# records are 200-500 bytes of JSON, so 4 KiB each on average is ten times that and still
# leaves room for long questions and notes. A full page may then take 20 MiB, and
# validating it at most some 20 times that in memory, instead of whatever a server sends.
# /agents and /members are unpaginated: 16 MiB is some 50,000 agents or members.
# /organization and /billing are one small object each.
FEED_RECORD_BYTES = 4 * 1024
PAGE_ENVELOPE_BYTES = 64 * 1024
LIST_BYTES = 16 * 1024 * 1024
OBJECT_BYTES = 1024 * 1024
ERROR_BODY_BYTES = 64 * 1024  # an error's message is a sentence; a larger body is ignored
CHUNK_BYTES = 64 * 1024

WaitCallback = Callable[[str, float], None]


@dataclass
class RetryPolicy:
    attempts: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    # Below this many requests left in the window, wait for the window to reset.
    slow_down_below: int = 2


def feed_page_bytes(limit: int) -> int:
    """The most a feed page of `limit` records may take (see FEED_RECORD_BYTES)."""
    return PAGE_ENVELOPE_BYTES + FEED_RECORD_BYTES * limit


def _size_text(size: int) -> str:
    return f"{size / 2**20:,.0f} MB" if size >= 2**20 else f"{size / 1024:,.0f} KB"


def _too_large(path: str, cap: int) -> ResponseTooLarge:
    return ResponseTooLarge(
        f"The server sent more than {_size_text(cap)} for {path}, far more than such an answer should be; "
        "the client stopped reading so memory is not exhausted, and saved nothing from it. "
        "Try again later; if it keeps happening, tell A2V2 support.")


def _declared_length(response: httpx.Response) -> int | None:
    try:
        return int(response.headers["Content-Length"])
    except (KeyError, ValueError):
        return None


def _gunzip(chunks):
    """Decompress gzip a bounded piece at a time: a 1 MB gzip bomb never becomes 1 GB at once."""
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        for chunk in chunks:
            while chunk:
                yield decompressor.decompress(chunk, CHUNK_BYTES)
                chunk = decompressor.unconsumed_tail
        yield decompressor.flush()
    except zlib.error as error:
        raise httpx.DecodingError(f"broken gzip: {error}") from None


def _decoded_chunks(response: httpx.Response):
    """The body, decoded, in pieces of bounded size (httpx's own decoders inflate a whole chunk at once)."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if response.is_stream_consumed:  # an answer built in memory (a test transport): httpx decoded it already
        return response.iter_bytes(CHUNK_BYTES)
    if encoding in ("gzip", "x-gzip"):
        return _gunzip(response.iter_raw(CHUNK_BYTES))
    if encoding in ("identity", ""):
        return response.iter_raw(CHUNK_BYTES)
    return response.iter_bytes(CHUNK_BYTES)  # an encoding we never asked for: httpx decodes it


def _read_at_most(response: httpx.Response, cap: int, cancel: threading.Event) -> bytes | None:
    """The decoded body, or None once it (or its declared length) passes `cap`; no more than cap is ever held."""
    declared = _declared_length(response)
    if declared is not None and declared > cap:
        return None
    chunks, size = [], 0
    for chunk in _decoded_chunks(response):
        size += len(chunk)
        if size > cap:
            return None
        if cancel.is_set():
            raise Cancelled()
        chunks.append(chunk)
    return b"".join(chunks)


def _error_message(response: httpx.Response, body: bytes) -> str:
    """The server's own message from an error body, if it sent a readable one."""
    try:
        message = json.loads(body)["error"]["message"]
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
        return rec.validate(rec.Organization, self._get_json("/organization", OBJECT_BYTES), "/organization")

    def billing(self) -> rec.BillingSnapshot:
        return rec.validate(rec.BillingSnapshot, self._get_json("/billing", OBJECT_BYTES), "/billing")

    def agents(self) -> list[rec.Agent]:
        return self._list("/agents", rec.Agent)

    def members(self) -> list[rec.Member]:
        return self._list("/members", rec.Member)

    def feed_columns(self, feed: str, after_seq: int, limit: int = MAX_PAGE) -> rec.FeedColumns:
        """One page of a feed, as columns. Raises CursorExpired on 410, ResponseTooLarge for more
        than feed_page_bytes(limit) bytes or more than `limit` records."""
        return self._get_json(f"/feeds/{feed}", feed_page_bytes(limit), {"after_seq": after_seq, "limit": limit},
                              decode=lambda body: rec.parse_feed_columns(feed, body, after_seq, limit))

    def _list(self, path: str, model: type[rec.Record]) -> list:
        page = rec.validate(rec.ListPage, self._get_json(path, LIST_BYTES), path)
        return rec.validate_many(model, page.data, path)

    # -- transport -------------------------------------------------------------

    def _get_json(self, path: str, max_bytes: int, params: dict[str, Any] | None = None,
                  decode: Callable[[bytes], Any] = json.loads) -> Any:
        """GET with the contract's retry rules; returns decode(body), retrying a body that is not JSON.

        A body over max_bytes raises ResponseTooLarge at once: it is not retried."""
        last_problem = "no attempt made"
        for attempt in range(self.retry.attempts):
            self._wait_for_rate_window()
            try:
                response, body = self._get(path, params, max_bytes)
            except httpx.TransportError as error:
                last_problem = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
                log.warning("GET %s: %s", path, last_problem)
                self._backoff(attempt, f"Connection problem on {path}")
                continue
            except httpx.DecodingError as error:  # a broken gzip stream: as unreadable as broken JSON
                last_problem = f"the answer could not be decoded ({error})"
                self._backoff(attempt, f"Unreadable answer from {path}")
                continue
            status = response.status_code
            if status == 200:
                try:
                    return decode(body)
                except rec.InvalidRecordError:
                    raise
                except ValueError:
                    last_problem = "the answer was not valid JSON"
                    self._backoff(attempt, f"Unreadable answer from {path}")
                    continue
            if status in (429, 503):
                last_problem = f"HTTP {status}: {_error_message(response, body)}"
                reason = "Rate limited" if status == 429 else "Server under maintenance"
                self._sleep(_retry_after(response), reason)
                continue
            if status >= 500:
                last_problem = f"HTTP {status}: {_error_message(response, body)}"
                self._backoff(attempt, f"Server error on {path}")
                continue
            self._raise_for_client_error(path, response, body)
        raise self._gave_up(path, last_problem)

    def _get(self, path: str, params: dict[str, Any] | None, max_bytes: int) -> tuple[httpx.Response, bytes]:
        """One GET, its body streamed against the cap: max_bytes for an answer, ERROR_BODY_BYTES for an error."""
        with self._http.stream("GET", path, params=params) as response:
            self._note_rate_headers(response)
            ok = response.status_code == 200
            body = _read_at_most(response, max_bytes if ok else ERROR_BODY_BYTES, self.cancel)
        if body is None and ok:
            raise _too_large(path, max_bytes)
        return response, body or b""

    def _gave_up(self, path: str, problem: str) -> ApiError:
        where = f"{urlsplit(self.base_url).netloc}{urlsplit(self.base_url).path}{path}"
        text = f"{where} failed {self.retry.attempts} times in a row ({problem})"
        if problem.startswith("HTTP") or "answer" in problem:
            return ServerError(f"The server keeps failing: {text}. Try again later.")
        return NetworkError(f"Cannot reach the server: {text}. Check your network connection.")

    @staticmethod
    def _raise_for_client_error(path: str, response: httpx.Response, body: bytes) -> None:
        status, message = response.status_code, _error_message(response, body)
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
