"""HTML forms of the case pages turned into the same schemas the JSON API takes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from zhili.cases.schemas import (
    CaseDetail,
    CollaborationAsk,
    CommandBody,
    MeetingCreate,
    SupervisionCreate,
    UnitRef,
)
from zhili.core.errors import DomainError, InvalidInputError
from zhili.core.local_time import from_local_input
from zhili.matters import queries as matters
from zhili.org.routing import nearest_unit

ATTRIBUTE_PREFIX = "attr."
ModelT = TypeVar("ModelT", bound=BaseModel)


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _number(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value  # left as text: the attribute check names the field


def case_from_form(form: FormData, session: Session) -> dict[str, Any]:
    """A CaseCreate payload from the intake form (attributes are fields named attr.<code>)."""
    matter = _text(form, "matter") or ""
    definition = matters.current_definition(session, matter)[1]
    attributes: dict[str, Any] = {}
    for attribute in definition.attributes:
        name = ATTRIBUTE_PREFIX + attribute.code
        if attribute.datatype == "multivaluelist":
            chosen = [v for v in form.getlist(name) if isinstance(v, str) and v]
            attributes[attribute.code] = chosen or None
            continue
        raw = _text(form, name)
        if raw is not None and attribute.datatype == "datetime":
            raw = from_local_input(raw)  # a local picker sends no zone: it is Quzhou time
        attributes[attribute.code] = _number(raw) if raw is not None and attribute.datatype == "number" else raw
    lon, lat = _text(form, "lon"), _text(form, "lat")
    return {
        "matter": matter,
        "description": _text(form, "description") or "",
        "address": _text(form, "address"),
        "place": _text(form, "place") if not (lon and lat) else None,
        "point": {"lon": lon, "lat": lat} if lon and lat else None,
        "channel": _text(form, "channel") or "web",
        "attributes": {k: v for k, v in attributes.items() if v is not None},
    }


def messages(exc: Exception) -> list[str]:
    """Readable lines for a refused form."""
    if isinstance(exc, ValidationError):
        return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    if isinstance(exc, DomainError):
        errors = exc.extra.get("errors") or []
        return [f"{e['field']}: {e['message']}" for e in errors] or [exc.detail]
    return [str(exc)]


def command_from_form(form: FormData) -> CommandBody:
    """A lifecycle command from an action button's form."""
    evidence = [
        {"kind": kind, "ref": ref}
        for kind in ("photo", "text", "gps", "document")
        if (ref := _text(form, f"evidence_{kind}"))
    ]
    payload = {
        "command": _text(form, "command") or "",
        "version": _text(form, "version"),
        "reason": _text(form, "reason"),
        "hours": _text(form, "hours"),
        "text": _text(form, "text"),
        "rating": _text(form, "rating"),
        "comment": _text(form, "comment"),
        "evidence": evidence,
    }
    return _validated(CommandBody, payload)


def help_from_form(form: FormData) -> CollaborationAsk:
    """The ticked units, each asked with the same deadline, text and stage."""
    hours, text, stage = _text(form, "deadline_hours") or "24", _text(form, "text") or "", _text(form, "stage")
    requests = [
        {"unit_id": unit, "deadline_hours": hours, "text": text, "stage": stage or "investigation"}
        for unit in form.getlist("unit_id")
        if isinstance(unit, str)
    ]
    return _validated(CollaborationAsk, {"requests": requests})


def meeting_from_form(form: FormData, now: datetime) -> MeetingCreate:
    """A meeting held now, with at most one decision from the form."""
    decisions = []
    if _text(form, "decision"):
        days = int(_text(form, "decision_days") or "3") if (_text(form, "decision_days") or "3").isdigit() else 3
        decisions.append(
            {
                "description": _text(form, "decision"),
                "owner_unit_id": _text(form, "decision_owner"),
                "deadline_at": (now + timedelta(days=days)).isoformat(),
            }
        )
    payload = {
        "title": _text(form, "title") or "",
        "held_at": now.isoformat(),
        "place": _text(form, "place"),
        "minutes": _text(form, "minutes") or "",
        "attendee_unit_ids": [u for u in form.getlist("attendee_unit_id") if isinstance(u, str)],
        "attendee_divisions": [d for d in form.getlist("attendee_division") if isinstance(d, str)],
        "decisions": decisions,
    }
    return _validated(MeetingCreate, payload)


def supervision_from_form(form: FormData) -> SupervisionCreate:
    """The action and note of the supervision form."""
    return _validated(SupervisionCreate, {"action": _text(form, "action"), "note": _text(form, "note") or ""})


def _validated(model: type[ModelT], payload: dict[str, Any]) -> ModelT:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidInputError(
            "; ".join(messages(exc)),
            errors=[{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()],
        ) from exc


def helper_units(session: Session, detail: CaseDetail) -> list[UnitRef]:
    """The units of the matter's collaborating kinds that serve the case's place, for the help form."""
    definition = matters.definition_at(session, detail.matter_code, detail.matter_version)
    found = [
        nearest_unit(session, kind=kind, division_code=detail.handling_division)
        for kind in definition.collaborator_kinds
    ]
    return [UnitRef(id=unit.id, name=unit.name) for unit in found if unit is not None]


def merge_target(form: FormData) -> int:
    """The case id a merge button posted."""
    value = _text(form, "into_case_id") or ""
    if not value.isdigit():
        raise InvalidInputError("choose the case to merge into")
    return int(value)
