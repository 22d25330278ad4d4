"""Timers fire in batches, once in effect, atomically with their handler's work (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.notify.helpers import in_both_languages

from zhili.clocks import timers
from zhili.clocks.firing import DueTimer, fire_due
from zhili.clocks.models import Timer
from zhili.clocks.reminders import REMIND, Reminder, fire_reminders, reminder_timer
from zhili.core.clock import FrozenClock
from zhili.core.local_time import local_short
from zhili.notify.models import InboxItem, Notification
from zhili.notify.wording import When, Words
from zhili.org.models import Person


def people(session: Session, n: int) -> tuple[int, ...]:
    return tuple(session.scalars(select(Person.id).order_by(Person.id).limit(n)))


def remind(session: Session, who: tuple[int, ...], at: datetime, tag: str) -> None:
    reminder = Reminder(people=who, at=at, topic="test.reminder", title=f"提醒 {tag}", body="test", tag=tag)
    timers.schedule(session, [reminder_timer(reminder)], now=at)


def notifications(session: Session) -> int:
    return (
        session.scalar(select(func.count()).select_from(Notification).where(Notification.topic == "test.reminder")) or 0
    )


def test_due_timers_fire_and_later_ones_wait(sessions: sessionmaker[Session], clock: FrozenClock) -> None:
    with sessions() as session:
        who = people(session, 2)
        remind(session, who, clock.now() - timedelta(minutes=5), "late")
        remind(session, who, clock.now(), "now")
        remind(session, who, clock.now() + timedelta(hours=1), "later")
        session.commit()
    assert fire_due(sessions, clock=clock, handlers={REMIND: fire_reminders}) == 2
    assert fire_due(sessions, clock=clock, handlers={REMIND: fire_reminders}) == 0
    with sessions() as session:
        assert notifications(session) == 2
        received = session.scalar(
            select(func.count()).select_from(InboxItem).join(Notification).where(Notification.topic == "test.reminder")
        )
        assert received == 4
        assert session.scalars(select(Timer.step).where(Timer.kind == REMIND)).all() == ["later"]
    clock.advance(timedelta(hours=1))
    assert fire_due(sessions, clock=clock, handlers={REMIND: fire_reminders}) == 1


def test_a_worded_reminder_reaches_the_inbox_in_each_reader_s_language(
    sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    with sessions() as session:
        (who,) = people(session, 1)
        due = clock.now() + timedelta(hours=2)
        title = Words("notice.calendar.unknown_year", {"year": 2027})
        body = ["请准备", Words("notice.case.deadline.handle", {"due": When(due)})]
        reminder = Reminder(people=(who,), at=clock.now(), topic="test.reminder", title=title, body=body)
        timers.schedule(session, [reminder_timer(reminder)], now=clock.now())
        session.commit()
    assert fire_due(sessions, clock=clock, handlers={REMIND: fire_reminders}) == 1
    with sessions() as session:
        key = session.scalars(select(Notification.key).where(Notification.topic == "test.reminder")).one()
        zh, en = in_both_languages(session, key, who)
        assert (zh.title, en.title) == (title.said("zh", due), "The work calendar lacks the official holidays of 2027")
        assert en.body == f"请准备\nDue by {local_short(due, due, 'en')}"


def test_a_timer_due_while_no_worker_ran_fires_when_one_starts(
    sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    with sessions() as session:
        remind(session, people(session, 1), clock.now() - timedelta(days=30), "missed")
        session.commit()
    assert fire_due(sessions, clock=clock, handlers={REMIND: fire_reminders}) == 1


def test_batches_are_bounded_and_oldest_first(sessions: sessionmaker[Session], clock: FrozenClock) -> None:
    with sessions() as session:
        who = people(session, 1)
        for minutes in range(5):
            remind(session, who, clock.now() - timedelta(minutes=minutes), f"m{minutes}")
        session.commit()
    seen: list[str] = []

    def handler(session: Session, due: Sequence[DueTimer], now: datetime) -> None:
        seen.extend(timer.step for timer in due)

    assert fire_due(sessions, clock=clock, handlers={REMIND: handler}, batch_size=2) == 2
    assert seen == ["m4", "m3"]


def test_a_failing_handler_leaves_its_batch_due_and_writes_nothing(
    sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    with sessions() as session:
        remind(session, people(session, 1), clock.now(), "fails")
        session.commit()

    def broken(session: Session, due: Sequence[DueTimer], now: datetime) -> None:
        fire_reminders(session, due, now)
        message = "receiver down"
        raise RuntimeError(message)

    with pytest.raises(RuntimeError):
        fire_due(sessions, clock=clock, handlers={REMIND: broken})
    with sessions() as session:
        assert notifications(session) == 0
        assert session.scalar(select(func.count()).select_from(Timer).where(Timer.kind == REMIND)) == 1
    assert fire_due(sessions, clock=clock, handlers={REMIND: fire_reminders}) == 1


def test_kinds_without_a_handler_are_left_for_a_worker_that_knows_them(
    sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    with sessions() as session:
        remind(session, people(session, 1), clock.now(), "unknown")
        session.commit()
    assert fire_due(sessions, clock=clock, handlers={"other.kind": fire_reminders}) == 0


def test_cancelled_timers_never_fire(sessions: sessionmaker[Session], clock: FrozenClock) -> None:
    with sessions() as session:
        reminder = Reminder(
            people=people(session, 1), at=clock.now(), topic="test.reminder", title="t", body="b", subject_id=77
        )
        timers.schedule(session, [reminder_timer(reminder)], now=clock.now())
        assert timers.cancel(session, REMIND, [77]) == 1
        session.commit()
    assert fire_due(sessions, clock=clock, handlers={REMIND: fire_reminders}) == 0
