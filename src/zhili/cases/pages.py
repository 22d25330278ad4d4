"""Case pages: the work queue, the intake form (desk and phone), the case with its timeline and actions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from zhili.cases import collaboration, disputes, forms, intake, meetings, photos, queries, service, supervision
from zhili.cases.schemas import CaseCreate
from zhili.core.auth import Actor, PageActor
from zhili.core.clock import Clock
from zhili.core.errors import InvalidInputError
from zhili.core.http import ClockDep, DbSession
from zhili.core.params import IdPath
from zhili.matters import queries as matters
from zhili.org.geo import request_locators
from zhili.web.form_errors import FormErrors, form_errors
from zhili.web.i18n import translate
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)


@router.get("/cases")
def work_queue(
    request: Request,
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
    status: Annotated[str | None, Query(pattern=r"^[a-z_]{4,20}$")] = None,
    overdue: bool = False,
    due: Annotated[str | None, Query(pattern=r"^(soon|over)$")] = None,
    cursor: str | None = None,
) -> Response:
    """My work queue: the cases I may see, those waiting for me first; `due=soon|over` for the clocks' queues."""
    page = queries.list_cases(
        session,
        actor,
        status=status,
        matter=None,
        division=None,
        unit=None,
        now=clock.now(),
        overdue=overdue or due == "over",
        due_soon=due == "soon",
        cursor=cursor,
        limit=50,
    )
    mine = [case for case in page.items if case.allowed_commands]
    others = [case for case in page.items if not case.allowed_commands]
    return renderer(request).render(
        request,
        "cases/queue.html",
        {
            "actor": actor,
            "mine": mine,
            "others": others,
            "next_cursor": page.next_cursor,
            "status": status,
            "overdue": overdue or due == "over",
            "due": due,
        },
    )


# Form paths of a report (as the schema and services name them) → the intake form's input names.
INTAKE_INPUTS = {
    "matter": "matter",
    "description": "description",
    "point": "lon",
    "place": "place",
    "address": "address",
    "channel": "channel",
    "photo": "photo",
}


@router.get("/cases/new")
def intake_form(
    request: Request,
    session: DbSession,
    actor: PageActor,
    matter: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{1,59}$")] = None,
) -> Response:
    """The intake form; choosing a matter shows its attributes."""
    return _intake_page(request, session, actor, matter=matter, values=None, errors=FormErrors())


def _intake_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    matter: str | None,
    values: dict[str, object] | None,
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    definition = matters.current_definition(session, matter)[1] if matter else None
    context = {
        "actor": actor,
        "matters": matters.list_current(session),
        "definition": definition,
        "errors": errors,
        "values": values or {},
        "area": intake.home_area(session, actor),
        "max_photos": intake.MAX_INTAKE_PHOTOS,
    }
    return renderer(request).render(request, "cases/new.html", context, status_code=status_code)


@router.post("/cases/new")
async def submit_intake(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Create the case (with its photos) from the form and show it; a wrong field shows the form again."""
    form = await request.form()
    uploads = [u for u in form.getlist("photo") if isinstance(u, UploadFile) and u.filename]
    taken = [await u.read(photos.MAX_PHOTO_BYTES + 1) for u in uploads[: intake.MAX_INTAKE_PHOTOS + 1]]
    return await run_in_threadpool(_intake, request, form, taken, session, actor, clock)


def _intake(
    request: Request, form: FormData, taken: list[bytes], session: Session, actor: Actor, clock: Clock
) -> Response:
    # Database work runs in the thread pool, never on the event loop (ADR 0004).
    language = renderer(request).language(request)
    matter = str(form.get("matter") or "")
    errors = _photo_errors(taken, language)
    try:
        data = CaseCreate.model_validate(forms.case_from_form(form, session))
        if not errors:
            case = intake.report_with_photos(
                session, data=data, taken=taken, actor=actor, clock=clock, locators=request_locators(request)
            )
            return RedirectResponse(f"/cases/{case.id}", status_code=303)
    except (ValidationError, InvalidInputError) as exc:
        session.rollback()
        inputs = {**INTAKE_INPUTS, **{f"attributes.{code}": f"attr.{code}" for code in _attribute_codes(form)}}
        refused = form_errors(exc, language, inputs)
        errors.by_field.update(refused.by_field)
        errors.general.extend(refused.general)
    values: dict[str, object] = {key: _kept(form, key) for key in form if key != "photo"}
    return _intake_page(request, session, actor, matter=matter or None, values=values, errors=errors, status_code=422)


def _kept(form: FormData, key: str) -> object:
    """What the form sent for an input, to show it again: every ticked value of a multi-choice attribute."""
    if key.startswith(forms.ATTRIBUTE_PREFIX) and len(form.getlist(key)) > 1:
        return [v for v in form.getlist(key) if isinstance(v, str)]
    value = form.get(key)
    return value if isinstance(value, str) else ""


def _photo_errors(taken: list[bytes], language: str) -> FormErrors:
    errors = FormErrors()
    if len(taken) > intake.MAX_INTAKE_PHOTOS:
        errors.add("photo", translate("form.error.photo_count", language))
    for problem in {found for data in taken if (found := intake.photo_problem(data))}:
        errors.add("photo", translate(f"form.error.{problem}", language))
    return errors


def _attribute_codes(form: FormData) -> set[str]:
    return {key.removeprefix(forms.ATTRIBUTE_PREFIX) for key in form if key.startswith(forms.ATTRIBUTE_PREFIX)}


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """The case: summary, timeline, collaboration, meetings, tasks and the actions the user may take."""
    detail = queries.case_detail(session, actor, case_id, now=clock.now())
    return renderer(request).render(
        request, "cases/case.html", {"actor": actor, "case": detail, "units": forms.helper_units(session, detail)}
    )


@router.post("/cases/{case_id}/act")
async def act(request: Request, case_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Run the command a button on the case page posted."""
    body = forms.command_from_form(await request.form())
    await run_in_threadpool(service.run_command, session, case_id=case_id, body=body, actor=actor, clock=clock)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/help")
async def ask_help(
    request: Request, case_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """The lead asks the ticked units for help."""
    data = forms.help_from_form(await request.form())
    await run_in_threadpool(collaboration.ask_for_help, session, case_id=case_id, data=data, actor=actor, clock=clock)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/meeting")
async def hold_meeting(
    request: Request, case_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """Record a consultation meeting from the form."""
    data = forms.meeting_from_form(await request.form(), clock.now())
    await run_in_threadpool(meetings.convene_meeting, session, case_id=case_id, data=data, actor=actor, clock=clock)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/photo")
async def upload_photo(
    request: Request, case_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """Attach the chosen photo to the case."""
    form = await request.form()
    upload = form.get("photo")
    data = await upload.read(photos.MAX_PHOTO_BYTES + 1) if isinstance(upload, UploadFile) else b""
    await run_in_threadpool(photos.attach_photo, session, case_id=case_id, data=data, actor=actor, clock=clock)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/merge")
async def merge(request: Request, case_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Merge this case into the probable duplicate chosen on the page."""
    into = forms.merge_target(await request.form())
    await run_in_threadpool(disputes.merge_duplicate, session, case_id=case_id, into_id=into, actor=actor, clock=clock)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/supervise")
async def supervise(
    request: Request, case_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """Urge or supervise the case by hand (the dispatching centre and the level above)."""
    body = forms.supervision_from_form(await request.form())
    await run_in_threadpool(supervision.supervise_case, session, case_id=case_id, body=body, actor=actor, clock=clock)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.get("/supervision")
def supervision_page(
    request: Request,
    session: DbSession,
    actor: PageActor,
    action: Annotated[str | None, Query(pattern=r"^[a-z_]{4,20}$")] = None,
    cursor: str | None = None,
) -> Response:
    """The supervision page (督办): cards per unit, red cards first, and the latest cards."""
    return renderer(request).render(
        request,
        "cases/supervision.html",
        {
            "actor": actor,
            "units": supervision.cards_by_unit(session, actor),
            "cards": supervision.list_cards(session, actor, action=action, cursor=cursor, limit=50),
            "action": action,
        },
    )
