"""The sync's fast paths give exactly what the careful ones give, and its progress says how long."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone

import httpx
import pytest
from sqlalchemy import event

from a2v2_desktop.api import records as rec
from a2v2_desktop.api.client import ApiClient, Credentials
from a2v2_desktop.cache import writes
from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.domain.times import parse_rfc3339
from a2v2_desktop.standin.generator import DemoOrg, OrgSpec
from a2v2_desktop.sync.engine import SyncEngine, SyncError, SyncProgress, _FeedPace
from a2v2_desktop.sync.rows import feed_columns
from tests.test_rollups import Platform, rollups_match_lines, usage_record

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def page(records: list[dict], has_more: bool = True) -> bytes:
    return json.dumps({"data": records, "has_more": has_more, "next_after_seq": records[-1]["seq"]}).encode()


@pytest.mark.parametrize("feed", rec.FEEDS)
def test_a_page_read_in_one_pass_equals_the_record_by_record_reading(feed):
    org = DemoOrg(OrgSpec(seed=3, agents=6, members=4, days=40), now=NOW)
    body = page(list(org.feeds[feed])[:400])
    assert rec.parse_feed_page(feed, body, 0) == rec._parse_page_slowly(feed, json.loads(body), 0)


@pytest.mark.parametrize("text", [
    "2026-10-01T10:07:59Z", "2026-10-01T10:00:00Z", "1969-12-31T23:59:59Z", "2026-10-01T10:07:59+05:30",
    "2026-10-01 10:07:59Z", "2026-10-01T10:07:59.25Z", "2026-10-01T10:60:00Z", "2026-10-01T10:07:60Z",
    "2026-13-01T10:07:59Z", "2026-10-01T24:07:59Z", "2026-10-01T1٠:07:59Z", "2026-10-01T10:07:59", "", "garbage",
])
def test_instants_are_exactly_parse_rfc3339s(text):
    try:
        expected = parse_rfc3339(text)
    except ValueError as error:
        with pytest.raises(ValueError, match=str(error).replace("(", r"\(").replace(")", r"\)")):
            rec._instant(text)
        return
    assert rec._instant(text) == rec._instant(text) == expected


def test_a_bad_record_is_named_the_same_way_on_the_fast_path():
    good = {"seq": 7, "id": "u7", "hour": "2026-10-01T10:00:00Z", "agent_id": "a1", "member_id": None,
            "activity": "message", "model": None, "pool": "plan", "quantity": 3, "credits": "2.5"}
    bad = dict(good, seq=8, id="u8", hour="2026-10-01T10:61:00Z")
    with pytest.raises(rec.InvalidRecordError) as caught:
        rec.parse_feed_page("usage", page([good, bad]), 0)
    assert str(caught.value).startswith("invalid record in feed usage seq 8: field 'hour': Value error, not an RFC 3339")
    with pytest.raises(ValueError):  # unreadable JSON stays a plain ValueError: the client retries it
        rec.parse_feed_page("usage", b'{"data": [', 0)


def test_a_page_past_one_statement_is_written_whole_in_even_parts_the_highest_seq_winning(cache_path):
    """SQLite's parameter limit cut to five usage rows a statement: seven rows go as 4 + 3 (not 5 + 2), and
    an id sent again in the later part replaces the earlier one only with a higher seq."""
    versions = [("u1", 1, 100), ("u2", 7, 200), ("u3", 2, 300), ("u4", 3, 400), ("u5", 4, 500), ("u1", 6, 600),
                ("u2", 5, 700)]
    rows = [(name, seq, 3600 * seq, "a1", None, "message", None, "plan", 1, units) for name, seq, units in versions]
    engine = open_cache(cache_path)
    with engine.connect() as connection:
        connection.connection.driver_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 50)
        sent = []
        event.listen(connection, "before_cursor_execute", lambda *call: sent.append(len(call[3])))
        with connection.begin():
            writes.claim_usage(connection, writes.Batch(feed_columns("usage"), [value for row in rows for value in row]))
            writes.fold_usage(connection)
        held = connection.exec_driver_sql("SELECT id, seq, credits FROM usage ORDER BY id").all()
        assert held == [("u1", 6, 600), ("u2", 7, 200), ("u3", 2, 300), ("u4", 3, 400), ("u5", 4, 500)]
        assert [count // 10 for count in sent if count >= 10] == [4, 3]
        rollups_match_lines(connection)
    engine.dispose()


@pytest.mark.parametrize("quantity", [2**63, -(2**63) - 1])
def test_an_integer_the_cache_cannot_hold_stops_the_sync_keeping_every_page_before_it(cache_path, quantity):
    """Past 64 bits: the page is refused, never rounded to a float."""
    records = [usage_record(seq, (seq, seq, False, "a1", None, "message", "plan", 1, 100)) for seq in range(1, 7)]
    records[4]["quantity"] = quantity
    engine = open_cache(cache_path)
    with ApiClient("http://127.0.0.1:1/v1/open", Credentials("k", "s"),
                   transport=httpx.MockTransport(Platform(records, [3]))) as client:
        with pytest.raises(SyncError, match="^A usage record on the page up to seq 6 holds a value the cache cannot"):
            SyncEngine(client, engine, page_size=4).run()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT id FROM usage ORDER BY seq").scalars().all() == ["u1", "u2", "u3"]
        assert writes.read_cursor(connection, "usage") == 3
        rollups_match_lines(connection)
    engine.dispose()


def test_time_left_follows_the_history_still_to_come_and_the_rate_limit(monkeypatch):
    monkeypatch.setattr("a2v2_desktop.sync.engine.time.monotonic", lambda: 10.0)
    pace = _FeedPace(now=1000, started=0.0)
    pace.add(5000, (0, 250))  # a quarter of the history in 10 s: three quarters, 30 s, to go
    assert pace.eta(page_size=5000, rate_limit=None) == pytest.approx(30)
    assert pace.eta(page_size=5000, rate_limit=(1, 0)) == pytest.approx(180)  # 3 more pages at 1 a minute


def test_progress_text_says_rate_and_time_left():
    assert SyncProgress("usage", records_per_second=52_000.4, eta_seconds=150).speed_text() == \
        "52,000 records/s · about 3 min left"
    assert SyncProgress("subscriptions", records_per_second=10.0).speed_text() == "10 records/s · time left unknown"
    assert SyncProgress("usage").speed_text() == ""
