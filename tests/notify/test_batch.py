"""`notify_each` queues many small notifications with exactly the rules of `notify` (SQLite and PostgreSQL)."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.notify.helpers import give_email, people_of

from zhili.core.clock import FrozenClock
from zhili.notify import batch
from zhili.notify.batch import Letter, letter_groups, notify_each
from zhili.notify.kinds import Severity
from zhili.notify.models import ChannelPreference, InboxItem, Notification, OutboxMessage, WebhookEndpoint
from zhili.notify.service import Notice, notify

NIGHT = FrozenClock(datetime(2026, 7, 23, 15, 30, tzinfo=UTC))  # 23:30 in China: quiet hours for some


def _setup(session: Session) -> list[int]:
    people = people_of(session, "330802", 6)
    give_email(session, people)
    prefs = [
        (people[0], "email", False, "info", None, None),  # e-mail off
        (people[1], "email", True, "red", None, None),  # e-mail for red only
        (people[2], "email", True, "info", "22:00", "07:00"),  # quiet at night
        (people[3], "sms", True, "info", None, None),  # SMS for everything
    ]
    for person, channel, enabled, lowest, start, end in prefs:
        session.add(
            ChannelPreference(
                person_id=person,
                channel=channel,
                is_enabled=enabled,
                min_severity=lowest,
                quiet_start=start,
                quiet_end=end,
                updated_at=NIGHT.now(),
            )
        )
    session.add(
        WebhookEndpoint(
            name="robot",
            url="https://oapi.example/robot/send?access_token=t",
            format="dingtalk_md",
            topics="case.",
            min_severity="yellow",
            is_enabled=True,
            created_at=NIGHT.now(),
        )
    )
    session.flush()
    return people


def _messages(session: Session, key: str) -> set[tuple[str, int | None, int | None, str, datetime]]:
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.message_key.startswith(f"{key}:")))
    return {(m.channel, m.person_id, m.endpoint_id, m.destination, m.next_attempt_at) for m in rows}


def test_a_batch_of_letters_queues_what_notify_would(session: Session) -> None:
    people = _setup(session)
    for severity in Severity:
        notify(
            session,
            recipients=people,
            topic="case.urge",
            severity=severity,
            title="催办",
            body="b",
            key=f"one-{severity}",
            clock=NIGHT,
            link="/cases/1",
        )
        notice = Notice(
            topic="case.urge", severity=severity, title="催办", body="b", key=f"each-{severity}", link="/cases/1"
        )
        notify_each(session, [Letter(notice, tuple(people))], clock=NIGHT)
        assert _messages(session, f"one-{severity}") == _messages(session, f"each-{severity}")
        assert _messages(session, f"each-{severity}")


def test_each_letter_reaches_its_own_people_once_even_when_repeated(session: Session) -> None:
    people = _setup(session)
    letters = [
        Letter(
            Notice(topic="test.batch", severity=Severity.INFO, title=f"t{i}", body="", key=f"batch-{i}"), (people[i],)
        )
        for i in range(4)
    ]
    notify_each(session, letters, clock=NIGHT)
    notify_each(session, letters, clock=NIGHT)  # a worker firing the same batch again after a crash
    inbox = session.execute(
        select(InboxItem.person_id, Notification.key).join(Notification).where(Notification.topic == "test.batch")
    ).all()
    assert sorted(inbox) == sorted((people[i], f"batch-{i}") for i in range(4))


def _letter(n: int, people: tuple[int, ...]) -> Letter:
    return Letter(Notice(topic="test.group", severity=Severity.INFO, title=f"t{n}", body="", key=f"group-{n}"), people)


def test_letters_to_more_people_than_the_limit_are_written_in_groups_within_it() -> None:
    letters = [_letter(0, (1, 2)), _letter(1, (2, 3)), _letter(2, (4, 5)), _letter(3, (5,)), _letter(4, (6, 7, 8))]
    groups = list(letter_groups(letters, limit=3))
    assert [[letter.notice.key for letter in group] for group in groups] == [
        ["group-0", "group-1"],  # people 1, 2, 3
        ["group-2", "group-3"],  # people 4, 5
        ["group-4"],  # people 6, 7, 8
    ]
    assert all(len({p for letter in group for p in letter.people}) <= 3 for group in groups)


def test_one_letter_beyond_the_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="more than 3 people"):
        list(letter_groups([_letter(0, (1, 2, 3, 4))], limit=3))


def test_every_group_of_a_long_batch_is_queued(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    people = _setup(session)
    monkeypatch.setattr(batch, "letter_groups", functools.partial(batch.letter_groups, limit=2))
    letters = [_letter(n, (people[n], people[n + 1])) for n in range(4)]
    notify_each(session, letters, clock=NIGHT)
    inbox = session.execute(
        select(InboxItem.person_id, Notification.key).join(Notification).where(Notification.topic == "test.group")
    ).all()
    assert sorted(inbox) == sorted((people[n + k], f"group-{n}") for n in range(4) for k in (0, 1))
