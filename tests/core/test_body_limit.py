"""A body over the limit is 413 however it arrives: declared by Content-Length or counted as it streams (chunked)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient
from tests.conftest import World

from zhili.app import create_app
from zhili.core.settings import Settings

MIB = 1024 * 1024


def _chunks(total: int, size: int = MIB) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


def test_a_chunked_50_mb_json_body_is_413(api: Any) -> None:
    api.login("huzhen")
    response = api.send(
        "POST", "/api/v1/org/people", content=_chunks(50 * MIB), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 413
    assert "exceeds the limit" in response.json()["detail"]


def test_a_chunked_50_mb_form_upload_is_413(api: Any) -> None:
    api.login("gridworker")
    boundary = "zhili-boundary"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="big.png"\r\n\r\n'.encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from _chunks(50 * MIB)

    response = api.send(
        "POST",
        "/api/v1/cases/1/photos",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_a_small_chunked_body_passes(api: Any) -> None:
    api.login("huzhen")
    json_type = {"content-type": "application/json"}
    response = api.send("POST", "/api/v1/org/people", content=iter([b"{}"]), headers=json_type)
    assert response.status_code == 422


def test_a_form_field_over_the_parsers_limit_is_413(sqlite_world: World) -> None:
    # Under the body limit, but one field over the form parser's 1 MiB: too large, not malformed.
    settings = Settings(environment="test", database_url=sqlite_world.url, max_body_bytes=10 * MIB)
    body = b"username=" + b"a" * (2 * MIB) + b"&password=x&csrf_token=x"
    form = {"content-type": "application/x-www-form-urlencoded"}
    with TestClient(create_app(settings, engine=sqlite_world.engine)) as client:
        problem = client.post("/login", content=body, headers={**form, "accept": "application/json"})
        assert problem.status_code == 413
        assert problem.json()["type"].endswith("/payload-too-large")
        page = client.post("/login", content=body, headers={**form, "accept": "text/html"})
        assert page.status_code == 413
