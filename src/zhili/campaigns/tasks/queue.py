"""The task queue's filters, search, sort and cursors, and the workbench's 未领办 counts: one set of conditions.

Every condition is added to who the actor is for the tasks (`reach`): their own (`mine`), or those
they answer for as the level above (`above`). A count and the queue it links to use the same filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal, TypeVar, cast

from fastapi import Query
from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from zhili.campaigns.lifecycle import TASK_STATES, UNCLAIMED_STATES, CampaignStatus, Reach, TaskState
from zhili.campaigns.models import Campaign, CampaignTask
from zhili.campaigns.visibility import load_reach, supervised_tasks, told_first
from zhili.core.auth import Actor
from zhili.core.pagination import Key, decode_cursor, encode_cursor
from zhili.org.models import Division, Person

RUNNING = CampaignStatus.ACTIVE.value  # a campaign's status until it is closed

View = Literal["mine", "above"]
Sort = Literal["newest", "oldest", "due"]
SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True)
class TaskFilter:
    """What the task queue shows: `q` searches the campaign's number and title, the person and the place."""

    state: TaskState | None = None
    campaign: int | None = None
    unclaimed: bool = False
    overdue: bool = False
    running: bool = False
    told: bool = False
    q: str | None = None
    sort: Sort = "newest"


def task_filter(  # noqa: PLR0917 - one argument per documented query parameter
    state: Annotated[str | None, Query(pattern=rf"^({'|'.join(TASK_STATES)})?$", description="the task state")] = None,
    campaign: Annotated[str | None, Query(pattern=r"^(\d{1,9})?$", description="the campaign's id")] = None,
    unclaimed: Annotated[bool, Query(description="not yet claimed (未领办): notified or read")] = False,
    overdue: Annotated[bool, Query(description="past the claim time unclaimed, or the report time claimed")] = False,
    running: Annotated[bool, Query(description="in campaigns still running (not closed)")] = False,
    told: Annotated[
        bool, Query(description="view=above: those told to you, yours to answer first (not all you may step in on)")
    ] = False,
    q: Annotated[str | None, Query(max_length=60, description="search campaign, person and place")] = None,
    sort: Annotated[
        str | None, Query(pattern=r"^(newest|oldest|due)?$", description="newest (default), oldest, due soonest")
    ] = None,
) -> TaskFilter:
    """The filter the query parameters describe (an empty value from a form means any)."""
    return TaskFilter(
        state=TaskState(state) if state else None,
        campaign=int(campaign) if campaign else None,
        unclaimed=unclaimed,
        overdue=overdue,
        running=running,
        told=told,
        q=q.strip() if q and q.strip() else None,
        sort=cast("Sort", sort) if sort else "newest",
    )


def who(reach: Reach, view: View) -> ColumnElement[bool]:
    """The tasks of a view: sent to me, or those I answer for as the level above."""
    if view == "mine":
        return CampaignTask.person_id == reach.person_id if reach.person_id is not None else false()
    return supervised_tasks(reach)


def _due() -> ColumnElement[datetime]:
    """The time the task waits for: claiming while unclaimed, else the report."""
    return case((CampaignTask.state.in_(UNCLAIMED_STATES), CampaignTask.claim_due_at), else_=CampaignTask.report_due_at)


def _overdue(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(CampaignTask.state.in_(UNCLAIMED_STATES), CampaignTask.claim_due_at <= now),
        and_(CampaignTask.state == TaskState.CLAIMED, CampaignTask.report_due_at <= now),
    )


def conditions(reach: Reach, view: View, where: TaskFilter, now: datetime) -> list[ColumnElement[bool]]:
    """The WHERE clause of the queue, its counts and its export (the statement joins Campaign, Person, Division)."""
    found = [who(reach, view)]
    if where.state:
        found.append(CampaignTask.state == where.state)
    if where.campaign:
        found.append(CampaignTask.campaign_id == where.campaign)
    if where.unclaimed:
        found.append(CampaignTask.state.in_(UNCLAIMED_STATES))
    if where.overdue:
        found.append(_overdue(now))
    if where.running:
        found.append(Campaign.status == RUNNING)
    if where.told and view == "above":
        found.append(told_first(reach))
    if where.q:
        needle = where.q[:60]
        found.append(
            or_(
                Campaign.number.icontains(needle, autoescape=True),
                Campaign.title.icontains(needle, autoescape=True),
                Person.name.icontains(needle, autoescape=True),
                Division.name.icontains(needle, autoescape=True),
            )
        )
    return found


def ordered(stmt: SelectT, sort: Sort) -> SelectT:
    """The queue's order, ties broken by id so the cursor is exact."""
    if sort == "oldest":
        return stmt.order_by(CampaignTask.notified_at.asc(), CampaignTask.id.asc())
    if sort == "due":
        return stmt.order_by(_due().asc(), CampaignTask.id.asc())
    return stmt.order_by(CampaignTask.notified_at.desc(), CampaignTask.id.desc())


def after_cursor(cursor: str, sort: Sort) -> ColumnElement[bool]:
    """The rows after the last one seen, in the order of `sort`."""
    at, last_id = decode_cursor(cursor, (Key.INSTANT, Key.INT))
    if sort == "newest":
        return or_(CampaignTask.notified_at < at, and_(CampaignTask.notified_at == at, CampaignTask.id < last_id))
    column = _due() if sort == "due" else CampaignTask.notified_at.expression
    return or_(column > at, and_(column == at, CampaignTask.id > last_id))


def cursor_of(task: CampaignTask, sort: Sort) -> str:
    """The cursor after this task."""
    due = task.claim_due_at if task.state in UNCLAIMED_STATES else task.report_due_at
    at = due if sort == "due" else task.notified_at
    return encode_cursor([at, task.id])


def rows() -> Select[CampaignTask, Campaign, str, str]:
    """A task with its campaign, its person's name and its division's name."""
    return (
        select(CampaignTask, Campaign, Person.name, Division.name)
        .join(Campaign, Campaign.id == CampaignTask.campaign_id)
        .join(Person, Person.id == CampaignTask.person_id)
        .join(Division, Division.code == CampaignTask.division_code)
    )


@dataclass(frozen=True)
class Waiting:
    """What waits for the actor among the tasks: unclaimed, reported to me, claimed by me and not reported.

    Unclaimed: mine, and my people's. Not reported: a report returned to me is among them.
    """

    unclaimed_mine: int
    unclaimed_above: int
    to_verify: int
    unreported_mine: int
    to_reassign: int  # declined by my people in campaigns still running: 改派 is mine to do


def waiting_counts(session: Session, actor: Actor) -> Waiting:
    """What waits for me among the tasks, in one statement.

    未领办 (mine; those I answer for as the level above), 待回单 (mine), and as the level above 待核验
    (reported) and 待改派 (declined in a campaign still running) among those told to me (`told_first`).
    """
    row = session.execute(_waiting_counts(load_reach(session, actor))).one()
    return Waiting(*(int(value) for value in row))


@lru_cache(maxsize=1024)
def _waiting_counts(reach: Reach) -> Select[int, int, int, int, int]:
    """The counts' statement, built once per reach (an immutable value, as `cases.visibility.visible_cases`'s actor)."""
    mine, above = who(reach, "mine"), who(reach, "above")
    first = and_(above, told_first(reach))
    unclaimed, reported = CampaignTask.state.in_(UNCLAIMED_STATES), CampaignTask.state == TaskState.REPORTED
    claimed = CampaignTask.state == TaskState.CLAIMED
    running = select(Campaign.id).where(Campaign.status == RUNNING)
    declined = and_(CampaignTask.state == TaskState.DECLINED, CampaignTask.campaign_id.in_(running))

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    columns = (
        count(and_(unclaimed, mine)),
        count(and_(unclaimed, above)),
        count(and_(reported, first)),
        count(and_(claimed, mine)),
        count(and_(declined, first)),
    )
    return select(*columns).where(or_(mine, above), or_(unclaimed, reported, claimed, declined))


def campaign_choices(session: Session, actor: Actor, view: View) -> list[tuple[int, str, str, str]]:
    """The campaigns (id, number, title, English title) of the view's tasks, newest first: the filter's choices."""
    reach = load_reach(session, actor)
    ids = select(CampaignTask.campaign_id).where(who(reach, view))
    found = session.scalars(select(Campaign).where(Campaign.id.in_(ids)).order_by(Campaign.id.desc()).limit(100))
    return [(c.id, c.number, c.title, c.title_en) for c in found]
