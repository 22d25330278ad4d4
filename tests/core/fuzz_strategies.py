"""Strategies for the free-form parts of the API that a schema cannot describe: cursors and matter attributes.

The OpenAPI document says a cursor is a string and attributes are an object; generated strings and
objects almost never look like a cursor or name a matter's attribute, so the fuzz steers them: cursors
are base64 of JSON lists holding ids, huge numbers, words and times; attributes use the codes and
values of the packaged matters, right and wrong JSON types, and text with control and bidi characters.
Path ids are drawn partly from rows that exist, so the fuzz reaches past the 404.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import strategies as st

from zhili.matters.catalog import load_catalog
from zhili.matters.definition import Datatype, MatterDefinition

CATALOG = {definition.code: definition for definition in load_catalog()}
NASTY_TEXT = st.sampled_from(["\x00", "\x1b[2J", "\u202e", "\u2066", "\x85", "\r\n", "\t", "'; --", "<script>", "=1+1"])
TEXT = st.one_of(st.text(max_size=30), st.lists(st.text(max_size=5) | NASTY_TEXT, max_size=4).map("".join))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([10**30, -(10**30), 2**63, 2**63 - 1, 2**31, 0, -1]),
    st.floats(allow_nan=False, allow_infinity=False),  # JSON has neither; raw NaN/Infinity are tested apart
    TEXT,
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
TIMES = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda at: at.isoformat()),
    st.sampled_from(["", "x", "2026-01-01", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"]),
)


def pack(value: Any) -> str:
    """A cursor as `encode_cursor` packs one, whatever the value."""
    raw = json.dumps(value, ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


# Numbers at and past the edges of BIGINT, where a driver overflows.
EDGE_INTS = st.one_of(
    st.sampled_from([10**30, -(10**30), 2**63, 2**63 - 1, -(2**63) - 1, 2**31, 0, -1, 1]), st.integers()
)
CURSORS = st.one_of(
    st.tuples(EDGE_INTS).map(lambda key: pack(list(key))),  # the shape of an id cursor
    st.tuples(st.one_of(TIMES, TEXT), EDGE_INTS).map(lambda key: pack(list(key))),  # a time or code, then an id
    st.lists(st.one_of(SCALARS, TIMES), min_size=1, max_size=3).map(pack),
    JSON.map(pack),
    st.text(max_size=60),
)


def _value_for(definition: MatterDefinition, code: str) -> st.SearchStrategy[Any]:
    attribute = next(a for a in definition.attributes if a.code == code)
    keys = [value.key for value in attribute.values] or ["x"]
    right: dict[Datatype, st.SearchStrategy[Any]] = {
        Datatype.STRING: TEXT,
        Datatype.TEXT: TEXT,
        Datatype.NUMBER: st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)),
        Datatype.DATETIME: TIMES,
        Datatype.SINGLEVALUELIST: st.sampled_from(keys),
        Datatype.MULTIVALUELIST: st.lists(st.sampled_from(keys), max_size=4),
    }
    return st.one_of(right[attribute.datatype], JSON)


@st.composite
def matter_and_attributes(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A packaged matter's code and attributes for it: known codes with right or wrong values, and strays."""
    definition = draw(st.sampled_from(sorted(CATALOG.values(), key=lambda d: d.code)))
    codes = [attribute.code for attribute in definition.attributes]
    chosen = draw(st.lists(st.sampled_from(codes), unique=True, max_size=len(codes)))
    attributes = {code: draw(_value_for(definition, code)) for code in chosen}
    attributes |= draw(st.dictionaries(st.text(max_size=8), JSON, max_size=2))
    return definition.code, attributes
