"""Kill `zhili worker` with SIGKILL in the middle of a batch of timers, start it again: each fires once in effect.

A real worker process fires 6,000 due reminder timers (each queues a notification for one person) in
batches of 200. It is killed while it works, then restarted (two workers side by side on
PostgreSQL). Afterwards no timer is left, and there is exactly one notification and one inbox item
per timer: the batch in flight at the kill was rolled back with its notifications and fired again.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session
from tests.conftest import migrated_database

from zhili.clocks.models import Timer
from zhili.clocks.reminders import REMIND
from zhili.core.db import make_engine
from zhili.notify.models import InboxItem, Notification
from zhili.org.models import Person

TIMERS = 6_000
BATCH = 200
ZHILI = str(Path(sys.executable).parent / "zhili")


def _schedule(url: str) -> None:
    engine = make_engine(url)
    due = datetime.now(UTC) - timedelta(minutes=5)
    with Session(engine) as session:
        session.execute(insert(Person), [{"name": f"p{i}"} for i in range(100)])
        people = list(session.scalars(select(Person.id)))
        fields = {
            "topic": "test.crash",
            "title": "提醒",
            "body": "b",
            "severity": "info",
            "link": None,
            "subject": None,
        }
        rows = [
            {
                "kind": REMIND,
                "subject_id": n,
                "step": "reminder",
                "generation": 0,
                "share": 0.0,
                "due_at": due + timedelta(milliseconds=n),
                "payload": {"people": [people[n % len(people)]], **fields},
                "created_at": due,
            }
            for n in range(TIMERS)
        ]
        session.execute(insert(Timer), rows)
        session.commit()
    engine.dispose()


def _count(url: str, table: str) -> int:
    """Rows in a table (with a WHERE clause if given), read without ever waiting for the worker's write lock."""
    if url.startswith("sqlite"):
        # A plain read-only connection: the app's engine sets journal_mode on connect, which can wait
        # behind a worker that takes the write lock batch after batch.
        path = url.removeprefix("sqlite:///")
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
    with _reader(url).connect() as connection:
        found = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
    return int(found or 0)


@cache
def _reader(url: str) -> Engine:
    """One engine for the test's many polls (a new engine and connection every 20 ms cost more than the worker)."""
    return make_engine(url)


def _worker(url: str, log: Path) -> subprocess.Popen[bytes]:
    # Unbuffered, so the log shows when a worker has started (its signal handlers installed).
    env = {**os.environ, "ZHILI_DATABASE_URL": url, "ZHILI_TIMER_BATCH_SIZE": str(BATCH), "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:
        return subprocess.Popen([ZHILI, "worker", "--idle-seconds", "0.1"], env=env, stdout=out, stderr=out)  # noqa: S603


def _wait_for(what: str, condition: Callable[[], bool], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_killed_worker_fires_every_timer_exactly_once_in_effect(backend: str, tmp_path: Path) -> None:
    url = migrated_database(backend, tmp_path, "zhili_timers_crash")
    _schedule(url)
    log = tmp_path / "worker.log"
    first = _worker(url, log)
    _wait_for("the first batch", lambda: _count(url, "timers") <= TIMERS - BATCH)
    first.send_signal(signal.SIGKILL)
    assert first.wait(timeout=30) == -signal.SIGKILL
    left = _count(url, "timers")
    assert 0 < left < TIMERS, "the kill came too late (or too early) to prove anything"
    # nothing half-applied (the worker's own notices, such as an unknown calendar year ahead, aside)
    assert _count(url, "notifications WHERE topic = 'test.crash'") == TIMERS - left

    restarted = [_worker(url, log) for _ in range(1 if backend == "sqlite" else 2)]
    _wait_for("every timer fired", lambda: _count(url, "timers") == 0)
    # A worker still starting up has no SIGTERM handler yet: stop them once each has started.
    _wait_for("every worker started", lambda: log.read_bytes().count(b"worker.start") == 1 + len(restarted))
    for process in restarted:
        process.send_signal(signal.SIGTERM)
    assert [process.wait(timeout=60) for process in restarted] == [0] * len(restarted), log.read_text()

    _reader(url).dispose()
    engine = make_engine(url)
    with Session(engine) as session:
        keys = session.scalars(select(Notification.key).where(Notification.topic == "test.crash")).all()
        inbox = session.scalar(select(func.count()).select_from(InboxItem))
    engine.dispose()
    assert len(keys) == len(set(keys)) == TIMERS
    assert inbox == TIMERS
