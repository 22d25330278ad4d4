"""`zhili calendar …`: `load` a year's official schedule, `show` a year's days, `status` of the years known."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from zhili.core.clock import SystemClock
from zhili.core.db import make_engine, make_session_factory, session_scope
from zhili.core.errors import DomainError
from zhili.core.settings import Settings

if TYPE_CHECKING:
    from zhili.clocks.schemas import YearSummary
    from zhili.core.auth import Actor

# The calendar's queries and the actor bring FastAPI and the holiday library: imported when a command runs.

app = typer.Typer(help="The official work calendar (全国节假日安排): load, show, status.", no_args_is_help=True)
console = Console()
BASIS = {"loaded": "loaded", "library": "holiday library", "unknown": "[red]UNKNOWN (Monday–Friday)[/red]"}


def _sessions(*, read_only: bool = False) -> sessionmaker[Session]:
    return make_session_factory(make_engine(Settings().database_url), read_only=read_only)


def _cli_actor() -> Actor:
    from zhili.core.auth import system_actor  # noqa: PLC0415 - imported when the command runs

    return system_actor("cli")


def _fail(exc: DomainError) -> typer.Exit:
    console.print(f"[red]error:[/red] {exc.detail}")
    for error in exc.extra.get("errors") or []:
        console.print(f"  {error['field']}: {error['message']}")
    return typer.Exit(code=2)


@app.command("load")
def load(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Load (or replace) a year's official schedule from a TOML or JSON file; refused whole if any field is wrong."""
    from zhili.clocks import official, queries  # noqa: PLC0415 - imported when the command runs

    actor = _cli_actor()
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        console.print(f"[red]error:[/red] {file} is not UTF-8 text")
        raise typer.Exit(code=2) from exc
    with session_scope(_sessions()) as session:
        try:
            row = official.load(session, given=text, year=None, actor=actor, clock=SystemClock())
            days = queries.year_days(session, actor, row.year)
        except DomainError as exc:
            raise _fail(exc) from exc
    summary = days.summary
    console.print(
        f"loaded {summary.year}: {summary.holiday_days} holiday days, {summary.workdays} make-up working days "
        f"(source: {summary.source})"
    )


@app.command("show")
def show(year: int) -> None:
    """A year's holidays and make-up working days, and where they come from."""
    from zhili.clocks import queries  # noqa: PLC0415 - imported when the command runs

    actor = _cli_actor()
    with session_scope(_sessions(read_only=True)) as session:
        try:
            found = queries.year_days(session, actor, year)
        except DomainError as exc:
            raise _fail(exc) from exc
    console.print(f"[bold]{year}[/bold]: {_basis(found.summary)}")
    table = Table()
    for column in ("day", "weekday", "kind", "name"):
        table.add_column(column)
    for day in found.days:
        kind = "holiday" if day.kind == "holiday" else "make-up working day"
        table.add_row(day.day.isoformat(), f"{day.day:%a}", kind, day.name)
    console.print(table)


@app.command("status")
def status(
    on: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="as of this date (default: today)")] = None,
) -> None:
    """The years around today and every loaded year; exit 1 when the coming days reach an unknown year."""
    from zhili.clocks import queries  # noqa: PLC0415 - imported when the command runs
    from zhili.clocks.calendar import CHINA  # noqa: PLC0415 - imported when the command runs

    actor = _cli_actor()
    now = datetime.combine(on.date(), time(12), CHINA) if on else SystemClock().now()
    with session_scope(_sessions(read_only=True)) as session:
        overview = queries.years_overview(session, actor, now=now)
    table = Table(title=f"holiday library: {overview.library_first}–{overview.library_last}")
    for column in ("year", "basis", "source", "loaded", "holiday days", "make-up days"):
        table.add_column(column)
    for y in overview.years:
        loaded = f"{y.loaded_at:%Y-%m-%d %H:%M} UTC by {y.loaded_by}" if y.loaded_at else ""
        table.add_row(str(y.year), BASIS[y.basis], y.source or "", loaded, str(y.holiday_days), str(y.workdays))
    console.print(table)
    if overview.unknown_ahead:
        years = ", ".join(str(y) for y in overview.unknown_ahead)
        console.print(
            f"[red]warning:[/red] the next {overview.horizon_days} days reach {years}, which the calendar does not "
            "know: deadlines there count Monday to Friday. Load the official schedule: zhili calendar load FILE"
        )
        raise typer.Exit(code=1)


def _basis(summary: YearSummary) -> str:
    if summary.basis == "loaded":
        return f"loaded from {summary.source} ({summary.loaded_at:%Y-%m-%d} by {summary.loaded_by})"
    return BASIS[summary.basis] + (f" ({summary.source})" if summary.source else "")
