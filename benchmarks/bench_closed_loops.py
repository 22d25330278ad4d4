"""Complete closed loops per second through the case service layer on SQLite.

Run as ``python benchmarks/bench_closed_loops.py [--loops N] [--profile]`` from the project root.
It builds a fresh SQLite file (``_setup.build_world``: Quzhou's divisions, grids and units, the matter
catalog, a grid worker of 府山街道, the 柯城区 governance centre and a 柯城区 traffic police officer)
and then runs N closed loops of an illegal-parking case, each step through ``cases.service`` in its
own session and transaction, exactly as an API request does:

    report (grid worker, a random point in their grid) → accept → dispatch (centre)
    → sign → start → photo → reply with photo, GPS and text (traffic police)
    → verify (grid worker) → close (traffic police) → rate (grid worker)

As under ``zhili serve``, the loops run with the WAL checkpointer (``core.checkpoint``): commits do
not checkpoint the WAL themselves.

The reply cites a photo uploaded to the case just before it (``cases.photos.attach_photo``, a 1x1
PNG), as the matter's evidence rules require: one report, one photo and 8 commands make 10
transactions a loop. The floor, measured in the same run on the same engine, is as many
transactions each doing one bare INSERT (SQLAlchemy Core) and a commit. The lower bound of a command
is as many transactions each making, on the bare driver and the real tables, the six statements no
command can shed (``command_floor_seconds``): the distance from it is what the code around the
statements costs (ADR 0014). For context it also prints the pure lifecycle alone
(``lifecycle.open_case`` / ``step`` in memory).

The peer, run in the same run when its environment exists (``$PEERS_VENV``, default
``/tmp/peers-venv``; see ``../shared/peers/README.md``): SpiffWorkflow 3.2, a BPMN engine closing the
same 10-step loop with the workflow serialised to SQLite after every step
(``../shared/peers/spiff_lifecycle.py``, about 90 s). Targets (issue 11): at least 1.5x the peer's
loops/s and within 6x the bare-commit floor's time per transaction. The peer's headline keeps each
workflow in memory from one step to the next and only writes it; its script also runs the loop as
a server must, each step a request that reads the workflow back (SELECT and deserialise) before it
acts ("round trip"), as every Zhili command reads its case. Both are printed with our ratio to each;
the target is judged on the headline. A miss is printed, not failed;
the exit status is 1 only on an error (a loop that did not end rated, a broken audit chain).
``--profile`` runs the loops under cProfile and prints the top costs; ``--no-peer`` skips the peer.

Then two concurrent phases (``--clients N``, 16 by default; 0 skips them), each as many loops again,
from N threads each closing its share one loop after another: first every step in a transaction of
its own (the writers queue on SQLite's write lock), then every step through group commit
(``core.group_commit.GroupCommitter``: the steps queued behind each other share one COMMIT, each
answered after it). Printed: loops/s of both, the units a COMMIT, the CPU a loop, and the grouped
rate against the peer's serial one (the peer runs one loop at a time; its SQLite writer would queue
the same way).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import hashlib
import io
import os
import pstats
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Awaitable, Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session

from _setup import PARKING_ATTRIBUTES, PHOTO, REPLY_EVIDENCE, BenchWorld, build_world, points_in
from zhili.cases import lifecycle as lc
from zhili.cases import photos, service, states
from zhili.cases.commands import COMMAND_BODY, CommandBody
from zhili.cases.models import Case, CaseEvent
from zhili.cases.schemas import CaseCreate
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.checkpoint import checkpointing
from zhili.core.clock import SystemClock
from zhili.core.db import make_session_factory, session_scope
from zhili.core.group_commit import GroupCommitter, GroupStats
from zhili.matters import queries as matters
from zhili.matters.definition import EvidenceKind
from zhili.org.geo import LocatorCache

TARGET_PEER_RATIO = 1.5  # at least this many times the peer's loops/s
TARGET_FLOOR_RATIO = 6.0  # at most this many times the bare-commit floor's time per transaction
PEER_SCRIPT = Path(__file__).resolve().parents[2] / "shared" / "peers" / "spiff_lifecycle.py"
LOOPS = 2_000
WARMUP = 50
TRANSACTIONS_PER_LOOP = 10  # the report, the photo and 8 commands
COMMANDS_PER_LOOP = 8
EVENTS_PER_LOOP = 12  # report, routed, contact_informed, photo_added and one per command
PURE_LOOPS = 20_000
CLIENTS = 16  # concurrent clients of the group-commit phases
# Who issues each command, and its arguments besides the version; the photo is uploaded before the reply.
STEPS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("centre", {"command": "accept"}),
    ("centre", {"command": "dispatch"}),
    ("traffic", {"command": "sign"}),
    ("traffic", {"command": "start"}),
    ("traffic", {"command": "reply", "text": "车辆已拖离，人行道已清理"}),
    ("worker", {"command": "verify"}),
    ("traffic", {"command": "close"}),
    ("worker", {"command": "rate", "rating": "satisfied", "comment": "处理及时"}),
)
Submit = Callable[[Callable[[Session], Any]], Awaitable[Any]]
GIVEN_EVIDENCE = [{"kind": kind, "ref": ref} for kind, ref in REPLY_EVIDENCE]


class Loops:
    """Runs closed loops through the services, one session and one commit per step, as the API does.

    `steps` gives a loop as the units of work its requests run; `run` runs each alone, and the
    concurrent phases hand them to a writer (`serve_clients`).
    """

    def __init__(self, world: BenchWorld, locators: LocatorCache) -> None:
        self.world = world
        self.sessions = make_session_factory(world.engine)
        self.locators = locators  # one for every phase, as a server's: the warm-up built its locator
        self.clock = SystemClock()
        self.case_ids: list[int] = []

    def alone(self, work: Callable[[Session], Any]) -> Any:
        """Run one unit of work in a session and transaction of its own."""
        with session_scope(self.sessions) as session:
            return work(session)

    def run_all(self, points: list[tuple[float, float]]) -> None:
        """One loop at each point, in turn."""
        for point in points:
            self.run(point)

    def run(self, point: tuple[float, float]) -> None:
        """One loop: report, then the commands, each in its own session and transaction."""
        loop, result = self.steps(point), None
        with contextlib.suppress(StopIteration):
            while True:
                result = self.alone(loop.send(result))

    def steps(self, point: tuple[float, float]) -> Generator[Callable[[Session], Any], Any, None]:
        """One loop as the units of work its requests run, each sent the answer of the one before."""
        actors, clock = self.world.actors, self.clock
        data = CaseCreate.model_validate(
            {
                "matter": "illegal_parking",
                "point": {"lon": point[0], "lat": point[1]},
                "description": "人行道上停了一辆车，挡住了盲道",
                "channel": "phone",
                "attributes": PARKING_ATTRIBUTES,
            }
        )
        case = yield lambda s: service.report_case(
            s, data=data, actor=actors["worker"], clock=clock, locators=self.locators
        )
        case_id, version = case.id, case.version
        for who, arguments in STEPS:
            actor = actors[who]
            if arguments["command"] == "reply":
                photo = yield lambda s, a=actor: photos.attach_photo(
                    s, case_id=case_id, data=PHOTO, actor=a, clock=clock
                )
                evidence = [{"kind": "photo", "ref": f"photo:{photo.id}"}, *GIVEN_EVIDENCE]
                arguments = {**arguments, "evidence": evidence}  # noqa: PLW2901 - the reply cites the photo
            body = COMMAND_BODY.validate_python({**arguments, "version": version})
            case = yield from self.command(case_id, body, actor)
            version = case.version
        self.case_ids.append(case_id)

    def command(self, case_id: int, body: CommandBody, actor: Actor) -> Generator[Callable[[Session], Any], Any, Any]:
        """A command's units of work (one: `service.run_command`); gives the case as saved."""
        clock = self.clock
        return (yield lambda s: service.run_command(s, case_id=case_id, body=body, actor=actor, clock=clock))


def serve_clients(loops: Loops, points: list[tuple[float, float]], clients: int, submit: Submit) -> float:
    """`clients` coroutines on one event loop, as a server's requests: each closes its share of the loops in turn.

    Each unit of work goes to the writer through `submit` (awaited); the wall seconds of the whole.
    """

    async def client(share: list[tuple[float, float]]) -> None:
        for point in share:
            loop, result = loops.steps(point), None
            with contextlib.suppress(StopIteration):
                while True:
                    result = await submit(loop.send(result))

    async def run_all() -> None:
        await asyncio.gather(*(client(points[n::clients]) for n in range(clients)))

    started = time.perf_counter()
    asyncio.run(run_all())
    return time.perf_counter() - started


@dataclass
class Together:
    """The concurrent phases: the same loops from several clients, each step alone, then through group commit."""

    clients: int
    alone_s: float
    grouped_s: float
    grouped_cpu_s: float
    stats: GroupStats
    case_ids: list[int]

    def lines(self, loops: int, peer: Peer | None, floor_s: float) -> list[str]:
        """Their figures; the grouped rate against the peer's (headline, round trip) and against the floor."""
        per_commit = self.stats.units / max(1, self.stats.batches + self.stats.alone)
        grouped = loops / self.grouped_s
        verdict = "peer not run"
        if peer is not None:
            verdict = f"{grouped / peer.headline:.2f}x the peer's headline"
            if peer.round_trip is not None:
                verdict += f", {grouped / peer.round_trip:.2f}x its round trip"
        return [
            f"concurrent: {self.clients} clients on one event loop, {loops:,} loops, each step alone on one writer",
            f"  {'loops/s':<46}{loops / self.alone_s:>12,.1f}",
            f"concurrent: the same through group commit (core.group_commit), {per_commit:.1f} units a COMMIT",
            f"  {'loops/s':<46}{grouped:>12,.1f}  ({verdict})",
            f"  {'CPU ms a loop':<46}{self.grouped_cpu_s / loops * 1000:>12.2f}",
            f"  {'time per transaction against the floor':<46}{self.grouped_s / floor_s:>11.1f}x",
        ]


def concurrent_phases(loops: Loops, points: list[tuple[float, float]], clients: int) -> Together:
    """The loops of `points` (two halves) from `clients` clients: each step alone, then through group commit."""
    world, half = loops.world, len(points) // 2
    alone = Loops(world, loops.locators)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="writer") as writer:  # as run_writes on SQLite
        alone_s = serve_clients(
            alone, points[:half], clients, lambda work: asyncio.wrap_future(writer.submit(alone.alone, work))
        )
    with GroupCommitter() as committer:
        grouped = Loops(world, loops.locators)
        cpu_started = time.process_time()
        grouped_s = serve_clients(
            grouped, points[half:], clients, lambda work: committer.run_async(work, grouped.sessions)
        )
        grouped_cpu_s = time.process_time() - cpu_started
    return Together(clients, alone_s, grouped_s, grouped_cpu_s, committer.stats, alone.case_ids + grouped.case_ids)


def timed(run: Callable[[], object]) -> float:
    """Seconds that `run` took."""
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def floor_seconds(world: BenchWorld, transactions: int) -> float:
    """`transactions` transactions on the same engine, each one bare Core INSERT and a commit."""
    table = Table(
        "bench_floor",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("n", Integer),
        Column("label", String(40)),
    )
    table.create(world.engine)
    engine, stmt = world.engine, insert(table)

    def run() -> None:
        for n in range(transactions):
            with engine.begin() as connection:
                connection.execute(stmt, {"n": n, "label": "floor"})

    return timed(run)


def command_floor_seconds(world: BenchWorld, transactions: int, case_ids: list[int]) -> float:
    """`transactions` transactions each making, on the bare driver, the statements a command cannot avoid.

    On the real tables, with their real indexes, over the loops' own cases: read the case's version
    and status; update it where the version is the one read (status, version and the phase's
    instants, so the same index entries move as in a step); append a timeline line numbered after the
    last; read the audit head; append an audit row chained to it by SHA-256; move the head. Plain
    `sqlite3` with bound parameters (its statement cache prepares each once): no session, no Core, no
    conversions; what is left of a command once everything that could be shed is shed.
    """
    connection = world.engine.raw_connection()
    driver = cast("sqlite3.Connection", connection.driver_connection)
    statuses = ("accepted", "dispatched")
    audit_row = (
        'INSERT INTO audit_records (seq, at, actor, role, action, entity_type, entity_id, "before", "after", '
        "request_id, prev_hash, hash) VALUES (?, ?, 'account:1:floor', 'dispatcher', 'case.accept', 'case', ?, "
        "NULL, ?, NULL, ?, ?)"
    )

    def run() -> None:
        for n in range(transactions):
            case_id, status = case_ids[n % len(case_ids)], statuses[n % 2]
            at = f"2026-12-04 09:00:{n % 60:02d}.{n % 1_000_000:06d}"
            driver.execute("BEGIN IMMEDIATE")
            (version,) = driver.execute("SELECT version FROM cases WHERE id = ?", (case_id,)).fetchone()
            driver.execute(
                "UPDATE cases SET status = ?, version = ?, updated_at = ?, phase_due_at = ?, phase_yellow_at = ? "
                "WHERE id = ? AND version = ?",
                (status, version + 1, at, at, at, case_id, version),
            )
            driver.execute(
                "INSERT INTO case_events (case_id, seq, kind, at, actor, parties, status_after, details) VALUES "
                "(?, (SELECT coalesce(max(seq), 0) + 1 FROM case_events WHERE case_id = ?), 'accept', ?, "
                "'account:1:floor', 'dispatcher', ?, '{}')",
                (case_id, case_id, at, status),
            )
            seq, previous = driver.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
            after = f'{{"status": "{status}", "version": {version + 1}}}'
            digest = hashlib.sha256(f"{previous}{seq + 1}{at}{after}".encode()).hexdigest()
            driver.execute(audit_row, (seq + 1, at, str(case_id), after, previous, digest))
            driver.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1 AND seq = ?", (seq + 1, digest, seq))
            driver.execute("COMMIT")

    try:
        return timed(run)
    finally:
        connection.close()


def pure_lifecycle_seconds(world: BenchWorld, loops: int) -> float:
    """`loops` closed loops through `lifecycle.open_case` and `lifecycle.step` alone, in memory."""
    with Session(world.engine) as session:
        _version, definition = matters.current_definition(session, "illegal_parking")
    originator, dispatcher, lead = (
        frozenset({party}) for party in (states.Party.ORIGINATOR, states.Party.DISPATCHER, states.Party.LEAD)
    )
    given = (("photo", "photo:1"), *REPLY_EVIDENCE)
    evidence = tuple(states.Evidence(kind=EvidenceKind(kind), ref=ref) for kind, ref in given)
    commands: tuple[states.Command, ...] = (
        states.Accept(parties=dispatcher),
        states.Dispatch(parties=dispatcher, lead_unit_id=world.traffic_unit_id),
        states.Sign(parties=lead),
        states.Start(parties=lead),
        states.Reply(parties=lead, text="车辆已拖离", evidence=evidence),
        states.Verify(parties=originator),
        states.Close(parties=lead),
        states.Rate(parties=originator, rating=states.Rating.SATISFIED),
    )
    report, clock = states.Report(parties=originator), SystemClock()

    def run() -> None:
        for _ in range(loops):
            state = lc.open_case(definition, report, clock.now()).state
            for command in commands:
                state = lc.step(definition, state, command, clock.now()).state
            if state.status is not states.CaseStatus.RATED:
                raise AssertionError(state)

    return timed(run)


def check(world: BenchWorld, case_ids: list[int]) -> list[str]:
    """Problems found: a loop not ended rated, a missing timeline line, a broken audit chain."""
    problems: list[str] = []
    with Session(world.engine) as session:
        statuses = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
        events = session.scalar(select(func.count()).select_from(CaseEvent)) or 0
        chain = audit.verify(session)
    if statuses != {"rated": len(case_ids)}:
        problems.append(f"cases by status {statuses}, expected {len(case_ids)} rated")
    if events != len(case_ids) * EVENTS_PER_LOOP:
        problems.append(f"{events} timeline lines, expected {len(case_ids) * EVENTS_PER_LOOP}")
    if not chain.is_intact:
        problems.append(f"audit chain broken: {chain.problems[:3]}")
    return problems


def profile(loops: Loops, points: list[tuple[float, float]], top: int = 30) -> str:
    """The loops under cProfile: the top costs by own time and by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    loops.run_all(points)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top + 20)
    return out.getvalue()


def main() -> int:
    """Build the world, run the loops, print the figures; exit 1 only on an error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=LOOPS)
    parser.add_argument("--profile", action="store_true", help="run the loops under cProfile and print top costs")
    parser.add_argument("--no-peer", action="store_true", help="do not run SpiffWorkflow beside")
    parser.add_argument(
        "--clients", type=int, default=CLIENTS, help="concurrent clients of the group-commit phases (0: skip them)"
    )
    args = parser.parse_args()
    peer = None if args.no_peer or args.profile else peer_rates()
    tmp = Path(tempfile.mkdtemp(prefix="zhili-bench-"))
    world = build_world(tmp / "loops.sqlite")
    # As under `zhili serve`: the WAL is checkpointed by a thread of its own, not by the commits.
    with checkpointing(world.engine):
        loops = Loops(world, LocatorCache())
        phases = 3 if args.clients else 1
        points = points_in([world.grids[world.worker_grid]], WARMUP + args.loops * phases, seed=1)
        warmup_s = timed(lambda: loops.run_all(points[:WARMUP]))
        if args.profile:
            print(profile(loops, points[WARMUP:]))
            return 0
        cpu_started = time.process_time()
        loops_s = timed(lambda: loops.run_all(points[WARMUP : WARMUP + args.loops]))
        loops_cpu_s = time.process_time() - cpu_started
        together = concurrent_phases(loops, points[WARMUP + args.loops :], args.clients) if args.clients else None
        started = time.perf_counter()
        problems = check(world, [*loops.case_ids, *(together.case_ids if together else [])])
        check_s = time.perf_counter() - started
        transactions = args.loops * TRANSACTIONS_PER_LOOP
        floor_s = floor_seconds(world, transactions)
        design_s = command_floor_seconds(world, transactions, loops.case_ids)
        pure_s = pure_lifecycle_seconds(world, PURE_LOOPS)
    world.engine.dispose()

    rate = args.loops / loops_s
    lines = [
        f"setup: fresh SQLite file, {len(world.grids)} grids in 府山街道 (not measured)",
        *(f"  {pad(name, 58)}{seconds:6.2f} s" for name, seconds in world.phases),
        f"  {pad('whole setup', 58)}{world.setup_seconds:6.2f} s",
        f"  {pad(f'warm-up: {WARMUP} loops (the first builds the point locator)', 58)}{warmup_s:6.2f} s",
        f"closed loops: {args.loops:,} x (report + photo + {COMMANDS_PER_LOOP} commands), a session and commit each",
        *figures(args.loops, loops_s, transactions),
        f"  {'CPU s / wall s (below 1: the machine was busy)':<46}{loops_cpu_s:>7.1f} / {loops_s:.1f}",
        f"floor: {transactions:,} transactions of one bare Core INSERT + commit, same engine",
        *figures(args.loops, floor_s, transactions),
        f"{'ratio service / floor (time per transaction)':<48}{loops_s / floor_s:>12.1f}x",
        f"lower bound of a command: {transactions:,} transactions of its 6 unavoidable statements, bare driver",
        *figures(args.loops, design_s, transactions),
        f"{'ratio service / lower bound':<48}{loops_s / design_s:>12.1f}x",
        f"pure lifecycle in memory: {PURE_LOOPS:,} loops (open_case + {len(STEPS)} steps)",
        f"  {'loops/s':<46}{PURE_LOOPS / pure_s:>12,.0f}",
        *peer_lines(peer, rate),
        *(together.lines(args.loops, peer, floor_s) if together else []),
        (
            f"{f'target: within {TARGET_FLOOR_RATIO:g}x the floor':<48}{loops_s / floor_s:>12.1f}x  "
            f"{'met' if loops_s / floor_s <= TARGET_FLOOR_RATIO else 'not met'}"
        ),
        (
            f"check: every case rated, {EVENTS_PER_LOOP} timeline lines each, audit chain intact "
            f"({check_s:.1f} s): {'ok' if not problems else 'FAILED'}"
        ),
        *(f"  {problem}" for problem in problems),
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 1 if problems else 0


@dataclass(frozen=True)
class Peer:
    """SpiffWorkflow's loops/s: its headline (workflow kept in memory) and round trip (read back each step)."""

    headline: float
    round_trip: float | None


def peer_rates() -> Peer | None:
    """SpiffWorkflow's two rates, run now in its own environment; None when it is not set up."""
    python = Path(os.environ.get("PEERS_VENV", "/tmp/peers-venv")) / "bin" / "python"  # noqa: S108 - the peers' documented default
    if not python.exists() or not PEER_SCRIPT.exists():
        return None
    done = subprocess.run([python, PEER_SCRIPT], capture_output=True, text=True, check=False)  # noqa: S603 - our own paths
    headline = re.search(r"^spiff_closed_loops_per_s=([0-9.]+)$", done.stdout, re.MULTILINE)
    round_trip = re.search(r"^roundtrip_closed_loops_per_s=([0-9.]+)$", done.stdout, re.MULTILINE)
    if headline is None:
        return None
    return Peer(float(headline.group(1)), float(round_trip.group(1)) if round_trip else None)


def peer_lines(peer: Peer | None, rate: float) -> list[str]:
    """The peer's rates, ours against each, and the target (on the headline)."""
    if peer is None:
        return ["peer: SpiffWorkflow not run (set PEERS_VENV to its environment; see ../shared/peers/README.md)"]
    ratio = rate / peer.headline
    verdict = "met" if ratio >= TARGET_PEER_RATIO else "not met"
    lines = [
        "peer: SpiffWorkflow 3.2, the same 10-step loop persisted to SQLite after each step, same run",
        f"  {'loops/s, workflow kept in memory (headline)':<46}{peer.headline:>12,.1f}",
    ]
    if peer.round_trip is not None:
        lines += [
            f"  {'loops/s, each step reads it back (round trip)':<46}{peer.round_trip:>12,.1f}",
            f"{'serial against the round trip (like for like)':<48}{rate / peer.round_trip:>12.2f}x",
        ]
    return [*lines, f"{f'target: at least {TARGET_PEER_RATIO:g}x the headline':<48}{ratio:>12.2f}x  {verdict}"]


def figures(loops: int, seconds: float, transactions: int) -> list[str]:
    """Loops/s, transactions/s and ms per transaction of one measured phase."""
    return [
        f"  {f'loops/s ({TRANSACTIONS_PER_LOOP} transactions a loop)':<46}{loops / seconds:>12,.1f}",
        f"  {'transactions/s':<46}{transactions / seconds:>12,.0f}",
        f"  {'mean ms per transaction':<46}{seconds / transactions * 1000:>12.3f}",
    ]


def pad(text: str, width: int) -> str:
    """Left-align `text` in `width` terminal columns; Chinese characters take two."""
    columns = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return text + " " * max(0, width - columns)


if __name__ == "__main__":
    sys.exit(main())
