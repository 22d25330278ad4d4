"""The live board: server-sent events carrying the board whenever it changes (the loop is `web.sse`).

Each open board reads the counts every `POLL_SECONDS` with one short read in a worker thread,
through the board streams' own capacity limiter, so that a wall of big screens never takes the
threads that serve ordinary requests; streams showing the same board share one read per poll
(`SharedBoards`). A `board` event is sent when the board differs from the last one sent (its
`as_of` aside), a heartbeat otherwise; `gone` ends a stream whose campaign went out of sight. The
stream ends after `STREAM_SECONDS` or when the browser goes; EventSource reconnects by itself and
gets the whole board again at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from functools import partial

from fastapi import FastAPI, Request

from zhili.campaigns.board.counts import board
from zhili.campaigns.board.schemas import BoardRead
from zhili.core.auth import Actor, Scope
from zhili.core.errors import NotFoundError
from zhili.core.http import Services
from zhili.web import sse

POLL_SECONDS = 2.0
STREAM_SECONDS = 600.0


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


class SharedBoards:
    """Boards read in the last moment, shared by the streams that show the same campaign, division and scope.

    A wall of screens on one county's board costs one read per poll, not one per screen. The counts
    depend on the scope alone, and each stream checked that its caller may see the campaign before it
    started, so callers with the same scope may share what was read.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: dict[tuple[int, str | None, Scope], tuple[float, BoardRead | None]] = {}

    def read(self, services: Services, actor: Actor, campaign_id: int, division: str | None) -> BoardRead | None:
        """The board as read less than a poll ago by any stream with this key, else read now."""
        key, fresh_after = (campaign_id, division, actor.scope), time.monotonic() - POLL_SECONDS * 0.9
        with self._lock:
            hit = self._found.get(key)
        if hit is not None and hit[0] >= fresh_after:
            return hit[1]
        found = _read_or_none(services, actor, campaign_id, division)
        with self._lock:
            self._found = {k: v for k, v in self._found.items() if v[0] >= fresh_after}
            self._found[key] = (time.monotonic(), found)
        return found


def _shared(app: FastAPI) -> SharedBoards:
    found: SharedBoards | None = getattr(app.state, "shared_boards", None)
    if found is None:
        found = SharedBoards()
        app.state.shared_boards = found
    return found


def _fingerprint(found: BoardRead) -> str:
    return found.model_dump_json(exclude={"as_of"})


async def board_events(
    request: Request, services: Services, *, actor: Actor, campaign_id: int, division: str | None
) -> AsyncIterator[str]:
    """`board` events (the whole board as JSON) when it changes, heartbeats, until the deadline."""
    shared, last = _shared(request.app), ""

    def frames(found: BoardRead | None) -> sse.Frames:
        nonlocal last
        if found is None:
            return sse.Frames([sse.event("gone", "{}")], last=True)
        if (fingerprint := _fingerprint(found)) == last:
            return sse.Frames()
        last = fingerprint
        return sse.Frames([sse.event("board", found.model_dump_json())])

    async for chunk in sse.poll_events(
        request,
        kind="board",
        read=partial(shared.read, services, actor, campaign_id, division),
        frames=frames,
        poll_seconds=POLL_SECONDS,
        stream_seconds=STREAM_SECONDS,
    ):
        yield chunk
