"""A TestClient that runs each request in one call to its event loop and hands back the whole response.

Starlette's TestClient streams a response from the app's event loop (a thread of its own) to the
test: it crosses between the threads about ten times a request (two events, a memory stream, a
cancel scope, the task, then one call per body chunk), which cost 1.5-2.5 ms of CPU a request
beside the app's own 1 ms for a small one, over some 25,000 requests a run. `BufferedTestClient`
runs the app, collects its messages and returns in one crossing; it then answers the request with
the body it collected. Everything else is the TestClient's: the scope, cookies, redirects, the
lifespan, `raise_server_exceptions`.

What differs: the body is read to its end before the call returns, so a response that never ends
(an event stream without an end) never returns: read those from a real server (`live_server`), as
`tests/notify/test_stream_load.py` does. A test client's `get` and `post` read the whole body
anyway.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import anyio
import httpx
from starlette.testclient import TestClient, _TestClientTransport


class _Collected:
    """What the app sent for one request: the start, the body's chunks, the debug extension."""

    def __init__(self) -> None:
        self.started = False
        self.status = 500
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []
        self.debug: Any = None
        self.complete = anyio.Event()  # made in the event loop's thread, by `run` there

    async def send(self, message: dict[str, Any]) -> None:
        """The app's `send`: keep the messages of the response."""
        kind = message["type"]
        if kind == "http.response.start":
            assert not self.started, 'Received multiple "http.response.start" messages.'
            self.started = True
            self.status = message["status"]
            self.headers = [(key.decode(), value.decode()) for key, value in message.get("headers", [])]
        elif kind == "http.response.body":
            assert self.started, 'Received "http.response.body" without "http.response.start".'
            self.chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                self.complete.set()
        elif kind == "http.response.debug":
            self.debug = message["info"]


class _BufferedTransport(_TestClientTransport):
    """Runs the app for one request in a single call to the portal, collecting the response."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """The app's whole response to the request (websockets go the TestClient's way)."""
        if request.url.scheme in {"ws", "wss"}:
            return super().handle_request(request)
        scope, body = self._scope(request), request.read()

        async def run() -> _Collected:
            collected, is_read = _Collected(), False

            async def receive() -> dict[str, Any]:
                nonlocal is_read
                if not is_read:
                    is_read = True
                    return {"type": "http.request", "body": body}
                await collected.complete.wait()  # as the TestClient does: disconnected once answered
                return {"type": "http.disconnect"}

            try:
                await self.app(scope, receive, collected.send)
            except Exception:
                if self.raise_server_exceptions:
                    raise  # else the response as far as it went, or a 500 when none was started
            finally:
                collected.complete.set()
            return collected

        with self.portal_factory() as portal:
            return self._response(request, portal.call(run))

    def _response(self, request: httpx.Request, collected: _Collected) -> httpx.Response:
        """The response as the TestClient makes it (a 500 with no body if the app never started one)."""
        if not collected.started:
            if self.raise_server_exceptions:
                raise AssertionError("TestClient did not receive any response.")
            return httpx.Response(500, headers=[], stream=httpx.ByteStream(b""), request=request)
        content = b"" if request.method == "HEAD" else b"".join(collected.chunks)
        response = httpx.Response(
            collected.status, headers=collected.headers, stream=httpx.ByteStream(content), request=request
        )
        if collected.debug is not None:
            response.extensions["http.response.debug"] = collected.debug
        return response

    def _scope(self, request: httpx.Request) -> dict[str, Any]:
        """The HTTP scope the TestClient builds for a request."""
        url = request.url
        port = url.port or {"http": 80, "https": 443}[url.scheme]
        headers = [] if "host" in request.headers else [(b"host", url.netloc)]
        headers += [(key.lower().encode(), value.encode()) for key, value in request.headers.multi_items()]
        return {
            "type": "http",
            "http_version": "1.1",
            "method": request.method,
            "path": unquote(url.path),
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "root_path": self.root_path,
            "scheme": url.scheme,
            "query_string": url.query,
            "headers": headers,
            "client": self.client,
            "server": [url.raw_host.decode("ascii"), port],
            "extensions": {"http.response.debug": {}},
            "state": self.app_state.copy(),
        }


class BufferedTestClient(TestClient):
    """Starlette's TestClient with `_BufferedTransport`: one crossing to the app's event loop a request."""

    __test__ = False

    def __init__(self, app: Any, **options: Any) -> None:
        super().__init__(app, **options)
        streaming = self._transport
        assert isinstance(streaming, _TestClientTransport)
        self._transport = _BufferedTransport(
            streaming.app,
            portal_factory=streaming.portal_factory,
            raise_server_exceptions=streaming.raise_server_exceptions,
            root_path=streaming.root_path,
            client=streaming.client,
            app_state=streaming.app_state,
        )
