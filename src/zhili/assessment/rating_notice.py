"""Telling the raters when a month's cross-evaluation opens: once per month, from the worker.

On the first look in a new month, every township command room and every unit head (those who rate,
`ratings.raters_of`) gets a notice to rate last month, with a link to the form. The notification's
key (`assessment.ratings:<month>`) makes a second look tell nobody again, and the worker looks at
most once an hour.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from zhili.assessment.period import Month
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.notify.kinds import Severity
from zhili.notify.service import notify
from zhili.notify.wording import Words
from zhili.org.models import Position
from zhili.org.roles import Role

TOPIC: Final = "assessment.ratings_open"
EVERY_SECONDS: Final = 3600.0
RATERS: Final = (Role.TOWNSHIP_COMMAND.value, Role.DEPT_HEAD.value)


def raters() -> Select[int]:
    """The people who rate: township command rooms and unit heads."""
    return select(Position.person_id).where(Position.role.in_(RATERS), Position.person_id.is_not(None)).distinct()


def tell_raters(session: Session, *, clock: Clock) -> str:
    """Notify the raters that last month's cross-evaluation is open (once per month); the month told."""
    month = Month.of(clock.now()).previous()
    notify(
        session,
        recipients=raters(),
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
