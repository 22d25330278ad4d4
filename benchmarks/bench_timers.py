"""Timers fired per second by one worker, on SQLite and (with ZHILI_BENCH_POSTGRES_URL) on PostgreSQL.

Run as ``python benchmarks/bench_timers.py [--timers N]`` from the project root. Each backend gets a
freshly migrated database with 1,000 people, then three runs of ``clocks.firing.fire_due`` in batches
of 2,000 (the worker's default), all timers already due:

1. **machinery**: N timers of a kind whose handler does nothing: claim (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL), hand over, delete, commit. This is the cost the timer mechanism itself adds.
2. **reminders**: N/4 ``clocks.remind`` timers, each sending a notification to one person (the inbox
   item and the outbox messages of that person's channels, queued through ``notify.service.notify``).
3. **case ladder** (SQLite only; it needs the Quzhou world of ``_setup.build_world``): cases reported
   through ``cases.service``, and N/8 ``case.ladder`` timers on them, each holding a rung due (an urge)
   and one ahead: the rung writes a supervision card, a timeline line, an audit record and a
   notification to the lead unit, and the timer is written again for the rung ahead.

The floor, measured in the same run on the same engine, is the table work alone: N bare
``DELETE FROM timers WHERE id IN (...)`` in the same batches and transactions. Target: 20,000
timers/s for one worker. A miss is printed, not failed.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from _setup import PARKING_ATTRIBUTES, build_world, migrated_database, points_in
from zhili.cases import service
from zhili.cases.deadlines import LADDER
from zhili.cases.escalation import fire_ladder
from zhili.cases.models import Case
from zhili.cases.schemas import CaseCreate
from zhili.clocks.firing import DueTimer, Handler, fire_due
from zhili.clocks.models import Timer
from zhili.clocks.reminders import REMIND, fire_reminders
from zhili.core.clock import FrozenClock
from zhili.core.db import make_session_factory
from zhili.org.geo import LocatorCache
from zhili.org.models import Person

TARGET_PER_S = 20_000
BATCH = 2_000
PEOPLE = 1_000
NOOP = "bench.noop"
NOW = datetime(2026, 7, 23, 7, 0, tzinfo=UTC)


def noop(_session: Session, _due: Sequence[DueTimer], _now: datetime) -> None:
    """A handler with no work of its own."""


def fresh_database(url: str | None, tmp: Path) -> Engine:
    """A migrated database with PEOPLE people."""
    engine = migrated_database(url, tmp, "timers")
    with Session(engine) as session:
        session.execute(insert(Person), [{"name": f"人员{i}", "email": f"p{i}@example.cn"} for i in range(PEOPLE)])
        session.commit()
    return engine


def schedule(
    engine: Engine,
    kind: str,
    count: int,
    payload: Callable[[int], dict[str, Any]],
    subject: Callable[[int], int],
    *,
    step: str = "bench",
) -> None:
    """`count` timers of a kind, all due, inserted in one statement."""
    rows = [
        {
            "kind": kind,
            "subject_id": subject(i),
            "step": step,
            "generation": i,
            "share": 1.0,
            "due_at": NOW - timedelta(seconds=count - i),
            "payload": payload(i),
            "created_at": NOW,
        }
        for i in range(count)
    ]
    with Session(engine) as session:
        session.execute(insert(Timer), rows)
        session.commit()


def fire_all(sessions: sessionmaker[Session], handlers: dict[str, Handler]) -> tuple[int, float]:
    """Fire until nothing is due; (fired, seconds)."""
    clock = FrozenClock(NOW)
    fired = 0
    started = time.perf_counter()
    while done := fire_due(sessions, clock=clock, handlers=handlers, batch_size=BATCH):
        fired += done
    return fired, time.perf_counter() - started


def floor(engine: Engine, count: int) -> float:
    """Bare deletes of `count` timer rows in the same batches: the table work alone."""
    schedule(engine, NOOP, count, lambda _i: {}, lambda i: i)
    with Session(engine) as session:
        ids = list(session.scalars(select(Timer.id).order_by(Timer.id)))
    started = time.perf_counter()
    for start in range(0, len(ids), BATCH):
        with Session(engine) as session:
            session.execute(delete(Timer).where(Timer.id.in_(ids[start : start + BATCH])))
            session.commit()
    return time.perf_counter() - started


def report(name: str, fired: int, seconds: float, floor_rate: float) -> None:
    rate = fired / seconds
    verdict = "meets" if rate >= TARGET_PER_S else "misses"
    ratio = rate / floor_rate
    print(
        f"  {name:<52} {fired:>7,} in {seconds:6.2f} s = {rate:>9,.0f}/s  ({ratio:.2f} x floor; {verdict} the target)"
    )


def run_backend(label: str, engine: Engine, count: int) -> None:
    sessions = make_session_factory(engine)
    floor_rate = count / floor(engine, count)
    print(f"{label}: floor (bare DELETE of {count:,} rows in batches of {BATCH:,}) {floor_rate:,.0f}/s")
    schedule(engine, NOOP, count, lambda _i: {}, lambda i: i)
    report("machinery (claim, hand over, delete)", *fire_all(sessions, {NOOP: noop}), floor_rate)
    with Session(engine) as session:
        people = list(session.scalars(select(Person.id).order_by(Person.id)))
    reminders = count // 4
    fields = {"topic": "bench.reminder", "title": "提醒", "body": "bench", "severity": "info", "link": None}

    def body(i: int) -> dict[str, Any]:
        return {"people": [people[i % len(people)]], **fields, "subject": None}

    schedule(engine, REMIND, reminders, body, lambda i: i)
    report("reminders (a notification each)", *fire_all(sessions, {REMIND: fire_reminders}), floor_rate)


def run_ladder(tmp: Path, count: int) -> None:
    world = build_world(tmp / "ladder.sqlite")
    sessions = make_session_factory(world.engine)
    clock = FrozenClock(NOW - timedelta(days=1))
    locators = LocatorCache()
    points = points_in(list(world.grids.values()), 200, seed=7)
    for lon, lat in points:
        with sessions() as session:
            data = CaseCreate(
                matter="illegal_parking",
                point={"lon": lon, "lat": lat},
                description="bench",
                attributes=PARKING_ATTRIBUTES,
            )
            service.report_case(session, data=data, actor=world.actors["worker"], clock=clock, locators=locators)
    with Session(world.engine) as session:
        cases = list(session.execute(select(Case.id, Case.phase, Case.phase_started_at)))
        session.execute(delete(Timer))
        session.commit()
    floor_rate = count / floor(world.engine, count)
    rungs = count // 8
    later = (NOW + timedelta(days=30)).isoformat()

    def ladder(i: int) -> dict[str, Any]:
        """A case's ladder timer as `cases.deadlines` writes it: the urge due now, a red card still ahead."""
        case = cases[i % len(cases)]
        held = [["urge", 0.7, NOW.isoformat(), None], ["red_card", 2.0, later, None]]
        return {"phase": case.phase, "started_at": case.phase_started_at.isoformat(), "rungs": held}

    schedule(world.engine, LADDER, rungs, ladder, lambda i: cases[i % len(cases)].id, step="urge")
    report(
        f"case ladder ({len(cases)} cases; card, event, audit, notice)",
        *fire_all(sessions, {LADDER: fire_ladder}),
        floor_rate,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=40_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_backend("SQLite", fresh_database(None, Path(tmp)), args.timers)
        postgres = os.environ.get("ZHILI_BENCH_POSTGRES_URL")
        if postgres:
            run_backend("PostgreSQL", fresh_database(postgres, Path(tmp)), args.timers)
        else:
            print("PostgreSQL: skipped (set ZHILI_BENCH_POSTGRES_URL)")
        run_ladder(Path(tmp), args.timers)


if __name__ == "__main__":
    main()
