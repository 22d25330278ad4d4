"""Reads of cases: one case with its whole record, and lists with filters, all within the caller's scope."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Integer, Select, and_, bindparam, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, aliased

from zhili.cases import lifecycle, queue
from zhili.cases.models import Case, CaseEvent, CasePhoto, CaseTask, CollaborationRequest, Meeting, MeetingAttendee
from zhili.cases.parties import parties_given
from zhili.cases.queue import CaseFilter
from zhili.cases.schemas import (
    CaseCreated,
    CaseDetail,
    CaseRead,
    EventRead,
    HelpRequestRead,
    MeetingRead,
    PhotoRead,
    TaskRead,
    UnitRef,
)
from zhili.cases.states import CaseStatus
from zhili.cases.store import StoredCase, state_of
from zhili.cases.visibility import helping_column, visible_cases
from zhili.clocks.lights import light_at
from zhili.core.actor_names import who_named
from zhili.core.auth import Actor
from zhili.core.errors import NotFoundError
from zhili.core.pagination import Page
from zhili.core.prepared import Prepared
from zhili.matters import queries as matters
from zhili.matters.models import MatterVersion
from zhili.org import visibility as org_visibility
from zhili.org.models import Department, Division, Person, Position

OPEN_STATUSES = queue.OPEN_STATUSES
EARTH_RADIUS_M = 6_371_000


def _case_rows(stmt: Select[Any], actor: Actor) -> Select[Any]:
    """`stmt` (a select of the cases' columns) with what a case's read needs besides, as plain columns.

    The grid contact is named only to whom the contact's post is visible, as on the org pages (a
    reporter whose scope does not reach the lead unit's people sees the unit, not the person).
    """
    lead, routed = aliased(Department), aliased(Department)
    contact_visible = org_visibility.positions(actor)
    return (
        stmt.add_columns(
            MatterVersion.name_zh.label("matter_name_zh"),
            MatterVersion.name_en.label("matter_name_en"),
            MatterVersion.version.label("matter_version"),
            MatterVersion.content_hash.label("matter_hash"),
            Division.name.label("place_name"),
            lead.name.label("lead_name"),
            routed.name.label("routed_name"),
            Person.name.label("contact_name"),
            helping_column(actor).label("is_helping"),
        )
        .join(MatterVersion, MatterVersion.id == Case.matter_version_id)
        .join(Division, Division.code == Case.place_code)
        .outerjoin(lead, lead.id == Case.lead_unit_id)
        .join(routed, routed.id == Case.routed_unit_id)
        .outerjoin(Position, Position.id == Case.contact_position_id)
        .outerjoin(Person, and_(Person.id == Position.person_id, contact_visible))
    )


_CASE_COLUMNS = tuple(Case.__table__.c)


@lru_cache(maxsize=1024)
def _detail_row(actor: Actor) -> Prepared:
    """One case the actor may see with what its read needs, in one statement run on the driver; one per actor."""
    return Prepared(
        _case_rows(select(*_CASE_COLUMNS).where(Case.id == bindparam("b_case_id"), visible_cases(actor)), actor)
    )


def _read(actor: Actor, case: Any, now: datetime) -> CaseRead:
    """A row of `_case_rows` as the API reads a case: the case's columns and the names beside them."""
    parties = parties_given(actor, case, is_helping=bool(case.is_helping))
    allowed = lifecycle.allowed_commands(state_of(case), parties)
    limit = f"{case.phase_limit_amount} {case.phase_limit_unit}" if case.phase_limit_amount else None
    lead = UnitRef(id=case.lead_unit_id, name=case.lead_name) if case.lead_unit_id is not None else None
    return CaseRead(
        id=case.id,
        number=case.number,
        matter_code=case.matter_code,
        matter_name_zh=case.matter_name_zh,
        matter_name_en=case.matter_name_en,
        matter_version=case.matter_version,
        status=case.status,
        version=case.version,
        channel=case.channel,
        description=case.description,
        description_en=case.description_en,
        attributes=case.attributes,
        lon=case.lon,
        lat=case.lat,
        address=case.address,
        place_code=case.place_code,
        place_name=case.place_name,
        grid_code=case.grid_code,
        handling_division=case.handling_division,
        dispatcher_division=case.dispatcher_division,
        lead_unit=lead,
        routed_unit=UnitRef(id=case.routed_unit_id, name=case.routed_name),
        contact_name=case.contact_name,
        rework_count=case.rework_count,
        reopen_count=case.reopen_count,
        rating=case.rating,
        phase=case.phase,
        phase_started_at=case.phase_started_at,
        phase_limit=limit,
        phase_due_at=case.phase_due_at,
        phase_yellow_at=case.phase_yellow_at,
        phase_calendar_basis=case.phase_calendar_basis,
        light=light_at(now, case.phase_yellow_at, case.phase_due_at).value,
        created_at=case.created_at,
        closed_at=case.closed_at,
        duplicate_of_id=case.duplicate_of_id,
        allowed_commands=[k.value for k in allowed],
        my_parties=sorted(p.value for p in parties),
        help_due_at=getattr(case, "help_due_at", None),  # read by the queue's rows only
        my_turn=None if (turn := getattr(case, "my_turn", None)) is None else bool(turn),
    )


# The parts of a case's record, each one statement run on the driver (`core.prepared`): a case page
# and every command's answer read them, so their cost is per request. Plain columns, not ORM entities:
# nothing here is written back. The case row's ORM read comes first and flushes what the session holds.
_CASE_ID = bindparam("b_case_id", type_=Integer)
_TIMELINE = Prepared(
    select(
        CaseEvent.seq,
        CaseEvent.kind,
        CaseEvent.at,
        CaseEvent.actor,
        CaseEvent.parties,
        CaseEvent.status_after,
        CaseEvent.details,
    )
    .where(CaseEvent.case_id == _CASE_ID)
    .order_by(CaseEvent.seq)
)
_HELP_REQUESTS = Prepared(
    select(
        CollaborationRequest.id,
        Department.id.label("unit_id"),
        Department.name.label("unit_name"),
        CollaborationRequest.status,
        CollaborationRequest.stage,
        CollaborationRequest.request_text,
        CollaborationRequest.deadline_at,
        CollaborationRequest.reply_text,
        CollaborationRequest.evidence,
        CollaborationRequest.requested_at,
        CollaborationRequest.replied_at,
    )
    .join(Department, Department.id == CollaborationRequest.unit_id)
    .where(CollaborationRequest.case_id == _CASE_ID)
    .order_by(CollaborationRequest.id)
)
_MEETINGS = Prepared(
    select(Meeting.id, Meeting.title, Meeting.held_at, Meeting.place, Meeting.minutes, Meeting.convened_by)
    .where(Meeting.case_id == _CASE_ID)
    .order_by(Meeting.held_at)
)
_ATTENDEES = Prepared(
    select(MeetingAttendee.meeting_id, MeetingAttendee.name)
    .join(Meeting, Meeting.id == MeetingAttendee.meeting_id)
    .where(Meeting.case_id == _CASE_ID)
    .order_by(MeetingAttendee.id)
)
_TASKS = Prepared(
    select(
        CaseTask.id,
        CaseTask.meeting_id,
        CaseTask.description,
        Department.id.label("unit_id"),
        Department.name.label("unit_name"),
        CaseTask.deadline_at,
        CaseTask.status,
        CaseTask.done_at,
        CaseTask.done_note,
    )
    .join(Department, Department.id == CaseTask.owner_unit_id)
    .where(CaseTask.case_id == _CASE_ID)
    .order_by(CaseTask.id)
)
_PHOTOS = Prepared(
    select(CasePhoto.id, CasePhoto.content_type, CasePhoto.size, CasePhoto.sha256)
    .where(CasePhoto.case_id == _CASE_ID)
    .order_by(CasePhoto.id)
)
_UNIT_NAME = Prepared(select(Department.name).where(Department.id == bindparam("b_unit_id")))


def _timeline(session: Session, case_id: int) -> list[EventRead]:
    lines = _TIMELINE.run(session, {"b_case_id": case_id}).all()
    names = who_named(session, {line.actor for line in lines})
    return [
        EventRead(
            seq=e.seq,
            kind=e.kind,
            at=e.at,
            actor=e.actor,
            who=names.get(e.actor),
            parties=[p for p in e.parties.split(",") if p],
            status_after=e.status_after,
            details=e.details,
        )
        for e in lines
    ]


def _collaboration(session: Session, case_id: int) -> list[HelpRequestRead]:
    return [
        HelpRequestRead(
            id=r.id,
            unit=UnitRef(id=r.unit_id, name=r.unit_name),
            status=r.status,
            stage=r.stage,
            request_text=r.request_text,
            deadline_at=r.deadline_at,
            reply_text=r.reply_text,
            evidence=r.evidence,
            requested_at=r.requested_at,
            replied_at=r.replied_at,
        )
        for r in _HELP_REQUESTS.run(session, {"b_case_id": case_id})
    ]


def _meetings(session: Session, case_id: int) -> list[MeetingRead]:
    meetings = _MEETINGS.run(session, {"b_case_id": case_id}).all()
    if not meetings:
        return []
    attendees = _ATTENDEES.run(session, {"b_case_id": case_id}).all()
    return [
        MeetingRead(
            id=m.id,
            title=m.title,
            held_at=m.held_at,
            place=m.place,
            minutes=m.minutes,
            convened_by=m.convened_by,
            attendees=[name for mid, name in attendees if mid == m.id],
        )
        for m in meetings
    ]


def _tasks(session: Session, case_id: int) -> list[TaskRead]:
    return [
        TaskRead(
            id=t.id,
            meeting_id=t.meeting_id,
            description=t.description,
            owner=UnitRef(id=t.unit_id, name=t.unit_name),
            deadline_at=t.deadline_at,
            status=t.status,
            done_at=t.done_at,
            done_note=t.done_note,
        )
        for t in _TASKS.run(session, {"b_case_id": case_id})
    ]


def _photos(session: Session, case_id: int) -> list[PhotoRead]:
    return [
        PhotoRead(id=pid, content_type=kind, size=size, sha256=digest, ref=f"photo:{pid}")
        for pid, kind, size, digest in _PHOTOS.run(session, {"b_case_id": case_id})
    ]


@lru_cache(maxsize=1024)
def _near_in_space_and_time(actor: Actor) -> Prepared:
    """Visible cases of one matter within a box of space and time, not merged nor refused; one per actor.

    A case not taken (不予受理) is no duplicate to merge into: a report merged there would end with it.
    """
    return Prepared(
        select(Case.id, Case.lon, Case.lat)
        .where(
            Case.matter_code == bindparam("b_matter"),
            Case.id != bindparam("b_case_id"),
            Case.duplicate_of_id.is_(None),
            Case.status != CaseStatus.REJECTED.value,
            Case.created_at.between(bindparam("b_from"), bindparam("b_to")),
            Case.lon.between(bindparam("b_west"), bindparam("b_east")),
            Case.lat.between(bindparam("b_south"), bindparam("b_north")),
            visible_cases(actor),
        )
        .order_by(Case.id)
        .limit(50)
    )


class _Placed(Protocol):
    """What the duplicate search reads of a case: a stored case, or a row read with these columns (read-only)."""

    @property
    def id(self) -> int: ...
    @property
    def lon(self) -> float | None: ...
    @property
    def lat(self) -> float | None: ...
    @property
    def matter_code(self) -> str: ...
    @property
    def matter_version_id(self) -> int: ...
    @property
    def matter_hash(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...


def probable_duplicates(session: Session, actor: Actor, case: _Placed) -> list[int]:
    """Visible cases of the same matter reported near in space and time (the matter's window)."""
    if case.lon is None or case.lat is None:
        return []
    definition = matters.definition_by_version_id(session, case.matter_version_id, content_hash=case.matter_hash)
    window = definition.duplicates
    degrees = window.distance_m / 111_000
    span = timedelta(hours=window.hours)
    box = {
        "b_matter": case.matter_code,
        "b_case_id": case.id,
        "b_from": case.created_at - span,
        "b_to": case.created_at + span,
        "b_west": case.lon - degrees * 2,
        "b_east": case.lon + degrees * 2,
        "b_south": case.lat - degrees,
        "b_north": case.lat + degrees,
    }
    return [
        cid
        for cid, lon, lat in _near_in_space_and_time(actor).run(session, box)
        if lon is not None and lat is not None and _metres(case.lon, case.lat, lon, lat) <= window.distance_m
    ]


def merged_here(session: Session, actor: Actor, case: Case) -> list[int]:
    """The visible duplicates merged into this case (重复件并案), oldest first: each a caller to call back too.

    A merge joins cases of one matter within its duplicate window, so the search keeps to the matter's
    cases of that window (the `(matter_code, created_at)` index), not every case's `duplicate_of_id`.
    A duplicate itself has none: nothing is merged into a merged case.
    """
    if case.duplicate_of_id is not None:
        return []
    definition = matters.definition_by_version_id(session, case.matter_version_id, content_hash=case.matter_hash)
    span = timedelta(hours=definition.duplicates.hours)
    found = session.scalars(
        select(Case.id)
        .where(
            Case.matter_code == case.matter_code,
            Case.created_at.between(case.created_at - span, case.created_at + span),
            Case.duplicate_of_id == case.id,
            visible_cases(actor),
        )
        .order_by(Case.id)
        .limit(50)
    )
    return list(found)


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def case_read(session: Session, actor: Actor, case_id: int, *, now: datetime) -> CaseRead:
    """One case as a list shows it (no timeline): 404 when the actor may not see it."""
    case = _detail_row(actor).run(session, {"b_case_id": case_id}).first()
    if case is None:
        raise NotFoundError(f"case {case_id} not found")
    return _read(actor, case, now)


def case_detail(session: Session, actor: Actor, case_id: int, *, now: datetime) -> CaseDetail:
    """One case with its timeline, collaboration, meetings, tasks and probable duplicates; its light at `now`."""
    session.flush()  # the reads below run on the driver: what the session holds is written first
    case = _detail_row(actor).run(session, {"b_case_id": case_id}).first()
    if case is None:
        raise NotFoundError(f"case {case_id} not found")
    read = _read(actor, case, now)
    return CaseDetail(
        **dict(read),
        timeline=_timeline(session, case.id),
        collaboration=_collaboration(session, case.id),
        meetings=_meetings(session, case.id),
        tasks=_tasks(session, case.id),
        photos=_photos(session, case.id),
        probable_duplicates=probable_duplicates(session, actor, case),
        may_supervise=case.status in OPEN_STATUSES
        and (actor.is_admin or bool({"dispatcher", "supervisor"} & set(read.my_parties))),
    )


def list_cases(
    session: Session, actor: Actor, where: CaseFilter, *, now: datetime, cursor: str | None, limit: int
) -> Page[CaseRead]:
    """Cases in scope, filtered, searched and sorted (`cases.queue`); one page after `cursor`."""
    found = queue.conditions(actor, where, now)
    if cursor:
        found.append(queue.after_cursor(cursor, where.sort))
    columns = (*_CASE_COLUMNS, queue.help_due(actor).label("help_due_at"), queue.my_turn(actor).label("my_turn"))
    stmt = queue.ordered(_case_rows(select(*columns).where(*found), actor), where.sort).limit(limit + 1)
    rows = session.execute(stmt).all()
    items = [_read(actor, row, now) for row in rows[:limit]]
    last = items[-1] if items else None
    more = len(rows) > limit and last is not None
    next_cursor = queue.cursor_of(last.id, last.phase_due_at, where.sort) if more and last else None
    return Page[CaseRead](items=items, next_cursor=next_cursor)


def count_mine(session: Session, actor: Actor, where: CaseFilter, *, now: datetime) -> int:
    """How many of the cases the filter finds are the actor's to-dos (`queue.my_turn`), on every page."""
    found = [*queue.conditions(actor, where, now), queue.my_turn(actor)]
    return int(session.execute(select(func.count()).select_from(Case).where(*found)).scalar_one())


def caller_summary(session: Session, actor: Actor, caller: str, *, now: datetime) -> tuple[int, int, str | None]:
    """How many reports a caller made among the cases the actor dispatches, how many are open, their latest name.

    For the 12345 desk: two small reads on the caller's index.
    """
    found = queue.conditions(actor, CaseFilter(caller=caller), now)
    still_open = func.coalesce(func.sum(sql_case((Case.status.in_(queue.OPEN_STATUSES), 1), else_=0)), 0)
    total, opened = session.execute(select(func.count(), still_open).select_from(Case).where(*found)).one()
    stmt = select(Case.reporter_name).where(*found, Case.reporter_name.is_not(None)).order_by(Case.id.desc())
    return int(total), int(opened), session.scalar(stmt.limit(1))


def case_created(session: Session, case: StoredCase) -> CaseCreated:
    """A case just reported, in brief: read inside the reporting transaction (one query, the unit's name)."""
    unit_name = _UNIT_NAME.run(session, {"b_unit_id": case.routed_unit_id}).scalar() or ""
    url = f"/api/v1/cases/{case.id}"
    return CaseCreated(
        id=case.id,
        number=case.number,
        status=case.status,
        version=case.version,
        matter_code=case.matter_code,
        place_code=case.place_code,
        grid_code=case.grid_code,
        routed_unit=UnitRef(id=case.routed_unit_id, name=unit_name),
        created_at=case.created_at,
        links={"self": url, "commands": f"{url}/commands", "photos": f"{url}/photos", "page": f"/cases/{case.id}"},
    )


def todo_counts(session: Session, actor: Actor, *, now: datetime) -> dict[str, int]:
    """What waits for the actor, counted as the queue filters count it (accept, sign, verify, help, due)."""
    return queue.todo_counts(session, actor, now=now)
