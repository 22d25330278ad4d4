"""The one cursor codec: what `encode_cursor` makes reads back, and anything else a client sends is a 422."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zhili
from zhili.core.errors import InvalidInputError
from zhili.core.pagination import MAX_CURSOR_INT, Key, decode_cursor, encode_cursor

# Every sort-key shape a list decodes (grep `decode_cursor(` in src/zhili).
SHAPES: tuple[tuple[Key, ...], ...] = (
    (Key.INT,),  # cases newest/oldest, campaigns, inbox, deliveries, supervision cards, people
    (Key.TEXT,),  # child divisions
    (Key.TEXT, Key.INT),  # the board's people
    (Key.INSTANT, Key.INT),  # the task queue
    (Key.INSTANT_OR_NONE, Key.INT),  # the case queue by due time
)


def _pack(value: Any) -> str:
    raw = json.dumps(value, ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decodes_or_refuses(cursor: str, shape: tuple[Key, ...]) -> None:
    refused: InvalidInputError | None = None
    try:
        decode_cursor(cursor, shape)
    except InvalidInputError as exc:
        refused = exc
    if refused is not None:
        assert refused.status == 422
        assert refused.extra["errors"][0]["field"] == "query.cursor"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=400, derandomize=True)
@given(cursor=st.text(max_size=250), shape=st.sampled_from(SHAPES))
def test_any_text_is_read_or_refused_with_a_422(cursor: str, shape: tuple[Key, ...]) -> None:
    _decodes_or_refuses(cursor, shape)


@settings(max_examples=400, derandomize=True)
@given(value=JSON, shape=st.sampled_from(SHAPES))
def test_any_json_packed_as_a_cursor_is_read_or_refused_with_a_422(value: Any, shape: tuple[Key, ...]) -> None:
    _decodes_or_refuses(_pack(value), shape)


@settings(max_examples=300, derandomize=True)
@given(
    first=st.integers() | st.text(max_size=40) | st.datetimes(timezones=st.timezones()).map(datetime.isoformat),
    last=st.integers() | st.text(max_size=5) | st.none() | st.booleans(),
    shape=st.sampled_from(SHAPES),
)
def test_keys_of_the_right_length_are_checked_place_by_place(first: Any, last: Any, shape: tuple[Key, ...]) -> None:
    _decodes_or_refuses(_pack([first, last][: len(shape)]), shape)


@settings(max_examples=200, derandomize=True)
@given(
    at=st.datetimes(timezones=st.just(UTC)),
    item_id=st.integers(min_value=1, max_value=MAX_CURSOR_INT),
    code=st.from_regex(r"\A\d{2,20}\Z"),
)
def test_what_encode_cursor_makes_reads_back(at: datetime, item_id: int, code: str) -> None:
    assert decode_cursor(encode_cursor([item_id]), (Key.INT,)) == (item_id,)
    assert decode_cursor(encode_cursor([code, item_id]), (Key.TEXT, Key.INT)) == (code, item_id)
    assert decode_cursor(encode_cursor([at, item_id]), (Key.INSTANT, Key.INT)) == (at, item_id)
    assert decode_cursor(encode_cursor([None, item_id]), (Key.INSTANT_OR_NONE, Key.INT)) == (None, item_id)


@pytest.mark.parametrize(
    ("key", "shape", "reason"),
    [
        ([10**30], (Key.INT,), "an integer"),
        ([-(2**63) - 1], (Key.INT,), "an integer"),
        ([True], (Key.INT,), "an integer"),
        ([1.5], (Key.INT,), "an integer"),
        (["x", 1], (Key.INSTANT, Key.INT), "a time"),
        (["2026-01-01T00:00:00", 1], (Key.INSTANT, Key.INT), "a time"),  # no zone
        (["0001-01-01T00:00:00+05:00", 1], (Key.INSTANT, Key.INT), "a time"),  # before year 1 in UTC
        (["", 1], (Key.INSTANT, Key.INT), "a time"),
        ([1, 1], (Key.INSTANT_OR_NONE, Key.INT), "a text"),
        (["33\x00", 1], (Key.TEXT, Key.INT), "a text"),
        (["3" * 101, 1], (Key.TEXT, Key.INT), "a text"),
        ([1, 2], (Key.INT,), "a list of 1"),
        ({"id": 1}, (Key.INT,), "a list of 1"),
    ],
)
def test_tampered_keys_are_refused_with_the_reason(key: Any, shape: tuple[Key, ...], reason: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        decode_cursor(_pack(key), shape)
    assert reason in refused.value.detail


def test_a_cursor_too_long_or_not_base64_is_refused() -> None:
    for cursor in ("A" * 201, "!!!", "é", "W1"):
        with pytest.raises(InvalidInputError):
            decode_cursor(cursor, (Key.INT,))


def test_a_time_in_another_zone_reads_back_in_utc() -> None:
    east = timezone(timedelta(hours=8))
    (at, _id) = decode_cursor(_pack(["2026-07-01T08:00:00+08:00", 3]), (Key.INSTANT, Key.INT))
    assert at == datetime(2026, 7, 1, 8, tzinfo=east)
    assert at.tzinfo is UTC


def test_only_the_codec_unpacks_cursors() -> None:
    """No list reads a cursor its own way: base64 and `cursor_instant`-style helpers live in core.pagination.

    A module that decodes base64 for something else (a refused form's kept photos) and never names a
    cursor is not unpacking one.
    """
    source = Path(zhili.__file__).parent
    texts = {path: path.read_text(encoding="utf-8") for path in source.rglob("*.py")}
    unpacking = sorted(
        str(path.relative_to(source))
        for path, text in texts.items()
        if ("b64decode" in text and "cursor" in text.lower()) or "cursor_instant" in text
    )
    assert unpacking == ["core/pagination.py"]
