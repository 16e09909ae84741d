"""The local stand-in for the organization API: the contract's endpoints over a DemoOrg.

Stdlib only (http.server). It exists so the app can be developed, demonstrated and
tested without the platform, including how the app copes with a misbehaving server:
every fault the contract allows (429, 5xx, maintenance, duplicates, expired cursors,
cut connections, broken JSON) can be switched on, drawn from a seeded random so a
failing run can be replayed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from a2v2_desktop.standin.generator import FEEDS, DemoOrg, OrgSpec

DEMO_API_KEY = "demo-key"
DEMO_API_SECRET = "demo-secret"
NOSCOPE_API_KEY = "demo-noscope"  # a valid key without the organization read scope: always 403
PREFIX = "/v1/open"
MAX_LIMIT, DEFAULT_LIMIT = 5000, 1000
REAL_LIMITS = (60, 1000)  # per minute, per hour, as the platform documents
GENEROUS_LIMITS = (1000, 10000)
UNLIMITED = (10**9, 10**9)  # benchmarks: measure the serving, not the waiting


@dataclass
class Faults:
    """Which misbehaviours to show; probabilities are per request."""

    seed: int = 0
    rate_429: float = 0.0
    rate_5xx: float = 0.0
    maintenance_after: int | None = None
    maintenance_seconds: float = 2.0
    rate_duplicate: float = 0.0
    rate_expire: float = 0.0
    rate_cut: float = 0.0
    slow_seconds: float = 0.0
    rate_invalid_json: float = 0.0
    invalid_json_from_request: int | None = None
    invalid_record_seq: int | None = None
    page_cap: int | None = None
    rate_limits: tuple[int, int] = GENEROUS_LIMITS  # per minute, per hour


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict
    cut: bool = False


def _error(status: int, kind: str, message: str, headers: dict | None = None) -> Answer:
    body = json.dumps({"error": {"type": kind, "message": message}}).encode()
    return Answer(status, body, dict(headers or {}))


class _Windows:
    """Fixed per-key rate-limit windows of a minute and an hour, each starting at its first request."""

    def __init__(self, limits: tuple[int, int]) -> None:
        self.limits = limits
        self._state: dict[str, list[float]] = {}

    def hit(self, key: str, now: float) -> tuple[dict, int | None]:
        """Count a request; the rate-limit headers and, when over a limit, the seconds to wait."""
        state = self._state.setdefault(key, [now, 0, now, 0])
        for start, count, span in ((0, 1, 60), (2, 3, 3600)):
            if now - state[start] >= span:
                state[start], state[count] = now, 0
            state[count] += 1
        per_minute, per_hour = self.limits
        minute_reset = max(1, math.ceil(state[0] + 60 - now))
        hour_reset = max(1, math.ceil(state[2] + 3600 - now))
        headers = {"X-RateLimit-Limit": str(per_minute),
                   "X-RateLimit-Remaining": str(max(0, min(per_minute - state[1], per_hour - state[3]))),
                   "X-RateLimit-Reset": str(minute_reset)}
        if state[3] > per_hour:
            return headers, hour_reset
        if state[1] > per_minute:
            return headers, minute_reset
        return headers, None


class StandinServer:
    """Serves a DemoOrg under /v1/open on a loopback port (port=0 picks a free one)."""

    def __init__(self, org: DemoOrg, *, host: str = "127.0.0.1", port: int = 0, faults: Faults = Faults(),
                 api_key: str = DEMO_API_KEY, api_secret: str = DEMO_API_SECRET, verbose: bool = False) -> None:
        self.org = org
        self.faults = faults
        self.api_key, self.api_secret = api_key, api_secret
        self.verbose = verbose
        self.request_count = 0
        self._lock = threading.Lock()
        self._rng = random.Random(faults.seed)
        self._windows = _Windows(faults.rate_limits)
        self._maintenance_until: float | None = None
        self._last_advance = time.monotonic()
        self._thread: threading.Thread | None = None
        self._httpd = _QuietServer((host, port), _Handler)
        self._httpd.standin = self
        self.base_url = f"http://{host}:{self._httpd.server_address[1]}{PREFIX}"

    def start(self) -> "StandinServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="a2v2-standin", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> "StandinServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- one request -------------------------------------------------------------------------

    def respond(self, method: str, target: str, headers) -> Answer:
        """The whole answer to one request, rate-limit headers included."""
        faults = self.faults
        with self._lock:
            self.request_count += 1
            number = self.request_count
            # The same number of draws for every request keeps a seeded run reproducible.
            draws = [self._rng.random() for _ in range(7)]
            now = time.monotonic()
            if faults.maintenance_after is not None and number > faults.maintenance_after \
                    and self._maintenance_until is None:
                self._maintenance_until = now + faults.maintenance_seconds
            key = headers.get("X-API-Key") or ""
            limit_headers, wait = self._windows.hit(key, now)
            advance = not self.org.frozen and now - self._last_advance >= 1.0
            if advance:
                self._last_advance = now
        if faults.slow_seconds:
            time.sleep(faults.slow_seconds)
        if method == "GET":
            answer = self._answer(target, headers, number, draws, now, wait, advance)
        else:
            answer = _error(405, "invalid_request", "This API is read-only: use GET.")
            answer.headers["Allow"] = "GET"
        answer.headers.update(limit_headers)
        return answer

    def _answer(self, target: str, headers, number: int, draws: list[float], now: float, wait: int | None,
                advance: bool) -> Answer:
        faults = self.faults
        key, secret = headers.get("X-API-Key"), headers.get("X-API-Secret")
        if not key or not secret:
            return _error(401, "authentication_error",
                          "Missing credentials: send the x-api-key and x-api-secret headers.")
        if key not in (self.api_key, NOSCOPE_API_KEY) or secret != self.api_secret:
            return _error(401, "authentication_error",
                          "Unknown API key or secret: check the x-api-key and x-api-secret headers.")
        if key == NOSCOPE_API_KEY:
            return _error(403, "permission_error", "This API key lacks the organization read scope.")
        if self._maintenance_until is not None and now < self._maintenance_until:
            retry = max(1, math.ceil(self._maintenance_until - now))
            return _error(503, "maintenance", "Down for maintenance; try again shortly.", {"Retry-After": str(retry)})
        if wait is not None:
            return _error(429, "rate_limited", "Rate limit exceeded.", {"Retry-After": str(wait)})
        if draws[0] < faults.rate_429:
            return _error(429, "rate_limited", "Rate limit exceeded.", {"Retry-After": "1"})
        if draws[1] < faults.rate_5xx:
            status = 500 if draws[1] < faults.rate_5xx / 2 else 502
            return _error(status, "server_error", "The server had a problem; retry later.")

        url = urlsplit(target)
        path = url.path.rstrip("/")
        if not path.startswith(PREFIX + "/"):
            return _error(404, "not_found", f"No such endpoint: {url.path}")
        name = path[len(PREFIX) + 1:]
        org = self.org
        if advance:
            with org.lock:
                org.advance(datetime.now(timezone.utc))
        if name in ("organization", "billing", "agents", "members"):
            with org.lock:
                document = {"organization": lambda: org.organization, "billing": org.billing,
                            "agents": lambda: {"data": org.agents}, "members": lambda: {"data": org.members}}[name]()
                body = json.dumps(document, separators=(",", ":")).encode()
            answer = Answer(200, body, {})
        elif name.startswith("feeds/") and name[6:] in FEEDS:
            answer = self._page(name[6:], parse_qs(url.query, keep_blank_values=True), draws)
        else:
            return _error(404, "not_found", f"No such endpoint: {url.path}")
        if answer.status == 200:
            broken = faults.invalid_json_from_request is not None and number >= faults.invalid_json_from_request
            if broken or draws[5] < faults.rate_invalid_json:
                answer.body = answer.body[: len(answer.body) // 2] + b"<html>502 Bad Gateway</html>"
            answer.cut = draws[6] < faults.rate_cut
        return answer

    def _page(self, feed_name: str, query: dict, draws: list[float]) -> Answer:
        faults = self.faults
        try:
            after_seq = _integer(query, "after_seq", 0)
            limit = _integer(query, "limit", DEFAULT_LIMIT)
        except ValueError as problem:
            return _error(400, "invalid_request", str(problem))
        if after_seq < 0:
            return _error(400, "invalid_request", "after_seq must be 0 or more.")
        if not 1 <= limit <= MAX_LIMIT:
            return _error(400, "invalid_request", f"limit must be between 1 and {MAX_LIMIT}.")
        if after_seq > 0 and draws[3] < faults.rate_expire:
            return _error(410, "cursor_expired", "This cursor has expired; start the feed again from after_seq=0.")
        if faults.page_cap:
            limit = min(limit, faults.page_cap)
        with self.org.lock:
            feed = self.org.feeds[feed_name]
            lo = feed.position(after_seq)
            hi = min(len(feed), lo + limit)
            rows = [feed.encode(i) for i in range(lo, hi)]
            if feed_name == "usage" and faults.invalid_record_seq is not None:
                index = feed.position(faults.invalid_record_seq - 1)
                if lo <= index < hi and feed.seqs[index] == faults.invalid_record_seq:
                    record = feed[index]
                    record["credits"] = "12,5"
                    rows[index - lo] = json.dumps(record, separators=(",", ":"))
            if draws[2] < faults.rate_duplicate and rows:
                # At-least-once delivery: the end of the previous page again, and one record twice.
                overlap = [feed.encode(i) for i in range(max(0, lo - 1 - int(draws[2] * 1000) % 3), lo)]
                inside = int(draws[4] * len(rows))
                rows = overlap + rows[:inside + 1] + rows[inside:]
            has_more = hi < len(feed)
            next_after = feed.seqs[hi - 1] if hi > lo else after_seq
        body = (f'{{"data":[{",".join(rows)}],"has_more":{"true" if has_more else "false"},'
                f'"next_after_seq":{next_after}}}').encode()
        return Answer(200, body, {})


def _integer(query: dict, name: str, default: int) -> int:
    values = query.get(name)
    if not values:
        return default
    text = values[-1]
    if not text.isascii() or not text.lstrip("-").isdigit():
        raise ValueError(f"{name} must be an integer, not {text!r}.")
    return int(text)


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-request (a killed sync, a cancelled download) is normal here."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # headers and body go out as separate writes; don't wait for ACKs
    server_version = "A2V2-Standin/1.0"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._send(self.server.standin.respond(self.command, self.path, self.headers))

    def __getattr__(self, name: str):
        """Any other method (POST, TRACE, QUERY…) gets the API's own 405, not http.server's HTML 501."""
        if name.startswith("do_"):
            return self.do_GET
        raise AttributeError(name)

    def _send(self, answer: Answer) -> None:
        body = answer.body
        gzipped = "gzip" in (self.headers.get("Accept-Encoding") or "").lower()
        if gzipped:
            body = gzip.compress(body, compresslevel=1)
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            if gzipped:
                self.send_header("Content-Encoding", "gzip")
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if answer.cut:
                # Promise the whole body, send half, hang up.
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
            elif self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
        if self.server.standin.verbose:
            super().log_message(format, *args)


# ---- command line (the lead's CLI calls these) ----------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The stand-in's flags: where to listen, which organization, which faults."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=OrgSpec.seed)
    parser.add_argument("--agents", type=int, default=OrgSpec.agents)
    parser.add_argument("--members", type=int, default=OrgSpec.members)
    parser.add_argument("--days", type=int, default=OrgSpec.days)
    parser.add_argument("--now", help="freeze time at this ISO 8601 instant (deterministic data)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    faults = parser.add_argument_group("faults")
    faults.add_argument("--fault-429", type=float, default=0.0, metavar="P")
    faults.add_argument("--fault-5xx", type=float, default=0.0, metavar="P")
    faults.add_argument("--maintenance-after", type=int, metavar="N")
    faults.add_argument("--maintenance-seconds", type=float, default=2.0, metavar="S")
    faults.add_argument("--fault-duplicate", type=float, default=0.0, metavar="P")
    faults.add_argument("--fault-expire", type=float, default=0.0, metavar="P")
    faults.add_argument("--fault-cut", type=float, default=0.0, metavar="P")
    faults.add_argument("--slow", type=float, default=0.0, metavar="S")
    faults.add_argument("--fault-invalid-json", type=float, default=0.0, metavar="P")
    faults.add_argument("--invalid-json-from", type=int, metavar="N")
    faults.add_argument("--invalid-record-seq", type=int, metavar="SEQ")
    faults.add_argument("--page-cap", type=int, metavar="N")
    faults.add_argument("--real-rate-limits", action="store_true")
    faults.add_argument("--fault-seed", type=int, default=0, metavar="N")


def serve_from_args(args: argparse.Namespace) -> int:
    """Build the organization, print where it is served, serve until Ctrl+C."""
    now = None
    if args.now:
        now = datetime.fromisoformat(args.now)
        if now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)
    org = DemoOrg(OrgSpec(seed=args.seed, agents=args.agents, members=args.members, days=args.days), now)
    faults = Faults(seed=args.fault_seed, rate_429=args.fault_429, rate_5xx=args.fault_5xx,
                    maintenance_after=args.maintenance_after, maintenance_seconds=args.maintenance_seconds,
                    rate_duplicate=args.fault_duplicate, rate_expire=args.fault_expire, rate_cut=args.fault_cut,
                    slow_seconds=args.slow, rate_invalid_json=args.fault_invalid_json,
                    invalid_json_from_request=args.invalid_json_from, invalid_record_seq=args.invalid_record_seq,
                    page_cap=args.page_cap, rate_limits=REAL_LIMITS if args.real_rate_limits else GENEROUS_LIMITS)
    server = StandinServer(org, host=args.host, port=args.port, faults=faults, verbose=args.verbose)
    print(f"A2V2 stand-in serving {server.base_url}  (key: {DEMO_API_KEY}, secret: {DEMO_API_SECRET})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # Ctrl+C is the way to stop it
    return 0
