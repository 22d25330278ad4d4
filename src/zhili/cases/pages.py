"""Case pages: the work queue, the intake form (desk and phone), the case with its timeline and actions."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from zhili.cases import (
    collaboration,
    disputes,
    forms,
    meetings,
    photos,
    queries,
    queue,
    queue_export,
    service,
    supervision,
)
from zhili.cases.queue import CaseFilter
from zhili.cases.queue_params import case_filter
from zhili.cases.schemas import CaseCreate
from zhili.core.auth import Actor, PageActor
from zhili.core.clock import Clock
from zhili.core.errors import InvalidInputError
from zhili.core.http import ClockDep, DbSession
from zhili.core.params import IdPath
from zhili.matters import queries as matters
from zhili.org.geo import request_locators
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)


@router.get("/cases")
def work_queue(
    request: Request,
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
    where: Annotated[CaseFilter, Depends(case_filter)],
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The case queue (办件): search, filters, sort; those waiting for me first; cards on a phone."""
    page = queries.list_cases(session, actor, where, now=clock.now(), cursor=cursor, limit=50)
    context = {
        "actor": actor,
        "mine": [case for case in page.items if case.allowed_commands],
        "others": [case for case in page.items if not case.allowed_commands],
        "next_cursor": page.next_cursor,
        "where": where,
        "query": urlencode([(k, v) for k, v in request.query_params.multi_items() if k not in {"cursor", "lang"}]),
        "options": queue.filter_options(session, actor),
    }
    return renderer(request).render(request, "cases/queue.html", context)


@router.get("/cases/export.{file_format}")
def export_queue(
    request: Request,
    file_format: Annotated[queue_export.Format, Path()],
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
    where: Annotated[CaseFilter, Depends(case_filter)],
) -> Response:
    """The queue as filtered on the page, as CSV or XLSX in the page's language."""
    language = renderer(request).language(request)
    data = queue_export.export_file(session, actor, where, now=clock.now(), language=language, file_format=file_format)
    return queue_export.download(data, file_format)


@router.get("/cases/new")
def intake_form(
    request: Request,
    session: DbSession,
    actor: PageActor,
    matter: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{1,59}$")] = None,
) -> Response:
    """The intake form; choosing a matter shows its attributes."""
    definition = matters.current_definition(session, matter)[1] if matter else None
    return renderer(request).render(
        request,
        "cases/new.html",
        {"actor": actor, "matters": matters.list_current(session), "definition": definition, "errors": []},
    )


@router.post("/cases/new")
async def submit_intake(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Create the case from the form and show it; a wrong field shows the form again with the reasons."""
    form = await request.form()
    return await run_in_threadpool(_intake, request, form, session, actor, clock)


def _intake(request: Request, form: FormData, session: Session, actor: Actor, clock: Clock) -> Response:
    # Database work runs in the thread pool, never on the event loop (ADR 0004).
    try:
        data = CaseCreate.model_validate(forms.case_from_form(form, session))
        case = service.report_case(session, data=data, actor=actor, clock=clock, locators=request_locators(request))
    except (ValidationError, InvalidInputError) as exc:
        matter = str(form.get("matter") or "")
        definition = matters.current_definition(session, matter)[1] if matter else None
        return renderer(request).render(
            request,
            "cases/new.html",
            {
                "actor": actor,
                "matters": matters.list_current(session),
                "definition": definition,
                "errors": forms.messages(exc),
                "values": dict(form),
            },
            status_code=422,
        )
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


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
