"""The monthly close: a county's month frozen into `assessment_lines` and `assessment_scores`.

The lines are one `INSERT … SELECT` from the month's scored facts; the scores are the same GROUP BY
the live page uses, written with one `executemany`. Closing a closed month changes nothing and
answers the close that stands (idempotent), so a double click or a retried command is harmless.
Only a month that is over may close; the county's centre (its managing block) and administrators may.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhili.assessment import months, versions, visibility
from zhili.assessment.facts import Frame, scored_facts
from zhili.assessment.models import AssessmentClose, AssessmentLine, AssessmentScore
from zhili.assessment.period import Month
from zhili.core import audit
from zhili.core.auth import Actor, Scope
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, ForbiddenError
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.permissions import require_manager
from zhili.org.roles import Role

CLOSERS = frozenset({Role.ADMIN, Role.CENTRE_STAFF})
_LINE_COLUMNS = (
    "county_code",
    "month",
    "subject_kind",
    "subject_id",
    "dimension",
    "indicator",
    "points",
    "case_id",
    "case_number",
    "event_kind",
    "at",
    "ref",
)


@dataclass(frozen=True)
class Closed:
    """A county's closed month: when, by whom, under which model version, and how much was frozen."""

    county: str
    month: str
    closed_at: datetime
    closed_by: str
    model_version_id: int
    scores: int
    lines: int
    is_new: bool


def may_close(actor: Actor, county: str) -> bool:
    """True for administrators and the county's centre (a managing block over the county)."""
    return actor.is_admin or (actor.has_any_role(CLOSERS) and actor.write_scope.reaches_unit(county, None))


def close_month(session: Session, *, actor: Actor, clock: Clock, county: str, month: Month) -> Closed:
    """Freeze the county's month (idempotent); 403 for anyone but its centre, 409 while the month runs."""
    code = DivisionCode(county)
    if code.level is not DivisionLevel.COUNTY:
        raise ConflictError("months are closed per county")
    require_manager(actor)
    visibility.require_county(actor, county)  # 404 outside; seen but not managed: 403
    if not may_close(actor, county):
        raise ForbiddenError(
            "only the county's governance centre and administrators close a month", message_key="forbidden.close_month"
        )
    now = clock.now()
    if month.end > now:
        raise ConflictError(f"{month} is not over yet; a month closes once it has ended")
    standing = months.closed(session, county, month)
    if standing is not None:
        return _closed(session, standing, is_new=False)
    versions.ensure_stored(session, now)
    version = versions.for_month(session, month, now=now)
    close = AssessmentClose(
        county_code=county, month=str(month), model_version_id=version.id, closed_at=now, closed_by=actor.audit_name
    )
    session.add(close)
    try:
        session.flush()
    except IntegrityError:  # a concurrent close won: answer it
        session.rollback()
        standing = months.closed(session, county, month)
        if standing is None:
            raise
        return _closed(session, standing, is_new=False)
    frame = Frame(county, month, now)
    facts = scored_facts(version.model, frame).subquery()
    frozen = select(
        literal(county),
        literal(str(month)),
        *(facts.c[name] for name in _LINE_COLUMNS[2:]),
    )
    session.connection().execute(insert(AssessmentLine).from_select(list(_LINE_COLUMNS), frozen), frame.params)
    live = months.compute(session, county, month, now=now, scope=Scope.everything())
    rows = [
        {
            "county_code": county,
            "month": str(month),
            "level": s.level,
            "subject_kind": s.kind.value,
            "subject_id": s.subject_id,
            "name": s.name,
            **s.dimensions,
            "penalty": s.penalty,
            "total": s.total,
            "full_marks": s.full_marks,
            "rank": s.rank,
            "events": s.events,
        }
        for s in live.scores
    ]
    if rows:
        session.execute(insert(AssessmentScore), rows)
    audit.record_by(
        session,
        actor,
        "assessment.month.closed",
        entity_type="assessment_month",
        entity_id=f"{county}:{month}",
        after={"model_version_id": version.id, "scores": len(rows)},
        at=now,
    )
    result = _closed(session, close, is_new=True)
    commit(session)
    return result


def _closed(session: Session, close: AssessmentClose, *, is_new: bool) -> Closed:
    def count(table: type[AssessmentScore | AssessmentLine]) -> int:
        found = session.scalar(
            select(func.count())
            .select_from(table)
            .where(table.county_code == close.county_code, table.month == close.month)
        )
        return int(found or 0)

    return Closed(
        close.county_code,
        close.month,
        close.closed_at,
        close.closed_by,
        close.model_version_id,
        count(AssessmentScore),
        count(AssessmentLine),
        is_new,
    )
