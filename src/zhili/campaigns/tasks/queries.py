"""Task reads: my tasks, the tasks I verify as the level above, and one task with everything its page shows."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Row, func, literal, select
from sqlalchemy.orm import Session, aliased

from zhili.campaigns import lifecycle, visibility
from zhili.campaigns.lifecycle import TaskParty, TaskState
from zhili.campaigns.models import Campaign, CampaignForward, CampaignTask, TaskPhoto
from zhili.campaigns.tasks import queue as task_queue
from zhili.campaigns.tasks.history import task_history
from zhili.campaigns.tasks.queue import TaskFilter, View
from zhili.campaigns.tasks.schemas import CampaignBrief, ForwardStep, TaskDetail, TaskLink, TaskPhotoRead, TaskRead
from zhili.campaigns.visibility import load_reach, load_task
from zhili.cases.models import Case
from zhili.cases.schemas import Point
from zhili.core.auth import Actor
from zhili.core.pagination import Page
from zhili.org.models import Division, Person, Position

_RECIPIENT = frozenset({TaskParty.RECIPIENT})


def list_tasks(
    session: Session,
    actor: Actor,
    *,
    view: View = "mine",
    state: TaskState | None = None,
    where: TaskFilter | None = None,
    now: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[TaskRead]:
    """My tasks (`mine`), or the tasks I answer for as the level above (`above`); filtered and sorted."""
    reach = load_reach(session, actor)
    where = where or TaskFilter()
    if state is not None:
        where = replace(where, state=state)
    moment = now or datetime.now(UTC)
    found = task_queue.conditions(reach, view, where, moment)
    if cursor:
        found.append(task_queue.after_cursor(cursor, where.sort))
    stmt = task_queue.ordered(task_queue.rows().where(*found), where.sort).limit(limit + 1)
    fetched = list(session.execute(stmt))
    items = [_read(row, _parties(reach, row[0]), moment) for row in fetched[:limit]]
    last = fetched[limit - 1][0] if len(fetched) > limit else None
    next_cursor = task_queue.cursor_of(last, where.sort) if last is not None else None
    return Page[TaskRead](items=items, next_cursor=next_cursor)


def _parties(reach: lifecycle.Reach, task: CampaignTask) -> frozenset[TaskParty]:
    return lifecycle.parties_of(
        reach,
        person_id=task.person_id,
        supervisor_position_id=task.supervisor_position_id,
        division_code=task.division_code,
    )


def _read(row: Row[CampaignTask, Campaign, str, str], parties: frozenset[TaskParty], now: datetime) -> TaskRead:
    task, campaign, person_name, division_name = row
    return TaskRead.model_validate(_summary(task, campaign, person_name, division_name, parties, now=now))


def _summary(
    task: CampaignTask,
    campaign: Campaign,
    person_name: str,
    division_name: str,
    parties: frozenset[TaskParty],
    *,
    now: datetime,
) -> dict[str, Any]:
    role_task = lifecycle.role_task(campaign.template, task.role)
    return {
        "id": task.id,
        "campaign": CampaignBrief(
            id=campaign.id,
            number=campaign.number,
            title=campaign.title,
            title_en=campaign.title_en,
            message=campaign.message,
            severity=campaign.severity,
            template_code=campaign.template_code,
        ),
        "role": task.role,
        "title_zh": role_task.title_zh,
        "title_en": role_task.title_en,
        "person_id": task.person_id,
        "person_name": person_name,
        "division_code": task.division_code,
        "division_name": division_name,
        "state": task.state,
        "notified_at": task.notified_at,
        "claim_due_at": task.claim_due_at,
        "report_due_at": task.report_due_at,
        "is_far": task.is_far,
        "returned_count": task.returned_count,
        "allowed_actions": list(
            lifecycle.allowed_actions(
                TaskState(task.state), parties, claim_overdue=lifecycle.is_claim_overdue(task.claim_due_at, now)
            )
        ),
    }


def task_detail(session: Session, actor: Actor, task_id: int, *, now: datetime) -> TaskDetail:
    """One task the actor may see (else 404): instructions, checklist, report, photos, cascade path, points."""
    task, campaign, parties = load_task(session, actor, task_id)
    person = select(Person.name).where(Person.id == task.person_id).scalar_subquery()
    phone = select(Person.phone).where(Person.id == task.person_id).scalar_subquery()
    division = select(Division.name).where(Division.code == task.division_code).scalar_subquery()
    above = select(Position.person_id).where(Position.id == task.supervisor_position_id).scalar_subquery()
    supervisor = select(Person.name).where(Person.id == above).scalar_subquery()
    # Who sent it: the level that passed a cascade down to it, else the campaign's sender.
    forwarded_by = select(CampaignForward.forwarded_by).where(CampaignForward.id == task.forward_id).scalar_subquery()
    created_by = select(Campaign.created_by).where(Campaign.id == task.campaign_id).scalar_subquery()
    names = session.execute(select(person, division, phone, supervisor, func.coalesce(forwarded_by, created_by))).one()
    sent = None if task.reassigned_from_id else (task.notified_at, names[4] or "")  # 改派: its own first step
    role_task = lifecycle.role_task(campaign.template, task.role)
    record = lifecycle.TaskRecord(
        state=TaskState(task.state),
        claimed_at=task.claimed_at,
        reported_at=task.reported_at,
        report_due_at=task.report_due_at,
        verified_at=task.verified_at,
        returned_count=task.returned_count,
    )
    has_point = task.report_lon is not None and task.report_lat is not None
    return TaskDetail.model_validate(
        {
            **_summary(task, campaign, names[0], names[1], parties, now=now),
            "instructions": role_task.instructions,
            "instructions_en": role_task.instructions_en,
            "evidence": [kind.value for kind in role_task.evidence],
            "checklist": list(role_task.checklist),
            "checklist_en": list(role_task.checklist_en),
            "matters": list(campaign.template.matters),
            **{key: getattr(task, key) for key in _DETAIL_COLUMNS},
            "report_point": Point(lon=task.report_lon, lat=task.report_lat) if has_point else None,
            "report_checklist": task.report_checklist,
            "case_number": session.scalar(select(Case.number).where(Case.id == task.case_id)) if task.case_id else None,
            "points": lifecycle.points(role_task.points, record, now=now),
            "photos": _photos(session, task.id),
            "cascade": cascade_path(session, task.forward_id),
            "is_mine": parties == _RECIPIENT,
            "history": task_history(
                session,
                task.id,
                sent=sent,
                moved=(("claim", task.claimed_at), ("report", task.reported_at)),
                recipient=names[0],
            ),
            # Those above a late recipient urge them (督促) by phone; the recipient is not shown their own number.
            "person_phone": None if parties == _RECIPIENT else names[2],
            "supervisor_name": names[3],
            # A decline is told to the managing posts above too (`visibility.told_above`): said to its recipient.
            "also_told": visibility.managing_above(session, task.division_code)
            if parties == _RECIPIENT and task.state == TaskState.DECLINED
            else None,
            "reassigned_at": task.reassigned_at,
            "reassigned_to": _linked(session, task.reassigned_to_id, opens=parties != _RECIPIENT),
            "reassigned_from": _linked(session, task.reassigned_from_id, opens=parties != _RECIPIENT),
        }
    )


def _linked(session: Session, task_id: int | None, *, opens: bool) -> TaskLink | None:
    """The other task of a 改派: its person and division; its id only for the level above, who may open both."""
    if task_id is None:
        return None
    row = session.execute(
        select(Person.name, Division.name)
        .select_from(CampaignTask)
        .join(Person, Person.id == CampaignTask.person_id)
        .join(Division, Division.code == CampaignTask.division_code)
        .where(CampaignTask.id == task_id)
    ).first()
    if row is None:
        return None
    return TaskLink(id=task_id if opens else None, person_name=row[0], division_name=row[1])


_DETAIL_COLUMNS = (
    "read_at",
    "claimed_at",
    "reported_at",
    "verified_at",
    "rated_at",
    "declined_at",
    "reason",
    "verify_note",
    "report_text",
    "rating",
    "case_id",
)


def report_map(session: Session, detail: TaskDetail, label: str) -> str:
    """The report's point and the outline of the task's division as the small map's JSON ("" without a point).

    The supervisor who verifies sees where it was reported beside where it was due (`is_far` says the same in words).
    """
    point = detail.report_point
    if point is None:
        return ""
    outline = session.scalar(select(Division.geometry).where(Division.code == detail.division_code))
    fix = {"lon": point.lon, "lat": point.lat, "label": label}
    return json.dumps(
        {"case": None, "fixes": [fix], "grid": json.loads(outline) if outline else None}, ensure_ascii=False
    )


def _photos(session: Session, task_id: int) -> list[TaskPhotoRead]:
    rows = session.execute(
        select(TaskPhoto.id, TaskPhoto.content_type, TaskPhoto.size, TaskPhoto.sha256)
        .where(TaskPhoto.task_id == task_id)
        .order_by(TaskPhoto.id)
    )
    return [
        TaskPhotoRead(id=pid, content_type=kind, size=size, sha256=digest, url=f"/api/v1/tasks/photos/{pid}")
        for pid, kind, size, digest in rows
    ]


def cascade_path(session: Session, forward_id: int | None) -> list[ForwardStep]:
    """The forwards a cascading task came down, from the top level to its own, in one recursive query."""
    if forward_id is None:
        return []
    start = select(CampaignForward.id, CampaignForward.parent_id, literal(0).label("depth")).where(
        CampaignForward.id == forward_id
    )
    chain = start.cte("chain", recursive=True)
    parent = aliased(CampaignForward)
    chain = chain.union_all(
        select(parent.id, parent.parent_id, (chain.c.depth + 1).label("depth")).join(
            chain, parent.id == chain.c.parent_id
        )
    )
    rows = session.execute(
        select(CampaignForward, Division.name)
        .join(chain, chain.c.id == CampaignForward.id)
        .join(Division, Division.code == CampaignForward.division_code)
        .order_by(chain.c.depth.desc())
    )
    return [
        ForwardStep(
            division_code=forward.division_code,
            division_name=name,
            instructions=forward.instructions,
            received_at=forward.received_at,
            forwarded_at=forward.forwarded_at,
        )
        for forward, name in rows
    ]


def waiting_counts(session: Session, actor: Actor) -> task_queue.Waiting:
    """未领办: my unclaimed tasks, and those I answer for as the level above; 待核验: those reported to me."""
    return task_queue.waiting_counts(session, actor)


class TaskRates(BaseModel):
    """Campaign tasks sent in a period, and how many were claimed and finished (any time since)."""

    total: int
    claimed: int
    finished: int

    @property
    def claim_rate(self) -> float | None:
        """领办率: claimed among the tasks sent."""
        return self.claimed / self.total if self.total else None

    @property
    def finish_rate(self) -> float | None:
        """办结率: reported (then verified, rated) among the tasks sent."""
        return self.finished / self.total if self.total else None


def task_rates(session: Session, actor: Actor, *, since: datetime, until: datetime, division: str | None) -> TaskRates:
    """The tasks sent in [since, until) held in the actor's places (as the board counts), optionally in an area."""
    conditions = [
        visibility.tasks_in_places(actor.scope),
        CampaignTask.notified_at >= since,
        CampaignTask.notified_at < until,
    ]
    if division:
        conditions.append(CampaignTask.division_code.startswith(division, autoescape=True))
    total, claimed, finished = session.execute(
        select(func.count(), func.count(CampaignTask.claimed_at), func.count(CampaignTask.reported_at)).where(
            *conditions
        )
    ).one()
    return TaskRates(total=total, claimed=claimed, finished=finished)
