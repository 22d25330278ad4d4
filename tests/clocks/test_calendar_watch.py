"""Administrators are told once, by notification, that the coming days reach a year the calendar does not know."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.notify.helpers import in_both_languages

from zhili.access.service import create_account
from zhili.clocks.overrides import forget_cached
from zhili.clocks.watch import warn_unknown_years
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.notify.models import InboxItem, Notification
from zhili.org.models import Position
from zhili.worker import administrators


@pytest.fixture(autouse=True)
def fresh_calendar() -> Iterator[None]:
    forget_cached()
    yield
    forget_cached()


def inbox_count(session: Session) -> int:
    notice = select(Notification.id).where(Notification.key == "calendar.unknown:2027")
    return int(session.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.notification_id.in_(notice))))


def test_administrators_are_told_once_within_60_days_of_an_unknown_year(session: Session) -> None:
    person_id = session.scalar(select(Position.person_id).where(Position.role == "centre_staff").limit(1))
    assert person_id is not None
    create_account(
        session,
        username="calendar-admin",
        password="a long enough password",
        person_id=person_id,
        is_admin=True,
        actor=system_actor("test"),
        clock=FrozenClock(datetime(2026, 11, 20, tzinfo=UTC)),
    )
    assert person_id in set(session.scalars(administrators()))
    summer = FrozenClock(datetime(2026, 7, 23, tzinfo=UTC))
    assert warn_unknown_years(session, recipients=administrators(), clock=summer) == []
    assert inbox_count(session) == 0
    november = FrozenClock(datetime(2026, 11, 20, tzinfo=UTC))
    assert warn_unknown_years(session, recipients=administrators(), clock=november) == [2027]
    assert inbox_count(session) == 1
    assert warn_unknown_years(session, recipients=administrators(), clock=november) == [2027]
    assert inbox_count(session) == 1  # the key reaches nobody twice
    link = session.scalar(select(Notification.link).where(Notification.key == "calendar.unknown:2027"))
    assert link == "/admin/calendar"
    zh, en = in_both_languages(session, "calendar.unknown:2027", person_id)
    assert zh.title == "工作日历缺少 2027 年的官方节假日安排"
    assert en.title == "The work calendar lacks the official holidays of 2027"
    assert en.body.startswith("Within the next 60 days the calendar reaches 2027, ")
