"""Opening the cache: migrations from empty, refusal of newer or corrupt files without touching them."""

import hashlib
import sqlite3

import pytest
from sqlalchemy import inspect

from a2v2_desktop.cache.db import (MIGRATIONS, CacheCorruptError, CacheTooNewError, current_revision, head_revision,
                                   known_revisions, open_cache)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_empty_cache_upgrades_to_head(cache_path):
    engine = open_cache(cache_path)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"usage", "conversations", "billing_snapshots", "feed_cursors", "sync_runs", "agents", "members"} <= tables
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_the_revisions_read_from_file_names_are_alembics_own():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    assert known_revisions() == tuple(reversed([revision.revision for revision in script.walk_revisions()]))
    assert head_revision() == script.get_current_head()


def test_reopening_keeps_data(cache_path):
    engine = open_cache(cache_path)
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO organization VALUES ('o1', 'Org', 'UTC', 0)")
    engine.dispose()
    engine = open_cache(cache_path)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT name FROM organization").scalar() == "Org"
    engine.dispose()


def test_newer_revision_is_refused_and_untouched(cache_path):
    engine = open_cache(cache_path)
    engine.dispose()
    with sqlite3.connect(cache_path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    raw.close()
    before = digest(cache_path)
    with pytest.raises(CacheTooNewError, match="newer version"):
        open_cache(cache_path)
    assert digest(cache_path) == before


@pytest.mark.parametrize("content", [b"this is not a database at all" * 100, b"SQLite format 3\x00" + b"\x00" * 50])
def test_corrupt_or_truncated_file_is_refused_and_untouched(cache_path, content):
    cache_path.write_bytes(content)
    with pytest.raises(CacheCorruptError):
        open_cache(cache_path)
    assert cache_path.read_bytes() == content


def test_foreign_database_is_refused(cache_path):
    with sqlite3.connect(cache_path) as raw:
        raw.execute("CREATE TABLE something_else (x)")
    raw.close()
    before = digest(cache_path)
    with pytest.raises(CacheCorruptError, match="not an A2V2 Desktop cache"):
        open_cache(cache_path)
    assert digest(cache_path) == before


def test_migrations_build_exactly_the_models(cache_path):
    """A model change without its migration fails here, not on a user's machine."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from a2v2_desktop.cache.models import METADATA

    engine = open_cache(cache_path)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), METADATA) == []
    engine.dispose()


def test_new_cache_is_private_to_the_user(tmp_path):
    path = tmp_path / "new" / "cache.sqlite"
    engine = open_cache(path)
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO organization VALUES ('o1', 'Org', 'UTC', 0)")
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o700
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_mode & 0o077 == 0
    engine.dispose()


def test_only_an_older_cache_is_upgraded_through_the_callers_upgrader(tmp_path):
    """The window shows progress for an upgrade (it can take a minute); a new or current cache opens at once."""
    from tests.test_lean_usage import at_revision

    upgrades = []

    def upgrade(work):
        upgrades.append(tmp_path)
        work()

    for _ in range(2):  # created, then opened at the head revision
        engine = open_cache(tmp_path / "new.sqlite", upgrade)
        engine.dispose()
    assert upgrades == []
    at_revision(tmp_path / "old.sqlite", "0003").dispose()
    engine = open_cache(tmp_path / "old.sqlite", upgrade)
    assert len(upgrades) == 1 and current_revision(engine) == head_revision()
    engine.dispose()


def test_a_report_counts_distinct_visitors_from_the_visitor_index_without_sorting(cache_path):
    from sqlalchemy import event

    from a2v2_desktop.cache import queries

    engine = open_cache(cache_path)
    ran = []
    event.listen(engine, "before_cursor_execute",
                 lambda _conn, _cursor, statement, parameters, _context, _many: ran.append((statement, parameters)))
    with engine.connect() as connection:
        queries.conversation_stats(connection, 0, 2**40)
        statement, parameters = next(query for query in ran if "DISTINCT" in query[0])
        plan = " ".join(row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
    engine.dispose()
    assert "COVERING INDEX ix_conversations_visitor_id_started_at_agent_id" in plan and "TEMP B-TREE" not in plan
