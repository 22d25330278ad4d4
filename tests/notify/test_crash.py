"""Kill the worker with SIGKILL in the middle of a large batch, start it again: nothing is lost.

A real `zhili worker` process delivers 2,000 webhook messages to a loopback receiver that logs
every key. After the kill and a restart (two workers side by side on PostgreSQL), every key has
been received at least once, the receiver's applied set (deduplicated by key) is exactly the set
queued, and only messages of the batch in flight at the kill were received twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import migrated_database
from tests.notify.helpers import Receiver, webhook_receiver

from zhili.core.clock import SystemClock
from zhili.core.db import make_engine
from zhili.notify.models import DeliveryAttempt, OutboxMessage, WebhookEndpoint
from zhili.notify.service import notify

MESSAGES = 2_000
BATCH = 200
ZHILI = str(Path(sys.executable).parent / "zhili")


def _queue(url: str, receiver_url: str) -> set[str]:
    engine = make_engine(url)
    clock = SystemClock()
    with Session(engine) as session:
        session.add(
            WebhookEndpoint(
                name="receiver",
                url=receiver_url,
                format="generic",
                topics="test.crash",  # not the worker's own notices (an unknown calendar year ahead)
                min_severity="info",
                is_enabled=True,
                created_at=clock.now(),
            )
        )
        session.flush()
        for n in range(MESSAGES):
            notify(
                session,
                recipients=[],
                topic="test.crash",
                severity="info",
                title=f"message {n}",
                body="",
                key=f"crash:{n}",
                clock=clock,
            )
        session.commit()
        keys = set(session.scalars(select(OutboxMessage.message_key)))
    engine.dispose()
    return keys


def _worker(url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",  # the log shows when a worker has started (its signal handlers installed)
        "ZHILI_DATABASE_URL": url,
        "ZHILI_NOTIFY_BATCH_SIZE": str(BATCH),
        "ZHILI_NOTIFY_CONCURRENCY": "8",
        "ZHILI_NOTIFY_LEASE_SECONDS": "3",
        "ZHILI_NOTIFY_RETRY_BASE_SECONDS": "0.2",
    }
    with log.open("ab") as out:
        return subprocess.Popen([ZHILI, "worker", "--idle-seconds", "0.1"], env=env, stdout=out, stderr=out)  # noqa: S603


def _wait_for(what: str, condition: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _sent(url: str) -> int:
    with Session(_reader(url)) as session:
        count = session.scalar(select(func.count()).where(OutboxMessage.status == "sent"))
    return int(count or 0)


@cache
def _reader(url: str) -> Engine:
    """One engine for the test's many polls (a new engine and connection every 50 ms cost more than the worker)."""
    return make_engine(url)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_killed_worker_loses_nothing_and_receivers_apply_each_message_once(backend: str, tmp_path: Path) -> None:
    url = migrated_database(backend, tmp_path, "zhili_notify_crash")
    log = tmp_path / "worker.log"
    with webhook_receiver(Receiver(delay=0.005)) as (receiver_url, receiver):
        queued = _queue(url, f"{receiver_url}/hook")
        first = _worker(url, log)
        _wait_for("the first deliveries", lambda: len(receiver.requests) >= MESSAGES // 4)
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=30) == -signal.SIGKILL
        assert _sent(url) < MESSAGES, "the kill came too late to prove anything"

        restarted = [_worker(url, log) for _ in range(1 if backend == "sqlite" else 2)]
        _wait_for("every message sent", lambda: _sent(url) == MESSAGES)
        # A worker still starting up has no SIGTERM handler yet: stop them once each has started.
        _wait_for("every worker started", lambda: log.read_bytes().count(b"worker.start") == 1 + len(restarted))
        for process in restarted:
            process.send_signal(signal.SIGTERM)
        assert [process.wait(timeout=30) for process in restarted] == [0] * len(restarted), log.read_text()
        received = receiver.keys()

    assert set(received) == queued  # every message at least once
    applied = set(receiver.applied)  # the receiver's log, deduplicated by key: each applied once
    assert applied == queued
    repeats = len(received) - len(set(received))
    assert repeats <= BATCH, "only the batch in flight at the kill may arrive twice"
    _reader(url).dispose()
    engine = make_engine(url)
    with Session(engine) as session:
        delivered = session.scalar(select(func.count()).where(DeliveryAttempt.outcome == "delivered"))
        statuses = set(session.scalars(select(OutboxMessage.status).distinct()))
    engine.dispose()
    assert delivered == MESSAGES
    assert statuses == {"sent"}
