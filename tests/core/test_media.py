"""The one media module: a checked photo knows the columns its row stores, its audit record, and how it is served."""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from zhili.core.media import PHOTO_CACHE, CheckedPhoto, check_photo, photo_response


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_checked_photo_gives_the_columns_of_its_row_and_its_audit_record() -> None:
    data = _png()
    checked = check_photo(data)
    digest = hashlib.sha256(data).hexdigest()
    assert checked.columns() == {"content_type": "image/png", "size": len(data), "sha256": digest, "data": data}
    assert checked.audited(7) == {"photo_id": 7, "sha256": digest, "size": len(data)}


def test_a_photo_checked_before_is_not_decoded_again() -> None:
    checked = CheckedPhoto(b"already checked", "image/jpeg")
    assert check_photo(checked) is checked


def test_a_photo_is_served_privately_with_its_type() -> None:
    response = photo_response(b"\x89PNG", "image/png")
    assert (response.body, response.media_type, response.headers["cache-control"]) == (
        b"\x89PNG",
        "image/png",
        PHOTO_CACHE,
    )
