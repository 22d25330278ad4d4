"""Real concurrency against a real server: idempotent twins, parallel writers, readers never blocked.

These tests use their own small database (龙游县 only) and a uvicorn server on loopback, so sessions,
transactions and locks behave as in production, not inside one test transaction.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from tests.conftest import BACKENDS, live_server, loopback_client, migrated_database

from zhili.access.service import create_account
from zhili.app import create_app
from zhili.cases.models import Case, CaseEvent
from zhili.core import audit
from zhili.core.auth import system_actor
from zhili.core.clock import SystemClock
from zhili.core.db import make_engine
from zhili.core.http import Services
from zhili.core.settings import Settings
from zhili.matters.service import sync_catalog
from zhili.org.importing import import_catalogs, import_divisions, instantiate_departments
from zhili.org.models import Division, Person

PASSWORD = "concurrency-test"


@dataclass
class Live:
    """A server over a fresh database, and a bearer token for its administrator."""

    backend: str
    base: str
    engine: Engine
    token: str
    services: Services

    def client(self) -> httpx.Client:
        return loopback_client(self.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=60)


def _seed(url: str) -> Engine:
    engine = make_engine(url)
    actor, clock = system_actor("test"), SystemClock()
    with Session(engine, expire_on_commit=False) as session:
        import_catalogs(session, actor=actor, clock=clock)
        import_divisions(session, root="330825", actor=actor, clock=clock)
        instantiate_departments(session, root="330825", actor=actor, clock=clock)
        sync_catalog(session, actor=actor, clock=clock)
        create_account(
            session, username="ops", password=PASSWORD, person_id=None, is_admin=True, actor=actor, clock=clock
        )
    return engine


def _token(base: str) -> str:
    with loopback_client(base, timeout=30) as browser:
        form = browser.get("/login").text
        login_csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        browser.post("/login", data={"username": "ops", "password": PASSWORD, "csrf_token": login_csrf})
        page = browser.get("/").text
        csrf = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        created = browser.post("/api/v1/tokens", json={"name": "load"}, headers={"X-CSRF-Token": csrf})
        created.raise_for_status()
        return str(created.json()["token"])


@pytest.fixture(scope="module", params=BACKENDS)
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    backend = request.param
    url = migrated_database(backend, tmp_path_factory.mktemp("live"), "zhili_concurrency")
    engine = _seed(url)
    app = create_app(Settings(environment="test", database_url=url), engine=engine)
    with live_server(app) as base:
        yield Live(backend, base, engine, _token(base), app.state.services)
    engine.dispose()


def _village(engine: Engine) -> str:
    with Session(engine) as session:
        return session.scalars(select(Division.code).where(Division.level == "village").order_by(Division.code)).first()


def parking_report(description: str) -> dict[str, object]:
    """A report of a car parked in 湖镇镇, over the API."""
    attributes = {"plate_number": "浙H00001", "vehicle_type": "car", "parked_on": "lane"}
    return {"matter": "illegal_parking", "place": "龙游县湖镇镇", "description": description, "attributes": attributes}


def _people_with_phone(engine: Engine, phone: str) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).where(Person.phone == phone)) or 0


def test_twins_with_one_idempotency_key_create_one_person(live: Live) -> None:
    body = {
        "name": "孪生",
        "phone": "13900000001",
        "position": {"role": "village_cadre", "division_code": _village(live.engine)},
    }

    def post(_n: int) -> httpx.Response:
        with live.client() as client:
            return client.post("/api/v1/org/people", json=body, headers={"Idempotency-Key": "twin"})

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(post, range(8)))
    assert [r.status_code for r in responses] == [201] * 8
    assert len({r.json()["id"] for r in responses}) == 1
    assert _people_with_phone(live.engine, "13900000001") == 1


def test_parallel_writers_keep_the_audit_chain_intact(live: Live) -> None:
    village = _village(live.engine)

    def post(n: int) -> int:
        body = {
            "name": f"并发{n}",
            "phone": f"1370000{n:04d}",
            "position": {"role": "village_cadre", "division_code": village},
        }
        with live.client() as client:
            return client.post("/api/v1/org/people", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(post, range(40)))
    assert statuses == [201] * 40
    with Session(live.engine) as session:
        report = audit.verify(session)
    assert report.is_intact, report.problems


def test_concurrent_reports_are_each_stored_once_through_group_commit(live: Live) -> None:
    """On SQLite the reports queue at the group committer; each is answered after the COMMIT that holds it."""
    committer = live.services.committer
    before = committer.stats.units if committer else 0

    def report(n: int) -> int:
        body = {"matter": "dust_pollution", "place": "龙游县湖镇镇", "description": f"工地扬尘 {n}"}
        body["attributes"] = {"source_type": "construction_site"}
        with live.client() as client:
            answer = client.post("/api/v1/cases", json=body, headers={"Idempotency-Key": f"group-{n}"})
            assert answer.status_code == 201, answer.text
            return int(answer.json()["id"])

    with ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(report, range(48)))
    assert len(set(ids)) == 48
    with Session(live.engine) as session:
        stored = session.scalar(select(func.count()).select_from(Case).where(Case.id.in_(ids)))
        report_lines = session.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id.in_(ids), CaseEvent.kind == "report")
        )
        chain = audit.verify(session)
    assert (stored, report_lines) == (48, 48)
    assert chain.is_intact, chain.problems
    if live.backend == "sqlite":
        assert committer is not None
        assert committer.stats.units - before == 48  # every report went through the committer
    else:
        assert committer is None  # PostgreSQL's writers run side by side


def test_readers_are_not_blocked_by_a_held_write_lock(live: Live) -> None:
    with live.engine.connect() as holder:
        holder.execute(text("UPDATE geometry_revision SET revision = revision"))  # holds the write lock
        started = time.perf_counter()
        with live.client() as client:
            response = client.get("/api/v1/org/divisions/330825")
        elapsed = time.perf_counter() - started
        holder.rollback()
    assert response.status_code == 200
    assert elapsed < 5


def _session_cookie(base: str) -> str:
    with loopback_client(base, timeout=30) as browser:
        form = browser.get("/login").text
        login_csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        browser.post("/login", data={"username": "ops", "password": PASSWORD, "csrf_token": login_csrf})
        return str(browser.cookies["zhili_session"])


def test_a_slow_form_body_holds_no_lock_while_it_trickles_in(live: Live) -> None:
    host, port = live.base.removeprefix("http://").split(":")
    cookie = _session_cookie(live.base)
    slow = socket.create_connection((host, int(port)))
    try:
        head = (
            f"POST /logout HTTP/1.1\r\nHost: {host}\r\nCookie: zhili_session={cookie}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\ncsrf_token="
        )
        slow.sendall(head.encode())
        time.sleep(0.3)
        body = {"name": "不被阻塞", "position": {"role": "village_cadre", "division_code": _village(live.engine)}}
        started = time.perf_counter()
        with live.client() as client:
            response = client.post("/api/v1/org/people", json=body)
        elapsed = time.perf_counter() - started
    finally:
        slow.close()
    assert response.status_code == 201
    assert elapsed < 5


def test_concurrent_commands_on_one_case_one_wins(live: Live) -> None:
    with live.client() as client:
        created = client.post("/api/v1/cases", json=parking_report("并发测试"))
    assert created.status_code == 201, created.text
    case = created.json()

    def accept(_n: int) -> int:
        with live.client() as client:
            body = {"command": "accept", "version": case["version"]}
            return client.post(f"/api/v1/cases/{case['id']}/commands", json=body).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(accept, range(6)))
    assert statuses == [200] + [409] * 5
    with live.client() as client:
        final = client.get(f"/api/v1/cases/{case['id']}").json()
    assert final["version"] == case["version"] + 1
    assert [e["kind"] for e in final["timeline"]].count("accept") == 1


def test_64_concurrent_requests_never_starve_the_connection_pool(live: Live) -> None:
    def get(_n: int) -> int:
        with live.client() as client:
            return client.get("/api/v1/org/divisions/330825").status_code

    with ThreadPoolExecutor(64) as pool:
        statuses = list(pool.map(get, range(256)))
    assert statuses == [200] * 256


def test_concurrent_page_forms_join_the_group_commit(live: Live) -> None:
    """The case page's buttons take the API's write path: on SQLite each form is a unit of the group commit."""
    with live.client() as client:
        cases = [client.post("/api/v1/cases", json=parking_report("页面并发受理")).json() for _ in range(8)]
    committer = live.services.committer
    before = committer.stats.units if committer else 0
    cookie = _session_cookie(live.base)
    with loopback_client(live.base, timeout=60, cookies={"zhili_session": cookie}) as browser:
        csrf = browser.get("/").text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]

    def accept(case: dict[str, object]) -> httpx.Response:
        form = {"csrf_token": csrf, "command": "accept", "version": str(case["version"])}
        with loopback_client(live.base, timeout=60, cookies={"zhili_session": cookie}) as browser:
            return browser.post(f"/cases/{case['id']}/act", data=form)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(accept, cases))
    assert [a.status_code for a in answers] == [303] * 8
    assert [a.headers["location"] for a in answers] == [f"/cases/{c['id']}#actions" for c in cases]
    stale = accept(cases[0])  # the same button again, at the version the page was read at
    assert stale.status_code == 409
    refused = stale.text.split('id="refused"', 1)[1].split("</div>", 1)[0]  # at the top: the button is gone
    assert "案件已被他人更新" in refused
    with Session(live.engine) as session:
        accepted = session.scalar(
            select(func.count())
            .select_from(CaseEvent)
            .where(CaseEvent.case_id.in_([c["id"] for c in cases]), CaseEvent.kind == "accept")
        )
    assert accepted == 8
    if live.backend == "sqlite":
        assert committer is not None
        assert committer.stats.units - before == 9  # the eight forms and the stale one
