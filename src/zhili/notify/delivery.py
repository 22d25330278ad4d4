"""Delivering the outbox: claim due messages in a short transaction, send them, record each attempt.

No transaction stays open while a receiver answers. A claim leases a batch (moves its
`next_attempt_at` past the lease and counts the attempt) and commits; the sends run on a thread
pool with a timeout each; the outcomes are written in a second short transaction, fenced by the
attempt number so a worker whose lease ran out cannot overwrite a newer attempt. A worker killed
after sending and before recording leaves the lease to expire and the message to be sent again:
delivery is at least once, and receivers drop the repeat by its message key. PostgreSQL workers
claim with `FOR UPDATE SKIP LOCKED`, so several run side by side; SQLite claims under its write lock.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, zip_longest
from typing import Any

import structlog
from sqlalchemy import String, bindparam, insert, literal_column, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from zhili.core.clock import Clock
from zhili.core.redact import masked_text
from zhili.notify.backoff import RetryPolicy
from zhili.notify.channels import Channel, Envelope, SendResult, Target
from zhili.notify.kinds import Outcome, Status
from zhili.notify.models import DeliveryAttempt, Notification, OutboxMessage, WebhookEndpoint

log = structlog.get_logger(__name__)
PENDING = literal_column("'pending'", String)  # a literal, so the partial index on pending rows applies


@dataclass(frozen=True)
class Attempted:
    """One envelope and how sending it went."""

    envelope: Envelope
    result: SendResult
    duration_ms: int


class Courier:
    """Delivers due outbox messages in batches over the given channels (one per channel name)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Clock,
        channels: Mapping[str, Channel],
        policy: RetryPolicy | None = None,
        batch_size: int = 200,
        concurrency: int = 16,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.channels = dict(channels)
        self.policy = policy or RetryPolicy()
        self.batch_size = batch_size
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="zhili-courier")

    def deliver_batch(self) -> int:
        """Claim, send and record one batch; the number of messages attempted (0: nothing due)."""
        if not self.channels:
            return 0
        envelopes = self.claim()
        if envelopes:
            self.record(self.send_all(envelopes))
        return len(envelopes)

    def claim(self) -> list[Envelope]:
        """Lease up to `batch_size` due messages of our channels and count their attempt; commits."""
        now = self.clock.now()
        with self.sessions() as session:
            due = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == PENDING,
                    OutboxMessage.channel.in_(sorted(self.channels)),
                    OutboxMessage.next_attempt_at <= now,
                )
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(self.batch_size)
            )
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids = list(session.scalars(due))
            if not ids:
                session.rollback()
                return []
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + self.policy.lease)
                .execution_options(synchronize_session=False)
            )
            envelopes = _envelopes(session, ids)
            session.commit()
        return envelopes

    def send_all(self, envelopes: Sequence[Envelope]) -> list[Attempted]:
        """Send a batch concurrently, receivers interleaved; a receiver that fails is skipped for the rest."""
        failing: dict[str, str] = {}
        lock = threading.Lock()

        def attempt(envelope: Envelope) -> Attempted:
            with lock:
                known = failing.get(envelope.route)
            if known is not None:
                return Attempted(envelope, SendResult.failed(f"not tried: {known}"), 0)
            started = time.perf_counter()
            result = self._send(envelope)
            if not result.is_delivered and not result.is_permanent and result.http_status is None:
                with lock:
                    failing.setdefault(envelope.route, f"{envelope.route_shown} failed in this batch ({result.error})")
            return Attempted(envelope, result, round((time.perf_counter() - started) * 1000))

        return list(self.pool.map(attempt, _interleaved(envelopes)))

    def _send(self, envelope: Envelope) -> SendResult:
        try:
            return self.channels[envelope.channel].send(envelope)
        except Exception as exc:  # a channel bug must not stop the batch: the attempt fails and is logged
            log.exception("notify.channel_error", channel=envelope.channel, message_key=envelope.message_key)
            return SendResult.failed(masked_text(f"{type(exc).__name__}: {exc}"))

    def record(self, attempts: Sequence[Attempted]) -> None:
        """Write the attempts to the delivery log and settle each message: sent, retried later, or dead.

        Every change is fenced by the attempt number claimed, so a worker whose lease ran out and
        whose message was claimed again changes nothing. The delivered ones (usually nearly all)
        are settled by one UPDATE; failures, each with its own retry time and error, one by one.
        """
        now = self.clock.now()
        log_rows, delivered, failed = [], [], []
        for item in attempts:
            outcome, values = self._settle(item, now)
            log_rows.append(_log_row(item, outcome, now))
            key = (item.envelope.outbox_id, item.envelope.attempt)
            if outcome is Outcome.DELIVERED:
                delivered.append(key)
            else:
                failed.append({"b_id": key[0], "b_attempt": key[1], **values})
        table = OutboxMessage.metadata.tables[OutboxMessage.__tablename__]
        with self.sessions() as session:
            session.execute(insert(DeliveryAttempt), log_rows)
            if delivered:
                sent = {"status": Status.SENT.value, "sent_at": now, "next_attempt_at": now, "last_error": None}
                claimed = tuple_(table.c.id, table.c.attempts).in_(delivered)
                session.execute(update(table).where(claimed, table.c.status == PENDING).values(sent))
            if failed:
                fenced = update(table).where(
                    table.c.id == bindparam("b_id"),
                    table.c.attempts == bindparam("b_attempt"),
                    table.c.status == PENDING,
                )
                session.connection().execute(fenced, failed)
            session.commit()
        if failed:
            log.info("notify.failed", attempted=len(attempts), failed=len(failed), first_error=failed[0]["last_error"])

    def _settle(self, item: Attempted, now: datetime) -> tuple[Outcome, dict[str, Any]]:
        attempt, result = item.envelope.attempt, item.result
        if result.is_delivered:
            values = {"status": Status.SENT.value, "sent_at": now, "next_attempt_at": now, "last_error": None}
            return Outcome.DELIVERED, values
        if result.is_permanent or self.policy.is_last(attempt):
            values = {"status": Status.DEAD.value, "sent_at": None, "next_attempt_at": now, "last_error": result.error}
            return Outcome.DEAD, values
        retry_at = now + self.policy.delay(attempt)
        values = {"status": Status.PENDING.value, "sent_at": None, "next_attempt_at": retry_at}
        return Outcome.FAILED, {**values, "last_error": result.error}

    def close(self) -> None:
        """Stop the send threads and close the channels."""
        self.pool.shutdown(wait=True)
        for channel in self.channels.values():
            channel.close()


def _log_row(item: Attempted, outcome: Outcome, now: datetime) -> dict[str, Any]:
    return {
        "outbox_id": item.envelope.outbox_id,
        "attempt": item.envelope.attempt,
        "at": now,
        "outcome": outcome.value,
        "http_status": item.result.http_status,
        "error": item.result.error,
        "duration_ms": item.duration_ms,
    }


def _interleaved(envelopes: Sequence[Envelope]) -> list[Envelope]:
    """Round-robin over receivers, so one slow receiver holds at most its share of the threads."""
    by_route: dict[str, list[Envelope]] = defaultdict(list)
    for envelope in envelopes:
        by_route[envelope.route].append(envelope)
    rounds = zip_longest(*by_route.values())
    return [envelope for envelope in chain.from_iterable(rounds) if envelope is not None]


def _envelopes(session: Session, ids: Sequence[int]) -> list[Envelope]:
    rows = session.execute(
        select(OutboxMessage, Notification, WebhookEndpoint)
        .join(Notification, Notification.id == OutboxMessage.notification_id)
        .outerjoin(WebhookEndpoint, WebhookEndpoint.id == OutboxMessage.endpoint_id)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.id)
    ).all()
    return [
        Envelope(
            outbox_id=message.id,
            attempt=message.attempts,
            message_key=message.message_key,
            channel=message.channel,
            destination=message.destination,
            person_id=message.person_id,
            target=Target(endpoint.url, endpoint.format, endpoint.secret) if endpoint else None,
            topic=notice.topic,
            severity=notice.severity,
            title=notice.title,
            body=notice.body,
            link=notice.link,
            subject=notice.subject,
            created_at=notice.created_at,
        )
        for message, notice, endpoint in rows
    ]


def deliver_due(
    sessions: sessionmaker[Session],
    *,
    clock: Clock,
    channels: Mapping[str, Channel],
    policy: RetryPolicy | None = None,
    batch_size: int = 200,
    concurrency: int = 16,
) -> int:
    """Deliver every message due now, batch after batch; the number of attempts made (tests, CLI)."""
    courier = Courier(
        sessions, clock=clock, channels=channels, policy=policy, batch_size=batch_size, concurrency=concurrency
    )
    total = 0
    try:
        while done := courier.deliver_batch():
            total += done
    finally:
        courier.pool.shutdown(wait=True)
    return total
