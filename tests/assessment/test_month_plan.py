"""A county's month reads the county's timeline lines, not the province's.

`month_events` is the base of every live score, breakdown and close. The lines of the month are
found by instant; the county is told by the case. Joined case by case, each of the province's lines
of the month was read from the table to learn its case's county (11,839 lines for 650 in the demo's
county). The instant index holds the case too (revision 0033), so the county's cases are a set the
index entries are tested against, and the plan never walks a case's whole timeline either.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.query_plans import plan_lines
from zhili.cases import record_queries
from zhili.cases.models import Case, CaseEvent

COUNTY = "330825"  # 龙游县
JULY = (datetime(2026, 6, 30, 16, 0, tzinfo=UTC), datetime(2026, 7, 31, 16, 0, tzinfo=UTC))


def _plan(session: Session) -> list[str]:
    events = record_queries.month_events(county=COUNTY, since=JULY[0], until=JULY[1])
    return plan_lines(session, select(events.c.id))


def test_a_countys_month_is_picked_from_the_instant_index(session: Session) -> None:
    plan = _plan(session)
    assert [line for line in plan if "ix_case_events_at_case" in line], plan
    assert not [line for line in plan if "case_events_1" in line or "Seq Scan on case_events" in line], plan
    if session.get_bind().dialect.name == "sqlite":  # the county's cases read once, as a set (not a join per line)
        assert [line for line in plan if "LIST SUBQUERY" in line], plan


def test_the_month_holds_the_same_lines_as_a_plain_join(session: Session) -> None:
    events = record_queries.month_events(county=COUNTY, since=JULY[0], until=JULY[1])
    picked = set(session.scalars(select(events.c.id)))
    lines = select(CaseEvent.id, CaseEvent.kind, CaseEvent.details).join(Case, Case.id == CaseEvent.case_id)
    in_month = lines.where(CaseEvent.at >= JULY[0], CaseEvent.at < JULY[1], Case.place_code.like(f"{COUNTY}%"))
    scored = {"verify", "verify_failed", "dispatch", "return", "rate", "rating_upheld", "rating_overturned"}
    expected = {
        line_id
        for line_id, kind, details in session.execute(in_month)
        if kind in scored or (details or {}).get("phase_ended") is not None
    }
    assert picked, "the demo's county has scored lines in July"
    assert picked == expected
