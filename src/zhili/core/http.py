"""What every HTTP handler may inject: the settings, a database session, the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from zhili.core.clock import Clock
from zhili.core.settings import Settings


@dataclass
class Services:
    """The long-lived parts built once by `create_app` and shared by all requests."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    clock: Clock


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


async def clock(request: Request) -> Clock:
    """The injected clock (async: a plain attribute read needs no trip through the thread pool)."""
    return services(request).clock


async def settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return services(request).settings


DbSession = Annotated[Session, Depends(db_session)]
ClockDep = Annotated[Clock, Depends(clock)]
SettingsDep = Annotated[Settings, Depends(settings)]
