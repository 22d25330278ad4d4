"""Logins for people of the demo world who have none (the demo gives a login to one person of a few units)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.access.service import create_account
from zhili.core.auth import system_actor
from zhili.core.clock import Clock, FrozenClock
from zhili.demo.build import DEMO_PASSWORD
from zhili.org.models import Position


def login_for(session: Session, person_id: int, username: str = "kc-officer", *, clock: Clock | None = None) -> str:
    """A login with the demo's password for the person `person_id`; its username."""
    create_account(
        session,
        username=username,
        password=DEMO_PASSWORD,
        person_id=person_id,
        is_admin=False,
        actor=system_actor("test"),
        clock=clock or FrozenClock(datetime(2026, 7, 23, tzinfo=UTC)),
    )
    return username


def first_of(session: Session, unit_id: int) -> int:
    """The person holding the unit's first post (by id)."""
    person = session.scalars(
        select(Position.person_id).where(Position.department_id == unit_id).order_by(Position.id)
    ).first()
    assert person is not None, f"unit {unit_id} has no post"
    return person
