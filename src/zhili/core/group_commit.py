"""Group commit: the write transactions queued behind one another made durable by one COMMIT, each answered after it.

On SQLite one transaction writes at a time, and each pays a BEGIN and a COMMIT (the WAL frames of
every page it touched, and the session's own begin and commit): about a third of a closed loop's
CPU (ADR 0014). Writers that arrive while another writes wait anyway; a `GroupCommitter` runs them,
in order, in one transaction on its own thread and commits once. Consecutive transactions share the
pages they touch (index tails, the audit chain's head), so the batch writes each page once.

The contract of a unit of work, `work(session) -> T`:

- It runs in the committer's thread and ends with `core.db.commit(session)` (or `session.commit()`)
  like any service. In a batch its commit only flushes; `submit`'s future is resolved once the
  batch's COMMIT has returned, never before, so nothing is answered that a crash could still lose.
- It has no effect outside the database (the rule of the whole code base: notifications go through
  the outbox). It may run twice: when any unit of a batch raises (or calls `session.rollback()`),
  the batch is rolled back and each of its units runs again alone, in its own transaction, as
  without group commit; each caller gets its own result or exception.
- Alone (a batch of one, the rule under a serial load) it runs exactly as `session_scope` would.
- A caller that stops waiting (a cancelled request) before the writer takes its unit drops the unit,
  as an executor does; once taken, it runs and its answer is dropped.
- The units of a batch share one session and transaction, but not what the session remembers: its
  objects are let go between units (`expunge_all`), so each unit reads the rows afresh, as a session
  of its own would, and an object it returns keeps what it had loaded.

Callers wait on a thread (`run`, `submit`'s `concurrent.futures.Future`) or on an event loop
(`run_async`). The answers of a batch to one event loop are handed back by one call into that loop,
not one per unit: each call wakes the loop and contends for the GIL with the writer, and under load
that hand-back cost more than the COMMIT saved (ADR 0014).

Each unit names the session factory it writes with (the application's; a test's, bound to a
transaction it rolls back): a batch holds units of one factory, and its session is that factory's
configuration on a `_BatchSession`. The writer thread starts with the first unit and stops with
`stop` (the application's shutdown); a later unit starts it again.

Only for SQLite: PostgreSQL lets writers run side by side, and its COMMIT is the server's.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from zhili.core.db import session_scope

T = TypeVar("T")
DEFAULT_MAX_BATCH = 32


class BatchAbandonedError(Exception):
    """A unit of work rolled back inside a batch: the batch is undone and each unit runs alone."""


class _BatchSession(Session):
    """The session of a batch: a unit's commit only flushes, and its rollback abandons the batch."""

    def commit(self) -> None:
        """Flush: the batch commits once all its units have run."""
        self.flush()

    def rollback(self) -> None:
        """A unit that rolls back cannot share a transaction: undo the batch, run each unit alone."""
        raise BatchAbandonedError


@dataclass
class _Job(Generic[T]):
    """A unit of work and who waits for it: a thread (`future`) or a coroutine (`waiter`, on `loop`)."""

    work: Callable[[Session], T]
    sessions: sessionmaker[Session]
    future: Future[T] | None = None
    waiter: asyncio.Future[T] | None = None
    loop: asyncio.AbstractEventLoop | None = None

    def still_wanted(self) -> bool:
        """Whether its caller still waits; a thread's future is marked running from here on."""
        if self.future is not None:
            return self.future.set_running_or_notify_cancel()
        return self.waiter is None or not self.waiter.done()  # a read of the waiter's state, safe from any thread


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What a unit of work gave: its result, or the exception it raised."""

    value: Any = None
    error: BaseException | None = None


@dataclass
class GroupStats:
    """What a committer has done: units of work run, and the transactions they were committed in."""

    units: int = 0
    batches: int = 0
    alone: int = 0
    abandoned: int = 0


class GroupCommitter:
    """A writer thread that commits the units of work queued behind each other together (see the module)."""

    def __init__(self, *, max_batch: int = DEFAULT_MAX_BATCH) -> None:
        self.max_batch = max_batch
        self.stats = GroupStats()
        self._queue: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def start(self) -> Self:
        """Start the writer thread (if it is not running)."""
        with self._starting:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name="zhili-group-commit", daemon=True)
                self._thread.start()
        return self

    def stop(self) -> None:
        """Finish the units already queued, then stop the writer thread."""
        with self._starting:
            thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def submit(self, work: Callable[[Session], T], sessions: sessionmaker[Session]) -> Future[T]:
        """Queue a unit of work writing with `sessions`; its future resolves after the COMMIT that made it durable."""
        future: Future[T] = Future()
        self._put(_Job(work, sessions, future=future))
        return future

    def run(self, work: Callable[[Session], T], sessions: sessionmaker[Session]) -> T:
        """Queue a unit of work and wait for it (from any thread but the committer's)."""
        return self.submit(work, sessions).result()

    async def run_async(self, work: Callable[[Session], T], sessions: sessionmaker[Session]) -> T:
        """Queue a unit of work and await it on the running event loop (a request handler)."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
        self._put(_Job(work, sessions, waiter=waiter, loop=loop))
        return await waiter

    def _put(self, job: _Job[Any]) -> None:
        self.start()
        self._queue.put(job)

    def _serve(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            batch: list[_Job[Any]] = [first]
            while len(batch) < self.max_batch:
                try:
                    queued = self._queue.get_nowait()
                except queue.Empty:
                    break
                if queued is None:
                    stopping = True
                    break
                batch.append(queued)
            self._commit(batch)

    def _commit(self, taken: list[_Job[Any]]) -> None:
        batch = [job for job in taken if job.still_wanted()]
        if not batch:
            return
        self.stats.units += len(batch)
        sessions = batch[0].sessions
        if len(batch) == 1 or any(job.sessions is not sessions for job in batch):
            _settle(batch, [self._run_alone(job) for job in batch])
            return
        try:
            with _BatchSession(**sessions.kw) as session:
                outcomes = [_Outcome(_unit(job, session)) for job in batch]
                Session.commit(session)  # the batch's one COMMIT (a unit's commit only flushed)
        except Exception:  # noqa: BLE001 - any unit's failure undoes the batch; each unit then runs alone
            self.stats.abandoned += 1
            for job in batch:  # each answered as soon as its own transaction is done
                _settle([job], [self._run_alone(job)])
            return
        except BaseException as exc:  # not a unit's refusal (an interpreter exit): answer everyone, then end
            _settle(batch, [_Outcome(error=exc)] * len(batch))
            raise
        self.stats.batches += 1
        _settle(batch, outcomes)

    def _run_alone(self, job: _Job[Any]) -> _Outcome:
        self.stats.alone += 1
        try:
            with session_scope(job.sessions) as session:
                return _Outcome(job.work(session))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, who raises it
            return _Outcome(error=exc)


def _unit(job: _Job[Any], session: Session) -> Any:
    """Run a unit in the batch's session; it starts with an empty identity map, as in a session of its own."""
    try:
        return job.work(session)
    finally:
        session.expunge_all()


def _settle(batch: list[_Job[Any]], outcomes: list[_Outcome]) -> None:
    """Answer each unit's caller: threads directly, each event loop's coroutines in one call into it."""
    by_loop: defaultdict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], _Outcome]]] = defaultdict(list)
    for job, outcome in zip(batch, outcomes, strict=True):
        if job.future is not None:
            if outcome.error is None:
                job.future.set_result(outcome.value)
            else:
                job.future.set_exception(outcome.error)
        elif job.waiter is not None and job.loop is not None:
            by_loop[job.loop].append((job.waiter, outcome))
    for loop, answers in by_loop.items():
        try:
            loop.call_soon_threadsafe(_answer, answers)
        except RuntimeError:  # the loop closed while the batch ran: nobody is waiting any more
            continue


def _answer(answers: list[tuple[asyncio.Future[Any], _Outcome]]) -> None:
    """On the waiters' event loop: resolve each one still waiting; one that cannot take its answer stops no other."""
    for waiter, outcome in answers:
        if waiter.done():  # its request was cancelled
            continue
        error = outcome.error
        if isinstance(error, StopIteration):  # a future refuses it: it would end the awaiting coroutine silently
            error = RuntimeError(f"a unit of work raised StopIteration: {error!r}")
        try:
            if error is None:
                waiter.set_result(outcome.value)
            else:
                waiter.set_exception(error)
        except (asyncio.InvalidStateError, TypeError) as exc:  # answered meanwhile, or an exception a future refuses
            if not waiter.done():
                waiter.set_exception(RuntimeError(f"the unit's answer could not be handed back: {exc!r}"))
