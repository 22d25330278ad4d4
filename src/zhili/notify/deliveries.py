"""The delivery log for administrators: outbox messages with their state and attempts, and a manual retry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.orm import Session

from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, NotFoundError
from zhili.core.pagination import Key, Page, decode_cursor, encode_cursor
from zhili.notify.kinds import Status
from zhili.notify.models import DeliveryAttempt, Notification, OutboxMessage, WebhookEndpoint
from zhili.notify.schemas import AttemptRead, DeliveryDetail, DeliveryRead
from zhili.org.models import Person


def _rows() -> Any:
    return select(OutboxMessage, Notification.title, Notification.severity).join(
        Notification, Notification.id == OutboxMessage.notification_id
    )


def _read(row: Row[Any]) -> DeliveryRead:
    message, title, severity = tuple(row)
    return DeliveryRead(
        id=message.id,
        message_key=message.message_key,
        channel=message.channel,
        destination=message.destination,
        person_id=message.person_id,
        endpoint_id=message.endpoint_id,
        status=message.status,
        attempts=message.attempts,
        next_attempt_at=message.next_attempt_at,
        last_error=message.last_error,
        created_at=message.created_at,
        sent_at=message.sent_at,
        title=title,
        severity=severity,
    )


def list_deliveries(
    session: Session,
    actor: Actor,
    *,
    status: Status | None = None,
    channel: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[DeliveryRead]:
    """Outbox messages, newest first, filtered by status and channel (administrators only)."""
    actor.require_admin("read the delivery log")
    stmt = _rows()
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == status.value)
    if channel is not None:
        stmt = stmt.where(OutboxMessage.channel == channel)
    if cursor is not None:
        (before,) = decode_cursor(cursor, (Key.INT,))
        stmt = stmt.where(OutboxMessage.id < before)
    rows = session.execute(stmt.order_by(OutboxMessage.id.desc()).limit(limit + 1)).all()
    items = [_read(row) for row in rows[:limit]]
    return Page[DeliveryRead](items=items, next_cursor=encode_cursor([items[-1].id]) if len(rows) > limit else None)


def status_counts(session: Session, actor: Actor) -> dict[str, dict[str, int]]:
    """How many messages each channel has in each status (administrators only)."""
    actor.require_admin("read the delivery log")
    stmt = select(OutboxMessage.channel, OutboxMessage.status, func.count()).group_by(
        OutboxMessage.channel, OutboxMessage.status
    )
    counts: dict[str, dict[str, int]] = {}
    for channel, status, count in session.execute(stmt):
        counts.setdefault(channel, {})[status] = count
    return counts


def delivery_detail(session: Session, actor: Actor, outbox_id: int) -> DeliveryDetail:
    """One message and every attempt to deliver it (administrators only)."""
    actor.require_admin("read the delivery log")
    row = session.execute(_rows().where(OutboxMessage.id == outbox_id)).first()
    if row is None:
        raise NotFoundError("delivery not found")
    attempts = session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.outbox_id == outbox_id).order_by(DeliveryAttempt.attempt)
    )
    log = [
        AttemptRead(
            attempt=a.attempt,
            at=a.at,
            outcome=a.outcome,
            http_status=a.http_status,
            error=a.error,
            duration_ms=a.duration_ms,
        )
        for a in attempts
    ]
    return DeliveryDetail(**_read(row).model_dump(), log=log)


def retry_delivery(session: Session, *, outbox_id: int, actor: Actor, clock: Clock) -> DeliveryDetail:
    """Give a dead message one more attempt, now (administrators only; 409 unless it is dead)."""
    actor.require_admin("retry deliveries")
    now = clock.now()
    revived = (
        session.connection()
        .execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id, OutboxMessage.status == Status.DEAD.value)
            .values(status=Status.PENDING.value, next_attempt_at=now)
        )
        .rowcount
    )
    if not revived:
        delivery_detail(session, actor, outbox_id)  # 404 when there is no such message
        raise ConflictError("only a message that was given up can be retried")
    audit.record_by(
        session,
        actor,
        "notify.delivery.retried",
        entity_type="outbox",
        entity_id=outbox_id,
        at=now,
        before={"status": Status.DEAD.value},
        after={"status": Status.PENDING.value},
    )
    commit(session)
    return delivery_detail(session, actor, outbox_id)


def recipient_names(session: Session, items: list[DeliveryRead]) -> dict[int, str]:
    """Whom each message is for, by message id: the person's name, or the webhook endpoint's (a query each)."""
    people = {item.person_id for item in items if item.person_id is not None}
    endpoints = {item.endpoint_id for item in items if item.endpoint_id is not None}
    person_names: dict[int, str] = {}
    if people:
        rows = session.execute(select(Person.id, Person.name).where(Person.id.in_(people)))
        person_names = {row[0]: row[1] for row in rows}
    endpoint_names: dict[int, str] = {}
    if endpoints:
        rows = session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.name).where(WebhookEndpoint.id.in_(endpoints))
        )
        endpoint_names = {row[0]: row[1] for row in rows}
    found: dict[int, str] = {}
    for item in items:
        if item.person_id is not None and item.person_id in person_names:
            found[item.id] = person_names[item.person_id]
        elif item.endpoint_id is not None and item.endpoint_id in endpoint_names:
            found[item.id] = endpoint_names[item.endpoint_id]
    return found
