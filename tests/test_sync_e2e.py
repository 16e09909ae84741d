"""End to end: the stand-in over real HTTP -> sync -> report, equal to the generator's own totals."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from a2v2_desktop.api.client import ApiClient, Credentials, RetryPolicy
from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.cache.models import Agent, BillingSnapshot, Member, UnansweredQuestionRow, UsageLine
from a2v2_desktop.cli import main
from a2v2_desktop.domain.credits import parse_credits
from a2v2_desktop.standin.generator import OrgSpec
from a2v2_desktop.standin.server import DEMO_API_KEY, DEMO_API_SECRET, Faults
from a2v2_desktop.sync.engine import SyncEngine
from tests.expected import comparable, expected_report

SMALL = OrgSpec(seed=11, agents=4, members=3, days=14)
FAST_RETRY = RetryPolicy(attempts=12, backoff_base=0.005, backoff_cap=0.05)


def cli(*args) -> int:
    return main([str(a) for a in args])


def report(capsys, server, cache, first, last, *extra) -> dict:
    capsys.readouterr()
    assert cli("--cache", cache, "report", "--from", first, "--to", last, "--format", "json", *extra) == 0
    return json.loads(capsys.readouterr().out)


def sync_in_process(server, cache, **engine_kwargs):
    engine = open_cache(cache)
    try:
        with ApiClient(server.base_url, Credentials(DEMO_API_KEY, DEMO_API_SECRET), retry=FAST_RETRY) as client:
            return SyncEngine(client, engine, **engine_kwargs).run()
    finally:
        engine.dispose()


def whole_history(org) -> tuple[date, date]:
    return date(2000, 1, 1), date(2100, 1, 1)


def test_default_demo_org_syncs_exactly(standin, demo_env, cache_path, capsys):
    server = standin()
    org = server.org
    assert cli("--api-url", server.base_url, "--cache", cache_path, "sync", "--quiet") == 0
    first, last = date(2026, 10, 1), date(2026, 10, 31)
    for span in ((first, last), (date(2026, 11, 27), date(2026, 11, 27)), (date(2026, 8, 1), date(2026, 11, 27))):
        assert comparable(report(capsys, server, cache_path, *span)) == expected_report(org, *span)


def test_whole_history_and_billing_snapshot(standin, demo_env, cache_path, capsys):
    server = standin(SMALL)
    assert cli("--api-url", server.base_url, "--cache", cache_path, "sync", "--quiet") == 0
    got = report(capsys, server, cache_path, "2000-01-01", "2030-12-31")
    expected = expected_report(server.org, date(2000, 1, 1), date(2030, 12, 31))
    assert got["total_credits"] == expected["total_credits"] != "0"
    engine = open_cache(cache_path)
    with engine.connect() as connection:
        snapshot = connection.execute(select(BillingSnapshot)).one()
        served = server.org.billing()["balance"]
        assert snapshot.plan_credits_remaining == parse_credits(served["plan_credits_remaining"])
        assert snapshot.topup_credits_remaining == parse_credits(served["topup_credits_remaining"])
    engine.dispose()


def test_second_sync_with_nothing_new_adds_nothing_but_a_snapshot(standin, cache_path):
    server = standin(SMALL)
    first = sync_in_process(server, cache_path)
    second = sync_in_process(server, cache_path)
    assert first.total_records > 1000
    assert second.total_records == 0 and second.changed_feeds == frozenset()
    engine = open_cache(cache_path)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(BillingSnapshot)) == 2
    engine.dispose()


def test_live_stand_in_has_something_new_on_the_second_sync(standin, cache_path):
    server = standin(OrgSpec(seed=3, agents=4, members=3, days=7), now=None)
    sync_in_process(server, cache_path)
    with server.org.lock:
        assert server.org.advance(datetime.now(timezone.utc) + timedelta(minutes=10)) > 0
    second = sync_in_process(server, cache_path)
    assert second.records.get("usage", 0) > 0


FAULTS = {
    "429": Faults(seed=1, rate_429=0.08),
    "5xx": Faults(seed=2, rate_5xx=0.3),
    "maintenance": Faults(seed=3, maintenance_after=5, maintenance_seconds=1.0),
    "duplicates": Faults(seed=4, rate_duplicate=0.5),
    "410": Faults(seed=5, rate_expire=0.05),
    "cut": Faults(seed=6, rate_cut=0.3),
    "slow": Faults(seed=7, slow_seconds=0.02),
    "invalid-json": Faults(seed=8, rate_invalid_json=0.3),
    "all": Faults(seed=9, rate_429=0.05, rate_5xx=0.1, maintenance_after=10, maintenance_seconds=1.0,
                  rate_duplicate=0.3, rate_expire=0.03, rate_cut=0.1, slow_seconds=0.01, rate_invalid_json=0.1),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_each_fault_alone_and_all_combined_end_exact(standin, cache_path, capsys, name):
    faults = FAULTS[name]
    faults.page_cap = 400
    server = standin(SMALL, faults=faults)
    result = sync_in_process(server, cache_path)
    assert result.records["usage"] >= len(server.org.feeds["usage"]) * 0.9
    span = whole_history(server.org)
    assert comparable(report(capsys, server, cache_path, *span)) == expected_report(server.org, *span)
    engine = open_cache(cache_path)
    with engine.connect() as connection:
        held = dict(connection.execute(select(UsageLine.id, UsageLine.credits)).all())
    engine.dispose()
    served = {r["id"]: parse_credits(r["credits"]) for r in current(server.org.feeds["usage"])}
    assert held == served


def current(records):
    best = {}
    for record in records:
        if record["id"] not in best or record["seq"] > best[record["id"]]["seq"]:
            best[record["id"]] = record
    return best.values()


def test_persistent_invalid_json_fails_with_one_line_and_keeps_earlier_pages(standin, demo_env, cache_path, capsys):
    server = standin(SMALL, faults=Faults(invalid_json_from_request=8, page_cap=300))
    code = cli("--api-url", server.base_url, "--cache", cache_path, "sync", "--quiet")
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0
    assert len(err) == 1 and err[0].startswith("error: ") and "JSON" in err[0]
    assert_cached_rows_match_server(cache_path, server, expect_some=True)


def test_invalid_record_names_the_field_and_keeps_earlier_pages(standin, demo_env, cache_path, capsys):
    server = standin(SMALL, faults=Faults(invalid_record_seq=1000, page_cap=300))
    code = cli("--api-url", server.base_url, "--cache", cache_path, "sync", "--quiet")
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1
    assert err[0].startswith("error: invalid record in feed usage seq 1000: field 'credits'")
    held = assert_cached_rows_match_server(cache_path, server, expect_some=True)
    assert len(held) < 1000 and max(held.values(), default=0) is not None


def assert_cached_rows_match_server(cache_path, server, expect_some):
    """Every cached usage line equals a record the server sent for that id (nothing half-written)."""
    engine = open_cache(cache_path)
    with engine.connect() as connection:
        held = {i: (seq, c) for i, seq, c in connection.execute(select(UsageLine.id, UsageLine.seq, UsageLine.credits))}
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()
    sent = {(r["id"], r["seq"]): parse_credits(r["credits"]) for r in server.org.feeds["usage"]}
    assert not expect_some or held
    for record_id, (seq, credits) in held.items():
        assert sent[(record_id, seq)] == credits
    return held


def test_wrong_secret_fails_with_an_actionable_message(standin, cache_path, capsys, monkeypatch):
    server = standin(SMALL)
    monkeypatch.setenv("A2V2_API_KEY", DEMO_API_KEY)
    monkeypatch.setenv("A2V2_API_SECRET", "wrong")
    assert cli("--api-url", server.base_url, "--cache", cache_path, "sync") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: The API key or secret was not accepted")
    assert "wrong" not in "\n".join(err)


def test_unreachable_server_fails_cleanly(demo_env, cache_path, capsys):
    code = cli("--api-url", "http://127.0.0.1:9/v1/open", "--cache", cache_path, "sync", "--quiet")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and err[0].startswith("error: Cannot reach the server")


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [("Europe/Berlin", "2026-10-25", 25), ("Europe/Berlin", "2026-03-29", 23), ("Asia/Kolkata", "2026-10-25", 24)],
)
def test_local_days_follow_the_zone(standin, cache_path, capsys, tz, day, hours):
    server = standin(OrgSpec(seed=7, agents=4, members=3, days=280))
    sync_in_process(server, cache_path)
    got = report(capsys, server, cache_path, day, day, "--timezone", tz)
    d = date.fromisoformat(day)
    assert comparable(got) == expected_report(server.org, d, d, tz)
    from zoneinfo import ZoneInfo

    from a2v2_desktop.domain.times import local_day_bounds

    start, end = local_day_bounds(d, d, ZoneInfo(tz))
    assert (end - start) // 3600 == hours
    engine = open_cache(cache_path)
    with engine.connect() as connection:
        hours_held = {h for (h,) in connection.execute(select(UsageLine.hour).where(UsageLine.hour >= start, UsageLine.hour < end))}
    engine.dispose()
    assert all(start <= h < end for h in hours_held)


def test_hostile_text_survives_the_round_trip(standin, cache_path, capsys):
    server = standin()
    sync_in_process(server, cache_path)
    engine = open_cache(cache_path)
    with engine.connect() as connection:
        agents = dict(connection.execute(select(Agent.id, Agent.name)).all())
        members = dict(connection.execute(select(Member.id, Member.name)).all())
        questions = dict(connection.execute(select(UnansweredQuestionRow.id, UnansweredQuestionRow.question)).all())
    engine.dispose()
    assert agents == {a["id"]: a["name"] for a in server.org.agents}
    assert members == {m["id"]: m["name"] for m in server.org.members}
    assert questions == {q["id"]: q["question"] for q in current(server.org.feeds["unanswered_questions"])}
    names = list(agents.values()) + list(members.values())
    assert any("<script>" in n for n in names) and any("\u202e" in n for n in names)
    assert any(len(n) >= 5000 for n in names)
    got = report(capsys, server, cache_path, "2000-01-01", "2100-01-01")
    reported = {r["agent_name"] for r in got["by_agent"]} | {r["member_name"] for r in got["by_member"]}
    assert {n for n in names if "<script>" in n or "\u202e" in n or len(n) >= 5000} <= reported
