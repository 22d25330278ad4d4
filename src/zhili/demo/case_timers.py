"""The demo's running clocks: ladder timers for the demo cases still open, so the demo escalates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.deadlines import WaitingLadder, county_calendar, ladder_timer, phase_clock, schedule_ladders
from zhili.cases.models import Case
from zhili.cases.store import state_of
from zhili.core.db import commit
from zhili.matters import queries as matters


def schedule_demo_timers(session: Session, *, now: datetime) -> int:
    """A ladder timer for the rungs still ahead of every open demo case; the number of timers scheduled.

    Rungs that fell due in the generated past are not issued after the fact: the demo's history has
    no cards, and its clocks run from `now` on.
    """
    ladders: list[WaitingLadder] = []
    open_cases = session.scalars(select(Case).where(Case.phase.is_not(None)).order_by(Case.id))
    for case in open_cases:
        definition = matters.definition_by_version_id(session, case.matter_version_id)
        state = state_of(case)
        calendar = county_calendar(session, case.handling_division)
        clock = phase_clock(calendar, definition, state, case.handler_level)
        if clock is not None:
            _past, ahead = ladder_timer(case.id, state, clock, definition, calendar).split(now)
            ladders.append(ahead)
    count = schedule_ladders(session, ladders, now=now)
    commit(session)
    return count
