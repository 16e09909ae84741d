"""Opening the cache: URL resolution, SQLite pragmas, integrity and migrations.

The cache holds history the platform may no longer serve, so it is migrated
forward, never dropped, and a file we cannot read (corrupt, or written by a newer
version) is refused with a clear message and left exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DatabaseError, DBAPIError, OperationalError

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_MAGIC = b"SQLite format 3\x00"
COMPANIONS = ("-wal", "-shm", "-journal")  # the files SQLite keeps beside a database
LOCK_WAIT_MS = 3000  # how long opening waits for another program's write to end before calling the cache locked


class CacheProblem(Enum):
    """What is wrong with a cache file: the window offers the ways forward that fit each."""

    CORRUPT = "corrupt"  # not a database, truncated, malformed, or a database that is not ours
    TOO_NEW = "too_new"  # written by a newer version of the app
    LOCKED = "locked"  # another program holds its write lock
    UNUSABLE = "unusable"  # anything else SQLite refused (permissions, I/O)


class CacheError(Exception):
    """The cache cannot be used; the message says why and what to do."""

    problem = CacheProblem.UNUSABLE


class CacheTooNewError(CacheError):
    problem = CacheProblem.TOO_NEW


class CacheCorruptError(CacheError):
    problem = CacheProblem.CORRUPT


class CacheLockedError(CacheError):
    problem = CacheProblem.LOCKED


def _is_lock(error: DBAPIError) -> bool:
    detail = str(error.orig).lower()
    return "locked" in detail or "busy" in detail


def describe_write_error(error: DBAPIError) -> str:
    """A sentence a person can act on for a failed cache write."""
    detail = str(error.orig).lower()
    if "full" in detail:
        return "The disk holding the cache is full. Free some space and sync again"
    if "readonly" in detail or "read-only" in detail:
        return "The cache is read-only. Check the permissions of its folder, or choose another cache location"
    if _is_lock(error):
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
    """Refuse a file that is not a SQLite database, or is shorter than its header says, before SQLite
    touches it (SQLite reads a cut-off file as zeros and may only fail deep inside a query)."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        header = handle.read(100)
    if header[:16] != SQLITE_MAGIC or _cut_short(path, header):
        raise CacheCorruptError(
            f"The cache file {path} is not a database (corrupt or truncated). "
            "It was left untouched; move it away or choose another cache location."
        )


def _cut_short(path: Path, header: bytes) -> bool:
    """True when the file is smaller than the page count its header vouches for. Pages still in a
    -wal file may not be in the main file yet, so a file with a non-empty WAL is not judged."""
    if len(header) < 100:
        return True
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return False
    (page_size,) = struct.unpack(">H", header[16:18])
    change_counter, pages = struct.unpack(">II", header[24:32])
    (valid_for,) = struct.unpack(">I", header[92:96])
    page_size = 65536 if page_size == 1 else page_size
    return pages > 0 and valid_for == change_counter and path.stat().st_size < pages * page_size


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


def _alembic_config(connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@cache
def known_revisions() -> tuple[str, ...]:
    """The schema revisions this version knows, oldest first, from the migration files' names
    (`NNNN_what.py` with revision "NNNN"), so opening an up-to-date cache needs no Alembic import."""
    return tuple(sorted(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py")))


def head_revision() -> str:
    return known_revisions()[-1]


def current_revision(engine: Engine) -> str | None:
    """The revision Alembic recorded in the cache; None for a database it never touched."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


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
    except OperationalError as error:
        raise _operational_error(engine, error) from None
    except DatabaseError as error:
        raise CacheCorruptError(f"The cache at {engine.url} cannot be read ({error.orig}). It was left untouched.") from None
    if revision is not None and revision not in known_revisions():
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


# How an upgrade of an existing cache is run: `upgrade(work)` calls `work()` and returns when it is
# done, raising what it raised. An upgrade can take a minute on a large cache (a new fresh cache
# takes a moment), so the window runs it on a thread behind a progress dialog and the command
# line says what it is doing.
Upgrader = Callable[[Callable[[], None]], None]


def upgrade_here(work: Callable[[], None]) -> None:
    work()


def migrate(engine: Engine, revision: str | None, upgrade: Upgrader = upgrade_here) -> None:
    """Bring a compatible cache to the head revision, backing up the file first."""
    if revision == head_revision():
        return
    if revision is None:
        _upgrade_to_head(engine)
    else:
        upgrade(lambda: _back_up_and_upgrade(engine, revision))


def _back_up_and_upgrade(engine: Engine, revision: str) -> None:
    _backup_before_migration(engine.url.render_as_string(hide_password=False), revision)
    _upgrade_to_head(engine)


def _upgrade_to_head(engine: Engine) -> None:
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "head")


def open_cache(path_or_url: str | os.PathLike, upgrade: Upgrader = upgrade_here) -> Engine:
    """Open (creating if needed) and migrate the cache; the one entry point for every layer."""
    url = cache_url(path_or_url)
    engine = create_cache_engine(url)
    try:
        revision = check_compatible(engine)
        _enable_pragmas(engine)
        migrate(engine, revision, upgrade)
    except OperationalError as error:
        engine.dispose()
        raise _operational_error(engine, error) from None
    except CacheError:
        engine.dispose()
        raise
    return engine


def _operational_error(engine: Engine, error: OperationalError) -> CacheError:
    """A lock held by another program, or another refusal (permissions, I/O), as a CacheError."""
    if _is_lock(error):
        return CacheLockedError(f"The cache at {engine.url} is locked by another program (is A2V2 Desktop "
                                "syncing it elsewhere?). It was left untouched.")
    return CacheError(f"The cache at {engine.url} cannot be opened: {error.orig}")


# -- a cache we cannot use: what it offers, read-only, back up and rebuild ----------------------------------


def open_writable_cache(path_or_url: str | os.PathLike, wait_ms: int = LOCK_WAIT_MS,
                        upgrade: Upgrader = upgrade_here) -> Engine:
    """`open_cache`, then take and release the write lock (writing nothing), so a cache another program
    holds is reported now, with its ways forward, rather than at the first sync. Raises CacheLockedError."""
    engine = open_cache(path_or_url, upgrade)
    if engine.dialect.name != "sqlite":
        return engine
    try:
        _take_write_lock(engine, wait_ms)
    except OperationalError as error:
        engine.dispose()
        raise _operational_error(engine, error) from None
    return engine


def _take_write_lock(engine: Engine, wait_ms: int) -> None:
    with engine.connect() as connection:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(wait_ms)}")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            connection.exec_driver_sql("ROLLBACK")
        finally:
            connection.exec_driver_sql("PRAGMA busy_timeout=10000")


@dataclass(frozen=True)
class CacheDiagnosis:
    """A refused cache, for the window: what is wrong, which file, and which ways forward it allows."""

    problem: CacheProblem
    file: Path | None
    detail: str  # the refusal's own message
    can_read_only: bool
    can_rebuild: bool


def diagnose(path_or_url: str | os.PathLike, error: CacheError) -> CacheDiagnosis:
    """Read-only only where every table and column we read is there and readable now (a locked cache, or a
    newer one that only added to ours); a rebuild only for a file that is damaged or too new, never for one
    another program is using or that we could not open at all."""
    path = cache_file(path_or_url)
    read_only = error.problem in (CacheProblem.LOCKED, CacheProblem.TOO_NEW) and _readable(path)
    rebuild = error.problem in (CacheProblem.CORRUPT, CacheProblem.TOO_NEW) and path is not None
    return CacheDiagnosis(error.problem, path, str(error), read_only, rebuild)


def _readable(path: Path | None) -> bool:
    from a2v2_desktop.cache.models import METADATA

    if path is None or not path.is_file():
        return False
    engine = read_only_engine(path)
    try:
        found = inspect(engine)
        return all(set(table.columns.keys()) <= {column["name"] for column in found.get_columns(table.name)}
                   for table in METADATA.sorted_tables)
    except DatabaseError:
        return False
    finally:
        engine.dispose()


def read_only_engine(path: Path) -> Engine:
    """SQLite's read-only mode on the file (no migrations, no WAL switch), with `query_only` as a second
    guard; `immutable` is not used because another program may be writing the file."""
    url = URL.create("sqlite+pysqlite", database=f"file:{quote(str(path.resolve()))}",
                     query={"mode": "ro", "uri": "true", "timeout": "5"})
    engine = create_engine(url)
    event.listen(engine, "connect", _query_only)
    return engine


def _query_only(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def open_cache_read_only(path_or_url: str | os.PathLike) -> Engine:
    """Open an existing cache file only to read it; raises CacheError when even that is impossible."""
    path = cache_file(path_or_url)
    if not _readable(path):
        raise CacheError(f"The cache at {path_or_url} cannot be read, even read-only.")
    return read_only_engine(path)


def back_up_and_rebuild(path_or_url: str | os.PathLike) -> Path:
    """Move a cache we cannot use (and its -wal/-shm) aside to a new timestamped name beside it, never
    deleting or overwriting anything, and create a fresh cache in its place; returns the backup's path."""
    path = cache_file(path_or_url)
    if path is None:
        raise CacheError(f"The cache at {path_or_url} is not a file, so it cannot be backed up.")
    backup = _free_backup_name(path, time.strftime("%Y%m%d-%H%M%S"))
    try:
        for suffix in ("", *COMPANIONS):
            source = path.with_name(path.name + suffix)
            if source.exists():
                os.rename(source, backup.with_name(backup.name + suffix))
    except OSError as error:
        raise CacheError(f"The cache {path} could not be moved aside ({error.strerror}); nothing was deleted.") \
            from None
    engine = open_cache(path)
    engine.dispose()
    return backup


def _free_backup_name(path: Path, stamp: str) -> Path:
    """`<name>.broken-<stamp>`, or with `-2`, `-3`… when that (or one of its companions) exists."""
    number = 1
    while True:
        candidate = path.with_name(f"{path.name}.broken-{stamp}" + (f"-{number}" if number > 1 else ""))
        if not any(candidate.with_name(candidate.name + suffix).exists() for suffix in ("", *COMPANIONS)):
            return candidate
        number += 1
