"""The worker loop: runs jobs until stopped, and outlives a failing batch."""

from __future__ import annotations

import signal
import threading
from typing import Any

import pytest

from zhili import worker as worker_module
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
