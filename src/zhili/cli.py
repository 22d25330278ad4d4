"""The `zhili` command: demo, serve, worker, database, imports, users, audit, matters, the calendar, the demo clock."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from zhili.alerts import cli as alerts_cli
from zhili.analytics import cli as analytics_cli
from zhili.assessment import cli as assessment_cli
from zhili.campaigns import cli as campaigns_cli
from zhili.clocks import cli as calendar_cli
from zhili.core.clock import Clock, OffsetClock, SystemClock
from zhili.core.db import make_engine, make_session_factory, session_scope
from zhili.core.errors import DomainError
from zhili.core.settings import Settings
from zhili.demo import alert_example, campaign_cli
from zhili.early_warning import cli as early_warning_cli
from zhili.early_warning import warnings_cli
from zhili.notify.kinds import Severity
from zhili.open311 import cli as open311_cli

if TYPE_CHECKING:
    from fastapi import FastAPI

    from zhili.core.auth import Actor
    from zhili.matters.definition import MatterDefinition
    from zhili.matters.schemas import MatterRead

# Each command imports the domains it uses when it runs: the app, the demo builder and the worker
# cost seconds of CPU to import, which a short operator command (or a worker) should not pay for the
# others' sake (`zhili campaigns dispatch` imported all of them before it could start). The same holds
# for FastAPI (through `core.auth`), Alembic and uvicorn: `zhili --help` imports none of them.

app = typer.Typer(
    help="Zhili 治理: closed-loop, multi-agency grassroots governance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
import_app = typer.Typer(help="Import divisions, units, grids, enterprises, department feeds.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit record.", no_args_is_help=True)
matters_app = typer.Typer(help="The matter catalog (事项目录).", no_args_is_help=True)
clock_app = typer.Typer(
    help="The demo clock: move time forward to watch lights turn and cards fall.", no_args_is_help=True
)
notify_app = typer.Typer(help="Notifications: send one by hand (the worker delivers it).", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (import_app, "import"),
    (users_app, "users"),
    (audit_app, "audit"),
    (matters_app, "matters"),
    (clock_app, "clock"),
    (notify_app, "notify"),
    (campaigns_cli.app, "campaigns"),
    (calendar_cli.app, "calendar"),
    (warnings_cli.app, "warnings"),
    (analytics_cli.app, "analytics"),
    (assessment_cli.app, "assessment"),
    (open311_cli.app, "open311"),
    (alerts_cli.app, "alerts"),
):
    app.add_typer(sub, name=name)

import_app.command("enterprises")(early_warning_cli.enterprises_command)
import_app.command("feed")(early_warning_cli.feed_command)

# Demo commands, under the groups where the how-tos look for them; their code is the demo's.
campaigns_cli.app.command("simulate")(campaign_cli.simulate)
alerts_cli.app.command("example")(alert_example.example_command)

console = Console()
DEMO_DB = Path("var/zhili-demo.sqlite")


def _settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


def _clock(settings: Settings, engine: Engine) -> Clock:
    """The system clock; the demo's movable clock only when ZHILI_DEMO_CLOCK asks for it (set by `zhili demo`)."""
    from zhili.demo.clock import demo_clock  # noqa: PLC0415 - imported when the command runs

    return demo_clock(engine) if settings.demo_clock else SystemClock()


def _upgrade(url: str) -> None:
    """Bring the database to the newest schema (Alembic is imported only by the commands that migrate)."""
    from zhili.core import migrate  # noqa: PLC0415 - imported when the command runs

    migrate.upgrade(url)


def _cli_actor() -> Actor:
    """The actor an operator command writes as."""
    from zhili.core.auth import system_actor  # noqa: PLC0415 - FastAPI comes with it: imported when the command runs

    return system_actor("cli")


def _serve(application: FastAPI, *, host: str, port: int) -> None:
    """Serve the app with uvicorn until stopped."""
    from zhili.core.serving import serve  # noqa: PLC0415 - imported when the command runs

    serve(application, host=host, port=port)


def _fail(exc: DomainError) -> typer.Exit:
    console.print(f"[red]error:[/red] {exc.detail}")
    return typer.Exit(code=2)


@app.command()
def demo(  # noqa: PLR0917 - typer passes options by position
    host: str = "127.0.0.1",
    port: int = 8000,
    seed: int = 20210723,
    database: Annotated[Path, typer.Option(help="SQLite file, rebuilt from scratch")] = DEMO_DB,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
    firms: Annotated[int, typer.Option(min=100, max=200_000, help="enterprises with three years of feeds")] = 20_000,
    cases: Annotated[int, typer.Option(min=100, max=100_000, help="cases in the year before today")] = 10_000,
) -> None:
    """Build a fresh embedded database with the Quzhou demo world, print the logins, and serve."""
    from zhili.app import create_app  # noqa: PLC0415 - imported when the command runs
    from zhili.demo.build import DEMO_PASSWORD, build_demo  # noqa: PLC0415 - imported when the command runs
    from zhili.worker import Worker, build_jobs, start_in_thread  # noqa: PLC0415 - imported when the command runs

    database.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    settings = _settings(database_url=f"sqlite:///{database}", demo_clock=True)
    if "public_url" not in settings.model_fields_set:  # links out (Open311 discovery, e-mails) lead to this server
        settings = settings.model_copy(update={"public_url": f"http://{host}:{port}"})
    started = time.perf_counter()
    with console.status("migrating") as status:
        _upgrade(settings.database_url)
        # The build checkpoints as it commits; once serving, the app's checkpointer takes over.
        engine = make_engine(settings.database_url, background_checkpoints=True)
        with session_scope(make_session_factory(engine)) as session:
            world, logins, built = build_demo(
                session,
                clock=SystemClock(),
                seed=seed,
                step=lambda text: status.update(f"building: {text}"),
                firms=firms,
                cases=cases,
            )
    console.print(
        f"Demo world built in {time.perf_counter() - started:.1f} s: {world.grids:,} grids, "
        f"{world.people:,} people, {world.posts:,} posts, {world.households:,} households, "
        f"{world.zones} zones, {world.grid_contacts:,} grid contacts, {built.cases:,} cases"
    )
    console.print(built.pilot.describe())
    table = Table(title=f"Demo logins (password: {DEMO_PASSWORD})")
    table.add_column("username")
    table.add_column("who")
    for login in logins:
        table.add_row(login.username, login.label)
    console.print(table)
    if serve_after:
        application = create_app(settings, clock=_clock(settings, engine), engine=engine)
        # The in-process worker: timers and outbox delivery on the demo's own (movable) clock.
        jobs = build_jobs(settings, make_session_factory(engine), application.state.services.clock)
        start_in_thread(Worker(jobs))
        console.print(f"Serving on http://{host}:{port} with the worker running  (Ctrl+C to stop)")
        _serve(application, host=host, port=port)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(help="reverse proxies whose X-Forwarded-For is trusted (comma-separated; ZHILI_TRUSTED_PROXIES)"),
    ] = None,
) -> None:
    """Serve the web app and API with the settings from ZHILI_ variables.

    An embedded SQLite database is brought to the newest schema first; PostgreSQL is migrated
    explicitly with `zhili db upgrade`, once, before its servers start. Behind a reverse proxy,
    name it in ZHILI_TRUSTED_PROXIES (or --forwarded-allow-ips) so that logins are throttled per
    real client address; by default no forwarded header is believed, not even from loopback.
    """
    from zhili.app import create_app  # noqa: PLC0415 - imported when the command runs

    settings = _settings() if forwarded_allow_ips is None else _settings(trusted_proxies=forwarded_allow_ips)
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        _upgrade(settings.database_url)
    console.print(f"Serving on http://{host}:{port}  (database: {settings.database_url.split('@')[-1]})")
    engine = make_engine(settings.database_url, echo=settings.sql_echo, background_checkpoints=True)
    application = create_app(settings, clock=_clock(settings, engine), engine=engine)
    _serve(application, host=host, port=port)


@app.command()
def worker(
    drain: Annotated[bool, typer.Option("--drain", help="do what is due now, then exit")] = False,
    idle_seconds: Annotated[float, typer.Option(help="pause between polls when there is nothing to do")] = 0.5,
) -> None:
    """Run the background worker: fire due timers and deliver the outbox, until SIGTERM or Ctrl+C.

    Several workers may run against one PostgreSQL database; with SQLite, run one. A worker
    killed at any moment loses nothing: what it had claimed comes due again after the lease.
    """
    from zhili.core.checkpoint import checkpointing  # noqa: PLC0415 - imported when the command runs
    from zhili.core.serving import settle_heap  # noqa: PLC0415 - imported when the command runs
    from zhili.worker import Worker, build_jobs  # noqa: PLC0415 - imported when the command runs

    settings = _settings()
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        _upgrade(settings.database_url)
    engine = make_engine(settings.database_url, background_checkpoints=True)
    clock = _clock(settings, engine)
    runner = Worker(build_jobs(settings, make_session_factory(engine), clock), idle_seconds=idle_seconds)
    if drain:
        console.print(f"{runner.drain():,} items handled")
        return
    runner.install_signal_handlers()
    console.print(f"worker running (database: {settings.database_url.split('@')[-1]}); SIGTERM or Ctrl+C stops it")
    settle_heap()
    with checkpointing(engine):  # a drain above is a one-off: its commits checkpoint as SQLite does
        runner.run_forever()
    console.print("worker stopped")


@notify_app.command("send")
def notify_send(  # noqa: PLR0917 - typer passes options by position
    title: Annotated[str, typer.Option(help="the headline")],
    body: Annotated[str, typer.Option(help="the text")] = "",
    person: Annotated[list[int] | None, typer.Option(help="a person id (repeatable)")] = None,
    division: Annotated[str | None, typer.Option(help="everyone holding a post under this division code")] = None,
    severity: Annotated[Severity, typer.Option(help="info, yellow or red (red ignores quiet hours)")] = Severity.INFO,
    topic: Annotated[str, typer.Option(help="what it is about; webhooks filter on it")] = "admin.notice",
    link: Annotated[str | None, typer.Option(help="a path in the app, e.g. /cases/42")] = None,
    key: Annotated[str | None, typer.Option(help="names the event: the same key never reaches anyone twice")] = None,
) -> None:
    """Queue a notification for some people: their inboxes at once, e-mail/SMS/webhooks through the worker."""
    from zhili.notify.service import notify  # noqa: PLC0415 - imported when the command runs
    from zhili.org.division_code import DivisionCode  # noqa: PLC0415 - imported when the command runs
    from zhili.org.models import Position  # noqa: PLC0415 - imported when the command runs

    if not person and not division:
        console.print("[red]error:[/red] name the recipients with --person or --division")
        raise typer.Exit(code=2)
    code = DivisionCode.parse(division)
    if division and code is None:
        console.print(f"[red]error:[/red] {division!r} is not a division code")
        raise typer.Exit(code=2)
    recipients = select(Position.person_id).where(code.subtree(Position.division_code)) if code else person or []
    clock = SystemClock()
    with session_scope(make_session_factory(make_engine(_settings().database_url))) as session:
        try:
            queued = notify(
                session,
                recipients=recipients,
                topic=topic,
                severity=severity,
                title=title,
                body=body,
                key=key or f"cli:{clock.now():%Y%m%d%H%M%S%f}",
                clock=clock,
                link=link,
            )
        except DomainError as exc:
            raise _fail(exc) from exc
        session.commit()
    counts = f"{queued.inbox_items:,} inbox items, {queued.messages:,} messages queued"
    console.print(f"notification {queued.notification_id}: {counts}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to ZHILI_DATABASE_URL."""
    settings = _settings()
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    _upgrade(settings.database_url)
    console.print("database is at the newest revision")


@import_app.command("divisions")
def import_divisions_command(
    root: Annotated[str, typer.Option(help="division code to import under (33 = all of Zhejiang)")] = "33",
) -> None:
    """Import the national division codes (and real county and city polygons) under ROOT."""
    from zhili.org.importing import import_catalogs, import_divisions  # noqa: PLC0415 - imported when the command runs

    settings = _settings()
    with (
        session_scope(make_session_factory(make_engine(settings.database_url))) as session,
        console.status("importing divisions"),
    ):
        try:
            actor, clock = _cli_actor(), SystemClock()
            import_catalogs(session, actor=actor, clock=clock)
            inserted = import_divisions(session, root=root, actor=actor, clock=clock)
        except DomainError as exc:
            raise _fail(exc) from exc
    console.print(f"imported {inserted:,} new divisions under {root}")


@import_app.command("departments")
def import_departments_command(
    root: Annotated[str, typer.Option(help="division code to create units under (3308 = Quzhou)")] = "3308",
) -> None:
    """Create one unit of each department kind at every city, county and township under ROOT."""
    from zhili.org.importing import instantiate_departments  # noqa: PLC0415 - imported when the command runs

    settings = _settings()
    with (
        session_scope(make_session_factory(make_engine(settings.database_url))) as session,
        console.status("creating department units"),
    ):
        try:
            units = instantiate_departments(session, root=root, actor=_cli_actor(), clock=SystemClock())
        except DomainError as exc:
            raise _fail(exc) from exc
    console.print(f"{len(units):,} department units under {root}")


@import_app.command("grids")
def import_grids_command(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Import real grid boundaries from a GeoJSON FeatureCollection (all or nothing)."""
    from zhili.org.grid_import import import_grids  # noqa: PLC0415 - imported when the command runs

    settings = _settings()
    with (
        session_scope(make_session_factory(make_engine(settings.database_url))) as session,
        console.status(f"checking and importing {file.name}"),
    ):
        try:
            done = import_grids(session, file.read_bytes(), source=file.name, actor=_cli_actor(), clock=SystemClock())
        except DomainError as exc:
            raise _fail(exc) from exc
    console.print(f"grids: {len(done.inserted)} inserted, {len(done.updated)} updated")


@users_app.command("create")
def users_create(
    username: str,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, envvar="ZHILI_NEW_PASSWORD")
    ],
    person_id: Annotated[int | None, typer.Option(help="the person this login acts as")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="an administrator with the whole scope")] = False,
) -> None:
    """Create a login (argon2-hashed password)."""
    from zhili.access.service import create_account  # noqa: PLC0415 - imported when the command runs

    settings = _settings()
    with session_scope(make_session_factory(make_engine(settings.database_url))) as session:
        try:
            account = create_account(
                session,
                username=username,
                password=password,
                person_id=person_id,
                is_admin=admin,
                actor=_cli_actor(),
                clock=SystemClock(),
            )
        except DomainError as exc:
            raise _fail(exc) from exc
    console.print(f"created account {account.username} (id {account.id})")


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the hash chain of the audit record; exit 1 if any row was edited, deleted or inserted."""
    from zhili.core import audit  # noqa: PLC0415 - imported when the command runs

    settings = _settings()
    readers = make_session_factory(make_engine(settings.database_url), read_only=True)
    with (
        session_scope(readers) as session,
        console.status("verifying the audit chain"),
    ):
        report = audit.verify(session)
    if report.is_intact:
        console.print(f"[green]audit chain intact[/green]: {report.checked:,} records verified")
        return
    for problem in report.problems[:50]:
        console.print(f"[red]✗[/red] {problem}")
    console.print(f"[red]audit chain broken[/red]: {len(report.problems)} problem(s) in {report.checked:,} records")
    raise typer.Exit(code=1)


def _readers() -> sessionmaker[Session]:
    return make_session_factory(make_engine(_settings().database_url), read_only=True)


@matters_app.command("list")
def matters_list() -> None:
    """The current version of every matter in the database."""
    from zhili.matters import queries as matter_queries  # noqa: PLC0415 - imported when the command runs

    with session_scope(_readers()) as session:
        matters = matter_queries.list_current(session)
    table = Table(title=f"Matter catalog: {len(matters)} matters")
    for column in ("code", "名称", "name", "lead", "collaborators", "level", "version", "assignment"):
        table.add_column(column)
    for m in matters:
        assignment = "editable default" if m.is_default_assignment else "seed"
        collaborators = ", ".join(m.collaborator_kinds)
        table.add_row(
            m.code, m.name_zh, m.name_en, m.lead_kind, collaborators, m.handling_level, str(m.version), assignment
        )
    console.print(table)
    if not matters:
        console.print("no matters loaded yet: run `zhili matters reload`")


@matters_app.command("show")
def matters_show(code: str) -> None:
    """One matter: its current definition and its versions."""
    from zhili.matters import queries as matter_queries  # noqa: PLC0415 - imported when the command runs

    with session_scope(_readers()) as session:
        try:
            matter = matter_queries.get_matter(session, code)
        except DomainError as exc:
            raise _fail(exc) from exc
    definition = matter.latest.definition
    console.print(f"[bold]{definition.name_zh}[/bold] · {definition.name_en} ({code}, version {matter.latest.version})")
    console.print(f"lead: {definition.lead_kind}; collaborators: {', '.join(definition.collaborator_kinds) or '-'}")
    console.print(
        f"level: {definition.handling_level}; enforcement item: {definition.enforcement_item or '-'}; "
        f"urgent: {definition.urgent}; editable default: {definition.is_default_assignment}"
    )
    console.print(f"evidence to close: {', '.join(definition.evidence_to_close)}")
    console.print(f"duplicates: within {definition.duplicates.distance_m} m and {definition.duplicates.hours} h")
    ladder = ", ".join(f"{step.action} at {step.at:g}" for step in definition.escalation)
    console.print(f"escalation: {ladder}")
    for table in (_limits_table(definition), _attributes_table(definition), _versions_table(matter)):
        console.print(table)


def _limits_table(definition: MatterDefinition) -> Table:
    from zhili.matters.definition import Phase  # noqa: PLC0415 - imported when the command runs

    table = Table(title="time limits")
    table.add_column("handler")
    for phase in Phase:
        table.add_column(phase.value)
    for level, phases in definition.limits.items():
        table.add_row(level.value, *(f"{phases[p].amount} {phases[p].unit}" for p in Phase))
    return table


def _attributes_table(definition: MatterDefinition) -> Table:
    table = Table(title="intake attributes")
    for column in ("#", "code", "名称", "datatype", "required", "values"):
        table.add_column(column)
    for a in sorted(definition.attributes, key=lambda attribute: attribute.order):
        values = ", ".join(value.key for value in a.values)
        table.add_row(str(a.order), a.code, a.name_zh, a.datatype.value, "yes" if a.required else "", values)
    return table


def _versions_table(matter: MatterRead) -> Table:
    table = Table(title="versions")
    for column in ("version", "id", "loaded at", "content hash", "current"):
        table.add_column(column)
    for v in matter.versions:
        loaded = f"{v.loaded_at:%Y-%m-%d %H:%M} UTC"
        table.add_row(str(v.version), str(v.id), loaded, v.content_hash[:12], "yes" if v.is_current else "")
    return table


@matters_app.command("reload")
def matters_reload() -> None:
    """Load the packaged matter files: new matters become version 1, changed ones a new version."""
    from zhili.matters.service import sync_catalog  # noqa: PLC0415 - imported when the command runs

    settings = _settings()
    with session_scope(make_session_factory(make_engine(settings.database_url))) as session:
        try:
            report = sync_catalog(session, actor=_cli_actor(), clock=SystemClock())
        except DomainError as exc:
            raise _fail(exc) from exc
    new_versions = ", ".join(f"{code} v{version}" for code, version in report.new_versions.items())
    console.print(f"added: {len(report.added)} {', '.join(report.added)}".rstrip())
    console.print(f"new versions: {len(report.new_versions)} {new_versions}".rstrip())
    if report.restored or report.withdrawn:
        console.print(f"restored: {', '.join(report.restored) or '-'}; withdrawn: {', '.join(report.withdrawn) or '-'}")
    if report.superseded:
        replaced = ", ".join(f"{code} v{version}" for code, version in report.superseded.items())
        console.print(f"page edits replaced by a changed file: {replaced}")
    console.print(f"unchanged: {len(report.unchanged)}")


def main() -> None:
    """Entry point of the `zhili` console script."""
    app()


DemoDatabase = Annotated[Path, typer.Option(help="the demo's SQLite file", exists=True, dir_okay=False)]


def _demo_sessions(database: Path) -> sessionmaker[Session]:
    return make_session_factory(make_engine(f"sqlite:///{database}"))


@clock_app.command("show")
def clock_show(database: DemoDatabase = DEMO_DB) -> None:
    """Print the demo clock's time and how far it runs ahead of the wall clock."""
    from zhili.clocks.calendar import CHINA  # noqa: PLC0415 - imported when the command runs
    from zhili.demo import clock as demo_clock_store  # noqa: PLC0415 - imported when the command runs

    sessions = _demo_sessions(database)
    with sessions() as session:
        offset = demo_clock_store.read_offset(session)
    console.print(f"demo time {(SystemClock().now() + offset).astimezone(CHINA):%Y-%m-%d %H:%M} (+{offset})")


@clock_app.command("advance")
def clock_advance(
    duration: Annotated[str, typer.Argument(help="how far: 30m, 4h, 2d, 1d6h")],
    database: DemoDatabase = DEMO_DB,
    fire: Annotated[bool, typer.Option("--fire/--no-fire", help="fire what fell due here, now")] = True,
) -> None:
    """Move the demo clock forward; the running demo (and its worker) follow within a second."""
    from zhili.clocks.calendar import CHINA  # noqa: PLC0415 - imported when the command runs
    from zhili.demo import clock as demo_clock_store  # noqa: PLC0415 - imported when the command runs
    from zhili.worker import Worker, timer_job  # noqa: PLC0415 - imported when the command runs

    try:
        delta = demo_clock_store.parse_duration(duration)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from exc
    sessions = _demo_sessions(database)
    with sessions() as session:
        offset = demo_clock_store.advance(session, delta, now=SystemClock().now())
    clock = OffsetClock(SystemClock(), lambda: offset)
    console.print(f"demo time {clock.now().astimezone(CHINA):%Y-%m-%d %H:%M} (+{offset})")
    if fire:
        fired = Worker([timer_job(sessions, clock, batch_size=2_000)]).drain()
        console.print(f"{fired:,} timers fired (a case's ladder timer issues every rung due on it)")


@clock_app.command("reset")
def clock_reset(database: DemoDatabase = DEMO_DB) -> None:
    """Put the demo clock back on the wall clock (what already happened stays)."""
    from zhili.demo import clock as demo_clock_store  # noqa: PLC0415 - imported when the command runs

    sessions = _demo_sessions(database)
    with sessions() as session:
        demo_clock_store.advance(session, -demo_clock_store.read_offset(session), now=SystemClock().now())
    console.print("demo clock follows the wall clock again")
