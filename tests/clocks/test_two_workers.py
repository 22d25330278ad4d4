"""Two workers on PostgreSQL share the due timers and never fire the same one twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from tests.conftest import scratch_postgres

from zhili.clocks.firing import fire_due
from zhili.clocks.models import Timer
from zhili.clocks.reminders import REMIND, fire_reminders
from zhili.core.clock import FrozenClock
from zhili.core.db import make_engine, make_session_factory
from zhili.notify.models import InboxItem, Notification
from zhili.org.models import Person

TIMERS = 1_500
NOW = datetime(2026, 7, 23, 7, 0, tzinfo=UTC)


def test_two_workers_share_the_load_and_fire_each_timer_once() -> None:
    url = scratch_postgres("zhili_timers_two_workers", migrated=True)
    engine = make_engine(url)
    with Session(engine) as session:
        session.execute(insert(Person), [{"name": f"p{i}"} for i in range(50)])
        people = list(session.scalars(select(Person.id)))
        payload = {"topic": "test.two_workers", "title": "t", "body": "b", "severity": "info", "link": None}
        rows = [
            {
                "kind": REMIND,
                "subject_id": i,
                "step": "reminder",
                "generation": 0,
                "share": 0.0,
                "due_at": NOW - timedelta(seconds=i),
                "payload": {"people": [people[i % len(people)]], **payload, "subject": None},
                "created_at": NOW,
            }
            for i in range(TIMERS)
        ]
        session.execute(insert(Timer), rows)
        session.commit()

    fired: dict[str, int] = {}
    start = threading.Barrier(2)

    def work(name: str) -> None:
        sessions = make_session_factory(make_engine(url))
        start.wait()
        total = 0
        while done := fire_due(sessions, clock=FrozenClock(NOW), handlers={REMIND: fire_reminders}, batch_size=100):
            total += done
        fired[name] = total

    threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert sum(fired.values()) == TIMERS
    assert min(fired.values()) > 0, fired
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Timer)) == 0
        sent = session.scalar(
            select(func.count(func.distinct(Notification.key))).where(Notification.topic == "test.two_workers")
        )
        assert sent == TIMERS
        assert session.scalar(select(func.count()).select_from(InboxItem)) == TIMERS
    engine.dispose()
