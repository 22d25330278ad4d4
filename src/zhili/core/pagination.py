"""Cursor pagination: opaque cursors that carry the last seen sort key."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from zhili.core.errors import InvalidInputError

ItemT = TypeVar("ItemT")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[ItemT]):
    """One page of results and the cursor of the next page, if there is one."""

    items: list[ItemT]
    next_cursor: str | None = None


def encode_cursor(key: list[Any]) -> str:
    """Pack the sort key of the last item into an opaque cursor."""
    raw = json.dumps(key, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, shape: tuple[type, ...]) -> list[Any]:
    """Unpack a cursor made by `encode_cursor` for a sort key of this shape; anything else is a 422."""
    message = "the cursor is not one this API issued"
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise InvalidInputError(message) from exc
    if not isinstance(value, list) or len(value) != len(shape):
        raise InvalidInputError(message)
    for item, kind in zip(value, shape, strict=True):
        # bool is an int to Python; a cursor never holds one.
        if not isinstance(item, kind) or isinstance(item, bool):
            raise InvalidInputError(message)
    return value


def cursor_instant(text: str) -> datetime:
    """An aware time carried in a cursor made by `encode_cursor`; anything else is a 422."""
    try:
        instant = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInputError("the cursor is not one this API issued") from exc
    if instant.tzinfo is None:
        raise InvalidInputError("the cursor is not one this API issued")
    return instant
