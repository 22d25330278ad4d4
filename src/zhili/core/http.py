"""What every HTTP handler may inject: the settings, a database session, the clock; and where writes run."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from zhili.core.clock import Clock
from zhili.core.db import session_scope, sqlite_wal
from zhili.core.errors import PayloadTooLargeError, UnsupportedMediaTypeError
from zhili.core.group_commit import GroupCommitter
from zhili.core.settings import Settings

T = TypeVar("T")
E = TypeVar("E", bound=Exception)
SQLITE_WRITE_THREADS = 1
"""Write handlers of one process in the thread pool at a time on SQLite (`run_writes`)."""


@dataclass
class Services:
    """The long-lived parts built once by `create_app` and shared by all requests."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    clock: Clock
    write_threads: CapacityLimiter | None
    committer: GroupCommitter | None = None  # SQLite with group commit on: the writer of `run_in_write_session`


def write_threads(engine: Engine) -> CapacityLimiter | None:
    """The limit `run_writes` puts on write handlers: one on SQLite; None (the thread pool's own) on PostgreSQL.

    A limiter of its own on PostgreSQL would add its threads to the pool's 40 instead of sharing them,
    and the database pool is sized to outnumber that one pool (`core.db.make_engine`).
    """
    return CapacityLimiter(SQLITE_WRITE_THREADS) if sqlite_wal(engine) is not None else None


def services(request: Request) -> Services:
    """The application's services (set by `create_app`)."""
    found: Services = request.app.state.services
    return found


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def db_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, closed (and rolled back if uncommitted) afterwards.

    Reads get a session that never takes the SQLite write lock; writes one that takes it first.
    Making a session does no I/O (it connects on first use), so this runs on the event loop rather
    than taking two trips through the thread pool; only closing a session that still holds a
    transaction (closing rolls it back) is sent to the thread pool.
    """
    found = services(request)
    session = found.read_sessions() if request.method in SAFE_METHODS else found.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


async def run_writes(request: Request, work: Callable[[], T]) -> T:
    """Run a write handler's blocking body in the thread pool, at most `write_threads` of them at a time.

    On SQLite one transaction of the process writes at a time anyway (`core.db`'s writer lock), so
    a thread per concurrent write request adds no parallelism, only threads that start, contend for
    the GIL and queue on the lock: 32 reports at once cost about twice the CPU each that they cost one
    after another. Here the waiting is done on the event loop instead, after the request's body and
    its dependencies (the caller's authentication included) are in, so a slow client never holds a
    place in the queue. On PostgreSQL writers run side by side in the thread pool, sharing its limit.
    """
    return await anyio.to_thread.run_sync(work, limiter=services(request).write_threads)


async def run_in_write_session(request: Request, work: Callable[[Session], T]) -> T:
    """`run_writes` for a handler whose session is its write alone: opened and closed in the writer's thread.

    The request takes no `DbSession` dependency then: no session is made on the event loop, and none
    is closed there after the answer (a trip through the thread pool of its own when it still holds
    a transaction). `work` commits; leaving the block rolls back whatever it did not. On SQLite with
    `ZHILI_GROUP_COMMIT` on, `work` goes to the group committer instead (`core.group_commit`: the
    writes queued behind each other share one COMMIT, each answered after it), so it must have no
    effect outside the database: it may run twice.
    """
    found = services(request)
    sessions = found.sessions
    if found.committer is not None:  # queued for the next COMMIT with the writes behind it (SQLite)
        return await found.committer.run_async(work, sessions)
    return await run_writes(request, partial(_in_session, sessions, work))


async def run_in_read_session(request: Request, work: Callable[[Session], T]) -> T:
    """A handler's blocking read in the thread pool, in a session of its own that never takes the SQLite write lock.

    For what a write handler shows after its write (a refused form shown again with its reasons):
    the write ran in `run_in_write_session`, and the page is read beside other readers, not in the
    writer's queue.
    """
    return await run_in_threadpool(_in_session, services(request).read_sessions, work)


def rolled_back(session: Session, error: E) -> E:
    """Undo what a refused form wrote and give its refusal back, to be shown with the form again.

    Inside a group commit the rollback undoes the batch, and the form runs again alone
    (`core.group_commit`), so its refusal is what it would have been without group commit.
    """
    session.rollback()
    return error


def _in_session(sessions: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """Run `work` in a session of its own, closed (and rolled back if uncommitted) afterwards."""
    with session_scope(sessions) as session:
        return work(session)


async def clock(request: Request) -> Clock:
    """The injected clock (async: a plain attribute read needs no trip through the thread pool)."""
    return services(request).clock


async def settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return services(request).settings


DbSession = Annotated[Session, Depends(db_session)]
ClockDep = Annotated[Clock, Depends(clock)]
SettingsDep = Annotated[Settings, Depends(settings)]


async def read_declared_body(
    request: Request,
    content_type: str,
    *,
    media_types: tuple[str, ...],
    what: str,
    limit: int,
    too_large: type[PayloadTooLargeError] = PayloadTooLargeError,
) -> bytes:
    """A raw body declared as one of `media_types` (else 415), read as it streams up to `limit` bytes (else 413).

    `what` names the body in the reasons ("a CAP 1.2 document"); `too_large` is the 413 an endpoint
    documents, raised with `{"field": "body", "kind": "too_big"}` so a page can say it by its input.
    """
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in media_types:
        message = f"send {what} as {' or '.join(media_types)}, not {media or 'nothing'}"
        raise UnsupportedMediaTypeError(message, errors=[{"field": "header.content-type", "message": message}])
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            message = f"{what} is over {limit:,} bytes"
            raise too_large(message, errors=[{"field": "body", "kind": "too_big", "message": message}])
        chunks.append(chunk)
    return b"".join(chunks)
