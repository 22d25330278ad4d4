"""Campaign scores for assessment (四维考评): points and counts per person and per unit, summed in SQL.

The rule is `campaigns.tasks.points` (pure): claiming, reporting by the report time and a verified
report earn the template's points; a late report (or none once the report time has passed) and each
return deduct; a declined or reassigned (改派) task neither earns nor loses. Here the same rule is
one SQL expression per task, summed with GROUP BY: each campaign's points per role come from its
template snapshot, read once and turned into CASE branches (one per distinct role and points, so a year of typhoon
campaigns is three branches). The assessment issue calls `scores_by_person` and `scores_by_unit`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from zhili.campaigns.lifecycle import UNSCORED_STATES
from zhili.campaigns.models import Campaign, CampaignTask
from zhili.campaigns.scores.schemas import By, Level, ScoreRow, ScoresRead
from zhili.campaigns.template import Points
from zhili.campaigns.visibility import tasks_in_places
from zhili.core.auth import Scope
from zhili.org.division_code import DivisionLevel
from zhili.org.models import Division, Person
from zhili.org.visibility import sees_person

_PARTS = ("claimed", "reported_on_time", "verified", "late", "returned")


@dataclass(frozen=True)
class Period:
    """Which campaigns count: dispatched in [since, until), or one campaign."""

    since: datetime | None = None
    until: datetime | None = None
    campaign_id: int | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE conditions on `campaigns`."""
        found: list[ColumnElement[bool]] = []
        if self.since is not None:
            found.append(Campaign.created_at >= self.since)
        if self.until is not None:
            found.append(Campaign.created_at < self.until)
        if self.campaign_id is not None:
            found.append(Campaign.id == self.campaign_id)
        return found


@dataclass(frozen=True)
class PersonScore:
    """A person's tasks, counted, and their points."""

    person_id: int
    name: str
    tasks: int
    claimed: int
    on_time: int
    verified: int
    late: int
    returned: int
    points: int


@dataclass(frozen=True)
class UnitScore:
    """A division's tasks (everyone's under it), counted, and their points."""

    division_code: str
    name: str
    tasks: int
    claimed: int
    on_time: int
    verified: int
    late: int
    returned: int
    points: int


def scores_by_person(
    session: Session, *, scope: Scope, now: datetime, period: Period | None = None
) -> list[PersonScore]:
    """Everyone with a task in the period (within `scope`) whom `scope` may see, highest points first.

    People outside the scope's units (`org.visibility.sees_person`) are left out: a strip sees its own staff.
    """
    tally = _tally(session, period or Period(), now)
    if tally is None:
        return []
    statement = (
        _scored(
            select(CampaignTask.person_id, Person.name, *tally).join(Person, Person.id == CampaignTask.person_id),
            period or Period(),
            scope,
        )
        .where(sees_person(scope, CampaignTask.person_id))
        .group_by(CampaignTask.person_id, Person.name)
    )
    rows = session.execute(statement.order_by(tally[-1].desc(), CampaignTask.person_id))
    return [PersonScore(*row) for row in rows]


def scores_by_unit(
    session: Session, *, level: Level, scope: Scope, now: datetime, period: Period | None = None
) -> list[UnitScore]:
    """Every county, township or village with tasks in the period (within `scope`), highest points first."""
    tally = _tally(session, period or Period(), now)
    if tally is None:
        return []
    length = DivisionLevel(level).length
    unit = func.substr(CampaignTask.division_code, 1, length)
    statement = (
        _scored(select(unit, Division.name, *tally).join(Division, Division.code == unit), period or Period(), scope)
        .where(func.length(CampaignTask.division_code) >= length)
        .group_by(unit, Division.name)
    )
    rows = session.execute(statement.order_by(tally[-1].desc(), unit))
    return [UnitScore(*row) for row in rows]


def score_board(
    session: Session, *, scope: Scope, now: datetime, by: By, level: Level, period: Period, limit: int
) -> ScoresRead:
    """The API's answer: the first `limit` rows by person or by unit."""
    if by == "person":
        people = scores_by_person(session, scope=scope, now=now, period=period)[:limit]
        return ScoresRead(by=by, rows=[ScoreRow(**vars(row)) for row in people])
    units = scores_by_unit(session, level=level, scope=scope, now=now, period=period)[:limit]
    return ScoresRead(by=by, level=level, rows=[ScoreRow(**vars(row)) for row in units])


def _scored(statement: Select[Any], period: Period, scope: Scope) -> Select[Any]:
    return statement.join(Campaign, Campaign.id == CampaignTask.campaign_id).where(
        *period.conditions(), tasks_in_places(scope)
    )


def points_by_role(session: Session, period: Period) -> dict[tuple[str, Points], list[int]]:
    """The campaigns of the period grouped by role and that role's points in their template snapshot."""
    groups: defaultdict[tuple[str, Points], list[int]] = defaultdict(list)
    for campaign_id, template in session.execute(select(Campaign.id, Campaign.template).where(*period.conditions())):
        for task in template.tasks:
            groups[task.role, task.points].append(campaign_id)
    return groups


def _tally(session: Session, period: Period, now: datetime) -> list[Any] | None:
    """The counted columns and the points column (None: no campaign in the period)."""
    groups = points_by_role(session, period)
    if not groups:
        return None
    value = {part: _per_role(groups, part) for part in _PARTS}
    task = CampaignTask
    is_claimed = task.claimed_at.is_not(None)
    is_on_time = and_(task.reported_at.is_not(None), task.reported_at <= task.report_due_at)
    is_verified = task.verified_at.is_not(None)
    reported_late = and_(task.reported_at.is_not(None), task.reported_at > task.report_due_at)
    is_late = and_(
        task.state.not_in(UNSCORED_STATES), reported_late | (task.reported_at.is_(None) & (task.report_due_at < now))
    )
    earned = (
        case((is_claimed, value["claimed"]), else_=0)
        + case((is_on_time, value["reported_on_time"]), else_=0)
        + case((is_verified, value["verified"]), else_=0)
        + case((is_late, value["late"]), else_=0)
        + task.returned_count * value["returned"]
    )
    points = case((task.state.in_(UNSCORED_STATES), 0), else_=earned)
    return [
        func.count().label("tasks"),
        _count(is_claimed).label("claimed"),
        _count(is_on_time).label("on_time"),
        _count(is_verified).label("verified"),
        _count(is_late).label("late"),
        func.coalesce(func.sum(task.returned_count), 0).label("returned"),
        func.coalesce(func.sum(points), 0).label("points"),
    ]


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _per_role(groups: dict[tuple[str, Points], list[int]], part: str) -> ColumnElement[int]:
    """One of the template's point values for each task: a CASE over its campaign and role."""
    branches: Sequence[tuple[ColumnElement[bool], int]] = [
        (and_(CampaignTask.role == role, CampaignTask.campaign_id.in_(ids)), int(getattr(points, part)))
        for (role, points), ids in groups.items()
    ]
    return case(*branches, else_=0)
