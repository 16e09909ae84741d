"""The API client's contract rules, against scripted answers (httpx.MockTransport)."""

import gzip
import json
import threading

import httpx
import pytest

from a2v2_desktop.api.client import ApiClient, Credentials, RetryPolicy, check_api_url
from a2v2_desktop.api.errors import (
    AuthenticationError,
    Cancelled,
    CursorExpired,
    NetworkError,
    RequestError,
    ServerError,
    UnsafeUrlError,
)
from a2v2_desktop.api.records import InvalidRecordError

URL = "http://127.0.0.1:9/v1/open"
ORG = {"id": "org_1", "name": "Org", "timezone": "Europe/Berlin", "created_at": "2026-01-01T00:00:00Z", "extra": 1}
USAGE = {"seq": 7, "id": "u7", "hour": "2026-10-01T10:00:00Z", "agent_id": "a1", "member_id": None,
         "activity": "brand_new_activity", "model": None, "pool": "plan", "quantity": 3, "credits": "2.5"}


def error_body(kind, message):
    return {"error": {"type": kind, "message": message}}


def scripted(*answers, seen=None):
    """A transport that plays `answers` in order; each is an httpx.Response or an exception."""
    queue = list(answers)

    def handler(request):
        if seen is not None:
            seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler)


def client(*answers, seen=None, waits=None, **kwargs):
    retry = kwargs.pop("retry", RetryPolicy(attempts=4, backoff_base=0.001))
    return ApiClient(URL, Credentials("key-1", "secret-1"), retry=retry, transport=scripted(*answers, seen=seen),
                     on_wait=(lambda reason, s: waits.append((reason, s))) if waits is not None else None, **kwargs)


def test_sends_key_and_secret_headers_and_ignores_unknown_fields():
    seen = []
    org = client(httpx.Response(200, json=ORG), seen=seen).organization()
    assert org.name == "Org" and org.created_at == 1767225600
    assert seen[0].headers["X-API-Key"] == "key-1" and seen[0].headers["X-API-Secret"] == "secret-1"
    assert "gzip" in seen[0].headers["Accept-Encoding"]


def test_gzip_body_is_decoded():
    body = gzip.compress(json.dumps(ORG).encode())
    answer = httpx.Response(200, content=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert client(answer).organization().id == "org_1"


def test_feed_page_keeps_unknown_enum_values_and_exact_credits():
    page = {"data": [USAGE], "has_more": False, "next_after_seq": 7}
    read = client(httpx.Response(200, json=page)).feed_columns("usage", 0)
    assert read.columns["activity"] == ["brand_new_activity"] and read.columns["credits"] == [25000]
    assert (read.has_more, read.next_after_seq) == (False, 7)


def test_retry_after_is_honoured_on_429_and_503():
    waits = []
    answers = [
        httpx.Response(429, json=error_body("rate_limited", "slow down"), headers={"Retry-After": "3"}),
        httpx.Response(503, json=error_body("maintenance", "back soon"), headers={"Retry-After": "0"}),
        httpx.Response(200, json=ORG),
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(threading.Event, "wait", lambda self, timeout=None: False)
        assert client(*answers, waits=waits).organization().id == "org_1"
    assert waits == [("Rate limited", 3.0), ("Server under maintenance", 0.0)]


def test_5xx_and_cut_connections_are_retried_with_backoff():
    answers = [
        httpx.Response(502, json=error_body("server_error", "bad gateway")),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.Response(200, content=b"{not json"),
        httpx.Response(200, json=ORG),
    ]
    assert client(*answers).organization().id == "org_1"


def test_gives_up_with_a_readable_message():
    answers = [httpx.Response(500, json=error_body("server_error", "database on fire"))] * 4
    with pytest.raises(ServerError, match="database on fire"):
        client(*answers).organization()
    with pytest.raises(NetworkError, match="Check your network"):
        client(*[httpx.ConnectError("connection refused")] * 4).organization()


def test_auth_errors_are_not_retried_and_say_what_to_do():
    with pytest.raises(AuthenticationError, match="Check them in Settings"):
        client(httpx.Response(401, json=error_body("authentication_error", "x-api-key and x-api-secret"))).organization()
    with pytest.raises(AuthenticationError, match="403"):
        client(httpx.Response(403, json=error_body("permission_error", "no scope"))).organization()
    with pytest.raises(RequestError, match="limit"):
        client(httpx.Response(400, json=error_body("invalid_request", "limit out of range"))).organization()


def test_410_raises_cursor_expired():
    with pytest.raises(CursorExpired):
        client(httpx.Response(410, json=error_body("cursor_expired", "too old"))).feed_columns("usage", 5)


def test_invalid_record_names_feed_seq_and_field():
    bad = dict(USAGE, credits="12,5")
    page = {"data": [USAGE, bad | {"seq": 8, "id": "u8"}], "has_more": True, "next_after_seq": 8}
    with pytest.raises(InvalidRecordError) as caught:
        client(httpx.Response(200, json=page)).feed_columns("usage", 0)
    assert "feed usage" in str(caught.value) and "seq 8" in str(caught.value) and "credits" in str(caught.value)


def test_slows_down_before_the_limit_is_hit():
    waits = []
    headers = {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7"}
    answers = [httpx.Response(200, json=ORG, headers=headers), httpx.Response(200, json=ORG)]
    api = client(*answers, waits=waits)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(threading.Event, "wait", lambda self, timeout=None: False)
        api.organization()
        api.organization()
    assert waits and waits[0][0] == "Rate limit nearly reached" and 6 < waits[0][1] <= 7


def test_cancel_interrupts_a_wait():
    cancel = threading.Event()
    cancel.set()
    answer = httpx.Response(429, json=error_body("rate_limited", "x"), headers={"Retry-After": "60"})
    with pytest.raises(Cancelled):
        client(answer, cancel=cancel).organization()


@pytest.mark.parametrize("url", ["http://api.example.com/v1/open", "ftp://127.0.0.1/", "not a url"])
def test_unsafe_urls_are_refused(url):
    with pytest.raises(UnsafeUrlError):
        check_api_url(url)


@pytest.mark.parametrize("url", ["https://api.a2v2.ai/v1/open", "http://127.0.0.1:8765/v1/open", "http://localhost:1/x", "http://[::1]:5/v1"])
def test_safe_urls_pass(url):
    assert check_api_url(url) == url


def test_secret_never_appears_in_repr():
    assert "secret-1" not in repr(Credentials("key-1", "secret-1"))
