"""`zhili campaigns dispatch`, an operator's command (`simulate`, for demos, is `zhili.demo.campaign_cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from zhili.core.clock import SystemClock
from zhili.core.db import make_engine, make_session_factory
from zhili.core.errors import DomainError
from zhili.core.settings import Settings

app = typer.Typer(help="Campaigns (三联工程).", no_args_is_help=True)
console = Console()


@app.command("dispatch")
def dispatch(  # noqa: PLR0917 - typer passes options by position
    template: Annotated[str, typer.Option(help="the task template, e.g. typhoon")],
    division: Annotated[list[str], typer.Option(help="a division code of the scope (repeat for several)")],
    role: Annotated[list[str] | None, typer.Option(help="a role of the template (repeat; default: all)")] = None,
    mode: Annotated[str, typer.Option(help="all (one click) or cascade (level by level)")] = "all",
    message: Annotated[str, typer.Option(help="the message every recipient reads")] = "",
    source_key: Annotated[
        str | None, typer.Option(help="the alert behind it: the same key twice is one campaign")
    ] = None,
    database: Annotated[
        Path | None, typer.Option(help="an SQLite file (default: ZHILI_DATABASE_URL)", exists=True, dir_okay=False)
    ] = None,
    url: Annotated[str | None, typer.Option(help="a database URL instead of --database (PostgreSQL)")] = None,
) -> None:
    """Dispatch a campaign as the system (an operator's command): the same service as the API and the pages.

    It writes to the configured database (ZHILI_DATABASE_URL) unless told otherwise, on the system clock.
    """
    from zhili.campaigns.dispatch.schemas import CampaignCreate  # noqa: PLC0415 - imported when the command runs
    from zhili.campaigns.dispatch.service import dispatch_campaign  # noqa: PLC0415 - imported when the command runs
    from zhili.core.auth import system_actor  # noqa: PLC0415 - imported when the command runs

    engine = make_engine(url or (f"sqlite:///{database}" if database else Settings().database_url))
    try:
        data = CampaignCreate.model_validate(
            {
                "template": template,
                "divisions": division,
                "roles": role or None,
                "mode": mode,
                "message": message,
                "source_key": source_key,
            }
        )
        with make_session_factory(engine)() as session:
            campaign = dispatch_campaign(session, data=data, actor=system_actor("cli"), clock=SystemClock())
            console.print(f"campaign {campaign.id} ({campaign.number}): {campaign.recipients:,} recipients")
    except ValidationError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from exc
    except DomainError as exc:
        console.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(code=2) from exc
    finally:
        engine.dispose()
