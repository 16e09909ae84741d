"""The Usage panel's memory of the rollups answers exactly what the rollups answer, for any
range in any zone, until whoever holds it drops it because usage changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from a2v2_desktop.cache import rollups
from a2v2_desktop.cache.usage_queries import UsageMemory
from a2v2_desktop.domain.times import local_date, zone
from a2v2_desktop.insights import ranges
from a2v2_desktop.insights.ranges import DateRange
from a2v2_desktop.insights.usage import UsageRequest, build_usage_view
from tests.test_insights import NOW, demo  # noqa: F401 - the synced seed-7 demo, shared

SOURCES = [("agent_id",), ("member_id",), ("activity", "pool"), ("activity",), ("member_id", "activity")]
ZONES = ["UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"]
START = int(NOW.timestamp()) - 120 * 86400  # before the demo's first usage, after its last


def agents_of(engine) -> list[str]:
    with engine.connect() as connection:
        return [row[0] for row in connection.exec_driver_sql("SELECT id FROM agents ORDER BY id")]


def warmed(engine, dimensions, agent_ids) -> UsageMemory:
    memory = UsageMemory()
    with engine.connect() as connection:
        memory.sums_by(connection, dimensions, [(START, START + 86400)], agent_ids)
        memory.warm(connection)
    assert not memory.wanted
    return memory


edges = st.integers(0, 140 * 86400).map(lambda offset: START + offset // 900 * 900)  # quarter hours
buckets = st.lists(st.tuples(edges, edges).map(sorted).map(tuple), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=st.sampled_from(SOURCES), spans=buckets, filtered=st.sampled_from([None, 1, 2]))
def test_memory_answers_what_the_rollups_answer(demo, source, spans, filtered):  # noqa: F811
    """Same keys, same sums, same order, for buckets anywhere (empty, outside the data, mid-hour)."""
    _org, engine = demo
    agent_ids = None if filtered is None else agents_of(engine)[:filtered]
    memory = warmed(engine, source, agent_ids)
    spans = [*spans, (START, START + 140 * 86400)]  # and all of the demo's usage
    with engine.connect() as connection:
        expected = rollups.sums_by(connection, source, spans, agent_ids)
        found = memory.sums_by(connection, source, spans, agent_ids)
    assert list(found.items()) == list(expected.items())
    assert any(bucket == len(spans) - 1 for bucket, *_key in expected)


def test_a_source_is_read_from_the_rollups_until_warmed_then_kept_as_it_was(tmp_path):
    """Before `warm` the rollups answer; after it the memory does, even once usage changed under
    it, which is why the panel drops it after every sync that touched usage."""
    from a2v2_desktop.cache.db import open_cache

    engine = open_cache(tmp_path / "cache.sqlite")
    hour = int(NOW.timestamp()) // 3600 * 3600
    with engine.begin() as connection:
        for number, (at, credits) in enumerate([(hour - 50 * 3600, 30_000), (hour - 3 * 3600, 5_000)]):
            connection.exec_driver_sql(
                "INSERT INTO usage (id, seq, hour, agent_id, member_id, activity, pool, quantity, credits) "
                "VALUES (?, ?, ?, 'a1', NULL, 'message', 'plan', 1, ?)", (f"u{number}", number, at, credits))
    day = [(hour - 86400, hour + 3600)]
    memory = UsageMemory()
    with engine.connect() as connection:
        assert memory.sums_by(connection, ("member_id",), day) == {(0, None): rollups.Sums(5_000, 1)}
        assert memory.wanted == {(("member_id",), None)}
        memory.warm(connection)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO usage (id, seq, hour, agent_id, member_id, activity, pool, quantity, credits) "
            "VALUES ('u9', 9, ?, 'a1', NULL, 'message', 'plan', 2, 7000)", (hour - 7200,))
    with engine.connect() as connection:
        assert memory.sums_by(connection, ("member_id",), day) == {(0, None): rollups.Sums(5_000, 1)}
        assert UsageMemory().sums_by(connection, ("member_id",), day) == {(0, None): rollups.Sums(12_000, 3)}
    engine.dispose()


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "Asia/Kolkata", "UTC"])
def test_views_with_memory_equal_views_without(demo, timezone):  # noqa: F811
    """Every preset and a custom range over a DST change, all agents and one, any granularity:
    the same view, and the second time round nothing is read from the rollups again."""
    _org, engine = demo
    now = int(NOW.timestamp())
    memory = UsageMemory()
    today = local_date(now, zone(timezone))
    custom = DateRange(date(2026, 10, 20), today - timedelta(days=2))
    asked = [UsageRequest(preset, now, custom=custom if preset == ranges.CUSTOM else None, timezone=timezone,
                          agent_id=agent, granularity=granularity, known_runaways=())
             for preset in ranges.PRESETS for agent in (None, agents_of(engine)[0])
             for granularity in (ranges.AUTO, ranges.DAY, ranges.WEEK)]
    for _round in range(2):
        for request in asked:
            with engine.connect() as connection:
                expected = build_usage_view(connection, request)
                found = build_usage_view(connection, replace(request, memory=memory))
                assert replace(found, request=request) == expected, request
                memory.warm(connection)
    assert not memory.wanted


def test_small_reads_are_kept_once_per_query(demo):  # noqa: F811
    """Organization, billing, agents and seats are read once per memory, each by its own query."""
    _org, engine = demo
    memory, asked = UsageMemory(), []

    def counted(name):
        return lambda connection: asked.append(name) or name

    first, second = counted("first"), counted("second")
    with engine.connect() as connection:
        assert [memory.kept(connection, query) for query in (first, second, first, second)] == \
            ["first", "second", "first", "second"]
    assert asked == ["first", "second"]
