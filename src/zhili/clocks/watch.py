"""Telling administrators, once per year, that the coming days reach a year the work calendar does not know."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Select
from sqlalchemy.orm import Session, sessionmaker

from zhili.clocks.queries import HORIZON_DAYS, unknown_years_ahead
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.notify.kinds import Severity
from zhili.notify.service import notify
from zhili.notify.wording import Words

TOPIC = "calendar.unknown_year"
EVERY_SECONDS = 3600.0
"""The worker looks this often; the notification's key makes a second look tell nobody again."""


def warn_unknown_years(session: Session, *, recipients: Select[int], clock: Clock) -> list[int]:
    """Notify the recipients of each unknown year within the horizon (key `calendar.unknown:<year>`); the years."""
    years = unknown_years_ahead(session, clock.now())
    for year in years:
        notify(
            session,
            recipients=recipients,
            topic=TOPIC,
            severity=Severity.YELLOW,
            title=Words("notice.calendar.unknown_year", {"year": year}),
            body=[Words("notice.calendar.unknown_year_body", {"year": year, "days": HORIZON_DAYS})],
            key=f"calendar.unknown:{year}",
            clock=clock,
            link="/admin/calendar",
        )
    commit(session)
    return years


def watch_job(
    sessions: sessionmaker[Session], clock: Clock, recipients: Callable[[], Select[int]]
) -> Callable[[], int]:
    """A worker job's run: look at most every `EVERY_SECONDS`; it never counts as work (the worker may idle)."""
    last: list[float] = []

    def run() -> int:
        if last and time.monotonic() - last[0] < EVERY_SECONDS:
            return 0
        last[:] = [time.monotonic()]
        with sessions() as session:
            warn_unknown_years(session, recipients=recipients(), clock=clock)
        return 0

    return run
