"""Would a second process, or the case read outside the write lock, move the closed loop? A diagnostic, not a target.

Run as ``python benchmarks/ablate_two_writers.py [--loops N] [--no-peer]`` from the project root, on a
quiet machine. It builds the world of ``bench_closed_loops.py``, warms it up in one process, then
forks for each phase and runs its loops over fresh points through group commit:

    one process, 16 clients (as ``zhili serve`` on SQLite)
    → two processes, 8 clients each, each with its own group committer, their batches taking turns
      on a file lock (SQLite lets one writer in at a time; the lock wakes the waiter at once, where
      SQLite's busy handler sleeps)
    → the same two processes, each command's case read, scope and checks made outside the writer,
      in a read transaction on a connection each process holds; only the step and its writes go to
      the writer, the compare-and-set on the version catching a read gone stale
    → one process again (the machine did not drift)

Printed: loops/s, CPU ms a loop (all processes), units a COMMIT and, with the peer run in the same
run, the ratio to SpiffWorkflow's headline. ADR 0014 reads the figures: whether the "plan outside the
write lock, several processes" lever is worth building.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from _setup import BenchWorld, build_world, points_in
from bench_closed_loops import WARMUP, Loops, check, peer_rates
from zhili.cases import service, states
from zhili.cases.commands import CommandBody
from zhili.cases.store import StoredCase
from zhili.core.auth import Actor
from zhili.core.checkpoint import checkpointing
from zhili.core.db import SQLITE_BEGIN_OPTION
from zhili.core.group_commit import GroupCommitter, GroupStats
from zhili.org.geo import LocatorCache

LOOPS = 1_000
PHASES = (
    ("one process", 1, False),
    ("two processes", 2, False),
    ("two, read outside", 2, True),
    ("one again", 1, False),
)
CLIENTS = 16  # in all, shared among the processes


@dataclass(frozen=True)
class _Read:
    """A step's read, run by the client in its process's read session, not by the writer."""

    work: Callable[[Session], Any]


class TakingTurns(GroupCommitter):
    """A group committer whose batches hold a file lock shared with the other processes' committers."""

    def __init__(self, lock_path: Path) -> None:
        super().__init__()
        self._lock = os.open(lock_path, os.O_RDWR | os.O_CREAT)

    def _commit(self, taken: list[Any]) -> None:
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        try:
            super()._commit(taken)
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)


class ReadOutside(Loops):
    """The loop of `Loops`, each command's read and checks outside the writer (`_Read`), its step and writes in it."""

    def command(self, case_id: int, body: CommandBody, actor: Actor) -> Generator[Any, Any, Any]:
        """The read in the client's read session, then the step and its writes (compare-and-set) in the writer."""
        case, command = yield _Read(lambda s: service.plan_command(s, case_id=case_id, body=body, actor=actor))
        now = self.clock.now()
        return (yield lambda s: _apply(s, case, command, actor, now))


def _apply(session: Session, case: StoredCase, command: states.Command, actor: Actor, now: datetime) -> StoredCase:
    """The rest of `service.run_command`: step, save where the version is still the one read, commit."""
    saved = service.apply_command(session, case, command, actor=actor, now=now)
    session.commit()
    return saved


def _child(
    world: BenchWorld, locators: LocatorCache, points: list[tuple[float, float]], spec: tuple[int, bool, Path]
) -> tuple[float, list[int], GroupStats]:
    clients, outside, lock_path = spec
    world.engine.dispose(close=False)  # this process's own connections
    loops: Loops = ReadOutside(world, locators) if outside else Loops(world, locators)
    held = world.engine.connect().execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
    reads = sessionmaker(bind=held)
    started = time.process_time()
    with TakingTurns(lock_path) as committer:

        async def client(share: list[tuple[float, float]]) -> None:
            for point in share:
                steps, answer = loops.steps(point), None
                with contextlib.suppress(StopIteration):
                    while True:
                        unit = steps.send(answer)
                        if isinstance(unit, _Read):
                            with reads() as session:  # closing ends the read transaction, keeps the connection
                                answer = unit.work(session)
                        else:
                            answer = await committer.run_async(unit, loops.sessions)

        async def run_all() -> None:
            await asyncio.gather(*(client(points[n::clients]) for n in range(clients)))

        asyncio.run(run_all())
    return time.process_time() - started, loops.case_ids, committer.stats


@dataclass(frozen=True)
class Phase:
    """One phase's figures, all its processes together."""

    name: str
    loops: int
    wall_s: float
    cpu_s: float
    units: int
    commits: int

    def line(self, headline: float | None) -> str:
        rate = self.loops / self.wall_s
        ratio = f"{rate / headline:>6.2f}x" if headline else ""
        per_commit = self.units / max(1, self.commits)
        return f"  {self.name:<22}{rate:>10.1f}{self.cpu_s / self.loops * 1000:>10.2f}{per_commit:>10.1f}  {ratio}"


def run_phase(
    world: BenchWorld,
    locators: LocatorCache,
    points: list[tuple[float, float]],
    spec: tuple[str, int, bool],
    lock_path: Path,
) -> tuple[Phase, list[int]]:
    """Fork the phase's processes, start them together, wait for all; their loops checked by the caller."""
    name, processes, outside = spec
    start_r, start_w = os.pipe()
    children: list[tuple[int, int]] = []
    for n in range(processes):
        answer_r, answer_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: its share of the points, its answer pickled down the pipe
            os.close(answer_r)
            os.read(start_r, 1)
            share = points[n::processes]
            result = _child(world, locators, share, (CLIENTS // processes, outside, lock_path))
            os.write(answer_w, pickle.dumps(result))
            os._exit(0)
        os.close(answer_w)
        children.append((pid, answer_r))
    started = time.perf_counter()
    os.write(start_w, b"go" * processes)
    results: list[tuple[float, list[int], GroupStats]] = []
    for pid, answer_r in children:
        with os.fdopen(answer_r, "rb") as answer:
            results.append(pickle.loads(answer.read()))  # noqa: S301 - our own child's answer
        os.waitpid(pid, 0)
    wall_s = time.perf_counter() - started
    stats = [result[2] for result in results]
    return Phase(
        name,
        sum(len(result[1]) for result in results),
        wall_s,
        sum(result[0] for result in results),
        sum(s.units for s in stats),
        sum(s.batches + s.alone for s in stats),
    ), [case for result in results for case in result[1]]


def main() -> int:
    """Build the world, run the phases, print the figures; exit 1 if a loop did not end rated or the chain broke."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=LOOPS, help="loops a phase")
    parser.add_argument("--no-peer", action="store_true", help="do not run SpiffWorkflow beside")
    args = parser.parse_args()
    peer = None if args.no_peer else peer_rates()
    tmp = Path(tempfile.mkdtemp(prefix="zhili-ablate-"))
    world = build_world(tmp / "loops.sqlite")
    locators = LocatorCache()
    warm = Loops(world, locators)
    points = points_in([world.grids[world.worker_grid]], WARMUP + args.loops * len(PHASES), seed=1)
    warm.run_all(points[:WARMUP])  # the point locator built once, before the fork: every child shares it
    world.engine.dispose()
    phases, case_ids = [], list(warm.case_ids)
    with checkpointing(world.engine):  # as under `zhili serve`: one checkpointer for every process
        for n, spec in enumerate(PHASES):
            share = points[WARMUP + n * args.loops : WARMUP + (n + 1) * args.loops]
            phase, cases = run_phase(world, locators, share, spec, tmp / "write.lock")
            phases.append(phase)
            case_ids += cases
    problems = check(world, case_ids)
    headline = peer.headline if peer else None
    lines = [
        f"{args.loops:,} loops a phase, {CLIENTS} clients in all, group commit in each process",
        f"  {'phase':<22}{'loops/s':>10}{'CPU ms':>10}{'a COMMIT':>10}  {'÷ headline' if headline else ''}",
        *(phase.line(headline) for phase in phases),
        f"peer headline: {headline:.1f} loops/s" if headline else "peer not run",
        f"check: every case rated, audit chain intact: {'ok' if not problems else 'FAILED'}",
        *(f"  {problem}" for problem in problems),
    ]
    print("\n".join(lines))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
