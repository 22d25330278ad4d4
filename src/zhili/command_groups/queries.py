"""Reads of command groups for pages, the API, the home page and the big screen; all scoped by `visibility`.

Members see each other's names, posts and phones (they work together in the group), and so do those
whose blocks reach the group's area; nothing else about a person leaves their scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from zhili.campaigns.models import Campaign
from zhili.cases.models import Case
from zhili.command_groups.lifecycle import GroupAction, GroupState, InstructionState, MemberRole, allowed_actions
from zhili.command_groups.models import CommandGroup, GroupEntry, GroupMember, GroupPhoto, Instruction, InstructionCopy
from zhili.command_groups.visibility import is_member, load_group, visible_groups
from zhili.core.auth import Actor
from zhili.core.errors import NotFoundError
from zhili.core.local_time import to_local
from zhili.org.division_code import DivisionCode
from zhili.org.models import Department, Division, Person, Position
from zhili.org.roles import role_name

LIST_LIMIT = 200
TIMELINE_LIMIT = 500  # lines per answer; the page shows the newest this many, the API pages by `after`
OPEN_STATES = (GroupState.ACTIVE.value, GroupState.STABLE.value)


def group_number(group_id: int, opened_at: datetime) -> str:
    """The number people quote: ZH, the local year, the id (ZH2026-0007)."""
    return f"ZH{to_local(opened_at).year}-{group_id:04d}"


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """One line of a list of groups."""

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
    my_role: MemberRole | None = None


def _summaries(session: Session, actor: Actor, condition: ColumnElement[bool], now: datetime) -> list[GroupSummary]:
    members = (
        select(func.count())
        .where(GroupMember.group_id == CommandGroup.id, GroupMember.left_at.is_(None))
        .scalar_subquery()
    )
    unfinished = and_(
        Instruction.group_id == CommandGroup.id,
        InstructionCopy.instruction_id == Instruction.id,
        InstructionCopy.state != InstructionState.DONE.value,
    )
    # Instructions, not copies: one instruction to eight people that two have not finished is one open.
    open_copies = select(func.count(func.distinct(Instruction.id))).where(unfinished).scalar_subquery()
    overdue = (  # overdue only while the group is open: a closed group's record is over
        select(func.count(func.distinct(Instruction.id)))
        .where(unfinished, Instruction.deadline_at < now, CommandGroup.state.in_(OPEN_STATES))
        .scalar_subquery()
    )
    mine = (
        select(GroupMember.role)
        .where(GroupMember.group_id == CommandGroup.id, GroupMember.person_id == (actor.person_id or -1))
        .where(GroupMember.left_at.is_(None))
        .scalar_subquery()
    )
    stmt = (
        select(CommandGroup, Division.name, members, open_copies, overdue, mine)
        .join(Division, Division.code == CommandGroup.area_code)
        .where(visible_groups(actor), condition)
        .order_by(
            case((CommandGroup.state == GroupState.CLOSED.value, 1), else_=0), CommandGroup.last_activity_at.desc()
        )
        .limit(LIST_LIMIT)
    )
    return [
        GroupSummary(
            id=g.id,
            number=group_number(g.id, g.opened_at),
            title=g.title,
            area_code=g.area_code,
            area_name=area,
            state=GroupState(g.state),
            opened_at=g.opened_at,
            last_activity_at=g.last_activity_at,
            members=n,
            open_instructions=o,
            overdue_instructions=late,
            my_role=MemberRole(role) if role else None,
        )
        for g, area, n, o, late, role in session.execute(stmt).all()
    ]


def list_groups(session: Session, actor: Actor, *, now: datetime, state: str | None = None) -> list[GroupSummary]:
    """The groups the actor sees, open ones first, the most recently active first; optionally of one state."""
    condition = CommandGroup.state == state if state else CommandGroup.id.is_not(None)
    return _summaries(session, actor, condition, now)


def open_groups_under(session: Session, actor: Actor, area_code: str, *, now: datetime) -> list[GroupSummary]:
    """The open (active or stable) groups the actor sees in an area's subtree: the big screen's panel."""
    condition = and_(CommandGroup.state.in_(OPEN_STATES), DivisionCode(area_code).subtree(CommandGroup.area_code))
    return _summaries(session, actor, condition, now)


def my_open_groups(session: Session, actor: Actor, *, now: datetime) -> list[GroupSummary]:
    """The open groups the actor is a member of now (the home page's tile)."""
    if actor.person_id is None:
        return []
    member = select(GroupMember.group_id).where(GroupMember.person_id == actor.person_id, GroupMember.left_at.is_(None))
    return _summaries(session, actor, and_(CommandGroup.state.in_(OPEN_STATES), CommandGroup.id.in_(member)), now)


@dataclass(frozen=True, slots=True)
class PersonLabel:
    """A person as a group shows them: name, phone and their first post's label."""

    id: int
    name: str
    phone: str | None
    post: str


def people_labels(session: Session, person_ids: Sequence[int], language: str = "zh") -> dict[int, PersonLabel]:
    """Names, phones and the first post of these people (the caller has decided they may be shown)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    first = select(func.min(Position.id)).where(Position.person_id == Person.id).correlate(Person).scalar_subquery()
    stmt = (
        select(Person.id, Person.name, Person.phone, Position.role, Department.name, Division.name)
        .outerjoin(Position, Position.id == first)
        .outerjoin(Department, Department.id == Position.department_id)
        .outerjoin(Division, Division.code == Position.division_code)
        .where(Person.id.in_(ids))
    )
    labels: dict[int, PersonLabel] = {}
    for pid, name, phone, role, unit, place in session.execute(stmt).all():
        post = " · ".join(x for x in (unit or place, role_name(role, language) if role else None) if x)
        labels[pid] = PersonLabel(id=pid, name=name, phone=phone, post=post)
    return labels


@dataclass(frozen=True, slots=True)
class MemberView:
    """A membership as the group page lists it."""

    person: PersonLabel
    role: MemberRole
    joined_at: datetime
    left_at: datetime | None


@dataclass(frozen=True, slots=True)
class CopyView:
    """One addressee's copy of an instruction."""

    id: int
    person: PersonLabel
    state: InstructionState
    acknowledged_at: datetime | None
    done_at: datetime | None
    reply: str | None
    late: bool


@dataclass(frozen=True, slots=True)
class InstructionView:
    """An instruction with its addressees' copies."""

    id: int
    body: str
    deadline_at: datetime
    issued_at: datetime
    issuer: PersonLabel | None
    unit_name: str | None
    copies: list[CopyView] = field(default_factory=list)

    @property
    def done(self) -> int:
        """How many addressees have finished."""
        return sum(c.state == InstructionState.DONE for c in self.copies)


@dataclass(frozen=True, slots=True)
class GroupView:
    """Everything the group page shows but the timeline (which it polls separately)."""

    summary: GroupSummary
    group: CommandGroup
    members: list[MemberView]
    instructions: list[InstructionView]
    my_role: MemberRole | None
    actions: frozenset[GroupAction]
    origin_case: tuple[int, str] | None
    origin_campaign: tuple[int, str] | None
    my_copies: dict[int, CopyView]


def present_members(session: Session, actor: Actor, group_id: int) -> set[int]:
    """The people in a group the actor sees (else 404) who have not left it."""
    group = load_group(session, actor, group_id)
    rows = select(GroupMember.person_id).where(GroupMember.group_id == group.id, GroupMember.left_at.is_(None))
    return set(session.scalars(rows))


def group_view(session: Session, actor: Actor, group_id: int, *, now: datetime, language: str = "zh") -> GroupView:
    """A group the actor sees (else 404) with its members, instructions and what the actor may do."""
    group = load_group(session, actor, group_id)
    summary = _summaries(session, actor, CommandGroup.id == group_id, now)[0]
    member_rows = session.scalars(
        select(GroupMember)
        .where(GroupMember.group_id == group_id)
        .order_by(GroupMember.left_at.is_not(None), GroupMember.id)
    ).all()
    instructions = session.scalars(
        select(Instruction).where(Instruction.group_id == group_id).order_by(Instruction.id.desc())
    ).all()
    copies = session.scalars(
        select(InstructionCopy)
        .where(InstructionCopy.instruction_id.in_([i.id for i in instructions]))
        .order_by(InstructionCopy.id)
    ).all()
    people = people_labels(
        session,
        [m.person_id for m in member_rows]
        + [c.person_id for c in copies]
        + [i.issuer_person_id for i in instructions if i.issuer_person_id],
        language,
    )
    units = dict(
        session.execute(
            select(Department.id, Department.name).where(
                Department.id.in_({i.unit_id for i in instructions if i.unit_id})
            )
        ).all()
    )
    views = {
        i.id: InstructionView(
            id=i.id,
            body=i.body,
            deadline_at=i.deadline_at,
            issued_at=i.issued_at,
            issuer=people.get(i.issuer_person_id) if i.issuer_person_id else None,
            unit_name=units.get(i.unit_id) if i.unit_id else None,
        )
        for i in instructions
    }
    deadlines = {i.id: i.deadline_at for i in instructions}
    my_copies: dict[int, CopyView] = {}
    for c in copies:
        view = CopyView(
            id=c.id,
            person=people[c.person_id],
            state=InstructionState(c.state),
            acknowledged_at=c.acknowledged_at,
            done_at=c.done_at,
            reply=c.reply,
            late=(c.done_at or now) > deadlines[c.instruction_id],
        )
        views[c.instruction_id].copies.append(view)
        if c.person_id == actor.person_id:
            my_copies[c.instruction_id] = view
    role = summary.my_role  # the summary read the actor's current role already
    origin = None
    if group.origin_case_id is not None:
        number = session.scalar(select(Case.number).where(Case.id == group.origin_case_id))
        origin = (group.origin_case_id, number or "")
    campaign = None
    if group.origin_campaign_id is not None:
        found = session.scalar(select(Campaign.number).where(Campaign.id == group.origin_campaign_id))
        campaign = (group.origin_campaign_id, found or "")
    return GroupView(
        summary=summary,
        group=group,
        members=[MemberView(people[m.person_id], MemberRole(m.role), m.joined_at, m.left_at) for m in member_rows],
        instructions=list(views.values()),
        my_role=role,
        actions=allowed_actions(role, GroupState(group.state)),
        origin_case=origin,
        origin_campaign=campaign,
        my_copies=my_copies,
    )


@dataclass(frozen=True, slots=True)
class EntryView:
    """A timeline line as pages and the API show it."""

    id: int
    at: datetime
    kind: str
    person: PersonLabel | None
    actor: str
    body: str | None
    point: tuple[float, float] | None
    photo_id: int | None
    subject: PersonLabel | None
    instruction_id: int | None
    detail: str | None


def timeline(
    session: Session,
    actor: Actor,
    group_id: int,
    *,
    after_id: int = 0,
    language: str = "zh",
    limit: int = TIMELINE_LIMIT,
) -> list[EntryView]:
    """The group's timeline in order; 404 unless the actor sees the group.

    The first `limit` lines after a line id (live updates, paging), or with a negative `limit` the newest lines.
    """
    group = load_group(session, actor, group_id)
    return entries_of(session, group, after_id=after_id, language=language, limit=limit)


def entries_of(
    session: Session, group: CommandGroup, *, after_id: int = 0, language: str = "zh", limit: int = TIMELINE_LIMIT
) -> list[EntryView]:
    """The timeline of a group already loaded through `load_group` (so already in the reader's sight)."""
    statement = select(GroupEntry).where(GroupEntry.group_id == group.id, GroupEntry.id > after_id)
    if limit < 0:
        rows = list(reversed(session.scalars(statement.order_by(GroupEntry.id.desc()).limit(-limit)).all()))
    else:
        rows = list(session.scalars(statement.order_by(GroupEntry.id).limit(limit)).all())
    people = people_labels(session, [p for r in rows for p in (r.person_id, r.subject_person_id) if p], language)
    return [
        EntryView(
            id=r.id,
            at=r.at,
            kind=r.kind,
            person=people.get(r.person_id) if r.person_id else None,
            actor=r.actor,
            body=r.body,
            point=(r.lon, r.lat) if r.lon is not None and r.lat is not None else None,
            photo_id=r.photo_id,
            subject=people.get(r.subject_person_id) if r.subject_person_id else None,
            instruction_id=r.instruction_id,
            detail=r.detail,
        )
        for r in rows
    ]


def photo(session: Session, actor: Actor, group_id: int, photo_id: int) -> GroupPhoto:
    """A photo of a group the actor sees, or 404."""
    load_group(session, actor, group_id)
    found = session.get(GroupPhoto, photo_id)
    if found is None or found.group_id != group_id:
        raise NotFoundError(f"photo {photo_id} not found")
    return found


def pending_copies(session: Session, actor: Actor) -> int:
    """How many instructions wait for the actor to acknowledge or finish, in open groups (the home tile)."""
    if actor.person_id is None:
        return 0
    stmt = (
        select(func.count())
        .select_from(InstructionCopy)
        .join(Instruction, Instruction.id == InstructionCopy.instruction_id)
        .join(CommandGroup, CommandGroup.id == Instruction.group_id)
        .where(
            InstructionCopy.person_id == actor.person_id,
            InstructionCopy.state != InstructionState.DONE.value,
            CommandGroup.state.in_(OPEN_STATES),
            is_member(actor),
        )
    )
    return session.scalar(stmt) or 0


@dataclass(frozen=True, slots=True)
class MemberUnit:
    """A unit (department) one of the group's current members holds a post in: an instruction may go to it."""

    unit_id: int
    unit_name: str


def member_units(session: Session, group_id: int) -> list[MemberUnit]:
    """The units of the group's current members, by name."""
    stmt = (
        select(Department.id, Department.name)
        .join(Position, Position.department_id == Department.id)
        .join(GroupMember, GroupMember.person_id == Position.person_id)
        .where(GroupMember.group_id == group_id, GroupMember.left_at.is_(None))
        .distinct()
        .order_by(Department.name)
    )
    return [MemberUnit(unit_id, name) for unit_id, name in session.execute(stmt).all()]
