"""On PostgreSQL the fan-out's references are checked per statement (migration 0010) and still hold."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from tests.deploy.pg import derived_database
from zhili.core.db import make_engine
from zhili.notify.models import InboxItem, Notification, OutboxMessage
from zhili.org.models import Person

NOW = datetime(2026, 7, 23, 7, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine() -> Engine:
    url = derived_database("fanout", migrated=True)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(Person), [{"id": 1, "name": "甲"}, {"id": 2, "name": "乙"}])
        connection.execute(
            insert(Notification),
            [
                {
                    "id": 1,
                    "key": "k",
                    "topic": "test.checks",
                    "severity": "info",
                    "title": "t",
                    "body": "b",
                    "created_at": NOW,
                }
            ],
        )
        connection.execute(insert(InboxItem), [{"person_id": 1, "notification_id": 1}])
    return engine


def test_a_set_of_good_references_is_accepted(engine: Engine) -> None:
    with engine.connect() as connection:
        rows = select(Person.id, text("1")).where(Person.id == 2)
        connection.execute(insert(InboxItem).from_select(["person_id", "notification_id"], rows))
        assert connection.scalar(select(InboxItem.id).where(InboxItem.person_id == 2)) is not None
        connection.rollback()


@pytest.mark.parametrize(
    ("table", "row"),
    [
        (InboxItem, {"person_id": 99, "notification_id": 1}),
        (InboxItem, {"person_id": 1, "notification_id": 99}),
        (
            OutboxMessage,
            {
                "message_key": "x",
                "notification_id": 1,
                "channel": "sms",
                "person_id": 99,
                "destination": "139",
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": NOW,
                "created_at": NOW,
            },
        ),
    ],
)
def test_a_missing_parent_is_refused_as_a_foreign_key_was(engine: Engine, table: type, row: dict[str, object]) -> None:
    with engine.connect() as connection, pytest.raises(IntegrityError, match="foreign key constraint"):
        connection.execute(insert(table), [row, {**row, "message_key": "y"} if "message_key" in row else row])


def test_changing_a_reference_to_nothing_is_refused(engine: Engine) -> None:
    with engine.connect() as connection, pytest.raises(IntegrityError, match="fk_inbox_items_person_id_people"):
        connection.execute(update(InboxItem).values(person_id=99))


def test_deleting_a_referenced_parent_or_changing_its_id_is_refused(engine: Engine) -> None:
    with engine.connect() as connection, pytest.raises(IntegrityError, match="still referenced"):
        connection.execute(delete(Person).where(Person.id == 1))
    with engine.connect() as connection, pytest.raises(IntegrityError, match="never changes"):
        connection.execute(update(Notification).values(id=7))
    with engine.connect() as connection:
        connection.execute(delete(Person).where(Person.id == 2))  # nothing refers to 乙
        connection.rollback()
