"""A command group's page (`/groups/{id}`), its polled timeline, and the forms on it.

Each form handler reads its fields, calls one service in the thread pool and goes back to the group
(303); a refused form shows the page again with its input and the error beside its field (422), a
clash (the group closed, someone answered first) a note at the top (409).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhili.command_groups import forms, groups, queries
from zhili.command_groups.instructions import answer_instruction, issue_instruction
from zhili.command_groups.lifecycle import GroupAction, InstructionState, MemberRole, form_keys, refused
from zhili.command_groups.members import add_members, remove_member, set_role
from zhili.command_groups.timeline import post_message
from zhili.command_groups.visibility import load_group
from zhili.core.auth import Actor, PageActor
from zhili.core.clock import Clock
from zhili.core.errors import ConflictError, InvalidInputError
from zhili.core.http import ClockDep, DbSession
from zhili.core.kept_photos import KeptPhoto, photos_kept
from zhili.core.media import PHOTO_REFUSALS, CheckedPhoto, check_photo, read_upload
from zhili.core.params import IdPath
from zhili.web.form_errors import FirstReason
from zhili.web.form_once import FormOnce, run_form
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)
STATE_ACTIONS = {a.value: a for a in (GroupAction.STABILISE, GroupAction.REACTIVATE, GroupAction.CLOSE)}
After = Annotated[int, Query(ge=0, le=2**31 - 1)]
Shown = Annotated[str, Query(max_length=10)]


def _render(
    request: Request,
    session: Session,
    actor: Actor,
    clock: Clock,
    group_id: int,
    *,
    form_name: str = "",
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    note: str = "",
    status: int = 200,
    kept_photos: list[KeptPhoto] | None = None,
) -> Response:
    language = renderer(request).language(request)
    view = queries.group_view(session, actor, group_id, now=clock.now(), language=language)
    entries = queries.entries_of(session, view.group, language=language, limit=-queries.TIMELINE_LIMIT)
    context = {
        "actor": actor,
        "view": view,
        "entries": entries,
        "last_entry": entries[-1].id if entries else 0,
        "units": queries.member_units(session, group_id),
        "roles": list(MemberRole),
        "form_name": form_name,
        "form": form or {},
        "errors": errors or {},
        # A refused form's page opens at its first reason (focused: a phone scrolls down to it); a clash
        # is told at the top, where the page opens anyway.
        "first_reason": FirstReason(taken=not errors),
        "note": note,
        "now": clock.now(),
        # The photo of a refused post, shown again and sent with it once more (`core.kept_photos`).
        "kept_photos": kept_photos or [],
    }
    return renderer(request).render(request, "command_groups/group.html", context, status_code=status)


@dataclass(frozen=True, slots=True)
class _Form:
    """One form posted on a group's page: where it came from and what was typed."""

    request: Request
    session: Session
    actor: Actor
    clock: Clock
    group_id: int
    name: str
    typed: dict[str, Any]
    once: FormOnce | None  # the same form sent twice acts once (`web.form_once`)
    kept_photos: list[KeptPhoto] = field(default_factory=list)  # a refused post's photo, offered again

    async def refuse(self, errors: dict[str, str] | None = None, *, note: str = "", status: int = 422) -> Response:
        """The page again, with this form's input and its errors."""
        return await run_in_threadpool(
            _render,
            self.request,
            self.session,
            self.actor,
            self.clock,
            self.group_id,
            form_name=self.name,
            form=self.typed,
            errors=errors,
            note=note,
            status=status,
            kept_photos=self.kept_photos,
        )

    async def run(self, call: Callable[[], object], *, anchor: str) -> Response:
        """Call the service; back to the group, or the page again with the refusal."""
        owner, now = self.actor.audit_name, self.clock.now()
        try:
            await run_in_threadpool(lambda: run_form(self.once, self.session, owner=owner, now=now, action=call))
        except InvalidInputError as refusal:
            self.session.rollback()
            return await self.refuse(form_keys(refusal))
        except ConflictError as clash:
            self.session.rollback()
            return await self.refuse(note=clash.detail, status=409)
        return RedirectResponse(f"/groups/{self.group_id}#{anchor}", status_code=303)


async def _form(
    request: Request, session: Session, actor: Actor, clock: Clock, *, group_id: int, name: str, fields: tuple[str, ...]
) -> tuple[_Form, Any]:
    raw = await request.form()
    typed: dict[str, Any] = {field: str(raw.get(field) or "").strip() for field in fields}
    once = FormOnce.of(raw, request.url.path)
    return _Form(request, session, actor, clock, group_id, name, typed, once), raw


@router.get("/groups/{group_id}")
def group_page(request: Request, group_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """A group: its state and members, instructions with who has answered, the live timeline and what I may do."""
    return _render(request, session, actor, clock, group_id)


@router.get("/groups/{group_id}/timeline")
def timeline_part(
    request: Request, group_id: IdPath, session: DbSession, actor: PageActor, after: After = 0, state: Shown = ""
) -> Response:
    """The timeline's new lines since `after` (the page polls this), and the poller that asks for the next ones.

    When the group's state is no longer the one the page shows (`state`), the page reloads itself
    (`HX-Refresh`), so nobody keeps typing into a group that was closed meanwhile.
    """
    group = load_group(session, actor, group_id)
    if state and state != group.state:
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    language = renderer(request).language(request)
    entries = queries.entries_of(session, group, after_id=after, language=language)
    last = entries[-1].id if entries else after
    context = {"entries": entries, "group_id": group_id, "last_entry": last, "state": group.state}
    return renderer(request).render(request, "command_groups/_timeline_more.html", context)


@router.post("/groups/{group_id}/posts")
async def post_from_form(
    request: Request, group_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """Post to the timeline: words, a photo, the place (typed or from the phone)."""
    form, raw = await _form(
        request, session, actor, clock, group_id=group_id, name="post", fields=("body", "lon", "lat")
    )
    shown = await _photo_and_place(form, raw)
    if isinstance(shown, Response):
        return shown
    form, photo, point = shown
    body = form.typed["body"]
    return await form.run(
        lambda: post_message(session, group_id=group_id, body=body, point=point, photo=photo, actor=actor, clock=clock),
        anchor="timeline",
    )


async def _photo_and_place(
    form: _Form, raw: Any
) -> tuple[_Form, CheckedPhoto | None, tuple[float, float] | None] | Response:
    """A form's photo (checked) and place (both optional): the form keeping the photo, or the page refusing them.

    A photo that passed is kept on the form, so a refusal after it shows the photo again and sends it once more.
    """
    try:
        photo = await _post_photo(raw)
    except PHOTO_REFUSALS:
        return await form.refuse({"photo": "group.error.photo"})
    if photo is not None:
        form = replace(form, kept_photos=[await run_in_threadpool(KeptPhoto.of, photo)])
    where = forms.place(form.typed["lon"], form.typed["lat"])
    if where.error:
        return await form.refuse({"lon": where.error})
    return form, photo, where.point


async def _post_photo(raw: Any) -> CheckedPhoto | None:
    """The post's photo, checked: one newly chosen, else the one a refused post kept (unless removed)."""
    upload = raw.get("photo")
    if upload is not None and not isinstance(upload, str) and upload.filename:
        data = await read_upload(upload)
    else:
        kept = photos_kept(raw, limit=1)
        if not kept:
            return None
        data = kept[0]
    return await run_in_threadpool(check_photo, data)


@router.post("/groups/{group_id}/instructions")
async def instruct_from_form(
    request: Request, group_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """下达指令: the words, a deadline, and the members (or a unit's members) it goes to."""
    form, raw = await _form(
        request, session, actor, clock, group_id=group_id, name="instruct", fields=("body", "deadline", "unit")
    )
    people = form.typed["people"] = forms.ids(raw, "person")
    due = forms.deadline(form.typed["deadline"])  # None: refused by the service with the other reasons
    unit = forms.optional_id(form.typed["unit"])
    body = form.typed["body"]
    return await form.run(
        lambda: issue_instruction(
            session,
            group_id=group_id,
            body=body,
            deadline_at=due,
            person_ids=people,
            unit_id=unit,
            actor=actor,
            clock=clock,
        ),
        anchor="instructions",
    )


@router.post("/groups/{group_id}/instructions/{instruction_id}")
async def answer_from_form(
    request: Request, group_id: IdPath, instruction_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """签收 or 办结 my copy of an instruction (办结 says what was done, with a photo and the place if given)."""
    form, raw = await _form(
        request,
        session,
        actor,
        clock,
        group_id=group_id,
        name=f"answer-{instruction_id}",
        fields=("reply", "lon", "lat"),
    )
    to = InstructionState.DONE if raw.get("to") == "done" else InstructionState.ACKNOWLEDGED
    shown = await _photo_and_place(form, raw)
    if isinstance(shown, Response):
        return shown
    form, photo, point = shown
    reply = form.typed["reply"]
    return await form.run(
        lambda: answer_instruction(
            session,
            instruction_id=instruction_id,
            to=to,
            reply=reply,
            actor=actor,
            clock=clock,
            group_id=group_id,
            photo=photo,
            point=point,
        ),
        anchor=f"instruction-{instruction_id}",
    )


@router.post("/groups/{group_id}/members")
async def add_from_form(
    request: Request, group_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """拉人入组: the people ticked in the search, each in their role."""
    form, raw = await _form(request, session, actor, clock, group_id=group_id, name="members", fields=())
    members = forms.chosen_members(raw)
    return await form.run(
        lambda: add_members(session, group_id=group_id, members=members, actor=actor, clock=clock), anchor="members"
    )


@router.post("/groups/{group_id}/members/{person_id}")
async def member_from_form(
    request: Request, group_id: IdPath, person_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """A member's role changed, or the member taken off (`leave`)."""
    form, _raw = await _form(request, session, actor, clock, group_id=group_id, name="members", fields=("role",))
    role = form.typed["role"]

    def call() -> None:
        if role == "leave":
            remove_member(session, group_id=group_id, person_id=person_id, actor=actor, clock=clock)
        elif role in set(MemberRole):
            set_role(session, group_id=group_id, person_id=person_id, role=MemberRole(role), actor=actor, clock=clock)
        else:
            raise refused("role", "group.error.role", "choose a role")

    return await form.run(call, anchor="members")


@router.post("/groups/{group_id}/state")
async def state_from_form(
    request: Request, group_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """稳控, 重新启动 or 关闭 (closing asks for a summary and compiles the report)."""
    form, _raw = await _form(request, session, actor, clock, group_id=group_id, name="state", fields=("note", "action"))
    action = STATE_ACTIONS.get(form.typed["action"])
    if action is None:
        return await form.refuse({"action": "group.error.action"})
    note = form.typed["note"]
    return await form.run(
        lambda: groups.change_state(session, group_id=group_id, action=action, note=note, actor=actor, clock=clock),
        anchor="report" if action == GroupAction.CLOSE else "top",
    )
