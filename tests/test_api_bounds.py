"""Answers far larger than asked for stop the client with a clear error, over real loopback HTTP.

A small http.server sits in front of the stand-in: it passes requests through to the
stand-in's own `respond`, except the ones a test overrides with an oversized answer that
is generated lazily (a 1 GB body is never built in memory, here or in the client).
"""

from __future__ import annotations

import gzip
import json
import threading
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from a2v2_desktop.api.client import ApiClient, Credentials, RetryPolicy, feed_page_bytes
from a2v2_desktop.api.errors import ResponseTooLarge, ServerError
from a2v2_desktop.api.records import TEXT_CHARS, InvalidRecordError
from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.cache.models import Agent, SyncRun, UsageLine
from a2v2_desktop.cache.writes import read_cursor
from a2v2_desktop.cli import main
from a2v2_desktop.standin.generator import DemoOrg, OrgSpec
from a2v2_desktop.standin.server import DEMO_API_KEY, DEMO_API_SECRET, PREFIX, StandinServer
from a2v2_desktop.sync.engine import SyncEngine, SyncError
from tests.conftest import FIXED_NOW

GIB = 1024**3
MB = 1024**2
SMALL = OrgSpec(seed=11, agents=4, members=3, days=14)
FAST_RETRY = RetryPolicy(attempts=5, backoff_base=0.001, backoff_cap=0.01)
USAGE = {"seq": 1, "id": "u1", "hour": "2026-10-01T10:00:00Z", "agent_id": "a1", "member_id": None,
         "activity": "message", "model": None, "pool": "plan", "quantity": 1, "credits": "1"}


@dataclass
class Oversized:
    """An answer streamed from `chunks`, with optional headers (Content-Length, Content-Encoding)."""

    chunks: Callable[[], Iterator[bytes]]
    headers: dict = field(default_factory=dict)
    status: int = 200


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # no Content-Length needed: the body ends when the connection closes

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        front = self.server.front
        front.requests.append(url.path)
        special = front.override(url.path[len(PREFIX):], parse_qs(url.query))
        if special is None:
            answer = front.standin.respond("GET", self.path, self.headers)
            self._head(answer.status, {**answer.headers, "Content-Length": str(len(answer.body))})
            self.wfile.write(answer.body)
            return
        self._head(special.status, special.headers)
        try:
            for chunk in special.chunks():
                self.wfile.write(chunk)
                front.sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: what these tests want

    def _head(self, status: int, headers: dict) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


class Front:
    """The loopback server: the stand-in's answers, or an override's for the paths it picks."""

    def __init__(self, override: Callable[[str, dict], Oversized | None]):
        self.standin = StandinServer(DemoOrg(SMALL, now=FIXED_NOW), port=0)
        self.override = override
        self.requests: list[str] = []
        self.sent = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.front = self
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}{PREFIX}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self.standin.stop()

    def count(self, path: str) -> int:
        return sum(1 for seen in self.requests if seen == PREFIX + path)


@pytest.fixture
def front():
    fronts = []

    def start(override):
        fronts.append(Front(override))
        return fronts[-1]

    yield start
    for server in fronts:
        server.stop()


def client(server: Front) -> ApiClient:
    return ApiClient(server.base_url, Credentials(DEMO_API_KEY, DEMO_API_SECRET), retry=FAST_RETRY)


# -- lazily generated bodies ----------------------------------------------------------------------

def page_of(records: Iterator[bytes], tail: bytes = b'],"has_more":false,"next_after_seq":1}') -> Iterator[bytes]:
    """A feed page's JSON, in chunks of about 64 KiB, from records generated one by one."""
    yield b'{"data":['
    batch, size, first = [], 0, True
    for record in records:
        batch.append(record if first else b"," + record)
        first = False
        size += len(record) + 1
        if size >= 64 * 1024:
            yield b"".join(batch)
            batch, size = [], 0
    yield b"".join(batch) + tail


def usage_records(count: int) -> Iterator[bytes]:
    """Valid usage records with seq 1..count, about 130 bytes each."""
    template = json.dumps({**USAGE, "seq": 999, "id": "u999"}, separators=(",", ":")).replace("999", "%d").encode()
    return (template % (seq, seq) for seq in range(1, count + 1))


def gigabyte_of_records() -> Iterator[bytes]:
    """1 GiB of valid-looking usage records, one 64 KiB chunk at a time."""
    record = json.dumps(USAGE, separators=(",", ":")).encode() + b","
    chunk = record * (64 * 1024 // len(record))
    yield b'{"data":['
    for _ in range(GIB // len(chunk)):
        yield chunk


def gzip_bomb() -> Iterator[bytes]:
    """A 1 GiB body of JSON whitespace, gzipped on the fly: about 1 MB on the wire."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    yield compressor.compress(b'{"data":[')
    spaces = b" " * MB
    for _ in range(GIB // MB):
        out = compressor.compress(spaces)
        if out:
            yield out
    yield compressor.flush()


def peak_growth(action: Callable[[], object]) -> tuple[int, BaseException | None]:
    """(peak bytes allocated by Python while `action` ran, the error it raised)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        action()
        error = None
    except Exception as raised:  # the error is the outcome under test
        error = raised
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak - base, error


def only_usage_after_first_page(body: Oversized) -> Callable[[str, dict], Oversized | None]:
    return lambda path, query: body if path == "/feeds/usage" and query.get("after_seq") != ["0"] else None


def only(wanted: str, body: Oversized) -> Callable[[str, dict], Oversized | None]:
    return lambda path, query: body if path == wanted else None


# -- the client ------------------------------------------------------------------------------------

def test_a_gigabyte_body_stops_at_the_cap_with_little_memory_and_no_retry(front):
    server = front(only("/feeds/usage", Oversized(gigabyte_of_records)))
    with client(server) as api:
        peak, error = peak_growth(lambda: api.feed_columns("usage", 0, 5000))
    assert isinstance(error, ResponseTooLarge)
    assert str(error).startswith("The server sent more than 20 MB for /feeds/usage")
    assert "memory is not exhausted" in str(error)
    assert server.count("/feeds/usage") == 1  # refused at once, never asked again
    assert peak < 50 * MB, f"peak growth {peak / MB:.1f} MB"
    assert server.sent < 200 * MB  # the server stopped soon after the client hung up
    print(f"1 GiB body: peak Python memory growth {peak / MB:.1f} MB, server sent {server.sent / MB:.0f} MB")


def test_a_declared_gigabyte_is_refused_before_reading(front):
    def promise() -> Iterator[bytes]:
        yield b'{"data":['  # then nothing: the client must not wait for the rest

    server = front(only("/billing", Oversized(promise, {"Content-Length": str(GIB)})))
    with client(server) as api:
        peak, error = peak_growth(api.billing)
    assert isinstance(error, ResponseTooLarge) and "/billing" in str(error)
    assert server.count("/billing") == 1 and peak < 5 * MB


def test_a_gzip_bomb_is_inflated_only_up_to_the_cap(front):
    server = front(only("/organization", Oversized(gzip_bomb, {"Content-Encoding": "gzip"})))
    with client(server) as api:
        peak, error = peak_growth(api.organization)
    assert isinstance(error, ResponseTooLarge) and "more than 1 MB for /organization" in str(error)
    assert peak < 10 * MB, f"peak growth {peak / MB:.1f} MB"
    assert server.sent < 5 * MB


def test_a_million_tiny_records_are_refused_while_streaming(front):
    server = front(only("/feeds/usage", Oversized(lambda: page_of(usage_records(1_000_000)))))
    with client(server) as api:
        peak, error = peak_growth(lambda: api.feed_columns("usage", 0, 5000))
    assert isinstance(error, ResponseTooLarge)
    assert peak < 50 * MB and server.count("/feeds/usage") == 1


def test_more_records_than_asked_for_are_refused(front):
    server = front(only("/feeds/usage", Oversized(lambda: page_of(usage_records(11)))))
    with client(server) as api, pytest.raises(ResponseTooLarge) as caught:
        api.feed_columns("usage", 0, 10)
    assert "11 usage records when at most 10 were asked for" in str(caught.value)
    assert server.count("/feeds/usage") == 1


def test_a_million_empty_objects_do_not_collect_a_million_errors(front):
    # 3 MB, well under the byte cap: the record count must stop it, not pydantic's error list.
    server = front(only("/feeds/usage", Oversized(lambda: page_of(iter([b"{}"] * 1_000_000)))))
    with client(server) as api, pytest.raises(ResponseTooLarge) as caught:
        api.feed_columns("usage", 0, 5000)
    assert "1,000,000 usage records when at most 5,000" in str(caught.value)


def test_a_gigabyte_error_body_is_not_read_and_the_status_still_counts(front):
    server = front(only("/organization", Oversized(gigabyte_of_records, status=500)))
    with client(server) as api:
        peak, error = peak_growth(api.organization)
    assert isinstance(error, ServerError) and "HTTP 500: Internal Server Error" in str(error)
    assert server.count("/organization") == FAST_RETRY.attempts  # a 5xx is retried as ever
    assert peak < 10 * MB


def ten_mb_name_agents() -> Iterator[bytes]:
    agent = {"id": "agt_1", "name": "N" * (10 * MB), "status": "active", "created_at": "2026-01-01T00:00:00Z"}
    yield json.dumps({"data": [agent]}).encode()


def test_a_ten_megabyte_agent_name_is_refused_with_a_short_message(front):
    server = front(only("/agents", Oversized(ten_mb_name_agents)))
    with client(server) as api, pytest.raises(InvalidRecordError) as caught:
        api.agents()
    message = str(caught.value)
    assert "field 'name'" in message and f"at most {TEXT_CHARS} characters" in message
    assert len(message) < 300


def test_a_ten_megabyte_credits_text_is_not_quoted_whole(front):
    usage = json.dumps({**USAGE, "credits": "x" * (10 * MB)}).encode()  # its error quotes it
    server = front(only("/feeds/usage", Oversized(lambda: page_of(iter([usage])))))
    with client(server) as api, pytest.raises(InvalidRecordError) as caught:
        api.feed_columns("usage", 0, 5000)
    assert "field 'credits'" in str(caught.value) and len(str(caught.value)) < 400


# -- a whole sync ------------------------------------------------------------------------------------

def sync(server: Front, cache, page_size: int):
    engine = open_cache(cache)
    try:
        with client(server) as api:
            SyncEngine(api, engine, page_size=page_size).run()
    finally:
        engine.dispose()


def cached(cache) -> dict:
    engine = open_cache(cache)
    with engine.connect() as connection:
        figures = {
            "usage": connection.execute(select(func.count()).select_from(UsageLine)).scalar(),
            "max_seq": connection.execute(select(func.max(UsageLine.seq))).scalar(),
            "cursor": read_cursor(connection, "usage"),
            "agents": connection.execute(select(func.count()).select_from(Agent)).scalar(),
            "runs": connection.execute(select(SyncRun.status, SyncRun.error)).all(),
            "integrity": connection.exec_driver_sql("PRAGMA integrity_check").scalar(),
        }
    engine.dispose()
    return figures


def test_sync_keeps_earlier_pages_and_none_of_the_gigabyte_page(front, cache_path):
    server = front(only_usage_after_first_page(Oversized(gigabyte_of_records)))
    with pytest.raises(SyncError) as caught:
        sync(server, cache_path, page_size=50)
    assert isinstance(caught.value.__cause__, ResponseTooLarge)
    held = cached(cache_path)
    assert held["usage"] == 50 and held["cursor"] == held["max_seq"]  # the first page, whole, and nothing after
    assert held["agents"] == SMALL.agents and held["integrity"] == "ok"
    assert held["runs"][-1][0] == "failed" and "more than" in held["runs"][-1][1]


def test_sync_of_a_ten_megabyte_question_fails_cleanly(front, cache_path):
    question = {"seq": 1, "id": "q1", "agent_id": "a1", "asked_at": "2026-10-01T10:00:00Z", "question": "?" * (10 * MB)}
    body = Oversized(lambda: page_of(iter([json.dumps(question).encode()])))
    server = front(only("/feeds/unanswered_questions", body))
    with pytest.raises(SyncError) as caught:
        sync(server, cache_path, page_size=5000)
    assert "feed unanswered_questions seq 1: field 'question'" in str(caught.value)
    held = cached(cache_path)
    assert held["usage"] > 0 and held["runs"][-1][0] == "failed" and held["integrity"] == "ok"


def test_command_line_shows_the_refusal_as_one_line(front, cache_path, capsys, demo_env):
    server = front(only("/feeds/usage", Oversized(gigabyte_of_records)))
    code = main(["--api-url", server.base_url, "--cache", str(cache_path), "sync", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1
    assert err[0].startswith("error: The server sent more than 20 MB for /feeds/usage")


def test_the_window_shows_the_refusal_as_a_sentence():
    from a2v2_desktop.ui.workers import describe_failure

    try:
        try:
            raise ResponseTooLarge("The server sent more than 20 MB for /feeds/usage; stopped.")
        except ResponseTooLarge as error:
            raise SyncError(str(error)) from error
    except SyncError as wrapped:
        failure = describe_failure(wrapped)
    assert failure.kind == "other" and failure.message.startswith("The server sent more than 20 MB")


def test_gzip_answers_still_decode(front):
    body = gzip.compress(json.dumps({"data": []}).encode())
    server = front(only("/members", Oversized(lambda: iter([body]), {"Content-Encoding": "gzip"})))
    with client(server) as api:
        assert api.members() == []


def test_broken_gzip_is_retried_like_broken_json(front):
    server = front(only("/members", Oversized(lambda: iter([b"\x1f\x8b\x08\x00not gzip at all"]),
                                              {"Content-Encoding": "gzip"})))
    with client(server) as api, pytest.raises(ServerError) as caught:
        api.members()
    assert "could not be decoded (broken gzip" in str(caught.value)
    assert server.count("/members") == FAST_RETRY.attempts
