"""Group commit: queued units share one COMMIT, each is answered after it, and a failing unit costs no one else."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from zhili.core.db import commit, make_engine, make_session_factory
from zhili.core.group_commit import GroupCommitter

ROWS = Table("rows", MetaData(), Column("id", Integer, primary_key=True), Column("label", String(40), unique=True))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'group.sqlite'}")
    ROWS.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def write(label: str) -> Callable[[Session], str]:
    """A unit of work that writes one row and commits, as a service does."""

    def work(session: Session) -> str:
        session.execute(insert(ROWS).values(label=label))
        commit(session)
        return label

    return work


def stored(engine: Engine) -> list[str]:
    """The labels committed, read on a connection of its own."""
    with engine.connect() as connection:
        return sorted(connection.scalars(select(ROWS.c.label)))


def queued_behind(
    committer: GroupCommitter, sessions: sessionmaker[Session], units: list[Callable[[Session], object]]
) -> list[object]:
    """Submit `units` while the writer is busy with a first one, so that they form one batch."""
    busy, release = threading.Event(), threading.Event()

    def hold(_session: Session) -> None:
        busy.set()
        release.wait(timeout=10)

    first = committer.submit(hold, sessions)
    busy.wait(timeout=10)
    futures = [committer.submit(unit, sessions) for unit in units]
    release.set()
    first.result(timeout=10)
    return [outcome(future) for future in futures]


@contextlib.asynccontextmanager
async def held(committer: GroupCommitter, sessions: sessionmaker[Session]) -> AsyncIterator[None]:
    """Inside, the writer is busy with a first unit: what coroutines queue there forms one batch when it ends."""
    busy, release = threading.Event(), threading.Event()

    def hold(_session: Session) -> None:
        busy.set()
        release.wait(timeout=10)

    first = committer.submit(hold, sessions)
    await asyncio.to_thread(busy.wait, 10)
    yield
    await asyncio.sleep(0.05)  # every coroutine has queued its unit behind the one held
    release.set()
    await asyncio.wrap_future(first)


def outcome(future: Future[object]) -> object:
    """A unit's answer, or the exception its caller would get."""
    failed = future.exception(timeout=10)
    return failed if failed is not None else future.result()


def test_units_queued_together_share_one_commit_and_are_answered_after_it(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with GroupCommitter() as committer:
        answers = queued_behind(committer, sessions, [write(f"r{n}") for n in range(5)])
        assert answers == [f"r{n}" for n in range(5)]
        assert stored(engine) == [f"r{n}" for n in range(5)]  # durable once answered
    assert committer.stats.batches == 1  # the five in one transaction
    assert committer.stats.units == 6  # and the first, alone


def test_a_failing_unit_undoes_the_batch_and_each_unit_runs_again_alone(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    def broken(session: Session) -> None:
        session.execute(insert(ROWS).values(label="half-done"))
        raise ValueError("refused")

    with GroupCommitter() as committer:
        answers = queued_behind(committer, sessions, [write("a"), broken, write("b")])
    assert answers[0] == "a"
    assert isinstance(answers[1], ValueError)
    assert answers[2] == "b"
    assert stored(engine) == ["a", "b"]  # the failing unit's row is gone, the others committed
    assert committer.stats.abandoned == 1


def test_a_unit_that_rolls_back_runs_alone_as_it_would_without_group_commit(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    def retrying(session: Session) -> str:
        """Like an idempotent request losing a race: roll back, then write something else."""
        try:
            session.execute(insert(ROWS).values(label="taken"))
            session.flush()
        except IntegrityError:
            session.rollback()
            session.execute(insert(ROWS).values(label="second try"))
        commit(session)
        return "done"

    with GroupCommitter() as committer:
        committer.run(write("taken"), sessions)
        answers = queued_behind(committer, sessions, [write("c"), retrying])
    assert answers == ["c", "done"]
    assert stored(engine) == ["c", "second try", "taken"]


def test_a_serial_load_runs_each_unit_alone(engine: Engine, sessions: sessionmaker[Session]) -> None:
    with GroupCommitter() as committer:
        for n in range(3):
            assert committer.run(write(f"s{n}"), sessions) == f"s{n}"
    assert committer.stats.batches == 0
    assert committer.stats.alone == 3
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ROWS)) == 3


def test_a_stopped_committer_starts_again_with_the_next_unit(engine: Engine, sessions: sessionmaker[Session]) -> None:
    committer = GroupCommitter().start()
    committer.stop()
    assert committer.run(write("after a stop"), sessions) == "after a stop"
    committer.stop()
    assert stored(engine) == ["after a stop"]


def test_coroutines_awaiting_one_batch_are_answered_by_one_call_into_their_loop(
    engine: Engine, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    async def main() -> list[object]:
        loop = asyncio.get_running_loop()
        real = loop.call_soon_threadsafe

        def counted(callback: Callable[..., object], *args: object) -> asyncio.Handle:
            if getattr(callback, "__name__", "") == "_answer":
                calls.append(len(args[0]))  # type: ignore[arg-type]
            return real(callback, *args)

        monkeypatch.setattr(loop, "call_soon_threadsafe", counted)
        async with held(committer, sessions):
            waiting = [asyncio.ensure_future(committer.run_async(write(f"a{n}"), sessions)) for n in range(5)]
        return list(await asyncio.gather(*waiting))

    with GroupCommitter() as committer:
        answers = asyncio.run(main())
    assert answers == [f"a{n}" for n in range(5)]
    assert stored(engine) == [f"a{n}" for n in range(5)]
    assert calls == [5]  # the five answers of the batch in one call


def test_a_caller_that_stops_waiting_costs_no_one_else_their_answer(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    async def main() -> list[str]:
        async with held(committer, sessions):
            gone = asyncio.ensure_future(committer.run_async(write("gone"), sessions))
            thread_gone = committer.submit(write("thread gone"), sessions)
            kept = asyncio.ensure_future(committer.run_async(write("kept"), sessions))
            await asyncio.sleep(0.05)
            gone.cancel()  # a request whose client went away
            thread_gone.cancel()
        return [await kept, await committer.run_async(write("next"), sessions)]

    with GroupCommitter() as committer:
        assert asyncio.run(main()) == ["kept", "next"]  # the writer lives on
    assert stored(engine) == ["kept", "next"]  # a unit whose caller left before the writer took it is dropped


def test_an_answer_a_future_refuses_strands_no_other_waiter(engine: Engine, sessions: sessionmaker[Session]) -> None:
    def stops(_session: Session) -> None:
        raise StopIteration  # an asyncio future refuses it as an exception

    async def main() -> list[object]:
        async with held(committer, sessions):
            tasks = [asyncio.ensure_future(committer.run_async(u, sessions)) for u in (write("x"), stops, write("y"))]
        return list(await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=10))

    with GroupCommitter() as committer:
        answers = asyncio.run(main())
    assert answers[0] == "x"
    assert isinstance(answers[1], RuntimeError)
    assert answers[2] == "y"
    assert stored(engine) == ["x", "y"]
