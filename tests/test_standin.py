"""The stand-in server and its demo organization, over real HTTP on a free loopback port."""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from a2v2_desktop.domain.credits import parse_credits
from a2v2_desktop.domain.times import parse_rfc3339
from a2v2_desktop.standin import (DEMO_API_KEY, DEMO_API_SECRET, FEEDS, DemoOrg, Faults, OrgSpec, StandinServer,
                                  current_records)
from a2v2_desktop.standin.server import REAL_LIMITS

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
AUTH = {"X-API-Key": DEMO_API_KEY, "X-API-Secret": DEMO_API_SECRET}
CREDITS = re.compile(r"-?\d+(\.\d{1,4})?")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
REQUIRED = {
    "usage": {"seq", "id", "hour", "agent_id", "activity", "pool", "quantity", "credits"},
    "conversations": {"seq", "id", "agent_id", "visitor_id", "started_at", "last_activity_at", "visitor_messages",
                      "agent_messages"},
    "unanswered_questions": {"seq", "id", "agent_id", "asked_at", "question"},
    "credit_transactions": {"seq", "id", "occurred_at", "kind", "pool", "credits"},
    "subscriptions": {"seq", "id", "agent_id", "subscriber_id", "status", "interval", "price", "started_at"},
    "transactions": {"seq", "id", "agent_id", "subscriber_id", "created_at", "kind", "status", "amount"},
}


@pytest.fixture(scope="module")
def org() -> DemoOrg:
    return DemoOrg(OrgSpec(), NOW)


@pytest.fixture(scope="module")
def server(org):
    with StandinServer(org) as running:
        yield running


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server.base_url, headers=AUTH) as http:
        yield http


def faulty(org: DemoOrg, **faults) -> StandinServer:
    return StandinServer(org, faults=Faults(**faults))


def walk(http: httpx.Client, feed: str, limit: int = 5000) -> list[dict]:
    records, after = [], 0
    while True:
        page = http.get(f"/feeds/{feed}", params={"after_seq": after, "limit": limit}).raise_for_status().json()
        records += page["data"]
        after = page["next_after_seq"]
        if not page["has_more"]:
            return records


def current_usage(org: DemoOrg) -> list[dict]:
    return list(current_records(org.feeds["usage"]).values())


# ---- HTTP behaviour ------------------------------------------------------------------------------


def test_credentials_are_required(server):
    missing = httpx.get(server.base_url + "/organization")
    assert missing.status_code == 401
    error = missing.json()["error"]
    assert error["type"] == "authentication_error" and "x-api-key" in error["message"]
    wrong = httpx.get(server.base_url + "/organization", headers={**AUTH, "X-API-Secret": "nope"})
    assert wrong.status_code == 401
    noscope = httpx.get(server.base_url + "/billing", headers={**AUTH, "X-API-Key": "demo-noscope"})
    assert noscope.status_code == 403 and noscope.json()["error"]["type"] == "permission_error"


def test_every_answer_carries_rate_limit_headers(server, client):
    answers = (client.get("/organization"), httpx.get(server.base_url + "/agents"), client.get("/nope"),
               client.post("/billing"))
    assert [answer.status_code for answer in answers] == [200, 401, 404, 405]
    for answer in answers:
        for header in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            assert int(answer.headers[header]) >= 0
    assert client.get("/nope").json()["error"]["type"] == "not_found"


def test_documents(client, org):
    assert client.get("/organization").json() == org.organization
    assert client.get("/organization").json()["timezone"] == "Europe/Berlin"
    assert client.get("/billing").json() == org.billing()
    assert client.get("/agents").json()["data"] == org.agents
    assert client.get("/members").json()["data"] == org.members


@pytest.mark.parametrize("feed", FEEDS)
def test_pagination_walk_returns_every_record_in_order(client, org, feed):
    records = walk(client, feed, limit=5000 if feed == "usage" else 397)
    seqs = [record["seq"] for record in records]
    assert seqs == sorted(set(seqs)) and seqs[0] >= 1
    assert records == list(org.feeds[feed])
    for record in records:
        assert REQUIRED[feed] <= record.keys()


def test_empty_page_and_limit_validation(client, org):
    last = org.feeds["usage"].seqs[-1]
    page = client.get("/feeds/usage", params={"after_seq": last}).json()
    assert page == {"data": [], "has_more": False, "next_after_seq": last}
    assert len(client.get("/feeds/usage").json()["data"]) == 1000
    for params in ({"limit": 0}, {"limit": 5001}, {"limit": "ten"}, {"after_seq": -1}, {"after_seq": "1.5"}):
        answer = client.get("/feeds/usage", params=params)
        assert answer.status_code == 400 and answer.json()["error"]["type"] == "invalid_request"


def test_gzip_when_allowed(client):
    packed = client.get("/feeds/usage", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip" and len(packed.json()["data"]) == 1000
    plain = client.get("/feeds/usage", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.json() == packed.json()


def test_real_rate_limits(org):
    with faulty(org, rate_limits=REAL_LIMITS) as server, httpx.Client(headers=AUTH) as http:
        answers = [http.get(server.base_url + "/organization") for _ in range(61)]
    assert all(answer.status_code == 200 for answer in answers[:60])
    assert answers[59].headers["X-RateLimit-Remaining"] == "0"
    limited = answers[60]
    assert limited.status_code == 429 and limited.json()["error"]["type"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


def test_cursor_expired_fault(org):
    with faulty(org, rate_expire=1.0) as server, httpx.Client(base_url=server.base_url, headers=AUTH) as http:
        assert http.get("/feeds/usage", params={"after_seq": 0}).status_code == 200
        expired = http.get("/feeds/usage", params={"after_seq": 10})
    assert expired.status_code == 410 and expired.json()["error"]["type"] == "cursor_expired"


def test_invalid_json_faults(org):
    with faulty(org, rate_invalid_json=1.0) as server, httpx.Client(base_url=server.base_url, headers=AUTH) as http:
        with pytest.raises(json.JSONDecodeError):
            http.get("/billing").json()
    with faulty(org, invalid_json_from_request=3) as server, \
            httpx.Client(base_url=server.base_url, headers=AUTH) as http:
        http.get("/billing").json()
        http.get("/billing").json()
        for _ in range(2):
            with pytest.raises(json.JSONDecodeError):
                http.get("/billing").json()


def test_invalid_record_fault(org):
    seq = org.feeds["usage"].seqs[1500]
    with faulty(org, invalid_record_seq=seq) as server, httpx.Client(base_url=server.base_url, headers=AUTH) as http:
        for _ in range(2):
            data = http.get("/feeds/usage", params={"after_seq": seq - 1, "limit": 3}).json()["data"]
            assert data[0]["seq"] == seq and data[0]["credits"] == "12,5"
            assert CREDITS.fullmatch(data[1]["credits"])


def test_cut_connection_fault(org):
    with faulty(org, rate_cut=1.0) as server, httpx.Client(base_url=server.base_url, headers=AUTH) as http:
        for encoding in ("gzip", "identity"):
            with pytest.raises(httpx.RemoteProtocolError):
                http.get("/feeds/usage", headers={"Accept-Encoding": encoding})


def test_retry_later_faults(org):
    with faulty(org, maintenance_after=2, maintenance_seconds=30) as server, \
            httpx.Client(base_url=server.base_url, headers=AUTH) as http:
        assert [http.get("/organization").status_code for _ in range(3)] == [200, 200, 503]
        down = http.get("/organization")
        assert down.json()["error"]["type"] == "maintenance" and 1 <= int(down.headers["Retry-After"]) <= 30
    with faulty(org, rate_429=1.0) as server:
        limited = httpx.get(server.base_url + "/organization", headers=AUTH)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    with faulty(org, rate_5xx=1.0) as server:
        failed = httpx.get(server.base_url + "/organization", headers=AUTH)
        assert failed.status_code in (500, 502) and failed.json()["error"]["type"] == "server_error"


def test_duplicates_and_page_cap(org):
    with faulty(org, rate_duplicate=1.0, page_cap=250) as server, \
            httpx.Client(base_url=server.base_url, headers=AUTH) as http:
        first = http.get("/feeds/conversations", params={"limit": 1000}).json()
        second = http.get("/feeds/conversations", params={"after_seq": first["next_after_seq"]}).json()
        records = walk(http, "conversations")
    assert first["next_after_seq"] == org.feeds["conversations"].seqs[249]
    assert second["data"][0]["seq"] <= first["next_after_seq"]  # overlap with the previous page
    assert len(records) > len(org.feeds["conversations"])
    assert {r["seq"]: r for r in records} == {r["seq"]: r for r in org.feeds["conversations"]}


def test_seeded_faults_are_reproducible(org):
    def statuses() -> list[int]:
        with faulty(org, seed=3, rate_429=0.2, rate_5xx=0.2) as server, httpx.Client(headers=AUTH) as http:
            return [http.get(server.base_url + "/organization").status_code for _ in range(30)]

    first = statuses()
    assert first == statuses() and {200, 429} <= set(first)


# ---- the generated organization ---------------------------------------------------------------


def test_same_spec_and_time_give_identical_data(org):
    again = DemoOrg(OrgSpec(), NOW)
    assert again.organization == org.organization and again.agents == org.agents and again.members == org.members
    assert again.billing() == org.billing() and again.runaway_agent_id == org.runaway_agent_id
    for feed in FEEDS:
        assert [again.feeds[feed].encode(i) for i in range(len(again.feeds[feed]))] == \
               [org.feeds[feed].encode(i) for i in range(len(org.feeds[feed]))]
    assert DemoOrg(OrgSpec(seed=8, days=30), NOW).organization != org.organization


def test_encoded_records_are_the_dicts(org):
    for feed in FEEDS:
        records = org.feeds[feed]
        for i in range(0, len(records), max(1, len(records) // 200)):
            assert json.loads(records.encode(i)) == records[i]


def test_record_values_follow_the_contract(org):
    for record in org.feeds["usage"]:
        assert CREDITS.fullmatch(record["credits"]) and record["hour"].endswith(":00:00Z")
        assert record["pool"] in ("plan", "topup") and record["activity"] in ("message", "document", "voice", "tool")
    for record in org.feeds["credit_transactions"]:
        assert CREDITS.fullmatch(record["credits"]) and TIME.fullmatch(record["occurred_at"])
    for record in org.feeds["conversations"]:
        assert record["started_at"] <= record["last_activity_at"] <= "2026-11-27T12:00:00Z"


def test_billing_agrees_with_the_ledger(org):
    billing = org.billing()
    balance, period_start = billing["balance"], billing["period"]["start"]
    usage = current_usage(org)
    transactions = current_records(org.feeds["credit_transactions"]).values()
    for pool, field in (("plan", "plan_credits_remaining"), ("topup", "topup_credits_remaining")):
        granted = sum(parse_credits(t["credits"]) for t in transactions if t["pool"] == pool)
        spent = sum(parse_credits(u["credits"]) for u in usage if u["pool"] == pool)
        assert parse_credits(balance[field]) == granted - spent >= 0
    used = sum(parse_credits(u["credits"]) for u in usage if u["hour"] >= period_start)
    assert parse_credits(balance["credits_used_this_period"]) == used
    assert billing["auto_recharge"]["recharges_used_this_month"] == billing["auto_recharge"]["max_recharges_per_month"]
    assert billing["plan"]["agent_limit"] >= len(org.agents)


def test_usage_history_has_refunds_corrections_and_late_lines(org):
    records = list(org.feeds["usage"])
    assert any(parse_credits(r["credits"]) < 0 for r in records)
    assert len(records) > len(current_records(records))  # corrections re-sent under the same id
    latest = ""
    late = 0
    for record in records:
        late += record["hour"] < latest and parse_rfc3339(latest) - parse_rfc3339(record["hour"]) >= 2 * 3600
        latest = max(latest, record["hour"])
    assert late > 10
    kinds = {t["kind"] for t in org.feeds["credit_transactions"]}
    assert {"period_grant", "period_expiry", "auto_recharge", "top_up", "adjustment"} <= kinds
    assert 30_000 <= len(records) <= 80_000


def test_runaway_agent_stands_out(org):
    end = int(NOW.timestamp())
    recent, weeks_before = end - 72 * 3600, end - 72 * 3600 - 28 * 86400
    hourly: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for record in current_usage(org):
        hourly[record["agent_id"]][parse_rfc3339(record["hour"])] += parse_credits(record["credits"])
    runaways = []
    for agent in org.agents:
        spend = hourly[agent["id"]]
        usual = [units for hour, units in spend.items() if weeks_before <= hour < recent and units > 0]
        peak = max((units for hour, units in spend.items() if hour >= recent), default=0)
        if usual and peak >= 8 * statistics.median(usual):
            runaways.append(agent["id"])
    assert runaways == [org.runaway_agent_id]


def test_deleted_agent_and_removed_member_still_have_usage(org):
    usage = current_usage(org)
    deleted = [a for a in org.agents if a["status"] == "deleted"]
    removed = [m for m in org.members if m["status"] == "removed"]
    assert len(deleted) == 1 and len(removed) == 1
    assert any(u["agent_id"] == deleted[0]["id"] for u in usage)
    assert any(u["member_id"] == removed[0]["id"] for u in usage)
    assert any(m["role"] == "owner" for m in org.members)


def test_hostile_text_and_paid_agents(org):
    names = [a["name"] for a in org.agents]
    assert any("<script>" in name for name in names) and max(map(len, names)) == 5000
    assert any("\u202e" in m["name"] for m in org.members)
    assert any("<" in q["question"] and "\n" in q["question"] for q in org.feeds["unanswered_questions"])
    assert sum(a["paid_access"]["enabled"] for a in org.agents) >= 2
    statuses = {s["status"] for s in org.feeds["subscriptions"]}
    assert {"trialing", "active", "canceled"} <= statuses
    payments = {(t["kind"], t["status"]) for t in org.feeds["transactions"]}
    assert {("charge", "succeeded"), ("charge", "failed"), ("refund", "succeeded")} <= payments


def test_live_mode_keeps_adding_records():
    live = DemoOrg(OrgSpec(days=7))
    assert DemoOrg(OrgSpec(days=7), NOW).advance(NOW + timedelta(hours=1)) == 0
    usage = live.feeds["usage"]
    before = len(usage)
    assert live.advance(live.now + timedelta(seconds=3)) > 0
    assert live.advance(live.now + timedelta(seconds=3)) > 0
    assert len(usage) > before and list(usage.seqs) == sorted(set(usage.seqs))
    assert live.billing()["as_of"] == live.now.strftime("%Y-%m-%dT%H:%M:%SZ")
