"""Closed loops over HTTP against one and then two API processes on one PostgreSQL, side by side.

Run as ``ZHILI_BENCH_POSTGRES_URL=postgresql+psycopg://…/zhili_bench python benchmarks/bench_scale_out.py
[--loops 60] [--clients 8]`` from the project root. The database at the URL is WIPED. It builds the
small world of tests/deploy/world.py (Quzhou's places and units, a grid worker, the 柯城区 centre, a
traffic police officer, a token each), then for one API process and for two (``zhili serve`` as
child processes, production settings, no worker) runs ``--loops`` closed loops of an illegal-parking
case over HTTP from ``--clients`` threads, each request to the next server in turn (report → accept →
dispatch → sign → start → photo → reply → verify → close → rate: 10 requests a loop). The floor,
measured in the same run against the same processes from the same clients, is GET /healthz (one
``SELECT 1``). It prints loops/s, requests/s, the floor's requests/s and the ratios; nothing is
asserted (tests/deploy/test_scale_out.py checks correctness). On a 2-core machine that also runs
PostgreSQL and the clients, a second process adds little: the figures say how much.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the harness lives with the deployment tests

from sqlalchemy import text  # noqa: E402
from tests.deploy.loops import REQUESTS_PER_LOOP, Fleet, LoopDriver, fleet, points_in  # noqa: E402
from tests.deploy.world import SmallWorld, build_small_world  # noqa: E402

from zhili.core.db import make_engine  # noqa: E402

FLOOR_REQUESTS_PER_CLIENT = 200


def wipe(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def in_parallel(clients: int, work: object) -> float:
    """Seconds for `clients` threads each running work(n)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(work, range(clients)))  # type: ignore[arg-type]
    return time.perf_counter() - started


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds the processes have used so far (Linux `/proc`)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def measure(world: SmallWorld, running: Fleet, loops: int, clients: int, seed: int) -> tuple[float, float, float]:
    """(loops/s, floor requests/s, the servers' CPU ms a loop request) with these servers."""
    servers, pids = running.servers, [process.pid for process in running.processes]
    drivers = [LoopDriver(servers, world.tokens) for _ in range(clients)]
    for n, driver in enumerate(drivers):
        driver.turn = n
    points = points_in(list(world.grids.values()), loops, seed=seed)

    def floor(n: int) -> None:
        for _ in range(FLOOR_REQUESTS_PER_CLIENT):
            drivers[n].send("worker", "GET", "/healthz")

    def run(n: int) -> None:
        for point in points[n::clients]:
            drivers[n].loop(point)

    drivers[0].loop(points[0])  # warm up every process's caches and pools
    floor_seconds = in_parallel(clients, floor)
    cpu_before = cpu_seconds(pids)
    loop_seconds = in_parallel(clients, run)
    cpu_ms = 1000 * (cpu_seconds(pids) - cpu_before) / (loops * REQUESTS_PER_LOOP)
    for driver in drivers:
        driver.close()
    return loops / loop_seconds, clients * FLOOR_REQUESTS_PER_CLIENT / floor_seconds, cpu_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--loops", type=int, default=60)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    url = os.environ.get("ZHILI_BENCH_POSTGRES_URL")
    if not url:
        print("set ZHILI_BENCH_POSTGRES_URL (the database is wiped)")
        return
    wipe(url)
    world = build_small_world(url)
    results: dict[int, tuple[float, float, float]] = {}
    with tempfile.TemporaryDirectory() as logs:
        for processes in (1, 2):
            with fleet(url, Path(logs), servers=processes, workers=0) as running:
                results[processes] = measure(world, running, args.loops, args.clients, seed=processes)
    for processes, (loops, floor, cpu_ms) in results.items():
        rate = loops * REQUESTS_PER_LOOP
        print(
            f"{processes} API process{'es' if processes > 1 else '  '}: {loops:6.2f} loops/s "
            f"({rate:6.1f} requests/s, {cpu_ms:5.1f} server CPU ms a request); "
            f"floor GET /healthz {floor:7.1f} requests/s; loop requests / floor {rate / floor:4.2f}"
        )
    print(
        f"two processes / one: loops {results[2][0] / results[1][0]:4.2f}x, floor {results[2][1] / results[1][1]:4.2f}x"
    )


if __name__ == "__main__":
    main()
