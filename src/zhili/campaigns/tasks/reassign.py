"""改派: the level above hands a declined task, or one unclaimed past its claim time, to someone else. One commit.

Reads as the other task use cases: `store.load` (404), `lifecycle.step` (403 / 409), then the new
recipient checked against the candidates (422), the new task written with fresh clocks (the role's
claim and report times from now, as dispatch computes them), the old task moved to `reassigned` by
the compare-and-set (409 when another change won), the audit record, the new recipient notified
as a dispatched task is (with a link to their task), the old one told, and the role's sweeps
scheduled for the new times. The old task names the new (`reassigned_to_id`), the new the old.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session, aliased

from zhili.campaigns import lifecycle, visibility
from zhili.campaigns.lifecycle import TaskAction, TaskState
from zhili.campaigns.models import CampaignTask
from zhili.campaigns.notices import task_words
from zhili.campaigns.tasks import service as task_service
from zhili.campaigns.tasks import store
from zhili.campaigns.tasks.schemas import ReassignBody, ReassignCandidate
from zhili.campaigns.tasks.store import Loaded, Task
from zhili.campaigns.tasks.sweeps import schedule_sweeps
from zhili.campaigns.template import RoleTask
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import InvalidInputError
from zhili.notify import inbox
from zhili.notify.kinds import Settled
from zhili.notify.service import notify
from zhili.notify.wording import Name, When, Words
from zhili.org.models import Division, Person, Position

MAX_CANDIDATES = 200


def candidates(session: Session, *, task_id: int, actor: Actor, now: datetime) -> list[ReassignCandidate]:
    """Whom the actor may hand this task to: empty unless 改派 is open to them now (404 for a task they cannot see)."""
    loaded = store.load(session, actor, task_id)
    overdue = lifecycle.is_claim_overdue(loaded.task.claim_due_at, now)
    if TaskAction.REASSIGN not in lifecycle.allowed_actions(loaded.task.state, loaded.parties, claim_overdue=overdue):
        return []
    return _candidates(session, actor, loaded.task)


def _eligible(actor: Actor, task: Task) -> ColumnElement[bool]:
    """Posts in the task's division inside the actor's units, whose holder has no task in the campaign yet.

    Neither the actor nor the holder of the task's supervising post: the level above verifies the new task.
    """
    has_task = exists().where(
        CampaignTask.campaign_id == task.campaign_id, CampaignTask.person_id == Position.person_id
    )
    supervisor = aliased(Position)
    supervises = exists().where(
        supervisor.id == task.supervisor_position_id, supervisor.person_id == Position.person_id
    )
    conditions = [visibility.assignable_posts(actor, task.division_code), ~has_task, ~supervises]
    if actor.person_id is not None:
        conditions.append(Position.person_id != actor.person_id)
    return and_(*conditions)


def _candidates(session: Session, actor: Actor, task: Task) -> list[ReassignCandidate]:
    rows = session.execute(
        select(Position.id, Position.person_id, Person.name, Position.role, Division.name, Position.title)
        .join(Person, Person.id == Position.person_id)
        .join(Division, Division.code == Position.division_code)
        .where(_eligible(actor, task))
        .order_by(Position.role, Person.name, Position.id)
        .limit(MAX_CANDIDATES)
    )
    return [
        ReassignCandidate(position_id=pid, person_id=person, name=name, role=role, division_name=place, title=title)
        for pid, person, name, role, place, title in rows
    ]


def reassign_task(session: Session, *, task_id: int, data: ReassignBody, actor: Actor, clock: Clock) -> Task:
    """改派: the task goes to the holder of `data.position_id`; the old one ends as reassigned (and is returned)."""
    loaded = store.load(session, actor, task_id)
    task_service.require_running(loaded.campaign)
    now = clock.now()
    overdue = lifecycle.is_claim_overdue(loaded.task.claim_due_at, now)
    lifecycle.step(loaded.task.state, TaskAction.REASSIGN, loaded.parties, claim_overdue=overdue)  # 403 / 409 first
    post = session.execute(
        select(Position.id, Position.person_id).where(Position.id == data.position_id, _eligible(actor, loaded.task))
    ).first()
    if post is None:
        raise InvalidInputError(
            "this person cannot take the task: choose one of the task's candidates",
            errors=[
                {
                    "field": "body.position_id",
                    "message": "not one of the people this task may be handed to",
                    "key": "tasks.reassign_ineligible",
                }
            ],
        )
    role_task = loaded.campaign.template.task_for(loaded.task.role)
    new_id = _insert(session, loaded.task, position_id=post[0], person_id=post[1], role_task=role_task, now=now)
    noted = {"note": data.note.strip()} if data.note and data.note.strip() else None
    old = task_service.move(
        session,
        loaded,
        TaskAction.REASSIGN,
        actor=actor,
        now=now,
        said=noted,
        reassigned_at=now,
        reassigned_to_id=new_id,
    )
    audit.record_by(
        session,
        actor,
        "campaign.task.reassigned_in",
        entity_type="campaign_task",
        entity_id=new_id,
        after={
            "reassigned_from_id": old.id,
            "person_id": post[1],
            "position_id": post[0],
            "note": noted["note"] if noted else "",
        },
        at=now,
    )
    task_service.settle_told(session, old, "declined", actor=actor, at=now)
    _settle_old_notice(session, old, actor=actor, at=now)
    _tell_new(
        session, loaded, new_id=new_id, person_id=post[1], role_task=role_task, note=data.note, by=actor, clock=clock
    )
    said = Words("notice.campaign.reassigned_away")
    task_service.tell_recipient(
        session, old, loaded.campaign, kind="reassigned", said=said, clock=clock, topic="campaign.task.reassigned"
    )
    schedule_sweeps(
        session, campaign_id=old.campaign_id, template=loaded.campaign.template, roles=[old.role], dispatched_at=now
    )
    commit(session)
    return old


def _settle_old_notice(session: Session, old: Task, *, actor: Actor, at: datetime) -> None:
    """The old recipient's 新任务 notice says the task went to someone else (已由<name>改派他人).

    The campaign's dispatch notice, or the one that handed them this task (改派 before). The dispatch notice is
    left alone while the campaign still has another task of theirs (another role or post): it may be its notice.
    """
    waiting = exists().where(
        CampaignTask.campaign_id == old.campaign_id,
        CampaignTask.person_id == old.person_id,
        CampaignTask.id != old.id,
        CampaignTask.state != TaskState.REASSIGNED.value,
    )
    for subject, unless in ((f"campaign:{old.campaign_id}", waiting), (f"campaign-task:{old.id}", None)):
        inbox.settle_reader(
            session,
            subject=subject,
            topic="campaign.task",
            reader_id=old.person_id,
            person_id=actor.person_id,
            at=at,
            why=Settled.REASSIGNED,
            unless=unless,
        )


def _insert(
    session: Session, old: Task, *, position_id: int, person_id: int, role_task: RoleTask, now: datetime
) -> int:
    """The new task: the old one's campaign, role, division, supervisor and forward; fresh clocks. 409 on a twin."""
    values = {
        "campaign_id": old.campaign_id,
        "person_id": person_id,
        "position_id": position_id,
        "supervisor_position_id": old.supervisor_position_id,
        "role": old.role,
        "division_code": old.division_code,
        "forward_id": select(CampaignTask.forward_id).where(CampaignTask.id == old.id).scalar_subquery(),
        "state": TaskState.NOTIFIED.value,
        "notified_at": now,
        "claim_due_at": role_task.claim_due(now),
        "report_due_at": role_task.report_due(now),
        "is_far": False,
        "returned_count": 0,
        "reassigned_from_id": old.id,
    }
    return store.insert_handover(session, values)


def _tell_new(
    session: Session,
    loaded: Loaded,
    *,
    new_id: int,
    person_id: int,
    role_task: RoleTask,
    note: str | None,
    by: Actor,
    clock: Clock,
) -> None:
    """The new recipient's notice, on the channels of a dispatched task, linked to their own task page.

    It names who handed it on (`by`) and whose task it was.
    """
    campaign = loaded.campaign
    person, place = session.execute(
        select(Person.name, Division.name)
        .join(Division, Division.code == loaded.task.division_code)
        .where(Person.id == loaded.task.person_id)
    ).one()
    noted = (note or "").strip()
    notify(
        session,
        recipients=[person_id],
        topic="campaign.task",
        severity=campaign.severity,
        title=Words("notice.campaign.task", task_words(campaign.title, campaign.title_en, role_task)),
        body=[
            Words("notice.campaign.reassigned_to_you", {"by": by.display_name, "person": person, "place": place}),
            *([Words("notice.campaign.reassign_note", {"note": noted})] if noted else []),
            Words("notice.campaign.instructions", {"text": Name(role_task.instructions, role_task.instructions_en)}),
            *([campaign.message] if campaign.message else []),
            Words("notice.campaign.claim_by", {"due": When(role_task.claim_due(clock.now()))}),
        ],
        key=f"campaign-task:{new_id}:reassigned-in",
        clock=clock,
        link=f"/tasks/{new_id}",
        subject=f"campaign-task:{new_id}",
    )
