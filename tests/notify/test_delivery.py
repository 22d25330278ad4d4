"""Delivering the outbox to real loopback receivers, on SQLite and PostgreSQL.

Webhooks go to a threaded HTTP server on 127.0.0.1; failing receivers (500, timeouts, refused
connections) are retried with back-off and never hold up the others.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import CapturingLogger
from tests.conftest import free_port
from tests.notify.helpers import Receiver, people_of, webhook_receiver

from zhili.core.clock import FrozenClock
from zhili.notify.backoff import RetryPolicy
from zhili.notify.channels import Channel, failure_kind
from zhili.notify.delivery import Courier, deliver_due
from zhili.notify.models import DeliveryAttempt, OutboxMessage, WebhookEndpoint
from zhili.notify.service import notify
from zhili.notify.sms import LoggingSmsGateway, SmsChannel
from zhili.notify.webhook import WebhookChannel
from zhili.web.i18n import messages

pytestmark = pytest.mark.usefixtures("empty_outbox")  # these tests read the whole outbox

POLICY = RetryPolicy(max_attempts=4, base=timedelta(seconds=10), cap=timedelta(minutes=5), lease=timedelta(minutes=2))


@pytest.fixture
def webhook() -> Iterator[WebhookChannel]:
    channel = WebhookChannel(public_url="https://zhili.example", timeout_seconds=0.5)
    yield channel
    channel.close()


def _endpoint(session: Session, clock: FrozenClock, name: str, url: str, **values: object) -> int:
    endpoint = WebhookEndpoint(
        name=name,
        url=url,
        format=values.pop("format", "generic"),
        topics="",
        min_severity="info",
        is_enabled=True,
        created_at=clock.now(),
        **values,
    )
    session.add(endpoint)
    session.commit()
    return endpoint.id


def _notice(session: Session, clock: FrozenClock, key: str, *, recipients: list[int] | None = None) -> None:
    notify(
        session,
        recipients=recipients or [],
        topic="case.urge",
        severity="yellow",
        title="催办：ZL20260000001",
        body="请于今日内签收",
        key=key,
        clock=clock,
        link="/cases/1",
        subject="case:1",
    )
    session.commit()


def _deliver(sessions: sessionmaker[Session], clock: FrozenClock, channels: dict[str, Channel]) -> int:
    return deliver_due(sessions, clock=clock, channels=channels, policy=POLICY)


def _messages(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _log(session: Session, outbox_id: int) -> list[tuple[int, str, int | None]]:
    stmt = select(DeliveryAttempt).where(DeliveryAttempt.outbox_id == outbox_id).order_by(DeliveryAttempt.attempt)
    return [(a.attempt, a.outcome, a.http_status) for a in session.scalars(stmt)]


def test_a_webhook_gets_json_with_the_message_key(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock, webhook: WebhookChannel
) -> None:
    with webhook_receiver() as (url, receiver):
        _endpoint(session, clock, "generic", f"{url}/hook", secret="s3cret")
        _notice(session, clock, "case:1:urge:1")
        assert _deliver(sessions, clock, {"webhook": webhook}) == 1
    (message,) = _messages(session)
    assert (message.status, message.attempts, message.sent_at) == ("sent", 1, clock.now())
    (request,) = receiver.requests
    headers, body = request["headers"], receiver.json_bodies()[0]
    assert headers["idempotency-key"] == headers["x-zhili-message-key"] == message.message_key == body["message_key"]
    assert body["link"] == "https://zhili.example/cases/1"
    assert (body["topic"], body["severity"], body["subject"]) == ("case.urge", "yellow", "case:1")
    expected = hmac.new(b"s3cret", request["body"], hashlib.sha256).hexdigest()
    assert headers["x-zhili-signature"] == f"sha256={expected}"
    assert _log(session, message.id) == [(1, "delivered", 200)]


def test_a_dingtalk_robot_gets_markdown_on_a_signed_url(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock, webhook: WebhookChannel
) -> None:
    secret = "SEC0123456789abcdef"
    with webhook_receiver() as (url, receiver):
        _endpoint(session, clock, "robot", f"{url}/robot/send?access_token=tok", format="dingtalk_md", secret=secret)
        _notice(session, clock, "case:1:urge:1")
        _deliver(sessions, clock, {"webhook": webhook})
    (request,) = receiver.requests
    query = parse_qs(urlsplit(request["path"]).query)
    assert query["access_token"] == ["tok"]
    string_to_sign = f"{query['timestamp'][0]}\n{secret}".encode()
    assert base64.b64decode(query["sign"][0]) == hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    body = receiver.json_bodies()[0]
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "催办：ZL20260000001"
    (message,) = _messages(session)
    assert message.destination == f"{url}/robot/send"  # the access token stays out of the log


def test_failing_receivers_are_retried_with_back_off_and_never_block_the_others(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock, webhook: WebhookChannel
) -> None:
    with (
        webhook_receiver() as (good_url, good),
        webhook_receiver(Receiver(status=500)) as (broken_url, broken),
        webhook_receiver(Receiver(delay=1.5)) as (slow_url, slow),
    ):
        refused_url = f"http://127.0.0.1:{free_port()}/nobody-listens"
        ids = {
            name: _endpoint(session, clock, name, url)
            for name, url in (("good", good_url), ("500", broken_url), ("slow", slow_url), ("refused", refused_url))
        }
        for n in range(3):
            _notice(session, clock, f"case:1:urge:{n}")
        assert _deliver(sessions, clock, {"webhook": webhook}) == 12
        by_endpoint = {name: [m for m in _messages(session) if m.endpoint_id == i] for name, i in ids.items()}
        assert [m.status for m in by_endpoint["good"]] == ["sent"] * 3
        assert sorted(good.applied.values()) == [1, 1, 1]
        for name in ("500", "slow", "refused"):
            for message in by_endpoint[name]:
                assert (message.status, message.attempts) == ("pending", 1), name
                assert (
                    clock.now() + timedelta(seconds=5) <= message.next_attempt_at <= clock.now() + timedelta(seconds=10)
                )
        assert len(broken.requests) == 3  # a 500 is an answer: no reason to skip the receiver's other messages

        assert _deliver(sessions, clock, {"webhook": webhook}) == 0  # nothing due before the back-off ends
        broken.status, slow.delay = 200, 0.0
        clock.advance(timedelta(seconds=11))
        assert _deliver(sessions, clock, {"webhook": webhook}) == 9
    messages = _messages(session)
    assert [m.status for m in messages if m.endpoint_id != ids["refused"]] == ["sent"] * 9
    assert _log(session, by_endpoint["500"][0].id) == [(1, "failed", 500), (2, "delivered", 200)]
    assert sorted(good.applied.values()) == [1, 1, 1]
    assert sorted(broken.applied.values()) == [1, 1, 1]
    # The slow receiver applied the first message after the sender gave up: it sees it again, once more.
    assert len(slow.applied) == 3


def test_a_receiver_that_times_out_is_tried_once_per_batch(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock, webhook: WebhookChannel
) -> None:
    with webhook_receiver() as (good_url, good), webhook_receiver(Receiver(delay=1.0)) as (slow_url, slow):
        hung, fine = _endpoint(session, clock, "slow", slow_url), _endpoint(session, clock, "good", good_url)
        for n in range(5):
            _notice(session, clock, f"case:1:urge:{n}")
        one_thread = deliver_due(sessions, clock=clock, channels={"webhook": webhook}, policy=POLICY, concurrency=1)
        assert one_thread == 10
        messages = _messages(session)
    assert len(slow.requests) == 1
    assert len(good.applied) == 5
    assert [m.status for m in messages if m.endpoint_id == fine] == ["sent"] * 5
    skipped = [m.last_error or "" for m in messages if m.endpoint_id == hung][1:]
    assert all(error.startswith("not tried") and "timed out" in error for error in skipped)


def test_a_refusing_4xx_is_not_retried_and_the_last_attempt_gives_up(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock, webhook: WebhookChannel
) -> None:
    with webhook_receiver(Receiver(status=400)) as (bad_url, _), webhook_receiver(Receiver(status=503)) as (url, _):
        _endpoint(session, clock, "bad request", bad_url)
        _endpoint(session, clock, "unavailable", url)
        _notice(session, clock, "case:1:urge:1")
        for _ in range(POLICY.max_attempts):
            _deliver(sessions, clock, {"webhook": webhook})
            clock.advance(POLICY.cap)
    refused, unavailable = _messages(session)
    assert (refused.status, refused.attempts) == ("dead", 1)
    assert (unavailable.status, unavailable.attempts) == ("dead", POLICY.max_attempts)
    outcomes = [outcome for _, outcome, _ in _log(session, unavailable.id)]
    assert outcomes == ["failed"] * (POLICY.max_attempts - 1) + ["dead"]


def test_a_worker_that_dies_after_claiming_leaves_the_message_to_come_back(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock, webhook: WebhookChannel
) -> None:
    with webhook_receiver() as (url, receiver):
        _endpoint(session, clock, "hook", url)
        _notice(session, clock, "case:1:urge:1")
        crashed = Courier(sessions, clock=clock, channels={"webhook": webhook}, policy=POLICY)
        claimed = crashed.claim()
        stale = crashed.send_all(claimed)  # sent, then the worker "dies" before recording
        assert _deliver(sessions, clock, {"webhook": webhook}) == 0  # leased
        clock.advance(POLICY.lease)
        assert _deliver(sessions, clock, {"webhook": webhook}) == 1
        crashed.record(stale)  # the late writer cannot undo the newer attempt
        crashed.pool.shutdown()
    (message,) = _messages(session)
    assert (message.status, message.attempts) == ("sent", 2)
    assert receiver.keys() == [message.message_key, message.message_key]
    assert receiver.applied == {message.message_key: 2}
    assert [a for a, *_ in _log(session, message.id)] == [1, 2]


def test_sms_goes_through_the_logging_gateway(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    people = people_of(session, "330825", 2)
    notify(
        session,
        recipients=people,
        topic="case.red_card",
        severity="red",
        title="红牌督办",
        body="已超期",
        key="case:1:red",
        clock=clock,
    )
    session.commit()
    logger = CapturingLogger()
    assert _deliver(sessions, clock, {"sms": SmsChannel(LoggingSmsGateway(logger))}) == 2
    sent = [call.kwargs for call in logger.calls if call.args == ("sms.sent",)]
    assert [line["message_key"] for line in sent] == [f"case:1:red:sms:{p}" for p in people]
    assert all("****" in line["phone"] and line["text"].startswith("【治理】[红色警示]红牌督办") for line in sent)
    assert {m.status for m in _messages(session)} == {"sent"}


def test_messages_to_a_deleted_endpoint_are_given_up(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock, webhook: WebhookChannel
) -> None:
    endpoint_id = _endpoint(session, clock, "gone", "http://127.0.0.1:9/never")
    _notice(session, clock, "case:1:urge:1")
    session.delete(session.get(WebhookEndpoint, endpoint_id))
    session.commit()
    _deliver(sessions, clock, {"webhook": webhook})
    (message,) = _messages(session)
    assert (message.endpoint_id, message.status, message.last_error) == (
        None,
        "dead",
        "the webhook endpoint was deleted",
    )


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (None, None),
        ("HTTP 404: not here", "receiver_refused"),
        ("HTTP 503: busy", "receiver_failed"),
        ("timed out: ReadTimeout", "timed_out"),
        ("TimeoutError: timed out", "timed_out"),
        ("DingTalk refused: {'errcode': 310000}", "dingtalk_refused"),
        ("the webhook endpoint was deleted", "endpoint_deleted"),
        ("not tried: 127.0.0.1:9 failed in this batch (timed out)", "not_tried"),
        ("ConnectError: [Errno 111] Connection refused", "unreachable"),
        ("ValueError: a channel's own bug", "other"),
    ],
)
def test_a_failure_is_named_by_its_kind(error: str | None, kind: str | None) -> None:
    assert failure_kind(error) == kind
    assert kind is None or f"notify.failure.{kind}" in messages()  # the log says it in both languages
