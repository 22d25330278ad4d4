"""Phone pages for field staff: my tasks with a one-tap 领办, and one task with its report form."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Protocol
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from zhili.campaigns.lifecycle import MAX_PHOTOS, TaskRating, TaskState
from zhili.campaigns.tasks import export as task_export
from zhili.campaigns.tasks import forms as task_forms
from zhili.campaigns.tasks import photos as task_photos
from zhili.campaigns.tasks import queries as task_queries
from zhili.campaigns.tasks import queue as task_queue
from zhili.campaigns.tasks import reasons as task_reasons
from zhili.campaigns.tasks import reassign as task_reassign
from zhili.campaigns.tasks import service as task_service
from zhili.campaigns.tasks import store as task_store
from zhili.campaigns.tasks.queue import TaskFilter, View, task_filter
from zhili.campaigns.tasks.schemas import (
    DeclineBody,
    OverruleBody,
    RateBody,
    ReassignBody,
    ReassignCandidate,
    ReturnBody,
    TaskDetail,
    VerifyBody,
)
from zhili.core import media
from zhili.core.auth import Actor, PageActor
from zhili.core.clock import Clock
from zhili.core.db import commit, deferred_commit
from zhili.core.errors import ConflictError
from zhili.core.http import ClockDep, DbSession, rolled_back, run_in_read_session, run_in_write_session, services
from zhili.core.kept_photos import KeptPhoto, is_photo_input, photos_kept
from zhili.core.pagination import CursorQuery
from zhili.core.params import IdPath, id_in
from zhili.matters import queries as matters
from zhili.matters.schemas import MatterSummary
from zhili.notify import inbox
from zhili.org.geo import request_locators
from zhili.org.roles import SUPERVISING_ROLES, role_name
from zhili.web.form_errors import FirstReason, FormErrors
from zhili.web.form_once import FormOnce, run_form
from zhili.web.i18n import translate
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)

MatterParam = Annotated[str | None, Query(pattern=r"^([a-z][a-z0-9_]{1,59})?$")]  # empty: none chosen


@router.get("/tasks")
def my_tasks(
    request: Request,
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
    where: Annotated[TaskFilter, Depends(task_filter)],
    view: Annotated[View, Query()] = "mine",
    cursor: CursorQuery = None,
) -> Response:
    """My tasks (or `view=above`: those I verify), searched, filtered and sorted; a big 领办 button while unclaimed."""
    page = task_queries.list_tasks(session, actor, view=view, where=where, now=clock.now(), cursor=cursor, limit=50)
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k not in {"cursor", "lang"}])
    context = {
        "actor": actor,
        "page": page,
        "state": where.state,
        "view": view,
        "where": where,
        "query": query,
        # 待核验 from the workbench lists those told to the reader (`told`): the link to all they may act on
        "all_above": urlencode(
            [(k, v) for k, v in request.query_params.multi_items() if k not in {"cursor", "lang", "told"}]
        ),
        "now": clock.now(),
        "campaigns": task_queue.campaign_choices(session, actor, view),
        # 下级任务 is a tab for those above field staff; a party member or grid worker has only their own.
        "verifies": view == "above" or actor.is_admin or actor.has_any_role(SUPERVISING_ROLES),
    }
    return renderer(request).render(request, "campaigns/field_tasks.html", context)


@router.get("/campaigns/{campaign_id}/my-task")
def my_campaign_task(campaign_id: IdPath, session: DbSession, actor: PageActor) -> RedirectResponse:
    """Where a campaign's notice leads (one notice for all its recipients): straight to the reader's task.

    A reader with several tasks in the campaign (two posts), or none, gets their tasks filtered to it.
    """
    page = task_queries.list_tasks(session, actor, where=TaskFilter(campaign=campaign_id), limit=1)
    if page.items and page.next_cursor is None:
        return _back(page.items[0].id)
    return RedirectResponse(f"/tasks?campaign={campaign_id}", status_code=303)


@router.get("/tasks/export.{file_format}")
def export_tasks(
    request: Request,
    file_format: Annotated[task_export.Format, Path()],
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
    where: Annotated[TaskFilter, Depends(task_filter)],
    view: Annotated[View, Query()] = "mine",
) -> Response:
    """The task list as filtered on the page, as CSV or XLSX in the page's language."""
    language = renderer(request).language(request)
    return task_export.export_file(
        session, actor, view, where, now=clock.now(), language=language, file_format=file_format
    )


@router.get("/tasks/{task_id}")
def task_page(
    request: Request,
    task_id: IdPath,
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
    matter: MatterParam = None,
) -> Response:
    """One task: opening it marks it read; instructions, checklist, the report form, the level above's buttons.

    Opening it also marks the viewer's notices about it read: those about this task (a report to verify,
    a decline, a result), and for its recipient those about the campaign (the dispatch, reminders).
    """
    detail = task_queries.task_detail(session, actor, task_id, now=clock.now())
    subjects = [f"campaign-task:{task_id}", *([f"campaign:{detail.campaign.id}"] if detail.is_mine else [])]
    first_read = detail.is_mine and detail.state == TaskState.NOTIFIED
    if first_read or inbox.has_unread_about(session, actor, *subjects):
        session.commit()  # end the read transaction; the marks are written by a session that may write
        with services(request).sessions() as writer:
            if first_read:
                task_service.read_task(writer, task_id=task_id, actor=actor, clock=clock)
            inbox.read_about(writer, actor=actor, subjects=subjects, clock=clock)
        detail = task_queries.task_detail(session, actor, task_id, now=clock.now())
    values, photos = _returned_report(detail)
    return _render(
        request,
        session,
        actor,
        detail,
        matter=matter,
        errors=FormErrors(),
        status_code=200,
        values=values,
        stored_photos=photos,
    )


def _returned_report(detail: TaskDetail) -> tuple[dict[str, str], list[int]]:
    """A report returned to me (退回) fills the form again: its text, point, answers and photos, to mend, not retype."""
    if not (detail.is_mine and detail.returned_count and "report" in detail.allowed_actions):
        return {}, []
    values = {"text": detail.report_text or ""}
    if detail.report_point is not None:
        values |= {"lon": str(detail.report_point.lon), "lat": str(detail.report_point.lat)}
    answers = detail.report_checklist or {}
    values |= {
        f"check.{n}": "yes" if answers[item] else "no" for n, item in enumerate(detail.checklist) if item in answers
    }
    return values, [photo.id for photo in detail.photos]


@router.get("/tasks/{task_id}/raise-case")
def raise_case_fields(
    request: Request, task_id: IdPath, session: DbSession, actor: PageActor, matter: MatterParam = None
) -> Response:
    """The fields of the case a report raises, for the matter just chosen in the report form (an htmx fragment)."""
    task_store.load(session, actor, task_id)  # a task the actor sees, else 404
    context: dict[str, object] = {
        "definition": task_reasons.definition_of(session, matter),
        "v": {},
        "errors": FormErrors(),
        "refused": None,
    }
    return renderer(request).render(request, "campaigns/_raise_case.html", context)


def _render(
    request: Request,
    session: Session,
    actor: Actor,
    detail: TaskDetail,
    *,
    matter: str | None,
    errors: FormErrors,
    status_code: int,
    values: Mapping[str, str | list[str]] | None = None,
    stored_photos: list[int] | None = None,
    kept_photos: list[KeptPhoto] | None = None,
    refused: str | None = None,
) -> Response:
    """The task page; `stored_photos` are the ids a report cites again, `kept_photos` a refused report's new ones."""
    definition = matters.current_definition(session, matter)[1] if matter else None
    context = {
        "actor": actor,
        "task": detail,
        # 同时上报问题: the campaign's likeliest matters first (a typhoon's fallen trees), then the rest
        "matter_groups": _matter_groups(matters.list_current(session), detail.matters)
        if "report" in detail.allowed_actions
        else [],
        "definition": definition,
        "ratings": list(TaskRating),
        # 改派: whom the level above may hand the task to, by name and post (no codes to type).
        "candidates": _candidates(request, session, actor, detail),
        "role_name": role_name,
        "errors": errors,
        "values": values or {},
        "stored_photos": stored_photos or [],
        "kept_photos": kept_photos or [],
        "refused": refused,  # the form whose input and reasons are shown again
        "first_reason": FirstReason(taken=refused is None),  # the page opens at that form's first reason
        "report_map": task_queries.report_map(
            session, detail, translate("tasks.location", renderer(request).language(request))
        ),
    }
    return renderer(request).render(request, "campaigns/field_task.html", context, status_code=status_code)


def _matter_groups(current: list[MatterSummary], fitting: list[str]) -> list[tuple[str | None, list[MatterSummary]]]:
    """The matters a report may raise, as the select's groups: the campaign's own (in its order), then the others.

    One unnamed group when the campaign names none, or none of those it names is in the catalog.
    """
    by_code = {matter.code: matter for matter in current}
    first = [by_code[code] for code in fitting if code in by_code]
    if not first:
        return [(None, current)]
    rest = [matter for matter in current if matter.code not in fitting]
    return [("tasks.raise_case.fitting", first), *([("tasks.raise_case.other", rest)] if rest else [])]


def _candidates(request: Request, session: Session, actor: Actor, detail: TaskDetail) -> list[ReassignCandidate]:
    """改派's choices, by name and post (no codes to type), when the page offers 改派."""
    if "reassign" not in detail.allowed_actions:
        return []
    return task_reassign.candidates(session, task_id=detail.id, actor=actor, now=services(request).clock.now())


def _back(task_id: int) -> RedirectResponse:
    return RedirectResponse(f"/tasks/{task_id}", status_code=303)


@router.post("/tasks/{task_id}/claim")
async def claim(request: Request, task_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """The one-tap 领办 of the list and the task page; a double tap claims once and lands on the task both times."""
    form = await request.form()
    once = FormOnce.of(form, request.url.path)

    def write(session: Session) -> _Refused | None:
        def claim_it() -> None:
            task_service.claim_task(session, task_id=task_id, actor=actor, clock=clock)

        try:
            run_form(once, session, owner=actor.audit_name, now=clock.now(), action=claim_it)
        except ConflictError as exc:  # claimed already (another tab, a page left open): the task as it is now
            return _Refused("claim", rolled_back(session, exc))
        return None

    refused = await run_in_write_session(request, write)
    if refused is None:
        return _back(task_id)
    return await _shown_again(request, task_id, actor, clock, form, refused)


@router.post("/tasks/{task_id}/decline")
async def decline(request: Request, task_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """Decline with the reason typed on the page."""
    return await _with_reason(request, task_id, actor, clock, "decline", DeclineBody, task_service.decline_task)


class _ReasonedAction(Protocol):
    def __call__(self, session: Session, *, task_id: int, reason: str, actor: Actor, clock: Clock) -> object: ...


async def _with_reason(
    request: Request,
    task_id: int,
    actor: Actor,
    clock: Clock,
    name: str,
    schema: type[DeclineBody | ReturnBody | OverruleBody],
    action: _ReasonedAction,
) -> Response:
    """A form of one typed reason (拒领, 退回, 驳回拒领): checked as the API's body, then its use case."""
    form = await request.form()

    def write(session: Session) -> None:
        body = task_forms.body_from_form(schema, form, ("reason",))
        action(session, task_id=task_id, reason=body.reason, actor=actor, clock=clock)

    return await _submit(request, task_id, actor, clock, name, form, write)


@dataclass(frozen=True)
class _Refused:
    """A refused form of the task page (which one, why), and a report's photos: stored before, and taken now."""

    form: str
    error: Exception
    stored_photos: list[int] = field(default_factory=list)  # ids of photos stored before (a returned report's)
    taken: list[media.CheckedPhoto] = field(default_factory=list)  # this try's photos that passed, not stored
    also: Exception | None = None  # with a refused photo: what else the report lacks (its checks without a write)


FORM_REFUSALS = task_reasons.FORM_REFUSALS


async def _submit(
    request: Request,
    task_id: IdPath,
    actor: Actor,
    clock: Clock,
    name: str,
    form: FormData,
    write: Callable[[Session], None],
) -> Response:
    """A short form of the task page: its write, then back to the page, or the page again when it is refused.

    The same form sent twice (a double tap) writes once and answers the second as the first (`web.form_once`).
    """
    once = FormOnce.of(form, request.url.path)

    def attempt(session: Session) -> _Refused | None:
        try:
            run_form(once, session, owner=actor.audit_name, now=clock.now(), action=lambda: write(session))
        except FORM_REFUSALS as exc:
            return _Refused(name, rolled_back(session, exc))
        return None

    refused = await run_in_write_session(request, attempt)
    if refused is None:
        return _back(task_id)
    return await _shown_again(request, task_id, actor, clock, form, refused)


async def _shown_again(
    request: Request,
    task_id: int,
    actor: Actor,
    clock: Clock,
    form: FormData,
    refused: _Refused,
    *,
    matter: str | None = None,
) -> Response:
    """The one answer to a refused form of the task page: the page again, the input kept, each reason by its input."""
    exc = refused.error
    status = exc.status if isinstance(exc, (*media.PHOTO_REFUSALS, ConflictError)) else 422
    language = renderer(request).language(request)
    values: dict[str, str | list[str]] = {
        key: value
        for key, value in form.items()
        if isinstance(value, str) and key != "csrf_token" and not is_photo_input(key)
    }
    # Every box ticked of a raised case's multi-choice field is kept, not only the last.
    values |= {
        key: [v for v in form.getlist(key) if isinstance(v, str)]
        for key in form
        if key.startswith(task_forms.ATTRIBUTE_PREFIX) and len(form.getlist(key)) > 1
    }

    # The photos that passed are shown again and sent with the form once more: a refusal loses no photo taken.
    kept = await run_in_threadpool(lambda: [KeptPhoto.of(photo) for photo in refused.taken[:MAX_PHOTOS]])

    def shown(session: Session) -> Response:
        definition = task_reasons.definition_of(session, matter)
        codes = [attribute.code for attribute in definition.attributes] if definition is not None else []
        errors = task_reasons.form_errors_of(refused.form, exc, language, codes)
        if refused.also is not None:  # the refused photo says why itself: the rest is told beside it
            also = task_reasons.form_errors_of(refused.form, refused.also, language, codes)
            for name, messages in also.by_field.items():
                if name != "photos":
                    errors.by_field.setdefault(name, []).extend(messages)
        detail = task_queries.task_detail(session, actor, task_id, now=clock.now())
        return _render(
            request,
            session,
            actor,
            detail,
            matter=matter,
            errors=errors,
            status_code=status,
            values=values,
            stored_photos=refused.stored_photos,
            kept_photos=kept,
            refused=refused.form,
        )

    return await run_in_read_session(request, shown)


@router.post("/tasks/{task_id}/report")
async def report(request: Request, task_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """回单 from the phone: its photos and the report are stored together; a wrong form is shown again.

    The photos (those a refused form kept, then the new ones) are decoded in the thread pool first; the
    photos and the report are one unit of work on the write path (`run_in_write_session`: on SQLite, the
    group commit). A refused form is read again beside the other readers and keeps the photos that
    passed (`core.kept_photos`): nothing of a refused report is stored, so nothing of it can be lost.
    """
    form = await request.form()
    uploads = [item for item in form.getlist("photos") if isinstance(item, UploadFile) and item.filename]
    taken = photos_kept(form, limit=MAX_PHOTOS + 1)
    taken += [await media.read_upload(upload) for upload in uploads[: max(0, MAX_PHOTOS + 1 - len(taken))]]
    ready, refusal = await run_in_threadpool(media.check_photos, taken)
    locators = request_locators(request)
    matter = task_forms.text(form, "matter")
    # Photos stored before (a returned report's, cited again by their ids).
    stored = [photo for v in form.getlist("photo_id") if isinstance(v, str) and (photo := id_in(v)) is not None]

    once = FormOnce.of(form, request.url.path)  # a report sent twice (a poor connection) is written once

    def attempt(session: Session) -> _Refused | None:
        ids = list(stored)

        def write() -> None:
            # The photos and the report commit together, with a form key or without one.
            with deferred_commit(session):
                detail = task_queries.task_detail(session, actor, task_id, now=clock.now())
                definition = task_reasons.definition_of(session, matter)
                ids.extend(
                    task_photos.attach_task_photo(session, task_id=task_id, data=data, actor=actor, clock=clock).id
                    for data in ready
                )
                body = task_reasons.report_body(
                    session, form, task_id, actor, photo_ids=ids, checklist=detail.checklist, definition=definition
                )
                task_service.report_task(
                    session, task_id=task_id, data=body, actor=actor, clock=clock, locators=locators
                )
            commit(session)

        try:
            run_form(once, session, owner=actor.audit_name, now=clock.now(), action=write)
        except (*FORM_REFUSALS, *media.PHOTO_REFUSALS) as exc:
            return _Refused("report", rolled_back(session, exc), list(stored), ready)
        return None

    # A refused photo is shown again without a write: the report does not enter the writer's queue; the rest of
    # the form is checked beside the other readers, so its reasons come with the photo's.
    refused: _Refused | None
    if refusal is not None:

        def checked(session: Session) -> Exception | None:
            return task_reasons.other_reasons(session, form, task_id, actor, clock, photo_ids=stored, matter=matter)

        refused = _Refused("report", refusal, stored, ready, also=await run_in_read_session(request, checked))
    else:
        refused = await run_in_write_session(request, attempt)
    if refused is None:
        return _back(task_id)
    return await _shown_again(request, task_id, actor, clock, form, refused, matter=matter)


@router.post("/tasks/{task_id}/verify")
async def verify(request: Request, task_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """核验通过 from the task page."""
    form = await request.form()

    def write(session: Session) -> None:
        body = task_forms.body_from_form(VerifyBody, form, ("note",), optional=frozenset({"note"}))
        task_service.verify_task(session, task_id=task_id, note=body.note, actor=actor, clock=clock)

    return await _submit(request, task_id, actor, clock, "verify", form, write)


@router.post("/tasks/{task_id}/return")
async def send_back(request: Request, task_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """退回 with the reason typed on the page."""
    return await _with_reason(request, task_id, actor, clock, "return", ReturnBody, task_service.return_task)


@router.post("/tasks/{task_id}/overrule")
async def overrule(request: Request, task_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """驳回拒领 with the reason typed on the page."""
    return await _with_reason(request, task_id, actor, clock, "overrule", OverruleBody, task_service.overrule_decline)


@router.post("/tasks/{task_id}/rate")
async def rate(request: Request, task_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """Rate a verified task from the page."""
    form = await request.form()

    def write(session: Session) -> None:
        body = task_forms.body_from_form(RateBody, form, ("rating", "comment"), optional=frozenset({"comment"}))
        task_service.rate_task(session, task_id=task_id, data=body, actor=actor, clock=clock)

    return await _submit(request, task_id, actor, clock, "rate", form, write)


@router.post("/tasks/{task_id}/reassign")
async def reassign(request: Request, task_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """改派 from the task page: the person chosen from the candidates, and a word for them."""
    form = await request.form()

    def write(session: Session) -> None:
        optional = frozenset({"position_id", "note"})  # a blank choice is "required", not "a number"
        body = task_forms.body_from_form(ReassignBody, form, ("position_id", "note"), optional=optional)
        task_reassign.reassign_task(session, task_id=task_id, data=body, actor=actor, clock=clock)

    return await _submit(request, task_id, actor, clock, "reassign", form, write)
