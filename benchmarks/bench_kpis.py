"""KPI pages over a million cases: request times beside a bare `GROUP BY` floor, on SQLite and PostgreSQL.

Run as ``python benchmarks/bench_kpis.py [--cases 1000000] [--rebuild]`` from the project root;
``ZHILI_BENCH_POSTGRES_URL=postgresql+psycopg://...`` adds (or with ``--postgres-only`` replaces) the
PostgreSQL run.

The database: the demo world (Quzhou's divisions, units, people, the matter catalog and a year of
10,000 cases lived through the services' lifecycle), then the cases and their facts copied
set-based (`INSERT ... SELECT` over a counter) until there are `--cases` of them, each copy shifted by
whole years so they span two years; then the KPI cells are re-summed from the facts in one statement
(`projector.rebuild_cells`), which is timed too. The SQLite file is kept under `var/bench/` and
reused unless `--rebuild`.

Measured, median of `--repeat` runs, in one process:
- **floor**: one `SELECT matter_code, count(*), avg(closed_at - created_at) ... GROUP BY matter_code`
  over the bare `cases` table for the last twelve months (what a page would pay without cells);
- **KPI page**: `GET /kpis` through the app (session cookie, middleware, template) as the
  administrator (the whole city) and as the 柯城区 centre (its county by township), and the CSV
  export of the area table;
- **command centre**: `GET /command-centre` and its live data (`/api/v1/command-centre`) as the centre.

Target (issue 13): every request at most 300 ms on both backends. Figures are printed; a missed
target is printed, not failed. With `duckdb` importable, the facts are also exported to Parquet and
the same twelve-month aggregation runs in DuckDB, for the note on scaling past one database.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("zhili") is None:
    sys.path.insert(0, str(ROOT / "src"))

from fastapi.testclient import TestClient  # noqa: E402

from zhili.analytics.models import case_facts, kpi_cells  # noqa: E402
from zhili.analytics.projector import rebuild_cells  # noqa: E402
from zhili.app import create_app  # noqa: E402
from zhili.cases.models import Case  # noqa: E402
from zhili.core import migrate  # noqa: E402
from zhili.core.clock import FrozenClock  # noqa: E402
from zhili.core.db import make_engine, make_session_factory  # noqa: E402
from zhili.core.settings import Settings  # noqa: E402
from zhili.demo.build import DEMO_PASSWORD, build_demo  # noqa: E402

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
TARGET_MS = 300.0
BENCH_DIR = ROOT / "var" / "bench"
FIRMS = 500
SHIFT_YEARS = 2  # copies alternate between this year and the years before
CASE_COLUMNS = [column.name for column in Case.__table__.columns if column.name != "matter_hash"]


def _log(message: str) -> None:
    print(message, flush=True)


def build(url: str, cases: int) -> None:
    """The demo world, then its cases and facts copied until there are `cases` cases."""
    engine = make_engine(url)
    migrate.upgrade(url, engine=engine)
    started = time.perf_counter()
    with make_session_factory(engine)() as session:
        build_demo(session, clock=FrozenClock(NOW), firms=FIRMS)
        session.commit()
    _log(f"  demo world built in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with engine.begin() as connection:
        base = int(connection.scalar(select(func.count()).select_from(Case)) or 0)
        offset = int(connection.scalar(select(func.max(Case.id))) or 0)
        copies = max(0, -(-cases // base) - 1)
        _copy(connection, copies, offset, engine.dialect.name)
    _log(f"  {copies} copies of {base:,} cases and their facts in {time.perf_counter() - started:.1f} s")
    with make_session_factory(engine)() as session:
        started = time.perf_counter()
        rebuild_cells(session)
        session.commit()
        cells = session.scalar(select(func.count()).select_from(kpi_cells))
        _log(f"  {cells:,} KPI cells re-summed from the facts in {time.perf_counter() - started:.1f} s")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    engine.dispose()


def _shifted(column: str, dialect: str) -> str:
    """A time column moved back `years_back` years (SQL for each dialect)."""
    if dialect == "postgresql":
        return f"{column} - make_interval(years => ks.years_back)"
    return f"CASE WHEN {column} IS NULL THEN NULL ELSE datetime({column}, '-' || ks.years_back || ' years') || '.000000' END"  # noqa: E501


def _copies_sql(table: str, columns: list[str], transforms: dict[str, str], where: str, dialect: str) -> str:
    """`INSERT INTO table SELECT <columns, some transformed> FROM table, <a counter 1..:copies> WHERE ...`."""
    counter = (
        "WITH ks(k) AS (SELECT generate_series(1, :copies)), "
        if dialect == "postgresql"
        else "WITH RECURSIVE ks(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM ks WHERE k < :copies), "
    )
    counter += f"shifted AS (SELECT k, (k % {SHIFT_YEARS}) AS years_back FROM ks) "  # noqa: S608 - a number
    values = ", ".join(transforms.get(name, name) for name in columns)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) {counter}SELECT {values} FROM {table}, shifted AS ks WHERE {where}"  # noqa: S608 - our own names
    )


def _copy(connection: Connection, copies: int, offset: int, dialect: str) -> None:
    """Copy the cases and their facts `copies` times, set-based, each copy `offset` ids further."""
    times = ("created_at", "updated_at", "closed_at", "phase_started_at", "phase_due_at", "phase_yellow_at")
    case_transforms = {
        "id": f"id + ks.k * {offset}",
        "number": "number || '-' || ks.k",
        "duplicate_of_id": "NULL",
        **{name: _shifted(name, dialect) for name in times},
    }
    fact_transforms = {
        "case_id": f"case_id + ks.k * {offset}",
        "month": "month - 12 * ks.years_back",
        **{name: _shifted(name, dialect) for name in ("reported_at", "closed_at")},
    }
    facts = [column.name for column in case_facts.columns]
    for sql in (
        _copies_sql("cases", CASE_COLUMNS, case_transforms, f"cases.id <= {offset}", dialect),
        _copies_sql("case_facts", facts, fact_transforms, f"case_id <= {offset}", dialect),
    ):
        connection.execute(text(sql), {"copies": copies})


def _median_ms(call: Callable[[], object], repeat: int) -> float:
    call()  # warm caches (templates, statement cache, pages of the file)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def floor_ms(engine: Engine, repeat: int) -> float:
    """The bare GROUP BY over the cases of the last twelve months."""
    since = NOW.replace(year=NOW.year - 1)
    seconds = func.julianday(Case.closed_at) - func.julianday(Case.created_at)
    if engine.dialect.name == "postgresql":
        seconds = func.extract("epoch", Case.closed_at - Case.created_at)
    stmt = (
        select(Case.matter_code, func.count(), func.avg(seconds))
        .where(Case.created_at >= since)
        .group_by(Case.matter_code)
    )
    with Session(engine) as session:
        return _median_ms(lambda: session.execute(stmt).all(), repeat)


def _client(url: str, engine: Engine, username: str) -> TestClient:
    settings = Settings(database_url=url)  # type: ignore[call-arg]
    client = TestClient(create_app(settings, clock=FrozenClock(NOW), engine=engine))
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = client.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text  # noqa: S101 - the benchmark needs a session
    return client


def measure(url: str, repeat: int) -> None:
    """Print the floor and each request's median time."""
    engine = make_engine(url)
    with Session(engine) as session:
        cases = session.scalar(select(func.count()).select_from(Case))
        cells = session.scalar(select(func.count()).select_from(kpi_cells))
    _log(f"  {cases:,} cases, {cells:,} KPI cells")
    floor = floor_ms(engine, repeat)
    _log(f"  floor: GROUP BY matter over the bare cases table, last 12 months: {floor:7.1f} ms")
    requests = {
        "admin": ["/kpis", "/kpis?matter=illegal_parking", "/kpis/export.csv?table=area"],
        "kc-centre": ["/kpis", "/kpis/export.xlsx?table=matter", "/command-centre", "/api/v1/command-centre"],
    }
    worst = 0.0
    for username, paths in requests.items():
        client = _client(url, engine, username)
        for path in paths:
            status = client.get(path).status_code
            if status != 200:
                _log(f"  {username:10} GET {path:40} -> {status} (skipped)")
                continue
            ms = _median_ms(lambda path=path, client=client: client.get(path), repeat)
            worst = max(worst, ms)
            verdict = "met" if ms <= TARGET_MS else "NOT met"
            _log(f"  {username:10} GET {path:40} {ms:7.1f} ms  {ms / floor:5.2f}x the floor  ({verdict})")
    _log(f"  worst request {worst:.1f} ms against the target of {TARGET_MS:.0f} ms")
    duck(engine)
    engine.dispose()


def duck(engine: Engine) -> None:
    """The same twelve-month aggregation in DuckDB over the facts exported to Parquet, if DuckDB is here."""
    if importlib.util.find_spec("duckdb") is None:
        _log("  DuckDB: not installed (pip install duckdb to compare)")
        return
    import duckdb  # noqa: PLC0415 - optional

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    flat, parquet = BENCH_DIR / "case_facts.csv", BENCH_DIR / "case_facts.parquet"
    names = ("month", "matter_code", "is_closed", "is_on_time", "hours")
    started = time.perf_counter()
    with Session(engine) as session, flat.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(names)
        writer.writerows(session.execute(select(*(case_facts.c[name] for name in names))))
    db = duckdb.connect()
    db.execute(f"COPY (SELECT * FROM read_csv_auto('{flat}')) TO '{parquet}' (FORMAT parquet)")  # noqa: S608
    exported = time.perf_counter() - started
    last = int(db.execute(f"SELECT max(month) FROM read_parquet('{parquet}')").fetchone()[0])  # type: ignore[index]  # noqa: S608
    query = (
        "SELECT matter_code, count(*), sum(is_closed), sum(is_on_time), avg(hours) "  # noqa: S608 - our file
        f"FROM read_parquet('{parquet}') WHERE month > {last - 12} GROUP BY matter_code"
    )
    ms = _median_ms(lambda: db.execute(query).fetchall(), 5)
    _log(f"  DuckDB over Parquet (export {exported:.1f} s): the 12-month GROUP BY over the facts {ms:.1f} ms")


def main() -> None:
    """Build (or reuse) the million-case databases and measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    args = parser.parse_args()
    targets = []
    if not args.postgres_only:
        path = BENCH_DIR / f"kpis-{args.cases}.sqlite"
        if args.rebuild and path.exists():
            path.unlink()
        targets.append(("SQLite", f"sqlite:///{path}", not path.exists()))
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
    postgres = os.environ.get("ZHILI_BENCH_POSTGRES_URL")
    if postgres:
        targets.append(("PostgreSQL", postgres, args.rebuild or not _has_cases(postgres, args.cases)))
    for name, url, fresh in targets:
        _log(f"{name}:")
        if fresh:
            if name == "PostgreSQL":
                _reset_postgres(url)
            build(url, args.cases)
        else:  # a kept database: brought to this code's schema (new tables stay empty, the cases stay)
            migrate.upgrade(url)
        measure(url, args.repeat)


def _has_cases(url: str, cases: int) -> bool:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return int(session.scalar(select(func.count()).select_from(Case)) or 0) >= cases
    except Exception:  # noqa: BLE001 - no schema yet
        return False
    finally:
        engine.dispose()


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


if __name__ == "__main__":
    main()
