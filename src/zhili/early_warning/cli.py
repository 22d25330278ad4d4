"""`zhili import enterprises FILE` and `zhili import feed KIND FILE`: the register and the department feeds by CSV.

Both write to the configured database (ZHILI_DATABASE_URL, or `--database`/`--url`) as the system, and
print what was stored and every refused row with its line and reason (all of them to `--rejections`).
The exit status is 2 when the whole file is refused (unknown columns, not CSV), 0 otherwise.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhili.core.clock import SystemClock
from zhili.core.db import make_engine, make_session_factory
from zhili.core.errors import DomainError
from zhili.core.settings import Settings
from zhili.early_warning.feeds.csv_text import CsvText, decode
from zhili.early_warning.feeds.rows import FeedRefusedError, Rejection
from zhili.early_warning.feeds.schema import FeedKind, Mode

if TYPE_CHECKING:
    from zhili.early_warning.feeds.service import ImportReport
    from zhili.early_warning.register import RegisterReport

console = Console()
ReportT = TypeVar("ReportT", "ImportReport", "RegisterReport")
SHOWN = 30  # refusals printed; all go to --rejections

CsvFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="the CSV file")]
DatabaseFile = Annotated[
    Path | None, typer.Option(help="an SQLite file (default: ZHILI_DATABASE_URL)", exists=True, dir_okay=False)
]
DatabaseUrl = Annotated[str | None, typer.Option(help="a database URL instead of --database (PostgreSQL)")]
RejectionsFile = Annotated[Path | None, typer.Option(help="write every refused row (line, column, reason) here")]


def engine_for(database: Path | None, url: str | None) -> Engine:
    """The engine of `--url`, else `--database`, else ZHILI_DATABASE_URL."""
    return make_engine(url or (f"sqlite:///{database}" if database else Settings().database_url))


def feed_command(  # noqa: PLR0917 - typer passes options by position
    kind: Annotated[FeedKind, typer.Argument(help="the feed: " + ", ".join(FeedKind))],
    file: CsvFile,
    mode: Annotated[Mode, typer.Option(help="replace the months the file covers, or merge its rows")] = Mode.REPLACE,
    database: DatabaseFile = None,
    url: DatabaseUrl = None,
    rejections: RejectionsFile = None,
) -> None:
    """Import a department feed from CSV (columns: docs/reference/feeds.md)."""
    from zhili.core.auth import system_actor  # noqa: PLC0415 - FastAPI comes with it: imported when the command runs
    from zhili.early_warning.feeds.service import import_feed  # noqa: PLC0415 - imported when the command runs

    def load(session: Session, parsed: CsvText) -> ImportReport:
        return import_feed(
            session,
            actor=system_actor("cli"),
            clock=SystemClock(),
            kind=kind,
            header=parsed.header,
            rows=parsed.rows(),
            source=file.name,
            mode=mode,
        )

    report = _import(file, engine_for(database, url), load)
    months = f"{report.months[0]} – {report.months[-1]}" if report.months else "none"
    console.print(
        f"{kind}: batch {report.batch_id} ({report.mode}), {report.accepted:,} rows stored for months {months}, "
        f"{len(report.rejected):,} refused"
    )
    _show_rejections(report.rejected, rejections)


def enterprises_command(
    file: CsvFile,
    database: DatabaseFile = None,
    url: DatabaseUrl = None,
    rejections: RejectionsFile = None,
) -> None:
    """Add or update enterprises of the register from CSV (columns: docs/reference/feeds.md)."""
    from zhili.core.auth import system_actor  # noqa: PLC0415 - FastAPI comes with it: imported when the command runs
    from zhili.early_warning.register import register_enterprises  # noqa: PLC0415 - imported when the command runs
    from zhili.org.geo import LocatorCache  # noqa: PLC0415

    def load(session: Session, parsed: CsvText) -> RegisterReport:
        return register_enterprises(
            session,
            actor=system_actor("cli"),
            clock=SystemClock(),
            locators=LocatorCache(),
            header=parsed.header,
            rows=parsed.rows(),
            source=file.name,
        )

    report = _import(file, engine_for(database, url), load)
    console.print(f"register: {report.added:,} added, {report.updated:,} updated, {len(report.rejected):,} refused")
    _show_rejections(report.rejected, rejections)


def _import(file: Path, engine: Engine, load: Callable[[Session, CsvText], ReportT]) -> ReportT:
    """Read the file and load it in one session; a refused file prints why and exits with 2."""
    try:
        parsed = decode(file.read_bytes())
        with make_session_factory(engine)() as session:
            return load(session, parsed)
    except (FeedRefusedError, DomainError) as exc:
        console.print(f"[red]refused:[/red] {getattr(exc, 'detail', exc)}")
        raise typer.Exit(code=2) from exc


def _show_rejections(rejected: Sequence[Rejection], path: Path | None) -> None:
    if rejected:
        table = Table(title=f"refused rows (first {min(SHOWN, len(rejected))} of {len(rejected):,})")
        for heading in ("line", "column", "reason"):
            table.add_column(heading)
        for rejection in rejected[:SHOWN]:
            table.add_row(str(rejection.line), rejection.column or "", rejection.reason)
        console.print(table)
    if path is not None:
        with path.open("w", newline="", encoding="utf-8-sig") as out:
            writer = csv.writer(out)
            writer.writerow(["line", "column", "reason"])
            writer.writerows([(r.line, r.column or "", r.reason) for r in rejected])
        console.print(f"all refusals written to {path}")
