"""Uploaded photos are decoded whole and kept under a pixel limit: no decompression bombs, no disguised files."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
from PIL import Image
from sqlalchemy.orm import Session
from tests.campaigns.task_helpers import dispatch_typhoon, task_of
from tests.cases.test_flow import report_parking
from tests.cases.test_pages import _form

from zhili.core.clock import FrozenClock
from zhili.core.media import (
    MAX_PHOTO_PIXELS,
    TooManyPixelsError,
    UnsupportedMediaTypeError,
    check_photo,
)

HTML = {"accept": "text/html"}
# Pillow warns when it opens an image between its limit and twice that; the code refuses such an image
# before decoding it, which is what these tests check.
pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
# The test app takes bodies of 64 KB: over HTTP the bomb is a 7,000 × 7,000 PNG (49 megapixels, 7 KB).
SMALL_BOMB_SIDE = 7_000


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb(side: int = 30_000) -> bytes:
    """A real side × side black-and-white PNG: under a megabyte on disk, 900 million pixels decoded."""
    row = b"\x00" * (1 + side // 8)
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row * 1000) for _ in range(side // 1000)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")


def photo(image_format: str, size: tuple[int, int] = (64, 48)) -> bytes:
    """A real photo in a format Pillow writes."""
    out = io.BytesIO()
    Image.effect_noise(size, 40).convert("RGB").save(out, format=image_format)
    return out.getvalue()


def test_real_jpeg_png_and_webp_photos_pass() -> None:
    assert check_photo(photo("JPEG")).content_type == "image/jpeg"
    assert check_photo(photo("PNG")).content_type == "image/png"
    assert check_photo(photo("WEBP")).content_type == "image/webp"


def test_a_30000_pixel_square_png_is_refused_before_it_is_decoded() -> None:
    data = bomb()
    assert len(data) < 1024 * 1024
    with pytest.raises(TooManyPixelsError) as refused:
        check_photo(data)
    assert refused.value.status == 413
    assert refused.value.extra["errors"][0]["field"] == "photo"
    assert f"{MAX_PHOTO_PIXELS:,} pixels" in refused.value.detail


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>",
        photo("PNG")[:-200],  # cut short
        photo("JPEG")[:300] + b"<html>" * 200,  # a JPEG's header, then something else
        b"RIFF\x10\x00\x00\x00WEBPVP8 <html></html>",
    ],
    ids=["png-header-then-html", "truncated-png", "jpeg-header-then-html", "webp-header-then-html"],
)
def test_a_file_that_does_not_decode_whole_is_415(data: bytes) -> None:
    with pytest.raises(UnsupportedMediaTypeError) as refused:
        check_photo(data)
    assert refused.value.extra["errors"] == [{"field": "photo", "message": refused.value.detail}]


def test_the_case_photo_api_refuses_a_bomb_and_a_disguised_file(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    url = f"/api/v1/cases/{case['id']}/photos"
    too_many = api.send("POST", url, files={"photo": ("p.png", bomb(SMALL_BOMB_SIDE), "image/png")})
    assert too_many.status_code == 413
    assert too_many.json()["errors"][0]["field"] == "photo"
    html = api.send("POST", url, files={"photo": ("p.png", b"\x89PNG\r\n\x1a\n<html></html>", "image/png")})
    assert html.status_code == 415
    assert html.json()["errors"][0]["field"] == "photo"
    assert api.send("POST", url, files={"photo": ("p.jpg", photo("JPEG"), "image/jpeg")}).status_code == 201


def test_the_task_photo_api_and_page_refuse_a_bomb(api: Any, session: Session, clock: FrozenClock) -> None:
    task = task_of(session, dispatch_typhoon(session, clock), "partymember")
    api.login("partymember")
    assert api.send("POST", f"/api/v1/tasks/{task.id}/claim").status_code == 200
    files = {"photo": ("p.png", bomb(SMALL_BOMB_SIDE), "image/png")}
    answer = api.send("POST", f"/api/v1/tasks/{task.id}/photos", files=files)
    assert answer.status_code == 413
    assert answer.json()["errors"][0]["field"] == "photo"
    page = api.client.post(
        f"/tasks/{task.id}/report",
        data={"csrf_token": api.csrf, "text": "已巡查"},
        files={"photos": ("p.png", bomb(SMALL_BOMB_SIDE), "image/png")},
        headers=HTML,
    )
    assert page.status_code == 413
    beside = page.text.split('name="photos"', 1)[1].split("</label>", 1)[0]
    assert "照片像素过多（每张不超过 4000 万像素）" in beside


def test_the_intake_page_names_the_refused_photo_beside_its_input(api: Any, session: Session) -> None:
    api.login("gridworker")
    for data, message in (
        (bomb(SMALL_BOMB_SIDE), "照片像素过多（每张不超过 4000 万像素）"),
        (b"\x89PNG\r\n\x1a\n<html></html>", "照片须为 JPEG、PNG 或 WebP 图片"),
    ):
        page = api.client.post(
            "/cases/new", data=_form(api, session), files={"photo": ("p.png", data, "image/png")}, headers=HTML
        )
        assert page.status_code == 422
        assert f'data-field="photo">{message}</span>' in page.text


def test_the_case_page_names_the_refused_photo_beside_its_input(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    page = api.client.post(
        f"/cases/{case['id']}/photo",
        data={"csrf_token": api.csrf},
        files={"photo": ("p.png", bomb(SMALL_BOMB_SIDE), "image/png")},
        headers=HTML,
    )
    assert page.status_code == 413
    assert "照片不能超过 4000 万像素" in page.text.split('id="add-photo"', 1)[1].split("</form>", 1)[0]
