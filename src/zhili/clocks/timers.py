"""Scheduling and cancelling timers inside the caller's transaction (never a commit here)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from zhili.clocks.models import Timer
from zhili.core.prepared import Prepared

# Prepared statements on the table (no ORM bulk machinery): a phase change schedules and cancels a few rows.
_TIMERS = cast("Table", Timer.__table__)
_INSERT = Prepared(insert(_TIMERS))
_CANCEL = delete(_TIMERS).where(
    Timer.kind == bindparam("kind"), Timer.subject_id.in_(bindparam("subjects", expanding=True))
)
_CANCEL_ONE = Prepared(delete(_TIMERS).where(Timer.kind == bindparam("kind"), Timer.subject_id == bindparam("subject")))


@dataclass(frozen=True)
class TimerSpec:
    """A timer to schedule: handler kind, subject, rung, clock generation, due instant, payload."""

    kind: str
    subject_id: int
    step: str
    due_at: datetime
    generation: int = 0
    share: float = 0.0
    payload: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    calendar_basis: str | None = None


def schedule(session: Session, timers: Iterable[TimerSpec], *, now: datetime) -> int:
    """Insert timers in one statement; the number written."""
    rows = [
        {
            "kind": t.kind,
            "subject_id": t.subject_id,
            "step": t.step,
            "generation": t.generation,
            "share": t.share,
            "due_at": t.due_at,
            "payload": dict(t.payload),
            "created_at": now,
            "calendar_basis": t.calendar_basis,
        }
        for t in timers
    ]
    if len(rows) == 1:
        _INSERT.run(session, rows[0])
    elif rows:
        _INSERT.run_many(session, rows)
    return len(rows)


def cancel(session: Session, kind: str, subject_ids: Collection[int]) -> int:
    """Delete the pending timers of these subjects; the number cancelled."""
    if not subject_ids:
        return 0
    if len(subject_ids) == 1:
        return _CANCEL_ONE.run(session, {"kind": kind, "subject": next(iter(subject_ids))}).rowcount
    result = session.connection().execute(_CANCEL, {"kind": kind, "subjects": list(subject_ids)})
    return int(result.rowcount)


def pending(session: Session, kind: str, subject_id: int) -> list[TimerSpec]:
    """The timers still waiting for a subject, soonest first."""
    rows = session.scalars(
        select(Timer).where(Timer.kind == kind, Timer.subject_id == subject_id).order_by(Timer.due_at, Timer.id)
    )
    return [spec_of(row) for row in rows]


def spec_of(row: Timer) -> TimerSpec:
    """A timer row as the spec it was scheduled from."""
    return TimerSpec(
        kind=row.kind,
        subject_id=row.subject_id,
        step=row.step,
        due_at=row.due_at,
        generation=row.generation,
        share=row.share,
        payload=MappingProxyType(row.payload),
        calendar_basis=row.calendar_basis,
    )
