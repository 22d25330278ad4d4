"""Fan-out: the tasks of one role within some divisions, one INSERT … SELECT, and their notification."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, String, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from zhili.campaigns.lifecycle import TaskState
from zhili.campaigns.models import Campaign, CampaignTask
from zhili.campaigns.notices import task_words
from zhili.campaigns.template import TaskTemplate
from zhili.core.clock import Clock
from zhili.core.db import UtcDateTime
from zhili.notify.service import notify
from zhili.notify.wording import Name, When, Words
from zhili.org.division_code import codes_of
from zhili.org.models import Division, Position

TASK_COLUMNS = (
    "campaign_id",
    "person_id",
    "position_id",
    "supervisor_position_id",
    "role",
    "division_code",
    "forward_id",
    "state",
    "notified_at",
    "claim_due_at",
    "report_due_at",
    "is_far",
    "returned_count",
)


def in_scope(divisions: Sequence[str]) -> ColumnElement[bool]:
    """Posts at or under any of the divisions."""
    return or_(*(code.subtree(Position.division_code) for code in codes_of(divisions)))


def recipients(roles: Sequence[str], within: Sequence[str]) -> ColumnElement[bool]:
    """The posts a one-click dispatch gives a task: of these roles, at or under the divisions.

    The fan-out (`add_tasks`) and its preview (`recipient_counts`) both select with this, so the
    count shown before the confirmation is the count of tasks the dispatch creates.
    """
    return Position.role.in_(list(roles)) & in_scope(within)


def recipient_counts(session: Session, *, roles: Sequence[str], within: Sequence[str]) -> list[tuple[str, str, int]]:
    """(role, level of the post's division, posts) for a dispatch: one GROUP BY over the fan-out's selection."""
    stmt = (
        select(Position.role, Division.level, func.count())
        .join(Division, Division.code == Position.division_code)
        .where(recipients(roles, within))
        .group_by(Position.role, Division.level)
    )
    return [(role, level, int(count)) for role, level, count in session.execute(stmt)]


def add_tasks(
    session: Session,
    *,
    campaign: Campaign,
    template: TaskTemplate,
    role: str,
    within: Sequence[str],
    now: datetime,
    clock: Clock,
    forward_id: int | None = None,
) -> int:
    """One task per post of `role` within the divisions (one INSERT … SELECT), and their notification."""
    task = template.task_for(role)
    rows = select(
        literal(campaign.id, Integer),
        Position.person_id,
        Position.id,
        Position.supervisor_id,
        Position.role,
        Position.division_code,
        literal(forward_id, Integer),
        literal(TaskState.NOTIFIED.value, String),
        literal(now, UtcDateTime()),
        literal(task.claim_due(now), UtcDateTime()),
        literal(task.report_due(now), UtcDateTime()),
        literal(False),  # noqa: FBT003 - a column value
        literal(0, Integer),
    ).where(recipients([role], within))
    statement = insert(CampaignTask).from_select(TASK_COLUMNS, rows)
    added = session.execute(statement.execution_options(preserve_rowcount=True)).rowcount  # type: ignore[attr-defined]
    if added:
        _notify_role(session, campaign=campaign, template=template, role=role, within=within, clock=clock)
    return int(added)


def _notify_role(
    session: Session, *, campaign: Campaign, template: TaskTemplate, role: str, within: Sequence[str], clock: Clock
) -> None:
    task = template.task_for(role)
    # The people of the posts the tasks were just made from: the same selection as the tasks', read
    # from `positions` (whose statistics the planner knows) rather than from the rows this transaction
    # has just written (which it does not, and would probe one by one).
    people = select(Position.person_id).where(recipients([role], within))
    message = [campaign.message] if campaign.message else []
    claim_by = task.claim_due(clock.now())
    # The template's and the dispatcher's words are as written (Chinese); the rest in the reader's language.
    notify(
        session,
        recipients=people,
        topic="campaign.task",
        severity=campaign.severity,
        title=Words("notice.campaign.task", task_words(campaign.title, campaign.title_en, task)),
        body=[
            Words("notice.campaign.instructions", {"text": Name(task.instructions, task.instructions_en)}),
            *message,
            Words("notice.campaign.claim_by", {"due": When(claim_by)}),
        ],
        key=f"campaign:{campaign.id}:{role}:{'-'.join(within)}",
        clock=clock,
        link=f"/campaigns/{campaign.id}/my-task",  # the reader's own task (tasks.pages)
        subject=f"campaign:{campaign.id}",
    )
