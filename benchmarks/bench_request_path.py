"""The request path against a bare Starlette floor, and an open-loop intake load, in one run on SQLite.

Run as ``python benchmarks/bench_request_path.py [--requests 3000] [--reports 1000] [--seconds 5]`` from
the project root. It builds a fresh SQLite file (``_setup.build_world``), issues an API token for the
府山街道 grid worker, and starts two servers on loopback, each in its own process with
``core.serving.serve`` (as ``zhili serve`` runs: the heap settled, then ``server_config``'s options:
one worker, uvloop and httptools where installed, no access log):

* **bare**: a Starlette app with nothing but ``StaticFiles`` over Zhili's static directory (and a
  ``/healthz`` to wait on): the floor, no middleware, no FastAPI;
* **zhili**: ``create_app(Settings())`` in production mode, as ``zhili serve`` builds it.

The load runs in this process, apart from both servers (it takes CPU from the same two cores, so it
is a raw asyncio client on keep-alive connections, on uvloop where installed, printing its own CPU).

1. **Closed loop**, ``--clients`` connections each sending its next request when the last is answered,
   ``--requests`` per phase after a warm-up, ``--rounds`` times in turn (the best round of each is
   kept; the machine is shared): (a) ``GET`` a vendored asset (``STATIC_PATH``, 1,466 bytes) from the
   bare app, (b) the same ``GET`` from Zhili, (c) intake: ``POST /api/v1/cases`` of valid reports with a
   bearer token. Printed: requests/s, latency, server CPU per request, and the ratios **Zhili static /
   bare static** (target ≥ 70 %) and **intake / Zhili static** (target ≥ 50 %).
2. **Open loop**, reports arriving at a fixed rate, 50, 100 and 200 per second (``--rates``) for
   ``--seconds`` each: request *i* is sent at t0 + i / rate whatever the answers before it, on an idle
   connection or a new one (up to ``MAX_CONNECTIONS`` in flight), and its latency runs from the time it
   was due, so a server that falls behind is charged for the wait (no coordinated omission).
   Printed: p50 / p95 / p99 / max for each rate; target p99 ≤ 50 ms at 100/s.

Where a report's server CPU goes is printed too: the event-loop thread (from /proc) against the
thread pool, and within the pool the handler's body (``respond_once``) and ``cases.service.report_case``,
counted by wrappers installed in the benchmark's own server process (``Split``).

Figures of one run (2026-12-03, shared 2-core machine, load average 7–9): bare 590/s at 1.20 ms of
server CPU a request, Zhili's static path 607/s at 1.32 ms (103 %, target met; 55 % before the route
order and router guard), intake 22/s at 18.8 ms (4 %, not met: 15.2 ms of it is ``report_case``),
and every open-loop rate an overload of a server saturated at 20–30 reports/s (p99 8.5 / 11.3 /
29.2 s at 50 / 100 / 200 per second). A quieter second run: static 81 %, intake 9 % (48/s), p99
0.76 / 5.6 / 13.4 s. After the case store and the leaner report (paired runs at load 4–8): intake
14–24 % of the static rate at 6.7–8.5 ms of server CPU a report, p99 32–146 ms at 50/s and 90 ms to
2.7 s at 100/s. docs/how-to/run-the-benchmarks.md reads them.

The exit status is 1 only on an error (a failed request, an unexpected status, a stored-case count
that does not match the 201s, a broken audit chain); a missed target is printed, not failed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib.util
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, TypeVar

from _setup import build_world
from bench_intake_http import (
    HTTP_CREATED,
    HTTP_OK,
    INTAKE_PATH,
    Load,
    RawConnection,
    Server,
    _drive,
    bearer_token,
    errors_in,
    report_bodies,
    stored_cases,
)

STATIC_PATH = "/static/vendor/leaflet/images/marker-icon.png"
CLIENTS = 32
REQUESTS = 3_000
REPORTS = 1_000
WARMUP = 300
RATES = (50, 100, 200)
SECONDS = 5.0
MAX_CONNECTIONS = 256
TARGET_STATIC_SHARE = 0.70
TARGET_INTAKE_SHARE = 0.50
TARGET_RATE, TARGET_P99_MS = 100, 50.0
APPS = {"bare": "bare_static_app", "zhili": "zhili_app"}
SPLIT_FILE = "ZHILI_BENCH_SPLIT_FILE"
P = ParamSpec("P")
R = TypeVar("R")


def bare_static_app() -> object:
    """The floor: Starlette serving Zhili's static directory, nothing else."""
    from importlib import resources  # noqa: PLC0415 - only the server process builds apps

    from starlette.applications import Starlette  # noqa: PLC0415
    from starlette.responses import PlainTextResponse  # noqa: PLC0415
    from starlette.routing import Mount, Route  # noqa: PLC0415
    from starlette.staticfiles import StaticFiles  # noqa: PLC0415

    static = str(resources.files("zhili.web").joinpath("static"))
    return Starlette(
        routes=[
            Route("/healthz", lambda _request: PlainTextResponse("ok")),
            Mount("/static", StaticFiles(directory=static)),
        ]
    )


def zhili_app() -> object:
    """The product: the app `zhili serve` builds from the ZHILI_ variables."""
    from _setup import create_bench_app  # noqa: PLC0415

    return create_bench_app()


class Split:
    """CPU seconds the request handler and the case service spent (thread CPU), counted in the server.

    Written as JSON to `path` on SIGUSR2, so the load can read the counters around a phase.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.counters = {"handler": [0, 0.0], "service": [0, 0.0]}

    def timed(self, name: str, function: Callable[P, R]) -> Callable[P, R]:
        """`function`, with its calls and thread CPU added to the counter `name`."""
        counter = self.counters[name]

        @functools.wraps(function)
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                with self.lock:
                    counter[0] += 1
                    counter[1] += time.thread_time() - started

        return timed

    def install(self) -> None:
        """Count `cases.api`'s handler body (`respond_once`: service, answer, commit) and `report_case`."""
        from zhili.cases import api, service  # noqa: PLC0415

        for module, name, part in ((api, "respond_once", "handler"), (service, "report_case", "service")):
            setattr(module, name, self.timed(part, getattr(module, name)))
        signal.signal(signal.SIGUSR2, lambda _signum, _frame: self.dump())

    def dump(self) -> None:
        """Write the counters."""
        with self.lock:
            self.path.write_text(json.dumps(self.counters))


def serve(name: str, port: int) -> None:
    """Run one app as `zhili serve` runs it (`core.serving.serve`: its options, the heap settled first)."""
    from zhili.core.serving import serve as run  # noqa: PLC0415

    app = globals()[APPS[name]]()
    if name == "zhili":
        Split(Path(os.environ[SPLIT_FILE])).install()
    run(app, host="127.0.0.1", port=port)


def split_counters(server: Server, path: Path) -> dict[str, list[float]]:
    """The server's handler and service counters now, and its event-loop thread's CPU seconds."""
    path.unlink(missing_ok=True)
    server.process.send_signal(signal.SIGUSR2)
    deadline = time.monotonic() + 10
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    counters: dict[str, list[float]] = json.loads(path.read_text())
    task = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/stat").read_text()
    main = task.rsplit(")", 1)[1].split()
    counters["loop"] = [0, (int(main[11]) + int(main[12])) / os.sysconf("SC_CLK_TCK")]
    return counters


def start(name: str, url: str, tmp: Path) -> Server:
    """Start the server `name` in a subprocess (this script in `--serve` mode)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", name]
    return Server(url, app=name, workers=1, log=tmp / f"{name}.log", command=command)


def server_kind() -> str:
    """What serves: uvicorn with the loop and parser `server_config` chose."""
    from zhili.core.serving import fast_loop_and_parser  # noqa: PLC0415

    loop, http = fast_loop_and_parser()
    return f"uvicorn, 1 worker, loop {loop}, http {http}"


def new_loop() -> asyncio.AbstractEventLoop:
    """The client's event loop: uvloop where installed (cheaper per request), else asyncio's."""
    if importlib.util.find_spec("uvloop") is not None:
        import uvloop  # noqa: PLC0415

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


@dataclass(frozen=True)
class Target:
    """A server and the request head the load sends it."""

    server: Server
    head: str

    @classmethod
    def of(cls, server: Server, method: str, path: str, token: str) -> Target:
        """A keep-alive request head for `method path` with the bearer token."""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        )
        return cls(server, head)

    def connection(self) -> RawConnection:
        """A new (lazily opened) connection to the server."""
        return RawConnection("127.0.0.1", self.server.port, self.head)


def measured(target: Target, load: Load, work: Coroutine[object, object, None]) -> Load:
    """Run the coroutine `work` on a fresh client loop, recording client and server CPU."""
    cpu_client, cpu_server = time.process_time(), target.server.cpu_seconds()
    loop = new_loop()
    try:
        loop.run_until_complete(work)
    finally:
        loop.close()
    load.client_cpu_s = time.process_time() - cpu_client
    load.server_cpu_s = target.server.cpu_seconds() - cpu_server
    return load


def closed_loop(target: Target, clients: int, *, bodies: list[bytes] | None = None, count: int = 0) -> Load:
    """`clients` connections, each sending its next request as soon as its last is answered."""
    load = Load(requests=len(bodies) if bodies is not None else count, seconds=0.0, latencies_ms=[])
    connections = [target.connection() for _ in range(clients)]

    async def run() -> None:
        try:
            await _drive(load, [connection.send for connection in connections], bodies)
        finally:
            for connection in connections:
                connection.close()

    return measured(target, load, run())


def open_loop(target: Target, bodies: list[bytes], rate: float) -> Load:
    """Send `bodies` at `rate` per second on schedule; latency from the time each request was due."""
    load = Load(requests=len(bodies), seconds=0.0, latencies_ms=[])
    idle: list[RawConnection] = []
    slots = asyncio.Semaphore(MAX_CONNECTIONS)  # binds to the client loop on first use

    async def fire(body: bytes, due: float) -> None:
        async with slots:
            connection = idle.pop() if idle else target.connection()
            try:
                status = await connection.send(body)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                load.failures[type(exc).__name__] += 1
                return
            load.latencies_ms.append((time.perf_counter() - due) * 1000)
            load.statuses[status] += 1
            idle.append(connection)

    async def run() -> None:
        started = time.perf_counter() + 0.05
        tasks = []
        for n, body in enumerate(bodies):
            due = started + n / rate
            if (delay := due - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(fire(body, due)))
        await asyncio.gather(*tasks)
        load.seconds = time.perf_counter() - started
        for connection in idle:
            connection.close()

    return measured(target, load, run())


def best(loads: list[Load]) -> Load:
    """The round with the highest rate (the least disturbed by the rest of the machine)."""
    return max(loads, key=lambda load: load.rate)


def line(label: str, load: Load) -> str:
    """One printed line of a phase."""
    per_request = load.server_cpu_s * 1000 / max(1, len(load.latencies_ms))
    return (
        f"  {label:<34}{load.rate:>8,.0f}/s   p50 {load.percentile(0.5):6.1f}  p95 {load.percentile(0.95):6.1f}"
        f"  p99 {load.percentile(0.99):6.1f}  max {max(load.latencies_ms, default=float('nan')):7.1f} ms"
        f"   server CPU {per_request:5.2f} ms/req, client {load.client_cpu_s:5.1f} s"
    )


def split_lines(phases: Phases) -> list[str]:
    """Where a report's server CPU goes, over the closed-loop intake rounds."""
    requests = sum(len(load.latencies_ms) for load in phases.intake)
    if not requests or "loop" not in phases.split:
        return []
    total = sum(load.server_cpu_s for load in phases.intake) * 1000 / requests
    loop, handler, service = (phases.split[part][1] * 1000 / requests for part in ("loop", "handler", "service"))
    threads = total - loop
    return [
        f"  intake server CPU per report, {requests:,} reports: {total:.2f} ms =",
        f"    event loop (server, middleware, routing, body, dependencies, answer)  {loop:5.2f} ms",
        f"    thread pool outside the handler's body (actor lookups, session close) {threads - handler:5.2f} ms",
        f"    handler body: respond_once without report_case (answer, commit)     {handler - service:5.2f} ms",
        f"    cases.service.report_case                                           {service:5.2f} ms",
    ]


def verdict(met: bool) -> str:
    """'met' or 'NOT met'."""
    return "met" if met else "NOT met"


@dataclass
class Phases:
    """Every load of the run, by phase."""

    bare: list[Load]
    static: list[Load]
    intake: list[Load]
    open: dict[int, Load]
    warm: list[Load]
    split: dict[str, list[float]] = field(default_factory=dict)  # intake rounds: [calls, CPU s] by part

    def all(self) -> Iterator[tuple[Load, int]]:
        """Each load with the status its answers must have."""
        for load in [*self.bare, *self.static]:
            yield load, HTTP_OK
        for load in [*self.intake, *self.open.values(), *self.warm]:
            yield load, HTTP_CREATED


def run_phases(args: argparse.Namespace, bare: Target, static: Target, intake: Target, bodies: list[bytes]) -> Phases:
    """Warm up, then the closed-loop rounds, then the open-loop rates."""
    phases = Phases([], [], [], {}, [])
    take = iter(range(len(bodies)))

    def next_bodies(count: int) -> list[bytes]:
        return [bodies[next(take)] for _ in range(count)]

    phases.warm.append(closed_loop(intake, args.clients, bodies=next_bodies(WARMUP)))
    closed_loop(bare, args.clients, count=WARMUP)
    closed_loop(static, args.clients, count=WARMUP)
    for _ in range(args.rounds):
        phases.bare.append(closed_loop(bare, args.clients, count=args.requests))
        phases.static.append(closed_loop(static, args.clients, count=args.requests))
        before = split_counters(intake.server, args.split_file)
        phases.intake.append(closed_loop(intake, args.clients, bodies=next_bodies(args.reports)))
        after = split_counters(intake.server, args.split_file)
        for part, (calls, cpu) in after.items():
            total = phases.split.setdefault(part, [0, 0.0])
            total[0] += calls - before[part][0]
            total[1] += cpu - before[part][1]
    for rate in args.rates:
        phases.open[rate] = open_loop(intake, next_bodies(round(rate * args.seconds)), rate)
    return phases


def report(args: argparse.Namespace, phases: Phases, problems: list[str]) -> list[str]:
    """The printed figures."""
    bare, static, intake = best(phases.bare), best(phases.static), best(phases.intake)
    static_share, intake_share = static.rate / bare.rate, intake.rate / static.rate
    at_target = phases.open.get(TARGET_RATE)
    lines = [
        (
            f"closed loop: {args.clients} keep-alive connections, {args.requests:,} GETs or {args.reports:,} reports "
            f"a phase, best of {args.rounds} rounds"
        ),
        line(f"(a) bare Starlette GET {STATIC_PATH.rsplit('/', 1)[1]}", bare),
        line("(b) Zhili GET the same file", static),
        line(f"(c) intake POST {INTAKE_PATH}", intake),
        "  rounds, requests/s: "
        + "; ".join(
            f"{name} " + " / ".join(f"{load.rate:,.0f}" for load in loads)
            for name, loads in (("bare", phases.bare), ("static", phases.static), ("intake", phases.intake))
        ),
        (
            f"  Zhili static / bare static   {static_share:6.0%}   target ≥ {TARGET_STATIC_SHARE:.0%}: "
            f"{verdict(static_share >= TARGET_STATIC_SHARE)}"
        ),
        (
            f"  intake / Zhili static        {intake_share:6.0%}   target ≥ {TARGET_INTAKE_SHARE:.0%}: "
            f"{verdict(intake_share >= TARGET_INTAKE_SHARE)}"
        ),
        *split_lines(phases),
        f"open loop: reports at a fixed rate for {args.seconds:.0f} s each, latency from the scheduled time",
        *(line(f"{rate}/s offered ({load.requests:,} reports)", load) for rate, load in phases.open.items()),
    ]
    if at_target is not None:
        lines.append(
            f"  p99 at {TARGET_RATE}/s ≤ {TARGET_P99_MS:.0f} ms: {verdict(at_target.percentile(0.99) <= TARGET_P99_MS)}"
        )
    lines.append(f"check: {'ok' if not problems else 'FAILED'}")
    lines += [f"  {problem}" for problem in problems]
    return lines


def main() -> int:
    """Build the world, serve both apps, load them, print the figures; exit 1 only on an error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=sorted(APPS), help=argparse.SUPPRESS)
    parser.add_argument("port", nargs="?", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--requests", type=int, default=REQUESTS, help="requests per closed-loop phase")
    parser.add_argument("--reports", type=int, default=REPORTS, help="reports per closed-loop intake phase")
    parser.add_argument("--rounds", type=int, default=2, help="closed-loop rounds (the best is kept)")
    parser.add_argument("--rates", type=int, nargs="+", default=list(RATES), help="open-loop reports/s")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="seconds per open-loop rate")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="zhili-bench-path-"))
    world = build_world(tmp / "intake.sqlite")
    token = bearer_token(world)
    needed = WARMUP + args.rounds * args.reports + sum(round(rate * args.seconds) for rate in args.rates)
    bodies = report_bodies(world, needed)
    args.split_file = tmp / "split.json"
    os.environ[SPLIT_FILE] = str(args.split_file)
    servers = [start("bare", world.url, tmp), start("zhili", world.url, tmp)]
    try:
        for server in servers:
            server.wait_ready()
        bare, zhili = servers
        phases = run_phases(
            args,
            Target.of(bare, "GET", STATIC_PATH, token),
            Target.of(zhili, "GET", STATIC_PATH, token),
            Target.of(zhili, "POST", INTAKE_PATH, token),
            bodies,
        )
    finally:
        for server in servers:
            server.stop()
    count, intact = stored_cases(world)
    world.engine.dispose()
    problems = [problem for load, status in phases.all() for problem in errors_in(load, status)]
    created = sum(load.statuses[HTTP_CREATED] for load, status in phases.all() if status == HTTP_CREATED)
    if count != created:
        problems.append(f"{count} cases stored, {created} answered 201")
    if not intact:
        problems.append("the audit chain is broken")
    head = f"setup: fresh SQLite file in {world.setup_seconds:.1f} s; server logs in {tmp}; {server_kind()}"
    sys.stdout.write("\n".join([head, *report(args, phases, problems)]) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
