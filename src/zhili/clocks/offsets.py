"""Stored clock offsets (`clock_offsets`): how far a named clock runs ahead of the wall clock.

Only the demo's movable clock (`zhili.demo.clock`) uses one; it reads and moves its row here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.clocks.models import ClockOffset


def read_offset(session: Session, name: str) -> timedelta:
    """The stored offset of the named clock (zero when it was never moved)."""
    seconds = session.scalar(select(ClockOffset.seconds).where(ClockOffset.name == name))
    return timedelta(seconds=seconds or 0.0)


def move_offset(session: Session, name: str, delta: timedelta, *, now: datetime) -> timedelta:
    """Move the named clock forward (or back with a negative delta, never below zero) and commit; the new offset."""
    row = session.get(ClockOffset, name)
    current = timedelta(seconds=row.seconds) if row else timedelta(0)
    offset = max(timedelta(0), current + delta)
    if row is None:
        session.add(ClockOffset(name=name, seconds=offset.total_seconds(), updated_at=now))
    else:
        row.seconds, row.updated_at = offset.total_seconds(), now
    session.commit()
    return offset
