"""Database: the declarative base, the engine (SQLite WAL or PostgreSQL) and sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

SQLITE_BEGIN_OPTION = "zhili_sqlite_begin"

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
        if value is None:
            return None
        if value.tzinfo is None:
            message = "naive datetimes are not stored; pass an aware UTC datetime"
            raise ValueError(message)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:  # noqa: ARG002
        """Return an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(database_url: str, *, echo: bool = False) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys, a busy timeout and serialised writers."""
    # The pool must outnumber the request thread pool (40 threads): a request holds its connection
    # until it ends, and with fewer connections than threads every thread can end up waiting for a
    # connection whose holder waits for a thread — a stall until the pool times out.
    if not database_url.startswith("sqlite"):
        return create_engine(database_url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=35)
    engine = create_engine(
        database_url,
        echo=echo,
        pool_size=16,
        max_overflow=48,
        connect_args={"check_same_thread": False, "timeout": 30},
    )
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN below is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers BEGIN IMMEDIATE: taking the write lock up front means a read-then-write
        # transaction (such as appending to the audit chain) never fails half-way on a stale
        # snapshot. Readers BEGIN DEFERRED and never wait for writers (WAL).
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit; read-only ones never lock SQLite."""
    bind = engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"}) if read_only else engine
    return sessionmaker(bind, expire_on_commit=False)


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
    """Within this block, `commit(session)` only flushes."""
    session.info[DEFER_COMMIT] = True
    try:
        yield
    finally:
        session.info.pop(DEFER_COMMIT, None)
