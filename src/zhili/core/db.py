"""Database: the declarative base, the engine (SQLite WAL or PostgreSQL) and sessions."""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, DateTime, Dialect, Engine, MetaData, Table, create_engine, event, insert, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.types import TypeDecorator

SQLITE_BEGIN_OPTION = "zhili_sqlite_begin"
BUSY_TIMEOUT_S = 30.0
AUTOMATIC_CHECKPOINT_PAGES = 1_000
"""SQLite's default `wal_autocheckpoint`: a commit that leaves a longer WAL checkpoints it there and then."""
_AUTOCHECKPOINT = "zhili_wal_autocheckpoint"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The base of every mapped table; constraint names are stable across backends."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite stores no zone; we restore it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:  # noqa: ARG002
        """Refuse naive datetimes; store UTC."""
        return None if value is None else _in_utc(value)

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        """On SQLite, the stored text in one step (`sqlite_text`); elsewhere `process_bind_param` and the driver's."""
        if dialect.name == "sqlite":
            return sqlite_text
        return super().bind_processor(dialect)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:  # noqa: ARG002
        """Return an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def sqlite_text(value: datetime | None) -> str | None:
    """An aware time as SQLite stores it, in UTC: SQLAlchemy's SQLite `DATETIME` text (`YYYY-MM-DD HH:MM:SS.ffffff`).

    What `process_bind_param` and that type's own processor give together, made by `datetime.isoformat`
    in C: the type's processor fills a dict and a `%` format in Python, about a twentieth of a command's
    CPU on SQLite, which binds a time in most rows it writes. `tests/core/test_utc_datetime.py` checks
    the two give the same text.
    """
    if value is None:
        return None
    return _in_utc(value).isoformat(" ", "microseconds")[:-6]  # without its "+00:00"


def _in_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        message = "naive datetimes are not stored; pass an aware UTC datetime"
        raise ValueError(message)
    return value.astimezone(UTC)


def make_engine(database_url: str, *, echo: bool = False, background_checkpoints: bool = False) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys, a busy timeout and serialised writers.

    `background_checkpoints` is for the engines of long-running processes (`zhili serve`, `zhili
    worker`): while such a process runs a checkpointer (`core.checkpoint.checkpointing`), commits
    no longer checkpoint the WAL themselves. Without one running, and on every other engine (one-off
    commands, migrations, the demo's build, tests), SQLite's automatic checkpoint stays on.
    """
    # The pool must outnumber the request thread pool (40 threads): a request holds its connection
    # until it ends, and with fewer connections than threads every thread can end up waiting for a
    # connection whose holder waits for a thread — a stall until the pool times out.
    if not database_url.startswith("sqlite"):
        engine = create_engine(database_url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=35)
        _configure_postgresql(engine)
        return engine
    engine = create_engine(
        database_url,
        echo=echo,
        pool_size=16,
        max_overflow=48,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
    )
    wal = SqliteWal(_file_of(engine), background_checkpoints=background_checkpoints)
    _WALS[engine] = wal
    _configure_sqlite(engine, wal)
    return engine


# psycopg prepares a statement on the server once a connection has run it this many times; from then
# on PostgreSQL skips parsing it, and after five runs of a prepared statement it may keep one generic
# plan and skip planning too. A closed loop runs more than 100 distinct statements (psycopg's default
# cache), so the cache is sized for a whole loop. See ADR 0015.
PG_PREPARE_THRESHOLD = 2
PG_PREPARED_MAX = 400
_WROTE_NOTHING = "SELECT pg_current_xact_id_if_assigned() IS NULL"


def _configure_postgresql(engine: Engine) -> None:
    """Keep a connection's prepared statements across the transactions that only read (ADR 0015).

    psycopg forgets every prepared statement of a connection when a transaction rolls back (and
    sends `DEALLOCATE ALL`), and a session closed without a commit (every request that only reads)
    ends with a rollback. So the cache hardly outlived a request, and PostgreSQL parsed and planned
    nearly every statement anew: six times the time it spent executing them. A transaction that
    wrote nothing (no transaction id assigned) now ends with COMMIT, which for it is the same as a
    rollback and keeps the cache; one that wrote, or failed, is rolled back as before.
    """
    if engine.dialect.driver != "psycopg":
        return
    import psycopg  # noqa: PLC0415 - the driver of PostgreSQL URLs only

    @event.listens_for(engine, "connect")
    def _prepare(dbapi_connection: psycopg.Connection[Any], _record: object) -> None:
        dbapi_connection.prepare_threshold = PG_PREPARE_THRESHOLD
        dbapi_connection.prepared_max = PG_PREPARED_MAX

    in_transaction = psycopg.pq.TransactionStatus.INTRANS
    rollback = engine.dialect.do_rollback

    def end_transaction(proxied: PoolProxiedConnection) -> None:
        connection = cast("psycopg.Connection[Any]", proxied.driver_connection)
        if connection.pgconn.transaction_status == in_transaction:
            try:
                row = connection.execute(_WROTE_NOTHING, prepare=True).fetchone()
            except psycopg.Error:
                row = None  # the connection's trouble is the rollback's to report
            if row is not None and row[0]:
                connection.commit()
                return
        rollback(proxied)

    engine.dialect.do_rollback = end_transaction  # type: ignore[method-assign,assignment]  # this engine only


def _file_of(engine: Engine) -> str | None:
    """The database file of an SQLite engine; None in memory."""
    database = engine.url.database
    if not database or database == ":memory:" or engine.url.query.get("mode") == "memory":
        return None
    return database


class _Writers:
    """One write transaction of this process at a time on an SQLite database, queued on a lock.

    SQLite lets one writer in at a time anyway; a second `BEGIN IMMEDIATE` waits in SQLite's busy
    handler, which polls with sleeps of up to 100 ms and so serves waiters late and in no order.
    Writers of one process instead wait here and are woken as soon as the holder has committed or
    rolled back; SQLite's busy handler still arbitrates between processes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: int | None = None

    def take(self, dbapi_connection: object) -> None:
        """Wait for the write lock (as long as SQLite's busy timeout); 503 when it does not come."""
        if not self.try_take(dbapi_connection, timeout=BUSY_TIMEOUT_S):
            raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))

    def try_take(self, holder: object, *, timeout: float) -> bool:
        """Take the write lock for `holder` if it comes within `timeout` seconds (0: only if free)."""
        if not self._lock.acquire(timeout=timeout):
            return False
        self._holder = id(holder)
        return True

    def holds(self, dbapi_connection: object) -> bool:
        """True when this connection's transaction holds the write lock."""
        return self._holder == id(dbapi_connection)

    def release(self, dbapi_connection: object) -> None:
        """Let the next writer in, if this connection held the lock."""
        if self.holds(dbapi_connection):
            self._holder = None
            self._lock.release()


class SqliteWal:
    """An SQLite engine's file, the lock its writers queue on, and who checkpoints its WAL.

    While no checkpointer runs, a commit that leaves the WAL longer than 1,000 pages checkpoints it
    (SQLite's default): copying the pages into the database file and two fsyncs, in that request. On
    an engine made with `background_checkpoints=True`, a running `core.checkpoint.Checkpointer` takes
    this over: each connection turns its automatic checkpoint off at its next transaction, and back
    on once the last checkpointer has stopped.
    """

    def __init__(self, path: str | None, *, background_checkpoints: bool) -> None:
        self.path = path
        self.background_checkpoints = background_checkpoints
        self.writers = _Writers()
        self._checkpointers = 0
        self._count = threading.Lock()

    @property
    def autocheckpoint_pages(self) -> int:
        """The `wal_autocheckpoint` connections should have now: 0 while a checkpointer runs."""
        return 0 if self._checkpointers else AUTOMATIC_CHECKPOINT_PAGES

    def checkpointer_started(self) -> None:
        """A checkpointer runs: commits stop checkpointing."""
        with self._count:
            self._checkpointers += 1

    def checkpointer_stopped(self) -> None:
        """A checkpointer has stopped: with none left, commits checkpoint again."""
        with self._count:
            self._checkpointers = max(0, self._checkpointers - 1)


_WALS: weakref.WeakKeyDictionary[Engine, SqliteWal] = weakref.WeakKeyDictionary()


def sqlite_wal(engine: Engine) -> SqliteWal | None:
    """The WAL controls of an engine made by `make_engine`; None for PostgreSQL."""
    return _WALS.get(engine)


def _configure_sqlite(engine: Engine, wal: SqliteWal) -> None:
    writers = wal.writers

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN below is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Writers BEGIN IMMEDIATE: taking the write lock up front means a read-then-write
        # transaction (such as appending to the audit chain) never fails half-way on a stale
        # snapshot. Readers BEGIN DEFERRED and never wait for writers (WAL).
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
        dbapi_connection = connection.connection.dbapi_connection
        if wal.background_checkpoints:
            _follow_checkpointer(connection, wal.autocheckpoint_pages)
        if mode == "IMMEDIATE":
            writers.take(dbapi_connection)
        try:
            _on_driver(dbapi_connection, f"BEGIN {mode}")
        except BaseException:
            writers.release(dbapi_connection)
            raise

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Connection) -> None:
        _end_writer(writers, connection, "COMMIT")

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Connection) -> None:
        _end_writer(writers, connection, "ROLLBACK")

    # A connection dropped or reset by the pool without a commit or rollback must not keep the lock.
    for name in ("reset", "invalidate", "soft_invalidate", "close"):
        event.listen(engine, name, lambda dbapi_connection, *_args: writers.release(dbapi_connection))


def _follow_checkpointer(connection: Connection, pages: int) -> None:
    """Turn a connection's automatic checkpoint off while a checkpointer runs, and on again after."""
    info = connection.connection.info
    if info.get(_AUTOCHECKPOINT, AUTOMATIC_CHECKPOINT_PAGES) != pages:
        _on_driver(connection.connection.dbapi_connection, f"PRAGMA wal_autocheckpoint={pages}")
        info[_AUTOCHECKPOINT] = pages


def _end_writer(writers: _Writers, connection: Connection, statement: str) -> None:
    """End a writer's transaction here, so the next writer is let in only once SQLite has let go."""
    if connection.invalidated:
        return
    dbapi_connection = connection.connection.dbapi_connection
    if not writers.holds(dbapi_connection):
        return
    try:
        if dbapi_connection is not None and dbapi_connection.in_transaction:
            _on_driver(dbapi_connection, statement)  # the driver's own commit() then has nothing to do
    finally:
        writers.release(dbapi_connection)


def _on_driver(dbapi_connection: Any, statement: str) -> None:
    """BEGIN, COMMIT or ROLLBACK (or a connection setting) straight on the driver, with SQLAlchemy's exceptions.

    These run for every transaction, and through SQLAlchemy's execution machinery each would cost
    several times the statement itself (they are not echoed with `ZHILI_SQL_ECHO`).
    """
    try:
        dbapi_connection.execute(statement)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit; read-only ones never lock SQLite."""
    bind = engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"}) if read_only else engine
    return sessionmaker(bind, expire_on_commit=False)


_TRANSACTION_INFO = "zhili.transaction_info"


def transaction_info(session: Session) -> dict[str, Any] | None:
    """A dict that lives as long as the session's current transaction; None when none is under way.

    For what one transaction may reuse and no other may see: the reads its units share
    (`core.shared_reads`), the audit head it holds (`core.audit`).
    """
    transaction = session.get_transaction()
    if transaction is None:
        return None
    held: tuple[object, dict[str, Any]] | None = session.info.get(_TRANSACTION_INFO)
    if held is None or held[0] is not transaction:
        held = session.info[_TRANSACTION_INFO] = (transaction, {})
    return held[1]


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that is closed, and rolled back if uncommitted, when the block ends."""
    session = factory()
    try:
        yield session
    finally:
        session.close()


def sync_id_sequences(session: Session, tables: list[str]) -> None:
    """After inserting rows with explicit ids, move PostgreSQL's id sequences past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"),  # noqa: S608 - table names are ours
        )


def insert_rows(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert complete rows, ids included, into a model's table with one `executemany` (a bulk load).

    Core, not the ORM's bulk path: twice as fast, and the rows are complete. PostgreSQL's id
    sequence is moved past them. Called by the owner of the table, never across domains.
    """
    if rows:
        table = cast("Table", model.__table__)
        session.connection().execute(insert(table), rows)
        sync_id_sequences(session, [table.name])


def load_tuples(session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Bulk-load plain tuples into `table` in the session's transaction: `COPY` on PostgreSQL, `executemany` on SQLite.

    For loads of hundreds of thousands of rows (the demo's panel), where binding each row through
    SQLAlchemy costs several times the database's own work. `table` and `columns` are our names.
    """
    connection = session.connection()
    names = ", ".join(columns)
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    driver.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # type: ignore[union-attr]  # noqa: S608


DEFER_COMMIT = "zhili.defer_commit"


def commit(session: Session) -> None:
    """End a service's unit of work: commit, or only flush when an outer step owns the commit.

    Idempotent requests store their response in the same transaction as the service's writes,
    so `run_once` defers the service's commit and commits both together.
    """
    if session.info.get(DEFER_COMMIT):
        session.flush()
    else:
        session.commit()


@contextmanager
def deferred_commit(session: Session) -> Iterator[None]:
    """Within this block, `commit(session)` only flushes; nested, the outermost block's owner commits."""
    outer = session.info.get(DEFER_COMMIT, False)
    session.info[DEFER_COMMIT] = True
    try:
        yield
    finally:
        if not outer:
            session.info.pop(DEFER_COMMIT, None)
