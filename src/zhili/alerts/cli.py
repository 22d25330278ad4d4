"""`zhili alerts ingest FILE...` and `zhili alerts rules` (`zhili alerts example` is the demo's: `demo.alert_example`).

`ingest` hands in CAP files as the system and `rules` lists the trigger rules; both use the configured
database (ZHILI_DATABASE_URL, or `--database`/`--url`). `ingest` prints per file what happened (a new
alert, its divisions and the rules it fired, or that it was no longer in force; already received;
refused and why) and exits with status 2 when any file was refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhili.alerts.standing import ACTIVE
from zhili.core.clock import SystemClock
from zhili.core.db import make_engine, make_session_factory
from zhili.core.errors import DomainError
from zhili.core.local_time import LOCAL_ZONE
from zhili.core.settings import Settings

if TYPE_CHECKING:
    from zhili.core.auth import Actor

app = typer.Typer(help="Alerts (CAP 1.2) and their trigger rules.", no_args_is_help=True)
console = Console()

DatabaseFile = Annotated[
    Path | None, typer.Option(help="an SQLite file (default: ZHILI_DATABASE_URL)", exists=True, dir_okay=False)
]
DatabaseUrl = Annotated[str | None, typer.Option(help="a database URL instead of --database (PostgreSQL)")]


def _engine(database: Path | None, url: str | None) -> Engine:
    return make_engine(url or (f"sqlite:///{database}" if database else Settings().database_url))


@app.command("ingest")
def ingest_command(
    files: Annotated[list[Path], typer.Argument(help="CAP 1.2 XML files", exists=True, dir_okay=False, readable=True)],
    database: DatabaseFile = None,
    url: DatabaseUrl = None,
) -> None:
    """Hand in CAP files as the system: each stored once, resolved to divisions, its trigger rules fired."""
    from zhili.core.auth import system_actor  # noqa: PLC0415 - FastAPI comes with it: imported when the command runs

    engine = _engine(database, url)
    refused = 0
    try:
        sessions = make_session_factory(engine)
        for file in files:
            with sessions() as session:
                refused += not _ingest_one(session, file, system_actor("cli"))
    finally:
        engine.dispose()
    if refused:
        raise typer.Exit(code=2)


def _ingest_one(session: Session, file: Path, actor: Actor) -> bool:
    """Receive one file and print what came of it; False when it was refused."""
    from zhili.alerts import intake, queries  # noqa: PLC0415 - imported when the command runs

    clock = SystemClock()
    try:
        receipt = intake.ingest(
            session, data=file.read_bytes(), source="cli", source_detail=file.name, actor=actor, clock=clock
        )
    except DomainError as exc:
        console.print(f"[red]{file.name}: refused[/red] ({exc.status}) {exc.detail}")
        return False
    shown = queries.receipt(session, receipt.alert_id, now=clock.now())
    drill = " [yellow]演练 drill[/yellow]" if shown.is_drill else ""
    if not receipt.is_new:
        console.print(f"{file.name}: already received as alert {shown.id} ({shown.state}){drill}")
        return True
    divisions = ", ".join(shown.divisions) or "none of ours"
    console.print(f"[green]{file.name}: alert {shown.id}[/green] {shown.msg_type} {shown.status}{drill} → {divisions}")
    if shown.standing != ACTIVE and not shown.firings:
        sent = f"{shown.sent.astimezone(LOCAL_ZONE):%Y-%m-%d %H:%M} (UTC+8)"
        console.print(f"  [yellow]no longer in force ({shown.standing}; sent {sent}): no rule fired[/yellow]")
    for firing in shown.firings:
        what = [f"campaign {firing.campaign_id} ({firing.campaign_number})"] if firing.campaign_id else []
        what += [f"command group {firing.group_id}"] if firing.group_id else []
        detail = f" ({firing.detail})" if firing.detail else ""
        console.print(f"  rule {firing.rule_name}: {firing.outcome} {', '.join(what)}{detail}")
    return True


@app.command("rules")
def rules_command(database: DatabaseFile = None, url: DatabaseUrl = None) -> None:
    """List the trigger rules: what each matches and what it does."""
    from zhili.alerts.queries import list_rules  # noqa: PLC0415 - imported when the command runs

    engine = _engine(database, url)
    try:
        with make_session_factory(engine)() as session:
            rules = list_rules(session)
    finally:
        engine.dispose()
    table = Table("id", "name", "event", "category", "≥ severity", "areas", "campaign", "group", "active")
    for rule in rules:
        table.add_row(
            str(rule.id),
            rule.name,
            rule.event_match or "*",
            rule.category or "*",
            rule.min_severity,
            ", ".join(rule.areas) or "*",
            rule.campaign_template or "",
            "yes" if rule.open_group else "",
            "yes" if rule.is_active else "no",
        )
    Console().print(table)  # sized when it prints (COLUMNS, the terminal), not when the module was imported
