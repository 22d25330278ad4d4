"""Keeping the facts and the KPI cells current: follow the case record by its newest timeline line.

Every change to a case writes a timeline line, so the cases to recount are those with lines newer than
the mark. `refresh` recounts them (one read per batch, `facts.fact_of`, a bulk insert), then rebuilds
the cells of the (month, township) pairs they touch with one `INSERT ... SELECT ... GROUP BY` per
month. The worker calls it after every round; when nothing is new it costs one indexed `max(id)`.

On PostgreSQL a line can commit after a line with a higher id; the refresh therefore looks back
`LOOK_BACK` lines behind its mark, so a late commit is still counted on the next round.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, Insert, Integer, and_, case, delete, func, insert, literal, select
from sqlalchemy.orm import Session, sessionmaker

from zhili.analytics.facts import fact_of
from zhili.analytics.models import BUCKET_COLUMNS, MEASURES, SUMS, analytics_marks, case_facts, kpi_cells
from zhili.cases import history
from zhili.core.clock import Clock
from zhili.core.db import commit

MARK: Final = "kpi"
BATCH: Final = 5_000
LOOK_BACK: Final = 500

f = case_facts.c


def refresh(session: Session, *, now: datetime, full: bool = False) -> int:
    """Recount the cases changed since the last refresh (every case when `full`); how many were recounted."""
    mark = _mark(session)
    upto = history.last_event_id(session)
    if full:
        ids = history.all_case_ids(session)
        session.execute(delete(case_facts))
    elif mark is not None and upto <= mark:
        return 0
    else:
        ids = history.cases_touched(session, after=max(0, (mark or 0) - LOOK_BACK), upto=upto)
    touched: set[tuple[int, str]] = set()
    for start in range(0, len(ids), BATCH):
        touched |= _recount(session, ids[start : start + BATCH], full=full)
    if full:
        rebuild_cells(session)
    else:
        _rebuild_cells(session, touched)
    _set_mark(session, upto, now)
    commit(session)
    return len(ids)


def rebuild_cells(session: Session) -> None:
    """Re-sum every cell from the facts (one statement); the caller commits."""
    session.execute(delete(kpi_cells))
    session.execute(_cells_insert(None))


def refresh_job(sessions: sessionmaker[Session], clock: Clock) -> Callable[[], int]:
    """The worker's job: one refresh in a session of its own; the number of cases recounted."""

    def run() -> int:
        with sessions() as session:
            return refresh(session, now=clock.now())

    return run


def _recount(session: Session, ids: Sequence[int], *, full: bool) -> set[tuple[int, str]]:
    """Replace these cases' facts; the (month, township) pairs whose cells change."""
    touched: set[tuple[int, str]] = set()
    if not full:
        old = session.execute(select(f.month, f.township_code).where(f.case_id.in_(ids)))
        touched.update((month, township) for month, township in old)
        session.execute(delete(case_facts).where(f.case_id.in_(ids)))
    rows = [fact_of(record) for record in history.case_records(session, ids)]
    if rows:
        session.execute(insert(case_facts), rows)
    touched.update((int(str(row["month"])), str(row["township_code"])) for row in rows)
    return touched


def _rebuild_cells(session: Session, touched: Iterable[tuple[int, str]]) -> None:
    """Delete and re-sum the cells of these (month, township) pairs, one month at a time."""
    by_month: dict[int, list[str]] = defaultdict(list)
    for month, township in touched:
        by_month[month].append(township)
    for month, townships in sorted(by_month.items()):
        where = and_(kpi_cells.c.month == month, kpi_cells.c.township_code.in_(sorted(townships)))
        session.execute(delete(kpi_cells).where(where))
        session.execute(_cells_insert(and_(f.month == month, f.township_code.in_(sorted(townships)))))


def _cells_insert(where: ColumnElement[bool] | None) -> Insert:
    """`INSERT INTO kpi_cells SELECT ... FROM case_facts [WHERE ...] GROUP BY` the cell's key."""
    flags = {
        "reported": func.count(),
        "rejected": func.sum(f.is_rejected),
        "open": func.sum(f.is_open),
        "closed": func.sum(f.is_closed),
        "on_time": func.sum(f.is_on_time),
        "complaints": func.sum(f.is_complaint),
        "rated": func.sum(f.is_rated),
        "satisfied": func.sum(f.is_satisfied),
        "reopened": func.sum(f.is_reopened),
        "reworked": func.sum(f.is_reworked),
        "returned": func.sum(f.is_returned),
        "phases_ended": func.sum(f.phases_ended),
        "phases_late": func.sum(f.phases_late),
    }
    sums = {
        "hours_sum": func.coalesce(func.sum(f.hours), 0.0),
        "log_hours_sum": func.coalesce(func.sum(f.log_hours), 0.0),
        "log_hours_sq_sum": func.coalesce(func.sum(f.log_hours * f.log_hours), 0.0),
    }
    buckets = {name: func.sum(case((f.bucket == k, 1), else_=0)) for k, name in enumerate(BUCKET_COLUMNS)}
    assert tuple(flags) == MEASURES  # noqa: S101 - the table's order
    assert tuple(sums) == SUMS  # noqa: S101
    columns = {
        "month": f.month,
        "township_code": f.township_code,
        "matter_code": f.matter_code,
        "unit_id": f.unit_id,
        "county_code": func.min(f.county_code),
        **{name: func.coalesce(value, literal(0, Integer)) for name, value in flags.items()},
        **sums,
        **buckets,
    }
    query = select(*(value.label(name) for name, value in columns.items()))
    if where is not None:
        query = query.where(where)
    query = query.group_by(f.month, f.township_code, f.matter_code, f.unit_id)
    return insert(kpi_cells).from_select(list(columns), query)


def _mark(session: Session) -> int | None:
    """The newest line counted so far (None before the first refresh)."""
    value = session.scalar(select(analytics_marks.c.event_id).where(analytics_marks.c.name == MARK))
    return None if value is None else int(value)


def _set_mark(session: Session, event_id: int, now: datetime) -> None:
    marks = analytics_marks.c
    updated = session.execute(
        analytics_marks.update().where(marks.name == MARK).values(event_id=event_id, refreshed_at=now)
    )
    if not updated.rowcount:  # type: ignore[attr-defined]
        session.execute(insert(analytics_marks).values(name=MARK, event_id=event_id, refreshed_at=now))


def refreshed_at(session: Session) -> datetime | None:
    """When the cells were last brought up to date."""
    return session.scalar(select(analytics_marks.c.refreshed_at).where(analytics_marks.c.name == MARK))
