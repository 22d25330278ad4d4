"""`zhili assessment close --month YYYY-MM [--county CODE]`: freeze a month's scores, as the system.

Without `--county`, every county is closed. Closing a closed month changes nothing (it says so).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine

from zhili.assessment.period import Month
from zhili.core.clock import SystemClock
from zhili.core.db import make_engine, make_session_factory
from zhili.core.errors import DomainError
from zhili.core.settings import Settings

app = typer.Typer(help="The assessment (四维考评).", no_args_is_help=True)
console = Console()


def _engine(database: Path | None, url: str | None) -> Engine:
    return make_engine(url or (f"sqlite:///{database}" if database else Settings().database_url))


@app.command("close")
def close(
    month: Annotated[str, typer.Option(help="the month to close, YYYY-MM")],
    county: Annotated[str | None, typer.Option(help="one county's code (default: every county)")] = None,
    database: Annotated[
        Path | None, typer.Option(help="an SQLite file (default: ZHILI_DATABASE_URL)", exists=True, dir_okay=False)
    ] = None,
    url: Annotated[str | None, typer.Option(help="a database URL instead of --database")] = None,
) -> None:
    """Freeze MONTH's scores and breakdown lines (each county once; again changes nothing)."""
    from zhili.assessment import closing  # noqa: PLC0415 - the scoring statements: imported when the command runs
    from zhili.core.auth import system_actor  # noqa: PLC0415 - imported when the command runs
    from zhili.org import directory  # noqa: PLC0415 - imported when the command runs

    try:
        chosen = Month.parse(month)
    except DomainError as exc:
        raise typer.BadParameter(exc.detail) from exc
    engine = _engine(database, url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        counties = [county] if county else list(directory.counties(session))
    for code in counties:
        with sessions() as session:
            try:
                done = closing.close_month(
                    session, actor=system_actor("cli"), clock=SystemClock(), county=code, month=chosen
                )
            except DomainError as exc:
                console.print(f"[red]{code}: {exc.detail}[/red]")
                raise typer.Exit(code=2) from exc
        state = "closed" if done.is_new else "already closed"
        console.print(f"{code} {chosen}: {state} · {done.scores} scores · {done.lines} lines")
    engine.dispose()
