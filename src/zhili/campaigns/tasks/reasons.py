"""The phone task page's refused forms: every reason of a report at once, each by its input.

A report's own mistakes (half a point, a raised case without its description) come with the service's
checks of the rest; a refused photo comes with them too (checked without a write).
"""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from zhili.campaigns.tasks import forms as task_forms
from zhili.campaigns.tasks import queries as task_queries
from zhili.campaigns.tasks import service as task_service
from zhili.campaigns.tasks.schemas import ReportBody
from zhili.core import media
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.errors import ConflictError, InvalidInputError
from zhili.matters import queries as matters
from zhili.matters.definition import MatterDefinition
from zhili.web.form_errors import FormErrors, form_errors
from zhili.web.i18n import translate

# The refusals a form of the task page answers with the page again; any other error is the error page. A
# conflict (the task moved on meanwhile: sent from a page left open, or from another tab) is one too: the page
# shows the task as it is now, with what was typed.
FORM_REFUSALS = (ValidationError, InvalidInputError, ConflictError)


def other_reasons(
    session: Session,
    form: FormData,
    task_id: int,
    actor: Actor,
    clock: Clock,
    *,
    photo_ids: list[int],
    matter: str | None,
) -> Exception | None:
    """What else a report whose photo was refused lacks: its checks without a write (None: nothing)."""
    try:
        detail = task_queries.task_detail(session, actor, task_id, now=clock.now())
        definition = definition_of(session, matter)
        body = report_body(
            session, form, task_id, actor, photo_ids=photo_ids, checklist=detail.checklist, definition=definition
        )
        task_service.check_report(session, task_id=task_id, data=body, actor=actor)
    except FORM_REFUSALS as exc:
        return exc
    return None


def report_body(
    session: Session,
    form: FormData,
    task_id: int,
    actor: Actor,
    *,
    photo_ids: list[int],
    checklist: list[str],
    definition: MatterDefinition | None,
) -> ReportBody:
    """The report's body from the form; a wrong one is refused with what else the report lacks, in one 422.

    The form's own mistakes (half a point, a raised case without its description) come first; the
    service's checks of the rest (`check_report`, on the form with those parts left out) are added,
    except where an input already has its reason.
    """
    try:
        return task_forms.report_from_form(form, photo_ids=photo_ids, checklist=checklist, definition=definition)
    except InvalidInputError as exc:
        lenient = task_forms.lenient_report(form, photo_ids=photo_ids, checklist=checklist, definition=definition)
        try:
            task_service.check_report(session, task_id=task_id, data=lenient, actor=actor)
        except InvalidInputError as more:
            raise _merged(exc, more) from exc
        raise


def _merged(first: InvalidInputError, more: InvalidInputError) -> InvalidInputError:
    """The form's reasons, then the service's for inputs not already named (a path over or under a named one)."""
    named = [str(p.get("field", "")) for p in first.extra.get("errors") or []]

    def overlaps(path: str) -> bool:
        return any(path == n or path.startswith(n + ".") or n.startswith(path + ".") for n in named)

    extra = [p for p in more.extra.get("errors") or [] if not overlaps(str(p.get("field", "")).removeprefix("body."))]
    return InvalidInputError(first.detail, errors=[*(first.extra.get("errors") or []), *extra])


# Body paths of a report (as the schema and the service name them) → the report form's inputs.
REPORT_INPUTS = {
    "text": "text",
    "photo_ids": "photos",
    "point": "point",  # the pair (missing, outside the area): said below both coordinates
    "point.lon": "lon",  # the longitude alone: said by its input
    "point.lat": "lat",  # the latitude alone: said by its input
    "checklist": "checklist",
    "raise_case.description": "description",
    "raise_case.address": "address",
    "raise_case.matter": "matter",
}


# Body paths of the other forms → their inputs (the same names).
FORM_INPUTS = {
    "decline": {"reason": "reason"},
    "return": {"reason": "reason"},
    "overrule": {"reason": "reason"},
    "verify": {"note": "note"},
    "rate": {"rating": "rating", "comment": "comment"},
    "reassign": {"position_id": "position_id", "note": "note"},
}


def form_errors_of(name: str, exc: Exception, language: str, attribute_codes: list[str]) -> FormErrors:
    """A refused form's reasons by input, in the page's language; those of the raised case's attributes by theirs."""
    if isinstance(exc, ConflictError):  # the task moved on meanwhile, unless the refusal says another reason
        found = FormErrors()
        found.add(None, translate(exc.message_key or "tasks.changed_meanwhile", language))
        return found
    if name != "report":
        return form_errors(exc, language, FORM_INPUTS[name], choices={"rating", "position_id"})
    if isinstance(exc, media.PHOTO_REFUSALS):
        found = FormErrors()
        found.add("photos", translate(f"form.error.{exc.form_kind}", language))
        return found
    # An attribute of the case to raise is named attr.<code> on the form; one the matter lacks is told above it.
    attributes = {"raise_case.attributes": "attr"} | {
        f"{prefix}attributes.{code}": f"attr.{code}" for code in attribute_codes for prefix in ("raise_case.", "")
    }
    rest, unanswered = _unanswered_items(exc)
    found = (
        form_errors(rest, language, {**REPORT_INPUTS, **attributes}, choices={"matter", "checklist"})
        if rest is not None
        else FormErrors()
    )
    # Each checklist item left unanswered is told beside that item (`checklist:<item>`), by its words.
    for item in unanswered:
        found.add(f"{CHECKLIST_ITEM}{item}", translate("tasks.answer_item", language))
    if "attr" in found.by_field:
        found.general.extend(found.by_field.pop("attr"))
    return found


CHECKLIST_ITEM = "checklist:"  # the report form's reasons for one checklist item are filed under this + the item
_UNANSWERED = "body.checklist."


def _unanswered_items(exc: Exception) -> tuple[Exception | None, list[str]]:
    """The refusal without its unanswered checklist items (None: nothing else), and those items.

    The service names each unanswered item by its path (`body.checklist.<item>`); the page tells it
    beside that item rather than as one more "填写有误" under the whole checklist.
    """
    if not isinstance(exc, InvalidInputError):
        return exc, []
    problems = list(exc.extra.get("errors") or [])
    paths = [str(p.get("field", "")) for p in problems]
    items = [path.removeprefix(_UNANSWERED) for path in paths if path.startswith(_UNANSWERED)]
    if not items:
        return exc, []
    rest = [p for p, path in zip(problems, paths, strict=True) if not path.startswith(_UNANSWERED)]
    return (InvalidInputError(exc.detail, errors=rest) if rest else None), items


def definition_of(session: Session, matter: str | None) -> MatterDefinition | None:
    """The matter chosen for a case to raise (None: none chosen)."""
    return matters.current_definition(session, matter)[1] if matter else None
