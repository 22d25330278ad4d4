"""`zhili warnings run --month YYYY-MM` and `zhili warnings evaluate --labels FILE`: an operator's commands.

Both read the configured database (ZHILI_DATABASE_URL, or `--database`/`--url`). `run` scores every
registered firm in the month, stores the warnings and opens or joins cases, as the system, printing
its progress. `evaluate` judges the detectors on whatever feeds are in the database against a labels
file (credit code, arrears month) that the detectors never saw, beside a plain Isolation Forest in
the same run: the figures of docs/reference/early-warning.md.
"""

from __future__ import annotations

import csv
import io
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from zhili.core.clock import SystemClock
from zhili.core.db import make_session_factory
from zhili.core.months import Month
from zhili.early_warning.cli import DatabaseFile, DatabaseUrl, engine_for
from zhili.org import credit_code

if TYPE_CHECKING:
    from zhili.early_warning.evaluation import Quality

app = typer.Typer(help="Early warning of wage arrears (事前预警).", no_args_is_help=True)
console = Console()
HISTORY = 24  # months judged when --from is not given


def _month(text: str | None) -> Month | None:
    if text is None:
        return None
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command("run")
def run(
    month: Annotated[str, typer.Option(help="the month to score, YYYY-MM")],
    database: DatabaseFile = None,
    url: DatabaseUrl = None,
) -> None:
    """Score every registered firm in MONTH, store its warnings, open or join their cases."""
    from zhili.early_warning.run import run_month  # noqa: PLC0415 - imported when the command runs
    from zhili.org.geo import LocatorCache  # noqa: PLC0415

    chosen = _month(month)
    assert chosen is not None  # noqa: S101 - a required option
    engine = engine_for(database, url)
    started = time.perf_counter()

    def progress(text: str) -> None:
        console.print(f"  {time.perf_counter() - started:5.1f} s  {text}")

    with console.status("running"):
        summary = run_month(
            make_session_factory(engine),
            month=chosen,
            clock=SystemClock(),
            locators=LocatorCache(),
            progress=progress,
        )
    console.print(
        f"{chosen}: {summary.scored:,} firms scored, {summary.warnings:,} warnings, "
        f"{summary.cases_opened:,} cases opened, {summary.cases_joined:,} joined open cases "
        f"(run {summary.run_id}, {time.perf_counter() - started:.1f} s)"
    )


@app.command("evaluate")
def evaluate_command(  # noqa: PLR0917 - typer passes options by position
    labels: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="CSV: credit_code, arrears_month")],
    from_: Annotated[str | None, typer.Option("--from", help="first judged month (default: 24 before --to)")] = None,
    to: Annotated[str | None, typer.Option(help="last judged month (default: the newest month in the feeds)")] = None,
    capacity: Annotated[int | None, typer.Option(help="inspections a month (default: 0.5 % of firms)")] = None,
    horizon: Annotated[int, typer.Option(help="a warning counts if arrears follow within this many months")] = 3,
    database: DatabaseFile = None,
    url: DatabaseUrl = None,
) -> None:
    """Judge the detectors on the feeds in the database against LABELS, beside an Isolation Forest baseline."""
    from zhili.early_warning import detector_store  # noqa: PLC0415 - imported when the command runs
    from zhili.early_warning.evaluation import arrears_columns  # noqa: PLC0415
    from zhili.early_warning.feeds.packed import load_panel  # noqa: PLC0415
    from zhili.early_warning.judging import Protocol, judge  # noqa: PLC0415
    from zhili.early_warning.models import Enterprise  # noqa: PLC0415
    from zhili.early_warning.queries import latest_month  # noqa: PLC0415

    engine = engine_for(database, url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        last = _month(to) or latest_month(session)
        if last is None:
            raise typer.BadParameter("no feeds in the database")
        first = _month(from_) or last + (1 - HISTORY)
        _config_id, config = detector_store.current(session, now=SystemClock().now())
        codes = dict(session.execute(select(Enterprise.id, Enterprise.credit_code)).all())
    known = {code: firm for firm, code in codes.items()}
    arrears, unknown = _labels(labels.read_bytes(), known)
    console.print(f"labels: {len(arrears):,} firms with an arrears month; {len(unknown):,} not in the register")
    with sessions() as session:
        panel = load_panel(session, first + -config.baseline.window, last)
    columns = arrears_columns([arrears.get(int(firm)) for firm in panel.firm_ids], panel.first)
    chosen = capacity or max(1, round(len(panel.firm_ids) * 0.005))
    judgement = judge(panel, config, columns, Protocol(capacity=chosen, horizon=horizon))
    _print(first, last, chosen, judgement.ours, judgement.baseline)


def _labels(data: bytes, known: dict[str, int]) -> tuple[dict[int, Month], list[str]]:
    text = data.decode("utf-8-sig")
    found: dict[int, Month] = {}
    unknown: list[str] = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise typer.BadParameter(f"labels line {reader.line_num}: not valid CSV ({exc})") from exc
    for number, row in enumerate(rows, start=2):
        try:
            code = credit_code.normalise(row.get("credit_code") or "")
            month = Month.parse(row.get("arrears_month") or "")
        except ValueError as exc:
            raise typer.BadParameter(f"labels line {number}: {exc}") from exc
        if code in known:
            firm = known[code]
            found[firm] = min(found.get(firm, month), month)
        else:
            unknown.append(code)
    return found, unknown


def _print(first: Month, last: Month, capacity: int, ours: Quality, theirs: Quality | None) -> None:
    table = Table(title=f"{first} – {last}: {ours.events} arrears events, capacity {capacity} a month")
    for heading in ("", "precision@k", "recall", "PR-AUC", "ROC-AUC", "median lead", "warnings /100k/mo"):
        table.add_column(heading, justify="right")
    for name, quality in (("ours", ours), ("Isolation Forest", theirs)):
        if quality is None:
            continue
        table.add_row(
            name,
            f"{quality.precision_at_capacity:.3f}",
            f"{quality.recall:.3f}",
            f"{quality.pr_auc:.3f}",
            f"{quality.roc_auc:.3f}",
            "—" if math.isnan(quality.median_lead_months) else f"{quality.median_lead_months:.1f}",
            f"{quality.warnings_per_100k:,.0f}",
        )
    console.print(table)
