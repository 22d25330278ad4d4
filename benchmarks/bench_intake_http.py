"""Case intake over HTTP: 64 concurrent clients POST illegal-parking reports to a live server on SQLite.

Run as ``python benchmarks/bench_intake_http.py [--workers 2] [--requests 5000]`` from the project
root. It builds a fresh SQLite file (``_setup.build_world``), issues an API token for the 府山街道 grid
worker straight into the database, starts ``uvicorn`` on loopback in a subprocess (production
settings, a fixed secret, ``--workers`` processes), and then, with ``--clients`` concurrent clients
(64 keep-alive connections on one asyncio loop; ``--client httpx`` uses one ``httpx.AsyncClient``
limited to 64 connections instead, which costs the client far more CPU):

1. warms up with 200 reports;
2. POSTs ``--requests`` valid reports to ``/api/v1/cases`` (random points inside the 24 grids of
   府山街道, bearer token; the answer is the new case in brief with a ``Location`` header);
3. the floor: the same load of ``GET /static/favicon.svg`` (222 bytes through the same server and
   middleware, no database), after its own warm-up. ``--floor /healthz`` uses the health check
   instead (one ``SELECT 1``), but at 64 clients it can stall for 30 s on the connection pool and
   answer 500: see docs/how-to/run-the-benchmarks.md.

It prints requests/s, p50 / p95 / p99 latency, answers by status, the CPU seconds the client and the
server used, and the ratio to the floor. Targets: 1,000 cases/s and p99 ≤ 50 ms, printed as met / not
met. The exit status is 1 only on an error: a failed request, any answer other than 201 (intake) or
200 (floor), a count of stored cases that does not match, a broken audit chain. The load is bounded:
``--requests`` per phase, 60 s per request, 600 s per phase, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from _setup import PARKING_ATTRIBUTES, ROOT, BenchWorld, build_world, points_in
from zhili.access.service import issue_token
from zhili.cases.models import Case
from zhili.core import audit
from zhili.core.clock import SystemClock

SECRET = "bench-intake-secret-not-for-production"  # noqa: S105 - a throw-away server on loopback
TARGET_RATE = 1_000
TARGET_P99_MS = 50.0
CLIENTS = 64
REQUESTS = 5_000
WARMUP = 200
DEADLINE_S = 600.0
REQUEST_TIMEOUT_S = 60.0
FLOOR_PATH = "/static/favicon.svg"
INTAKE_PATH = "/api/v1/cases"
APP_FACTORY = "_setup:create_bench_app"
HTTP_CREATED, HTTP_OK = 201, 200


@dataclass
class Load:
    """What one load phase measured."""

    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    client_cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    timed_out: bool = False

    @property
    def rate(self) -> float:
        """Answers per second."""
        return len(self.latencies_ms) / self.seconds

    def percentile(self, share: float) -> float:
        """The latency below which `share` of the answers came (nearest rank)."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))] if ordered else float("nan")


def free_port() -> int:
    """A TCP port on loopback that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def report_bodies(world: BenchWorld, count: int) -> list[bytes]:
    """`count` valid illegal-parking reports at random points inside the grids of 府山街道, as JSON."""
    points = points_in(list(world.grids.values()), count, seed=2)
    return [
        json.dumps(
            {
                "matter": "illegal_parking",
                "point": {"lon": lon, "lat": lat},
                "description": f"人行道违停 #{n}",
                "channel": "phone",
                "attributes": PARKING_ATTRIBUTES,
            },
            ensure_ascii=False,
        ).encode()
        for n, (lon, lat) in enumerate(points)
    ]


def bearer_token(world: BenchWorld) -> str:
    """An API token of the grid worker, issued straight into the database."""
    with Session(world.engine, expire_on_commit=False) as session:
        account = session.merge(world.accounts["worker"])
        _id, token = issue_token(session, account=account, name="bench", days=1, secret=SECRET, clock=SystemClock())
    return token


class Server:
    """uvicorn in a subprocess on a loopback port, with the app built from ZHILI_ variables."""

    def __init__(self, url: str, *, app: str, workers: int, log: Path, command: list[str] | None = None) -> None:
        """Start `python -m uvicorn app` (or `command` followed by the port) with the ZHILI_ variables."""
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {
            **os.environ,
            "ZHILI_DATABASE_URL": url,
            "ZHILI_SECRET_KEY": SECRET,
            "ZHILI_ENVIRONMENT": "production",
            "ZHILI_LOG_JSON": "true",
        }
        command = (
            [*command, str(self.port)]
            if command is not None
            else [
                sys.executable,
                "-m",
                "uvicorn",
                app,
                "--factory",
                "--app-dir",
                str(ROOT / "benchmarks"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ]
        )
        with log.open("wb") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Poll /healthz until it answers 200; raise if the server died or never came up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}); see {self.log}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == HTTP_OK:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s; see {self.log}")

    def cpu_seconds(self) -> float:
        """User + system CPU of the server and its worker processes so far (Linux /proc; 0 elsewhere)."""
        total, pids, tick = 0.0, [self.process.pid], os.sysconf("SC_CLK_TCK")
        while pids:
            pid = pids.pop()
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
                pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
            except (OSError, IndexError, ValueError):
                continue
        return total

    def stop(self) -> None:
        """Stop the server we started (SIGTERM, then SIGKILL after 15 s)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


class RawConnection:
    """One keep-alive HTTP/1.1 connection written with asyncio streams: a client that costs the CPU little.

    httpx's pool scans its connections on every request, so at 64 connections the client alone needs
    several ms of CPU a request and, on a 2-core machine, takes the CPU the server should be measured
    with. This one sends a prepared request head and reads the status, the headers and a
    Content-Length or chunked body; any error closes the connection and the next request reopens it.
    """

    def __init__(self, host: str, port: int, head: str) -> None:
        self.host, self.port, self.head = host, port, head
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, body: bytes) -> int:
        """Send one request and read its whole answer; the status code."""
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                if self.reader is None or self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                self.writer.write(f"{self.head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
                status, keep_alive = await self._read(self.reader)
        except BaseException:
            self.close()
            raise
        if not keep_alive:
            self.close()
        return status

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> tuple[int, bool]:
        lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = {
            name.strip().lower(): value.strip().lower() for name, _, value in (h.partition(b":") for h in lines[1:])
        }
        if b"chunked" in headers.get(b"transfer-encoding", b""):
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await reader.readexactly(size + 2)
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                pass
        else:
            await reader.readexactly(int(headers.get(b"content-length", b"0")))
        return status, headers.get(b"connection") != b"close"

    def close(self) -> None:
        """Drop the connection."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


Sender = Callable[[bytes], Awaitable[int]]


async def _drive(load: Load, senders: list[Sender], bodies: list[bytes] | None) -> None:
    """Each sender is one client: it takes the next request number until `load.requests` are sent."""
    next_index = iter(range(load.requests))

    async def one_client(send: Sender) -> None:
        for n in next_index:
            started = time.perf_counter()
            try:
                status = await send(bodies[n] if bodies else b"")
            except (
                httpx.HTTPError,
                OSError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                ValueError,
            ) as exc:
                load.failures[type(exc).__name__] += 1
                continue
            load.latencies_ms.append((time.perf_counter() - started) * 1000)
            load.statuses[status] += 1

    started = time.perf_counter()
    try:
        async with asyncio.timeout(DEADLINE_S):
            await asyncio.gather(*(one_client(send) for send in senders))
    except TimeoutError:
        load.timed_out = True
    load.seconds = time.perf_counter() - started


@dataclass(frozen=True)
class Loader:
    """The load: `clients` concurrent clients of one kind against a server, with a bearer token."""

    server: Server
    token: str
    clients: int
    kind: str  # "raw" or "httpx"

    def run(self, method: str, path: str, *, bodies: list[bytes] | None = None, count: int = 0) -> Load:
        """One phase: a request per body (or `count` without one), with the CPU both sides used."""
        load = Load(requests=len(bodies) if bodies is not None else count, seconds=0.0, latencies_ms=[])
        cpu_client, cpu_server = time.process_time(), self.server.cpu_seconds()
        asyncio.run(self._run(load, method, path, bodies))
        load.client_cpu_s = time.process_time() - cpu_client
        load.server_cpu_s = self.server.cpu_seconds() - cpu_server
        return load

    async def _run(self, load: Load, method: str, path: str, bodies: list[bytes] | None) -> None:
        if self.kind == "httpx":
            limits = httpx.Limits(max_connections=self.clients, max_keepalive_connections=self.clients)
            headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
            async with httpx.AsyncClient(base_url=self.server.base, headers=headers, limits=limits) as client:

                async def send(body: bytes) -> int:
                    response = await client.request(method, path, content=body or None, timeout=REQUEST_TIMEOUT_S)
                    return response.status_code

                await _drive(load, [send] * self.clients, bodies)
            return
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.server.port}\r\n"
            f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n"
        )
        connections = [RawConnection("127.0.0.1", self.server.port, head) for _ in range(self.clients)]
        try:
            await _drive(load, [connection.send for connection in connections], bodies)
        finally:
            for connection in connections:
                connection.close()


def describe(label: str, load: Load) -> list[str]:
    """The printed lines of one load phase."""
    statuses = ", ".join(f"{status}: {n:,}" for status, n in sorted(load.statuses.items()))
    failures = ", ".join(f"{name}: {n:,}" for name, n in sorted(load.failures.items())) or "none"
    return [
        f"{label}: {load.requests:,} requests in {load.seconds:.2f} s{'  (DEADLINE HIT)' if load.timed_out else ''}",
        f"  {'requests/s':<40}{load.rate:>10,.0f}",
        (
            f"  {'latency p50 / p95 / p99 / max (ms)':<40}{load.percentile(0.50):>10.1f} / {load.percentile(0.95):.1f}"
            f" / {load.percentile(0.99):.1f} / {max(load.latencies_ms, default=float('nan')):.1f}"
        ),
        f"  {'answers by status':<40}{statuses}",
        f"  {'failed requests':<40}{failures}",
        (
            f"  {'CPU s: client / server (wall s)':<40}{load.client_cpu_s:>10.1f} / {load.server_cpu_s:.1f}"
            f"  ({load.seconds:.1f})"
        ),
    ]


def stored_cases(world: BenchWorld) -> tuple[int, bool]:
    """How many cases the database holds, and whether the audit chain is intact."""
    with Session(world.engine) as session:
        count = session.scalar(select(func.count()).select_from(Case)) or 0
        intact = audit.verify(session).is_intact
    return count, intact


def errors_in(load: Load, expected: int) -> list[str]:
    """What makes the run fail: failed requests, 5xx, unexpected answers, the deadline."""
    problems = [f"{n} failed requests ({name})" for name, n in load.failures.items()]
    problems += [f"{n} answers {status}" for status, n in load.statuses.items() if status != expected]
    if load.timed_out:
        problems.append(f"the {DEADLINE_S:.0f} s deadline was hit")
    return problems


def main() -> int:
    """Build the world, serve it, load it, print the figures; exit 1 only on an error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw", help="the load client (default raw)")
    parser.add_argument(
        "--app",
        default=APP_FACTORY,
        help=f"the uvicorn app factory to serve, to try a change (default {APP_FACTORY}; others via PYTHONPATH)",
    )
    parser.add_argument("--floor", default=FLOOR_PATH, help=f"the GET path of the floor (default {FLOOR_PATH})")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="zhili-bench-"))
    world = build_world(tmp / "intake.sqlite")
    token = bearer_token(world)
    bodies = report_bodies(world, WARMUP + args.requests)
    server = Server(world.url, app=args.app, workers=args.workers, log=tmp / "server.log")
    try:
        server.wait_ready()
        loader = Loader(server, token, args.clients, args.client)
        warm = loader.run("POST", INTAKE_PATH, bodies=bodies[:WARMUP])
        intake = loader.run("POST", INTAKE_PATH, bodies=bodies[WARMUP:])
        floor_warm = loader.run("GET", args.floor, count=WARMUP)
        floor = loader.run("GET", args.floor, count=args.requests)
    finally:
        server.stop()
    count, intact = stored_cases(world)
    world.engine.dispose()
    created = warm.statuses[HTTP_CREATED] + intake.statuses[HTTP_CREATED]
    problems = [
        *errors_in(warm, HTTP_CREATED),
        *errors_in(intake, HTTP_CREATED),
        *errors_in(floor_warm, HTTP_OK),
        *errors_in(floor, HTTP_OK),
    ]
    if count != created:
        problems.append(f"{count} cases stored, {created} answered 201")
    if not intact:
        problems.append("the audit chain is broken")
    rate_met = intake.rate >= TARGET_RATE
    p99_met = intake.percentile(0.99) <= TARGET_P99_MS
    lines = [
        (
            f"setup: fresh SQLite file, {len(world.grids)} grids in 府山街道: {world.setup_seconds:.2f} s; "
            f"server: uvicorn, {args.workers} worker(s), {args.clients} concurrent {args.client} clients, loopback"
        ),
        f"server log: {server.log}",
        f"warm-up: {WARMUP} reports in {warm.seconds:.2f} s",
        *describe("intake  POST /api/v1/cases", intake),
        *describe(f"floor   GET {args.floor}", floor),
        f"{'ratio intake / floor, requests/s':<42}{intake.rate / floor.rate:>10.2f}",
        f"{'ratio intake / floor, p99 latency':<42}{intake.percentile(0.99) / floor.percentile(0.99):>10.1f}x",
        f"{'target ≥ 1,000 cases/s':<42}{'met' if rate_met else 'not met':>10}",
        f"{'target p99 ≤ 50 ms':<42}{'met' if p99_met else 'not met':>10}",
        (
            f"check: {count:,} cases stored, audit chain {'intact' if intact else 'BROKEN'}: "
            f"{'ok' if not problems else 'FAILED'}"
        ),
        *(f"  {problem}" for problem in problems),
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
