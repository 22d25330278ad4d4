"""Whose address the login throttle counts: `X-Forwarded-For` only from proxies named in the settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import START, fresh_database, live_server, loopback_client

from zhili.access.service import create_account
from zhili.app import create_app
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.core.db import make_session_factory, session_scope
from zhili.core.settings import Settings

PASSWORD = "a-good-password"


@contextmanager
def serving(tmp_path: Path, trusted_proxies: str) -> Iterator[str]:
    """The app as `zhili serve` runs it, over a database holding one account, on a loopback port."""
    url, engine = fresh_database("sqlite", tmp_path, f"proxy-{len(trusted_proxies)}")
    clock = FrozenClock(START)
    with session_scope(make_session_factory(engine)) as session:
        admin = {"person_id": None, "is_admin": True, "actor": system_actor(), "clock": clock}
        create_account(session, username="guarded", password=PASSWORD, **admin)
    settings = Settings(environment="test", database_url=url, trusted_proxies=trusted_proxies)
    try:
        with live_server(create_app(settings, clock=clock, engine=engine)) as base_url:
            yield base_url
    finally:
        engine.dispose()


def _login(base: str, password: str, forwarded_for: str) -> int:
    with loopback_client(base) as client:
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        answer = client.post(
            "/login",
            data={"username": "guarded", "password": password, "csrf_token": token},
            headers={"X-Forwarded-For": forwarded_for},
        )
        return answer.status_code


def test_a_new_forwarded_address_does_not_escape_the_throttle_by_default(tmp_path: Path) -> None:
    with serving(tmp_path, "") as base:
        for attempt in range(10):
            assert _login(base, "guess-guess", f"203.0.113.{attempt}") == 401
        assert _login(base, PASSWORD, "198.51.100.7") == 429


def test_behind_a_named_proxy_the_forwarded_address_is_the_client(tmp_path: Path) -> None:
    with serving(tmp_path, "127.0.0.1") as base:
        for _ in range(10):
            assert _login(base, "guess-guess", "203.0.113.1") == 401
        assert _login(base, PASSWORD, "203.0.113.1") == 429
        assert _login(base, PASSWORD, "198.51.100.7") == 303
