"""The live inbox: server-sent events carrying new inbox items and the unread count (the loop is `web.sse`).

Each open page polls the database every `notify_stream_poll_seconds` with a short read in a
worker thread, through the inbox streams' own capacity limiter, so a hundred open pages never take
the threads that serve ordinary requests. A stream ends after `notify_stream_seconds`; the
browser's EventSource reconnects by itself, sending the id of the last item it got
(`Last-Event-ID`), so nothing is missed across reconnects.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from zhili.core.http import Services
from zhili.notify import inbox
from zhili.notify.schemas import InboxItemRead
from zhili.web import sse
from zhili.web.templating import renderer


def _poll(
    readers: sessionmaker[Session], person_id: int | None, after_id: int, language: str
) -> tuple[list[InboxItemRead], int]:
    if person_id is None:
        return [], 0
    with readers() as session:
        items = inbox.items_after(session, person_id, after_id, language=language)
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
    """New items as `notification` events (id = inbox item id), `unread` on change, heartbeats."""
    settings, last_unread = services.settings, -1
    language = renderer(request).language(request)  # the page's: a new item's title as the list shows it

    def read() -> tuple[list[InboxItemRead], int]:
        return _poll(services.read_sessions, person_id, after_id, language)

    def frames(found: tuple[list[InboxItemRead], int]) -> sse.Frames:
        nonlocal after_id, last_unread
        items, unread = found
        chunks = [sse.event("notification", item.model_dump_json(), event_id=item.id) for item in items]
        after_id = items[-1].id if items else after_id
        if unread != last_unread:
            chunks.append(sse.event("unread", json.dumps({"unread": unread})))
            last_unread = unread
        return sse.Frames(chunks)

    async for chunk in sse.poll_events(
        request,
        kind="inbox",
        read=read,
        frames=frames,
        poll_seconds=settings.notify_stream_poll_seconds,
        stream_seconds=settings.notify_stream_seconds,
    ):
        yield chunk
