"""The one server-sent events loop: reconnect delay first, frames as read, heartbeats, and each way a stream ends."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

import anyio
import pytest
from starlette.requests import Request

from zhili.web import sse


class _Browser:
    """A request whose browser stays until `leaves_after` polls (never, by default)."""

    def __init__(self, leaves_after: int | None = None) -> None:
        self.app = SimpleNamespace(state=SimpleNamespace())
        self.polls, self.leaves_after = 0, leaves_after

    async def is_disconnected(self) -> bool:
        self.polls += 1
        return self.leaves_after is not None and self.polls >= self.leaves_after


def _collect(
    browser: _Browser, read: Callable[[], Any], frames: Callable[[Any], sse.Frames], seconds: float
) -> list[str]:
    async def run() -> list[str]:
        events = sse.poll_events(
            cast("Request", browser), kind="test", read=read, frames=frames, poll_seconds=0.01, stream_seconds=seconds
        )
        return [chunk async for chunk in events]

    return anyio.run(run)


def test_frames_are_sent_as_read_until_the_last() -> None:
    numbers = iter(range(1, 10))

    def frames(n: int) -> sse.Frames:
        return sse.Frames([sse.event("n", str(n), event_id=n)], last=n == 2)

    chunks = _collect(_Browser(), lambda: next(numbers), frames, seconds=60)
    assert chunks == ["retry: 3000\n\n", "id: 1\nevent: n\ndata: 1\n\n", "id: 2\nevent: n\ndata: 2\n\n"]


def test_a_quiet_stream_sends_heartbeats_and_ends_on_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sse, "HEARTBEAT_SECONDS", 0.0)
    chunks = _collect(_Browser(), lambda: None, lambda _found: sse.Frames(), seconds=0.05)
    assert chunks[0] == "retry: 3000\n\n"
    assert set(chunks[1:]) == {sse.HEARTBEAT}


def test_the_stream_ends_when_the_browser_goes() -> None:
    browser = _Browser(leaves_after=3)
    chunks = _collect(browser, lambda: None, lambda _found: sse.Frames(), seconds=60)
    assert (chunks, browser.polls) == (["retry: 3000\n\n"], 3)


def test_each_kind_of_stream_has_its_own_readers() -> None:
    app = SimpleNamespace(state=SimpleNamespace())
    board = sse.limiter(cast("Any", app), "board")
    assert sse.limiter(cast("Any", app), "board") is board
    assert sse.limiter(cast("Any", app), "inbox") is not board
    assert board.total_tokens == sse.STREAM_READERS
