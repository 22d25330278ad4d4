"""Reads of early warning, scoped by `visibility`: the warning list, one firm with its months, the run months."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Final

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from zhili.cases.models import Case
from zhili.core.auth import Actor
from zhili.core.errors import NotFoundError
from zhili.core.months import Month
from zhili.core.pagination import Key, Page, decode_cursor, encode_cursor
from zhili.early_warning import visibility
from zhili.early_warning.indicators import Indicator
from zhili.early_warning.lead_time import LeadTime, lead_time
from zhili.early_warning.models import EarlyWarning, Enterprise, FirmEvent, FirmMonth, RiskScore, WarningRun
from zhili.early_warning.precision import HITS
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.models import Division

GRADES: Final = {1: "yellow", 2: "orange", 3: "red"}
PENDING: Final = "pending"
HISTORY_MONTHS: Final = 36


class FirmRef(BaseModel):
    """A firm as lists show it."""

    id: int
    name: str
    credit_code: str
    industry: str
    division_code: str
    place: str  # the county and township, by name


class WarningRead(BaseModel):
    """A warning with its firm, its case and its verdict."""

    id: int
    month: str
    grade: int
    grade_name: str
    score: float
    findings: list[dict[str, Any]]
    firm: FirmRef
    case_id: int | None
    case_number: str | None
    case_status: str | None
    verdict: str | None
    verdict_note: str | None
    verdict_at: datetime | None
    created_at: datetime


class EventRead(BaseModel):
    """A legal or credit event, or a complaint."""

    feed: str
    kind: str
    occurred_on: date
    reference: str
    authority: str | None
    workers: int | None


class FirmDetail(BaseModel):
    """One firm: the register, its indicators and risk by month, its warnings and events."""

    firm: FirmRef
    legal_representative: str
    address: str
    size: str
    employees: int | None
    months: list[str]
    indicators: dict[str, list[float | None]]
    risk: list[float | None]
    grades: list[int | None]
    warnings: list[WarningRead]
    events: list[EventRead]

    @property
    def warned_months(self) -> list[str]:
        """Months graded yellow or worse (scored history and stored warnings), for the charts' shading."""
        graded = {month for month, grade in zip(self.months, self.grades, strict=True) if grade}
        return sorted(graded | {warning.month for warning in self.warnings})


def run_months(session: Session) -> list[str]:
    """The months that have been run, newest first."""
    found = session.scalars(select(WarningRun.month).distinct().order_by(WarningRun.month.desc()))
    return [str(Month(index)) for index in found]


def list_warnings(
    session: Session,
    actor: Actor,
    *,
    month: Month | None = None,
    grade: int | None = None,
    verdict: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[WarningRead]:
    """The warnings of firms the actor sees, newest month first, then red before orange before yellow."""
    statement = _warnings(visibility.visible_enterprises(session, actor))
    if month is not None:
        statement = statement.where(EarlyWarning.month == month.index)
    if grade is not None:
        statement = statement.where(EarlyWarning.grade >= grade)
    if verdict == PENDING:
        statement = statement.where(EarlyWarning.verdict.is_(None))
    elif verdict is not None:
        statement = statement.where(EarlyWarning.verdict == verdict)
    if cursor:
        last_month, last_grade, last_id = decode_cursor(cursor, (Key.INT, Key.INT, Key.INT))
        statement = statement.where(
            (EarlyWarning.month < last_month)
            | ((EarlyWarning.month == last_month) & (EarlyWarning.grade < last_grade))
            | ((EarlyWarning.month == last_month) & (EarlyWarning.grade == last_grade) & (EarlyWarning.id < last_id))
        )
    rows = session.execute(statement.limit(limit + 1)).all()
    items = _read_warnings(session, rows[:limit])
    last = rows[limit - 1][0] if len(rows) > limit else None
    next_cursor = encode_cursor([last.month, last.grade, last.id]) if last is not None else None
    return Page[WarningRead](items=items, next_cursor=next_cursor)


def _warnings(seen: ColumnElement[bool]) -> Select[EarlyWarning, Enterprise, str, str]:
    return (
        select(EarlyWarning, Enterprise, Case.number, Case.status)
        .join(Enterprise, Enterprise.id == EarlyWarning.enterprise_id)
        .outerjoin(Case, Case.id == EarlyWarning.case_id)
        .where(seen)
        .order_by(EarlyWarning.month.desc(), EarlyWarning.grade.desc(), EarlyWarning.id.desc())
    )


def _read_warnings(session: Session, rows: Iterable[Any]) -> list[WarningRead]:
    rows = list(rows)
    places = place_names(session, [firm.division_code for _w, firm, _n, _s in rows])
    return [
        WarningRead(
            id=warning.id,
            month=str(Month(warning.month)),
            grade=warning.grade,
            grade_name=GRADES.get(warning.grade, "none"),
            score=round(warning.score, 3),
            findings=warning.findings,
            firm=_ref(firm, places),
            case_id=warning.case_id,
            case_number=number,
            case_status=status,
            verdict=warning.verdict,
            verdict_note=warning.verdict_note,
            verdict_at=warning.verdict_at,
            created_at=warning.created_at,
        )
        for warning, firm, number, status in rows
    ]


def _ref(firm: Enterprise, places: dict[str, str]) -> FirmRef:
    return FirmRef(
        id=firm.id,
        name=firm.name,
        credit_code=firm.credit_code,
        industry=firm.industry,
        division_code=firm.division_code,
        place=places.get(firm.division_code, ""),
    )


def place_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Each division code as its county and township by name ("柯城区府山街道")."""
    wanted = {str(code.at_most(level)) for raw in set(codes) for code in [DivisionCode(raw)] for level in _PLACE}
    names = dict(session.execute(select(Division.code, Division.name).where(Division.code.in_(wanted))).all())
    found = {}
    for raw in set(codes):
        code = DivisionCode(raw)
        found[raw] = "".join(dict.fromkeys(names.get(str(code.at_most(level)), "") for level in _PLACE))
    return found


_PLACE: Final = (DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP)


def firm_detail(session: Session, actor: Actor, enterprise_id: int, *, last: Month) -> FirmDetail:
    """One firm the actor sees (else 404), with its last 36 months up to `last`."""
    firm = visibility.require_enterprise(session, actor, enterprise_id)
    first = last + (1 - HISTORY_MONTHS)
    months = [first + offset for offset in range(HISTORY_MONTHS)]
    rows = session.scalars(
        select(FirmMonth).where(FirmMonth.enterprise_id == firm.id, FirmMonth.month.between(first.index, last.index))
    )
    by_month = {row.month: row for row in rows}
    indicators = {
        indicator.value: [_number(getattr(by_month.get(m.index), indicator.value, None)) for m in months]
        for indicator in Indicator
        if hasattr(FirmMonth, indicator.value)
    }
    risk_rows = session.execute(
        select(RiskScore.month, RiskScore.score, RiskScore.grade).where(RiskScore.enterprise_id == firm.id)
    ).all()
    risk = {month: (score, grade) for month, score, grade in risk_rows}
    events = session.scalars(
        select(FirmEvent).where(FirmEvent.enterprise_id == firm.id).order_by(FirmEvent.occurred_on.desc()).limit(100)
    )
    warnings = session.execute(_warnings(Enterprise.id == firm.id)).all()
    return FirmDetail(
        firm=_ref(firm, place_names(session, [firm.division_code])),
        legal_representative=firm.legal_representative,
        address=firm.address,
        size=firm.size,
        employees=firm.employees,
        months=[str(m) for m in months],
        indicators=indicators,
        risk=[_number(risk[m.index][0]) if m.index in risk else None for m in months],
        grades=[risk[m.index][1] if m.index in risk else None for m in months],
        warnings=_read_warnings(session, warnings),
        events=[
            EventRead(
                feed=e.feed,
                kind=e.kind,
                occurred_on=e.occurred_on,
                reference=e.reference,
                authority=e.authority,
                workers=e.workers,
            )
            for e in events
        ],
    )


def _number(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 3)


def latest_month(session: Session) -> Month | None:
    """The newest month any feed delivered."""
    found = session.scalar(select(func.max(FirmMonth.month)))
    return None if found is None else Month(found)


MAX_NOTE: Final = 2000


def warning_firm(session: Session, actor: Actor, warning_id: int) -> int:
    """The firm of a warning the actor sees (else 404)."""
    warning = session.get(EarlyWarning, warning_id)
    if warning is None:
        raise NotFoundError("warning not found")
    return visibility.require_enterprise(session, actor, warning.enterprise_id).id


def warning(session: Session, actor: Actor, warning_id: int) -> WarningRead:
    """One warning of a firm the actor sees (else 404)."""
    warning_firm(session, actor, warning_id)
    rows = session.execute(_warnings(EarlyWarning.id == warning_id)).all()
    return _read_warnings(session, rows)[0]


def grade_counts(session: Session, actor: Actor, month: Month) -> dict[int, int]:
    """How many warnings of each grade (1 yellow, 2 orange, 3 red) the actor's firms had in a month."""
    stmt = (
        select(EarlyWarning.grade, func.count())
        .join(Enterprise, Enterprise.id == EarlyWarning.enterprise_id)
        .where(EarlyWarning.month == month.index, visibility.visible_enterprises(session, actor))
        .group_by(EarlyWarning.grade)
    )
    return {int(grade): int(n) for grade, n in session.execute(stmt).all()}


def _warnings_in(
    session: Session, actor: Actor, *, first: Month, last: Month, division: str | None
) -> list[ColumnElement[bool]]:
    """The warnings of the actor's firms in [first, last], optionally of firms in an area."""
    conditions = [
        EarlyWarning.month >= first.index,
        EarlyWarning.month <= last.index,
        visibility.visible_enterprises(session, actor),
    ]
    if division:
        conditions.append(Enterprise.division_code.startswith(division, autoescape=True))
    return conditions


def warning_counts(
    session: Session, actor: Actor, *, first: Month, last: Month, division: str | None
) -> tuple[int, int, int]:
    """Warnings of the actor's firms in [first, last] (optionally in an area): (issued, checked, right)."""
    conditions = _warnings_in(session, actor, first=first, last=last, division=division)
    issued, checked, right = session.execute(
        select(
            func.count(),
            func.count(EarlyWarning.verdict),
            func.count(case((EarlyWarning.verdict.in_(HITS), 1))),
        )
        .join(Enterprise, Enterprise.id == EarlyWarning.enterprise_id)
        .where(*conditions)
    ).one()
    return int(issued), int(checked), int(right)


def warning_lead_time(session: Session, actor: Actor, *, first: Month, last: Month, division: str | None) -> LeadTime:
    """The lead time of the actor's firms' warnings of [first, last] that were confirmed (optionally in an area)."""
    return lead_time(session, and_(*_warnings_in(session, actor, first=first, last=last, division=division)))
