"""Shared request parameter types: bounded ids, instants that fit in UTC, names (one line of text), enum subsets."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
    ValidatorFunctionWrapHandler,
)
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError, core_schema

from zhili.core.errors import FieldRuleError
from zhili.core.text import Line

# Ids are 32-bit on every backend; a larger number cannot name anything and must not reach SQL.
MAX_ID = 2**31 - 1
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"

Id = Annotated[int, Field(gt=0, le=MAX_ID)]
IdPath = Annotated[int, Path(gt=0, le=MAX_ID)]
IdQuery = Annotated[int, Query(gt=0, le=MAX_ID)]
# A name a person types: one line under the text policy (`core.text`).
Name = Line


def _in_utc(value: datetime) -> datetime:
    """An aware time read in UTC; one whose UTC date falls outside years 1–9999 cannot be stored or compared."""
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise PydanticCustomError("datetime_range", "must be a time between the years 1 and 9999 in UTC") from exc


# A point in time given by a client (a query filter, a deadline): with a zone, read in UTC.
Instant = Annotated[AwareDatetime, AfterValidator(_in_utc)]


class OneOf:
    """Some members of an enum, as a field takes them: `Annotated[Channel, OneOf(Channel.EMAIL, Channel.SMS)]`.

    Validated, described and refused as the literal values are (`Input should be 'email' or 'sms'`,
    not the members' reprs that `Literal[Channel.EMAIL, ...]` shows), then read as the members.
    """

    __slots__ = ("members",)

    def __init__(self, *members: StrEnum) -> None:
        self.members = members

    def __get_pydantic_core_schema__(self, _source: Any, _handler: GetCoreSchemaHandler) -> CoreSchema:
        """A literal of the members' values, each read as its member."""
        by_value = {member.value: member for member in self.members}
        return core_schema.no_info_after_validator_function(
            by_value.__getitem__, core_schema.literal_schema([*by_value])
        )


def id_in(text: str) -> int | None:
    """The id a text names (ASCII digits, 1 to MAX_ID), or None.

    `str.isdigit` alone is not enough: `"²"` is a digit to it and `int` refuses it (a 500), and a long
    run of digits overflows the database driver.
    """
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID))):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


TAG_FIELD = "command"
"""The field that tells the members of a tagged request body apart."""


_BOUND_KEYS = frozenset({"ge", "le", "gt", "lt"})


def untagged(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Validate a tagged union, naming each error's field as the body does (`reason`, not `reject.reason`).

    Use as `Annotated[A | B, Field(discriminator=TAG_FIELD), WrapValidator(untagged)]`: pydantic names a
    member's field under its tag, while clients, forms and the services name it by its place in the body.
    """
    try:
        return handler(value)
    except ValidationError as exc:
        tag = value.get(TAG_FIELD) if isinstance(value, dict) else None
        details: list[InitErrorDetails] = []
        for error in exc.errors():
            loc = error["loc"]
            if loc and loc[0] == tag:
                loc = loc[1:]
            message = error["msg"]
            rule = (error.get("ctx") or {}).get("error")
            if isinstance(rule, FieldRuleError) and rule.field:  # a member's rule over fields names its field
                loc = (*loc, rule.field)
            if error["type"] in {"union_tag_invalid", "union_tag_not_found"}:
                loc, message = (TAG_FIELD,), f"unknown {TAG_FIELD} {tag!r}" if tag is not None else "Field required"
            message = message.replace("{", "{{").replace("}", "}}")
            # A number's bounds stay with its error, so a form can say the limit (`不能超过 720`).
            bounds = {k: v for k, v in (error.get("ctx") or {}).items() if k in _BOUND_KEYS}
            kind = PydanticCustomError(error["type"], message, bounds or None)
            details.append({"type": kind, "loc": loc, "input": error.get("input")})
        raise ValidationError.from_exception_data(exc.title, details) from None
