"""The demo's assessment (四维考评): cards for the year's late phases, last month's cross-evaluation, closed months.

The demo's cases leave late phases on their timelines but the clock's ladder never ran over them, so
no card was issued: here each late phase gets the yellow card the ladder would have given at its due
time, and a red card when it ended more than two days late (`cases.supervision.insert_cards`). Every
township and unit rates whom it worked with last month (`assessment.ratings.insert_many`), and the
trend's months before last are closed as a centre would (`assessment.closing.close_month`), so this
month's ranking scores only last month and this one live (scoring two more open months of its trend
took twice the CPU). All deterministic from the seed.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from zhili.assessment import closing, ratings
from zhili.assessment.model import SubjectKind
from zhili.assessment.period import Month
from zhili.assessment.queries import TREND_MONTHS
from zhili.cases import record_queries, supervision
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.demo.people import LONGYOU
from zhili.demo.world import KECHENG
from zhili.org import directory
from zhili.org.division_code import DivisionCode, DivisionLevel

COUNTIES = (KECHENG, LONGYOU)
RED_AFTER = timedelta(days=2)
CLOSED_MONTHS = TREND_MONTHS - 2  # the months before last that the demo closes: the rest of this month's trend
UNIT_PHASES = frozenset({"sign", "handle"})
SCORES = (5, 4, 5, 3, 4, 5, 4, 2, 5, 4)


def build_demo_assessment(session: Session, *, seed: int, now: datetime) -> None:
    """Cards, last month's ratings and the closed months; commits."""
    month = Month.of(now)
    _cards(session, since=month.back(13)[0].start, until=now)
    _ratings(session, month.previous(), seed=seed, now=now)
    session.commit()
    for closed in month.previous().back(CLOSED_MONTHS + 1)[:-1]:
        for county in COUNTIES:
            closing.close_month(
                session, actor=system_actor("demo"), clock=FrozenClock(now), county=county, month=closed
            )


def _cards(session: Session, *, since: datetime, until: datetime) -> None:
    rows: list[dict[str, object]] = []
    for late in record_queries.late_phase_ends(session, since=since, until=until):
        due = datetime.fromisoformat(late.due_at)
        steps = ["yellow_card"] + (["red_card"] if late.ended_at - due > RED_AFTER else [])
        for step, at in zip(steps, (due, due + RED_AFTER), strict=False):
            rows.append(
                {
                    "case_id": late.case_id,
                    "action": step,
                    "phase": late.phase,
                    "unit_id": late.unit_id if late.phase in UNIT_PHASES else None,
                    "county_code": DivisionCode(late.handling_division).at_most(DivisionLevel.COUNTY).value,
                    "is_manual": False,
                    "issued_by": "system:clock",
                    "issued_at": at,
                    "note": "",
                }
            )
    supervision.insert_cards(session, rows)


def _ratings(session: Session, month: Month, *, seed: int, now: datetime) -> None:
    draw = random.Random(f"{seed}:ratings:{month}")  # noqa: S311 - demo data, not security
    rows: list[dict[str, object]] = []
    for county in COUNTIES:
        raters = [
            ratings.Rater(SubjectKind.DIVISION, code, name, county)
            for code, name in sorted(directory.divisions_at(session, county, "township").items())
        ]
        raters += [
            ratings.Rater(SubjectKind.UNIT, str(unit), name, county)
            for unit, (name, _code) in sorted(directory.units_in(session, county).items())
        ]
        forms = ratings.county_forms(session, county, month, now=now, raters=raters)
        for rater in raters:
            scores = [draw.choice(SCORES) for _ in range(8)]
            rows += [  # every subject on the rater's form, the drawn scores in turn
                ratings.rating_row(rater, month, rated, scores[n % len(scores)], by="system:demo", now=now)
                for n, rated in enumerate(forms[rater.key])
            ]
    ratings.insert_many(session, rows)
