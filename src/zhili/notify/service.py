"""Queueing notifications: the inbox items and outbox messages of one event, set-based, in the caller's transaction.

`notify` never commits: the service that decides something calls it before its own commit, so the
decision and its notifications land together or not at all. Recipients are a `Select` of person
ids (a campaign's 11,000 people are one `INSERT ... SELECT` per channel) or a short list of ids.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import ColumnElement, Integer, Select, String, and_, case, cast, literal, or_, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from zhili.core.clock import Clock
from zhili.core.db import Base, UtcDateTime
from zhili.core.errors import InvalidInputError
from zhili.notify.kinds import PERSONAL_CHANNELS, Channel, Severity, Status, thresholds_met_by
from zhili.notify.models import KEY_LENGTH, ChannelPreference, InboxItem, Notification, OutboxMessage, WebhookEndpoint
from zhili.notify.quiet import quiet_until
from zhili.org.models import Person

TOPIC_PATTERN = r"^[a-z][a-z0-9_.:-]{0,59}$"
MAX_LISTED_RECIPIENTS = 5_000
TITLE_LENGTH, LINK_LENGTH, SUBJECT_LENGTH = 200, 300, 60
LINK_STARTS = ("/", "https://", "http://")
# With no preference row: e-mail for everything, SMS for red only (SMS costs money and wakes people).
DEFAULT_MIN_SEVERITY = {Channel.EMAIL: Severity.INFO, Channel.SMS: Severity.RED}
DESTINATION_COLUMN: dict[Channel, InstrumentedAttribute[str | None]] = {
    Channel.EMAIL: Person.email,
    Channel.SMS: Person.phone,
}

Recipients = Select[int] | Sequence[int]


@dataclass(frozen=True)
class Notice:
    """What to tell: the text of one notification and the key that names the event."""

    topic: str
    severity: Severity
    title: str
    body: str
    key: str
    link: str | None = None
    subject: str | None = None


@dataclass(frozen=True)
class Queued:
    """What `notify` wrote: the notification, and how many inbox items and outbox messages are new."""

    notification_id: int
    inbox_items: int
    messages: int


def notify(
    session: Session,
    *,
    recipients: Recipients,
    topic: str,
    severity: Severity | str,
    title: str,
    body: str,
    key: str,
    clock: Clock,
    link: str | None = None,
    subject: str | None = None,
) -> Queued:
    """Put a notification in each recipient's inbox and queue its e-mail, SMS and webhook messages.

    Each enabled channel of each person (their preferences, else the defaults) gets one outbox
    message; quiet hours hold it back until they end unless the severity is red. Calling again
    with the same key adds nothing for people already reached. No commit: the caller commits.
    """
    notice = checked(
        Notice(topic=topic, severity=Severity(severity), title=title, body=body, key=key, link=link, subject=subject)
    )
    now = clock.now()
    notification_id = _store_notification(session, notice, now)
    who = _recipient_filter(recipients)
    inbox = _insert_inbox_items(session, notification_id, who)
    messages = sum(
        _queue_personal(session, channel, notification_id=notification_id, notice=notice, who=who, now=now)
        for channel in PERSONAL_CHANNELS
    )
    messages += _queue_webhooks(session, notification_id, notice, now)
    return Queued(notification_id=notification_id, inbox_items=inbox, messages=messages)


def checked(notice: Notice) -> Notice:
    """The notice, or 422 naming what is wrong with its topic, key, title, link or subject."""
    if not re.match(TOPIC_PATTERN, notice.topic):
        raise InvalidInputError(f"not a notification topic: {notice.topic!r}")
    if not 0 < len(notice.key) <= KEY_LENGTH or not notice.key.isprintable():
        raise InvalidInputError(f"a notification key is 1 to {KEY_LENGTH} printable characters")
    if not notice.title.strip() or len(notice.title) > TITLE_LENGTH:
        raise InvalidInputError(f"a notification title is 1 to {TITLE_LENGTH} characters")
    if notice.link is not None and (len(notice.link) > LINK_LENGTH or not notice.link.startswith(LINK_STARTS)):
        raise InvalidInputError("a notification link is a path in the app or an http(s) URL")
    if notice.subject is not None and len(notice.subject) > SUBJECT_LENGTH:
        raise InvalidInputError(f"a notification subject is at most {SUBJECT_LENGTH} characters")
    return notice


def insert_ignoring_duplicates(session: Session, entity: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for this backend that skips rows clashing with a unique key (ON CONFLICT DO NOTHING)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(entity)
    return sqlite.insert(entity)


def _store_notification(session: Session, notice: Notice, now: datetime) -> int:
    values: dict[str, Any] = {
        "key": notice.key,
        "topic": notice.topic,
        "severity": notice.severity.value,
        "title": notice.title,
        "body": notice.body,
        "link": notice.link,
        "subject": notice.subject,
        "created_at": now,
    }
    stmt = insert_ignoring_duplicates(session, Notification).values(values)
    inserted = session.execute(stmt.on_conflict_do_nothing(index_elements=["key"]).returning(Notification.id)).scalar()
    if inserted is not None:
        return int(inserted)
    return int(session.scalars(select(Notification.id).where(Notification.key == notice.key)).one())


def _recipient_filter(recipients: Recipients) -> ColumnElement[bool]:
    if isinstance(recipients, Select):
        return Person.id.in_(recipients)
    ids = sorted({int(person_id) for person_id in recipients})
    if len(ids) > MAX_LISTED_RECIPIENTS:
        message = f"more than {MAX_LISTED_RECIPIENTS} listed recipients: pass a Select of person ids instead"
        raise ValueError(message)
    return Person.id.in_(ids)


def _insert_inbox_items(session: Session, notification_id: int, who: ColumnElement[bool]) -> int:
    rows = select(Person.id, literal(notification_id, Integer)).where(who)
    stmt = insert_ignoring_duplicates(session, InboxItem).from_select(["person_id", "notification_id"], rows)
    return _count(
        session.connection().execute(stmt.on_conflict_do_nothing().execution_options(preserve_rowcount=True)).rowcount
    )


def _queue_personal(
    session: Session,
    channel: Channel,
    *,
    notification_id: int,
    notice: Notice,
    who: ColumnElement[bool],
    now: datetime,
) -> int:
    destination = DESTINATION_COLUMN[channel]
    pref = ChannelPreference
    allowed = thresholds_met_by(notice.severity)
    chosen = and_(pref.is_enabled == true(), pref.min_severity.in_(allowed))
    wanted = or_(pref.id.is_(None), chosen) if DEFAULT_MIN_SEVERITY[channel].value in allowed else chosen
    rows = (
        select(
            literal(f"{notice.key}:{channel.value}:", String) + cast(Person.id, String),
            literal(notification_id, Integer),
            literal(channel.value, String),
            Person.id,
            destination,
            literal(Status.PENDING.value, String),
            literal(0, Integer),
            _first_attempt_at(session, channel, notice.severity, now),
            literal(now, UtcDateTime()),
        )
        .outerjoin(pref, and_(pref.person_id == Person.id, pref.channel == channel.value))
        .where(who, destination.is_not(None), destination != "", wanted)
    )
    columns = ["message_key", "notification_id", "channel", "person_id", "destination", "status", "attempts"]
    stmt = insert_ignoring_duplicates(session, OutboxMessage).from_select(
        [*columns, "next_attempt_at", "created_at"], rows
    )
    return _count(
        session.connection().execute(stmt.on_conflict_do_nothing().execution_options(preserve_rowcount=True)).rowcount
    )


def _first_attempt_at(session: Session, channel: Channel, severity: Severity, now: datetime) -> ColumnElement[Any]:
    """`now`, or for people inside their quiet hours the end of them (red notices are never held back).

    The distinct quiet windows are few, so each window quiet right now becomes one CASE branch.
    """
    at_now = literal(now, UtcDateTime())
    if severity is Severity.RED:
        return at_now
    pref = ChannelPreference
    windows = session.execute(
        select(pref.quiet_start, pref.quiet_end)
        .where(pref.channel == channel.value, pref.quiet_start.is_not(None), pref.quiet_end.is_not(None))
        .distinct()
    ).all()
    branches = []
    for start, end in windows:
        until = quiet_until(now, start, end) if start and end else None
        if until is not None:
            condition = and_(pref.quiet_start == start, pref.quiet_end == end)
            branches.append((condition, literal(until, UtcDateTime())))
    return case(*branches, else_=at_now) if branches else at_now


def _queue_webhooks(session: Session, notification_id: int, notice: Notice, now: datetime) -> int:
    endpoints = session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.is_enabled == true())).all()
    rows = [
        {
            "message_key": f"{notice.key}:{Channel.WEBHOOK.value}:{endpoint.id}",
            "notification_id": notification_id,
            "channel": Channel.WEBHOOK.value,
            "endpoint_id": endpoint.id,
            "destination": without_query(endpoint.url),
            "status": Status.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for endpoint in endpoints
        if endpoint_wants(endpoint, notice.topic, notice.severity)
    ]
    if not rows:
        return 0
    stmt = insert_ignoring_duplicates(session, OutboxMessage).on_conflict_do_nothing()
    session.execute(stmt, rows)
    return len(rows)


def endpoint_wants(endpoint: WebhookEndpoint, topic: str, severity: Severity) -> bool:
    """True when the endpoint's topic prefixes (none: all) and lowest severity let this notice through."""
    prefixes = [p.strip() for p in endpoint.topics.split(",") if p.strip()]
    topic_ok = not prefixes or any(p == "*" or topic.startswith(p) for p in prefixes)
    return topic_ok and endpoint.min_severity in thresholds_met_by(severity)


def without_query(url: str) -> str:
    """A URL fit for the delivery log: a robot's access token travels in the query, so it is dropped."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _count(rowcount: int) -> int:
    return max(rowcount, 0)
