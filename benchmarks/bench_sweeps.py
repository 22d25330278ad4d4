"""The campaign reminder sweep over 10,000 unclaimed recipients, and the supervisor sweep after it.

Run as ``python benchmarks/bench_sweeps.py [--people N]`` from the project root, on SQLite and (with
ZHILI_BENCH_POSTGRES_URL) on PostgreSQL. Each backend gets a fresh database (a PostgreSQL one is
wiped) holding a county, a township, N/20 villages with a village cadre each (the supervisors) and
N + N/10 grids with a grid-head post each, held by N people (one in ten of them holds two posts), all
with an e-mail address; one typhoon campaign gives every post an unclaimed task. Everything is
inserted with plain ``executemany``.

1. **reminder sweep**: one ``campaign.sweep`` timer (``grid_head:claim``) fired by
   ``clocks.firing.fire_due``: one query for the overdue tasks, one letter per person (N inbox items
   and N e-mail messages through ``notify_each``), the tasks marked, one audit record, one commit.
2. **supervisor sweep**: ``grid_head:claim_supervisor`` half an hour later: one letter per cadre
   naming their late grid heads.

The floor, in the same run on the same engine: a bare ``executemany`` of N inbox rows (one
notification, N people) in one transaction, the least any sweep that reaches N people must write.
Target: the reminder sweep within 10× of that floor (it also writes N notifications, N outbox
messages, and reads and updates N + N/10 tasks). Figures are printed; a miss is printed, not failed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

if importlib.util.find_spec("zhili") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _setup import migrated_database
from zhili.campaigns.models import Campaign, CampaignTask
from zhili.campaigns.tasks.sweep_rules import SWEEP, Sweep, sweep_instants, sweep_timer
from zhili.campaigns.tasks.sweeps import fire_sweeps
from zhili.campaigns.templates_service import packaged_templates
from zhili.clocks import timers
from zhili.clocks.firing import fire_due
from zhili.core.clock import FrozenClock
from zhili.core.db import make_session_factory
from zhili.notify.models import InboxItem, Notification, OutboxMessage
from zhili.org.models import Division, Person, Position

DISPATCHED_AT = datetime(2026, 7, 23, 7, 0, tzinfo=UTC)
TOWNSHIP = "330825101"
TARGET_RATIO = 10.0
TEMPLATE = next(t for t in packaged_templates() if t.code == "typhoon")
ROLE = "grid_head"


def fresh_database(url: str | None, tmp: Path) -> Engine:
    """A migrated empty database (`_setup.migrated_database`)."""
    return migrated_database(url, tmp, "sweeps")


def _rows(people: int) -> dict[str, list[dict[str, Any]]]:
    """Divisions, people, posts and tasks as plain rows (explicit ids, so tasks can name their posts)."""
    villages = [f"{TOWNSHIP}{200 + v:03d}" for v in range(people // 20)]
    posts = people + people // 10
    grids = [f"{villages[g % len(villages)]}{g // len(villages):03d}" for g in range(posts)]
    divisions = [
        {"code": "330825", "name": "龙游县", "level": "county", "parent_code": None},
        {"code": TOWNSHIP, "name": "湖镇镇", "level": "township", "parent_code": "330825"},
        *({"code": v, "name": f"村{v[-3:]}", "level": "village", "parent_code": TOWNSHIP} for v in villages),
        *({"code": g, "name": f"第{g[-3:]}网格", "level": "grid", "parent_code": g[:12]} for g in sorted(set(grids))),
    ]
    cadres = [
        {"id": 1 + v, "person_id": people + 1 + v, "role": "village_cadre", "division_code": code}
        for v, code in enumerate(villages)
    ]
    heads = [
        {
            "id": len(villages) + 1 + p,
            "person_id": 1 + p % people,
            "role": ROLE,
            "division_code": grid,
            "supervisor_id": 1 + villages.index(grid[:12]),
        }
        for p, grid in enumerate(grids)
    ]
    tasks = [_task(head) for head in heads]
    everyone = [
        {"id": i, "name": f"人员{i}", "email": f"p{i}@example.cn"} for i in range(1, people + len(villages) + 1)
    ]
    return {"divisions": divisions, "people": everyone, "cadres": cadres, "heads": heads, "tasks": tasks}


def _task(head: dict[str, Any]) -> dict[str, Any]:
    task = TEMPLATE.task_for(ROLE)
    return {
        "campaign_id": 1,
        "person_id": head["person_id"],
        "position_id": head["id"],
        "supervisor_position_id": head["supervisor_id"],
        "role": ROLE,
        "division_code": head["division_code"],
        "state": "notified",
        "notified_at": DISPATCHED_AT,
        "claim_due_at": DISPATCHED_AT + timedelta(minutes=task.claim_minutes),
        "report_due_at": DISPATCHED_AT + timedelta(minutes=task.report_minutes),
        "is_far": False,
        "returned_count": 0,
    }


def fill(engine: Engine, people: int) -> float:
    """The world and one campaign with every task unclaimed, with its sweep timers; seconds taken."""
    started = time.perf_counter()
    rows = _rows(people)
    source = {"is_synthetic": True, "source": "bench"}
    with Session(engine) as session:
        session.execute(insert(Division), [{**row, **source} for row in rows["divisions"]])
        session.execute(insert(Person), rows["people"])
        session.execute(insert(Position), rows["cadres"])
        session.execute(insert(Position), rows["heads"])
        session.execute(insert(Campaign), [_campaign()])
        session.execute(insert(CampaignTask), rows["tasks"])
        wanted = sweep_instants(TEMPLATE.task_for(ROLE), DISPATCHED_AT)
        specs = [sweep_timer(1, ROLE, sweep, wanted[sweep]) for sweep in (Sweep.CLAIM, Sweep.CLAIM_SUPERVISOR)]
        timers.schedule(session, specs, now=DISPATCHED_AT)
        session.commit()
    return time.perf_counter() - started


def _campaign() -> dict[str, Any]:
    return {
        "id": 1,
        "number": "SL2026000001",
        "template_code": TEMPLATE.code,
        "template": TEMPLATE,
        "title": "防台风 · 烟花",
        "message": "",
        "severity": TEMPLATE.severity,
        "mode": "all",
        "owner_division": TOWNSHIP,
        "status": "active",
        "recipients": 0,
        "created_by": "bench",
        "created_at": DISPATCHED_AT,
    }


def sweep(engine: Engine, which: Sweep) -> float:
    """Fire the one due sweep at its instant; seconds taken."""
    at = sweep_instants(TEMPLATE.task_for(ROLE), DISPATCHED_AT)[which]
    started = time.perf_counter()
    fired = fire_due(make_session_factory(engine), clock=FrozenClock(at), handlers={SWEEP: fire_sweeps})
    seconds = time.perf_counter() - started
    assert fired == 1, f"{which}: {fired} timers fired"  # noqa: S101 - a broken benchmark must stop
    return seconds


def floor(engine: Engine, people: int) -> float:
    """A bare executemany of `people` inbox rows for one notification, in one transaction; seconds."""
    with Session(engine) as session:
        session.execute(
            insert(Notification),
            [{"key": "floor", "topic": "bench.floor", "severity": "info", "title": "floor", "body": "",
              "created_at": DISPATCHED_AT}],
        )  # fmt: skip
        notification = session.scalars(select(Notification.id).where(Notification.key == "floor")).one()
        session.commit()
    rows = [{"person_id": person, "notification_id": notification} for person in range(1, people + 1)]
    started = time.perf_counter()
    with Session(engine) as session:
        session.execute(insert(InboxItem), rows)
        session.commit()
    return time.perf_counter() - started


def _count(engine: Engine, statement: Any) -> int:
    with Session(engine) as session:
        return int(session.scalar(statement) or 0)


def run_backend(label: str, engine: Engine, people: int) -> None:
    setup = fill(engine, people)
    tasks = _count(engine, select(func.count()).select_from(CampaignTask))
    print(f"{label}: {people:,} people, {tasks:,} unclaimed tasks, {people // 20:,} supervisors (setup {setup:.2f} s)")
    remind = sweep(engine, Sweep.CLAIM)
    letters = _count(engine, select(func.count()).select_from(InboxItem))
    outbox = _count(engine, select(func.count()).select_from(OutboxMessage))
    marked = _count(engine, select(func.count()).where(CampaignTask.reminded_at.is_not(None)))
    assert letters == people and marked == tasks, (letters, marked)  # noqa: S101, PT018
    escalate = sweep(engine, Sweep.CLAIM_SUPERVISOR)
    told = _count(engine, select(func.count()).select_from(InboxItem)) - letters
    bare = floor(engine, people)
    ratio = remind / bare
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    print(f"  floor: bare executemany of {people:,} inbox rows     {bare:6.3f} s = {people / bare:>9,.0f} rows/s")
    print(
        f"  reminder sweep: {letters:,} letters ({outbox:,} e-mails), {marked:,} tasks marked"
        f"  {remind:6.3f} s = {letters / remind:>9,.0f} letters/s"
        f"  ({ratio:.1f} x floor; {verdict} the target of {TARGET_RATIO:.0f} x)"
    )
    print(
        f"  supervisor sweep: {told:,} letters naming {tasks:,} late tasks"
        f"  {escalate:6.3f} s = {tasks / escalate:>9,.0f} tasks/s  ({escalate / bare:.1f} x floor)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_backend("SQLite", fresh_database(None, Path(tmp)), args.people)
        postgres = os.environ.get("ZHILI_BENCH_POSTGRES_URL")
        if postgres:
            run_backend("PostgreSQL", fresh_database(postgres, Path(tmp)), args.people)
        else:
            print("PostgreSQL: skipped (set ZHILI_BENCH_POSTGRES_URL)")


if __name__ == "__main__":
    main()
