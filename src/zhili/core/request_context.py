"""Request ids and structured logs: every request gets an id that follows it into logs and audit."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

import structlog
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhili.core import redact

REQUEST_ID_HEADER = "x-request-id"
_HEADER = REQUEST_ID_HEADER.encode()
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_request_id: ContextVar[str | None] = ContextVar("zhili_request_id", default=None)

log = structlog.get_logger("zhili.http")
# A path segment that is itself a secret (a citizen's tracking link, `zt_…`; an API token, `zl_…`): logged cut short.
_SECRET_IN_PATH = re.compile(r"(?<=/)(z[lt]_)[A-Za-z0-9_-]{4,}")
_NOT_STARTED = 0
CLIENT_CLOSED_REQUEST = 499  # the status nginx logs for this; never sent
_TRANSPORT_CLOSED = "the handler is closed"  # uvloop's words for a write to a connection already closed


def logged_path(path: str) -> str:
    """The path as the request log shows it: a secret in it reduced to its prefix (`/track/zt_…`)."""
    return _SECRET_IN_PATH.sub(r"\1…", path)


async def send_problem(send: Send, status: int, title: str, detail: str) -> None:
    """Answer with a problem+json body straight from ASGI middleware (before any route runs)."""
    body = json.dumps(
        {
            "type": "https://zhili.example/problems/" + title.lower().replace(" ", "-"),
            "title": title,
            "status": status,
            "detail": detail,
            "request_id": current_request_id(),
        }
    ).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return _request_id.get()


def configure_logging(*, json_output: bool) -> None:
    """Structured logs: JSON lines in production, readable key=value in development."""
    # Plain tracebacks: rich ones print local variables (secrets, sessions) and are slow to render.
    renderer = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *([structlog.processors.dict_tracebacks] if json_output else []),
            redact.mask_log_event,  # a robot's token in an error or a URL never reaches a log line
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    )


class RequestIdMiddleware:
    """Assign or accept a request id, echo it in the response and log one line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request with its id bound to logs and the response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((value for name, value in scope["headers"] if name == _HEADER), b"").decode("latin-1")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = _NOT_STARTED

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((_HEADER, request_id.encode()))
            try:
                await send(message)
            except RuntimeError as exc:
                # The client closed the connection before the server noticed: uvloop refuses the write.
                if _TRANSPORT_CLOSED not in str(exc):
                    raise
                raise ClientDisconnect from exc

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            # The client went away mid-request: nothing to answer and nothing broken.
            status = CLIENT_CLOSED_REQUEST
        except Exception:
            log.exception("unhandled error", path=logged_path(scope["path"]))
            if status == _NOT_STARTED:
                status = 500
                await send_problem(
                    send_with_id, 500, "Internal error", "an unexpected error occurred; it has been logged"
                )
        finally:
            elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
            log.info("request", method=scope["method"], path=logged_path(scope["path"]), status=status, ms=elapsed_ms)
            structlog.contextvars.unbind_contextvars("request_id")
            _request_id.reset(token)
