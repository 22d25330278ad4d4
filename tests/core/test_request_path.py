"""The lean request path: the server's loop and parser, static files routed first, edge checks, answers encoded once."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import Mount
from pydantic import BaseModel
from starlette.routing import Match
from starlette.types import Message
from tests.conftest import World

from zhili.app import create_app
from zhili.core import request_context
from zhili.core.idempotency import respond_once
from zhili.core.limits import ControlCharacterGuardMiddleware, _framing
from zhili.core.request_context import CLIENT_CLOSED_REQUEST, RequestIdMiddleware
from zhili.core.serving import server_config
from zhili.core.settings import Settings


def test_the_server_runs_on_uvloop_and_httptools() -> None:
    config = server_config(None, host="127.0.0.1", port=8000)  # type: ignore[arg-type]  # never served
    assert (config.loop, config.http) == ("uvloop", "httptools")
    assert config.access_log is False  # RequestIdMiddleware logs each request once


# A process of its own: in the test session's heap (the worlds, every app the tests built) the two full
# collections this needs cost seconds; a fresh interpreter's few hundred thousand objects cost a tenth.
SETTLED = """
import gc
import weakref
from zhili.core.serving import settle_heap


class Node:
    itself = None  # a weak reference to an instance tells whether the collection freed it


built = [[n] for n in range(50_000)]  # what a server builds at startup and keeps (lists: always tracked)
cycle = Node()
cycle.itself = cycle  # garbage only a collection frees
collected = weakref.ref(cycle)
del cycle
settle_heap()
alive = len(gc.get_objects())  # what is left in the collector's generations: made since, by this line
print(gc.get_freeze_count(), alive, collected() is None, len(built))
"""


def test_a_server_leaves_what_startup_built_out_of_later_collections() -> None:
    ran = subprocess.run([sys.executable, "-c", SETTLED], capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    assert ran.returncode == 0, ran.stderr
    frozen, alive, collected, built = ran.stdout.split()
    assert int(frozen) > int(built)  # all of it frozen: what startup built, the modules, classes and functions
    assert int(alive) < 1_000  # nothing left for a later collection to walk
    assert collected == "True"  # and the collection ran first: the garbage is gone, not frozen for ever


def test_the_app_imports_the_libraries_of_rare_work_when_it_does_it() -> None:
    # ReportLab (a monthly PDF), Alembic (the readiness probe) and SciPy (a pilot's interval) cost a server
    # process about half a CPU-second to import, paid at every start: they are imported where they are used.
    probe = "import sys, zhili.app; print(sorted({'reportlab', 'alembic', 'scipy'} & sys.modules.keys()))"
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "[]"


def test_static_files_are_matched_before_any_api_route_or_page(sqlite_world: World) -> None:
    app = create_app(Settings(environment="test", database_url=sqlite_world.url), engine=sqlite_world.engine)
    documentation = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
    routes = [route for route in app.router.routes if getattr(route, "path", None) not in documentation]
    assert isinstance(routes[0], Mount)
    assert routes[0].path == "/static"


def test_a_body_is_counted_only_when_its_length_is_unknown() -> None:
    assert _framing([(b"host", b"x")]) == (None, False)  # no body
    assert _framing([(b"content-length", b"12")]) == (12, False)  # the server delivers exactly 12 bytes
    assert _framing([(b"transfer-encoding", b"chunked")]) == (None, True)
    assert _framing([(b"content-length", b"1"), (b"content-length", b"9")]) == (None, True)
    assert _framing([(b"content-length", b"-1")]) == (None, True)


def _guarded(raw_path: bytes, query: bytes = b"") -> int:
    answers: list[int] = []

    async def app(_scope: Any, _receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answers.append(message["status"])

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "raw_path": raw_path, "query_string": query, "path": raw_path.decode("latin-1")}
    asyncio.run(ControlCharacterGuardMiddleware(app)(scope, receive, send))
    return answers[0]


def test_control_characters_are_refused_raw_or_escaped_and_plus_is_a_space() -> None:
    assert _guarded(b"/static/a.css") == 200
    assert _guarded(b"/api/v1/org/people", b"q=a+b&x=%41") == 200
    assert _guarded(b"/api/v1/org/people", b"q=%00") == 400
    assert _guarded(b"/a%7f") == 400
    assert _guarded(b"/a\x01b") == 400


class _Made(BaseModel):
    name: str
    links: dict[str, str]


class _Session:
    """Enough of a session for a keyless creation: it commits."""

    def __init__(self) -> None:
        self.info: dict[str, Any] = {}  # read by deferred_commit

    def commit(self) -> None:
        """Nothing to commit."""


def test_a_created_answer_is_the_models_json_encoded_once() -> None:
    made = _Made(name="网格员", links={"self": "/api/v1/things/7"})
    response = respond_once(
        _Session(),  # type: ignore[arg-type]
        owner="someone",
        key=None,
        request=("POST", "/api/v1/things", made),
        now=None,  # type: ignore[arg-type]
        create=lambda: made,
        location=lambda created: str(created["links"]["self"]),
    )
    assert response.status_code == 201
    assert response.body == made.model_dump_json().encode()
    assert response.headers["location"] == "/api/v1/things/7"
    assert response.headers["content-type"] == "application/json"


def _resolve(app: FastAPI, method: str, path: str) -> tuple[int, Match] | None:
    """Which of the app's routes takes the request (its index), fully or for another method; None for a 404."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
    partial = None
    for index, route in enumerate(app.router.routes):
        match, _child = route.matches(dict(scope))
        if match == Match.FULL:
            return index, match
        if match == Match.PARTIAL and partial is None:
            partial = (index, match)
    return partial


def test_skipping_unreachable_routers_changes_no_route(sqlite_world: World) -> None:
    settings = Settings(environment="test", database_url=sqlite_world.url)
    guarded = create_app(settings, engine=sqlite_world.engine)
    walked = create_app(settings, engine=sqlite_world.engine)
    for route in walked.router.routes:
        vars(route).pop("matches", None)  # back to the full walk
    paths = {"/", "/nothing", "/api/v1/nothing", "/cases/", "/static/css/zhili.css"}
    for route in walked.routes:
        for router_route in getattr(getattr(route, "original_router", None), "routes", [route]):
            path = re.sub(r"\{[^}]*\}", "1", str(getattr(router_route, "path", "/")))
            paths |= {path, path + "/", path + "/x"}
    assert len(paths) > 150
    for path in sorted(paths):
        for method in ("GET", "POST", "DELETE"):
            assert _resolve(guarded, method, path) == _resolve(walked, method, path), (method, path)


class _Log:
    """Stands in for the middleware's logger: what it was told (structlog's own loggers are cached)."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def info(self, event: str, **fields: Any) -> None:
        self.lines.append({"event": event, **fields})

    def exception(self, event: str, **fields: Any) -> None:
        self.lines.append({"event": event, **fields})


def _served_while_the_client_closes(
    error: Exception, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[dict[str, Any]], Exception | None]:
    """Run a request through RequestIdMiddleware whose response write fails with `error`: the log lines."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def failing_send(message: Message) -> None:
        if message["type"] == "http.response.body":
            raise error

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": "/x", "headers": []}
    log = _Log()
    monkeypatch.setattr(request_context, "log", log)
    raised: Exception | None = None
    try:
        asyncio.run(RequestIdMiddleware(app)(scope, receive, failing_send))
    except Exception as exc:  # noqa: BLE001 - what escapes is part of the answer
        raised = exc
    return log.lines, raised


def test_a_client_gone_before_the_answer_is_written_is_logged_as_499_not_as_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed = RuntimeError("unable to perform operation on <TCPTransport closed=True>; the handler is closed")
    logs, raised = _served_while_the_client_closes(closed, monkeypatch)
    assert raised is None
    assert [line["event"] for line in logs] == ["request"]
    assert logs[0]["status"] == CLIENT_CLOSED_REQUEST


def test_another_runtime_error_while_writing_is_still_an_unhandled_error(monkeypatch: pytest.MonkeyPatch) -> None:
    logs, _ = _served_while_the_client_closes(RuntimeError("Unexpected ASGI message"), monkeypatch)
    assert [line["event"] for line in logs] == ["unhandled error", "request"]
    assert logs[1]["status"] == 200
