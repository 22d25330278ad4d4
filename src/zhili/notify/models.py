"""Tables of notifications: what was said, whose inbox holds it, the outbox and its delivery log.

A notification is stored once per event (its text, severity and key); an inbox item links it to
each recipient; an outbox row is one message to one destination on one channel (e-mail, SMS, a
webhook endpoint) with a unique message key that receivers use to drop repeats. All of them are
written in the business transaction that caused them (ADR 0009, docs/decisions/0009-outbox-at-least-once.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.db import Base, UtcDateTime

KEY_LENGTH = 120
MESSAGE_KEY_LENGTH = 200
PENDING_CONDITION = "status = 'pending'"


class Notification(Base):
    """One thing to tell people: topic, severity (info, yellow, red), text, link, and its key.

    The key names the event (e.g. `case:42:urge:1`), so notifying twice under one key reaches
    each recipient once.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    topic: Mapped[str] = mapped_column(String(60))
    severity: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    subject: Mapped[str | None] = mapped_column(String(60), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The title as a message key and its parameters (JSON), and the body as parts (JSON: verbatim text or
    # [key, parameters], one line each), when they have them (`notify.wording`): the inbox renders them in the
    # reader's language; `title` and `body` (Chinese) are what the other channels send and what a missing key
    # falls back to.
    title_key: Mapped[str | None] = mapped_column(String(80))
    title_params: Mapped[str | None] = mapped_column(Text)
    body_parts: Mapped[str | None] = mapped_column(Text)


class InboxItem(Base):
    """A notification in one person's in-app inbox (收件箱), read or not.

    `settled_by` is the person (id) whose act made it read, and `settled_as` why (`kinds.Settled`): one of
    those told with them did what it asked (`inbox.settle_about`), or the request was withdrawn or cancelled
    (`inbox.settle_topic`); both None when they read it themselves or it is unread.
    """

    __tablename__ = "inbox_items"
    __table_args__ = (
        UniqueConstraint("person_id", "notification_id"),
        Index("ix_inbox_items_person_id", "person_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    settled_by: Mapped[int | None] = mapped_column(Integer)  # a person's id; no key, see migration 0030
    settled_as: Mapped[str | None] = mapped_column(String(12))  # kinds.Settled


class WebhookEndpoint(Base):
    """A system that receives notifications by HTTP POST: generic JSON or a DingTalk custom robot.

    The DingTalk secret is kept in clear because the signature needs it; it is never returned.
    `topics` is a comma-separated list of topic prefixes (empty: every topic).
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(12))
    secret: Mapped[str | None] = mapped_column(String(200))
    topics: Mapped[str] = mapped_column(String(500), default="")
    min_severity: Mapped[str] = mapped_column(String(8), default="info")
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OutboxMessage(Base):
    """One message to deliver (发件箱): a notification on one channel to one destination.

    `status` is pending → sent, or dead after the last attempt. A pending row is due when
    `next_attempt_at` has passed; a worker leases it by moving `next_attempt_at` forward and
    counting the attempt, so a crashed worker's rows come due again by themselves.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_due",
            "channel",
            "next_attempt_at",
            sqlite_where=text(PENDING_CONDITION),
            postgresql_where=text(PENDING_CONDITION),
        ),
        Index("ix_outbox_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_key: Mapped[str] = mapped_column(String(MESSAGE_KEY_LENGTH), unique=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    channel: Mapped[str] = mapped_column(String(12))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    endpoint_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="SET NULL"), index=True)
    destination: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DeliveryAttempt(Base):
    """The outcome of one attempt to deliver an outbox message (the delivery log)."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (UniqueConstraint("outbox_id", "attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    outcome: Mapped[str] = mapped_column(String(12))
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer)


class ChannelPreference(Base):
    """A person's choice for one channel: on or off, the lowest severity sent, and quiet hours.

    Quiet hours are local times (Asia/Shanghai) as "HH:MM"; a window may wrap past midnight.
    During it, messages wait until it ends, except red ones.
    """

    __tablename__ = "channel_preferences"
    __table_args__ = (UniqueConstraint("person_id", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    channel: Mapped[str] = mapped_column(String(12))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    min_severity: Mapped[str] = mapped_column(String(8), default="info")
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
