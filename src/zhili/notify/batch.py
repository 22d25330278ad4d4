"""Many small notifications at once: a batch of letters, each to its own few people, in a handful of statements.

`notify` suits one event told to many (a campaign's 11,000 people: one `INSERT … SELECT` per
channel). A worker firing 2,000 due timers has the opposite shape: 2,000 events, each for one to a
dozen people. `notify_each` writes them with the same rules (preferences, defaults, quiet hours, red
bypassing them, webhook topics) but reads the people, preferences and endpoints once and writes each
table with one `executemany`. Same keys as `notify`, so repeating a letter reaches nobody twice.
Its statements are built once per backend and prepared (`core.prepared`: run on the driver), so a
letter costs four small statements: the notification (its id returned), the inbox items, the people's
contacts with their preferences, and the endpoints. A caller that finds its people with a query (a
case's hand-off: the posts whose turn it is) reads their contacts in that same statement
(`contacts_where`) and hands them over with the letter: three.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Executable, Integer, Select, bindparam, select
from sqlalchemy.orm import Session

from zhili.core.clock import Clock
from zhili.core.prepared import Prepared
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
    """One notification and the few people it is for.

    `contacts`, when given, are these people's rows of a `contacts_where` statement (each person
    once per channel preference, once with no channel if none), read by the caller with its people.
    """

    notice: Notice
    people: tuple[int, ...]
    contacts: tuple[Any, ...] | None = None


def contacts_where(condition: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    """The contacts and channel preferences of the people `condition` (on `Person`) finds: a letter's `contacts`."""
    return (
        select(
            Person.id,
            Person.email,
            Person.phone,
            ChannelPreference.channel,
            ChannelPreference.is_enabled,
            ChannelPreference.min_severity,
            ChannelPreference.quiet_start,
            ChannelPreference.quiet_end,
        )
        .outerjoin(ChannelPreference, ChannelPreference.person_id == Person.id)
        .where(condition)
    )


def notify_each(session: Session, letters: Sequence[Letter], *, clock: Clock) -> int:
    """Queue every letter's inbox items and outbox messages in the caller's transaction; the messages queued.

    Letters to more than `MAX_LISTED_RECIPIENTS` people in all (a worker catching up on thousands of
    rungs) are written in groups within that limit; one letter beyond it alone is refused.
    """
    return sum(_notify_group(session, group, clock.now()) for group in letter_groups(letters))


def letter_groups(letters: Sequence[Letter], limit: int = MAX_LISTED_RECIPIENTS) -> Iterator[list[Letter]]:
    """The letters in order, in groups whose people number at most `limit` together (pure)."""
    group: list[Letter] = []
    people: set[int] = set()
    for letter in letters:
        if len(set(letter.people)) > limit:
            message = f"a letter to more than {limit} people: pass a Select of person ids to notify instead"
            raise ValueError(message)
        if group and len(people | set(letter.people)) > limit:
            yield group
            group, people = [], set()
        group.append(letter)
        people.update(letter.people)
    if group:
        yield group


def _notify_group(session: Session, letters: Sequence[Letter], now: datetime) -> int:
    if not letters:
        return 0
    notices = [checked(letter.notice) for letter in letters]
    people = sorted({person for letter in letters for person in letter.people})
    statements = _prepared(session.get_bind().dialect.name)
    ids = _store_notifications(session, statements, notices, now)
    inbox = [
        {"person_id": person, "notification_id": ids[letter.notice.key]}
        for letter in letters
        for person in sorted(set(letter.people))
    ]
    statements.inbox.run_many(session, inbox)
    personal = _personal_rows(session, statements, letters, ids, people, now=now)
    rows = [*personal, *_webhook_rows(session, notices, ids, now)]
    statements.outbox.run_many(session, rows)
    return len(rows)


# A few letters (a report's two hand-offs) are stored one prepared INSERT … RETURNING each; more (a
# worker's batch) in one executemany and one read of their ids, whose list of keys Core binds per call.
_ONE_BY_ONE = 4
# A hand-off's letters go to a few people: their contacts and preferences are read in one statement
# with this many slots (unused ones NULL), so it is prepared once; a longer list is read in chunks.
_PEOPLE_SLOTS = 16


@dataclass(frozen=True)
class _Statements:
    """The batch's statements for one backend, prepared once (`core.prepared`)."""

    store: Prepared
    store_one: Prepared  # one letter's notification, its id returned when it is new
    id_of: Prepared
    ids: Executable  # many keys, bound per call: Core
    inbox: Prepared
    outbox: Prepared
    people: Prepared


@cache
def _prepared(dialect: str) -> _Statements:
    """The batch's statements for one backend, built once."""
    store = upsert_for(dialect, Notification).on_conflict_do_nothing()
    slots = [bindparam(f"b_person_{n}", type_=Integer) for n in range(_PEOPLE_SLOTS)]
    people = contacts_where(Person.id.in_(slots))
    return _Statements(
        store=Prepared(store),
        store_one=Prepared(store.returning(Notification.id)),
        id_of=Prepared(select(Notification.id).where(Notification.key == bindparam("b_key"))),
        ids=select(Notification.key, Notification.id).where(Notification.key.in_(bindparam("b_keys", expanding=True))),
        inbox=Prepared(upsert_for(dialect, InboxItem).on_conflict_do_nothing()),
        outbox=Prepared(upsert_for(dialect, OutboxMessage).on_conflict_do_nothing()),
        people=Prepared(people),
    )


def _store_notifications(
    session: Session, statements: _Statements, notices: Sequence[Notice], now: datetime
) -> dict[str, int]:
    """Each notice's notification id: inserted now, or kept from an earlier try under the same key."""
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
            **n.key_columns(),
        }
        for n in notices
    ]
    if len(rows) <= _ONE_BY_ONE:
        ids: dict[str, int] = {}
        for notice, row in zip(notices, rows, strict=True):
            key = notice.key
            new = statements.store_one.run(session, row).scalar()
            ids[key] = int(new if new is not None else statements.id_of.run(session, {"b_key": key}).scalar_one())
        return ids
    statements.store.run_many(session, rows)
    found = session.connection().execute(statements.ids, {"b_keys": [n.key for n in notices]})
    return {row.key: row.id for row in found}


def _people_rows(session: Session, statements: _Statements, people: list[int]) -> list[Any]:
    """Each person's contact, once per channel preference they set (once, with no channel, if none)."""
    rows: list[Any] = []
    for start in range(0, len(people), _PEOPLE_SLOTS):
        chunk = people[start : start + _PEOPLE_SLOTS]
        params = {f"b_person_{n}": (chunk[n] if n < len(chunk) else None) for n in range(_PEOPLE_SLOTS)}
        rows.extend(statements.people.run(session, params).all())
    return rows


def _personal_rows(
    session: Session,
    statements: _Statements,
    letters: Sequence[Letter],
    ids: dict[str, int],
    people: list[int],
    *,
    now: datetime,
) -> Iterable[dict[str, Any]]:
    given = [letter.contacts for letter in letters]
    found = (
        [row for rows in given for row in rows or ()]
        if None not in given
        else _people_rows(session, statements, people)
    )
    contacts = {row.id: row for row in found}
    preferences: dict[tuple[int, str], _Preference] = {
        (row.id, row.channel): (row.is_enabled, row.min_severity, row.quiet_start, row.quiet_end)
        for row in found
        if row.channel is not None
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
    session: Session, notices: Sequence[Notice], ids: dict[str, int], now: datetime
) -> Iterable[dict[str, Any]]:
    endpoints = enabled_endpoints(session)
    for notice in notices:
        yield from webhook_rows(endpoints, notice, ids[notice.key], now)
