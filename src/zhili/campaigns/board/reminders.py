"""一键催领办: from the board, the level above reminds the people under a division who have not claimed yet.

The automatic sweeps (`tasks.sweeps`) remind at the template's instants; a centre or a command room
watching the board may remind now. Each person gets one letter listing their unclaimed tasks, worded
as the clock's first reminder (催领办) and leading to their task, and the tasks are marked reminded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.campaigns.board.counts import resolve_division, under
from zhili.campaigns.lifecycle import UNCLAIMED_STATES, CampaignStatus
from zhili.campaigns.models import CampaignTask
from zhili.campaigns.tasks import store
from zhili.campaigns.tasks.sweep_letters import Overdue, SweptCampaign, sweep_letters
from zhili.campaigns.tasks.sweep_rules import Sweep
from zhili.campaigns.visibility import load_campaign, manages_territory, tasks_in_places
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, ForbiddenError
from zhili.notify.batch import notify_each
from zhili.org.models import Division, Person


@dataclass(frozen=True)
class Reminded:
    """How many people were reminded, of how many unclaimed tasks, under which division."""

    people: int
    tasks: int
    division: str


def may_remind(actor: Actor, division: str) -> bool:
    """Who reminds from the board: administrators, and the centres and command rooms whose block holds the division."""
    return actor.is_admin or manages_territory(actor, division)


def remind_unclaimed(
    session: Session, *, campaign_id: int, division: str | None, actor: Actor, clock: Clock
) -> Reminded:
    """Remind everyone under `division` (the board's top by default) whose task of this campaign is unclaimed."""
    campaign = load_campaign(session, actor, campaign_id)
    chosen, _top = resolve_division(actor, campaign, division)
    if not may_remind(actor, chosen):
        raise ForbiddenError(
            "only a centre or a command room over this division reminds its people", message_key="forbidden.remind"
        )
    if campaign.status != CampaignStatus.ACTIVE or campaign.closed_at is not None:
        raise ConflictError(f"campaign {campaign.number} is closed: nobody is reminded any more")
    task = CampaignTask
    rows = session.execute(
        select(task.id, task.person_id, task.role, Person.name, Division.name, task.claim_due_at, task.reminded_at)
        .join(Person, Person.id == task.person_id)
        .join(Division, Division.code == task.division_code)
        .where(task.campaign_id == campaign.id, task.state.in_(UNCLAIMED_STATES), under(task.division_code, chosen))
        .where(tasks_in_places(actor.scope))
        .order_by(task.person_id, task.division_code, task.id)
    ).all()
    by_role: defaultdict[str, list[Overdue]] = defaultdict(list)
    for task_id, person_id, role, name, place, due_at, marker_at in rows:
        by_role[role].append(Overdue(task_id, person_id, name, place, due_at, marker_at))
    now = clock.now()
    template = campaign.template
    swept = SweptCampaign(campaign.id, campaign.number, campaign.title, campaign.severity, campaign.title_en)
    # A reminder by hand is its own letter, keyed by its instant (a sweep's generation is a number).
    generation = f"hand-{now.strftime('%Y%m%d%H%M%S')}"
    letters = [
        letter
        for role, tasks in sorted(by_role.items())
        if role in {t.role for t in template.tasks}
        for letter in sweep_letters(swept, template.task_for(role), Sweep.CLAIM, tasks, generation=generation, now=now)
    ]
    task_ids = [row[0] for row in rows]
    store.mark(session, "reminded_at", task_ids, now)
    notify_each(session, letters, clock=clock)
    people = len({row[1] for row in rows})
    audit.record_by(
        session,
        actor,
        "campaign.reminded",
        entity_type="campaign",
        entity_id=campaign.id,
        after={"division": chosen, "people": people, "tasks": len(task_ids)},
        at=now,
    )
    commit(session)
    return Reminded(people=people, tasks=len(task_ids), division=chosen)
