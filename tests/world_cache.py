"""The demo world built once and cached across test runs, keyed by what it is built from.

Building the demo world (the Quzhou divisions, a year of cases, the logins) costs about 30 CPU-seconds.
It is generated once, on SQLite, and a run copies a template:

- SQLite: `world-<key>.sqlite` in the machine's cache directory (`CACHE`), copied to the session's
  temporary directory;
- PostgreSQL: a database `zhili_tpl_<key>` on the test server, built by copying the SQLite template's
  rows (`COPY`, about 6 CPU-s where generating it again took 33 and 97 s of wall time), then copied
  with `CREATE DATABASE <the test database> TEMPLATE zhili_tpl_<key>` (a file copy).

Both outlive the work tree: every worktree and fresh clone on the machine (CI runs in one) finds the
templates of its key already built. The key is a SHA-256 over every source and data file of the
`zhili` package (its generators write through the services, so any of them can change the world),
the locked dependencies, the seed, the clock and the test password hasher's parameters. A change to
any of them builds a new template; `ZHILI_TEST_REBUILD_WORLDS=1` rebuilds regardless; deleting the
cache directory (or the `zhili_tpl_*` databases) has the same effect. The few most recently used
templates of other keys are kept (worktrees testing different code share them). Builders take a
lock (a file lock for SQLite, an advisory lock for PostgreSQL), so concurrent sessions build a
template once.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from datetime import datetime
from functools import cache
from pathlib import Path

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

import zhili.schema  # noqa: F401 - every domain's tables in Base.metadata
from zhili.core import migrate
from zhili.core.clock import FrozenClock
from zhili.core.db import Base, make_engine, sync_id_sequences
from zhili.demo.build import build_demo

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "zhili"
# Outside the work tree, so that other worktrees and fresh clones (CI's) on the machine reuse the files.
CACHE = Path(
    os.environ.get("ZHILI_TEST_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "zhili" / "test-worlds"
)
# Files the world cannot depend on: the pages' templates and browser assets.
NOT_IN_KEY = frozenset({".html", ".js", ".css", ".png", ".svg", ".md"})
TEMPLATE_PREFIX = "zhili_tpl_"
LOCK_ID = 2_023_110_601  # the PostgreSQL advisory lock taken while a template is built
KEPT_TEMPLATES = 4  # of other keys, on a shared server or in the shared cache directory
IN_USE_S = 3600  # an SQLite template copied this recently is kept, however many newer ones there are
VERSION = "2"  # bump when this module builds templates differently (2: PostgreSQL copies the SQLite rows)


def world_key(*, start: datetime, seed: int, hasher: str) -> str:
    """A short hash of everything the demo world is built from."""
    return source_key(f"{start.isoformat()}|{seed}|{hasher}")


def source_key(label: str, *builders: Path) -> str:
    """A short hash of `label`, the package's source and data, the locked dependencies and the `builders` files."""
    digest = hashlib.sha256(f"{VERSION}|{label}".encode())
    files = [ROOT / "requirements.lock", *builders]
    files += sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        if path.suffix in NOT_IN_KEY or not path.exists():
            continue
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def rebuild_forced() -> bool:
    return os.environ.get("ZHILI_TEST_REBUILD_WORLDS") == "1"


def _build(engine: Engine, start: datetime) -> None:
    with Session(engine, expire_on_commit=False) as session:
        build_demo(session, clock=FrozenClock(start))


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sqlite_world(target: Path, *, key: str, start: datetime) -> str:
    """Copy the cached SQLite world to `target` (building the template first if needed); its URL."""
    with _file_lock(CACHE / "sqlite.lock"):
        _copy_template(_sqlite_template(key, start), target)
    return f"sqlite:///{target}"


def sqlite_template(*, key: str, start: datetime) -> Path:
    """The cached SQLite world of `key`, built first if needed (under the lock); never to be written to."""
    with _file_lock(CACHE / "sqlite.lock"):
        return _sqlite_template(key, start)


_BUILT_HERE: set[Path] = set()  # templates this process built: a forced rebuild builds each once


def _sqlite_template(key: str, start: datetime) -> Path:
    template = CACHE / f"world-{key}.sqlite"
    if (rebuild_forced() and template not in _BUILT_HERE) or not template.exists():
        _build_sqlite_template(template, start)
        _BUILT_HERE.add(template)
    return template


def _copy_rows(source: Path, target: Engine) -> None:
    """Every table's rows from the SQLite file `source` into `target`, replacing what its migrations seeded.

    As stored, through `COPY` (about 1.4 million rows): SQLite's texts for times (UTC, the session's
    zone here), JSON and enums, 0/1 for booleans, bytes for photos; the audit chain's texts are copied as
    written. Foreign keys are not checked while the copy runs (`session_replication_role`: the rows are
    a consistent whole, but a table may refer to rows of its own further on); the id sequences are
    moved past the rows.
    """
    tables = Base.metadata.sorted_tables
    raw = target.raw_connection()
    try:
        pg = raw.driver_connection
        assert pg is not None  # an open psycopg connection
        with closing(sqlite3.connect(source)) as reading, pg.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("SET TIME ZONE 'UTC'")
            cursor.execute("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables))
            for table in tables:
                columns = ", ".join(f'"{c.name}"' for c in table.columns)
                with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                    for row in reading.execute(f'SELECT {columns} FROM "{table.name}"'):  # noqa: S608 - our tables
                        copy.write_row(row)
            cursor.execute("SET session_replication_role = DEFAULT")
        raw.commit()
    finally:
        raw.close()
    with Session(target) as session:
        sync_id_sequences(session, [t.name for t in tables if "id" in t.c and isinstance(t.c.id.type, Integer)])
        session.commit()


def _build_sqlite_template(template: Path, start: datetime) -> None:
    partial = template.with_name(template.name + ".partial")
    partial.unlink(missing_ok=True)
    url = f"sqlite:///{partial}"
    migrate.upgrade(url)
    engine = make_engine(url)
    _build(engine, start)
    engine.dispose()
    _fold_log(partial)
    partial.rename(template)


def migrated_sqlite(target: Path) -> str:
    """A new SQLite database at `target`, at the newest migration: a copy of a cached migrated one; its URL.

    Running the migrations costs 0.3-1 CPU-s a database; copying the file, a millisecond. The file is
    kept beside the worlds, keyed by the package's source like them.
    """
    template = CACHE / f"migrated-{_migrated_key()}.sqlite"
    with _file_lock(CACHE / "migrated.lock"):
        if not template.exists():
            partial = template.with_name(template.name + ".partial")
            partial.unlink(missing_ok=True)
            migrate.upgrade(f"sqlite:///{partial}")
            _fold_log(partial, journal_mode="WAL")  # as a migrated file is: readers never wait for a writer
            partial.rename(template)
        _copy_template(template, target)
    return f"sqlite:///{target}"


def _copy_template(template: Path, target: Path) -> None:
    """Copy a template (under its lock) and mark it used; the least recently used of other keys go."""
    shutil.copyfile(template, target)
    template.touch()
    kind = template.name.split("-", 1)[0]
    # A template copied within the hour may be another worktree's running suite's: it stays, or that
    # suite would build it again for each world it copies (a run beside test runs of newer code once
    # took 1,450 CPU-s instead of about 400, most likely building its templates again and again).
    idle = [p for p in beyond_kept(template, f"{kind}-*.sqlite") if time.time() - p.stat().st_mtime > IN_USE_S]
    # Under the lock no build of this kind is running: a `.partial` file is what an interrupted one left.
    for old in [*idle, *CACHE.glob(f"{kind}-*.sqlite.partial")]:
        old.unlink(missing_ok=True)


def beyond_kept(current: Path, pattern: str) -> list[Path]:
    """The cached files of `pattern` (in `current`'s directory) other than `current`, but the newest few."""
    others = sorted(
        (p for p in current.parent.glob(pattern) if p != current), key=lambda p: p.stat().st_mtime, reverse=True
    )
    return others[KEPT_TEMPLATES:]


@cache
def _migrated_key() -> str:
    return source_key("migrated")


def _fold_log(path: Path, *, journal_mode: str = "DELETE") -> None:
    """Fold a SQLite file's write-ahead log into it, so that the file alone is the whole database."""
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute(f"PRAGMA journal_mode={journal_mode}")
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)


def postgres_world(url: str, *, key: str, start: datetime) -> str:
    """Recreate the test database `url` as a copy of the cached template (built first if needed)."""
    base, name = url.rsplit("/", 1)
    template = TEMPLATE_PREFIX + key
    admin = make_engine(f"{base}/postgres").execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": LOCK_ID})
            try:
                if rebuild_forced() or not database_exists(connection, template):
                    _build_postgres_template(connection, base, template, start, key)
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": LOCK_ID})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY'))
    finally:
        admin.dispose()
    return url


def database_exists(connection: Connection, database: str) -> bool:
    found = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database})
    return found.first() is not None


def _build_postgres_template(connection: Connection, base: str, template: str, start: datetime, key: str) -> None:
    """Copy the SQLite template's rows into a scratch database, then publish it under the template's name (a rename).

    The world is generated once, on SQLite (`sqlite_template`), and its rows copied: generating it again on
    PostgreSQL cost as much Python (about 33 CPU-s) as the first time, and 97 s of wall time.
    """
    partial = template + "_partial"
    for statement in (f'DROP DATABASE IF EXISTS "{partial}" WITH (FORCE)', f'CREATE DATABASE "{partial}"'):
        connection.execute(text(statement))
    migrate.upgrade(f"{base}/{partial}")
    engine = make_engine(f"{base}/{partial}")
    if _is_superuser(connection):  # the copy turns foreign-key checks off, which only a superuser may
        _copy_rows(sqlite_template(key=key, start=start), engine)
    else:
        _build(engine, start)  # a role that may only create databases generates the world again
    engine.dispose()
    analyze(f"{base}/{partial}")
    drop_other_templates(connection, keep=template)
    connection.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))  # a forced rebuild replaces it
    connection.execute(text(f'ALTER DATABASE "{partial}" RENAME TO "{template}"'))


def analyze(url: str) -> None:
    """Gather the planner's statistics of every table, so that each copy of a template starts with them.

    A database copied with `CREATE DATABASE … TEMPLATE` has its template's statistics and nothing more.
    A template never analysed gave every test database none: until autovacuum came round (a minute
    or more), PostgreSQL planned the assessment's and the sweeps' joins blind, and those tests took
    10–33 s instead of 1–3.
    """
    engine = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()  # a template database may have no open connections


def analysed_tables(engine: Engine) -> set[str]:
    """The tables PostgreSQL's planner has statistics for."""
    with engine.connect() as connection:
        found = connection.execute(text("SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = 'public'"))
        return set(found.scalars())


def _is_superuser(connection: Connection) -> bool:
    return connection.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar() is True


def drop_other_templates(connection: Connection, *, keep: str, prefix: str = TEMPLATE_PREFIX) -> None:
    """All but the newest few templates of other keys (older code, other worktrees) go.

    A few stay: worktrees on one server may be testing different code at the same time.
    """
    names = connection.execute(
        text("SELECT datname FROM pg_database WHERE datname LIKE :prefix AND datname <> :keep ORDER BY oid DESC"),
        {"prefix": prefix.replace("_", r"\_") + "%", "keep": keep},
    ).scalars()
    for name in [n for n in names if not n.endswith("_partial")][KEPT_TEMPLATES:]:
        with suppress(DBAPIError):  # in use by another session's copy: it goes next time
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
