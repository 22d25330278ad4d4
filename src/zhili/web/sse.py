"""Server-sent events: the one polling loop, frame format, heartbeat and end of every live stream.

A stream opens with the browser's reconnect delay, then polls: each read runs in a worker thread
through a small capacity limiter of the stream's own kind (`limiter`), so a wall of open pages never
takes the threads that serve ordinary requests. What was read becomes frames (`Frames`); with none to
send for `HEARTBEAT_SECONDS` a comment keeps proxies from closing the connection. The stream ends
when the frames say so, after its time is up, or when the browser goes; EventSource reconnects by
itself. Used by the live inbox (`notify.stream`) and the campaign board (`campaigns.board.stream`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse

T = TypeVar("T")

HEARTBEAT_SECONDS: Final = 15.0
RECONNECT_MILLISECONDS: Final = 3000
STREAM_READERS: Final = 8
HEARTBEAT: Final = ": ping\n\n"
MEDIA_TYPE: Final = "text/event-stream"
# For a route's `responses=`: the OpenAPI document names the stream's media type.
OPENAPI_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {200: {"content": {MEDIA_TYPE: {}}}}
# Never cached, never buffered by a reverse proxy (nginx reads X-Accel-Buffering).
HEADERS: Final = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def event(name: str, data: str, *, event_id: int | None = None) -> str:
    """One server-sent event."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {data}\n\n"


@dataclass(frozen=True, slots=True)
class Frames:
    """What one poll sends (possibly nothing), and whether the stream ends after it."""

    chunks: Sequence[str] = ()
    last: bool = False


def limiter(app: Starlette, kind: str) -> anyio.CapacityLimiter:
    """The readers' limiter of one kind of stream, made on first use inside the event loop that uses it."""
    name = f"sse_limiter_{kind}"
    found: anyio.CapacityLimiter | None = getattr(app.state, name, None)
    if found is None:
        found = anyio.CapacityLimiter(STREAM_READERS)
        setattr(app.state, name, found)
    return found


async def poll_events(
    request: Request,
    *,
    kind: str,
    read: Callable[[], T],
    frames: Callable[[T], Frames],
    poll_seconds: float,
    stream_seconds: float,
) -> AsyncIterator[str]:
    """`read` every `poll_seconds` in a worker thread, send its `frames` (or a heartbeat), until the stream ends."""
    readers = limiter(request.app, kind)
    deadline = time.monotonic() + stream_seconds
    yield f"retry: {RECONNECT_MILLISECONDS}\n\n"
    last_write = time.monotonic()
    while True:
        sent = frames(await anyio.to_thread.run_sync(read, limiter=readers))
        chunks = list(sent.chunks)
        if not chunks and time.monotonic() - last_write >= HEARTBEAT_SECONDS:
            chunks.append(HEARTBEAT)
        if chunks:
            yield "".join(chunks)
            last_write = time.monotonic()
        if sent.last or time.monotonic() >= deadline or await request.is_disconnected():
            return
        await anyio.sleep(poll_seconds)


def response(events: AsyncIterator[str]) -> StreamingResponse:
    """The stream as an HTTP answer."""
    return StreamingResponse(events, media_type=MEDIA_TYPE, headers=HEADERS)
