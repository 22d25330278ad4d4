"""会商: consultation meetings for a case; each decision becomes a task with an owner and a deadline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases import store
from zhili.cases.collaboration import FINISHED
from zhili.cases.models import CaseTask, Meeting, MeetingAttendee
from zhili.cases.parties import parties_for
from zhili.cases.schemas import MeetingCreate, TaskDone
from zhili.cases.service import add_event, load_visible
from zhili.cases.states import CaseStatus, MeetingTaskStatus, Party
from zhili.cases.store import StoredCase
from zhili.cases.visibility import strip_units
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit, insert_rows
from zhili.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from zhili.org.models import Department, Division

CONVENERS = frozenset({Party.LEAD, Party.DISPATCHER, Party.SUPERVISOR})


def _attendees(session: Session, data: MeetingCreate) -> list[MeetingAttendee]:
    units = {
        d.id: d.name
        for d in session.scalars(
            select(Department).where(
                Department.id.in_(data.attendee_unit_ids + [d.owner_unit_id for d in data.decisions])
            )
        )
    }
    places = {
        d.code: d.name for d in session.scalars(select(Division).where(Division.code.in_(data.attendee_divisions)))
    }
    missing = [str(u) for u in data.attendee_unit_ids if u not in units]
    missing += [str(d.owner_unit_id) for d in data.decisions if d.owner_unit_id not in units]
    missing += [code for code in data.attendee_divisions if code not in places]
    if missing:
        raise InvalidInputError(f"unknown units or divisions: {', '.join(missing)}")
    return [MeetingAttendee(unit_id=u, name=units[u]) for u in data.attendee_unit_ids] + [
        MeetingAttendee(division_code=code, name=places[code]) for code in data.attendee_divisions
    ]


def convene_meeting(session: Session, *, case_id: int, data: MeetingCreate, actor: Actor, clock: Clock) -> StoredCase:
    """Record a meeting held for the case: attendees, minutes, and decisions as tracked tasks."""
    case = load_visible(session, actor, case_id)
    if not parties_for(session, actor, case) & CONVENERS:
        raise ForbiddenError(
            "the lead unit, the command room or the level above convenes consultation meetings",
            message_key="forbidden.meeting",
        )
    if CaseStatus(case.status) in FINISHED:
        raise ConflictError(f"the case is {case.status}; meetings are held while it is open")
    attendees = _attendees(session, data)
    now = clock.now()
    case = store.lock(session, case, now)
    meeting = Meeting(
        case_id=case.id,
        title=data.title,
        held_at=data.held_at,
        place=data.place,
        minutes=data.minutes,
        convened_by=actor.audit_name,
        created_at=now,
    )
    session.add(meeting)
    session.flush()
    for attendee in attendees:
        attendee.meeting_id = meeting.id
    session.add_all(attendees)
    session.add_all(
        CaseTask(
            case_id=case.id,
            meeting_id=meeting.id,
            description=d.description,
            owner_unit_id=d.owner_unit_id,
            deadline_at=d.deadline_at,
            status=MeetingTaskStatus.OPEN.value,
        )
        for d in data.decisions
    )
    details = {"meeting_id": meeting.id, "attendees": [a.name for a in attendees], "decisions": len(data.decisions)}
    add_event(
        session,
        case,
        kind="meeting_held",
        actor=actor,
        parties=frozenset(p.value for p in parties_for(session, actor, case) & CONVENERS),
        details=details,
        at=now,
    )
    audit.record_by(
        session,
        actor,
        "case.meeting_held",
        entity_type="case",
        entity_id=case.id,
        after={"meeting_id": meeting.id, "title": data.title, "decisions": len(data.decisions)},
        at=now,
    )
    commit(session)
    return case


def complete_task(session: Session, *, task_id: int, data: TaskDone, actor: Actor, clock: Clock) -> StoredCase:
    """The owner unit marks a meeting task done."""
    task = session.get(CaseTask, task_id)
    if task is None or task.owner_unit_id not in strip_units(actor):
        raise NotFoundError(f"task {task_id} not found")
    case = store.lock(session, store.load_any(session, task.case_id), clock.now())
    session.refresh(task)
    if task.status != MeetingTaskStatus.OPEN:
        raise ConflictError(f"task {task_id} is {task.status}; only an open task is marked done")
    if CaseStatus(case.status) in FINISHED:
        raise ConflictError(f"the case is {case.status}; its tasks are closed")
    now = clock.now()
    task.status, task.done_at, task.done_note = MeetingTaskStatus.DONE.value, now, data.note
    details = {"task_id": task.id, "on_time": now <= task.deadline_at}
    add_event(session, case, kind="task_done", actor=actor, parties=frozenset(), details=details, at=now)
    audit.record_by(
        session, actor, "case.task_done", entity_type="case_task", entity_id=task.id, after={"note": data.note}, at=now
    )
    commit(session)
    return case


def insert_meetings(
    session: Session,
    meetings: Sequence[Mapping[str, Any]],
    attendees: Sequence[Mapping[str, Any]],
    tasks: Sequence[Mapping[str, Any]],
) -> None:
    """Store many meetings with their attendees and tasks whole (ids given), set-based: a bulk load of case histories.

    The cases and their timelines come first (`store.insert_many`); the caller audits and commits.
    """
    insert_rows(session, Meeting, meetings)
    insert_rows(session, MeetingAttendee, attendees)
    insert_rows(session, CaseTask, tasks)
