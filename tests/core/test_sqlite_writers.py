"""SQLite writers of one process queue on a lock: woken in turn, readers never wait, a timeout is a 503."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from zhili.core import db


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite file with one table."""
    found = db.make_engine(f"sqlite:///{tmp_path / 'writers.sqlite'}")
    with found.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    yield found
    found.dispose()


def test_a_second_writer_waits_for_the_first_and_then_writes(engine: Engine) -> None:
    first_in, order = threading.Event(), []

    def first() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
            first_in.set()
            time.sleep(0.2)
            order.append("first commits")

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait()
    with engine.begin() as connection:
        order.append("second begins")
        connection.execute(text("INSERT INTO t VALUES (2)"))
    thread.join()
    assert order == ["first commits", "second begins"]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 2]


def test_readers_do_not_wait_for_a_writer(engine: Engine) -> None:
    reads = db.make_session_factory(engine, read_only=True)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
        started = time.monotonic()
        with reads() as session:
            assert session.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
        assert time.monotonic() - started < 1


def test_a_writer_that_waits_too_long_gets_the_busy_error(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 0.2)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
        outcome: list[BaseException] = []

        def second() -> None:
            try:
                with engine.begin() as other:
                    other.execute(text("INSERT INTO t VALUES (2)"))
            except OperationalError as exc:  # the web layer answers it with 503 and Retry-After
                outcome.append(exc)

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=5)
    assert len(outcome) == 1
    assert "database is locked" in str(outcome[0])


def test_a_failed_transaction_lets_the_next_writer_in(engine: Engine) -> None:
    with pytest.raises(OperationalError), engine.begin() as connection:
        connection.execute(text("INSERT INTO no_such_table VALUES (1)"))
    with engine.begin() as connection:  # would wait for ever if the lock had leaked
        connection.execute(text("INSERT INTO t VALUES (3)"))
