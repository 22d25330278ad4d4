"""The live board: server-sent events carrying the board whenever it changes.

Each open board reads the counts every `POLL_SECONDS` with one short read in a worker thread,
through a small capacity limiter of its own (as the live inbox does), so that a wall of big
screens never takes the threads that serve ordinary requests. A `board` event is sent when the
board differs from the last one sent (its `as_of` aside), a comment as heartbeat otherwise. The
stream ends after `STREAM_SECONDS` or when the browser goes; EventSource reconnects by itself and
gets the whole board again at once.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from functools import partial

import anyio
from fastapi import FastAPI, Request

from zhili.campaigns.board import board
from zhili.campaigns.board_schemas import BoardRead
from zhili.core.auth import Actor
from zhili.core.errors import NotFoundError
from zhili.core.http import Services
from zhili.notify.stream import event

POLL_SECONDS = 2.0
STREAM_SECONDS = 600.0
HEARTBEAT_SECONDS = 15.0
RECONNECT_MILLISECONDS = 3000
STREAM_READERS = 8


def _limiter(app: FastAPI) -> anyio.CapacityLimiter:
    # Made on first use, inside the event loop that will use it.
    found: anyio.CapacityLimiter | None = getattr(app.state, "board_stream_limiter", None)
    if found is None:
        found = anyio.CapacityLimiter(STREAM_READERS)
        app.state.board_stream_limiter = found
    return found


def read_board(services: Services, actor: Actor, campaign_id: int, division: str | None) -> BoardRead:
    """The board now, on a short read session of its own (404 when the actor may not see it)."""
    with services.read_sessions() as session:
        try:
            return board(session, actor, campaign_id, division=division, now=services.clock.now())
        finally:
            session.rollback()


def _read_or_none(services: Services, actor: Actor, campaign_id: int, division: str | None) -> BoardRead | None:
    try:
        return read_board(services, actor, campaign_id, division)
    except NotFoundError:
        return None


def _fingerprint(found: BoardRead) -> str:
    return found.model_dump_json(exclude={"as_of"})


async def board_events(
    request: Request, services: Services, *, actor: Actor, campaign_id: int, division: str | None
) -> AsyncIterator[str]:
    """`board` events (the whole board as JSON) when it changes, `: ping` heartbeats, until the deadline."""
    limiter = _limiter(request.app)
    deadline = time.monotonic() + STREAM_SECONDS
    yield f"retry: {RECONNECT_MILLISECONDS}\n\n"
    last, last_write = "", time.monotonic()
    while True:
        read = partial(_read_or_none, services, actor, campaign_id, division)
        found = await anyio.to_thread.run_sync(read, limiter=limiter)
        if found is None:
            yield event("gone", "{}")
            return
        chunk = ""
        if (fingerprint := _fingerprint(found)) != last:
            chunk, last = event("board", found.model_dump_json()), fingerprint
        elif time.monotonic() - last_write >= HEARTBEAT_SECONDS:
            chunk = ": ping\n\n"
        if chunk:
            yield chunk
            last_write = time.monotonic()
        if time.monotonic() >= deadline or await request.is_disconnected():
            return
        await anyio.sleep(POLL_SECONDS)
