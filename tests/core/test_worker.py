"""The worker loop: runs jobs until stopped, and outlives a failing batch."""

from __future__ import annotations

import threading

from zhili.worker import Job, Worker


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
