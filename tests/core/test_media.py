"""The one media module: a checked photo knows the columns its row stores, its audit record, and how it is served."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from typing import cast

import pytest
from PIL import Image
from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from zhili.core.auth import Actor
from zhili.core.media import PHOTO_CACHE, CheckedPhoto, add_photo, check_photo, photo_response


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


class _Base(DeclarativeBase):
    """A registry of the test's own, apart from the application's tables."""


class _Album(_Base):
    __tablename__ = "albums"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class _PhotoWithAlbum(_Base):
    __tablename__ = "album_photos"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    album_id: Mapped[int] = mapped_column(ForeignKey("albums.id"))
    album: Mapped[_Album] = relationship()


def test_a_photo_row_with_relationships_is_refused_before_any_write() -> None:
    """`add_photo` writes a row's own columns: a relationship it would drop is a programming error."""
    with pytest.raises(TypeError, match="relationships"):
        add_photo(
            cast("Session", None),
            _PhotoWithAlbum(album_id=1),
            check_photo(_png()),
            actor=cast("Actor", None),
            action="test.photo",
            entity=("album", 1),
            at=datetime.now(UTC),
        )
