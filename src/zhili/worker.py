"""The background worker: runs due jobs (timers, outbox delivery) in a loop until told to stop.

Every job is a callable doing one bounded batch of work and returning how much it did; the loop
runs the jobs in turn, sleeps only when none had anything to do, and stops cleanly on SIGTERM or
SIGINT after the batch in hand. A batch is one transaction, so killing the process at any moment
loses nothing: what was committed is done, what was not is done again by the next run.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType

import structlog
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, sessionmaker

from zhili.access.models import Account
from zhili.alerts.feeds import FeedPoller, feed_urls
from zhili.analytics.projector import refresh_job
from zhili.assessment.rating_notice import rating_notice_job
from zhili.campaigns.tasks.sweep_rules import SWEEP
from zhili.campaigns.tasks.sweeps import fire_sweeps
from zhili.cases.deadlines import LADDER
from zhili.cases.escalation import fire_ladder
from zhili.clocks.firing import Handler, fire_due
from zhili.clocks.reminders import REMIND, fire_reminders
from zhili.clocks.watch import watch_job
from zhili.command_groups.instructions import INSTRUCTION_DUE, fire_instruction_due
from zhili.core import statistics
from zhili.core.clock import Clock
from zhili.core.idempotency import FORGET_BATCH, forget_old
from zhili.core.settings import Settings
from zhili.notify import from_settings as notify_setup
from zhili.org.models import Person, Position
from zhili.org.roles import Role

log = structlog.get_logger(__name__)

MAX_PAUSE_SECONDS = 60.0
TIMER_HANDLERS: dict[str, Handler] = {
    LADDER: fire_ladder,
    REMIND: fire_reminders,
    SWEEP: fire_sweeps,
    INSTRUCTION_DUE: fire_instruction_due,
}
"""Every timer kind the worker fires, and its handler (a domain adds its kinds here)."""


@dataclass(frozen=True)
class Job:
    """One kind of background work: `run()` does one batch and returns the number of items handled."""

    name: str
    run: Callable[[], int]


@dataclass
class Worker:
    """Runs jobs until stopped; idles `idle_seconds` when no job had work."""

    jobs: Sequence[Job]
    idle_seconds: float = 0.5
    stopping: threading.Event = field(default_factory=threading.Event)
    signalled: int | None = None

    def run_once(self) -> int:
        """Run every job once; the total number of items handled."""
        total = 0
        for job in self.jobs:
            done = job.run()
            if done:
                log.info("worker.batch", job=job.name, items=done)
            total += done
        return total

    def drain(self, *, max_rounds: int = 1_000_000) -> int:
        """Run the jobs until none has work left (tests and the demo's clock command)."""
        total = 0
        for _ in range(max_rounds):
            done = self.run_once()
            total += done
            if not done:
                break
        return total

    def run_forever(self) -> None:
        """Loop until `stop()` (or a signal installed by `install_signal_handlers`).

        A failing batch (the database restarting, a handler's bug) is logged and retried after a
        pause that doubles up to a minute; its transaction was rolled back, so nothing is half done.
        """
        log.info("worker.start", jobs=[job.name for job in self.jobs])
        pause = self.idle_seconds
        while not self.stopping.is_set():
            try:
                done = self.run_once()
            except Exception:  # a worker outlives any one failing batch
                log.exception("worker.batch_failed", retry_in=pause)
                self.stopping.wait(pause)
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
                continue
            pause = self.idle_seconds
            if not done:
                self.stopping.wait(self.idle_seconds)
        log.info("worker.stop", signal=self.signalled)

    def stop(self) -> None:
        """Finish the batch in hand, then leave the loop."""
        self.stopping.set()

    def install_signal_handlers(self) -> None:
        """Stop on SIGTERM and SIGINT (main thread only).

        The handler only records the signal and sets the event: it runs between two bytecodes of
        the main thread, maybe inside a log call holding the output's lock, which a log line of its
        own would wait for forever (a worker that never exits). The loop logs the signal on leaving.
        """

        def handle(signum: int, _frame: FrameType | None) -> None:
            self.signalled = signum
            self.stop()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)


def start_in_thread(worker: Worker) -> threading.Thread:
    """Run a worker in a daemon thread (the in-process worker of `zhili demo`)."""
    thread = threading.Thread(target=worker.run_forever, name="zhili-worker", daemon=True)
    thread.start()
    return thread


def build_jobs(settings: Settings, sessions: sessionmaker[Session], clock: Clock) -> list[Job]:
    """Every job of `zhili worker` and the demo's in-process worker: timers first, then the outbox they fill."""
    courier = notify_setup.courier(settings, sessions=sessions, clock=clock)
    return [
        timer_job(sessions, clock, batch_size=settings.timer_batch_size),
        Job("outbox", courier.deliver_batch),
        Job("calendar", watch_job(sessions, clock, administrators)),
        Job("kpis", refresh_job(sessions, clock)),
        Job("ratings", rating_notice_job(sessions, clock)),
        Job("idempotency", forget_keys_job(sessions, clock)),
        *cap_feed_jobs(settings, sessions, clock),
        *statistics_jobs(sessions),  # last: a busy database delays no other job's round
    ]


def statistics_jobs(sessions: sessionmaker[Session]) -> list[Job]:
    """SQLite's planner statistics, refreshed every few hours (PostgreSQL's autovacuum keeps its own)."""
    bind = sessions.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        return []
    return [Job("statistics", statistics.refresh_job(sessions))]


def cap_feed_jobs(settings: Settings, sessions: sessionmaker[Session], clock: Clock) -> list[Job]:
    """Polling the CAP feeds of `ZHILI_CAP_FEEDS`, when there are any."""
    urls = feed_urls(settings.cap_feeds)
    if not urls:
        return []
    poller = FeedPoller(
        urls, sessions, clock, every_seconds=settings.cap_poll_seconds, timeout_seconds=settings.cap_timeout_seconds
    )
    return [Job("cap-feeds", poller.run)]


def administrators() -> Select[int]:
    """The people an administrator's notice reaches: admin posts, and people whose login is an administrator's."""
    posts = select(Position.person_id).where(Position.role == Role.ADMIN.value)
    logins = select(Account.person_id).where(Account.is_admin.is_(True), Account.person_id.is_not(None))
    return select(Person.id).where(or_(Person.id.in_(posts), Person.id.in_(logins)))


def forget_keys_job(
    sessions: sessionmaker[Session], clock: Clock, *, every_seconds: float = 3600.0
) -> Callable[[], int]:
    """Forget idempotency keys past their retention: a batch a run while any are left, then look again hourly."""
    next_look: list[float] = [0.0]

    def run() -> int:
        if time.monotonic() < next_look[0]:
            return 0
        with sessions() as session:
            forgotten = forget_old(session, now=clock.now())
        if forgotten < FORGET_BATCH:
            next_look[0] = time.monotonic() + every_seconds
        return forgotten

    return run


def timer_job(sessions: sessionmaker[Session], clock: Clock, *, batch_size: int) -> Job:
    """Fire due timers of every known kind, one batch per run."""
    return Job("timers", lambda: fire_due(sessions, clock=clock, handlers=TIMER_HANDLERS, batch_size=batch_size))
