"""Two API processes and two workers on one PostgreSQL serve closed loops and timers correctly.

Real processes: `zhili serve` twice (two ports) and `zhili worker` twice, on one database. Two
clients run closed loops at once, each request going to the next server; the same command at the
same version is sent to both servers at once; cases left open have their escalation ladders made
due by moving the shared demo clock. Then: every loop's timeline and audit records are whole and
in order, exactly one of two racing commands won, every rung that came due fired exactly once, and
the audit chain verifies. (Throughput is measured by benchmarks/bench_scale_out.py, not here.)
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.deploy.loops import EVENTS_PER_LOOP, LoopDriver, fleet, points_in
from tests.deploy.world import SmallWorld, small_world_copy
from zhili.cases.deadlines import LADDER, held_ladder
from zhili.cases.escalation import CLOCK_ACTOR, event_kind
from zhili.cases.models import CaseEvent
from zhili.clocks.models import Timer
from zhili.clocks.timers import spec_of
from zhili.core import audit
from zhili.core.clock import SystemClock
from zhili.demo.clock import advance

LOOPS = 12
RACES = 4
OPEN = 6
AHEAD = timedelta(days=60)


@pytest.fixture(scope="module")
def small_world() -> SmallWorld:
    return small_world_copy("scale_out")


def run_loops(small_world: SmallWorld, servers: list[str], points: list[tuple[float, float]]) -> list[int]:
    """Two clients at once, each running half of the loops; the cases' ids."""
    drivers = [LoopDriver(servers, small_world.tokens) for _ in range(2)]
    drivers[1].turn = 1  # the two clients start on different servers
    try:
        with ThreadPoolExecutor(2) as pool:
            halves = [pool.submit(lambda d, ps: [d.loop(p) for p in ps], drivers[n], points[n::2]) for n in range(2)]
            return [case_id for half in halves for case_id in half.result()]
    finally:
        for driver in drivers:
            driver.close()


def race(small_world: SmallWorld, servers: list[str], point: tuple[float, float]) -> tuple[int, list[int]]:
    """A new case, then `accept` at its first version sent to both servers at once; (case, statuses)."""
    drivers = [LoopDriver([base], small_world.tokens) for base in servers]
    case_id, version = drivers[0].report(point)
    start = threading.Barrier(len(drivers))

    def accept(driver: LoopDriver) -> int:
        start.wait()
        path = f"/api/v1/cases/{case_id}/commands"
        return driver.send("centre", "POST", path, json={"command": "accept", "version": version}).status_code

    with ThreadPoolExecutor(len(drivers)) as pool:
        statuses = sorted(pool.map(accept, drivers))
    for driver in drivers:
        driver.close()
    return case_id, statuses


def due_ladders(small_world: SmallWorld, case_ids: list[int], until: datetime) -> list[tuple[int, str]]:
    """The rungs of these cases' ladder timers due by `until`: (case, step)."""
    with Session(small_world.engine) as session:
        rows = session.execute(
            select(Timer).where(Timer.kind == LADDER, Timer.subject_id.in_(case_ids), Timer.due_at <= until)
        )
        ladders = [held_ladder(spec_of(row)) for row in rows.scalars()]
    return [(found.case_id, rung.step) for found in ladders for rung in found.split(until)[0]]


def wait_fired(small_world: SmallWorld, case_ids: list[int], until: datetime, timeout: float = 180.0) -> None:
    """Until none of these cases' ladder timers is due by `until` (the workers fire a rung and move its row on)."""
    deadline = time.monotonic() + timeout
    due = select(func.count()).where(Timer.kind == LADDER, Timer.subject_id.in_(case_ids), Timer.due_at <= until)
    while time.monotonic() < deadline:
        with Session(small_world.engine) as session:
            if not session.scalar(due):
                return
        time.sleep(0.5)
    raise TimeoutError("the workers did not fire the due timers")


def fired_by_worker(logs: Path) -> list[int]:
    """Timers each worker reports having fired (its `worker.batch … job=timers` log lines)."""
    batch = re.compile(r"worker\.batch\s+items=(\d+) job=timers")
    return [sum(int(n) for n in batch.findall(log.read_text())) for log in sorted(logs.glob("worker*.log"))]


def test_two_servers_and_two_workers_lose_nothing_and_fire_timers_once(small_world: SmallWorld, tmp_path: Path) -> None:
    points = points_in(list(small_world.grids.values()), LOOPS + RACES + OPEN, seed=11)
    with fleet(small_world.url, tmp_path, servers=2, workers=2) as running:
        closed = run_loops(small_world, running.servers, points[:LOOPS])
        races = [race(small_world, running.servers, point) for point in points[LOOPS : LOOPS + RACES]]
        opener = LoopDriver(running.servers, small_world.tokens)
        opened = [opener.report(point)[0] for point in points[LOOPS + RACES :]]
        opener.close()
        waiting = [case_id for case_id, _ in races] + opened
        until = SystemClock().now() + AHEAD
        due = due_ladders(small_world, waiting, until)  # before the workers can see them
        with Session(small_world.engine) as session:
            advance(session, AHEAD, now=SystemClock().now())
        wait_fired(small_world, waiting, until)
    codes = running.stop()
    servers_exit, workers_exit = codes[:2], codes[2:]
    assert set(servers_exit) <= {0, -15}, servers_exit  # uvicorn re-raises SIGTERM after a clean shutdown
    assert workers_exit == [0, 0]  # each worker finished its batch and left

    assert len(closed) == LOOPS
    assert all(statuses == [200, 409] for _case, statuses in races), races
    assert due, "no ladder timer came due"
    with Session(small_world.engine) as session:
        for case_id in closed:
            timeline = select(CaseEvent.seq, CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)
            seqs, kinds = (list(column) for column in zip(*session.execute(timeline).all(), strict=True))
            assert len(kinds) == EVENTS_PER_LOOP, (case_id, kinds)
            assert seqs == list(range(1, EVENTS_PER_LOOP + 1)), (case_id, seqs)
            assert kinds[-1] == "rate", kinds
        for case_id, _statuses in races:
            accepted = session.scalar(
                select(func.count()).where(CaseEvent.case_id == case_id, CaseEvent.kind == "accept")
            )
            assert accepted == 1, case_id
        clock_lines = select(CaseEvent.case_id, CaseEvent.kind).where(
            CaseEvent.case_id.in_(waiting), CaseEvent.actor == CLOCK_ACTOR
        )
        rungs = Counter((case_id, kind) for case_id, kind in session.execute(clock_lines))
        expected = Counter((case_id, event_kind(step)) for case_id, step in due)
        assert set(rungs.values()) == {1}, rungs  # no rung fired twice (a later one may have come due since)
        assert {pair: rungs[pair] for pair in expected} == expected  # and every one that was due fired
        report = audit.verify(session)
        assert report.problems == []
    workers = fired_by_worker(tmp_path)
    print(f"{len(due)} rungs due, fired once each; timers fired per worker: {workers}")  # noqa: T201
    assert sum(workers) >= len({case_id for case_id, _step in due}), workers  # a case's timer holds its ladder
