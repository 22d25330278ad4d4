"""The campaign board's query for 11,000 and 100,000 recipients, on SQLite and (optionally) PostgreSQL.

Run as ``python benchmarks/bench_board.py [--repeat N]`` from the project root; PostgreSQL too with
ZHILI_BENCH_POSTGRES_URL (that database is wiped). Each backend gets a
freshly migrated database with a synthetic division tree shaped like 龙游县 (15 townships of 18
villages, two grids a village) repeated for 9 counties of one city, one person and one post per
recipient (a team leader per village, a grid head per grid, 19 party members per grid: 11,070 a
county), and two campaigns: one to a county (11,070 tasks) and one to the whole city (99,630 tasks).
States are mixed (notified, read, claimed, reported, verified, rated, declined) with claim times
spread over five hours. Rows are inserted with `executemany`, then ANALYZE.

Timed, as the median of ``--repeat`` runs each: ``campaigns.board.board`` (the campaign check, the
one grouped query, the division names) for the county view and a township view of the county
campaign, and for the city, county and township views of the city campaign; the first page of the
unclaimed list; the XLSX export of the county's unclaimed. ``--covering-index`` adds an index over
every column the board reads, to measure what it would bring. The floor, in the same run on the same
engine: a bare ``SELECT state, count(*) FROM campaign_tasks WHERE campaign_id = ? GROUP BY state``.
Target: the board of 11,000 recipients in 100 ms or less. A miss is printed, not failed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from _setup import migrated_database
from zhili.campaigns.board.counts import board
from zhili.campaigns.board.export import to_xlsx
from zhili.campaigns.board.people import all_people, people
from zhili.campaigns.models import Campaign, CampaignScopeDivision, CampaignScopeRole, CampaignTask
from zhili.campaigns.templates_service import packaged_templates
from zhili.core.auth import Actor, Grant, Scope
from zhili.org.models import Division, Person, Position

TARGET_MS = 100.0
NOW = datetime(2026, 7, 23, 7, 0, tzinfo=UTC)
CITY = "3399"  # a made-up city: nothing else in the database
COUNTIES, TOWNSHIPS, VILLAGES, GRIDS, MEMBERS = 9, 15, 18, 2, 19
STATES = ("notified", "read", "claimed", "reported", "verified", "rated", "declined")
WEIGHTS = (10, 12, 25, 30, 10, 8, 5)
CLAIMED = {"claimed", "reported", "verified", "rated"}
# What --covering-index adds: every column the board reads, so the grouped query never visits the table.
COVERING_INDEX = (
    "CREATE INDEX ix_bench_board_cover ON campaign_tasks "
    "(campaign_id, division_code, role, state, claimed_at, notified_at, claim_due_at)"
)


def division_rows() -> list[dict[str, Any]]:
    """The city, its counties, townships, villages and grids."""
    rows = [_division(CITY, "某市", "city", None)]
    for c in range(1, COUNTIES + 1):
        county = f"{CITY}{c:02d}"
        rows.append(_division(county, f"第{c}县", "county", CITY))
        for t in range(1, TOWNSHIPS + 1):
            township = f"{county}{100 + t:03d}"
            rows.append(_division(township, f"{c}县{t}镇", "township", county))
            for v in range(1, VILLAGES + 1):
                village = f"{township}{v:03d}"
                rows.append(_division(village, f"{t}镇{v}村", "village", township))
                rows.extend(
                    _division(f"{village}{g:03d}", f"{v}村{g}网格", "grid", village) for g in range(1, GRIDS + 1)
                )
    return rows


def _division(code: str, name: str, level: str, parent: str | None) -> dict[str, Any]:
    return {"code": code, "name": name, "level": level, "parent_code": parent, "is_synthetic": True, "source": "bench"}


def posts(divisions: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(role, division) of every recipient: a team leader per village, a grid head and 19 members per grid."""
    found: list[tuple[str, str]] = []
    for row in divisions:
        if row["level"] == "village":
            found.append(("team_leader", row["code"]))
        elif row["level"] == "grid":
            found.append(("grid_head", row["code"]))
            found.extend(("party_member", row["code"]) for _ in range(MEMBERS))
    return found


def fresh_database(url: str | None, tmp: Path) -> Engine:
    """A migrated empty database (`_setup.migrated_database`)."""
    return migrated_database(url, tmp, "board")


def fill(engine: Engine) -> dict[str, int]:
    """Divisions, people, posts and the two campaigns with their tasks; returns campaign ids by name."""
    divisions = division_rows()
    recipients = posts(divisions)
    with Session(engine) as session:
        session.execute(insert(Division), divisions)
        session.execute(insert(Person), [{"name": f"人员{n}", "phone": f"1{n:010d}"} for n in range(len(recipients))])
        session.execute(
            insert(Position),
            [
                {"id": n + 1, "person_id": n + 1, "role": role, "division_code": code}
                for n, (role, code) in enumerate(recipients)
            ],
        )
        ids = {name: _campaign(session, name, owner) for name, owner in (("county", f"{CITY}01"), ("city", CITY))}
        rng = random.Random(20210723)
        for name, owner in (("county", f"{CITY}01"), ("city", CITY)):
            rows = [_task(rng, ids[name], n + 1, role, code) for n, (role, code) in enumerate(recipients)]
            session.execute(insert(CampaignTask), [row for row in rows if row["division_code"].startswith(owner)])
        session.commit()
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return ids


def _campaign(session: Session, name: str, owner: str) -> int:
    campaign = Campaign(
        number=f"BENCH-{name}",
        template_code="typhoon",
        template=next(t for t in packaged_templates() if t.code == "typhoon"),
        title="防台风",
        message="",
        severity="red",
        mode="all",
        owner_division=owner,
        status="active",
        recipients=0,
        created_by="bench",
        created_at=NOW,
    )
    session.add(campaign)
    session.flush()
    session.add_all(
        [CampaignScopeDivision(campaign_id=campaign.id, division_code=owner)]
        + [
            CampaignScopeRole(campaign_id=campaign.id, role=r, ordinal=n)
            for n, r in enumerate(["team_leader", "grid_head", "party_member"])
        ]
    )
    return campaign.id


def _task(rng: random.Random, campaign_id: int, post_id: int, role: str, code: str) -> dict[str, Any]:
    state = rng.choices(STATES, WEIGHTS)[0]
    claimed_at = NOW + timedelta(minutes=rng.uniform(1, 300)) if state in CLAIMED else None
    return {
        "campaign_id": campaign_id,
        "person_id": post_id,
        "position_id": post_id,
        "role": role,
        "division_code": code,
        "state": state,
        "notified_at": NOW,
        "claim_due_at": NOW + timedelta(hours=2),
        "report_due_at": NOW + timedelta(hours=6),
        "claimed_at": claimed_at,
        "reported_at": claimed_at + timedelta(minutes=30) if claimed_at and state != "claimed" else None,
        "is_far": False,
        "returned_count": 0,
    }


def median_ms(work: Callable[[], object], repeat: int) -> float:
    """The median time of `work` over `repeat` runs, after one warm-up run."""
    work()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def centre_of(code: str) -> Actor:
    """A governance centre (or command room) over `code`."""
    scope = Scope.of([Grant(code)])
    return Actor(username=f"centre-{code}", display_name="centre", roles=frozenset({"centre_staff"}), scope=scope)


def run_backend(label: str, engine: Engine, repeat: int, *, is_covering: bool) -> None:
    """Fill one backend and print its figures."""
    started = time.perf_counter()
    ids = fill(engine)
    if is_covering:
        with engine.begin() as connection:
            connection.execute(text(COVERING_INDEX))
            connection.execute(text("ANALYZE"))
        label += " with the covering index"
    print(f"\n{label}: filled in {time.perf_counter() - started:.1f} s")
    county, township = f"{CITY}01", f"{CITY}01101"
    views = (
        ("county campaign (11,070): county view", ids["county"], county),
        ("county campaign (11,070): township view", ids["county"], township),
        ("city campaign (99,630): city view", ids["city"], CITY),
        ("city campaign (99,630): county view", ids["city"], county),
        ("city campaign (99,630): township view", ids["city"], township),
    )
    with Session(engine) as session:
        for name, campaign_id, division in views:
            floor = median_ms(partial(_floor, session, campaign_id), repeat)
            actor = centre_of(division[:6] if len(division) > 4 else division)
            took = median_ms(partial(board, session, actor, campaign_id, division=division, now=NOW), repeat)
            verdict = ("met" if took <= TARGET_MS else "NOT MET") if "11,070" in name and "county view" in name else ""
            print(f"  board, {name:42s} {took:8.1f} ms   floor {floor:6.1f} ms   ratio {took / floor:5.1f}  {verdict}")
        lists(session, ids["county"], centre_of(county), repeat)
    engine.dispose()


def lists(session: Session, campaign_id: int, actor: Actor, repeat: int) -> None:
    """The unclaimed list's first page, and the XLSX of the whole list."""
    first = partial(people, session, actor, campaign_id, which="unclaimed", division=None, now=NOW)
    print(f"  unclaimed list, first page of 50 (county campaign)   {median_ms(first, repeat):8.1f} ms")
    rows = list(all_people(session, actor, campaign_id, which="unclaimed", division=None, now=NOW))
    export = median_ms(partial(to_xlsx, rows, "zh", which="unclaimed"), max(1, repeat // 5))
    print(f"  XLSX of the county's {len(rows):,} unclaimed (rows already read)   {export:8.1f} ms")


def _floor(session: Session, campaign_id: int) -> None:
    statement = text("SELECT state, count(*) FROM campaign_tasks WHERE campaign_id = :c GROUP BY state")
    session.execute(statement, {"c": campaign_id}).all()


def main() -> None:
    """Both backends, one after the other."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--covering-index", action="store_true", help="add an index covering the board's columns")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}; target: board of 11,000 recipients in {TARGET_MS:.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        run_backend("SQLite", fresh_database(None, Path(tmp)), args.repeat, is_covering=args.covering_index)
        postgres = os.environ.get("ZHILI_BENCH_POSTGRES_URL")
        if postgres:
            run_backend("PostgreSQL", fresh_database(postgres, Path(tmp)), args.repeat, is_covering=args.covering_index)
        else:
            print("\nPostgreSQL: skipped (set ZHILI_BENCH_POSTGRES_URL)")


if __name__ == "__main__":
    main()
