"""The worker loop: runs jobs until stopped, and outlives a failing batch."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from zhili import worker as worker_module
from zhili.core.clock import FrozenClock
from zhili.core.idempotency import IdempotencyRecord
from zhili.worker import Job, Worker, forget_keys_job


def test_a_failing_batch_is_retried_and_the_loop_goes_on() -> None:
    calls: list[str] = []

    def flaky() -> int:
        calls.append("flaky")
        if len(calls) == 1:
            message = "database restarting"
            raise ConnectionError(message)
        return 0

    worker = Worker([Job("flaky", flaky)], idle_seconds=0.01)
    thread = threading.Thread(target=worker.run_forever)
    thread.start()
    while len(calls) < 3:
        threading.Event().wait(0.01)
    worker.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(calls) >= 3


def test_drain_runs_until_no_job_has_work() -> None:
    work = [3, 2, 0]
    worker = Worker([Job("countdown", lambda: work.pop(0))])
    assert worker.drain() == 5


def test_a_signal_during_a_log_line_still_stops_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    # A signal handler runs between two bytecodes of the main thread, maybe inside a log call that
    # holds its output's lock: a handler that logged would wait for that lock forever, and the worker
    # would never exit (a restarted worker of tests/notify/test_crash.py once ignored SIGTERM so).
    writing = threading.Lock()

    class Output:
        def info(self, *_args: Any, **_kwargs: Any) -> None:
            with writing:
                pass

    monkeypatch.setattr(worker_module, "log", Output())
    worker = Worker([])
    previous = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        worker.install_signal_handlers()
        handler = signal.getsignal(signal.SIGTERM)
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
    assert callable(handler)
    with writing:  # a log line being written when the signal comes
        thread = threading.Thread(target=handler, args=(signal.SIGTERM, None), daemon=True)
        thread.start()
        thread.join(timeout=5)
        returned = not thread.is_alive()
    assert returned, "the signal handler waited for the log's lock"
    assert worker.stopping.is_set()
    assert worker.signalled == signal.SIGTERM


def test_old_idempotency_keys_are_forgotten_in_batches_then_looked_at_hourly(
    sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    now = clock.now()
    with sessions() as session:
        stored = [("old-1", 40), ("old-2", 31), ("recent", 29), ("today", 0)]
        session.add_all(
            IdempotencyRecord(
                owner="account:test",
                key=key,
                fingerprint="f",
                status_code=201,
                body="{}",
                created_at=now - timedelta(days=d),
            )
            for key, d in stored
        )
        session.commit()
    forget = forget_keys_job(sessions, clock)
    assert forget() == 2
    with sessions() as session:
        kept = set(session.scalars(select(IdempotencyRecord.key).where(IdempotencyRecord.owner == "account:test")))
    assert kept == {"recent", "today"}  # a retry within the retention still gets its first answer
    clock.advance(timedelta(days=2))
    assert forget() == 0  # fewer than a batch were left: the next look is an hour away
