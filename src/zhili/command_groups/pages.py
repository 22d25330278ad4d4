"""The command groups' pages: the list, the opening form, a group's page with its live timeline, the report.

Handlers are thin: read the form, call one service in the thread pool, and either go back to the group
(303) or show the page again with the input kept and each error beside its field (422; 409 as a note).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhili.command_groups import forms, groups, queries
from zhili.command_groups.groups import OPENING_ROLES, GroupOpen
from zhili.command_groups.instructions import answer_instruction, issue_instruction
from zhili.command_groups.lifecycle import GroupAction, InstructionState, MemberRole, form_keys
from zhili.command_groups.members import add_members, remove_member, set_role
from zhili.command_groups.report import ClosureReport
from zhili.command_groups.timeline import post_message
from zhili.command_groups.visibility import campaign_origin, case_origin
from zhili.core.auth import Actor, PageActor
from zhili.core.clock import Clock
from zhili.core.errors import ConflictError, InvalidInputError
from zhili.core.http import ClockDep, DbSession
from zhili.core.media import PHOTO_REFUSALS, check_photo, photo_response, read_upload
from zhili.core.params import IdPath
from zhili.org import queries as org
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)
Search = Annotated[str, Query(max_length=40)]
OriginId = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
STATE_ACTIONS = {a.value: a for a in (GroupAction.STABILISE, GroupAction.REACTIVATE, GroupAction.CLOSE)}


def _language(request: Request) -> str:
    return renderer(request).language(request)


@router.get("/groups")
def list_page(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """指挥组: the groups I am in or whose area I oversee, open ones first."""
    found = queries.list_groups(session, actor, now=clock.now())
    return renderer(request).render(
        request,
        "command_groups/list.html",
        {"actor": actor, "groups": found, "may_open": actor.has_any_role(OPENING_ROLES)},
    )


def _areas(session: Session, actor: Actor) -> list[Any]:
    roots = org.scope_roots(session, actor)
    areas: list[Any] = []
    for root in roots:
        areas.append(root)
        areas.extend(org.child_divisions(session, root.code))
    return [a for a in areas if a.level in {"county", "township", "village"}]


def _new_page(
    request: Request, session: Session, actor: Actor, *, form: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    chosen = form.get("members", [])
    people = queries.people_labels(session, [m.person_id for m in chosen], _language(request))
    return renderer(request).render(
        request,
        "command_groups/new.html",
        {
            "actor": actor,
            "form": form,
            "errors": errors,
            "areas": _areas(session, actor),
            "chosen": [(people[m.person_id], m.role) for m in chosen if m.person_id in people],
            "roles": list(MemberRole),
        },
        status_code=status,
    )


@router.get("/groups/new")
def new_page(
    request: Request, session: DbSession, actor: PageActor, case: OriginId = None, campaign: OriginId = None
) -> Response:
    """成立指挥组: title, summary, area and the people pulled in; from a case or a campaign, its words filled in."""
    form: dict[str, Any] = {}
    if campaign is not None:
        found = campaign_origin(session, actor, campaign)
        form = {"campaign": str(found.id), "origin_number": found.number, "summary": found.message}
        form |= {"area": found.division_code, "title": f"{found.title}指挥组"}
    if case is not None:
        origin = case_origin(session, actor, case)
        township = origin.place_code[:9] if len(origin.place_code) >= 9 else origin.place_code  # noqa: PLR2004
        form = {"case": str(origin.id), "origin_number": origin.number, "summary": origin.description, "area": township}
        form["title"] = f"{origin.number} 处置指挥组"
    return _new_page(request, session, actor, form=form, errors={})


@router.get("/groups/people")
def people_search(request: Request, session: DbSession, actor: PageActor, q: Search = "") -> Response:
    """The people search of the member pickers (names, or a phone number; people in my scope)."""
    text = q.strip()
    found = (
        []
        if not text
        else org.list_people(
            session, actor, division_code=None, department_id=None, role=None, text=text, cursor=None, limit=20
        ).items
    )
    labels = queries.people_labels(session, [p.id for p in found], _language(request))
    return renderer(request).render(
        request,
        "command_groups/_people.html",
        {"people": [labels[p.id] for p in found if p.id in labels], "roles": list(MemberRole), "q": text},
    )


@router.post("/groups")
async def open_from_form(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Open a group from the form; refused, the form comes back with its input and each error by its field."""
    raw = await request.form()
    form: dict[str, Any] = {
        name: str(raw.get(name) or "").strip()
        for name in ("title", "summary", "area", "case", "campaign", "origin_number")
    }
    form["members"] = forms.chosen_members(raw)
    case_id = int(form["case"]) if form["case"].isdigit() else None
    campaign_id = int(form["campaign"]) if form["campaign"].isdigit() else None
    data = GroupOpen(
        title=form["title"],
        summary=form["summary"],
        area=form["area"],
        case_id=case_id,
        campaign_id=campaign_id,
        members=form["members"],
    )
    try:
        group_id = await run_in_threadpool(groups.open_group, session, data=data, actor=actor, clock=clock)
    except InvalidInputError as refused:
        session.rollback()
        return await run_in_threadpool(
            _new_page, request, session, actor, form=form, errors=form_keys(refused), status=422
        )
    return RedirectResponse(f"/groups/{group_id}", status_code=303)


def _group_page(
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
) -> Response:
    language = _language(request)
    view = queries.group_view(session, actor, group_id, now=clock.now(), language=language)
    entries = queries.timeline(session, actor, group_id, language=language)
    units = queries.member_units(session, group_id)
    return renderer(request).render(
        request,
        "command_groups/group.html",
        {
            "actor": actor,
            "view": view,
            "entries": entries,
            "last_entry": entries[-1].id if entries else 0,
            "units": units,
            "roles": list(MemberRole),
            "form_name": form_name,
            "form": form or {},
            "errors": errors or {},
            "note": note,
            "now": clock.now(),
        },
        status_code=status,
    )


@router.get("/groups/{group_id}")
def group_page(request: Request, group_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """A group: its state and members, instructions with who has answered, the live timeline and what I may do."""
    return _group_page(request, session, actor, clock, group_id)


@router.get("/groups/{group_id}/timeline")
def timeline_part(
    request: Request,
    group_id: IdPath,
    session: DbSession,
    actor: PageActor,
    after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Response:
    """The timeline's new lines since `after` (the page polls this), and the poller that asks for the next ones."""
    entries = queries.timeline(session, actor, group_id, after_id=after, language=_language(request))
    return renderer(request).render(
        request,
        "command_groups/_timeline_more.html",
        {"entries": entries, "group_id": group_id, "last_entry": entries[-1].id if entries else after},
    )


async def _act(
    request: Request,
    session: Session,
    actor: Actor,
    clock: Clock,
    group_id: int,
    *,
    form_name: str,
    form: dict[str, Any],
    call: Callable[[], object],
    anchor: str,
) -> Response:
    try:
        await run_in_threadpool(call)
    except InvalidInputError as refused:
        session.rollback()
        return await run_in_threadpool(
            _group_page,
            request,
            session,
            actor,
            clock,
            group_id,
            form_name=form_name,
            form=form,
            errors=form_keys(refused),
            status=422,
        )
    except ConflictError as clash:
        session.rollback()
        return await run_in_threadpool(
            _group_page,
            request,
            session,
            actor,
            clock,
            group_id,
            form_name=form_name,
            form=form,
            note=clash.detail,
            status=409,
        )
    return RedirectResponse(f"/groups/{group_id}#{anchor}", status_code=303)


@router.post("/groups/{group_id}/posts")
async def post_from_form(
    request: Request, group_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """Post to the timeline: words, a photo, the place (typed or from the phone)."""
    raw = await request.form()
    form = {name: str(raw.get(name) or "").strip() for name in ("body", "lon", "lat")}
    where = forms.place(form["lon"], form["lat"])
    if where.error:
        return await run_in_threadpool(
            _group_page,
            request,
            session,
            actor,
            clock,
            group_id,
            form_name="post",
            form=form,
            errors={"lon": where.error},
            status=422,
        )
    upload = raw.get("photo")
    photo = None
    if upload is not None and not isinstance(upload, str) and upload.filename:
        try:
            photo = check_photo(await read_upload(upload))
        except PHOTO_REFUSALS:
            return await run_in_threadpool(
                _group_page,
                request,
                session,
                actor,
                clock,
                group_id,
                form_name="post",
                form=form,
                errors={"photo": "group.error.photo"},
                status=422,
            )

    def call() -> object:
        return post_message(
            session, group_id=group_id, body=form["body"], point=where.point, photo=photo, actor=actor, clock=clock
        )

    return await _act(
        request, session, actor, clock, group_id, form_name="post", form=form, call=call, anchor="timeline"
    )


@router.post("/groups/{group_id}/instructions")
async def instruct_from_form(
    request: Request, group_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """下达指令: the words, a deadline, and the members (or a unit's members) it goes to."""
    raw = await request.form()
    form: dict[str, Any] = {name: str(raw.get(name) or "").strip() for name in ("body", "deadline", "unit")}
    form["people"] = forms.ids(raw, "person")
    due = forms.deadline(form["deadline"])
    if due is None:
        return await run_in_threadpool(
            _group_page,
            request,
            session,
            actor,
            clock,
            group_id,
            form_name="instruct",
            form=form,
            errors={"deadline": "group.error.deadline_format"},
            status=422,
        )
    unit = int(form["unit"]) if form["unit"].isdigit() else None

    def call() -> object:
        return issue_instruction(
            session,
            group_id=group_id,
            body=form["body"],
            deadline_at=due,
            person_ids=form["people"],
            unit_id=unit,
            actor=actor,
            clock=clock,
        )

    return await _act(
        request, session, actor, clock, group_id, form_name="instruct", form=form, call=call, anchor="instructions"
    )


@router.post("/groups/{group_id}/instructions/{instruction_id}")
async def answer_from_form(
    request: Request, group_id: IdPath, instruction_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """签收 or 办结 my copy of an instruction (办结 says what was done)."""
    raw = await request.form()
    form = {"reply": str(raw.get("reply") or "").strip(), "instruction": str(instruction_id)}
    to = InstructionState.DONE if raw.get("to") == "done" else InstructionState.ACKNOWLEDGED

    def call() -> object:
        return answer_instruction(
            session, instruction_id=instruction_id, to=to, reply=form["reply"], actor=actor, clock=clock
        )

    return await _act(
        request,
        session,
        actor,
        clock,
        group_id,
        form_name=f"answer-{instruction_id}",
        form=form,
        call=call,
        anchor=f"instruction-{instruction_id}",
    )


@router.post("/groups/{group_id}/members")
async def add_from_form(
    request: Request, group_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """拉人入组: the people ticked in the search, each in their role."""
    raw = await request.form()
    members = forms.chosen_members(raw)

    def call() -> object:
        return add_members(session, group_id=group_id, members=members, actor=actor, clock=clock)

    return await _act(
        request, session, actor, clock, group_id, form_name="members", form={}, call=call, anchor="members"
    )


@router.post("/groups/{group_id}/members/{person_id}")
async def member_from_form(
    request: Request, group_id: IdPath, person_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """A member's role changed, or the member taken off (`leave`)."""
    raw = await request.form()
    role = str(raw.get("role") or "")

    def call() -> object:
        if role == "leave":
            remove_member(session, group_id=group_id, person_id=person_id, actor=actor, clock=clock)
            return None
        if role not in set(MemberRole):
            raise InvalidInputError(
                "choose a role", errors=[{"field": "role", "message": "choose a role", "key": "group.error.role"}]
            )
        set_role(session, group_id=group_id, person_id=person_id, role=MemberRole(role), actor=actor, clock=clock)
        return None

    return await _act(
        request, session, actor, clock, group_id, form_name="members", form={}, call=call, anchor="members"
    )


@router.post("/groups/{group_id}/state")
async def state_from_form(
    request: Request, group_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """稳控, 重新启动 or 关闭 (closing asks for a summary and compiles the report)."""
    raw = await request.form()
    form = {"note": str(raw.get("note") or "").strip(), "action": str(raw.get("action") or "")}
    action = STATE_ACTIONS.get(form["action"])
    if action is None:
        return await run_in_threadpool(
            _group_page,
            request,
            session,
            actor,
            clock,
            group_id,
            form_name="state",
            form=form,
            errors={"action": "group.error.action"},
            status=422,
        )

    def call() -> object:
        return groups.change_state(
            session, group_id=group_id, action=action, note=form["note"], actor=actor, clock=clock
        )

    anchor = "report" if action == GroupAction.CLOSE else "top"
    return await _act(request, session, actor, clock, group_id, form_name="state", form=form, call=call, anchor=anchor)


@router.get("/groups/{group_id}/photos/{photo_id}")
def group_photo(group_id: IdPath, photo_id: IdPath, session: DbSession, actor: PageActor) -> Response:
    """A photo of the timeline (members and the area's supervisors only)."""
    found = queries.photo(session, actor, group_id, photo_id)
    return photo_response(found.data, found.content_type)


@router.get("/groups/{group_id}/report")
def report_page(request: Request, group_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """总结报告: the closure report kept when the group closed (printable); before that, a note that it is open."""
    view = queries.group_view(session, actor, group_id, now=clock.now(), language=_language(request))
    closure = ClosureReport.from_json(view.group.closure_report) if view.group.closure_report else None
    names = org.division_names(session, [view.group.area_code])
    return renderer(request).render(
        request,
        "command_groups/report.html",
        {"actor": actor, "view": view, "report": closure, "area_name": names.get(view.group.area_code, "")},
    )
