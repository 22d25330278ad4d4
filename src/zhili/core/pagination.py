"""Cursor pagination: opaque cursors that carry the last seen sort key, and the one codec that reads them back.

A cursor is base64url of a JSON list. A client may send anything, so `decode_cursor` checks every place
against the kind the list expects (`Key`) and its range before any value reaches SQL: integers within
BIGINT, aware times normalised to UTC, short printable text. Anything else is a 422 naming `cursor`.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, NoReturn, TypeVar

from fastapi import Query
from pydantic import BaseModel

from zhili.core.errors import InvalidInputError

ItemT = TypeVar("ItemT")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR_LENGTH = 200
MAX_CURSOR_TEXT = 100
# SQLite and PostgreSQL BIGINT: a larger integer cannot be bound to a statement.
MIN_CURSOR_INT = -(2**63)
MAX_CURSOR_INT = 2**63 - 1
NOT_OURS = "the cursor is not one this API issued"

# The `cursor` query parameter of every list, API and pages alike.
CursorQuery = Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the last page")]


class Key(StrEnum):
    """What one place of a cursor's sort key holds."""

    INT = "int"  # an integer within BIGINT (ids)
    TEXT = "text"  # printable text, at most MAX_CURSOR_TEXT characters (codes)
    INSTANT = "instant"  # an aware ISO 8601 time, read back in UTC
    INSTANT_OR_NONE = "instant?"  # the same, or "" for a row without one


class Page(BaseModel, Generic[ItemT]):
    """One page of results and the cursor of the next page, if there is one."""

    items: list[ItemT]
    next_cursor: str | None = None


def encode_cursor(key: list[int | str | datetime | None]) -> str:
    """Pack the sort key of the last item into an opaque cursor (times as ISO 8601, None as "")."""
    plain = [item.isoformat() if isinstance(item, datetime) else "" if item is None else item for item in key]
    raw = json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, shape: tuple[Key, ...]) -> tuple[Any, ...]:
    """Unpack a cursor made by `encode_cursor` for a sort key of this shape; anything else is a 422."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        _refuse("it is too long")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error, RecursionError):
        _refuse("it is not base64 of JSON")
    if not isinstance(value, list) or len(value) != len(shape):
        _refuse(f"it must hold a list of {len(shape)} values")
    return tuple(_read(item, kind) for item, kind in zip(value, shape, strict=True))


def _read(item: object, kind: Key) -> Any:
    if kind is Key.INT:
        # bool is an int to Python; a cursor never holds one.
        if not isinstance(item, int) or isinstance(item, bool) or not MIN_CURSOR_INT <= item <= MAX_CURSOR_INT:
            _refuse("an integer in it is not one")
        return item
    if not isinstance(item, str):
        _refuse("a text in it is not one")
    if kind is Key.TEXT:
        if len(item) > MAX_CURSOR_TEXT or not item.isprintable():
            _refuse("a text in it is not one")
        return item
    if kind is Key.INSTANT_OR_NONE and item == "":
        return None
    return _instant(item)


def _instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
        in_utc = instant.astimezone(UTC) if instant.tzinfo is not None else None
    except (ValueError, OverflowError):
        in_utc = None
    if in_utc is None:
        _refuse("a time in it is not one")
    return in_utc


def _refuse(reason: str) -> NoReturn:
    """Raise the cursor's 422, its reason named under `query.cursor`."""
    raise InvalidInputError(f"{NOT_OURS}: {reason}", errors=[{"field": "query.cursor", "message": reason}])
