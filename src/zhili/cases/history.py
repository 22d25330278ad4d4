"""The case record read in bulk, for the domains that count it (analytics): no scope, no labels, plain values.

`case_records` reads each case's row with the totals of its timeline that counting needs: how many
phases ended and how many of them late (the `phase_late` flag a phase's last line carries), and how
many times the case was returned. One statement per batch of ids, so a projector can follow the
record by its newest line (`last_event_id`, `cases_touched`) without loading a case at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from zhili.cases.models import Case as CaseRow
from zhili.cases.models import CaseEvent
from zhili.core.sql_json import json_text, json_true


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """One case as counted: where, what, who leads, through which channel, and how it went."""

    id: int
    created_at: datetime
    closed_at: datetime | None
    place_code: str
    matter_code: str
    unit_id: int  # the lead unit, or the unit it is routed to before dispatch
    channel: str
    status: str
    rating: str | None
    reopen_count: int
    rework_count: int
    phases_ended: int
    phases_late: int
    handles_late: int  # handle phases (办理) that ended late
    returns: int


def last_event_id(session: Session) -> int:
    """The id of the newest timeline line (0 when there is none)."""
    return int(session.scalar(select(func.coalesce(func.max(CaseEvent.id), 0))) or 0)


def cases_touched(session: Session, *, after: int, upto: int) -> list[int]:
    """The cases with a timeline line whose id lies in (after, upto]."""
    stmt = select(CaseEvent.case_id).where(CaseEvent.id > after, CaseEvent.id <= upto).distinct()
    return sorted(session.scalars(stmt))


def all_case_ids(session: Session) -> list[int]:
    """Every case id, in order (a full recount)."""
    return list(session.scalars(select(CaseRow.id).order_by(CaseRow.id)))


def case_records(session: Session, ids: Sequence[int]) -> list[CaseRecord]:
    """The records of these cases (missing ids are skipped), in id order."""
    if not ids:
        return []
    late = json_true(CaseEvent.details, "phase_late")
    totals = (
        select(
            CaseEvent.case_id.label("case_id"),
            func.count(json_text(CaseEvent.details, "phase_ended")).label("ended"),
            func.sum(case((late, 1), else_=0)).label("late"),
            func.sum(case((late & (json_text(CaseEvent.details, "phase_ended") == "handle"), 1), else_=0)).label(
                "handles_late"
            ),
            func.sum(case((CaseEvent.kind == "return", 1), else_=0)).label("returns"),
        )
        .where(CaseEvent.case_id.in_(ids))
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    stmt = (
        select(
            CaseRow.id,
            CaseRow.created_at,
            CaseRow.closed_at,
            CaseRow.place_code,
            CaseRow.matter_code,
            func.coalesce(CaseRow.lead_unit_id, CaseRow.routed_unit_id),
            CaseRow.channel,
            CaseRow.status,
            CaseRow.rating,
            CaseRow.reopen_count,
            CaseRow.rework_count,
            func.coalesce(totals.c.ended, 0),
            func.coalesce(totals.c.late, 0),
            func.coalesce(totals.c.handles_late, 0),
            func.coalesce(totals.c.returns, 0),
        )
        .outerjoin(totals, totals.c.case_id == CaseRow.id)
        .where(CaseRow.id.in_(ids))
        .order_by(CaseRow.id)
    )
    return [CaseRecord(*row) for row in session.execute(stmt).all()]  # type: ignore[call-arg]
