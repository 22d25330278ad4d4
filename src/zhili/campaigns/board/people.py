"""The board's lists: who has not claimed, who claimed and has not answered, who answered; whom to call.

The lists are 未领办 (notified or read), 已领办未回复 (claimed, no report yet: the ones to chase) and 已回复
(reported, verified or rated: a report awaiting the level above's check counts as an answer).

Each row carries the person's name and phone, the task's role and division (and the role of the post
that holds it: a task handed on by 改派 may be held by another role), and the task's supervisor (the
post copied onto the task at dispatch, who is told and verifies; else the post's current `supervisor_id`)
with that person's name and phone. The rows are the tasks in the caller's places (the board's counts); a name,
phone and person id are filled in only for people the caller may see (`org.visibility.sees_person`, the
org rule), in SQL, so a department's strip lists every unclaimed post but names only its own staff.
Pages are keyset-paginated by (division code, task id); the export reads the same statement without a limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, not_, or_, select
from sqlalchemy.orm import Session, aliased

from zhili.campaigns.board.counts import board, resolve_division, under
from zhili.campaigns.board.schemas import BoardRead, PersonRow, Which
from zhili.campaigns.lifecycle import FINISHED_STATES, UNCLAIMED_STATES, UNREPORTED_STATES, TaskState
from zhili.campaigns.models import CampaignTask
from zhili.campaigns.visibility import load_campaign, tasks_in_places
from zhili.core.auth import Actor
from zhili.core.pagination import Key, Page, decode_cursor, encode_cursor
from zhili.org.models import Division, Person, Position
from zhili.org.visibility import sees_person

STATES_OF: dict[str, tuple[TaskState, ...]] = {
    "unclaimed": UNCLAIMED_STATES,
    "unanswered": UNREPORTED_STATES,
    "finished": FINISHED_STATES,
}
EXPORT_BATCH = 2_000


def _statement(
    actor: Actor, *, campaign_id: int, which: Which, division: str, now: datetime
) -> Select[*tuple[Any, ...]]:
    task, post, boss_post = CampaignTask, aliased(Position), aliased(Position)
    person, boss = aliased(Person), aliased(Person)
    late = {
        "unclaimed": task.claim_due_at < now,
        "unanswered": task.report_due_at < now,
        "finished": task.reported_at > task.report_due_at,
    }[which]
    named, boss_named = sees_person(actor.scope, person.id), sees_person(actor.scope, boss.id)
    return (
        select(
            task.id.label("task_id"),
            case((named, task.person_id)).label("person_id"),
            case((named, person.name)).label("name"),
            case((named, person.phone)).label("phone"),
            case((named, False), else_=True).label("is_withheld"),
            task.role,
            case((post.role != task.role, post.role)).label("holder_role"),
            task.division_code,
            Division.name.label("division_name"),
            task.state,
            task.notified_at,
            task.claim_due_at,
            task.claimed_at,
            task.report_due_at,
            task.reported_at,
            case((boss_named, boss.name)).label("supervisor_name"),
            case((boss_named, boss.phone)).label("supervisor_phone"),
            case((and_(boss.id.is_not(None), not_(boss_named)), True), else_=False).label("supervisor_withheld"),
            case((late, True), else_=False).label("is_overdue"),
        )
        .join(person, person.id == task.person_id)
        .join(Division, Division.code == task.division_code)
        .join(post, post.id == task.position_id)
        .outerjoin(boss_post, boss_post.id == func.coalesce(task.supervisor_position_id, post.supervisor_id))
        .outerjoin(boss, boss.id == boss_post.person_id)
        .where(task.campaign_id == campaign_id, task.state.in_(STATES_OF[which]), under(task.division_code, division))
        .where(tasks_in_places(actor.scope))
        .order_by(task.division_code, task.id)
    )


def _rows(session: Session, statement: Select[*tuple[Any, ...]]) -> list[PersonRow]:
    return [PersonRow.model_validate(row, from_attributes=True) for row in session.execute(statement)]


def people(
    session: Session,
    actor: Actor,
    campaign_id: int,
    *,
    which: Which,
    division: str | None,
    now: datetime,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[PersonRow]:
    """One page of the unclaimed, unanswered or finished list under `division`, in the actor's scope."""
    campaign = load_campaign(session, actor, campaign_id)
    chosen, _top = resolve_division(actor, campaign, division)
    statement = _statement(actor, campaign_id=campaign.id, which=which, division=chosen, now=now)
    if cursor is not None:
        code, task_id = decode_cursor(cursor, (Key.TEXT, Key.INT))
        statement = statement.where(_after(code, task_id))
    found = _rows(session, statement.limit(limit + 1))
    has_more = len(found) > limit
    last = found[limit - 1] if has_more else None
    return Page[PersonRow](
        items=found[:limit], next_cursor=encode_cursor([last.division_code, last.task_id]) if last else None
    )


def _after(code: str, task_id: int) -> Any:
    task = CampaignTask
    return or_(task.division_code > code, and_(task.division_code == code, task.id > task_id))


def all_people(
    session: Session, actor: Actor, campaign_id: int, *, which: Which, division: str | None, now: datetime
) -> Iterator[PersonRow]:
    """Every row of the list (for the export), read in batches of `EXPORT_BATCH` by the same keyset."""
    cursor: str | None = None
    while True:
        page = people(
            session, actor, campaign_id, which=which, division=division, now=now, cursor=cursor, limit=EXPORT_BATCH
        )
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


@dataclass(frozen=True)
class Desk:
    """What the board page shows: the board and the first page of each list."""

    board: BoardRead
    unclaimed: Page[PersonRow]
    unanswered: Page[PersonRow]
    finished: Page[PersonRow]


def desk(session: Session, actor: Actor, campaign_id: int, *, division: str | None, now: datetime) -> Desk:
    """The board page's data in one call: counts, then the first rows of each list."""
    found = board(session, actor, campaign_id, division=division, now=now)
    code = found.division.code
    return Desk(
        board=found,
        unclaimed=people(session, actor, campaign_id, which="unclaimed", division=code, now=now, limit=20),
        unanswered=people(session, actor, campaign_id, which="unanswered", division=code, now=now, limit=20),
        finished=people(session, actor, campaign_id, which="finished", division=code, now=now, limit=20),
    )
