"""The statements `notify` runs, prepared once per backend with bound parameters.

A hand-off tells two or three people; building and hashing a fresh `INSERT … SELECT` per channel on
every call cost more than running it. These statements are built once per dialect and executed
with parameters, so SQLAlchemy's compiled cache is hit with a cheap cache key every time. Listed
recipients are an expanding `b_people` parameter; a `Select` of recipients (a campaign's
thousands) builds its statement from the same pieces (`personal_rows`, `inbox_rows`).

Parameters: `b_key`, `b_notification_id`, `b_allowed` (the lowest-severity settings this notice
meets), `b_email_by_default` / `b_sms_by_default` (whether a person without a preference row gets
it on that channel), `b_now`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Executable,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    literal,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from zhili.core.db import Base, UtcDateTime
from zhili.notify.kinds import PERSONAL_CHANNELS, Channel, Status
from zhili.notify.models import ChannelPreference, InboxItem, Notification, OutboxMessage
from zhili.org.models import Person

DESTINATION_COLUMN = {Channel.EMAIL: Person.email, Channel.SMS: Person.phone}
OUTBOX_COLUMNS = [
    "message_key",
    "notification_id",
    "channel",
    "person_id",
    "destination",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
]
LISTED = Person.id.in_(bindparam("b_people", expanding=True))
_PREF = ChannelPreference


def upsert_for(dialect: str, entity: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for this backend that can skip rows clashing with a unique key (ON CONFLICT DO NOTHING)."""
    return postgresql.insert(entity) if dialect == "postgresql" else sqlite.insert(entity)


def personal_rows(channel: Channel, who: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    """One pending outbox row per recipient who wants this notice on `channel` and has a destination."""
    destination = DESTINATION_COLUMN[channel]
    now = bindparam("b_now", type_=UtcDateTime())
    chosen = and_(_PREF.is_enabled == true(), _PREF.min_severity.in_(bindparam("b_allowed", expanding=True)))
    by_default = and_(_PREF.id.is_(None), bindparam(f"b_{channel.value}_by_default", type_=Boolean))
    return (
        select(
            bindparam("b_key", type_=String) + literal(f":{channel.value}:", String) + cast(Person.id, String),
            bindparam("b_notification_id", type_=Integer),
            literal(channel.value, String),
            Person.id,
            destination,
            literal(Status.PENDING.value, String),
            literal(0, Integer),
            now,
            now,
        )
        .outerjoin(_PREF, and_(_PREF.person_id == Person.id, _PREF.channel == channel.value))
        .where(who, destination.is_not(None), destination != "", or_(by_default, chosen))
    )


def queue_personal(dialect: str, who: ColumnElement[bool], *, fresh: bool = False) -> Executable:
    """Every personal channel's messages in one `INSERT … SELECT … UNION ALL …`, repeats skipped.

    `fresh`: the notification was created by this call, so none of its messages can exist yet and
    the insert skips the conflict check (a quarter of its cost on PostgreSQL).
    """
    rows = union_all(*(personal_rows(channel, who) for channel in PERSONAL_CHANNELS))
    stmt = upsert_for(dialect, OutboxMessage).from_select(OUTBOX_COLUMNS, rows)
    return (stmt if fresh else stmt.on_conflict_do_nothing()).execution_options(preserve_rowcount=True)


def inbox_rows(dialect: str, who: ColumnElement[bool], *, fresh: bool = False) -> Executable:
    """One inbox item per recipient, repeats skipped (`fresh`: none can exist yet, nothing to skip)."""
    rows = select(Person.id, bindparam("b_notification_id", type_=Integer)).where(who)
    stmt = upsert_for(dialect, InboxItem).from_select(["person_id", "notification_id"], rows)
    return (stmt if fresh else stmt.on_conflict_do_nothing()).execution_options(preserve_rowcount=True)


@cache
def prepared(dialect: str) -> dict[str, Executable]:
    """The statements for listed recipients and the shared ones, built once per backend."""
    columns = (
        "key",
        "topic",
        "severity",
        "title",
        "body",
        "link",
        "subject",
        "created_at",
        "title_key",
        "title_params",
        "body_parts",
    )
    values: dict[str, Any] = {name: bindparam(f"b_{name}") for name in columns}
    store = upsert_for(dialect, Notification).values(values).on_conflict_do_nothing(index_elements=["key"])
    return {
        "store": store.returning(Notification.id),
        "find": select(Notification.id).where(Notification.key == bindparam("b_key")),
        "inbox": inbox_rows(dialect, LISTED),
        "inbox_fresh": inbox_rows(dialect, LISTED, fresh=True),
        "personal_fresh": queue_personal(dialect, LISTED, fresh=True),
        "webhooks": upsert_for(dialect, OutboxMessage).on_conflict_do_nothing(),
        "personal": queue_personal(dialect, LISTED),
        "quiet_windows": select(_PREF.channel, _PREF.quiet_start, _PREF.quiet_end)
        .where(_PREF.quiet_start.is_not(None), _PREF.quiet_end.is_not(None))
        .distinct(),
        "hold": update(OutboxMessage)
        .where(
            OutboxMessage.notification_id == bindparam("b_notification_id"),
            OutboxMessage.channel == bindparam("b_channel"),
            OutboxMessage.status == Status.PENDING.value,
            OutboxMessage.attempts == 0,
            OutboxMessage.created_at == bindparam("b_now", type_=UtcDateTime()),
            OutboxMessage.person_id.in_(
                select(_PREF.person_id).where(
                    _PREF.channel == bindparam("b_channel"),
                    _PREF.quiet_start == bindparam("b_start"),
                    _PREF.quiet_end == bindparam("b_end"),
                )
            ),
        )
        .values(next_attempt_at=bindparam("b_until", type_=UtcDateTime()))
        .execution_options(synchronize_session=False),
    }
