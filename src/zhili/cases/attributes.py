"""Intake attributes checked against the matter's definition (Open311 datatypes): pure rules."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from zhili.core.errors import InvalidInputError
from zhili.core.text import refusal
from zhili.matters.definition import (
    DATATYPE_MAX_LENGTH,
    AttributeDefinition,
    AttributeFormat,
    Datatype,
    MatterDefinition,
)
from zhili.org import credit_code

MAX_STRING = DATATYPE_MAX_LENGTH[Datatype.STRING]
MAX_TEXT = DATATYPE_MAX_LENGTH[Datatype.TEXT]
# A measured number people type (a count, an amount, an area): never negative; beyond this it is a mistake,
# and floats lose integers.
MAX_NUMBER = 10**15
MAX_CHOICES = 50


Checked = tuple[Any, str | None]


def _text(limit: int, *, multiline: bool) -> Callable[[AttributeDefinition, Any], Checked]:
    def check(attribute: AttributeDefinition, value: Any) -> Checked:
        most = attribute.max_length or limit
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > most:
            return None, f"must be text of 1 to {most} characters"
        if multiline:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        if attribute.format is AttributeFormat.CREDIT_CODE:
            return _credit_code(value)
        return value.strip(), refusal(value, multiline=multiline)

    return check


def _credit_code(value: str) -> Checked:
    """A unified social credit code, stored as the register keys firms (trimmed, upper case)."""
    try:
        return credit_code.normalise(value), None
    except credit_code.InvalidCreditCodeError as exc:
        return None, f"is not a unified social credit code ({exc.english})"


def _number(attribute: AttributeDefinition, value: Any) -> Checked:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, "must be a number"
    if value < 0:
        return None, "must not be negative"
    if (isinstance(value, float) and not math.isfinite(value)) or value > MAX_NUMBER:
        return None, f"must be a number from 0 to {MAX_NUMBER}"
    if attribute.whole:
        if not float(value).is_integer():
            return None, "must be a whole number"
        return int(value), None
    return value, None


def _datetime(_attribute: AttributeDefinition, value: Any) -> Checked:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        return None, "must be an ISO 8601 date and time with a time zone"
    return parsed.isoformat(), None


def _single(attribute: AttributeDefinition, value: Any) -> Checked:
    allowed = {v.key for v in attribute.values}
    if not isinstance(value, str) or value not in allowed:
        return None, f"must be one of {', '.join(sorted(allowed))}"
    return value, None


def _multi(attribute: AttributeDefinition, value: Any) -> Checked:
    allowed = {v.key for v in attribute.values}
    if (
        not isinstance(value, list)
        or not 0 < len(value) <= MAX_CHOICES
        or any(not isinstance(v, str) or v not in allowed for v in value)
    ):
        return None, f"must be a non-empty list of {', '.join(sorted(allowed))}"
    return sorted(set(value)), None


CHECKS: dict[Datatype, Callable[[AttributeDefinition, Any], Checked]] = {
    Datatype.STRING: _text(MAX_STRING, multiline=False),
    Datatype.TEXT: _text(MAX_TEXT, multiline=True),
    Datatype.NUMBER: _number,
    Datatype.DATETIME: _datetime,
    Datatype.SINGLEVALUELIST: _single,
    Datatype.MULTIVALUELIST: _multi,
}


def validate_attributes(definition: MatterDefinition, given: dict[str, Any]) -> dict[str, Any]:
    """Check every attribute against the definition; one 422 naming each wrong field."""
    known = {attribute.code: attribute for attribute in definition.attributes}
    errors = [
        {"field": f"attributes.{code}", "message": "is not an attribute of this matter"}
        for code in sorted(set(given) - set(known))
    ]
    clean: dict[str, Any] = {}
    for code, attribute in sorted(known.items(), key=lambda item: item[1].order):
        if given.get(code) is None:
            if attribute.required:
                errors.append({"field": f"attributes.{code}", "message": "is required"})
            continue
        value, problem = CHECKS[attribute.datatype](attribute, given[code])
        if problem:
            errors.append({"field": f"attributes.{code}", "message": problem})
        else:
            clean[code] = value
    if errors:
        names = ", ".join(error["field"] for error in errors)
        raise InvalidInputError(f"attributes do not match the matter {definition.code}: {names}", errors=errors)
    return clean
