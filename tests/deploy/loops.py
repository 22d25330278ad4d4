"""Real API processes and workers on one database, and closed loops driven over HTTP.

`Fleet` starts `zhili serve` on free loopback ports and `zhili worker` processes, all with the same
ZHILI_ settings (production, one secret, the demo clock so that a test can move time for all of
them by writing one row), waits until every server is ready (`/readyz`), and stops them with
SIGTERM. `LoopDriver` runs the closed loop of an illegal-parking case — report → accept →
dispatch → sign → start → photo → reply → verify → close → rate — sending each request to the next
server in turn, so one loop crosses every process.
"""

from __future__ import annotations

import base64
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import shapely
from shapely.geometry import MultiPolygon, Polygon

from tests.conftest import LOOPBACK_TLS, loopback_client
from tests.deploy.world import SECRET

ZHILI = str(Path(sys.executable).with_name("zhili"))
PHOTO = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
PARKING = {"plate_number": "浙H12345", "vehicle_type": "car", "parked_on": "pavement"}
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
REQUESTS_PER_LOOP = 2 + len(STEPS)  # the report, the photo and the commands
EVENTS_PER_LOOP = 12  # report, routed, contact_informed, photo_added and one per command


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(url: str, **extra: str) -> dict[str, str]:
    """The ZHILI_ settings every process of the fleet shares."""
    return {
        **os.environ,
        "ZHILI_DATABASE_URL": url,
        "ZHILI_SECRET_KEY": SECRET,
        "ZHILI_ENVIRONMENT": "production",
        "ZHILI_DEMO_CLOCK": "true",
        "ZHILI_LOG_JSON": "true",
        **extra,
    }


@dataclass
class Fleet:
    """API servers and workers as child processes; `servers` holds their base URLs."""

    url: str
    logs: Path
    servers: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, *, servers: int, workers: int) -> None:
        """Start the processes and wait until every server is ready."""
        env = environment(self.url, ZHILI_TIMER_BATCH_SIZE="5")  # small batches: both workers get some
        for n in range(servers):
            port = free_port()
            self._spawn([ZHILI, "serve", "--port", str(port)], env, f"server{n}")
            self.servers.append(f"http://127.0.0.1:{port}")
        for n in range(workers):
            self._spawn([ZHILI, "worker", "--idle-seconds", "0.2"], env, f"worker{n}")
        for base in self.servers:
            self._wait_ready(base)

    def _spawn(self, command: list[str], env: dict[str, str], name: str) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self.processes.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))  # noqa: S603

    def _wait_ready(self, base: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in self.processes):
                raise RuntimeError(f"a process of the fleet exited; see {self.logs}")
            with contextlib.suppress(httpx.TransportError):  # not listening yet
                if httpx.get(f"{base}/readyz", timeout=2, verify=LOOPBACK_TLS).status_code == 200:
                    return
            time.sleep(0.2)
        raise TimeoutError(f"{base} not ready after {timeout} s; see {self.logs}")

    def stop(self) -> list[int]:
        """SIGTERM every process, wait for it (SIGKILL after 30 s); their exit codes."""
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        codes = []
        for process in self.processes:
            try:
                codes.append(process.wait(timeout=30))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(process.wait())
        return codes


@contextmanager
def fleet(url: str, logs: Path, *, servers: int, workers: int) -> Iterator[Fleet]:
    """A started fleet, stopped on the way out."""
    started = Fleet(url, logs)
    try:
        started.start(servers=servers, workers=workers)
        yield started
    finally:
        started.stop()


def points_in(grids: list[Polygon | MultiPolygon], count: int, *, seed: int) -> list[tuple[float, float]]:
    """`count` random points, each inside one of the grids."""
    rng = random.Random(seed)
    found: list[tuple[float, float]] = []
    while len(found) < count:
        grid = rng.choice(grids)
        xmin, ymin, xmax, ymax = grid.bounds
        lon, lat = rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)
        if shapely.contains_xy(grid, lon, lat):
            found.append((lon, lat))
    return found


class LoopDriver:
    """Closed loops over HTTP, each request to the next server in turn."""

    def __init__(self, servers: Sequence[str | httpx.Client], tokens: dict[str, str]) -> None:
        self.clients = [loopback_client(base, timeout=60) if isinstance(base, str) else base for base in servers]
        self.headers = {who: {"Authorization": f"Bearer {token}"} for who, token in tokens.items()}
        self.turn = 0

    def close(self) -> None:
        """Close the connections."""
        for client in self.clients:
            client.close()

    def send(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request as `who` to the next server."""
        client = self.clients[self.turn % len(self.clients)]
        self.turn += 1
        return client.request(method, path, headers=self.headers[who], **kwargs)

    def ok(self, who: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """`send`, which must answer 200 or 201; the JSON answer."""
        response = self.send(who, method, path, **kwargs)
        if response.status_code not in {200, 201}:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text}")
        answer: dict[str, Any] = response.json()
        return answer

    def report(self, point: tuple[float, float]) -> tuple[int, int]:
        """A new case at the point; (its id, its version)."""
        body = {
            "matter": "illegal_parking",
            "point": {"lon": point[0], "lat": point[1]},
            "description": "人行道上停了一辆车，挡住了盲道",
            "channel": "phone",
            "attributes": PARKING,
        }
        created = self.ok("worker", "POST", "/api/v1/cases", json=body)
        return int(created["id"]), int(created["version"])

    def command(self, who: str, case_id: int, version: int, arguments: dict[str, Any]) -> int:
        """One lifecycle command; the case's new version."""
        body = {**arguments, "version": version}
        return int(self.ok(who, "POST", f"/api/v1/cases/{case_id}/commands", json=body)["version"])

    def loop(self, point: tuple[float, float]) -> int:
        """One closed loop at the point; the case's id."""
        case_id, version = self.report(point)
        for who, arguments in STEPS:
            if arguments["command"] == "reply":
                files = {"photo": ("p.png", PHOTO, "image/png")}
                photo = self.ok(who, "POST", f"/api/v1/cases/{case_id}/photos", files=files)
                evidence = [
                    {"kind": "photo", "ref": photo["ref"]},
                    {"kind": "gps", "ref": f"{point[0]:.6f},{point[1]:.6f}"},
                    {"kind": "text", "ref": "现场已恢复"},
                ]
                arguments = {**arguments, "evidence": evidence}  # noqa: PLW2901 - the reply cites the photo
            version = self.command(who, case_id, version, arguments)
        return case_id
