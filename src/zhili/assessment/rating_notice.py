"""Telling the raters when a month's cross-evaluation opens: once per month, from the worker.

On the first look in a new month, every township command room and every unit head (those who rate,
`ratings.raters_of`) with someone on their form gets a notice to rate last month, with a link to the form
(a unit no township dispatched to has nobody to rate: a notice would lead to an empty form). The notification's
key (`assessment.ratings:<month>`) makes a second look tell nobody again, and the worker looks at
most once an hour.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Final

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from zhili.assessment import months, ratings
from zhili.assessment.model import SubjectKind
from zhili.assessment.period import Month
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.notify.kinds import Severity
from zhili.notify.service import notify
from zhili.notify.wording import Words
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.models import Position
from zhili.org.roles import Role

TOPIC: Final = "assessment.ratings_open"
EVERY_SECONDS: Final = 3600.0
RATERS: Final = (Role.TOWNSHIP_COMMAND.value, Role.DEPT_HEAD.value)


def raters() -> Select[int]:
    """The people who rate: township command rooms and unit heads."""
    return select(Position.person_id).where(Position.role.in_(RATERS), Position.person_id.is_not(None)).distinct()


def raters_with_work(session: Session, month: Month, *, now: datetime) -> list[int]:
    """The raters (people) with someone on their form for the month, in counties whose month is still open."""
    posts = session.execute(
        select(Position.person_id, Position.role, Position.division_code, Position.department_id).where(
            Position.role.in_(RATERS), Position.person_id.is_not(None)
        )
    ).all()
    by_county: defaultdict[str, dict[str, ratings.Rater]] = defaultdict(dict)
    people: defaultdict[str, set[int]] = defaultdict(set)  # rater key → the people who rate for it
    for person_id, role, code, unit_id in posts:
        if role == Role.DEPT_HEAD.value and unit_id is not None:
            kind, rater_id = SubjectKind.UNIT, str(unit_id)
        elif role == Role.TOWNSHIP_COMMAND.value and DivisionCode(code).level is DivisionLevel.TOWNSHIP:
            kind, rater_id = SubjectKind.DIVISION, code
        else:
            continue
        rater = ratings.Rater(kind, rater_id, rater_id, DivisionCode(code).at_most(DivisionLevel.COUNTY).value)
        by_county[rater.county][rater.key] = rater
        people[rater.key].add(person_id)
    told: set[int] = set()
    for county, of_county in by_county.items():
        if months.closed(session, county, month) is not None:
            continue
        forms = ratings.county_forms(session, county, month, now=now, raters=list(of_county.values()))
        told.update(person for key, rows in forms.items() if rows for person in people[key])
    return sorted(told)


def tell_raters(session: Session, *, clock: Clock) -> str:
    """Notify the raters with someone to rate that last month's cross-evaluation is open (once per month)."""
    month = Month.of(clock.now()).previous()
    notify(
        session,
        recipients=raters_with_work(session, month, now=clock.now()),
        topic=TOPIC,
        severity=Severity.YELLOW,
        title=Words("notice.assessment.ratings_open", {"month": str(month)}),
        body=[Words("notice.assessment.ratings_open_body", {"month": str(month)})],
        key=f"assessment.ratings:{month}",
        clock=clock,
        link=f"/assessment/ratings?month={month}",
    )
    commit(session)
    return str(month)


def rating_notice_job(sessions: sessionmaker[Session], clock: Clock) -> Callable[[], int]:
    """A worker job's run: look at most every `EVERY_SECONDS`; it never counts as work."""
    last: list[float] = []

    def run() -> int:
        if last and time.monotonic() - last[0] < EVERY_SECONDS:
            return 0
        last[:] = [time.monotonic()]
        with sessions() as session:
            tell_raters(session, clock=clock)
        return 0

    return run
