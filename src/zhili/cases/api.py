"""The case API under /api/v1/cases: thin handlers over the case services and queries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhili.cases import collaboration, disputes, meetings, open_items, photos, points, queries, queue_export, service
from zhili.cases.commands import CommandRequest
from zhili.cases.queue import CaseFilter
from zhili.cases.queue_export import EXPORT_RESPONSES, Format, download
from zhili.cases.queue_params import case_filter
from zhili.cases.schemas import (
    CaseCreate,
    CaseCreated,
    CaseDetail,
    CaseRead,
    CollaborationAsk,
    CollaborationReply,
    DisputeReferral,
    LeadDecision,
    MeetingCreate,
    MergeBody,
    PhotoRead,
    TaskDone,
)
from zhili.core import media
from zhili.core.auth import CurrentActor
from zhili.core.http import ClockDep, DbSession, run_in_write_session
from zhili.core.idempotency import respond_once
from zhili.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, CursorQuery, Page
from zhili.core.params import IdPath
from zhili.org.geo import request_locators

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

IdempotencyKey = Annotated[str | None, Header(max_length=200, description="makes a retried report safe")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


@router.post(
    "",
    status_code=201,
    response_model=CaseCreated,
    responses={201: {"headers": {"Location": {"description": "the whole record", "schema": {"type": "string"}}}}},
)
async def report_case(
    body: CaseCreate,
    request: Request,
    actor: CurrentActor,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Report a problem: it is validated, located, routed to one lead unit and its grid contact informed.

    The answer is the new case in brief (its number, status, version, the unit it was routed to);
    its whole record is at the Location header.
    """
    locators = request_locators(request)

    def answer(session: Session) -> JSONResponse:
        def create() -> CaseCreated:
            case = service.report_case(session, data=body, actor=actor, clock=clock, locators=locators)
            return queries.case_created(session, case)

        return respond_once(
            session,
            owner=actor.audit_name,
            key=idempotency_key,
            request=("POST", "/api/v1/cases", body),
            now=clock.now(),
            create=create,
            location=lambda created: str(created["links"]["self"]),
        )

    return await run_in_write_session(request, answer)


@router.get("")
def list_cases(
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    where: Annotated[CaseFilter, Depends(case_filter)],
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[CaseRead]:
    """Cases in your scope: search (`q`), filters, `sort`; see docs/reference/case-queue.md."""
    return queries.list_cases(session, actor, where, now=clock.now(), cursor=cursor, limit=limit)


@router.get("/export.{file_format}", response_class=Response, responses=EXPORT_RESPONSES)
def export_cases(
    file_format: Annotated[Format, Path()],
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    where: Annotated[CaseFilter, Depends(case_filter)],
    lang: Annotated[str, Query(pattern=r"^(zh|en)$")] = "zh",
) -> Response:
    """The filtered list as CSV or XLSX (every matching case in your scope, up to 10,000), by labels."""
    data = queue_export.export_file(session, actor, where, now=clock.now(), language=lang, file_format=file_format)
    return download(data, file_format)


@router.get("/points")
def case_points(
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    matter: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{1,59}$")] = None,
    bbox: Annotated[str | None, Query(max_length=120, description="west,south,east,north in degrees")] = None,
    closed: Annotated[bool, Query(description="include closed cases (grey on the map)")] = False,
) -> points.CasePoints:
    """Located cases in your scope for the map, newest first (at most 2,000), each with its light."""
    return points.case_points(
        session, actor, matter=matter, bbox=points.parse_bbox(bbox), include_closed=closed, now=clock.now()
    )


@router.get("/{case_id}")
def get_case(case_id: IdPath, session: DbSession, actor: CurrentActor, clock: ClockDep) -> CaseDetail:
    """One case with its timeline, collaboration, meetings, tasks and the commands you may issue."""
    return queries.case_detail(session, actor, case_id, now=clock.now())


@router.post("/{case_id}/commands")
async def run_command(
    case_id: IdPath, body: CommandRequest, request: Request, actor: CurrentActor, clock: ClockDep
) -> CaseDetail:
    """Issue a lifecycle command; send the `version` you read so a concurrent change is a 409.

    `close` with help requests or meeting tasks still open is a 409 unless `cancel_reason` is given:
    then they are cancelled with that reason and the case closes. On SQLite the command's write joins
    the group commit of the writes queued with it (`core.http.run_in_write_session`).
    """

    def answer(session: Session) -> CaseDetail:
        case = open_items.issue_command(session, case_id=case_id, body=body.root, actor=actor, clock=clock)
        return queries.case_detail(session, actor, case.id, now=clock.now())

    return await run_in_write_session(request, answer)


@router.post("/{case_id}/help-requests", status_code=201)
def ask_for_help(
    case_id: IdPath, body: CollaborationAsk, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> CaseDetail:
    """一键发起部门协同: the lead asks several units at once, each with its own deadline."""
    case = collaboration.ask_for_help(session, case_id=case_id, data=body, actor=actor, clock=clock)
    return queries.case_detail(session, actor, case.id, now=clock.now())


@router.post("/help-requests/{request_id}/reply")
def reply_to_help_request(
    request_id: IdPath, body: CollaborationReply, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> CaseDetail:
    """A collaborating unit answers its request with text and evidence."""
    case = collaboration.reply_to_request(session, request_id=request_id, data=body, actor=actor, clock=clock)
    return queries.case_detail(session, actor, case.id, now=clock.now())


@router.post("/{case_id}/meetings", status_code=201)
def convene_meeting(
    case_id: IdPath, body: MeetingCreate, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> CaseDetail:
    """Record a consultation meeting (会商); its decisions become tasks on the case."""
    case = meetings.convene_meeting(session, case_id=case_id, data=body, actor=actor, clock=clock)
    return queries.case_detail(session, actor, case.id, now=clock.now())


@router.post("/tasks/{task_id}/done")
def complete_task(
    task_id: IdPath, body: TaskDone, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> CaseDetail:
    """The owner unit marks a meeting task done."""
    case = meetings.complete_task(session, task_id=task_id, data=body, actor=actor, clock=clock)
    return queries.case_detail(session, actor, case.id, now=clock.now())


@router.post("/{case_id}/photos", status_code=201)
async def attach_photo(
    case_id: IdPath, photo: UploadFile, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> PhotoRead:
    """Attach a JPEG, PNG or WebP photo (at most 5 MiB; 413 / 415 otherwise); cite it as evidence `photo:<id>`."""
    data = await media.read_upload(photo)
    stored = await run_in_threadpool(photos.attach_photo, session, case_id=case_id, data=data, actor=actor, clock=clock)
    return PhotoRead(
        id=stored.id, content_type=stored.content_type, size=stored.size, sha256=stored.sha256, ref=f"photo:{stored.id}"
    )


@router.get("/photos/{photo_id}")
def get_photo(photo_id: IdPath, session: DbSession, actor: CurrentActor) -> Response:
    """A photo of a case you may see."""
    photo = photos.read_photo(session, photo_id=photo_id, actor=actor)
    return media.photo_response(photo.data, photo.content_type)


@router.post("/{case_id}/merge")
def merge_duplicate(
    case_id: IdPath, body: MergeBody, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> CaseDetail:
    """Merge a probable duplicate into another case of the same matter (the command room)."""
    disputes.merge_duplicate(session, case_id=case_id, into_id=body.into_case_id, actor=actor, clock=clock)
    return queries.case_detail(session, actor, case_id, now=clock.now())


@router.post("/{case_id}/decide-lead")
def decide_lead(
    case_id: IdPath, body: LeadDecision, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> CaseDetail:
    """The level above settles a dispute over who leads, and dispatches to that unit."""
    disputes.decide_lead(
        session, case_id=case_id, lead_unit_id=body.lead_unit_id, reason=body.reason, actor=actor, clock=clock
    )
    return queries.case_detail(session, actor, case_id, now=clock.now())


@router.post("/{case_id}/refer-dispute")
def refer_dispute(
    case_id: IdPath, body: DisputeReferral, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> CaseDetail:
    """The command room refers a dispute over the lead (its lead unit returned the case) to the level above."""
    disputes.refer_dispute(session, case_id=case_id, reason=body.reason, actor=actor, clock=clock)
    return queries.case_detail(session, actor, case_id, now=clock.now())
