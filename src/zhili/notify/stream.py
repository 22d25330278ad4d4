"""The live inbox: server-sent events carrying new inbox items and the unread count.

Each open page polls the database every `notify_stream_poll_seconds` with a short read in a
worker thread. Those reads go through their own small capacity limiter, so a hundred open pages
never take the threads that serve ordinary requests. A stream ends after
`notify_stream_seconds`; the browser's EventSource reconnects by itself, sending the id of the
last item it got (`Last-Event-ID`), so nothing is missed across reconnects.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from functools import partial

import anyio
from fastapi import FastAPI, Request
from sqlalchemy.orm import Session, sessionmaker

from zhili.core.http import Services
from zhili.notify import inbox
from zhili.notify.schemas import InboxItemRead

HEARTBEAT_SECONDS = 15.0
RECONNECT_MILLISECONDS = 3000
STREAM_READERS = 8


def _limiter(app: FastAPI) -> anyio.CapacityLimiter:
    # Made on first use, inside the event loop that will use it.
    found: anyio.CapacityLimiter | None = getattr(app.state, "inbox_stream_limiter", None)
    if found is None:
        found = anyio.CapacityLimiter(STREAM_READERS)
        app.state.inbox_stream_limiter = found
    return found


def event(name: str, data: str, *, event_id: int | None = None) -> str:
    """One server-sent event."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {data}\n\n"


def _poll(readers: sessionmaker[Session], person_id: int | None, after_id: int) -> tuple[list[InboxItemRead], int]:
    if person_id is None:
        return [], 0
    with readers() as session:
        items = inbox.items_after(session, person_id, after_id)
        unread = inbox.unread_of(session, person_id)
        session.rollback()
    return items, unread


def starting_point(readers: sessionmaker[Session], person_id: int | None) -> int:
    """The newest item now: a stream without a starting id sends only what comes after it."""
    if person_id is None:
        return 0
    with readers() as session:
        return inbox.latest_item_id(session, person_id)


async def inbox_events(
    request: Request, services: Services, *, person_id: int | None, after_id: int
) -> AsyncIterator[str]:
    """New items as `notification` events (id = inbox item id), `unread` on change, a comment as heartbeat."""
    settings, limiter = services.settings, _limiter(request.app)
    deadline = time.monotonic() + settings.notify_stream_seconds
    yield f"retry: {RECONNECT_MILLISECONDS}\n\n"
    last_unread, last_write = -1, time.monotonic()
    while True:
        poll = partial(_poll, services.read_sessions, person_id, after_id)
        items, unread = await anyio.to_thread.run_sync(poll, limiter=limiter)
        chunks = [event("notification", item.model_dump_json(), event_id=item.id) for item in items]
        after_id = items[-1].id if items else after_id
        if unread != last_unread:
            chunks.append(event("unread", json.dumps({"unread": unread})))
            last_unread = unread
        if not chunks and time.monotonic() - last_write >= HEARTBEAT_SECONDS:
            chunks.append(": ping\n\n")
        if chunks:
            yield "".join(chunks)
            last_write = time.monotonic()
        if time.monotonic() >= deadline or await request.is_disconnected():
            return
        await anyio.sleep(settings.notify_stream_poll_seconds)
