"""Reads a transaction shares: read once per transaction, read again in the next, forgotten by their writers."""

from __future__ import annotations

from sqlalchemy import Connection, update
from sqlalchemy.orm import Session

from zhili.cases.handoffs import place_name
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.core.db import deferred_commit
from zhili.core.shared_reads import forget, shared
from zhili.notify.kinds import Severity, WebhookFormat
from zhili.notify.schemas import WebhookCreate, WebhookUpdate
from zhili.notify.service import enabled_endpoints
from zhili.notify.webhooks import create_webhook, delete_webhook, update_webhook
from zhili.org.importing import bump_geometry_revision
from zhili.org.models import Division

FUSHAN_VILLAGE = "330802006001"  # 府山街道蛟池街社区


def test_a_read_is_made_once_per_transaction_and_again_in_the_next(session: Session) -> None:
    reads: list[int] = []

    def read() -> int:
        reads.append(1)
        return len(reads)

    session.connection()  # a transaction is under way
    assert shared(session, "answer", read) == 1
    assert shared(session, "answer", read) == 1
    assert shared(session, "other", read) == 2
    session.commit()
    session.connection()
    assert shared(session, "answer", read) == 3
    forget(session)
    assert shared(session, "answer", read) == 4


def test_a_connection_reads_every_time(connection: Connection) -> None:
    reads: list[int] = []

    def read() -> int:
        reads.append(1)
        return len(reads)

    assert [shared(connection, "answer", read) for _ in range(3)] == [1, 2, 3]


def test_a_webhook_added_in_the_transaction_is_seen_by_the_units_after_it(session: Session, clock: FrozenClock) -> None:
    admin = system_actor("test")
    robot = WebhookCreate(
        name="共享读取测试",
        url="https://robot.example/send",
        format=WebhookFormat.DINGTALK_MARKDOWN,
        topics="case.",
        min_severity=Severity.INFO,
    )
    with deferred_commit(session):  # as in a group-commit batch: the units' commits only flush
        before = enabled_endpoints(session)
        assert enabled_endpoints(session) is before  # kept, not read again
        added = create_webhook(session, actor=admin, data=robot, clock=clock)
        assert added.id in {endpoint.id for endpoint in enabled_endpoints(session)}
        update_webhook(session, endpoint_id=added.id, actor=admin, data=WebhookUpdate(is_enabled=False), clock=clock)
        assert added.id not in {endpoint.id for endpoint in enabled_endpoints(session)}
        update_webhook(session, endpoint_id=added.id, actor=admin, data=WebhookUpdate(is_enabled=True), clock=clock)
        assert added.id in {endpoint.id for endpoint in enabled_endpoints(session)}
        delete_webhook(session, endpoint_id=added.id, actor=admin, clock=clock)
        assert added.id not in {endpoint.id for endpoint in enabled_endpoints(session)}


def test_a_place_renamed_in_the_transaction_is_named_anew(session: Session) -> None:
    named = place_name(session, FUSHAN_VILLAGE)
    assert named == "府山街道蛟池街社区"
    session.execute(update(Division).where(Division.code == FUSHAN_VILLAGE).values(name="新名社区"))
    assert place_name(session, FUSHAN_VILLAGE) == named  # kept for the transaction until its writer says so
    bump_geometry_revision(session)  # what every writer of divisions does
    assert place_name(session, FUSHAN_VILLAGE) == "府山街道新名社区"
