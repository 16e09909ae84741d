"""Property-based: whatever the delivery does, the cache ends equal to the server's current records.

A scripted platform (httpx.MockTransport, no sockets, no sleeps) serves a usage feed
whose records hypothesis invents, and misbehaves as hypothesis decides on every
request: random page sizes, duplicates and re-sent older records, shuffled pages,
410 restarts, 429/503 with Retry-After 0, 5xx, cut connections and broken JSON.
"""

from __future__ import annotations

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from a2v2_desktop.api.client import ApiClient, Credentials, RetryPolicy
from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.cache.models import UsageLine
from a2v2_desktop.domain.credits import format_credits
from a2v2_desktop.sync.engine import SyncEngine

ORG = {"id": "o", "name": "Org", "timezone": "UTC", "created_at": "2026-01-01T00:00:00Z"}
BILLING = {
    "as_of": "2026-11-27T12:00:00Z",
    "plan": {"id": "p", "name": "Pro", "credits_per_period": "2000"},
    "period": {"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"},
    "balance": {"plan_credits_remaining": "1", "topup_credits_remaining": "0", "credits_used_this_period": "1999"},
    "auto_recharge": {"enabled": False},
}
MISBEHAVIOURS = ("ok", "ok", "ok", "duplicate", "shuffle", "410", "429", "503", "500", "cut", "bad-json")

versions = st.lists(
    st.tuples(st.integers(0, 15), st.integers(-10**8, 10**8), st.integers(0, 500)),  # (id number, credits, hour)
    min_size=1, max_size=80,
)


def usage_record(seq: int, id_number: int, units: int, hour: int) -> dict:
    return {"seq": seq, "id": f"u{id_number}", "hour": f"2026-10-{1 + hour // 24:02d}T{hour % 24:02d}:00:00Z",
            "agent_id": "a1", "member_id": None, "activity": "message", "model": None, "pool": "plan",
            "quantity": 1, "credits": format_credits(units)}


class ScriptedPlatform:
    """Serves `records` as the usage feed, misbehaving as `draw` decides per request."""

    def __init__(self, records: list[dict], draw):
        self.records = records
        self.draw = draw
        self.restarts_left = 3

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1/open")
        if path == "/organization":
            return httpx.Response(200, json=ORG)
        if path == "/billing":
            return httpx.Response(200, json=BILLING)
        if path in ("/agents", "/members"):
            return httpx.Response(200, json={"data": []})
        after = int(request.url.params.get("after_seq", 0))
        if path != "/feeds/usage":
            return httpx.Response(200, json={"data": [], "has_more": False, "next_after_seq": after})
        return self._usage_page(after, int(request.url.params.get("limit", 1000)))

    def _usage_page(self, after: int, limit: int) -> httpx.Response:
        behaviour = self.draw(st.sampled_from(MISBEHAVIOURS))
        if behaviour == "410" and after > 0 and self.restarts_left:
            self.restarts_left -= 1
            return httpx.Response(410, json={"error": {"type": "cursor_expired", "message": "old"}})
        if behaviour in ("429", "503"):
            return httpx.Response(int(behaviour), headers={"Retry-After": "0"}, json={"error": {"type": "x", "message": "later"}})
        if behaviour == "500":
            return httpx.Response(500, json={"error": {"type": "server_error", "message": "oops"}})
        if behaviour == "cut":
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")
        if behaviour == "bad-json":
            return httpx.Response(200, content=b'{"data": [')
        size = min(limit, self.draw(st.integers(1, 7)))
        page = [r for r in self.records if r["seq"] > after][:size]
        has_more = bool(page) and page[-1]["seq"] < self.records[-1]["seq"]
        next_after = page[-1]["seq"] if page else after
        if behaviour == "duplicate" and self.records:
            page = page + self.draw(st.lists(st.sampled_from(self.records), max_size=4))
        if behaviour == "shuffle":
            page = self.draw(st.permutations(page))
        return httpx.Response(200, content=json.dumps({"data": page, "has_more": has_more, "next_after_seq": next_after}))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(versions=versions, data=st.data())
def test_cache_always_equals_current_server_records(tmp_path_factory, versions, data):
    records = [usage_record(seq, *version) for seq, version in enumerate(versions, start=1)]
    expected = {}
    for record in records:
        expected[record["id"]] = record["credits"]
    engine = open_cache(tmp_path_factory.mktemp("prop") / "cache.sqlite")
    platform = ScriptedPlatform(records, data.draw)
    client = ApiClient("http://127.0.0.1:1/v1/open", Credentials("k", "s"), transport=httpx.MockTransport(platform),
                       retry=RetryPolicy(attempts=50, backoff_base=0.0, backoff_cap=0.0))
    with client:
        SyncEngine(client, engine).run()
    with engine.connect() as connection:
        held = {i: format_credits(c) for i, c in connection.execute(select(UsageLine.id, UsageLine.credits))}
    engine.dispose()
    assert held == expected
