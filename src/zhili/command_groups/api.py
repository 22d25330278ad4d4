"""`/api/v1/groups`: command groups for other systems and scripts; the same services as the pages."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Header, Query, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhili.command_groups import groups, queries
from zhili.command_groups.groups import GroupOpen
from zhili.command_groups.instructions import REPLY_LENGTH, answer_instruction, issue_instruction
from zhili.command_groups.lifecycle import InstructionState
from zhili.command_groups.members import NewMember, add_members, remove_member, set_role
from zhili.command_groups.schemas import (
    Answer,
    CopyRead,
    EntryRead,
    GroupCreate,
    GroupDetail,
    GroupRead,
    InstructionCreate,
    InstructionRead,
    MemberRead,
    MembersAdd,
    PostCreate,
    RoleChange,
    StateChange,
)
from zhili.command_groups.timeline import BODY_LENGTH, post_message
from zhili.core.auth import Actor, CurrentActor
from zhili.core.errors import InvalidInputError
from zhili.core.http import ClockDep, DbSession
from zhili.core.idempotency import respond_once
from zhili.core.media import check_photo, photo_response, read_upload
from zhili.core.params import IdPath

router = APIRouter(prefix="/api/v1/groups", tags=["command groups"])


def _read(summary: queries.GroupSummary) -> GroupRead:
    return GroupRead(**{k: v for k, v in asdict(summary).items() if k in GroupRead.model_fields})


def _detail(session: Session, actor: Actor, group_id: int, now: datetime) -> GroupDetail:
    view = queries.group_view(session, actor, group_id, now=now)
    return GroupDetail(
        **_read(view.summary).model_dump(),
        summary=view.group.summary,
        origin_case_id=view.group.origin_case_id,
        members_list=[
            MemberRead(
                person_id=m.person.id,
                name=m.person.name,
                post=m.person.post,
                role=m.role,
                joined_at=m.joined_at,
                left_at=m.left_at,
            )
            for m in view.members
        ],
        instructions=[
            InstructionRead(
                id=i.id,
                body=i.body,
                deadline_at=i.deadline_at,
                issued_at=i.issued_at,
                unit_name=i.unit_name,
                copies=[
                    CopyRead(
                        person_id=c.person.id,
                        name=c.person.name,
                        state=c.state,
                        acknowledged_at=c.acknowledged_at,
                        done_at=c.done_at,
                        reply=c.reply,
                        late=c.late,
                    )
                    for c in i.copies
                ],
            )
            for i in view.instructions
        ],
        actions=sorted(a.value for a in view.actions),
        closure_report=view.group.closure_report,
    )


@router.get("")
def list_groups(
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    state: Annotated[str | None, Query(pattern="^(active|stable|closed)$")] = None,
) -> list[GroupRead]:
    """The groups you are in or whose area you oversee, open ones first."""
    return [_read(s) for s in queries.list_groups(session, actor, now=clock.now(), state=state)]


@router.post("", status_code=201, response_model=GroupDetail)
def open_group(
    body: GroupCreate,
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """成立指挥组: each member pulled in is told, with a link; a retry with the same Idempotency-Key opens it once."""
    data = GroupOpen(
        title=body.title,
        summary=body.summary,
        area=body.area,
        case_id=body.case_id,
        campaign_id=body.campaign_id,
        members=tuple(NewMember(m.person_id, m.role) for m in body.members),
    )

    def create() -> GroupDetail:
        group_id = groups.open_group(session, data=data, actor=actor, clock=clock)
        return _detail(session, actor, group_id, clock.now())

    return respond_once(
        session,
        owner=actor.audit_name,
        key=idempotency_key,
        request=("POST", "/api/v1/groups", body),
        now=clock.now(),
        create=create,
        location=lambda created: f"/api/v1/groups/{created['id']}",
    )


@router.get("/{group_id}")
def read_group(group_id: IdPath, session: DbSession, actor: CurrentActor, clock: ClockDep) -> GroupDetail:
    """A group with its members, instructions (with each addressee's answer), the actions open to you, its report."""
    return _detail(session, actor, group_id, clock.now())


@router.get("/{group_id}/timeline")
def read_timeline(
    group_id: IdPath, session: DbSession, actor: CurrentActor, after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0
) -> list[EntryRead]:
    """The timeline in order; `after` a line's id for the lines since (poll with the last id you have)."""
    return [
        EntryRead(
            id=e.id,
            at=e.at,
            kind=e.kind,
            person_id=e.person.id if e.person else None,
            name=e.person.name if e.person else None,
            body=e.body,
            lon=e.point[0] if e.point else None,
            lat=e.point[1] if e.point else None,
            photo_id=e.photo_id,
            subject_person_id=e.subject.id if e.subject else None,
            instruction_id=e.instruction_id,
            detail=e.detail,
        )
        for e in queries.timeline(session, actor, group_id, after_id=after)
    ]


@router.post("/{group_id}/posts", status_code=201)
def post(
    group_id: IdPath, body: PostCreate, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> dict[str, int]:
    """Post to the timeline (members); the new line's id."""
    point = _point(body.lon, body.lat)
    return {
        "id": post_message(
            session, group_id=group_id, body=body.body, point=point, photo=None, actor=actor, clock=clock
        )
    }


def _point(lon: float | None, lat: float | None) -> tuple[float, float] | None:
    """A place given as both its longitude and latitude, or none (422 for one without the other)."""
    if (lon is None) != (lat is None):
        raise InvalidInputError(
            "give both lon and lat, or neither", errors=[{"field": "body.lat", "message": "give both lon and lat"}]
        )
    return (lon, lat) if lon is not None and lat is not None else None


@router.post("/{group_id}/members", status_code=201)
def add(
    group_id: IdPath, body: MembersAdd, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> dict[str, list[int]]:
    """Pull people in (commander, deputy, liaison); the ids of those who were not members already."""
    members = [NewMember(m.person_id, m.role) for m in body.members]
    return {"added": add_members(session, group_id=group_id, members=members, actor=actor, clock=clock)}


@router.put("/{group_id}/members/{person_id}")
def change_role(
    group_id: IdPath, person_id: IdPath, body: RoleChange, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> GroupDetail:
    """A member's new role (naming a commander is the commander's; the old one becomes a deputy)."""
    set_role(session, group_id=group_id, person_id=person_id, role=body.role, actor=actor, clock=clock)
    return _detail(session, actor, group_id, clock.now())


@router.delete("/{group_id}/members/{person_id}")
def leave(group_id: IdPath, person_id: IdPath, session: DbSession, actor: CurrentActor, clock: ClockDep) -> GroupDetail:
    """A member leaves, or is taken off; the commander hands over first (409)."""
    remove_member(session, group_id=group_id, person_id=person_id, actor=actor, clock=clock)
    return _detail(session, actor, group_id, clock.now())


@router.post("/{group_id}/instructions", status_code=201)
def instruct(
    group_id: IdPath, body: InstructionCreate, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> dict[str, int]:
    """下达指令 (commander, deputy): each addressee is told and reminded at the deadline; the instruction's id."""
    found = issue_instruction(
        session,
        group_id=group_id,
        body=body.body,
        deadline_at=body.deadline_at,
        person_ids=body.person_ids,
        unit_id=body.unit_id,
        actor=actor,
        clock=clock,
    )
    return {"id": found}


@router.post("/instructions/{instruction_id}/answer")
def answer(
    instruction_id: IdPath, body: Answer, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> dict[str, str]:
    """签收 or 办结 your copy of an instruction, where you are if you give it; the copy's new state."""
    state = answer_instruction(
        session,
        instruction_id=instruction_id,
        to=InstructionState(body.to),
        reply=body.reply,
        actor=actor,
        clock=clock,
        point=_point(body.lon, body.lat),
    )
    return {"state": state.value}


@router.post("/instructions/{instruction_id}/done")
async def done_with_photo(
    instruction_id: IdPath,
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    reply: Annotated[str, Form(max_length=REPLY_LENGTH)],
    photo: UploadFile | None = None,
    lon: Annotated[float | None, Form(ge=-180, le=180)] = None,
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
) -> dict[str, str]:
    """办结 your copy with a photo of the scene as left and its place (multipart, as the page's form); its state.

    The photo (JPEG, PNG or WebP; 413 / 415 otherwise) and the place go with the 办结 line on the timeline, and the
    issuer's notice says a photo came with it.
    """
    checked = check_photo(await read_upload(photo)) if photo is not None and photo.filename else None
    point = _point(lon, lat)
    state = await run_in_threadpool(
        answer_instruction,
        session,
        instruction_id=instruction_id,
        to=InstructionState.DONE,
        reply=reply,
        actor=actor,
        clock=clock,
        photo=checked,
        point=point,
    )
    return {"state": state.value}


@router.post("/{group_id}/state")
def change_state(
    group_id: IdPath, body: StateChange, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> GroupDetail:
    """稳控, 重新启动 or 关闭 (the commander; closing needs the summary as `note` and compiles the report)."""
    groups.change_state(session, group_id=group_id, action=body.action, note=body.note, actor=actor, clock=clock)
    return _detail(session, actor, group_id, clock.now())


@router.post("/{group_id}/photos", status_code=201)
async def post_photo(
    group_id: IdPath,
    photo: UploadFile,
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    body: Annotated[str, Form(max_length=BODY_LENGTH)] = "",
) -> dict[str, int]:
    """Post a photo (JPEG, PNG or WebP; 413 / 415 otherwise) to the timeline, with words if you like; the line's id."""
    checked = check_photo(await read_upload(photo))
    line = await run_in_threadpool(
        post_message, session, group_id=group_id, body=body, point=None, photo=checked, actor=actor, clock=clock
    )
    return {"id": line}


@router.get("/{group_id}/photos/{photo_id}")
def get_photo(group_id: IdPath, photo_id: IdPath, session: DbSession, actor: CurrentActor) -> Response:
    """A photo of a group you may see."""
    found = queries.photo(session, actor, group_id, photo_id)
    return photo_response(found.data, found.content_type)
