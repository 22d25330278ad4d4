"""Who sees which tasks (the recipient, the supervising post, managing posts over the division), and loading one."""

from __future__ import annotations

from typing import cast

from sqlalchemy import ColumnElement, bindparam, false, or_, select
from sqlalchemy.orm import Session

from zhili.campaigns import tasks
from zhili.campaigns.models import Campaign, CampaignTask
from zhili.campaigns.schemas import TaskState
from zhili.campaigns.tasks import Reach, TaskParty
from zhili.core.auth import Actor, Grant, Scope
from zhili.core.errors import NotFoundError
from zhili.org.models import Position
from zhili.org.roles import Role

# The posts that verify, return and rate the tasks in their blocks ("the level above"), besides the
# supervising post named on each task. Village committees are here: they verify their grids' reports.
TASK_MANAGING_ROLES = frozenset({Role.CENTRE_STAFF, Role.TOWNSHIP_COMMAND, Role.VILLAGE_CADRE})

_POSTS = select(Position.id, Position.role, Position.division_code).where(Position.person_id == bindparam("b_person"))


def load_reach(session: Session, actor: Actor) -> Reach:
    """The actor's posts and managing blocks, read in one query (administrators manage everything)."""
    if actor.person_id is None:
        return Reach(None, frozenset(), Scope.everything() if actor.is_admin else Scope())
    posts = session.execute(_POSTS, {"b_person": actor.person_id}).all()
    managing = (
        Scope.everything()
        if actor.is_admin
        else Scope.of(Grant(division) for _id, role, division in posts if role in TASK_MANAGING_ROLES)
    )
    return Reach(actor.person_id, frozenset(post_id for post_id, _role, _division in posts), managing)


def visible_tasks(reach: Reach) -> ColumnElement[bool]:
    """Tasks the actor may see: their own, those their posts supervise, those in their managing blocks.

    Another person's task is not found (404) for a plain recipient, even in their own grid.
    """
    conditions: list[ColumnElement[bool]] = [reach.managing.where(CampaignTask.division_code)]
    if reach.person_id is not None:
        conditions.append(CampaignTask.person_id == reach.person_id)
    if reach.position_ids:
        conditions.append(CampaignTask.supervisor_position_id.in_(sorted(reach.position_ids)))
    return or_(false(), *conditions)


def supervised_tasks(reach: Reach) -> ColumnElement[bool]:
    """Tasks the actor sees as the level above (not their own)."""
    mine = CampaignTask.person_id == reach.person_id if reach.person_id is not None else false()
    above: list[ColumnElement[bool]] = [reach.managing.where(CampaignTask.division_code)]
    if reach.position_ids:
        above.append(CampaignTask.supervisor_position_id.in_(sorted(reach.position_ids)))
    return or_(*above) & ~mine


def load_task(session: Session, actor: Actor, task_id: int) -> tuple[CampaignTask, Campaign, frozenset[TaskParty]]:
    """A task the actor may see, its campaign, and who the actor is for it; or 404."""
    reach = load_reach(session, actor)
    row = session.execute(
        select(CampaignTask, Campaign)
        .join(Campaign, Campaign.id == CampaignTask.campaign_id)
        .where(CampaignTask.id == task_id, visible_tasks(reach))
    ).first()
    if row is None:
        raise NotFoundError(f"task {task_id} not found")
    task, campaign = row
    parties = tasks.parties_of(
        reach,
        person_id=task.person_id,
        supervisor_position_id=task.supervisor_position_id,
        division_code=task.division_code,
    )
    return task, campaign, parties


def state_of(task: CampaignTask) -> TaskState:
    """The task's state as the lifecycle's value (the column holds only these, written by `move` and dispatch)."""
    return cast("TaskState", task.state)
