"""`zhili analytics refresh`: bring the KPI cells up to date with the case record (the worker does it too).

Writes to the configured database (ZHILI_DATABASE_URL, or `--database`/`--url`).
"""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

from zhili.core.clock import SystemClock
from zhili.core.db import make_session_factory
from zhili.early_warning.cli import DatabaseFile, DatabaseUrl, engine_for

app = typer.Typer(help="KPIs (运行指标): the summary cells the KPI pages read.", no_args_is_help=True)
console = Console()


@app.command("refresh")
def refresh_command(
    full: Annotated[bool, typer.Option("--full", help="recount every case, not only those changed")] = False,
    database: DatabaseFile = None,
    url: DatabaseUrl = None,
) -> None:
    """Recount the cases changed since the last refresh (every case with --full)."""
    from zhili.analytics.projector import refresh  # noqa: PLC0415 - imported when the command runs

    engine = engine_for(database, url)
    started = time.perf_counter()
    with make_session_factory(engine)() as session:
        counted = refresh(session, now=SystemClock().now(), full=full)
    engine.dispose()
    console.print(f"已统计 {counted:,} 件 / recounted {counted:,} cases in {time.perf_counter() - started:.1f} s")
