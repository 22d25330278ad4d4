"""The command groups' API bodies and answers; enums and limits come from the domain, never restated."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from zhili.command_groups import groups, instructions, timeline
from zhili.command_groups.closure import ClosureReport
from zhili.command_groups.lifecycle import MOVES, GroupAction, GroupState, InstructionState, MemberRole
from zhili.command_groups.members import MAX_NEW_MEMBERS
from zhili.core.params import Id, Instant, OneOf
from zhili.core.text import BlankOrText, Line
from zhili.org.division_code import PATTERN as DIVISION_PATTERN


class MemberIn(BaseModel):
    """A person to pull in, in a role."""

    person_id: Id
    role: MemberRole = MemberRole.MEMBER


class GroupCreate(BaseModel):
    """Open a command group (you are its commander unless `members` names one)."""

    title: Annotated[Line, Field(max_length=groups.TITLE_LENGTH)]
    summary: Annotated[BlankOrText, Field(max_length=groups.BODY_LENGTH)] = ""
    area: Annotated[str, Field(pattern=DIVISION_PATTERN)]
    case_id: Id | None = None
    campaign_id: Id | None = None
    members: Annotated[list[MemberIn], Field(max_length=MAX_NEW_MEMBERS)] = []


class MembersAdd(BaseModel):
    """People to pull into a group."""

    members: Annotated[list[MemberIn], Field(min_length=1, max_length=MAX_NEW_MEMBERS)]


class RoleChange(BaseModel):
    """A member's new role."""

    role: MemberRole


class PostCreate(BaseModel):
    """A message to the timeline, with a place if you give one (photos go by the page's form)."""

    body: Annotated[BlankOrText, Field(max_length=timeline.BODY_LENGTH)] = ""
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None


class InstructionCreate(BaseModel):
    """An instruction to members (or a unit's members in the group) by a deadline."""

    body: Annotated[Line, Field(max_length=instructions.BODY_LENGTH)]
    deadline_at: Instant
    person_ids: Annotated[list[Id], Field(max_length=200)] = []
    unit_id: Id | None = None


class Answer(BaseModel):
    """签收 (`acknowledged`) or 办结 (`done`, saying what was done); either with where you are, if you like.

    A photo goes with 办结 by `POST /api/v1/groups/instructions/{id}/done` (multipart).
    """

    to: Literal[InstructionState.ACKNOWLEDGED, InstructionState.DONE]
    reply: Annotated[BlankOrText, Field(max_length=instructions.REPLY_LENGTH)] = ""
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None


class StateChange(BaseModel):
    """稳控 (`stabilise`), 重新启动 (`reactivate`) or 关闭 (`close`, with the summary as `note`)."""

    action: Annotated[GroupAction, OneOf(*MOVES)]
    note: Annotated[BlankOrText, Field(max_length=groups.BODY_LENGTH)] = ""


class GroupRead(BaseModel):
    """A group as lists show it."""

    id: int
    number: str
    title: str
    area_code: str
    area_name: str
    state: GroupState
    opened_at: datetime
    last_activity_at: datetime
    members: int
    open_instructions: int
    overdue_instructions: int
    my_role: MemberRole | None


class MemberRead(BaseModel):
    """A membership."""

    person_id: int
    name: str
    post: str
    role: MemberRole
    joined_at: datetime
    left_at: datetime | None


class CopyRead(BaseModel):
    """One addressee's copy of an instruction."""

    person_id: int
    name: str
    state: InstructionState
    acknowledged_at: datetime | None
    done_at: datetime | None
    reply: str | None
    late: bool


class InstructionRead(BaseModel):
    """An instruction with its copies."""

    id: int
    body: str
    deadline_at: datetime
    issued_at: datetime
    unit_name: str | None
    copies: list[CopyRead]


class GroupDetail(GroupRead):
    """A group with its members, instructions and what you may do in it."""

    summary: str
    origin_case_id: int | None
    members_list: list[MemberRead]
    instructions: list[InstructionRead]
    actions: list[str]
    closure_report: ClosureReport | None


class EntryRead(BaseModel):
    """A timeline line."""

    id: int
    at: datetime
    kind: str
    person_id: int | None
    name: str | None
    body: str | None
    lon: float | None
    lat: float | None
    photo_id: int | None
    subject_person_id: int | None
    instruction_id: int | None
    detail: str | None
