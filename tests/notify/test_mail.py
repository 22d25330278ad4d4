"""E-mail through a real SMTP server on loopback (aiosmtpd): the message, its key, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import free_port
from tests.notify.helpers import give_email, people_of

from zhili.core.clock import FrozenClock
from zhili.notify.backoff import RetryPolicy
from zhili.notify.channels import failure_kind
from zhili.notify.delivery import deliver_due
from zhili.notify.mail import EmailChannel, SmtpConfig, message_id
from zhili.notify.models import OutboxMessage
from zhili.notify.service import notify

pytestmark = pytest.mark.usefixtures("empty_outbox")  # these tests read the whole outbox

POLICY = RetryPolicy(max_attempts=3, base=timedelta(seconds=10))


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps what it receives, or refuses recipients with a given reply."""

    received: list[EmailMessage] = field(default_factory=list)
    refuse_with: str | None = None

    async def handle_RCPT(self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any) -> str:  # noqa: N802
        if self.refuse_with:
            return self.refuse_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append(message_from_bytes(envelope.content, _class=EmailMessage, policy=policy.default))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, SmtpConfig]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    config = SmtpConfig(
        host="127.0.0.1",
        port=port,
        sender="zhili@quzhou.example",
        timeout_seconds=5,
        public_url="https://zhili.example",
    )
    yield mailbox, config
    controller.stop()


def _queue(session: Session, clock: FrozenClock, count: int) -> list[int]:
    people = people_of(session, "330825", count)
    give_email(session, people)
    notify(
        session,
        recipients=people,
        topic="case.supervise",
        severity="yellow",
        title="督办：ZL20260000042",
        body="案件即将超期，请尽快处置。",
        key="case:42:supervise",
        clock=clock,
        link="/cases/42",
    )
    session.commit()
    return people


def test_each_person_gets_one_mime_message_carrying_the_key(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock, smtp: tuple[Mailbox, SmtpConfig]
) -> None:
    mailbox, config = smtp
    people = _queue(session, clock, 2)
    assert deliver_due(sessions, clock=clock, channels={"email": EmailChannel(config)}, policy=POLICY) == 2
    assert sorted(m["To"] for m in mailbox.received) == sorted(f"p{p}@example.test" for p in people)
    first = next(m for m in mailbox.received if m["To"] == f"p{people[0]}@example.test")
    key = f"case:42:supervise:email:{people[0]}"
    assert first["X-Zhili-Message-Key"] == key
    assert first["Message-ID"] == message_id(key)
    assert first["From"] == "zhili@quzhou.example"
    assert "督办：ZL20260000042" in str(first["Subject"])
    text = first.get_content()
    assert "案件即将超期" in text
    assert "https://zhili.example/cases/42" in text
    session.expire_all()
    assert {m.status for m in session.scalars(select(OutboxMessage))} == {"sent"}


@pytest.mark.parametrize(
    ("reply", "status"), [("550 5.1.1 no such mailbox", "dead"), ("451 4.3.0 try later", "pending")]
)
def test_a_refused_recipient_is_dead_or_retried_by_the_reply_code(  # noqa: PLR0917 - fixtures
    session: Session,
    sessions: sessionmaker[Session],
    clock: FrozenClock,
    smtp: tuple[Mailbox, SmtpConfig],
    reply: str,
    status: str,
) -> None:
    mailbox, config = smtp
    mailbox.refuse_with = reply
    _queue(session, clock, 1)
    deliver_due(sessions, clock=clock, channels={"email": EmailChannel(config)}, policy=POLICY)
    session.expire_all()
    (message,) = session.scalars(select(OutboxMessage))
    assert message.status == status
    assert reply.split(maxsplit=1)[0] in (message.last_error or "")
    assert failure_kind(message.last_error) == "recipient_refused"  # the log says it in words


def test_no_smtp_server_means_a_retry_later(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    config = SmtpConfig(host="127.0.0.1", port=free_port(), sender="z@x", timeout_seconds=2, public_url="")
    _queue(session, clock, 2)
    deliver_due(sessions, clock=clock, channels={"email": EmailChannel(config)}, policy=POLICY)
    session.expire_all()
    messages = list(session.scalars(select(OutboxMessage)))
    assert [(m.status, m.attempts) for m in messages] == [("pending", 1), ("pending", 1)]
    assert all(m.next_attempt_at > clock.now() for m in messages)
    assert {failure_kind(m.last_error) for m in messages} <= {"unreachable", "not_tried"}
