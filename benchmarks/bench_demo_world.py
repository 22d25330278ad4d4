"""Demo-world build time: the whole Quzhou world into a fresh database, phase by phase.

Prints the time of each phase and of the whole build, the rows written, and a floor measured in
the same run: a bare `executemany` of the same number of plain rows into one SQLite table.

    python benchmarks/bench_demo_world.py                  # SQLite (embedded default)
    ZHILI_BENCH_POSTGRES_URL=postgresql+psycopg://... python benchmarks/bench_demo_world.py
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from zhili.core import migrate
from zhili.core.clock import SystemClock
from zhili.core.db import make_engine
from zhili.demo.build import build_demo

TARGET_SECONDS = 30.0


def _floor(rows: int, path: Path) -> float:
    """Seconds for one executemany of `rows` plain 5-column rows into a fresh SQLite table."""
    data = [(n, f"name-{n}", f"1390{n:07d}", "330825101201001", n % 7) for n in range(rows)]
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT, d INTEGER)")
        started = time.perf_counter()
        db.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", data)
        db.commit()
        return time.perf_counter() - started


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    """Build the world once and print the figures."""
    tmp = Path(tempfile.mkdtemp(prefix="zhili-bench-"))
    url = os.environ.get("ZHILI_BENCH_POSTGRES_URL") or f"sqlite:///{tmp / 'world.sqlite'}"
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    if backend == "postgresql":
        _reset_postgres(url)
    migrate.upgrade(url)
    engine = make_engine(url)
    marks: list[tuple[str, float]] = []
    started = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        world, logins, _cases = build_demo(
            session, clock=SystemClock(), step=lambda name: marks.append((name, time.perf_counter()))
        )
    total = time.perf_counter() - started
    engine.dispose()
    rows = world.grids + world.people + world.posts + world.households + 27_036
    floor = _floor(rows, tmp / "floor.sqlite")
    print(f"demo world on {backend}")
    for (name, at), (_next, next_at) in zip(marks, [*marks[1:], ("end", started + total)], strict=True):
        print(f"  {name:<45} {next_at - at:6.2f} s")
    print(f"whole build                                     {total:6.2f} s   (target ≤ {TARGET_SECONDS:.0f} s)")
    print(
        f"made: {world.grids:,} grids, {world.people:,} people, {world.posts:,} posts, "
        f"{world.households:,} households, {len(logins)} logins; about {rows:,} rows"
    )
    print(f"floor: bare executemany of {rows:,} plain rows into SQLite   {floor:6.2f} s")
    print(f"ratio build / floor                             {total / floor:6.1f}x")
    sys.exit(0 if total <= TARGET_SECONDS else 1)


if __name__ == "__main__":
    main()
