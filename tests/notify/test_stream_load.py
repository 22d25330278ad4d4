"""Many open live inboxes on a real server: ordinary requests are still answered at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator

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


def test_many_open_streams_leave_the_request_threads_free(server: str) -> None:
    cookies = _login(server)
    opened, stop = threading.Semaphore(0), threading.Event()

    def listen() -> None:
        with (
            loopback_client(server, cookies=cookies, timeout=30) as client,
            client.stream("GET", "/api/v1/inbox/stream") as response,
        ):
            assert response.status_code == 200
            opened.release()
            for _ in response.iter_bytes():
                if stop.is_set():
                    break

    threads = [threading.Thread(target=listen, daemon=True) for _ in range(STREAMS)]
    for thread in threads:
        thread.start()
    for _ in range(STREAMS):
        assert opened.acquire(timeout=30), "a stream did not open"
    try:
        # A stall would surface as a timeout: the streams' reads have their own small thread limiter.
        with loopback_client(server, cookies=cookies, timeout=10) as client:
            for _ in range(5):
                assert client.get("/api/v1/inbox/unread-count").status_code == 200
                assert client.get("/healthz").status_code == 200
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
