"""Opening the cache: URL resolution, SQLite pragmas, integrity and migrations.

The cache holds history the platform may no longer serve, so it is migrated
forward, never dropped, and a file we cannot read (corrupt, or written by a newer
version) is refused with a clear message and left exactly as it was.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_MAGIC = b"SQLite format 3\x00"


class CacheError(Exception):
    """The cache cannot be used; the message says why and what to do."""


class CacheTooNewError(CacheError):
    pass


class CacheCorruptError(CacheError):
    pass


def describe_write_error(error: DBAPIError) -> str:
    """A sentence a person can act on for a failed cache write."""
    detail = str(error.orig).lower()
    if "full" in detail:
        return "The disk holding the cache is full. Free some space and sync again"
    if "readonly" in detail or "read-only" in detail:
        return "The cache is read-only. Check the permissions of its folder, or choose another cache location"
    if "locked" in detail or "busy" in detail:
        return "The cache is locked by another program (is A2V2 Desktop syncing elsewhere?). Try again when it has finished"
    return f"Cannot write the cache ({error.orig})"


def cache_url(path_or_url: str | os.PathLike) -> str:
    """A SQLAlchemy URL from a plain file path or a URL given as is."""
    text = os.fspath(path_or_url)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def cache_file(path_or_url: str | os.PathLike) -> Path | None:
    """The SQLite file behind a cache location; None for an in-memory or server database."""
    return _sqlite_file(cache_url(path_or_url))


def _set_sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _check_sqlite_header(path: Path) -> None:
    """Refuse a file that is not a SQLite database before SQLite touches it."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        if handle.read(16) != SQLITE_MAGIC:
            raise CacheCorruptError(
                f"The cache file {path} is not a database (corrupt or truncated). "
                "It was left untouched; move it away or choose another cache location."
            )


def create_cache_engine(url: str) -> Engine:
    """An engine whose connections get WAL, foreign keys and a busy timeout on SQLite.

    The pragmas are set only after `check_compatible` has looked at the file,
    because switching to WAL rewrites the header of a file that may not be ours.
    """
    path = _sqlite_file(url)
    if path is not None:
        _check_sqlite_header(path)
        _create_private_file(path)
    return create_engine(url)


def _create_private_file(path: Path) -> None:
    """Create the cache readable by the user only; SQLite gives its -wal/-shm files the same mode."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _enable_pragmas(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        engine.dispose()
        event.listen(engine, "connect", _set_sqlite_pragmas)


def _alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _backup_before_migration(url: str, revision: str) -> None:
    """Copy an existing SQLite cache aside before changing its schema."""
    path = _sqlite_file(url)
    if path is not None and path.exists():
        shutil.copy2(path, path.with_name(f"{path.name}.before-{revision}"))


def check_compatible(engine: Engine) -> str | None:
    """The cache's schema revision; refuses (untouched) a newer, foreign or unreadable database."""
    try:
        revision = current_revision(engine)
        has_tables = bool(inspect(engine).get_table_names())
    except DatabaseError as error:
        raise CacheCorruptError(f"The cache at {engine.url} cannot be read ({error.orig}). It was left untouched.") from None
    if revision is not None and not _known(ScriptDirectory(str(MIGRATIONS)), revision):
        raise CacheTooNewError(
            f"The cache at {engine.url} was written by a newer version of A2V2 Desktop "
            f"(schema {revision}). Update the app, or choose another cache location; "
            "the file was left untouched."
        )
    if revision is None and has_tables:
        raise CacheCorruptError(
            f"The database at {engine.url} holds tables but is not an A2V2 Desktop cache. It was left untouched."
        )
    return revision


def migrate(engine: Engine, revision: str | None) -> None:
    """Bring a compatible cache to the head revision, backing up the file first."""
    if revision == head_revision():
        return
    if revision is not None:
        _backup_before_migration(engine.url.render_as_string(hide_password=False), revision)
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "head")


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def open_cache(path_or_url: str | os.PathLike) -> tuple[Engine, sessionmaker[Session]]:
    """Open (creating if needed) and migrate the cache; the one entry point for every layer."""
    url = cache_url(path_or_url)
    engine = create_cache_engine(url)
    try:
        revision = check_compatible(engine)
        _enable_pragmas(engine)
        migrate(engine, revision)
    except OperationalError as error:
        engine.dispose()
        raise CacheError(f"The cache at {engine.url} cannot be opened: {error.orig}") from None
    except CacheError:
        engine.dispose()
        raise
    return engine, sessionmaker(engine, expire_on_commit=False)
