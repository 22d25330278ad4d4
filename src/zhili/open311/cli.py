"""`zhili open311 keys …`: register an Open311 client (its key printed once), list the clients, revoke a key."""

from __future__ import annotations

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
    from zhili.core.auth import Actor

# The services bring FastAPI (through core.auth) and the case engine: imported when a command runs.

app = typer.Typer(help="Open311 GeoReport v2: the client apps and their API keys.", no_args_is_help=True)
keys_app = typer.Typer(help="The clients' API keys: create, list, revoke.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
console = Console()


def _sessions(settings: Settings) -> sessionmaker[Session]:
    return make_session_factory(make_engine(settings.database_url))


def _cli_actor() -> Actor:
    from zhili.core.auth import system_actor  # noqa: PLC0415 - imported when the command runs

    return system_actor("cli")


def _fail(exc: DomainError) -> typer.Exit:
    console.print(f"[red]error:[/red] {exc.detail}")
    return typer.Exit(code=2)


@keys_app.command("create")
def create(name: Annotated[str, typer.Argument(help="the client app's name, e.g. 衢州市民App")]) -> None:
    """Register a client and print its API key: shown this once, stored only as a digest."""
    from zhili.open311 import service  # noqa: PLC0415 - imported when the command runs

    settings = Settings()
    with session_scope(_sessions(settings)) as session:
        try:
            created = service.create_client(
                session,
                name=name,
                actor=_cli_actor(),
                clock=SystemClock(),
                secret=settings.secret_key.get_secret_value(),
            )
        except DomainError as exc:
            raise _fail(exc) from exc
    console.print(f"client {created.id} {created.name}; its API key (shown once, keep it safe):")
    typer.echo(created.key)


@keys_app.command("list")
def list_keys() -> None:
    """The clients, their keys' first characters and whether they are active."""
    from zhili.open311 import queries  # noqa: PLC0415 - imported when the command runs

    with session_scope(_sessions(Settings())) as session:
        clients = queries.list_clients(session, _cli_actor())
    table = Table("id", "name", "key", "state", "created", "by")
    for client in clients:
        state = "active" if client.is_active else f"revoked {client.revoked_at:%Y-%m-%d %H:%M}Z"
        table.add_row(
            str(client.id),
            client.name,
            client.key_hint,
            state,
            f"{client.created_at:%Y-%m-%d %H:%M}Z",
            client.created_by,
        )
    console.print(table)


@keys_app.command("revoke")
def revoke(client_id: Annotated[int, typer.Argument(help="the client's id (see `zhili open311 keys list`)")]) -> None:
    """Revoke a client's key: its next report is refused (403)."""
    from zhili.open311 import service  # noqa: PLC0415 - imported when the command runs

    with session_scope(_sessions(Settings())) as session:
        try:
            service.revoke_client(session, client_id=client_id, actor=_cli_actor(), clock=SystemClock())
        except DomainError as exc:
            raise _fail(exc) from exc
    console.print(f"client {client_id}: key revoked")
