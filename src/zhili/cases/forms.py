"""HTML forms of the case pages turned into the same schemas the JSON API takes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from zhili.cases import collaboration
from zhili.cases.commands import COMMAND_ARGUMENTS, COMMAND_BODY, CommandBody
from zhili.cases.schemas import (
    CaseDetail,
    CollaborationAsk,
    CollaborationReply,
    DisputeReferral,
    LeadDecision,
    MeetingCreate,
    SupervisionCreate,
    TaskDone,
    UnitRef,
    normalised_phone,
)
from zhili.cases.states import MAX_EVIDENCE_REF, CommandKind, gps_point
from zhili.core.errors import DomainError, InvalidInputError
from zhili.core.local_time import from_local_input
from zhili.core.params import id_in
from zhili.matters import queries as matters

ATTRIBUTE_PREFIX = "attr."
MAX_DECISION_DAYS = 90  # the form's own max
NO_UNIT_TICKED = "tick the units to ask"
_REQUEST_HOURS = re.compile(r"requests\.(\d+)\.deadline_hours")  # the help form's refusal when no unit is ticked
# The inputs an action button of the case page may post besides `command` and its evidence (built apart).
COMMAND_INPUTS = tuple(name for name in COMMAND_ARGUMENTS if name != "evidence")
# The reply form's flag: the matter asks for a text, and a blank 文字说明 takes the reply's text (`command_from_form`).
TEXT_IS_EVIDENCE = "text_is_evidence"
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
    again = {"again_of": _text(form, "again")} if _text(form, "again") else {}  # 重新上报: the case it mends
    return again | {
        "matter": matter,
        "description": _text(form, "description") or "",
        "address": _text(form, "address"),
        # Half a point typed (a longitude, no latitude) is refused by its inputs, never dropped for the place.
        "place": _text(form, "place") if not (lon or lat) else None,
        "point": {"lon": lon, "lat": lat} if lon or lat else None,
        "channel": _text(form, "channel") or "web",
        "attributes": {k: v for k, v in attributes.items() if v is not None},
        # Who called or came in (the hotline, a visit), when the one filing it is not the one reporting.
        "reporter_name": _text(form, "reporter_name"),
        "reporter_phone": normalised_phone(_text(form, "reporter_phone")),
    }


def messages(exc: Exception) -> list[str]:
    """Readable lines for a refused form."""
    if isinstance(exc, ValidationError):
        return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    if isinstance(exc, DomainError):
        errors = exc.extra.get("errors") or []
        return [f"{e['field']}: {e['message']}" for e in errors] or [exc.detail]
    return [str(exc)]


def _evidence(form: FormData, photos: list[str]) -> list[dict[str, str]]:
    """Evidence fields `evidence_<kind>` (photos may be several, plus those just uploaded)."""
    cited = [v.strip() for v in form.getlist("evidence_photo") if isinstance(v, str) and v.strip()]
    evidence = [{"kind": "photo", "ref": ref} for ref in dict.fromkeys([*cited, *photos])]
    evidence += [
        {"kind": kind, "ref": ref} for kind in ("text", "gps", "document") if (ref := _text(form, f"evidence_{kind}"))
    ]
    return evidence


def command_from_form(form: FormData, photos: list[str] | None = None) -> CommandBody:
    """A lifecycle command from an action button's form (a reply may carry photos just uploaded)."""
    evidence = _evidence(form, photos or [])
    command = _text(form, "command") or ""
    # A button posts only its own inputs; the body takes exactly the fields of its command.
    given = {name: _text(form, name) for name in COMMAND_INPUTS}
    payload: dict[str, Any] = {
        "command": command,
        **{name: value for name, value in given.items() if value is not None},
    }
    # Where the matter asks for a text, the reply's own text is it unless another is written (the form says so).
    text = given["text"]
    if command == CommandKind.REPLY and text and form.get(TEXT_IS_EVIDENCE) and not _text(form, "evidence_text"):
        evidence.append({"kind": "text", "ref": text[:MAX_EVIDENCE_REF]})
    if evidence or command == CommandKind.REPLY:
        payload["evidence"] = evidence
    try:
        return COMMAND_BODY.validate_python(payload)
    except ValidationError as exc:
        raise _with_gps(_refusal(exc), evidence) from exc


def name_missing_evidence(
    refusal: InvalidInputError, form: FormData, photos: list[str], needed: tuple[str, ...]
) -> None:
    """A reply refused for its text names the evidence it lacks too (the lifecycle checks that once the rest passes).

    One refusal then names every missing input: an empty text, no photo and no position are said together.
    """
    given = {piece["kind"] for piece in _evidence(form, photos)}
    if form.get(TEXT_IS_EVIDENCE):  # the reply's own text is the text asked: said by its input, not twice
        given.add("text")
    for kind in (kind for kind in needed if kind not in given):
        refusal.extra.setdefault("errors", []).append(
            {"field": f"evidence_{kind}", "message": f"needs evidence of kind {kind}", "missing_evidence": kind}
        )


def reply_from_form(form: FormData, photos: list[str]) -> CollaborationReply:
    """A collaborating unit's reply: its text and evidence (photos uploaded with it, GPS, text, document)."""
    evidence = _evidence(form, photos)
    try:
        return CollaborationReply.model_validate({"text": _text(form, "text") or "", "evidence": evidence})
    except ValidationError as exc:
        raise _with_gps(_refusal(exc), evidence) from exc


def _with_gps(refusal: InvalidInputError, evidence: list[dict[str, str]]) -> InvalidInputError:
    """A refused reply names a GPS fix that is not `lon,lat` too (the service checks it once the rest passes).

    One refusal then names every wrong input: an empty text and a mistyped position are said together.
    """
    if any(e["kind"] == "gps" and gps_point(e["ref"]) is None for e in evidence):
        refusal.extra.setdefault("errors", []).append({"field": "evidence_gps", "message": "is not longitude,latitude"})
    return refusal


def task_done_from_form(form: FormData) -> TaskDone:
    """The note marking a meeting task done."""
    return _validated(TaskDone, {"note": _text(form, "note") or ""})


def lead_from_form(form: FormData) -> LeadDecision:
    """The lead unit the level above names in a dispute, with its reason."""
    return _validated(
        LeadDecision, {"lead_unit_id": _text(form, "lead_unit_id"), "reason": _text(form, "reason") or ""}
    )


def referral_from_form(form: FormData) -> DisputeReferral:
    """Why the command room refers the dispute over the lead to the level above."""
    return _validated(DisputeReferral, {"reason": _text(form, "reason") or ""})


def help_from_form(form: FormData) -> CollaborationAsk:
    """The ticked units, each with its own deadline (`deadline_hours_<unit>`, else the form's), one text and stage.

    A refusal names every wrong input at once: no unit ticked, the text, and each unit's hours by its own input.
    """
    hours, text, stage = _text(form, "deadline_hours") or "24", _text(form, "text") or "", _text(form, "stage")
    units = [u.strip() for u in form.getlist("unit_id") if isinstance(u, str) and u.strip()]
    requests = [
        {
            "unit_id": unit,
            "deadline_hours": _text(form, f"deadline_hours_{unit}") or hours,
            "text": text,
            "stage": stage or "investigation",
        }
        for unit in units or ["0"]  # none ticked: the rest is still checked, to be said together
    ]
    errors: list[dict[str, Any]] = [] if units else [{"field": "unit_id", "message": NO_UNIT_TICKED}]
    try:
        ask = CollaborationAsk.model_validate({"requests": requests})
    except ValidationError as exc:
        found = [_per_unit(error, units) for error in _refusal(exc).extra["errors"]]
        errors += [error for error in found if units or not str(error["field"]).endswith("unit_id")]
    if errors:
        raise InvalidInputError("; ".join(str(e["message"]) for e in errors), errors=errors)
    return ask


def _per_unit(error: dict[str, Any], units: list[str]) -> dict[str, Any]:
    """A request's hours refused by the input of its unit (`requests.1.deadline_hours` → `deadline_hours_<unit>`)."""
    found = _REQUEST_HOURS.fullmatch(str(error["field"]))
    if found is None or int(found.group(1)) >= len(units):
        return error
    return {**error, "field": f"deadline_hours_{units[int(found.group(1))]}"}


# The meeting form's decision rows: the first one's inputs are `decision`, `decision_owner`, `decision_days`;
# the further rows' end in `_2`, `_3`.
DECISION_ROWS = ("", "_2", "_3")


def meeting_from_form(form: FormData, now: datetime) -> MeetingCreate:
    """A meeting held now, with a task for each decision row filled in (up to `DECISION_ROWS`)."""
    decisions = []
    for row in DECISION_ROWS:
        if not _text(form, f"decision{row}"):
            continue
        raw = _text(form, f"decision_days{row}") or "3"
        days = id_in(raw) if raw.isascii() and raw.isdigit() else 3  # not a number: the default
        if days is None or days > MAX_DECISION_DAYS:
            # the bound crossed, so the page says 不能小于 1 or 不能超过 90, not only that it is wrong
            bound = ("greater_than_equal", 1) if days is None else ("less_than_equal", MAX_DECISION_DAYS)
            message = f"must be a number from 1 to {MAX_DECISION_DAYS}"
            raise InvalidInputError(
                "the decision's days are out of range",
                errors=[{"field": f"decision_days{row}", "message": message, "type": bound[0], "bound": bound[1]}],
            )
        decisions.append(
            {
                "description": _text(form, f"decision{row}"),
                "owner_unit_id": _text(form, f"decision_owner{row}"),
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
        raise _refusal(exc) from exc


def _refusal(exc: ValidationError) -> InvalidInputError:
    return InvalidInputError(
        "; ".join(messages(exc)),
        errors=[
            {"field": ".".join(map(str, e["loc"])), "message": e["msg"], "type": e["type"], **_bound(e)}
            for e in exc.errors()
        ],
    )


def _bound(error: Any) -> dict[str, object]:
    """The limit a number broke (`le`/`ge` of the field), for a refusal that says it."""
    ctx = error.get("ctx") or {}
    bound = next((ctx[key] for key in ("le", "ge") if key in ctx), None)
    return {} if bound is None else {"bound": bound}


def helper_units(session: Session, detail: CaseDetail) -> list[UnitRef]:
    """The units of the matter's collaborating kinds that serve the case's place, for the help form."""
    definition = matters.definition_at(session, detail.matter_code, detail.matter_version)
    return collaboration.helper_units(session, definition, detail.handling_division)


def merge_target(form: FormData) -> int:
    """The case id a merge button posted."""
    case_id = id_in(_text(form, "into_case_id") or "")
    if case_id is None:
        raise InvalidInputError("choose the case to merge into")
    return case_id
