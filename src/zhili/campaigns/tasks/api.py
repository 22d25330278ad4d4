"""The task API under /api/v1/tasks: my tasks, one task, and its lifecycle (领办, 回单, 核验, 退回, 评价, 改派)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from zhili.campaigns.tasks import export as task_export
from zhili.campaigns.tasks import photos as task_photos
from zhili.campaigns.tasks import queries as task_queries
from zhili.campaigns.tasks import reassign as task_reassign
from zhili.campaigns.tasks import service as task_service
from zhili.campaigns.tasks.queue import TaskFilter, View, task_filter
from zhili.campaigns.tasks.schemas import (
    DeclineBody,
    OverruleBody,
    RateBody,
    ReassignBody,
    ReassignCandidate,
    ReportBody,
    ReturnBody,
    TaskDetail,
    TaskPhotoRead,
    TaskRead,
    VerifyBody,
)
from zhili.core import media
from zhili.core.auth import CurrentActor
from zhili.core.http import ClockDep, DbSession
from zhili.core.idempotency import respond_once
from zhili.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, CursorQuery, Page
from zhili.core.params import IdPath
from zhili.org.geo import request_locators

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
IdempotencyKey = Annotated[str | None, Header(max_length=200, description="makes a retried 改派 safe")]


@router.get("")
def list_tasks(
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    where: Annotated[TaskFilter, Depends(task_filter)],
    view: Annotated[View, Query(description="mine: sent to me; above: the ones I verify")] = "mine",
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[TaskRead]:
    """My campaign tasks (or, with `view=above`, those I verify): search `q`, filters, `sort`; newest first."""
    return task_queries.list_tasks(session, actor, view=view, where=where, now=clock.now(), cursor=cursor, limit=limit)


@router.get("/export.{file_format}", response_class=Response, responses=task_export.EXPORT_RESPONSES)
def export_tasks(
    file_format: Annotated[task_export.Format, Path()],
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    where: Annotated[TaskFilter, Depends(task_filter)],
    view: Annotated[View, Query()] = "mine",
    lang: Annotated[str, Query(pattern=r"^(zh|en)$")] = "zh",
) -> Response:
    """The filtered task list as CSV or XLSX (up to 20,000 rows), by labels, in local time."""
    return task_export.export_file(session, actor, view, where, now=clock.now(), language=lang, file_format=file_format)


@router.get("/{task_id}")
def get_task(task_id: IdPath, session: DbSession, actor: CurrentActor, clock: ClockDep) -> TaskDetail:
    """One task: instructions, checklist, report, photos, cascade path, points and what you may do."""
    return task_queries.task_detail(session, actor, task_id, now=clock.now())


@router.post("/{task_id}/read")
def read_task(task_id: IdPath, session: DbSession, actor: CurrentActor, clock: ClockDep) -> TaskDetail:
    """Mark my task read (opening it again changes nothing)."""
    task_service.read_task(session, task_id=task_id, actor=actor, clock=clock)
    return task_queries.task_detail(session, actor, task_id, now=clock.now())


@router.post("/{task_id}/claim")
def claim_task(task_id: IdPath, session: DbSession, actor: CurrentActor, clock: ClockDep) -> TaskDetail:
    """领办: take my task on; twice, or someone else's, is refused (409 / 404)."""
    task_service.claim_task(session, task_id=task_id, actor=actor, clock=clock)
    return task_queries.task_detail(session, actor, task_id, now=clock.now())


@router.post("/{task_id}/decline")
def decline_task(
    task_id: IdPath, body: DeclineBody, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> TaskDetail:
    """Decline my task with a reason (before claiming it)."""
    task_service.decline_task(session, task_id=task_id, reason=body.reason, actor=actor, clock=clock)
    return task_queries.task_detail(session, actor, task_id, now=clock.now())


@router.post("/{task_id}/photos", status_code=201)
async def upload_photo(
    task_id: IdPath, photo: UploadFile, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> TaskPhotoRead:
    """Upload a JPEG, PNG or WebP photo for my claimed task's report (at most 5 MiB; 413 / 415 otherwise)."""
    data = await media.read_upload(photo)
    stored = await run_in_threadpool(
        task_photos.attach_task_photo, session, task_id=task_id, data=data, actor=actor, clock=clock
    )
    return TaskPhotoRead(
        id=stored.id,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        url=f"/api/v1/tasks/photos/{stored.id}",
    )


@router.get("/photos/{photo_id}")
def get_photo(photo_id: IdPath, session: DbSession, actor: CurrentActor) -> Response:
    """A report photo of a task you may see."""
    photo = task_photos.read_task_photo(session, photo_id=photo_id, actor=actor)
    return media.photo_response(photo.data, photo.content_type)


@router.post("/{task_id}/report")
def report_task(
    task_id: IdPath, body: ReportBody, request: Request, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> TaskDetail:
    """回单: text, photo ids, GPS point and checklist as the task asks (422 names what is missing).

    A point more than 2 km outside the task's division is flagged `is_far`, not refused. With
    `raise_case`, a case (channel `campaign`) is reported at the point and linked as `case_id`.
    """
    task_service.report_task(
        session, task_id=task_id, data=body, actor=actor, clock=clock, locators=request_locators(request)
    )
    return task_queries.task_detail(session, actor, task_id, now=clock.now())


@router.post("/{task_id}/verify")
def verify_task(
    task_id: IdPath, session: DbSession, actor: CurrentActor, clock: ClockDep, body: VerifyBody | None = None
) -> TaskDetail:
    """核验: the level above accepts the report."""
    note = body.note if body else None
    task_service.verify_task(session, task_id=task_id, note=note, actor=actor, clock=clock)
    return task_queries.task_detail(session, actor, task_id, now=clock.now())


@router.post("/{task_id}/return")
def return_task(
    task_id: IdPath, body: ReturnBody, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> TaskDetail:
    """退回: the level above sends the report back with a reason; the task is claimed again."""
    task_service.return_task(session, task_id=task_id, reason=body.reason, actor=actor, clock=clock)
    return task_queries.task_detail(session, actor, task_id, now=clock.now())


@router.post("/{task_id}/overrule")
def overrule_decline(
    task_id: IdPath, body: OverruleBody, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> TaskDetail:
    """驳回拒领: the level above does not accept the decline; the task is back with its recipient (read, to claim).

    The reason is told to the recipient. 409 unless the task is declined; 403 for anyone but the level above.
    """
    task_service.overrule_decline(session, task_id=task_id, reason=body.reason, actor=actor, clock=clock)
    return task_queries.task_detail(session, actor, task_id, now=clock.now())


@router.post("/{task_id}/rate")
def rate_task(task_id: IdPath, body: RateBody, session: DbSession, actor: CurrentActor, clock: ClockDep) -> TaskDetail:
    """The level above rates a verified task: good, ok or poor."""
    task_service.rate_task(session, task_id=task_id, data=body, actor=actor, clock=clock)
    return task_queries.task_detail(session, actor, task_id, now=clock.now())


@router.get("/{task_id}/candidates")
def reassign_candidates(
    task_id: IdPath, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> list[ReassignCandidate]:
    """Whom you may hand this task to (改派): posts in its division, their holders without a task in the campaign.

    Empty unless you are the level above and the task is declined, or unclaimed past its claim time.
    """
    return task_reassign.candidates(session, task_id=task_id, actor=actor, now=clock.now())


@router.post("/{task_id}/reassign", response_model=TaskDetail)
def reassign_task(
    task_id: IdPath,
    body: ReassignBody,
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """改派: the level above hands a declined task, or one unclaimed past its claim time, to one of its candidates.

    The old task ends as `reassigned` (its `reassigned_to` names the new one, the Location header its URL);
    the new one starts with fresh clocks and its recipient is told. A retry with the same Idempotency-Key
    answers as the first did and hands nothing over twice.
    """

    def reassign() -> TaskDetail:
        task_reassign.reassign_task(session, task_id=task_id, data=body, actor=actor, clock=clock)
        return task_queries.task_detail(session, actor, task_id, now=clock.now())

    return respond_once(
        session,
        owner=actor.audit_name,
        key=idempotency_key,
        request=("POST", f"/api/v1/tasks/{task_id}/reassign", body),
        now=clock.now(),
        create=reassign,
        location=_new_task_url,
        status_code=200,
    )


def _new_task_url(done: Mapping[str, Any]) -> str:
    """The new task's URL from the answer: a `TaskLink` first time, its stored JSON on a replay."""
    link = done["reassigned_to"]
    new_id = link["id"] if isinstance(link, Mapping) else link.id
    return f"/api/v1/tasks/{new_id}"
