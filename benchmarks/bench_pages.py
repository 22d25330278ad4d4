"""The CPU of the pages people open most, per login, against the app's own floor, on a demo database.

Usage: `python benchmarks/bench_pages.py --database var/zhili-demo.sqlite` (a database `zhili demo`
built; `--url` for PostgreSQL). The app is built as `zhili serve` builds it, on the demo clock's
instant (`--at`, the demo's day by default) and driven in-process through Starlette's test client;
each login signs in with the login form. For each login and page it prints the CPU of one request
(the median of `--repeat` rounds of `--requests` requests each, after one warm-up request), and the
ratio to the floor measured in the same run: `/healthz` through the same client and middleware (the
cost of a request before any page work). The machine is shared: read the ratios, not the times.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("zhili") is None:
    sys.path.insert(0, str(ROOT / "src"))

import structlog  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from zhili.access.models import Account  # noqa: E402
from zhili.access.pages import LOGIN_CSRF_COOKIE  # noqa: E402
from zhili.access.service import actor_for  # noqa: E402
from zhili.app import create_app  # noqa: E402
from zhili.core.clock import FrozenClock  # noqa: E402
from zhili.core.db import make_engine  # noqa: E402
from zhili.core.settings import Settings  # noqa: E402
from zhili.demo.build import DEMO_PASSWORD  # noqa: E402

# The demo's day: the instant the tests' world is built at (`tests/conftest.py` START).
DEMO_DAY = datetime(2026, 7, 23, 7, 0, tzinfo=UTC)
LOGINS = {
    "kc-centre": ("/", "/cases", "/supervision", "/assessment", "/inbox"),  # a county's governance centre
    "fushan": ("/", "/cases", "/assessment/division/330802006"),  # a township's command room (its breakdown)
    "kc-traffic": ("/", "/cases", "/assessment/unit/{unit}"),  # a unit's desk (交警)
    "gridworker": ("/", "/tasks", "/inbox"),  # a grid worker on a phone
}
HTML = {"Accept": "text/html"}


def _login(client: TestClient, username: str) -> None:
    token = secrets.token_urlsafe(16)  # the login form's own CSRF cookie, as the form's page sets it
    client.cookies.clear()
    client.cookies.set(LOGIN_CSRF_COOKIE, token, domain="testserver.local")
    fields = {"username": username, "password": DEMO_PASSWORD, "csrf_token": token, "next": "/"}
    answer = client.post("/login", data=fields, follow_redirects=False)
    if answer.status_code != 303:
        sys.exit(f"{username} could not log in ({answer.status_code}): is this a demo database?")


def _cpu_ms(client: TestClient, path: str, *, requests: int, repeat: int) -> tuple[float, int]:
    """The median CPU of one request to `path` (ms), and its status."""
    status = client.get(path, headers=HTML).status_code  # the warm-up: compiled templates, cached statements
    rounds = []
    for _ in range(repeat):
        started = time.process_time()
        for _ in range(requests):
            client.get(path, headers=HTML)
        rounds.append((time.process_time() - started) * 1000 / requests)
    return statistics.median(rounds), status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--database", type=Path, help="an SQLite file built by `zhili demo`")
    where.add_argument("--url", help="a database URL (PostgreSQL) holding the demo world")
    parser.add_argument("--at", default=DEMO_DAY.isoformat(), help="the instant the pages are read at (ISO, UTC)")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{args.database}"
    engine = make_engine(url)
    with Session(engine) as session:
        units = {
            account.username: min(actor_for(session, account).units, default=0)
            for account in session.scalars(select(Account).where(Account.username.in_(LOGINS)))
        }
    engine.dispose()
    app = create_app(Settings(database_url=url), clock=FrozenClock(datetime.fromisoformat(args.at)))
    with TestClient(app) as client:
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))  # no request lines
        _login(client, "kc-centre")
        floor, _ = _cpu_ms(client, "/healthz", requests=args.requests * 5, repeat=args.repeat)
        print(f"floor: /healthz through the same client and middleware  {floor:6.2f} ms of CPU a request")
        print(f"{'login':12} {'page':42} {'status':>6} {'CPU ms':>8} {'× floor':>8}")
        for username, paths in LOGINS.items():
            _login(client, username)
            for path in paths:
                page = path.format(unit=units.get(username, 0))
                spent, status = _cpu_ms(client, page, requests=args.requests, repeat=args.repeat)
                print(f"{username:12} {page:42} {status:>6} {spent:8.2f} {spent / floor:8.1f}")


if __name__ == "__main__":
    main()
