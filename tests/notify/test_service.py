"""Queueing notifications on SQLite and PostgreSQL: inbox items, outbox messages per channel, keys, preferences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.notify.helpers import give_email, people_of

from zhili.core.clock import FrozenClock
from zhili.core.errors import InvalidInputError
from zhili.notify.models import ChannelPreference, InboxItem, OutboxMessage, WebhookEndpoint
from zhili.notify.service import notify
from zhili.org.models import Position

LONGYOU = "330825"


def _send(session: Session, clock: FrozenClock, recipients: object, *, key: str = "test:1", severity: str = "info"):
    return notify(
        session,
        recipients=recipients,  # type: ignore[arg-type]
        topic="test.notice",
        severity=severity,
        title="台风防御通知",
        body="请做好防台准备。",
        key=key,
        clock=clock,
        link="/inbox",
        subject="test:1",
    )


def _messages(session: Session, notification_id: int) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.notification_id == notification_id).order_by(OutboxMessage.id)
    return list(session.scalars(stmt))


def test_a_notice_reaches_each_inbox_and_only_the_channels_people_have(session: Session, clock: FrozenClock) -> None:
    people = people_of(session, LONGYOU, 3)
    give_email(session, people[:2])
    queued = _send(session, clock, people)
    assert queued.inbox_items == 3
    messages = _messages(session, queued.notification_id)
    # Info: e-mail for those with an address, no SMS (the default sends SMS for red only).
    assert [(m.channel, m.person_id) for m in messages] == [("email", people[0]), ("email", people[1])]
    assert {m.message_key for m in messages} == {f"test:1:email:{p}" for p in people[:2]}
    assert all(m.status == "pending" and m.next_attempt_at == clock.now() for m in messages)


def test_red_goes_by_sms_to_everyone_with_a_phone(session: Session, clock: FrozenClock) -> None:
    people = people_of(session, LONGYOU, 4)
    queued = _send(session, clock, people, severity="red")
    sms = [m for m in _messages(session, queued.notification_id) if m.channel == "sms"]
    assert sorted(m.person_id for m in sms) == people
    assert all(m.destination.startswith("1390") for m in sms)


def test_the_same_key_twice_reaches_nobody_twice(session: Session, clock: FrozenClock) -> None:
    people = people_of(session, LONGYOU, 3)
    first = _send(session, clock, people[:2], severity="red")
    again = _send(session, clock, people, severity="red")
    assert again.notification_id == first.notification_id
    assert (again.inbox_items, again.messages) == (1, 1)
    count = session.scalar(select(func.count()).where(InboxItem.notification_id == first.notification_id))
    assert count == 3


def test_recipients_as_a_select_are_one_set_and_deduplicated(session: Session, clock: FrozenClock) -> None:
    # People holding several posts in Longyou appear once.
    recipients = select(Position.person_id).where(Position.division_code.startswith(LONGYOU))
    expected = session.scalar(select(func.count(func.distinct(Position.person_id))).where(recipients.whereclause))
    queued = _send(session, clock, recipients, severity="red")
    assert expected is not None
    assert expected > 10_000
    assert queued.inbox_items == expected
    assert queued.messages == expected


def _prefer(session: Session, person: int, channel: str, **values: object) -> None:
    session.add(ChannelPreference(person_id=person, channel=channel, updated_at=datetime.now(UTC), **values))
    session.flush()


def test_preferences_turn_channels_off_and_raise_or_lower_the_bar(session: Session, clock: FrozenClock) -> None:
    people = people_of(session, LONGYOU, 3)
    give_email(session, people)
    _prefer(session, people[0], "email", is_enabled=False)
    _prefer(session, people[1], "sms", min_severity="yellow")
    _prefer(session, people[2], "email", min_severity="red")
    queued = _send(session, clock, people, severity="yellow")
    got = {(m.channel, m.person_id) for m in _messages(session, queued.notification_id)}
    assert got == {("email", people[1]), ("sms", people[1])}


def test_quiet_hours_hold_messages_back_but_not_red_ones(session: Session, clock: FrozenClock) -> None:
    # 07:00 UTC is 15:00 in Quzhou: inside 14:00-16:00, outside 22:00-07:00.
    people = people_of(session, LONGYOU, 3)
    give_email(session, people)
    _prefer(session, people[0], "email", quiet_start="14:00", quiet_end="16:00")
    _prefer(session, people[1], "email", quiet_start="22:00", quiet_end="07:00")
    _prefer(session, people[2], "sms", quiet_start="14:00", quiet_end="16:00", min_severity="info")
    queued = _send(session, clock, people)
    due = {(m.channel, m.person_id): m.next_attempt_at for m in _messages(session, queued.notification_id)}
    now, end = clock.now(), clock.now() + timedelta(hours=1)
    assert due == {
        ("email", people[0]): end,
        ("email", people[1]): now,
        ("email", people[2]): now,
        ("sms", people[2]): end,
    }
    red = _send(session, clock, people, key="test:red", severity="red")
    assert {m.next_attempt_at for m in _messages(session, red.notification_id)} == {now}


def test_webhook_endpoints_get_the_topics_they_ask_for(session: Session, clock: FrozenClock) -> None:
    for name, topics, severity in (("all", "", "info"), ("tests", "test.", "info"), ("cases", "case.", "info")):
        session.add(
            WebhookEndpoint(
                name=name,
                url=f"https://hooks.example/{name}?access_token=t",
                format="generic",
                topics=topics,
                min_severity=severity,
                is_enabled=True,
                created_at=clock.now(),
            )
        )
    session.add(
        WebhookEndpoint(
            name="red only",
            url="https://hooks.example/red",
            format="dingtalk_md",
            min_severity="red",
            is_enabled=True,
            created_at=clock.now(),
        )
    )
    session.flush()
    queued = _send(session, clock, [])
    hooks = [m for m in _messages(session, queued.notification_id) if m.channel == "webhook"]
    assert sorted(m.destination for m in hooks) == ["https://hooks.example/all", "https://hooks.example/tests"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("topic", "Bad Topic"), ("key", ""), ("title", " "), ("link", "javascript:alert(1)"), ("severity", "purple")],
)
def test_bad_notices_are_refused(session: Session, clock: FrozenClock, field: str, value: str) -> None:
    values = {"topic": "test.x", "severity": "info", "title": "t", "body": "b", "key": "k", "link": None}
    values[field] = value
    with pytest.raises((InvalidInputError, ValueError)):
        notify(session, recipients=[], clock=clock, **values)  # type: ignore[arg-type]
