"""Prepared statements run on the driver give what Core gives: the same rows, types, counts and errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from tests.conftest import BACKENDS, scratch_postgres

from zhili.core import db
from zhili.core.prepared import Prepared, PreparedError
from zhili.core.typed_json import JsonText

META = MetaData()
THINGS = Table(
    "things",
    META,
    Column("id", Integer, primary_key=True),
    Column("name", String(40), unique=True, nullable=False),
    Column("at", db.UtcDateTime, nullable=False),
    Column("done", Boolean, nullable=False, default=False),
    Column("count", Integer, nullable=False, default=0),
    Column("extra", JsonText(dict[str, list[str | int]]), nullable=True),
    Column("version", Integer, nullable=False, default=1),
    Column("share", Float, nullable=True),
)
AT = datetime(2026, 12, 3, 12, 30, 15, 123456, tzinfo=UTC)

INSERT = Prepared(insert(THINGS))
INSERT_RETURNING = Prepared(insert(THINGS).returning(THINGS.c.id, THINGS.c.at))
BY_NAME = Prepared(select(THINGS).where(THINGS.c.name == bindparam("b_name")))
CAS = Prepared(update(THINGS).where(THINGS.c.id == bindparam("b_id"), THINGS.c.version == bindparam("b_version")))
NEXT = Prepared(select(func.coalesce(func.max(THINGS.c.count), 0) + 1))
PLAIN = Prepared(text("SELECT 1 + 1"))


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A scratch database with one table of every kind of column the stores use."""
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('prepared')) / 'p.sqlite'}"
    else:
        url = scratch_postgres("prepared")
    engine = db.make_engine(url)
    META.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose writes are rolled back at the end."""
    with Session(engine) as session:
        yield session
        session.rollback()


def test_a_row_round_trips_with_its_types(session: Session) -> None:
    INSERT.run(session, {"name": "a", "at": AT, "extra": {"k": ["v", 1]}, "done": True, "share": 0.25})
    row = BY_NAME.run(session, {"b_name": "a"}).one()
    core = session.execute(select(THINGS).where(THINGS.c.name == "a")).one()
    assert tuple(row) == tuple(core)
    assert row.at == AT
    assert row.at.tzinfo is not None
    assert row.done is True
    assert row.extra == {"k": ["v", 1]}
    assert row.share == 0.25
    assert (row.count, row.version) == (0, 1)  # plain column defaults, as Core fills them


def test_returning_a_missing_row_and_plain_text(session: Session) -> None:
    new = INSERT_RETURNING.run(session, {"name": "b", "at": AT}).one()
    assert new.at == AT
    assert BY_NAME.run(session, {"b_name": "b"}).one().id == new.id
    assert BY_NAME.run(session, {"b_name": "none"}).first() is None
    assert PLAIN.run(session).scalar_one() == 2
    assert NEXT.run(session).scalar() == 1


def test_compare_and_set_counts_the_rows_it_changed(session: Session) -> None:
    thing = INSERT_RETURNING.run(session, {"name": "c", "at": AT}).one()
    later = AT + timedelta(hours=1)
    assert CAS.run(session, {"b_id": thing.id, "b_version": 1, "version": 2, "at": later}).rowcount == 1
    assert CAS.run(session, {"b_id": thing.id, "b_version": 1, "version": 3, "at": later}).rowcount == 0
    assert BY_NAME.run(session, {"b_name": "c"}).one()[2:] == (later, False, 0, None, 2, None)


def test_many_rows_in_one_call_and_a_driver_error_is_sqlalchemys(session: Session) -> None:
    rows = [{"name": f"m{n}", "at": AT, "count": n} for n in range(5)]
    INSERT.run_many(session, rows)
    assert NEXT.run(session).scalar_one() == 5
    with pytest.raises(IntegrityError):
        INSERT.run(session, {"name": "m1", "at": AT})


def test_the_transaction_is_the_sessions(engine: Engine) -> None:
    with Session(engine) as session:
        INSERT.run(session, {"name": "kept", "at": AT})
        session.commit()
        INSERT.run(session, {"name": "dropped", "at": AT})  # a new transaction, begun on first use
        session.rollback()
    with Session(engine) as session:
        assert BY_NAME.run(session, {"b_name": "kept"}).first() is not None
        assert BY_NAME.run(session, {"b_name": "dropped"}).first() is None
        session.execute(THINGS.delete().where(THINGS.c.name == "kept"))
        session.commit()


def test_a_session_savepoint_is_refused_and_the_session_goes_on(engine: Engine) -> None:
    with Session(engine) as session:
        INSERT.run(session, {"name": "before", "at": AT})
        with pytest.raises(PreparedError, match="begin_nested"):
            session.begin_nested()
        assert session.get_nested_transaction() is None  # back in its own transaction
        INSERT.run(session, {"name": "after", "at": AT})
        session.rollback()  # both inserts were in the one transaction: both go
    with Session(engine) as session:
        assert BY_NAME.run(session, {"b_name": "before"}).first() is None
        assert BY_NAME.run(session, {"b_name": "after"}).first() is None


def test_statements_core_must_rewrite_are_refused(session: Session) -> None:
    expanding = Prepared(select(THINGS.c.id).where(THINGS.c.id.in_(bindparam("b_ids", expanding=True))))
    with pytest.raises(PreparedError, match="expanded at execution"):
        expanding.run(session, {"b_ids": [1, 2]})
    computed = Table(
        "computed", MetaData(), Column("id", Integer, primary_key=True), Column("at", Integer, default=len)
    )
    with pytest.raises(PreparedError, match="default computed"):
        Prepared(insert(computed)).run(session, {"id": 1})


def test_a_list_fixed_in_the_statement_is_rendered_once(session: Session) -> None:
    INSERT.run_many(session, [{"name": f"s{n}", "at": AT, "count": n} for n in range(4)])
    scoped = Prepared(
        select(THINGS.c.name).where(THINGS.c.count.in_([1, 3]), THINGS.c.name != bindparam("b_not")).order_by("name")
    )
    assert [row.name for row in scoped.run(session, {"b_not": "s3"}).all()] == ["s1"]
    assert [row.name for row in scoped.run(session, {"b_not": "none"})] == ["s1", "s3"]


@pytest.fixture(scope="module")
def postgres_engine() -> Iterator[Engine]:
    """A scratch PostgreSQL database with the things table, on an engine of one connection."""
    engine = db.make_engine(scratch_postgres("prepared_kept"))
    META.create_all(engine)
    yield engine
    engine.dispose()


def _prepared_on_server(connection: Connection) -> int:
    return int(connection.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements").scalar_one())


def test_postgresql_keeps_a_connections_prepared_statements_across_reads(postgres_engine: Engine) -> None:
    # psycopg forgets them on every rollback, and a session that only read used to end with one.
    with postgres_engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert (raw.prepare_threshold, raw.prepared_max) == (db.PG_PREPARE_THRESHOLD, db.PG_PREPARED_MAX)
        for _ in range(db.PG_PREPARE_THRESHOLD + 1):
            BY_NAME.run(connection, {"b_name": "nobody"}).all()
        assert _prepared_on_server(connection) >= 1
        connection.rollback()  # a transaction that only read ends as a COMMIT would
        assert _prepared_on_server(connection) >= 1
        assert connection.connection.driver_connection.prepared_max == db.PG_PREPARED_MAX


def test_postgresql_still_rolls_back_what_a_session_wrote(postgres_engine: Engine) -> None:
    with Session(postgres_engine) as session:
        INSERT.run(session, {"name": "unsaid", "at": AT})
        assert BY_NAME.run(session, {"b_name": "unsaid"}).first() is not None
        session.rollback()
        assert BY_NAME.run(session, {"b_name": "unsaid"}).first() is None
    with Session(postgres_engine) as session:
        INSERT.run(session, {"name": "left open", "at": AT})
    # closed without a commit: rolled back, as before
    with Session(postgres_engine) as session:
        assert BY_NAME.run(session, {"b_name": "left open"}).first() is None


def test_postgresql_rolls_back_a_failed_transaction_and_the_connection_goes_on(postgres_engine: Engine) -> None:
    with Session(postgres_engine) as session:
        INSERT.run(session, {"name": "twice", "at": AT})
        session.commit()
    with Session(postgres_engine) as session:
        with pytest.raises(IntegrityError):
            INSERT.run(session, {"name": "twice", "at": AT})
        session.rollback()
        assert BY_NAME.run(session, {"b_name": "twice"}).one().name == "twice"
        session.rollback()
