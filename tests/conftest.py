"""Shared fixtures: the demo world on SQLite and PostgreSQL, per-test rollback, HTTP clients.

The demo world is copied from a template cached across runs (tests/world_cache.py). Passwords are
hashed with cheap argon2 parameters in tests only (`TEST_HASHER`); production keeps argon2's strong
defaults, which tests/access/test_password_cost.py checks in a fresh interpreter.

PostgreSQL tests run when ZHILI_TEST_POSTGRES_URL is set; with ZHILI_REQUIRE_POSTGRES=1 (CI) a
missing server fails the run instead of skipping. The same holds for the browser with
ZHILI_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import gc
import os
import secrets
import shutil
import socket
import sqlite3
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests import browser_processes, world_cache
from tests.buffered_client import BufferedTestClient
from zhili.access import service as access_service
from zhili.access.actor_cache import ActorCache
from zhili.access.deps import SESSION_COOKIE
from zhili.access.models import Account, LoginSession
from zhili.access.pages import LOGIN_CSRF_COOKIE
from zhili.app import create_app
from zhili.core import credentials, migrate
from zhili.core.clock import FrozenClock
from zhili.core.credentials import digest_token
from zhili.core.db import make_engine
from zhili.core.serving import server_config
from zhili.core.settings import Settings
from zhili.demo.build import DEMO_PASSWORD, LOGIN_LABELS
from zhili.demo.world import DEFAULT_SEED
from zhili.org.geo import LocatorCache
from zhili.org.locate import Locator
from zhili.org.models import GeometryRevision

START = datetime(2026, 7, 23, 7, 0, tzinfo=UTC)
BACKENDS = ("sqlite", "postgres")
# The cheapest argon2id argon2-cffi accepts: a login costs microseconds, not 0.2 CPU-seconds.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _hasher_parameters() -> str:
    return f"t={TEST_HASHER.time_cost},m={TEST_HASHER.memory_cost},p={TEST_HASHER.parallelism}"


# SQLite reads the test worlds (300 MB files) through a memory mapping instead of one read() per page
# into each connection's 2 MB page cache: about a tenth of the crawl's CPU was those system calls.
# Tests only (this process's engines); the app's own pragmas are set by `make_engine` as in production.
SQLITE_MMAP_BYTES = 512 * 1024 * 1024


@event.listens_for(Engine, "connect")
def _map_sqlite_files(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")


def pytest_configure(config: pytest.Config) -> None:
    """Hash and verify test passwords with `TEST_HASHER` (this process only; production is untouched)."""
    credentials._hasher = TEST_HASHER
    access_service._dummy_hash.cache_clear()  # made again, by this hasher, at the first unknown username


# The cyclic garbage collector's young generation is collected every 700 net allocations by default; a
# test suite that builds hundreds of thousands of long-lived objects (mappers, routes, schemas, the
# world's geometry) then walks them again and again: about a tenth of the CPU of an HTTP test.
GC_THRESHOLDS = (50_000, 20, 100)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what collection imported (the collector skips it from now on) and collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def require_or_skip(variable: str, reason: str) -> None:
    """Skip on a laptop without the service; fail in CI, where the variable demands it."""
    if os.environ.get(variable) == "1":
        pytest.fail(f"{reason}, but {variable}=1 requires it")
    pytest.skip(reason)


def postgres_url() -> str:
    """The test server's URL, or skip/fail."""
    url = os.environ.get("ZHILI_TEST_POSTGRES_URL", "")
    if not url:
        require_or_skip("ZHILI_REQUIRE_POSTGRES", "ZHILI_TEST_POSTGRES_URL is not set")
    return url


def scratch_postgres(name: str, *, migrated: bool = False) -> str:
    """The URL of a new PostgreSQL database on the test server (dropped first if it exists).

    Empty, or with `migrated` at the newest migration: a copy of a database migrated once a session
    (running the migrations costs about 0.4 CPU-s; CREATE DATABASE … TEMPLATE, none of ours). Its name
    starts with the test database's, so runs against different test databases on one server never
    drop each other's scratch databases.
    """
    base, own = postgres_url().rsplit("/", 1)
    template = _migrated_postgres(base, own) if migrated else None
    return recreate_database(base, f"{own}_{name}", template=template)


def recreate_database(base: str, name: str, *, template: str | None = None, force: bool = False) -> str:
    """Drop `name` on the server at `base` if it exists and create it again, empty or as a copy of `template`.

    `force` ends other sessions on the old database first. Returns the new database's URL.
    """
    admin = make_engine(f"{base}/postgres").execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"' + (" WITH (FORCE)" if force else "")))
        connection.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()
    return f"{base}/{name}"


_MIGRATED_POSTGRES: list[str] = []  # the session's migrated database, the template of `scratch_postgres(migrated=True)`


def _migrated_postgres(base: str, own: str) -> str:
    if not _MIGRATED_POSTGRES:
        name = f"{own}_migrated"
        migrate.upgrade(recreate_database(base, name, force=True))
        _MIGRATED_POSTGRES.append(name)
    return _MIGRATED_POSTGRES[0]


def migrated_database(backend: str, tmp: Path, name: str) -> str:
    """The URL of a new database at the newest migration: a SQLite file in `tmp`, or a scratch PostgreSQL database."""
    if backend == "sqlite":
        return world_cache.migrated_sqlite(tmp / f"{name}.sqlite")
    return scratch_postgres(name, migrated=True)


def fresh_database(backend: str, tmp: Path, name: str) -> tuple[str, Engine]:
    """An empty database at the newest migration (on PostgreSQL: the test database, its schema dropped first)."""
    if backend == "sqlite":
        url = migrated_database(backend, tmp, name)
    else:
        url = postgres_url()
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        migrate.upgrade(url)
    return url, make_engine(url)


@dataclass
class World:
    """A database holding the demo world, shared by the tests of one backend."""

    backend: str
    url: str
    engine: Engine


class Worlds:
    """Demo worlds built on first use, one per backend, shared by the whole run."""

    def __init__(self, tmp: pytest.TempPathFactory) -> None:
        self.tmp = tmp
        self.built: dict[str, World] = {}

    def get(self, backend: str) -> World:
        """The world of a backend: a copy of the cached template, made the first time it is asked for."""
        if backend not in self.built:
            key = world_cache.world_key(start=START, seed=DEFAULT_SEED, hasher=_hasher_parameters())
            if backend == "sqlite":
                url = world_cache.sqlite_world(self.tmp.mktemp(backend) / "world.sqlite", key=key, start=START)
            else:
                url = world_cache.postgres_world(postgres_url(), key=key, start=START)
            self.built[backend] = World(backend, url, make_engine(url))
        return self.built[backend]


@pytest.fixture(scope="session")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worlds]:
    """The cache of demo worlds."""
    found = Worlds(tmp_path_factory)
    yield found
    for world in found.built.values():
        world.engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def world(request: pytest.FixtureRequest, worlds: Worlds) -> World:
    """The demo world of each backend in turn: tests using it run on SQLite and on PostgreSQL."""
    return worlds.get(request.param)


@pytest.fixture(scope="session")
def sqlite_world(worlds: Worlds) -> World:
    """The SQLite demo world alone (for the browser, which needs one running server)."""
    return worlds.get("sqlite")


@pytest.fixture
def connection(world: World) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back after the test."""
    with world.engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    """Sessions whose commits only release savepoints inside the test's transaction."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session for service and query tests."""
    with sessions() as s:
        yield s


@pytest.fixture
def clock() -> FrozenClock:
    """A clock frozen at the seed report's typhoon day."""
    return FrozenClock(START)


class WorldLocators(LocatorCache):
    """The point locators of a world's own geometry, built once; other revisions build their own.

    `LocatorCache` only moves forward, which is right for one database but not for tests whose
    geometry changes are rolled back: a test that moved the revision gets locators of its own,
    forgotten by `reset` before the next test.
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        with Session(engine) as session:
            self.revision = session.scalar(select(GeometryRevision.revision)) or 0
            self.baseline = super().locators(session)
        self.reset()

    def reset(self) -> None:
        """Forget the locators a test built for geometry of its own."""
        self.own = LocatorCache()

    def locators(self, session: Session) -> tuple[Locator, Locator]:
        """The world's locators while the test has not moved the geometry revision."""
        if (session.scalar(select(GeometryRevision.revision)) or 0) == self.revision:
            return self.baseline
        return self.own.locators(session)


class Apps:
    """One app per world, shared by the tests of a session.

    Building an app and compiling its page templates costs more than most tests. Each test gets the
    shared app with its own sessions, clock and actor cache, and without what earlier tests left in
    `app.state` (stream limiters bound to their event loop, boards read). The app's test client is
    shared too, with its cookies cleared for each test: entering a TestClient starts an event loop in
    a thread of its own and the app's lifespan, about 5 ms of CPU a test.
    """

    def __init__(self) -> None:
        self.built: dict[str, tuple[FastAPI, frozenset[str]]] = {}
        self.clients: dict[str, TestClient] = {}
        self.open = ExitStack()

    def get(self, world: World) -> FastAPI:
        """The app of a world, built the first time (before any test holds the database)."""
        if world.backend not in self.built:
            settings = Settings(environment="test", database_url=world.url, max_body_bytes=64 * 1024)
            app = create_app(settings, clock=FrozenClock(START), engine=world.engine)
            app.state.locators = WorldLocators(world.engine)
            self.built[world.backend] = (app, frozenset(app.state._state))
            OPENED_SESSIONS[id(app)] = open_demo_sessions(world.engine, settings)
        return self.built[world.backend][0]

    def for_test(self, world: World, sessions: sessionmaker[Session], clock: FrozenClock) -> FastAPI:
        """The app of a world, set up for one test."""
        app, keys = self.built[world.backend]
        for key in set(app.state._state) - keys:  # Starlette's State keeps no other list
            delattr(app.state, key)
        services = app.state.services
        services.sessions = sessions
        services.read_sessions = sessions
        services.clock = clock
        app.state.actor_cache = ActorCache(services.settings.actor_cache_seconds)
        app.state.locators.reset()
        return app

    def client(self, world: World) -> TestClient:
        """The test client of a world's app (entered the first time, left when the session ends), without cookies."""
        if world.backend not in self.clients:
            app = self.built[world.backend][0]
            client = BufferedTestClient(app, raise_server_exceptions=False)
            self.clients[world.backend] = self.open.enter_context(client)
        found = self.clients[world.backend]
        found.cookies.clear()
        return found


@pytest.fixture(scope="session")
def apps() -> Iterator[Apps]:
    """The cache of apps (and their clients, closed at the end)."""
    found = Apps()
    with found.open:
        yield found


@pytest.fixture(scope="session")
def world_app(world: World, apps: Apps) -> FastAPI:
    """The shared app of each world, made at session scope: before the test's transaction holds SQLite."""
    return apps.get(world)


@pytest.fixture
def locators(world_app: FastAPI) -> LocatorCache:
    """The world's point locators (built once per session), for service tests that locate points."""
    found: WorldLocators = world_app.state.locators
    found.reset()
    return found


@pytest.fixture
def app_client(
    world: World, world_app: FastAPI, apps: Apps, sessions: sessionmaker[Session], clock: FrozenClock
) -> Iterator[TestClient]:
    """An HTTP client whose requests run inside the test's transaction, on the world's shared app (and client)."""
    apps.for_test(world, sessions, clock)
    client = apps.client(world)
    yield client
    client.cookies.clear()


# A year and more: the session a demo login opens before the tests outlives every test's clock.
OPENED_MAX_AGE = 400 * 24 * 3600
# Per shared app (`id`): each demo login's session, opened once before the tests (`open_demo_sessions`).
OPENED_SESSIONS: dict[int, dict[str, access_service.OpenedSession]] = {}


def open_demo_sessions(engine: Engine, settings: Settings) -> dict[str, access_service.OpenedSession]:
    """A session for each demo login, opened (and committed) by the login's own service before any test runs.

    `Api.login` hands a test the session of its login instead of logging in again: the login form's
    POST, its audit record and its redirect cost about 9 ms, paid by some 3,000 logins a run. The
    sessions are the world's, as those the seed's logins would have: each test's transaction, rolled
    back, leaves them as they were (a test that logs out or deactivates an account undoes it).
    """
    secret = settings.secret_key.get_secret_value()
    with Session(engine, expire_on_commit=False) as session:
        accounts = session.scalars(select(Account).where(Account.username.in_(LOGIN_LABELS))).all()
        return {
            account.username: access_service.open_session(
                session, account=account, max_age=OPENED_MAX_AGE, secret=secret, clock=FrozenClock(START)
            )
            for account in accounts
        }


class Api:
    """Log in as a demo user and call the API with their session (and CSRF token)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def login(self, username: str, password: str = DEMO_PASSWORD, *, fresh: bool = False) -> Api:
        """Take the demo login's session opened before the tests (`open_demo_sessions`), or log in (`fresh`).

        The session is the same each time: logging in again after logging out, a password change or a
        lapse finds it ended, and a second browser of the same person shares it. A test of those (or of
        anything that must begin with a new session) logs in `fresh`. A login without such a session
        (another password, an account a test made, an app of the test's own) or `fresh` posts the login
        form, as a browser would, and takes the session's CSRF token.
        The form's page is not fetched first: its CSRF cookie is set here as the page sets it (the
        login page has tests of its own, tests/access). The session's CSRF token, which every page
        carries, is read from the session's row: rendering the form and a page for it cost more than
        the login itself.
        """
        self.client.cookies.clear()
        opened = OPENED_SESSIONS.get(id(self.client.app), {}).get(username)
        if opened is not None and password == DEMO_PASSWORD and not fresh:
            self.client.cookies.set(SESSION_COOKIE, opened.cookie_token, domain=self._cookie_domain())
            self.csrf = opened.csrf_token
            return self
        token = secrets.token_urlsafe(32)
        self.client.cookies.set(LOGIN_CSRF_COOKIE, token, domain=self._cookie_domain())
        response = self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token, "next": "/"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        services = self.client.app.state.services  # type: ignore[attr-defined]
        secret = services.settings.secret_key.get_secret_value()
        digest = digest_token(self.client.cookies[SESSION_COOKIE], secret=secret)
        with services.sessions() as session:
            found = select(LoginSession.csrf_token).where(LoginSession.token_digest == digest)
            self.csrf = session.scalars(found).one()
        return self

    def _cookie_domain(self) -> str:
        """The domain the cookie jar files the server's cookies under (a host without a dot gets `.local`)."""
        host = self.client.base_url.host
        return host if "." in host else f"{host}.local"

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET with the session cookie."""
        return self.client.get(path, **kwargs)

    def send(self, method: str, path: str, **kwargs: Any) -> Any:
        """An unsafe request carrying the CSRF token."""
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)


@pytest.fixture
def api(app_client: TestClient) -> Api:
    """An API caller; call `.login(username)` first."""
    return Api(app_client)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# An HTTP client builds a TLS context by default, loading the CA bundle: about 30 ms of CPU per client,
# which tests opening hundreds of clients to a plain-HTTP loopback server would pay. One shared context.
LOOPBACK_TLS = ssl.create_default_context()


def loopback_client(base_url: str, **options: Any) -> httpx.Client:
    """An HTTP client for a test server on loopback (plain HTTP), sharing one TLS context."""
    return httpx.Client(base_url=base_url, verify=LOOPBACK_TLS, **options)


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Serve the app as `zhili serve` does (no proxy headers) on a loopback port in a thread; yields its URL."""
    port = free_port()
    server = uvicorn.Server(server_config(app, host="127.0.0.1", port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    """Debian's Chromium (`ZHILI_CHROMIUM`, else its headless shell or `chromium` on PATH); else a skip (CI: a failure).

    The headless shell (Debian's `chromium-headless-shell`, Chromium's old headless mode, what Playwright
    itself runs headless tests in) is the same Blink and V8 without the browser's windows. The full
    browser, headless, still builds each window's address bar, in a renderer of its own (Chromium 156's
    WebUI omnibox popup): the browser tests cost two and a half times the CPU in it.
    """
    path = os.environ.get("ZHILI_CHROMIUM") or shutil.which("chromium-headless-shell") or shutil.which("chromium") or ""
    if not path or not Path(path).exists():
        require_or_skip("ZHILI_REQUIRE_BROWSER", "no Chromium found (set ZHILI_CHROMIUM)")
    return path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the modules that drive Chromium last (in their order), so that one browser serves them all.

    Between its calls Playwright's sync API leaves its event loop marked as running in the main
    thread; after the browser modules nothing else runs in it.
    """
    in_browser = {item.path for item in items if "browser" in getattr(item, "fixturenames", ())}
    items[:] = [item for item in items if item.path not in in_browser] + [
        item for item in items if item.path in in_browser
    ]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, one for the session (starting both costs 1.5 CPU-s)."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only when a browser exists

    is_adopting = browser_processes.adopt_orphans()  # Chromium's CPU counted: tests/browser_processes.py
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
            yield launched
            launched.close()
    finally:
        if is_adopting:
            browser_processes.reap_chromium()
            browser_processes.adopt_orphans(is_on=False)


@pytest.fixture(scope="module")
def browser(chromium: Any) -> Iterator[Any]:
    """The session's Chromium for a test module; the contexts (and pages) a module leaves open are closed after it."""
    yield chromium
    for context in chromium.contexts:
        context.close()


def log_in_context(context: Any, server: str, username: str, password: str = DEMO_PASSWORD) -> str:
    """Log a browser context in with the login form's own requests; the session's CSRF token.

    The form is fetched and posted by the context's request client, which shares the context's
    cookies: the pages opened afterwards are logged in, without Chromium rendering the login page
    and the home page's chart (about a CPU-second per login). Tests of the login page itself and
    of the home page still log in through the form.
    """
    form = context.request.get(f"{server}/login").text()
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    fields = {"username": username, "password": password, "csrf_token": token, "next": "/"}
    answer = context.request.post(f"{server}/login", form=fields, max_redirects=0)
    assert answer.status == 303, answer.text()
    shell = context.request.get(f"{server}/map").text()  # every page carries the token; the map's shell is light
    return shell.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


@pytest.fixture(scope="session")
def server(sqlite_world: World) -> Iterator[str]:
    """The app on a real port over the SQLite demo world (the API tests cover PostgreSQL); a module may override it.

    One for the session: each app builds its point locators on the first report or map click (about
    0.9 CPU-s), which every browser module paid again.
    """
    app = create_app(Settings(environment="test", database_url=sqlite_world.url), engine=sqlite_world.engine)
    with live_server(app) as base:
        yield base
