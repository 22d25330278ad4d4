"""What the closed loop would cost without parts it must keep: a diagnostic, not a target.

Run as ``python benchmarks/ablate_closed_loops.py [--loops N] [--no-peer]`` from the project root,
on a quiet machine. It builds the world of ``bench_closed_loops.py`` and runs its grouped phase (16
clients through group commit, as ``zhili serve`` on SQLite) four times over fresh points:

    as built → without the hand-off notices → without the notices and the ladder timers → as built again

"Without" replaces the function for the phase (``cases.handoffs.tell`` / ``tell_each``,
``cases.service.sync_timers``) by one that does nothing, so the loop skips that work and its
statements; the last phase shows the machine did not drift. Printed: loops/s, CPU ms a loop and,
with the peer run in the same run, the ratio to SpiffWorkflow's headline. ADR 0014 reads the
figures: how much of issue 11's 1.5x target each part stands between.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

from _setup import build_world, points_in
from bench_closed_loops import CLIENTS, WARMUP, Loops, peer_rates, serve_clients
from zhili.cases import handoffs, service
from zhili.core.checkpoint import checkpointing
from zhili.core.group_commit import GroupCommitter
from zhili.org.geo import LocatorCache

LOOPS = 1_000
PHASES = ("as built", "no hand-off notices", "no notices, no timers", "as built again")


def _nothing(*_args: Any, **_kwargs: Any) -> None:
    """Stands in for a part left out."""


@contextlib.contextmanager
def without(phase: str) -> Iterator[None]:
    """The parts this phase leaves out, replaced for its duration."""
    with contextlib.ExitStack() as stack:
        if phase.startswith("no"):
            stack.enter_context(mock.patch.object(handoffs, "tell", _nothing))
            stack.enter_context(mock.patch.object(handoffs, "tell_each", _nothing))
        if "no timers" in phase:
            stack.enter_context(mock.patch.object(service, "sync_timers", _nothing))
        yield


def grouped(loops: Loops, points: list[tuple[float, float]]) -> tuple[float, float]:
    """The loops of `points` from the clients through group commit: wall and CPU seconds."""
    with GroupCommitter() as committer:
        cpu = time.process_time()
        seconds = serve_clients(loops, points, CLIENTS, lambda work: committer.run_async(work, loops.sessions))
        return seconds, time.process_time() - cpu


def main() -> int:
    """Build the world, run the four grouped phases, print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=LOOPS)
    parser.add_argument("--no-peer", action="store_true", help="do not run SpiffWorkflow beside")
    args = parser.parse_args()
    peer = None if args.no_peer else peer_rates()
    with tempfile.TemporaryDirectory(prefix="zhili-ablate-") as folder:
        world = build_world(Path(folder) / "loops.sqlite")
        with checkpointing(world.engine):
            warm = Loops(world, LocatorCache())
            points = points_in([world.grids[world.worker_grid]], WARMUP + args.loops * len(PHASES), seed=3)
            warm.run_all(points[:WARMUP])
            print(f"{args.loops:,} loops a phase, {CLIENTS} clients through group commit")
            if peer is not None:
                print(f"  {'peer (SpiffWorkflow), headline':<34}{peer.headline:>10,.1f} loops/s")
            for n, phase in enumerate(PHASES):
                share = points[WARMUP + n * args.loops : WARMUP + (n + 1) * args.loops]
                with without(phase):
                    seconds, cpu = grouped(Loops(world, warm.locators), share)
                rate = args.loops / seconds
                ratio = f"  {rate / peer.headline:.2f}x the peer" if peer is not None else ""
                print(f"  {phase:<34}{rate:>10,.1f} loops/s  {cpu / args.loops * 1000:6.2f} CPU ms a loop{ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
