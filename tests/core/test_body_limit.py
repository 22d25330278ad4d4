"""A body over the limit is 413 however it arrives: declared by Content-Length or counted as it streams (chunked)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
