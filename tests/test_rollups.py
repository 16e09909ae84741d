"""The usage rollups always equal the usage lines' own sums, whoever writes, and read back exactly
for any range, in any zone."""

from __future__ import annotations

import json
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from a2v2_desktop.api.client import ApiClient, Credentials
from a2v2_desktop.cache import billing_queries, queries, rollups
from a2v2_desktop.cache.db import _alembic_config, open_cache
from a2v2_desktop.domain.credits import format_credits
from a2v2_desktop.domain.times import format_rfc3339, local_day_bounds
from a2v2_desktop.sync.engine import SyncEngine
from tests.test_sync_properties import BILLING, ORG

BASE = 1_790_000_000 - 1_790_000_000 % 86400  # a UTC midnight in 2026

versions = st.lists(st.tuples(
    st.integers(0, 12),  # id number: versions of the same line replace each other
    st.integers(-240, 240),  # hour offset from BASE (whole hours, some a few minutes past)
    st.booleans(),  # a few minutes past the hour
    st.sampled_from(["a1", "a2", "a3"]),
    st.sampled_from([None, "m1", "m2"]),
    st.sampled_from(["message", "tool", "voice", "brand_new"]),
    st.sampled_from(["plan", "topup"]),
    st.integers(-5, 40),  # quantity
    st.integers(-10**7, 10**8),  # credits in ten-thousandths
), min_size=1, max_size=60)


def usage_record(seq: int, version: tuple) -> dict:
    number, hours, past, agent, member, activity, pool, quantity, units = version
    instant = BASE + hours * 3600 + (420 if past else 0)
    return {"seq": seq, "id": f"u{number}", "hour": format_rfc3339(instant), "agent_id": agent, "member_id": member,
            "activity": activity, "model": None, "pool": pool, "quantity": quantity, "credits": format_credits(units)}


class Platform:
    """Serves `records` as the usage feed in pages of `sizes`, each page also re-sending an older record."""

    def __init__(self, records: list[dict], sizes: list[int]):
        self.records, self.sizes = records, sizes

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1/open")
        if path in ("/organization", "/billing", "/agents", "/members"):
            return httpx.Response(200, json={"/organization": ORG, "/billing": BILLING}.get(path, {"data": []}))
        after = int(request.url.params.get("after_seq", 0))
        if path != "/feeds/usage":
            return httpx.Response(200, json={"data": [], "has_more": False, "next_after_seq": after})
        size = self.sizes[after % len(self.sizes)]
        page = [r for r in self.records if r["seq"] > after][:size]
        resent = [r for r in self.records if r["seq"] <= after][-1:]
        next_after = page[-1]["seq"] if page else after
        body = {"data": resent + page, "has_more": next_after < self.records[-1]["seq"], "next_after_seq": next_after}
        return httpx.Response(200, content=json.dumps(body))


def rollups_match_lines(connection) -> None:
    """Every rollup row equals a GROUP BY over the lines; rows whose lines all left hold nothing."""
    for rollup in rollups.ROLLUPS:
        keys = ", ".join(f"coalesce({name}, '')" if name in ("member_id", "model") else name
                         for name in rollup.dimensions)
        for span, start in ((3600, "hour"), (86400, "hour - ((hour % 86400) + 86400) % 86400")):
            expected = set(connection.exec_driver_sql(
                f"SELECT {start}, {keys}, sum(credits), sum(quantity), count(*) FROM usage GROUP BY 1, {keys}").all())
            held = connection.exec_driver_sql(
                f"SELECT start, {', '.join(rollup.dimensions)}, credits, quantity, lines FROM {rollup.table} "
                f"WHERE span = {span}").all()
            assert {row for row in held if row[-1]} == expected, (rollup.table, span)
            assert all(row[-3:] == (0, 0, 0) for row in held if not row[-1])
    assert connection.exec_driver_sql("SELECT count(*) FROM usage_change").scalar() == 0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(versions=versions, sizes=st.lists(st.integers(1, 8), min_size=1, max_size=4))  # +1 re-sent: at most page_size
def test_a_synced_feed_with_replacements_and_resends_keeps_the_rollups_exact(tmp_path_factory, versions, sizes):
    records = [usage_record(seq, version) for seq, version in enumerate(versions, start=1)]
    engine = open_cache(tmp_path_factory.mktemp("rollups") / "cache.sqlite")
    client = ApiClient("http://127.0.0.1:1/v1/open", Credentials("k", "s"),
                       transport=httpx.MockTransport(Platform(records, sizes)))
    with client:
        SyncEngine(client, engine, page_size=9).run()
    with engine.connect() as connection:
        rollups_match_lines(connection)
        assert billing_queries.usage_by_hour(connection) == [tuple(row) for row in connection.exec_driver_sql(
            "SELECT hour, sum(iif(pool = 'plan', credits, 0)), sum(iif(pool = 'topup', credits, 0)), sum(credits) "
            "FROM usage GROUP BY hour ORDER BY hour").all()]
    engine.dispose()


def test_direct_writes_keep_the_rollups_exact(cache_path):
    engine = open_cache(cache_path)
    line = "INSERT INTO usage VALUES (?, ?, ?, 'a1', ?, 'message', NULL, 'plan', ?, ?)"
    with engine.begin() as connection:
        connection.exec_driver_sql(line, ("u1", 1, BASE, None, 2, 30_000))
        connection.exec_driver_sql(line, ("u2", 2, BASE - 1800, "m1", 1, -5_000))
        connection.exec_driver_sql(line, ("u3", 3, -7200, None, 1, 7))  # before 1970: still its own UTC day
        connection.exec_driver_sql("UPDATE usage SET hour = hour + 86400, credits = 1 WHERE id = 'u1'")
        connection.exec_driver_sql("DELETE FROM usage WHERE id = 'u2'")
    with engine.connect() as connection:
        rollups_match_lines(connection)
        assert queries.spend_total(connection, BASE, BASE + 2 * 86400) == (1, 2)
    engine.dispose()


ZONES = ["UTC", "Europe/Berlin", "Asia/Kolkata", "Australia/Adelaide", "America/St_Johns", "Asia/Kathmandu"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(versions=versions, zone=st.sampled_from(ZONES), first=st.integers(-12, 8), days=st.integers(1, 9),
       agent=st.sampled_from([None, "a2"]))
def test_range_sums_equal_the_lines_in_any_zone(tmp_path_factory, versions, zone, first, days, agent):
    engine = open_cache(tmp_path_factory.mktemp("ranges") / "cache.sqlite")
    records = [usage_record(seq, version) for seq, version in enumerate(versions, start=1)]
    client = ApiClient("http://127.0.0.1:1/v1/open", Credentials("k", "s"),
                       transport=httpx.MockTransport(Platform(records, [50])))
    with client:
        SyncEngine(client, engine).run()
    start_day = date.fromtimestamp(BASE) + timedelta(days=first)
    start, end = local_day_bounds(start_day, start_day + timedelta(days=days - 1), ZoneInfo(zone))
    agents = [agent] if agent else None
    where = "hour >= ? AND hour < ?" + (" AND agent_id = ?" if agent else "")
    params = (start, end, agent) if agent else (start, end)
    with engine.connect() as connection:
        raw = connection.exec_driver_sql(
            f"SELECT coalesce(sum(credits), 0), coalesce(sum(quantity), 0) FROM usage WHERE {where}", params).one()
        by_member = set(connection.exec_driver_sql(
            f"SELECT member_id, sum(credits), sum(quantity) FROM usage WHERE {where} GROUP BY member_id", params).all())
        assert queries.spend_total(connection, start, end, agents) == tuple(raw)
        assert {(r.key, r.credits, r.quantity) for r in queries.spend_by_member(connection, start, end, agents)} == by_member
    engine.dispose()


def test_an_older_cache_is_backfilled_when_it_is_upgraded(cache_path):
    engine = create_engine(f"sqlite:///{cache_path}")
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0002")
        for number in range(30):
            connection.exec_driver_sql(
                "INSERT INTO usage VALUES (?, ?, ?, ?, ?, 'message', NULL, 'plan', 1, ?)",
                (f"u{number}", number, BASE + number * 5000, f"a{number % 3}", None if number % 4 else "m1",
                 number * 1000 - 7000))
    engine.dispose()
    engine = open_cache(cache_path)
    with engine.connect() as connection:
        rollups_match_lines(connection)
    engine.dispose()


@pytest.mark.parametrize(("lo", "hi", "pieces"), [
    (BASE, BASE + 86400, [(86400, BASE, BASE + 86400)]),
    (BASE + 1800, BASE + 3 * 86400 - 5400, [(3600, BASE + 1800, BASE + 86400), (86400, BASE + 86400, BASE + 2 * 86400),
                                            (3600, BASE + 2 * 86400, BASE + 3 * 86400 - 5400)]),
    (BASE + 3600, BASE + 7200, [(3600, BASE + 3600, BASE + 7200)]),
    (BASE, BASE, []),
])
def test_a_range_is_whole_utc_days_and_edge_hours(lo, hi, pieces):
    assert rollups.pieces(lo, hi) == pieces
