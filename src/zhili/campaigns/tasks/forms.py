"""The phone task page's forms turned into the schemas the task API takes."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from zhili.campaigns.tasks.schemas import ReportBody
from zhili.core.errors import DomainError, InvalidInputError
from zhili.core.local_time import from_local_input
from zhili.matters.definition import MatterDefinition

ATTRIBUTE_PREFIX = "attr."
CHECK_PREFIX = "check."

B = TypeVar("B", bound=BaseModel)


def text(form: FormData, name: str) -> str | None:
    """A trimmed text field, or None when it is missing or blank."""
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def body_from_form(
    schema: type[B], form: FormData, names: tuple[str, ...], *, optional: frozenset[str] = frozenset()
) -> B:
    """The schema's body from a short form of one-line inputs, validated as the API validates it.

    A required input is passed as typed (blanks included), so the schema's own rule refuses it by its
    name; an optional one left blank is left out. Raises pydantic's `ValidationError`.
    """
    payload: dict[str, Any] = {}
    for name in names:
        value = form.get(name)
        raw = value if isinstance(value, str) else ""
        if name in optional and not raw.strip():
            continue
        payload[name] = raw
    return schema.model_validate(payload)


def report_from_form(
    form: FormData, *, photo_ids: list[int], checklist: list[str], definition: MatterDefinition | None
) -> ReportBody:
    """A ReportBody from the report form: checklist items are radios `check.<n>` = yes / no."""
    try:
        return ReportBody.model_validate(_report_payload(form, photo_ids, checklist, definition))
    except ValidationError as exc:
        raise InvalidInputError(
            "; ".join(messages(exc)),
            errors=[
                {
                    "field": ".".join(map(str, e["loc"])),
                    "message": _said(e["type"], e["msg"]),
                    "type": e["type"],  # with its limits: the page says "最多 4000 个字", "不能大于 180"
                    "ctx": _limits(e.get("ctx")),
                }
                for e in exc.errors()
            ],
        ) from exc


def lenient_report(
    form: FormData, *, photo_ids: list[int], checklist: list[str], definition: MatterDefinition | None
) -> ReportBody:
    """The report form's body with its wrong parts left out, for the service to name what else is missing.

    A refused form then says everything at once: half a point is left out, a raised case without its
    description gets a stand-in one (so its matter's fields are still checked).
    """
    payload = _report_payload(form, photo_ids, checklist, definition)
    try:
        return ReportBody.model_validate(payload)
    except ValidationError as exc:
        wrong = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
    for name in wrong:
        raised = payload.get("raise_case")
        if name == "raise_case" and isinstance(raised, dict):
            payload[name] = {**raised, "description": raised.get("description") or "-", "address": None}
        elif name in ReportBody.model_fields:
            payload[name] = ReportBody.model_fields[name].get_default(call_default_factory=True)
    try:
        return ReportBody.model_validate(payload)
    except ValidationError:
        return ReportBody()


def _report_payload(
    form: FormData, photo_ids: list[int], checklist: list[str], definition: MatterDefinition | None
) -> dict[str, Any]:
    lon, lat = text(form, "lon"), text(form, "lat")
    answers = {item: text(form, f"{CHECK_PREFIX}{n}") for n, item in enumerate(checklist)}
    return {
        "text": text(form, "text"),
        "photo_ids": photo_ids,
        "point": {"lon": lon, "lat": lat} if lon or lat else None,  # half a point is refused, not dropped
        "checklist": {item: answer == "yes" for item, answer in answers.items() if answer in {"yes", "no"}}
        if checklist
        else None,
        # A matter chosen is a case to raise: left without a description it is refused, never dropped unsaid.
        "raise_case": _case(form, definition) if definition is not None else None,
    }


# pydantic's kinds of a blank or a wrong number, in the services' wording (`web.form_errors` words it by that).
_WORDING = {
    "missing": "is required",
    "string_type": "is required",  # a blank input read as nothing
    "float_type": "is required",
    "string_too_short": "is required",
    "float_parsing": "must be a number",
}


def _limits(context: Any) -> dict[str, float | str]:
    """An error's context (its limits, the kind of value), JSON-safe for the problem details."""
    if not isinstance(context, dict):
        return {}
    return {k: v for k, v in context.items() if isinstance(v, int | float | str) and not isinstance(v, bool)}


def _said(kind: str, message: str) -> str:
    return _WORDING.get(kind, message)


def _case(form: FormData, definition: MatterDefinition) -> dict[str, Any]:
    """The case to raise: the chosen matter, a description and its attributes (`attr.<code>`)."""
    attributes: dict[str, Any] = {}
    for attribute in definition.attributes:
        name = ATTRIBUTE_PREFIX + attribute.code
        if attribute.datatype == "multivaluelist":
            chosen = [v for v in form.getlist(name) if isinstance(v, str) and v]
            if chosen:
                attributes[attribute.code] = chosen
            continue
        raw = text(form, name)
        if raw is not None and attribute.datatype == "datetime":
            raw = from_local_input(raw)  # the picker sends no zone: it is Quzhou time, as on the 上报 form
        if raw is not None:
            attributes[attribute.code] = _number(raw) if attribute.datatype == "number" else raw
    return {
        "matter": definition.code,
        "description": text(form, "description"),
        "address": text(form, "address"),
        "attributes": attributes,
    }


def _number(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value  # left as text: the attribute check names the field


def messages(exc: Exception) -> list[str]:
    """Readable lines for a refused form."""
    if isinstance(exc, ValidationError):
        return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    if isinstance(exc, DomainError):
        errors = exc.extra.get("errors") or []
        return [f"{e['field']}: {e['message']}" for e in errors] or [exc.detail]
    return [str(exc)]
