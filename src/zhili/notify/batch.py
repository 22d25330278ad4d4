"""Many small notifications at once: a batch of letters, each to its own few people, in a handful of statements.

`notify` suits one event told to many (a campaign's 11,000 people: one `INSERT … SELECT` per
channel). A worker firing 2,000 due timers has the opposite shape: 2,000 events, each for one to a
dozen people. `notify_each` writes them with the same rules (preferences, defaults, quiet hours, red
bypassing them, webhook topics) but reads the people, preferences and endpoints once and writes each
table with one `executemany`. Same keys as `notify`, so repeating a letter reaches nobody twice.
Its statements are built once per backend and run on the session's connection (Core), so a case's
hand-off (two letters, a person each) costs a few small statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Executable, bindparam, select
from sqlalchemy.orm import Session

from zhili.core.clock import Clock
from zhili.notify.kinds import PERSONAL_CHANNELS, Channel, Severity, Status, thresholds_met_by
from zhili.notify.models import ChannelPreference, InboxItem, Notification, OutboxMessage
from zhili.notify.quiet import quiet_until
from zhili.notify.service import (
    DEFAULT_MIN_SEVERITY,
    MAX_LISTED_RECIPIENTS,
    Notice,
    checked,
    enabled_endpoints,
    webhook_rows,
)
from zhili.notify.statements import upsert_for
from zhili.org.models import Person

_Preference = tuple[bool, str, str | None, str | None]  # enabled, lowest severity, quiet start, quiet end


@dataclass(frozen=True)
class Letter:
    """One notification and the few people it is for."""

    notice: Notice
    people: tuple[int, ...]


def notify_each(session: Session, letters: Sequence[Letter], *, clock: Clock) -> int:
    """Queue every letter's inbox items and outbox messages in the caller's transaction; the messages queued."""
    if not letters:
        return 0
    now = clock.now()
    notices = [checked(letter.notice) for letter in letters]
    people = sorted({person for letter in letters for person in letter.people})
    if len(people) > MAX_LISTED_RECIPIENTS:
        message = f"more than {MAX_LISTED_RECIPIENTS} people in one batch of letters"
        raise ValueError(message)
    connection = session.connection()
    statements = _prepared(connection.dialect.name)
    ids = _store_notifications(connection, statements, notices, now)
    inbox = [
        {"person_id": person, "notification_id": ids[letter.notice.key]}
        for letter in letters
        for person in sorted(set(letter.people))
    ]
    if inbox:
        connection.execute(statements["inbox"], inbox)
    personal = _personal_rows(connection, statements, letters, ids, people, now=now)
    rows = [*personal, *_webhook_rows(connection, notices, ids, now)]
    if rows:
        connection.execute(statements["outbox"], rows)
    return len(rows)


@cache
def _prepared(dialect: str) -> dict[str, Executable]:
    """The batch's statements for one backend, built once."""
    return {
        "store": upsert_for(dialect, Notification).on_conflict_do_nothing(),
        "ids": select(Notification.key, Notification.id).where(
            Notification.key.in_(bindparam("b_keys", expanding=True))
        ),
        "inbox": upsert_for(dialect, InboxItem).on_conflict_do_nothing(),
        "outbox": upsert_for(dialect, OutboxMessage).on_conflict_do_nothing(),
        "contacts": select(Person.id, Person.email, Person.phone).where(
            Person.id.in_(bindparam("b_people", expanding=True))
        ),
        "preferences": select(
            ChannelPreference.person_id,
            ChannelPreference.channel,
            ChannelPreference.is_enabled,
            ChannelPreference.min_severity,
            ChannelPreference.quiet_start,
            ChannelPreference.quiet_end,
        ).where(ChannelPreference.person_id.in_(bindparam("b_people", expanding=True))),
    }


def _store_notifications(
    connection: Connection, statements: dict[str, Executable], notices: Sequence[Notice], now: datetime
) -> dict[str, int]:
    rows = [
        {
            "key": n.key,
            "topic": n.topic,
            "severity": n.severity.value,
            "title": n.title,
            "body": n.body,
            "link": n.link,
            "subject": n.subject,
            "created_at": now,
        }
        for n in notices
    ]
    connection.execute(statements["store"], rows)
    found = connection.execute(statements["ids"], {"b_keys": [n.key for n in notices]})
    return {row.key: row.id for row in found}


def _personal_rows(
    connection: Connection,
    statements: dict[str, Executable],
    letters: Sequence[Letter],
    ids: dict[str, int],
    people: list[int],
    *,
    now: datetime,
) -> Iterable[dict[str, Any]]:
    contacts = {row.id: row for row in connection.execute(statements["contacts"], {"b_people": people})}
    preferences: dict[tuple[int, str], _Preference] = {
        (row.person_id, row.channel): (row.is_enabled, row.min_severity, row.quiet_start, row.quiet_end)
        for row in connection.execute(statements["preferences"], {"b_people": people})
    }
    for letter in letters:
        notice = letter.notice
        for person in sorted(set(letter.people)):
            contact = contacts.get(person)
            for channel in PERSONAL_CHANNELS:
                destination = (contact.email if channel is Channel.EMAIL else contact.phone) if contact else None
                preference = preferences.get((person, channel.value))
                if destination and _wanted(channel, notice.severity, preference):
                    yield {
                        "message_key": f"{notice.key}:{channel.value}:{person}",
                        "notification_id": ids[notice.key],
                        "channel": channel.value,
                        "person_id": person,
                        "endpoint_id": None,
                        "destination": destination,
                        "status": Status.PENDING.value,
                        "attempts": 0,
                        "next_attempt_at": _first_attempt_at(notice.severity, preference, now),
                        "created_at": now,
                    }


def _wanted(channel: Channel, severity: Severity, preference: _Preference | None) -> bool:
    allowed = thresholds_met_by(severity)
    if preference is None:
        return DEFAULT_MIN_SEVERITY[channel].value in allowed
    is_enabled, min_severity, _start, _end = preference
    return is_enabled and min_severity in allowed


def _first_attempt_at(severity: Severity, preference: _Preference | None, now: datetime) -> datetime:
    if severity is Severity.RED or preference is None:
        return now
    _enabled, _min, start, end = preference
    until = quiet_until(now, start, end) if start and end else None
    return until or now


def _webhook_rows(
    connection: Connection, notices: Sequence[Notice], ids: dict[str, int], now: datetime
) -> Iterable[dict[str, Any]]:
    endpoints = enabled_endpoints(connection)
    for notice in notices:
        yield from webhook_rows(endpoints, notice, ids[notice.key], now)
