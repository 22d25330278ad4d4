"""A refused form's errors, by field and in the page's language, so the form is shown again with its input.

Validation comes from two places: pydantic (the schema of the request) and the services
(`DomainError.extra["errors"]`, each `{"field": "body.<path>", "message": ...}`). Both name a field by
its path in the request body; a page maps those paths to its form's input names. A rule over several
fields (a model validator) is reported at the model itself: when it raises `FieldRuleError`, it is
filed under the field that error names. Messages are translated by their kind (pydantic's error
`type`, a service error's own message `key` with its `params`, or the known wording of a service or a
rule); anything else falls back to a general "check this field" in Chinese, with the original text in
English. An input the page names among its `choices` (a select, radio buttons, boxes to tick) left without a
choice is told 请选择 ("Please choose"), as the browser says of a required select, not 请填写此项 or 请填写数字.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

from zhili.core.errors import DomainError, error_path
from zhili.web.i18n import translate

# pydantic error types → message keys (web/messages/common.toml, "form.error.*").
PYDANTIC_KINDS = {
    "missing": "required",
    "string_too_short": "required",
    "string_too_long": "too_long",
    "too_long": "too_many",
    "float_parsing": "number",
    "int_parsing": "number",
    "float_type": "number",
    "int_type": "number",
    "greater_than_equal": "range",
    "less_than_equal": "range",
    "greater_than": "range",
    "less_than": "range",
    "string_pattern_mismatch": "format",
    "literal_error": "choice",
    "enum": "choice",
    "datetime_parsing": "datetime",
    "datetime_from_date_parsing": "datetime",
    "timezone_aware": "datetime",
    "text_characters": "characters",
    "datetime_range": "datetime",
    "url_parsing": "url",
    "url_scheme": "url",
    "url_type": "url",
    "url_too_long": "too_long",
}
# The wording of the services (and of a schema's rules, pydantic's `value_error`) → message keys.
SERVICE_WORDING = (
    (re.compile(r"give a point or a place"), "point_or_place"),
    (re.compile(r"a case is raised at the report's point"), "raise_point"),
    (re.compile(r"is required|must not be blank"), "required"),
    (re.compile(r"must not be negative"), "negative"),
    (re.compile(r"must be a whole number"), "whole"),
    (re.compile(r"must be a number (from|between) "), "range"),  # a number, but outside its bounds
    (re.compile(r"must be a number"), "number"),
    (re.compile(r"must be one of|must be a non-empty list of"), "choice"),
    (re.compile(r"date and time"), "datetime"),
    (re.compile(r"must be text of"), "text"),
    (re.compile(r"is not a unified social credit code"), "credit_code"),
    (re.compile(r"is not a phone number to call back"), "callback_phone"),
    (re.compile(r"outside every known county"), "outside"),
    (re.compile(r"the area this service covers"), "outside_service"),
    (re.compile(r"has moved on|is not possible while the case is|not possible while"), "moved_on"),
    (re.compile(r"the form expired"), "expired"),
    (re.compile(r"names no known division"), "unknown_place"),
    (re.compile(r"is ambiguous"), "ambiguous_place"),
    (re.compile(r"control character|bidirectional"), "characters"),
    (re.compile(r"is not an attribute"), "unknown_field"),
    (re.compile(r"quiet_start and quiet_end go together|quiet hours must not start and end"), "quiet_hours"),
    (re.compile(r"cannot also be a collaborator kind"), "lead_collaborator"),
    (re.compile(r"unknown department kind"), "choice"),
    (re.compile(r"is a power of"), "lead_enforcement"),
    (re.compile(r"the edit changes nothing"), "unchanged"),
)


@dataclass
class FormErrors:
    """Messages per form input name, and those that belong to no single input."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def add(self, name: str | None, message: str) -> None:
        """File a message under an input name (None: the form as a whole)."""
        if name is None:
            self.general.append(message)
        else:
            self.by_field.setdefault(name, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.general)


# What a choice left unmade is refused as: nothing sent (required), or the blank option's "" read as an id (number);
# any other refusal of a blank choice (not one of the list, not of the pattern) is one left unmade too.
UNCHOSEN_KINDS = frozenset({"required", "number"})


def form_errors(
    exc: Exception, language: str, inputs: Mapping[str, str], *, choices: Collection[str] = ()
) -> FormErrors:
    """The errors of a refused form; `inputs` maps a body path prefix (e.g. `attributes.plate_number`) to an input.

    `choices` names the inputs that are chosen rather than typed (selects, radio buttons, boxes to tick).
    """
    found = FormErrors()
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            kind = PYDANTIC_KINDS.get(error["type"])
            if error["type"] == "value_error":
                kind = _worded(str(error["msg"]))
            name = _input_for(error_path(error["loc"], error.get("ctx")), inputs)
            if name is not None and name in choices and (kind in UNCHOSEN_KINDS or error.get("input") == ""):
                kind = "choose"  # the blank option too: refused as not one of the list, or not of the pattern
            found.add(name, _bound(error, language) or _message(kind, str(error["msg"]), language))
        return found
    if isinstance(exc, DomainError):
        for error in exc.extra.get("errors") or []:
            name = _input_for(str(error.get("field", "")).removeprefix("body."), inputs)
            found.add(name, _domain_message(error, language, chosen=name is not None and name in choices))
        if not found:
            found.add(None, _message(None, exc.detail, language))
        return found
    found.add(None, _message(None, str(exc), language))
    return found


# pydantic's bound errors → the bound in their context: "不能大于 365", not only "out of range".
BOUNDS = {"greater_than_equal": "ge", "less_than_equal": "le", "greater_than": "gt", "less_than": "lt"}


def _bound(error: Mapping[str, object], language: str) -> str | None:
    """A number outside its bounds, or a text over its length, said with the limit (None for any other error)."""
    context = error.get("ctx")
    if not isinstance(context, Mapping):
        return None
    # A text's limit: "string_too_long", or "too_long" of a value (an optional text: `Text | None` with max_length).
    text = error.get("type") == "string_too_long" or (
        error.get("type") == "too_long" and context.get("field_type") == "Value"
    )
    if text and isinstance(context.get("max_length"), int):
        return translate("form.error.text_at_most", language).format(limit=context["max_length"])
    side = BOUNDS.get(str(error.get("type")))
    limit = context.get(side) if side else None
    if not isinstance(limit, int | float):
        return None
    shown = int(limit) if isinstance(limit, float) and limit.is_integer() else limit  # 180, not 180.0
    return translate(f"form.error.range.{side}", language).format(limit=shown)


# A service's text that is blank or too long, with its limit (`cases.attributes`).
TEXT_LIMIT = re.compile(r"must be text of 1 to (\d+) characters")


def _domain_message(error: Mapping[str, object], language: str, *, chosen: bool) -> str:
    """A service's error in the page's language: by its message key (with its params) where it gives one."""
    key = error.get("key")
    if isinstance(key, str):
        params = error.get("params")
        return translate(key, language).format(**(params if isinstance(params, Mapping) else {}))
    original = str(error.get("message", ""))
    if (kind := PYDANTIC_KINDS.get(str(error.get("type")))) is not None:  # a schema's refusal carried by a service
        return _bound(error, language) or _message(kind, original, language)
    limited = TEXT_LIMIT.search(original)
    if limited is not None:  # a text over its limit is told the limit: "最多 12 个字"
        return translate("form.error.text_at_most", language).format(limit=limited.group(1))
    kind = _worded(original)
    return _message("choose" if chosen and kind in UNCHOSEN_KINDS else kind, original, language)


def _worded(original: str) -> str | None:
    return next((key for pattern, key in SERVICE_WORDING if pattern.search(original)), None)


def _input_for(path: str, inputs: Mapping[str, str]) -> str | None:
    """The longest mapped prefix of a body path names the input (None: no single input)."""
    best = max((prefix for prefix in inputs if path == prefix or path.startswith(prefix + ".")), key=len, default=None)
    return inputs[best] if best is not None else None


def _message(kind: str | None, original: str, language: str) -> str:
    if kind is not None:
        return translate(f"form.error.{kind}", language)
    if language == "en":
        return original[:300]
    return translate("form.error.invalid", language)


@dataclass(slots=True)
class FirstReason:
    """Where a refused form's page opens: at the first reason it shows, one per rendering of the page.

    A refused form is answered with its page again (the case page, the task page), at the form's
    address; the page opens at that reason (`id="refused"`, focused: on a phone, not at the top). The
    templates ask `take` as they show each reason, in the page's order, so only the first is told yes.
    A page that says the refusal at the top (`taken` from the start) or has none answers no to all.
    """

    taken: bool = False

    def take(self) -> bool:
        """Whether the reason shown now is the one the page opens at."""
        first, self.taken = not self.taken, True
        return first
