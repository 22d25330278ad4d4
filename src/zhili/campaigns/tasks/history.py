"""A task's steps (办理经过): who did what to it and when, with the reason they gave, read off the audit record.

Every step of a task is audited (`service.move`, `reassign`), with the columns it wrote: a decline's
reason, a return's, an overrule's, a verification's note, a rating. The task page lists them so that a
task declined, overruled and declined again shows each reason, not only the last one the row keeps.

The records are found by the partial index on campaign tasks' records (`ix_audit_records_campaign_task`,
schema 0032), which holds no case record: the closed loop's commits write no page of it. Its condition is
written literally so that SQLite's planner can match it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, get_args

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from zhili.campaigns.lifecycle import TaskRating
from zhili.campaigns.tasks.schemas import StepAction, TaskStep
from zhili.core.actor_names import actor_names
from zhili.core.audit import AuditRecord

ACTION_PREFIX = "campaign.task."
SIMULATED = "system:simulation"  # the actor of a step a simulation wrote (`campaigns simulate`, the demo's campaigns)
SHOWN: frozenset[str] = frozenset(get_args(StepAction)) - {"sent"}  # not a photo added: the report shows them
_SAID = {
    "decline": "reason",
    "overrule": "reason",
    "return": "reason",
    "verify": "verify_note",
    "reassigned_in": "note",
    "reassign": "note",
}
"""The column of a step's record that holds what was said with it."""
_IS_TASK = text("audit_records.entity_type = 'campaign_task'")  # literal: the partial index's own condition

_STEPS = (
    select(AuditRecord.at, AuditRecord.action, AuditRecord.actor, AuditRecord.after)
    .where(_IS_TASK, AuditRecord.entity_id == bindparam("b_task"))
    .order_by(AuditRecord.seq)
)


def task_history(
    session: Session,
    task_id: int,
    *,
    sent: tuple[datetime, str] | None,
    moved: Sequence[tuple[StepAction, datetime | None]] = (),
    recipient: str | None = None,
) -> list[TaskStep]:
    """The task's steps, oldest first; a rating carries its comment (audited as a record of its own).

    `sent` is when and by whom (an actor string) the task was sent, its first step: a dispatch writes its tasks
    in one statement, with no audit record of each. None for a task received by 改派, whose first step says so.
    `moved` are the row's own instants of the recipient's steps (领办, 回单): one with no audit record of its
    step at that instant was written many at once by a simulation (`store.move_many`, audited as one run) and
    is listed at its instant, by the recipient (`recipient`, their name).
    """
    rows = session.execute(_STEPS, {"b_task": str(task_id)}).all()
    names = actor_names(session, {row.actor for row in rows} | ({sent[1]} if sent else set()))
    steps: list[TaskStep] = []
    if sent is not None:
        steps.append(TaskStep(at=sent[0], action="sent", actor=sent[1], who=names.get(sent[1])))
    for row in rows:
        action, after = row.action.removeprefix(ACTION_PREFIX), _after(row.after)
        if action == "rating_comment" and steps and steps[-1].action == "rate":
            steps[-1] = steps[-1].model_copy(update={"said": after.get("comment") or None})
        if action not in SHOWN:
            continue
        rating = TaskRating(after["rating"]) if action == "rate" and after.get("rating") else None
        step = {"at": row.at, "action": action, "actor": row.actor, "who": names.get(row.actor)}
        steps.append(
            TaskStep.model_validate({**step, "said": after.get(_SAID.get(action, "")) or None, "rating": rating})
        )
    audited = {(step.action, step.at) for step in steps}  # a step the service took: audited at the row's instant
    unaudited = [
        TaskStep(at=at, action=action, actor=SIMULATED, who=recipient)
        for action, at in moved
        if at is not None and (action, at) not in audited
    ]
    return sorted([*steps, *unaudited], key=lambda step: step.at) if unaudited else steps


def _after(raw: str | None) -> dict[str, Any]:
    found = json.loads(raw) if raw else {}
    return found if isinstance(found, dict) else {}
