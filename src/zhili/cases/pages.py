"""Case pages: the work queue, the intake form (desk and phone), the case with its timeline and actions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from http import HTTPStatus
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
    open_items,
    page_errors,
    page_names,
    page_view,
    photos,
    queries,
    queue,
    queue_export,
    rating_review,
    service,
    supervision,
)
from zhili.cases.linked import GroupSight, sees_no_group
from zhili.cases.page_errors import BLANK, FailedForm
from zhili.cases.queue import CaseFilter
from zhili.cases.queue_params import case_filter
from zhili.cases.states import MAX_EVIDENCE, CommandKind
from zhili.core import media
from zhili.core.auth import Actor, PageActor
from zhili.core.clock import Clock
from zhili.core.db import commit, deferred_commit
from zhili.core.errors import DomainError, InvalidInputError, NotFoundError
from zhili.core.http import ClockDep, DbSession, rolled_back, run_in_read_session, run_in_write_session, services
from zhili.core.kept_photos import KeptPhoto, photos_kept
from zhili.core.pagination import CursorQuery
from zhili.core.params import IdPath
from zhili.notify import inbox
from zhili.web.form_errors import FirstReason
from zhili.web.form_once import FormOnce, run_form
from zhili.web.i18n import translate
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)


@router.get("/cases")
def work_queue(
    request: Request,
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
    where: Annotated[CaseFilter, Depends(case_filter)],
    cursor: CursorQuery = None,
    handed_over: Annotated[bool, Query(description="the step just taken handed a case out of sight")] = False,
) -> Response:
    """The case queue (办件): search, filters, sort; those waiting for me first; cards on a phone."""
    page = queries.list_cases(session, actor, where, now=clock.now(), cursor=cursor, limit=50)
    mine = [case for case in page.items if case.my_turn]
    whole = cursor is None and page.next_cursor is None
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in {"cursor", "lang"}]
    context = {
        "actor": actor,
        # Each place by name from its township down (the list's rows name a grid alone otherwise).
        "places": page_names.place_paths(session, [case.place_code for case in page.items]),
        "mine": mine,
        "others": [case for case in page.items if not case.my_turn],
        # Rows come newest first, 50 to a page: the to-dos of every page are counted, and listed alone on a click.
        "mine_total": None
        if where.todo not in {None, "mine"}
        else len(mine)
        if whole  # the whole list is on this page: nothing more to count
        else queries.count_mine(session, actor, where, now=clock.now()),
        "mine_query": urlencode([*((k, v) for k, v in kept if k != "todo"), ("todo", "mine")]),
        # A to-do list's way back to every case, its other filters kept (清除筛选 below clears them all).
        "all_query": urlencode([(k, v) for k, v in kept if k != "todo"]),
        "next_cursor": page.next_cursor,
        "where": where,
        "query": urlencode(kept),
        "options": queue.filter_options(session, actor),
        "handed_over": handed_over,
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


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """The case: what the verifier needs, the timeline in words, and the forms of whoever may act now.

    Opening it marks the viewer's notices about the case read: they have seen what those say (a write
    only when one is unread, in a session that may write, after the read that found the case visible).
    """
    response = _case_response(request, session, actor, clock, case_id)
    subject = f"case:{case_id}"
    if inbox.has_unread_about(session, actor, subject):
        session.commit()  # end the read transaction; the mark is written by a session that may write
        with services(request).sessions() as writer:
            inbox.read_about(writer, actor=actor, subjects=[subject], clock=clock)
    return response


# What a user types into a command's form, shown back when the form is gone (the case moved on meanwhile).
_TYPED = ("text", "reason", "comment", "cancel_reason", "note")


def _case_response(
    request: Request,
    session: Session,
    actor: Actor,
    clock: Clock,
    case_id: int,
    failed: FailedForm = BLANK,
    status_code: int = 200,
) -> Response:
    language = renderer(request).language(request)
    view = page_view.case_page(session, actor, case_id, now=clock.now(), lang=language, sight=group_sight(request))
    # A conflict (someone else acted first) or a refusal of who acts is said at the top: the form may be
    # gone with the state it belonged to, as is the button of a command the case no longer allows, or
    # never shown to this person. The form keeps what was typed.
    command = failed.form.removeprefix("act-") if failed.form.startswith("act-") else None
    gone = command is not None and command not in view.case.allowed_commands
    said_at_top = gone or status_code in {HTTPStatus.CONFLICT, HTTPStatus.FORBIDDEN}
    at_top = failed.form != "" and said_at_top
    page = _rendered(request, actor, view, failed, status_code, at_top=at_top, gone=gone)
    if page.shown_form:
        return page.response
    if at_top:  # said at the top already, but its form is not on the page: what was typed is shown there too
        return _rendered(request, actor, view, failed, status_code, at_top=True, gone=True).response
    # The refused form is not on the page (a stale tab posted a form the case no longer offers): say it at the top.
    said = replace(failed, general=[translate("casepage.form_gone", language), *failed.general])
    return _rendered(request, actor, view, said, status_code, at_top=True, gone=True).response


def group_sight(request: Request) -> GroupSight:
    """Which command groups a viewer may open: handed over by `zhili.app` (cases sit below command groups)."""
    found: GroupSight = getattr(request.app.state, "group_sight", sees_no_group)
    return found


@dataclass
class _Rendered:
    response: Response
    shown_form: bool  # the refused form (if any) was on the page, its reasons beside its fields


def _rendered(
    request: Request,
    actor: Actor,
    view: page_view.CasePage,
    failed: FailedForm,
    status_code: int,
    *,
    at_top: bool,
    gone: bool,
) -> _Rendered:
    """The case page with a refused form's reasons beside its fields, or at the top (`at_top`)."""
    in_form = replace(failed, general=[]) if at_top else failed
    asked: set[str] = set()

    def form_for(form_id: str) -> FailedForm:
        asked.add(form_id)
        return in_form if failed.form == form_id else BLANK

    context = {
        "refused_at_top": failed if at_top else None,
        "first_reason": FirstReason(taken=at_top or not failed.form),  # the top's box: no other
        "not_sent": [typed for name in _TYPED if gone and (typed := failed.value(name).strip())],
        "actor": actor,
        "page": view,
        "case": view.case,
        "units": view.units,
        "failed": failed,
        "form_for": form_for,
    }
    response = renderer(request).render(request, "cases/case.html", context, status_code=status_code)
    return _Rendered(response, shown_form=not failed.form or failed.form in asked)


# The refusals a case-page form shows beside its fields; anything else (404, a login) is the usual answer.
_SHOWN = frozenset({403, 409, 413, 415, 422})
Work = Callable[[Session, FormData, list[str]], object]


@dataclass(frozen=True)
class _Refused:
    """A form refused, and the photos taken with it that passed their check (not stored: kept, offered again)."""

    error: ValidationError | DomainError
    taken: list[media.CheckedPhoto]


async def _on_page(
    request: Request, case_id: int, form_id: str, anchor: str, work: Work, *, actor: Actor, clock: Clock
) -> Response:
    """Run a case-page form: redirect to its place on the page, or show the page again with the reasons.

    The photos (those a refused form kept, then the new ones) and the action are one unit of work on
    the write path (`run_in_write_session`: on SQLite, the group commit); a refusal rolls both back and
    the page is read again beside the other readers, the photos that passed kept (`core.kept_photos`).
    """
    form = await request.form()
    taken = photos_kept(form, limit=MAX_EVIDENCE)
    uploads = [u for u in form.getlist("photo") if isinstance(u, UploadFile) and u.filename]
    taken += [await media.read_upload(u) for u in uploads[: max(0, MAX_EVIDENCE - len(taken))]]
    # Decoded in the thread pool, never in the writer's queue.
    checked, refusal = await run_in_threadpool(media.check_photos, taken)
    if refusal is not None:
        refused_photo = _Refused(refusal, checked)
        return await _show_refused(request, case_id, form_id, form, refused_photo, actor=actor, clock=clock)

    once = FormOnce.of(form, request.url.path)

    def attempt(session: Session) -> _Refused | None:
        refs: list[str] = []

        def act() -> None:
            with deferred_commit(session):  # the photos and the step commit together, with a form key or without
                for photo_data in checked:
                    photo = photos.attach_photo(session, case_id=case_id, data=photo_data, actor=actor, clock=clock)
                    refs.append(f"photo:{photo.id}")
                work(session, form, refs)
            commit(session)

        try:  # the same form sent twice (a double tap) acts once: the second answer is the first's
            run_form(once, session, owner=actor.audit_name, now=clock.now(), action=act)
        except (ValidationError, DomainError) as exc:
            if isinstance(exc, DomainError) and exc.status not in _SHOWN:
                raise
            return _Refused(rolled_back(session, exc), checked)
        return None

    refused = await run_in_write_session(request, attempt)
    if refused is None:
        if await run_in_read_session(request, lambda session: _still_seen(session, actor, case_id)):
            return RedirectResponse(f"/cases/{case_id}#{anchor}", status_code=303)
        # The step handed the case out of the actor's sight (a unit's 退回 or 提级): back to their queue, told so.
        return RedirectResponse("/cases?handed_over=1", status_code=303)
    return await _show_refused(request, case_id, form_id, form, refused, actor=actor, clock=clock)


def _still_seen(session: Session, actor: Actor, case_id: int) -> bool:
    """Whether the actor still sees the case after their step (a 退回 takes it from the unit that returned it)."""
    try:
        service.load_visible(session, actor, case_id)
    except NotFoundError:
        return False
    return True


async def _show_refused(
    request: Request, case_id: int, form_id: str, form: FormData, refused: _Refused, *, actor: Actor, clock: Clock
) -> Response:
    """The case page again, read beside the other readers, with the form's input and reasons."""
    failed = page_errors.failed_form(form_id, form, refused.error, renderer(request).language(request))
    # The photos that passed are shown again and sent with the form once more: a refusal loses no photo taken.
    failed.kept_photos = await run_in_threadpool(lambda: [KeptPhoto.of(photo) for photo in refused.taken])
    status = refused.error.status if isinstance(refused.error, DomainError) else 422
    return await run_in_read_session(
        request, lambda session: _case_response(request, session, actor, clock, case_id, failed, status)
    )


@router.post("/cases/{case_id}/act")
async def act(request: Request, case_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """Run the command a button on the case page posted; closing over open work asks for a decision."""

    def work(session: Session, form: FormData, refs: list[str]) -> object:
        try:
            body = forms.command_from_form(form, refs)
        except InvalidInputError as refusal:
            if form.get("command") == CommandKind.REPLY:  # every missing input at once, the evidence too
                needed = service.evidence_to_close(session, actor, case_id)
                forms.name_missing_evidence(refusal, form, refs, needed)
            raise
        return open_items.issue_command(session, case_id=case_id, body=body, actor=actor, clock=clock)

    command = str((await request.form()).get("command") or "")
    return await _on_page(request, case_id, f"act-{command}", "actions", work, actor=actor, clock=clock)


@router.post("/cases/{case_id}/help")
async def ask_help(request: Request, case_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """The lead asks the ticked units for help."""

    def work(session: Session, form: FormData, _refs: list[str]) -> object:
        data = forms.help_from_form(form)
        return collaboration.ask_for_help(session, case_id=case_id, data=data, actor=actor, clock=clock)

    return await _on_page(request, case_id, "help", "collaboration", work, actor=actor, clock=clock)


@router.post("/cases/{case_id}/help/{request_id}/reply")
async def reply_help(
    request: Request, case_id: IdPath, request_id: IdPath, actor: PageActor, clock: ClockDep
) -> Response:
    """A collaborating unit answers its request from the page: text, photos, GPS, documents."""

    def work(session: Session, form: FormData, refs: list[str]) -> object:
        data = forms.reply_from_form(form, refs)
        return collaboration.reply_to_request(session, request_id=request_id, data=data, actor=actor, clock=clock)

    return await _on_page(request, case_id, f"reply-{request_id}", f"help-{request_id}", work, actor=actor, clock=clock)


@router.post("/cases/{case_id}/tasks/{task_id}/done")
async def task_done(request: Request, case_id: IdPath, task_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """The owner unit marks a meeting task done from the page."""

    def work(session: Session, form: FormData, _refs: list[str]) -> object:
        data = forms.task_done_from_form(form)
        return meetings.complete_task(session, task_id=task_id, data=data, actor=actor, clock=clock)

    return await _on_page(request, case_id, f"task-{task_id}", f"task-{task_id}", work, actor=actor, clock=clock)


@router.post("/cases/{case_id}/meeting")
async def hold_meeting(request: Request, case_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """Record a consultation meeting from the form."""

    def work(session: Session, form: FormData, _refs: list[str]) -> object:
        data = forms.meeting_from_form(form, clock.now())
        return meetings.convene_meeting(session, case_id=case_id, data=data, actor=actor, clock=clock)

    return await _on_page(request, case_id, "meeting", "meetings", work, actor=actor, clock=clock)


@router.post("/cases/{case_id}/photo")
async def upload_photo(request: Request, case_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """Attach the chosen photo to the case."""

    def work(_session: Session, _form: FormData, refs: list[str]) -> object:
        if not refs:
            raise InvalidInputError("choose a photo", errors=[{"field": "photo", "message": "required"}])
        return refs

    return await _on_page(request, case_id, "photo", "summary", work, actor=actor, clock=clock)


@router.post("/cases/{case_id}/merge")
async def merge(request: Request, case_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """Merge this case into the probable duplicate chosen on the page."""

    def work(session: Session, form: FormData, _refs: list[str]) -> object:
        into = forms.merge_target(form)
        return disputes.merge_duplicate(session, case_id=case_id, into_id=into, actor=actor, clock=clock)

    return await _on_page(request, case_id, "merge", "summary", work, actor=actor, clock=clock)


@router.post("/cases/{case_id}/decide-lead")
async def decide_lead(request: Request, case_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """The level above settles a dispute over who leads, from the page."""

    def work(session: Session, form: FormData, _refs: list[str]) -> object:
        data = forms.lead_from_form(form)
        return disputes.decide_lead(
            session, case_id=case_id, lead_unit_id=data.lead_unit_id, reason=data.reason, actor=actor, clock=clock
        )

    return await _on_page(request, case_id, "lead", "actions", work, actor=actor, clock=clock)


@router.post("/cases/{case_id}/refer-dispute")
async def refer_dispute(request: Request, case_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """提请上级裁定: the command room hands the dispute over the lead to the level above, from the page."""

    def work(session: Session, form: FormData, _refs: list[str]) -> object:
        data = forms.referral_from_form(form)
        return disputes.refer_dispute(session, case_id=case_id, reason=data.reason, actor=actor, clock=clock)

    return await _on_page(request, case_id, "refer", "actions", work, actor=actor, clock=clock)


@router.post("/cases/{case_id}/supervise")
async def supervise(request: Request, case_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """Urge or supervise the case by hand (the dispatching centre and the level above)."""

    def work(session: Session, form: FormData, _refs: list[str]) -> object:
        body = forms.supervision_from_form(form)
        return supervision.supervise_case(session, case_id=case_id, body=body, actor=actor, clock=clock)

    return await _on_page(request, case_id, "supervise", "supervise", work, actor=actor, clock=clock)


@router.post("/cases/{case_id}/rating-review")
async def review_rating(request: Request, case_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """Uphold or overturn the citizen's rating after a call-back (the dispatching centre and the level above)."""

    def work(session: Session, form: FormData, _refs: list[str]) -> object:
        outcome, reason = (str(form.get(name) or "") for name in ("outcome", "reason"))
        return rating_review.review_rating(
            session, case_id=case_id, outcome=outcome, reason=reason, actor=actor, clock=clock
        )

    return await _on_page(request, case_id, "rating-review", "timeline", work, actor=actor, clock=clock)


# Where each form's address leads back to on the case page. A refused form is answered in place, so
# its address stays in the address bar: opening that address again (typed, bookmarked, shared: a GET)
# opens the case there. (A reload of the answer itself asks to send the form again, as browsers do.)
_FORM_PLACES = {
    "/cases/{case_id}/act": "actions",
    "/cases/{case_id}/help": "collaboration",
    "/cases/{case_id}/help/{request_id:int}/reply": "help-{request_id}",
    "/cases/{case_id}/tasks/{task_id:int}/done": "task-{task_id}",
    "/cases/{case_id}/meeting": "meetings",
    "/cases/{case_id}/photo": "summary",
    "/cases/{case_id}/merge": "summary",
    "/cases/{case_id}/decide-lead": "actions",
    "/cases/{case_id}/refer-dispute": "actions",
    "/cases/{case_id}/supervise": "supervise",
    "/cases/{case_id}/rating-review": "rating-review",
}


def _back_to_case(place: str) -> Callable[[Request, int], Response]:
    def back(request: Request, case_id: IdPath) -> Response:
        anchor = place.format_map(request.path_params)  # a request's or task's id: digits, by the path
        return RedirectResponse(f"/cases/{case_id}#{anchor}", status_code=303)

    return back


for _path, _place in _FORM_PLACES.items():
    router.add_api_route(_path, _back_to_case(_place), methods=["GET"], summary="back to the case page")


@router.get("/supervision")
def supervision_page(
    request: Request,
    session: DbSession,
    actor: PageActor,
    action: Annotated[str | None, Query(pattern=r"^[a-z_]{4,20}$")] = None,
    unit: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    cursor: CursorQuery = None,
) -> Response:
    """The supervision page (督办): cards per unit, red cards first, and the latest cards (of one unit, if chosen).

    A unit's staff have a tab of the cards their own unit received (本单位收到的): those are theirs to answer.
    """
    units = supervision.cards_by_unit(session, actor)
    return renderer(request).render(
        request,
        "cases/supervision.html",
        {
            "actor": actor,
            "units": units,
            "cards": supervision.list_cards(session, actor, unit=unit, action=action, cursor=cursor, limit=50),
            "action": action,
            "unit": unit,
            "unit_name": next((row.unit.name for row in units if row.unit and row.unit.id == unit), None),
            "own_unit": min(actor.units) if actor.units else None,
        },
    )
