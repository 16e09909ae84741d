"""Revision 0004: usage lines without covering indexes, sync pages that claim their own lines, and the
readers that moved to the rollups. A migrated cache equals a fresh one; every way of writing keeps the
rollups equal to the lines; the readers say what a GROUP BY over the lines says."""

from __future__ import annotations

import shutil

import pytest
from alembic import command
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from a2v2_desktop.cache import analytics_queries, billing_queries, watch_store, writes
from a2v2_desktop.cache.db import _alembic_config, open_cache
from a2v2_desktop.sync.rows import feed_columns
from tests.test_rollups import BASE, rollups_match_lines

COLUMNS = feed_columns("usage")
INSERT = f"INSERT INTO usage ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"

lines = st.lists(st.tuples(
    st.integers(0, 15),  # id number: versions of the same line replace each other
    st.integers(0, 40),  # seq: ties and lower seqs are re-sends and stale versions
    st.integers(-30, 30),  # hour offset from BASE
    st.sampled_from(["a1", "a2", "a3"]),
    st.sampled_from([None, "m1"]),
    st.sampled_from(["message", "tool"]),
    st.sampled_from([None, "model-x", "model-y"]),
    st.sampled_from(["plan", "topup"]),
    st.integers(-3, 9),  # quantity
    st.integers(-10**6, 10**7),  # credits
), min_size=1, max_size=25)


def line_row(line: tuple) -> tuple:
    number, seq, hours, agent, member, activity, model, pool, quantity, credits = line
    return (f"u{number}", seq, BASE + hours * 3600, agent, member, activity, model, pool, quantity, credits)


def write_pages(engine, pages: list[list[tuple]]) -> list[tuple[int, int] | None]:
    """Each page through the sync's writer, in its own transaction; the spans of hours it reported."""
    spans = []
    for page in pages:
        with engine.begin() as connection:
            writes.claim_usage(connection, writes.Batch(COLUMNS, [value for line in page for value in line_row(line)]))
            spans.append(writes.fold_usage(connection))
    return spans


def write_pages_together(engine, pages: list[list[tuple]], undone: int | None) -> tuple[int, int] | None:
    """All pages in one transaction as the sync's writer does, each in its savepoint (page `undone` rolled
    back after its write), folded once before the commit; the span of hours the fold reported."""
    with engine.begin() as connection:
        for index, page in enumerate(pages):
            savepoint = connection.begin_nested()
            writes.claim_usage(connection, writes.Batch(COLUMNS, [value for line in page for value in line_row(line)]))
            savepoint.rollback() if index == undone else savepoint.commit()
        return writes.fold_usage(connection)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    engine = open_cache(tmp_path_factory.mktemp("template") / "cache.sqlite")
    engine.dispose()
    return engine.url.database


def copy_of(template: str, folder) -> object:
    path = folder / "cache.sqlite"
    shutil.copy(template, path)
    return open_cache(path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pages=st.lists(lines, min_size=1, max_size=4))
def test_pages_of_inserts_replacements_and_resends_keep_rollups_and_readers_exact(template, tmp_path_factory, pages):
    engine = copy_of(template, tmp_path_factory.mktemp("pages"))
    spans = write_pages(engine, pages)
    with engine.connect() as connection:
        rollups_match_lines(connection)
        raw = connection.exec_driver_sql
        assert watch_store.hourly_credits(connection) == dict(raw("SELECT hour, sum(credits) FROM usage GROUP BY hour").all())
        for agent in ("a1", "a2", "a3", "a4"):
            expected = raw("SELECT hour, activity, model, sum(credits), sum(quantity) FROM usage WHERE agent_id = ? "
                           "GROUP BY 1, 2, 3", (agent,)).all()
            spend = analytics_queries.agent_spend_by_hour(connection, agent, BASE - 2 * 86400, BASE + 2 * 86400)
            assert sorted(spend, key=repr) == sorted(map(tuple, expected), key=repr)
            assert [row[0] for row in spend] == sorted(row[0] for row in spend)
            assert analytics_queries.has_history(connection, agent) == bool(expected)
        assert billing_queries.usage_after(connection, 10) == [tuple(row) for row in raw(
            "SELECT seq, hour, pool, credits FROM usage WHERE seq > 10 ORDER BY seq").all()]
    hours = [BASE + line[2] * 3600 for page in pages for line in page]
    assert all(span is None or min(hours) <= span[0] <= span[1] <= max(hours) for span in spans)
    engine.dispose()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=lines, pages=st.lists(lines, min_size=1, max_size=5), undone=st.none() | st.integers(0, 5))
def test_pages_sharing_a_transaction_and_one_fold_keep_the_rollups_exact(template, tmp_path_factory, first, pages,
                                                                          undone):
    """The sync's way: many pages claimed in one transaction, one of them perhaps undone, one fold."""
    assume(undone is None or undone < len(pages))
    engine = copy_of(template, tmp_path_factory.mktemp("together"))
    write_pages(engine, [first])  # lines held before the transaction: its replacements are logged, not claimed
    span = write_pages_together(engine, pages, undone)
    with engine.connect() as connection:
        rollups_match_lines(connection)
        assert connection.exec_driver_sql("SELECT count(*) FROM usage_rollup_batch").scalar() == 0
    hours = [BASE + line[2] * 3600 for page in (first, *pages) for line in page]
    assert span is None or min(hours) <= span[0] <= span[1] <= max(hours)
    engine.dispose()


def test_a_page_reports_the_hours_its_replacements_left(cache_path):
    engine = open_cache(cache_path)
    old = (1, 1, -5, "a1", None, "message", None, "plan", 1, 100)
    new = (1, 2, 7, "a1", None, "message", None, "plan", 1, 300)
    assert write_pages(engine, [[old], [new]]) == [(BASE - 5 * 3600, BASE - 5 * 3600), (BASE - 5 * 3600, BASE + 7 * 3600)]
    with engine.connect() as connection:
        rollups_match_lines(connection)
    engine.dispose()


SAMPLE = [(number, number, number % 50 - 25, f"a{number % 3}", None if number % 4 else "m1",
           ("message", "tool")[number % 2], (None, "model-x")[number % 3 % 2], ("plan", "topup")[number % 5 % 2],
           1, number * 1000 - 7000) for number in range(60)]


def at_revision(path, revision: str):
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), revision)
    return engine


def contents(engine) -> dict:
    """Every schema object's SQL and every table's rows."""
    with engine.connect() as connection:
        schema = set(connection.exec_driver_sql("SELECT type, name, tbl_name, sql FROM sqlite_master").all())
        tables = [name for kind, name, _table, _sql in schema if kind == "table" and name != "alembic_version"]
        rows = {name: sorted(connection.exec_driver_sql(f"SELECT * FROM {name}").all(), key=repr) for name in tables}
    return {"schema": schema, "rows": rows}


def test_a_rev3_cache_migrates_to_what_a_fresh_cache_holds(tmp_path):
    older = at_revision(tmp_path / "older.sqlite", "0003")
    with older.begin() as connection:
        for line in SAMPLE:
            connection.exec_driver_sql(INSERT, line_row(line))
    older.dispose()
    migrated = open_cache(tmp_path / "older.sqlite")
    fresh = open_cache(tmp_path / "fresh.sqlite")
    write_pages(fresh, [SAMPLE[:25], SAMPLE[25:]])
    with migrated.connect() as connection:
        rollups_match_lines(connection)
    assert contents(migrated) == contents(fresh)
    migrated.dispose()
    fresh.dispose()


def test_down_to_rev3_and_up_again_is_the_same_cache(tmp_path):
    late = (99, 99, 3, "a1", None, "tool", "model-x", "plan", 1, 5)
    engine = open_cache(tmp_path / "cache.sqlite")
    write_pages(engine, [SAMPLE])
    with engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0003")
        indexes = {row[0] for row in connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage'").all()}
        assert "ix_usage_agent_id_hour_credits_quantity" in indexes and "ix_usage_seq" not in indexes
        connection.exec_driver_sql(INSERT, line_row(late))  # rev 3's triggers add it to its rollups
    engine.dispose()
    engine = open_cache(tmp_path / "cache.sqlite")
    fresh = open_cache(tmp_path / "fresh.sqlite")
    write_pages(fresh, [SAMPLE, [late]])
    assert contents(engine) == contents(fresh)
    engine.dispose()
    fresh.dispose()
