"""How an intake form takes a report: the desk's and phone's 上报 (`intake_pages`) and the public form (我要反映).

`take_report` reads the form and its photos (those a refused form kept, then the new ones), checks the
photos in the thread pool, validates the body with the page's schema, and writes through the page's
`report` on the write path, once per form (`web.form_once`); a refusal shows the page's form again with
each reason by its input and the photos that passed, kept.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from zhili.cases import forms, intake
from zhili.cases.attributes import validate_attributes
from zhili.cases.schemas import CaseCreate, Point
from zhili.core import media
from zhili.core.clock import Clock
from zhili.core.errors import InvalidInputError, NotFoundError
from zhili.core.http import rolled_back, run_in_read_session, run_in_write_session
from zhili.core.kept_photos import KeptPhoto, is_photo_input, photos_kept
from zhili.matters import queries as matters
from zhili.matters.definition import Datatype
from zhili.web.form_errors import FormErrors, form_errors
from zhili.web.form_once import FormOnce, run_form
from zhili.web.i18n import translate
from zhili.web.templating import renderer

# Form paths of a report (as the schema and services name them) → the intake form's input names.
INTAKE_INPUTS = {
    "matter": "matter",
    "description": "description",
    "point": "point",  # the pair (missing, outside the area): said below both coordinates
    "point.lon": "lon",  # the longitude alone: said by its input
    "point.lat": "lat",  # the latitude alone: said by its input
    "place": "place",
    "address": "address",
    "channel": "channel",
    "photo": "photo",
    "reporter_name": "reporter_name",
    "reporter_phone": "reporter_phone",
}
INTAKE_CHOICES = frozenset({"matter", "channel"})  # chosen, not typed (with the matter's list fields): 请选择
LIST_DATATYPES = frozenset({Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST})


@dataclass(frozen=True)
class IntakeForm:
    """How one intake page takes a report (the desk's and phone's 上报, the public form).

    `body` reads the form into the report's body, checked by `schema`; `report` writes it with the
    checked photos and answers an int (the new case's id: stored as the form's answer, so a form sent
    twice gets it again); `done` answers that; `page` shows the form again, refused. `locate` finds the
    report's place as `report` would (refusing it by its field): a form refused for another field says
    what is wrong with the place too, in the same answer.
    """

    path: str
    owner: str  # whose form keys these are (`web.form_once`)
    body: Callable[[FormData, Session], dict[str, object]]
    schema: type[CaseCreate]
    report: Callable[[Session, CaseCreate, list[media.CheckedPhoto]], int]
    done: Callable[[int], Response]
    page: Callable[[Session, str | None, dict[str, object], FormErrors, list[KeptPhoto]], Response]
    locate: Callable[[Session, Point | None, str | None], object]


async def take_report(request: Request, taking: IntakeForm, clock: Clock) -> Response:
    """Take a report from an intake form: its answer, or the form again with each reason by its field.

    The photos are decoded in the thread pool first; the report is one unit of work on the write
    path (`run_in_write_session`: on SQLite, the group commit). A refused form is read again beside
    the other readers, with the reasons by their fields, and keeps the photos that passed.
    """
    form = await request.form()
    uploads = [u for u in form.getlist("photo") if isinstance(u, UploadFile) and u.filename]
    # The photos a refused form kept (sent back as it showed them, less those removed), then the new ones.
    taken = photos_kept(form, limit=intake.MAX_INTAKE_PHOTOS + 1)
    taken += [await media.read_upload(u) for u in uploads[: max(0, intake.MAX_INTAKE_PHOTOS + 1 - len(taken))]]
    language = renderer(request).language(request)
    ready, errors = await run_in_threadpool(_photo_errors, taken, language)
    once = FormOnce.of(form, taking.path)
    inputs = dict(INTAKE_INPUTS)
    choices = set(INTAKE_CHOICES)

    def attempt(session: Session) -> int | ValidationError | InvalidInputError | None:
        """The new case's id; or why the form was refused; None when only its photos were (nothing written)."""
        named, chosen = _attribute_inputs(session, form)
        inputs.update(named)
        choices.update(chosen)
        try:
            body = taking.body(form, session)
            data = taking.schema.model_validate(body)
        except InvalidInputError as exc:
            return exc
        except ValidationError as exc:
            # The matter's own fields and the place are checked too: one refusal names every wrong input.
            errors.by_field.update(_attribute_reasons(session, body, inputs, choices, language).by_field)
            where = _place_reasons(session, taking, body, exc, inputs=inputs, language=language)
            errors.by_field.update(where.by_field)
            return exc
        if errors:
            return None

        def write() -> int:
            return taking.report(session, data, ready)

        try:
            return int(run_form(once, session, owner=taking.owner, now=clock.now(), action=write))
        except (ValidationError, InvalidInputError) as exc:
            return rolled_back(session, exc)

    # With a photo refused nothing is written: the form is only checked, beside the other readers.
    outcome = await (run_in_read_session if errors else run_in_write_session)(request, attempt)
    if isinstance(outcome, int):
        return taking.done(outcome)
    if outcome is not None:
        refused = form_errors(outcome, language, inputs, choices=choices)
        for name, messages in refused.by_field.items():
            errors.by_field.setdefault(name, []).extend(messages)
        errors.general.extend(refused.general)
    values: dict[str, object] = {key: _kept(form, key) for key in form if not is_photo_input(key)}
    matter = str(form.get("matter") or "") or None
    # The photos that passed are shown again and sent with the form once more: a refusal loses no photo taken.
    kept = await run_in_threadpool(lambda: [KeptPhoto.of(photo) for photo in ready[: intake.MAX_INTAKE_PHOTOS]])
    return await run_in_read_session(request, lambda session: taking.page(session, matter, values, errors, kept))


def _kept(form: FormData, key: str) -> object:
    """What the form sent for an input, to show it again: every ticked value of a multi-choice attribute."""
    if key.startswith(forms.ATTRIBUTE_PREFIX) and len(form.getlist(key)) > 1:
        return [v for v in form.getlist(key) if isinstance(v, str)]
    value = form.get(key)
    return value if isinstance(value, str) else ""


def _photo_errors(taken: list[bytes], language: str) -> tuple[list[media.CheckedPhoto], FormErrors]:
    """The photos checked (decoded before any database work), and the reasons beside the photo input."""
    errors = FormErrors()
    if len(taken) > intake.MAX_INTAKE_PHOTOS:
        errors.add("photo", translate("form.error.photo_count", language))
    ready, problems = intake.check_photos(taken)
    for problem in sorted(problems):
        errors.add("photo", translate(f"form.error.{problem}", language))
    return ready, errors


def _place_reasons(
    session: Session,
    taking: IntakeForm,
    body: dict[str, object],
    refused: ValidationError,
    *,
    inputs: dict[str, str],
    language: str,
) -> FormErrors:
    """Why the place would be refused, when the schema took its inputs (a point's two numbers, a name)."""
    if any(error["loc"][:1] in {("point",), ("place",)} for error in refused.errors()):
        return FormErrors()
    try:
        point = Point.model_validate(body["point"]) if body.get("point") is not None else None
    except ValidationError:
        return FormErrors()
    place = body.get("place")
    if point is None and not (isinstance(place, str) and place.strip()):
        return FormErrors()  # nothing given: the schema says so by the place's field
    try:
        taking.locate(session, point, place if isinstance(place, str) else None)
    except InvalidInputError as exc:
        return form_errors(exc, language, inputs)
    return FormErrors()


def _attribute_inputs(session: Session, form: FormData) -> tuple[dict[str, str], set[str]]:
    """The body paths of the matter's fields → their inputs (`attributes.<code>` → `attr.<code>`), and those chosen.

    The matter's own fields are named even when the form sent nothing for them: a multi-choice field with
    no box ticked sends no input at all, and its 请选择 belongs beside its boxes, not at the top of the form.
    """
    codes = {key.removeprefix(forms.ATTRIBUTE_PREFIX) for key in form if key.startswith(forms.ATTRIBUTE_PREFIX)}
    chosen: set[str] = set()
    with suppress(NotFoundError):  # an unknown matter is the schema's or the service's to name
        attributes = matters.current_definition(session, str(form.get("matter") or ""))[1].attributes
        codes |= {a.code for a in attributes}
        chosen = {forms.ATTRIBUTE_PREFIX + a.code for a in attributes if a.datatype in LIST_DATATYPES}
    return {f"attributes.{code}": f"attr.{code}" for code in codes}, chosen


def _attribute_reasons(
    session: Session, body: dict[str, object], inputs: dict[str, str], choices: set[str], language: str
) -> FormErrors:
    """Why the matter's fields of a report are wrong, by their inputs (the service's own check, run early)."""
    attributes = body.get("attributes")
    try:
        definition = matters.current_definition(session, str(body.get("matter") or ""))[1]
        validate_attributes(definition, attributes if isinstance(attributes, dict) else {})
    except InvalidInputError as exc:
        return form_errors(exc, language, inputs, choices=choices)
    except NotFoundError:
        return FormErrors()  # an unknown matter is the schema's or the service's to name
    return FormErrors()
