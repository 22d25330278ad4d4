"""Campaign dispatch: 11,000 and 100,000 recipients persisted and notified, against a bare executemany floor.

Run as ``python benchmarks/bench_dispatch.py`` from the project root (``ZHILI_BENCH_POSTGRES_URL`` adds
PostgreSQL). For each size a freshly migrated database gets a county with 10 townships, their villages and
grids, and the three-links network in the seed's proportions (one team leader per village, one grid head
per grid, party members for the rest; every post with a supervisor; everyone with a phone, one in ten
with an e-mail address). Then ``campaigns.dispatch.dispatch_campaign`` sends the typhoon template (red:
inbox, SMS to everyone, e-mail where known) to the whole county in one click: the campaign, one task
per recipient, the notification, one inbox item per recipient, the outbox messages, the sweep timers
and the audit record, in one transaction. Before it, ``campaigns.dispatch.preview_campaign`` counts the
same recipients per role and level (one GROUP BY over the fan-out's selection); its total must equal the
dispatch's, and it should take a small fraction of the dispatch.

The floor, measured in the same run on the same database, writes the same rows (the tasks, the inbox
items and the outbox messages, counted from what the dispatch wrote): on SQLite with bare
``executemany`` calls of plain tuples and one commit; on PostgreSQL with psycopg's ``COPY … FROM
STDIN`` into the same tables (same indexes, same checks) and one commit. Targets: 11,000 ≤ 0.5 s and
100,000 ≤ 5 s, within 3× of the floor. A miss is printed, not failed. On PostgreSQL the server
settings the figures depend on are printed first (from ``SHOW``); docs/how-to/deploy.md lists the
settings a deployment is expected to have.

Options: ``--sizes 100000`` measures one size; ``--postgres-only`` skips SQLite.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from _setup import migrated_database
from zhili.campaigns.dispatch.schemas import CampaignCreate
from zhili.campaigns.dispatch.service import dispatch_campaign, preview_campaign
from zhili.campaigns.models import CampaignTask
from zhili.campaigns.templates_service import seed_templates
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.notify.models import InboxItem, OutboxMessage
from zhili.org.models import Division, Person, Position

NOW = datetime(2026, 7, 23, 7, 0, tzinfo=UTC)
COUNTY = "339901"
TOWNSHIPS = 10
SIZES = (11_000, 100_000)
TARGETS = {11_000: 0.5, 100_000: 5.0}


def fresh(url: str | None, tmp: Path, name: str) -> Engine:
    """A migrated empty database (`_setup.migrated_database`)."""
    return migrated_database(url, tmp, name)


def build_network(engine: Engine, recipients: int) -> None:
    """A county tree and `recipients` field posts in the seed's proportions, each with a supervisor."""
    grids_per_village = 5
    villages = max(TOWNSHIPS, recipients // 45)
    grids = villages * grids_per_village
    townships = [f"{COUNTY}{t:03d}" for t in range(1, TOWNSHIPS + 1)]
    village_codes = [f"{townships[v % TOWNSHIPS]}{v // TOWNSHIPS:03d}" for v in range(villages)]
    grid_codes = [f"{village_codes[g // grids_per_village]}{g % grids_per_village:03d}" for g in range(grids)]
    division_rows = [(COUNTY, "测试县", "county", "3399")]
    division_rows += [(code, f"镇{code[-3:]}", "township", COUNTY) for code in townships]
    division_rows += [(code, f"村{code[-3:]}", "village", code[:9]) for code in village_codes]
    division_rows += [(code, f"网格{code[-3:]}", "grid", code[:12]) for code in grid_codes]
    with Session(engine) as session:
        session.execute(
            insert(Division),
            [{"code": "3399", "name": "测试市", "level": "city", "parent_code": None, "source": "bench"}],
        )
        session.execute(
            insert(Division),
            [{"code": c, "name": n, "level": lv, "parent_code": p, "source": "bench"} for c, n, lv, p in division_rows],
        )
        session.execute(
            insert(Person),
            [
                {
                    "id": i + 1,
                    "name": f"人员{i}",
                    "phone": f"139{i:08d}",
                    "email": f"p{i}@example.cn" if i % 10 == 0 else None,
                }
                for i in range(recipients + 1)
            ],
        )
        chief = {"id": 1, "person_id": 1, "role": "township_command", "division_code": COUNTY, "supervisor_id": None}
        posts = [chief]
        roles = ["team_leader"] * villages + ["grid_head"] * grids
        roles += ["party_member"] * (recipients - len(roles))
        for i, role in enumerate(roles[:recipients]):
            division = village_codes[i % villages] if role == "team_leader" else grid_codes[i % grids]
            posts.append({"id": i + 2, "person_id": i + 2, "role": role, "division_code": division, "supervisor_id": 1})
        session.execute(insert(Position), posts)
        session.commit()


def dispatch(engine: Engine) -> tuple[float, int, float, int]:
    """The preview, then one click to the whole county; (seconds, recipients, preview seconds, previewed)."""
    actor = system_actor("bench")
    clock = FrozenClock(NOW)
    with Session(engine, expire_on_commit=False) as session:
        seed_templates(session, actor=actor, clock=clock)
    data = CampaignCreate(template="typhoon", divisions=[COUNTY], message="台风来袭")
    with Session(engine) as session:
        started = time.perf_counter()
        previewed = preview_campaign(session, data=data, actor=actor).total
        preview_seconds = time.perf_counter() - started
    with Session(engine, expire_on_commit=False) as session:
        started = time.perf_counter()
        campaign = dispatch_campaign(session, data=data, actor=actor, clock=clock)
        return time.perf_counter() - started, campaign.recipients, preview_seconds, previewed


def written(engine: Engine) -> tuple[int, int, int]:
    """The rows the dispatch wrote: tasks, inbox items, outbox messages."""
    with Session(engine) as session:
        counts = (session.scalar(select(func.count()).select_from(t)) for t in (CampaignTask, InboxItem, OutboxMessage))
        tasks, inbox, outbox = (int(n or 0) for n in counts)
    return tasks, inbox, outbox


def floor(engine: Engine, tasks: int, inbox: int, outbox: int) -> float:
    """The same numbers of rows in the same tables: bare Core executemany calls of plain rows, one commit."""
    task_rows = [
        {
            "campaign_id": 1,
            "person_id": i + 2,
            "position_id": i + 2,
            "supervisor_position_id": 1,
            "role": "party_member",
            "division_code": COUNTY,
            "state": "notified",
            "notified_at": NOW,
            "claim_due_at": NOW,
            "report_due_at": NOW,
            "is_far": False,
            "returned_count": 0,
        }
        for i in range(tasks)
    ]
    inbox_rows = [{"person_id": i + 2, "notification_id": 1} for i in range(inbox)]
    outbox_rows = [
        {
            "message_key": f"floor:{i}",
            "notification_id": 1,
            "channel": "sms",
            "person_id": (i % tasks) + 2,
            "destination": "139",
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": NOW,
            "created_at": NOW,
        }
        for i in range(outbox)
    ]
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM campaign_tasks"))
        connection.execute(text("DELETE FROM inbox_items"))
        connection.execute(text("DELETE FROM outbox"))
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(insert(CampaignTask), task_rows)
        connection.execute(insert(InboxItem), inbox_rows)
        connection.execute(insert(OutboxMessage), outbox_rows)
    return time.perf_counter() - started


# The server settings a PostgreSQL figure depends on, printed before it.
SETTINGS = (
    "server_version",
    "shared_buffers",
    "work_mem",
    "maintenance_work_mem",
    "effective_cache_size",
    "synchronous_commit",
    "fsync",
    "full_page_writes",
    "wal_level",
    "wal_compression",
    "max_wal_size",
    "checkpoint_timeout",
    "wal_buffers",
)


def server_settings(engine: Engine) -> str:
    """`SHOW` of each setting in `SETTINGS`, one line."""
    with engine.connect() as connection:
        shown = [f"{name}={connection.execute(text(f'SHOW {name}')).scalar()}" for name in SETTINGS]
    return ", ".join(shown)


def copy_floor(engine: Engine, tasks: int, inbox: int, outbox: int) -> float:
    """The same numbers of rows in the same tables with psycopg's COPY FROM STDIN, one commit (PostgreSQL)."""
    with engine.begin() as connection:
        tables = "campaign_task_photos, campaign_tasks, inbox_items, delivery_attempts, outbox"
        connection.execute(text(f"TRUNCATE {tables}"))
    task_columns = "campaign_id, person_id, position_id, supervisor_position_id, role, division_code, state, "
    task_columns += "notified_at, claim_due_at, report_due_at, is_far, returned_count"
    outbox_columns = "message_key, notification_id, channel, person_id, destination, status, attempts, "
    outbox_columns += "next_attempt_at, created_at"
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        if driver is None:
            raise RuntimeError("no driver connection")
        started = time.perf_counter()
        with driver.cursor() as cursor:
            with cursor.copy(f"COPY campaign_tasks ({task_columns}) FROM STDIN") as copy:
                for i in range(tasks):
                    row = (1, i + 2, i + 2, 1, "party_member", COUNTY, "notified", NOW, NOW, NOW, False, 0)
                    copy.write_row(row)
            with cursor.copy("COPY inbox_items (person_id, notification_id) FROM STDIN") as copy:
                for i in range(inbox):
                    copy.write_row((i + 2, 1))
            with cursor.copy(f"COPY outbox ({outbox_columns}) FROM STDIN") as copy:
                for i in range(outbox):
                    copy.write_row((f"floor:{i}", 1, "sms", (i % tasks) + 2, "139", "pending", 0, NOW, NOW))
        driver.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def run(label: str, url: str | None, tmp: Path, sizes: tuple[int, ...]) -> None:
    for size in sizes:
        engine = fresh(url, tmp, f"dispatch{size}")
        if url is not None:
            print(f"{label} server settings: {server_settings(engine)}")
        build_network(engine, size)
        if url is not None:  # what autovacuum has done to a network loaded days before the typhoon
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        seconds, recipients, preview_seconds, previewed = dispatch(engine)
        tasks, inbox, outbox = written(engine)
        bare = copy_floor(engine, tasks, inbox, outbox) if url is not None else floor(engine, tasks, inbox, outbox)
        floor_name = "COPY floor" if url is not None else "executemany floor"
        target = TARGETS.get(size, 5.0 * size / 100_000)
        verdict = "meets" if seconds <= target and seconds <= 3 * bare else "misses"
        print(
            f"{label} {recipients:>7,} recipients: dispatch {seconds:6.3f} s ({tasks:,} tasks, {inbox:,} inbox items, "
            f"{outbox:,} outbox messages); {floor_name} {bare:6.3f} s; ratio {seconds / bare:4.2f}x; "
            f"{verdict} ≤ {target} s and ≤ 3x"
        )
        agrees = "equals" if previewed == recipients else "DIFFERS FROM"
        print(f"{label} {'':>7} preview {preview_seconds:6.3f} s: {previewed:,} recipients, {agrees} the dispatch")
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="recipients per run")
    parser.add_argument("--postgres-only", action="store_true", help="skip SQLite")
    args = parser.parse_args()
    sizes = tuple(args.sizes)
    with tempfile.TemporaryDirectory() as tmp:
        if not args.postgres_only:
            run("SQLite    ", None, Path(tmp), sizes)
        postgres = os.environ.get("ZHILI_BENCH_POSTGRES_URL")
        if postgres:
            run("PostgreSQL", postgres, Path(tmp), sizes)
        else:
            print("PostgreSQL: skipped (set ZHILI_BENCH_POSTGRES_URL)")


if __name__ == "__main__":
    main()
