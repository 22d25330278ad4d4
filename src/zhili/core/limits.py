"""Request limits at the edge: bodies over the size limit (413) and URLs with control characters (400)."""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhili.core.request_context import send_problem

_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")


class ControlCharacterGuardMiddleware:
    """Refuse URLs whose path or query decodes to control characters (NUL and friends).

    No name, code or search text contains them; PostgreSQL rejects NUL in text and SQLite's LIKE
    treats it oddly, so they are stopped before any handler sees them.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 400."""
        if scope["type"] == "http":
            raw = scope.get("raw_path", b"") + b"?" + scope.get("query_string", b"")
            # Only a %-escape can decode to a control character ('+' is a space): most URLs skip the decoding.
            decoded = unquote_to_bytes(raw) if b"%" in raw else raw
            if _CONTROL.search(decoded) is not None:
                await send_problem(send, 400, "Bad request", "control characters are not allowed in the URL")
                return
        await self.app(scope, receive, send)


class BodySizeLimitMiddleware:
    """Refuse bodies larger than `max_bytes` with 413, by declared length and by bytes counted as they arrive.

    A chunked body has no length to check up front: once it outgrows the limit the 413 is sent at
    once and the application is told the client left, so it stops reading; whatever it answers
    then (a framework would call the cut body unparseable, 400) is dropped.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 413."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, counted = _framing(scope["headers"])
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send)
        elif counted:
            await self._counted(scope, receive, send)
        else:
            # No body, or the server delivers exactly the declared length, within the limit: nothing to count.
            await self.app(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve a body of unknown length, answering 413 as soon as it outgrows the limit."""
        received = 0
        started = refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(self, send: Send) -> None:
        detail = f"the request body exceeds the limit of {self.max_bytes} bytes"
        await send_problem(send, 413, "Payload too large", detail)


def _framing(headers: list[tuple[bytes, bytes]]) -> tuple[int | None, bool]:
    """The declared Content-Length, and whether the body must be counted as it arrives.

    It must when it is chunked or its length is unclear (sent twice, not a number); a request with
    neither header has no body.
    """
    lengths = [value for name, value in headers if name == b"content-length"]
    chunked = any(name == b"transfer-encoding" for name, _value in headers)
    declared = int(lengths[0]) if len(lengths) == 1 and lengths[0].isdigit() else None
    return declared, chunked or (bool(lengths) and declared is None)


# Scripts and styles come only from /static/: no inline <script>, handler attribute, <style> or
# style attribute runs or applies. Styles set from JavaScript through the DOM (Leaflet, ECharts) are
# not inline markup and stay allowed. Images may be data:/blob: URLs (Leaflet's icons, photo previews).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
]
# Every answer but the static assets may carry personal data (pages, the API, photos, exports).
CACHEABLE_PREFIX = "/static/"


class SecurityHeadersMiddleware:
    """Headers every response carries; nothing but static assets is ever stored by a cache."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = not scope["path"].startswith(CACHEABLE_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"cache-control" or not no_store
                ]
                # A page that sets one itself knows better (a link whose address is a secret sends no referrer).
                given = {name.lower() for name, _ in headers}
                headers.extend(header for header in SECURITY_HEADERS if header[0] not in given)
                if no_store:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
