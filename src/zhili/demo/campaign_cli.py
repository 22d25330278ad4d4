"""`zhili campaigns simulate`, for demos: a share of a campaign's recipients respond, on the demo clock.

The command hangs under `zhili campaigns` (the CLI adds it there), but it is demo code: it writes the
tasks through the task store's set-based `move_many` (`campaign_responses`) and reads the demo's movable clock.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from zhili.core.clock import Clock, FrozenClock
from zhili.core.db import commit, make_engine, make_session_factory
from zhili.core.errors import DomainError

if TYPE_CHECKING:
    from zhili.demo.campaign_responses import Script, Shares

console = Console()
DEMO_DB = Path("var/zhili-demo.sqlite")


def simulate(  # noqa: PLR0917 - typer passes options by position
    campaign_id: Annotated[int, typer.Argument(help="the campaign whose recipients respond")],
    claim: Annotated[float, typer.Option(min=0.0, max=1.0, help="share of all recipients who claim")] = 0.9,
    report: Annotated[float, typer.Option(min=0.0, max=1.0, help="share of all recipients who report")] = 0.7,
    over: Annotated[str, typer.Option(help="demo time the responses spread over: 30m, 2h, 1d")] = "2h",
    steps: Annotated[int, typer.Option(min=1, max=10_000, help="write in this many slices of that time")] = 1,
    pause: Annotated[float, typer.Option(min=0.0, help="seconds to wait between slices (watch the board)")] = 0.0,
    seed: Annotated[int, typer.Option(help="the same seed picks the same people")] = 20210723,
    database: Annotated[Path, typer.Option(help="the demo's SQLite file", exists=True, dir_okay=False)] = DEMO_DB,
) -> None:
    """For demos: make a share of a campaign's recipients read, claim and report, written straight to the tasks.

    No notifications, points or per-task records are written (the task service writes those); the
    run is recorded by one audit record, campaign.simulated.
    """
    from zhili.campaigns.lifecycle import TaskState  # noqa: PLC0415 - imported when the command runs
    from zhili.demo.campaign_responses import RANK, Shares  # noqa: PLC0415 - imported when the command runs
    from zhili.demo.clock import demo_clock, parse_duration  # noqa: PLC0415 - imported when the command runs

    try:
        shares = Shares(claim=claim, report=report, over=parse_duration(over), seed=seed)
    except (ValueError, DomainError) as exc:
        console.print(f"[red]error:[/red] {getattr(exc, 'detail', exc)}")
        raise typer.Exit(code=2) from exc
    engine = make_engine(f"sqlite:///{database}")
    try:
        script = _run(
            make_session_factory(engine), campaign_id, shares, steps=steps, pause=pause, clock=demo_clock(engine)
        )
    except DomainError as exc:
        console.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(code=2) from exc
    finally:
        engine.dispose()
    reached = [RANK[state] for state in script.states.values()]
    read = sum(r >= RANK[TaskState.READ] for r in reached)
    claimed = sum(r >= RANK[TaskState.CLAIMED] for r in reached)
    reported = sum(r == RANK[TaskState.REPORTED] for r in reached)
    console.print(
        f"campaign {campaign_id}: {len(script.moves):,} picked to respond; "
        f"{read:,} have read, {claimed:,} claimed, {reported:,} reported"
    )


def _run(
    sessions: sessionmaker[Session], campaign_id: int, shares: Shares, *, steps: int, pause: float, clock: Clock
) -> Script:
    """Plan and audit in the first transaction, then one transaction per slice of time."""
    from zhili.core.auth import system_actor  # noqa: PLC0415 - FastAPI comes with it: imported when the command runs
    from zhili.demo.campaign_responses import apply_until, start_simulation, step_instants  # noqa: PLC0415 - imported when the command runs

    # Read the demo clock before taking the write lock: it reads its offset on a connection of its own.
    now = FrozenClock(clock.now())
    with sessions() as session:
        script = start_simulation(session, campaign_id=campaign_id, shares=shares, actor=system_actor("cli"), clock=now)
        for n, until in enumerate(step_instants(script, steps) or [now.now()], start=1):
            moved = apply_until(session, script, until)
            commit(session)
            console.print(f"step {n}/{steps}: {moved:,} tasks moved (up to {until:%Y-%m-%d %H:%M} UTC)")
            if pause and n < steps:
                time.sleep(pause)
    return script
