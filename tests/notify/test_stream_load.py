"""Many open live inboxes on a real server: ordinary requests are still answered at once."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from tests.conftest import World, live_server, loopback_client

from zhili.app import create_app
from zhili.core.settings import Settings
from zhili.demo.build import DEMO_PASSWORD

STREAMS = 60  # more than the 40 threads that serve sync handlers


@pytest.fixture(scope="module")
def server(sqlite_world: World) -> Iterator[str]:
    settings = Settings(
        environment="test", database_url=sqlite_world.url, notify_stream_poll_seconds=0.05, notify_stream_seconds=5
    )
    with live_server(create_app(settings, engine=sqlite_world.engine)) as base:
        yield base


def _login(base: str) -> httpx.Cookies:
    with loopback_client(base) as client:
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        form = {"username": "teamleader", "password": DEMO_PASSWORD, "csrf_token": token, "next": "/"}
        assert client.post("/login", data=form).status_code in {200, 303}
        return client.cookies


@dataclass
class Streams:
    """Live inboxes held open by threads of their own until `stop`."""

    server: str
    cookies: httpx.Cookies
    opened: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    stop: threading.Event = field(default_factory=threading.Event)
    sockets: list[socket.socket] = field(default_factory=list)

    def listen(self) -> None:
        """Open a stream and read it until told to stop (or until the stream is shut down after that)."""
        with (
            loopback_client(self.server, cookies=self.cookies, timeout=30) as client,
            client.stream("GET", "/api/v1/inbox/stream") as response,
        ):
            assert response.status_code == 200
            self.sockets.append(response.extensions["network_stream"].get_extra_info("socket"))
            self.opened.release()
            try:
                for _ in response.iter_bytes():
                    if self.stop.is_set():
                        break
            except httpx.TransportError:
                if not self.stop.is_set():
                    raise

    def close(self) -> None:
        """End the streams as a closed page does: the server ends each at its next poll.

        Otherwise they go on polling (twenty reads a second each) until their time is up.
        """
        self.stop.set()
        for each in self.sockets:
            each.shutdown(socket.SHUT_RDWR)


def test_many_open_streams_leave_the_request_threads_free(server: str) -> None:
    streams = Streams(server, _login(server))
    threads = [threading.Thread(target=streams.listen, daemon=True) for _ in range(STREAMS)]
    for thread in threads:
        thread.start()
    for _ in range(STREAMS):
        assert streams.opened.acquire(timeout=30), "a stream did not open"
    try:
        # A stall would surface as a timeout: the streams' reads have their own small thread limiter.
        with loopback_client(server, cookies=streams.cookies, timeout=10) as client:
            for _ in range(5):
                assert client.get("/api/v1/inbox/unread-count").status_code == 200
                assert client.get("/healthz").status_code == 200
    finally:
        streams.close()
        for thread in threads:
            thread.join(timeout=10)
