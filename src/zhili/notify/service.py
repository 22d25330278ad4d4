"""Queueing notifications: the inbox items and outbox messages of one event, set-based, in the caller's transaction.

`notify` never commits: the service that decides something calls it before its own commit, so the
decision and its notifications land together or not at all. Recipients are a `Select` of person
ids (a campaign's 11,000 people are one `INSERT ... SELECT` for all channels) or a short list of ids
(prepared statements: `notify.statements`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Connection, Executable, Select, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from zhili.core.clock import Clock
from zhili.core.db import Base
from zhili.core.errors import InvalidInputError
from zhili.core.prepared import Prepared
from zhili.core.shared_reads import shared
from zhili.notify.kinds import PERSONAL_CHANNELS, Channel, Severity, Status, thresholds_met_by
from zhili.notify.models import KEY_LENGTH, WebhookEndpoint
from zhili.notify.quiet import quiet_until
from zhili.notify.statements import inbox_rows, queue_personal, upsert_for
from zhili.notify.statements import prepared as statements_for
from zhili.org.models import Person

TOPIC_PATTERN = r"^[a-z][a-z0-9_.:-]{0,59}$"
MAX_LISTED_RECIPIENTS = 5_000
TITLE_LENGTH, LINK_LENGTH, SUBJECT_LENGTH = 200, 300, 60
LINK_STARTS = ("/", "https://", "http://")
# With no preference row: e-mail for everything, SMS for red only (SMS costs money and wakes people).
DEFAULT_MIN_SEVERITY = {Channel.EMAIL: Severity.INFO, Channel.SMS: Severity.RED}

Recipients = Select[int] | Sequence[int]
Statements = dict[str, Executable]


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
    # The title as a message key and its parameters (`notify.titles`): the inbox shows it in the reader's language.
    title_key: str | None = None
    title_params: Mapping[str, str] | None = None

    def title_columns(self) -> dict[str, str | None]:
        """The stored `title_key` and `title_params` (JSON) of this notice."""
        params = json.dumps(dict(self.title_params), ensure_ascii=False) if self.title_params else None
        return {"title_key": self.title_key, "title_params": params if self.title_key else None}


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
    title_key: str | None = None,
    title_params: Mapping[str, str] | None = None,
) -> Queued:
    """Put a notification in each recipient's inbox and queue its e-mail, SMS and webhook messages.

    With `title_key` (a catalog key) and its `title_params`, the inbox shows the title in the reader's
    language (`notify.titles`); e-mail, SMS and webhooks send `title`.

    Each enabled channel of each person (their preferences, else the defaults) gets one outbox
    message; quiet hours hold it back until they end unless the severity is red. Calling again
    with the same key adds nothing for people already reached. No commit: the caller commits.
    """
    notice = checked(
        Notice(
            topic=topic,
            severity=Severity(severity),
            title=title,
            body=body,
            key=key,
            link=link,
            subject=subject,
            title_key=title_key,
            title_params=title_params,
        )
    )
    now = clock.now()
    dialect = session.get_bind().dialect.name
    statements = statements_for(dialect)
    connection = session.connection()
    notification_id, fresh = _store_notification(connection, statements, notice, now)
    base = {"b_key": notice.key, "b_notification_id": notification_id, "b_now": now}
    if isinstance(recipients, Select):
        who = Person.id.in_(recipients)
        inbox_stmt, personal_stmt = inbox_rows(dialect, who, fresh=fresh), queue_personal(dialect, who, fresh=fresh)
    else:
        base["b_people"] = _listed(recipients)
        suffix = "_fresh" if fresh else ""
        inbox_stmt, personal_stmt = statements[f"inbox{suffix}"], statements[f"personal{suffix}"]
    inbox = _count(connection.execute(inbox_stmt, base).rowcount)
    messages = _count(connection.execute(personal_stmt, {**base, **_wants(notice.severity)}).rowcount)
    if messages and notice.severity is not Severity.RED:
        _hold_for_quiet_hours(connection, statements, base)
    messages += _queue_webhooks(connection, statements, notification_id, notice, now)
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
    return upsert_for(session.get_bind().dialect.name, entity)


def _store_notification(
    connection: Connection, statements: Statements, notice: Notice, now: datetime
) -> tuple[int, bool]:
    """The notification's id, and whether this call created it (False: the key was stored before)."""
    values = {
        "b_key": notice.key,
        "b_topic": notice.topic,
        "b_severity": notice.severity.value,
        "b_title": notice.title,
        "b_body": notice.body,
        "b_link": notice.link,
        "b_subject": notice.subject,
        "b_created_at": now,
        **{f"b_{name}": value for name, value in notice.title_columns().items()},
    }
    inserted = connection.execute(statements["store"], values).scalar()
    if inserted is not None:
        return int(inserted), True
    return int(connection.execute(statements["find"], {"b_key": notice.key}).scalar_one()), False


def _listed(recipients: Sequence[int]) -> list[int]:
    ids = sorted({int(person_id) for person_id in recipients})
    if len(ids) > MAX_LISTED_RECIPIENTS:
        message = f"more than {MAX_LISTED_RECIPIENTS} listed recipients: pass a Select of person ids instead"
        raise ValueError(message)
    return ids


def _wants(severity: Severity) -> dict[str, Any]:
    """Which preference settings let this severity through, and whether the channel defaults do."""
    allowed = thresholds_met_by(severity)
    by_default = {
        f"b_{channel.value}_by_default": DEFAULT_MIN_SEVERITY[channel].value in allowed for channel in PERSONAL_CHANNELS
    }
    return {"b_allowed": list(allowed), **by_default}


def _hold_for_quiet_hours(connection: Connection, statements: Statements, base: dict[str, Any]) -> None:
    """Messages to people inside their quiet hours wait until the end of them (red ones never wait).

    The distinct quiet windows are few: each window quiet right now is one UPDATE of the rows just queued.
    """
    now = base["b_now"]
    for channel, start, end in connection.execute(statements["quiet_windows"]).all():
        until = quiet_until(now, start, end)
        if until is not None:
            values = {**base, "b_channel": channel, "b_start": start, "b_end": end, "b_until": until}
            connection.execute(statements["hold"], values)


def _queue_webhooks(
    connection: Connection, statements: Statements, notification_id: int, notice: Notice, now: datetime
) -> int:
    rows = list(webhook_rows(enabled_endpoints(connection), notice, notification_id, now))
    if rows:
        connection.execute(statements["webhooks"], rows)
    return len(rows)


@dataclass(frozen=True)
class Endpoint:
    """An enabled webhook endpoint, as the queueing needs it."""

    id: int
    url: str
    topics: str
    min_severity: str


_ENABLED_ENDPOINTS = Prepared(
    select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.topics, WebhookEndpoint.min_severity).where(
        WebhookEndpoint.is_enabled == true()
    )
)


def enabled_endpoints(bind: Session | Connection) -> tuple[Endpoint, ...]:
    """The webhook endpoints that are switched on, read once per transaction (`core.shared_reads`)."""
    return shared(bind, _ENABLED_ENDPOINTS, lambda: tuple(Endpoint(*row) for row in _ENABLED_ENDPOINTS.run(bind).all()))


def webhook_rows(
    endpoints: Sequence[Endpoint], notice: Notice, notification_id: int, now: datetime
) -> Iterator[dict[str, Any]]:
    """One pending outbox row per endpoint that wants this notice."""
    for endpoint in endpoints:
        if endpoint_wants(endpoint, notice.topic, notice.severity):
            yield {
                "message_key": f"{notice.key}:{Channel.WEBHOOK.value}:{endpoint.id}",
                "notification_id": notification_id,
                "channel": Channel.WEBHOOK.value,
                "person_id": None,
                "endpoint_id": endpoint.id,
                "destination": without_query(endpoint.url),
                "status": Status.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }


def endpoint_wants(endpoint: Endpoint | WebhookEndpoint, topic: str, severity: Severity) -> bool:
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
