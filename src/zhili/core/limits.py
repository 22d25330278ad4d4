"""Request size limits: a body over the limit is refused with 413 before it is read into memory."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLargeError(Exception):
    """Raised while streaming a body that outgrows the limit."""


def _problem_body(limit: int) -> bytes:
    body = {
        "type": "https://zhili.example/problems/payload-too-large",
        "title": "Payload too large",
        "status": 413,
        "detail": f"the request body exceeds the limit of {limit} bytes",
    }
    return json.dumps(body).encode()


class BodySizeLimitMiddleware:
    """Refuse bodies larger than `max_bytes`, by declared length and by counted bytes."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 413."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError
            return message

        try:
            await self.app(scope, counting_receive, send)
        except BodyTooLargeError:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = _problem_body(self.max_bytes)
        headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
