"""The scope matrix: every GET of `/openapi.json` with an id, for logins that span blocks and strips,
against the oracle of `tests/scope/oracle.py` (written from docs/reference/data-scope.md), on SQLite
and PostgreSQL.

For each (login, operation) the test calls the operation with the ids of `tests/scope/probes.py` (some
inside, some outside each login's scope) and compares the status with the oracle (200, else 404, or
403 for the administrators' logs), and every name and phone in a 200 answer with the people the login
may see. The list endpoints that return people are checked the same way, item by item. Every GET path
with a parameter must be covered here or excluded with a reason, so a new endpoint fails until decided.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session, sessionmaker
from tests.alerts.helpers import DEMO as DEMO_ALERT
from tests.buffered_client import BufferedTestClient
from tests.campaigns.board_helpers import apply_pattern, seed_campaign
from tests.campaigns.task_helpers import actor_of
from tests.cases.test_flow import PARKING, PNG, fushan_point, report_body
from tests.command_groups.helpers import person
from tests.conftest import START, Api, World
from tests.scope.oracle import Facts, Login
from tests.scope.personal import People, leaks
from tests.scope.probes import Pools, Probe, Seeded

from zhili.alerts.intake import ingest
from zhili.alerts.models import AlertDivision
from zhili.app import create_app
from zhili.campaigns.dispatch.schemas import CampaignCreate
from zhili.campaigns.dispatch.service import dispatch_campaign
from zhili.campaigns.models import TaskPhoto
from zhili.command_groups.groups import GroupOpen, open_group
from zhili.command_groups.members import NewMember
from zhili.command_groups.models import GroupEntry
from zhili.command_groups.timeline import post_message
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.core.media import check_photo
from zhili.core.settings import Settings
from zhili.notify.models import WebhookEndpoint

LOGINS = (
    "admin",
    "ly-centre",  # county block
    "huzhen",  # township block
    "village",  # village cadre: village block
    "gridworker",  # grid block
    "partymember",  # 联户党员: grid block, a recipient
    "kc-traffic",  # strip
    "kc-traffic-head",  # strip, managing
    "kc-enforcement",  # strip, asked to help
    "kc-housing",  # strip, asked to help
    "qj-hrss",  # strip in another county
)

# Each GET path with a parameter, and the probes it is called with.
COVERED: dict[str, Callable[[Pools], list[Probe]]] = {
    "/api/v1/org/divisions/{code}": lambda p: p.divisions_probes(""),
    "/api/v1/org/divisions/{code}/children": lambda p: p.divisions_probes("/children"),
    "/api/v1/org/divisions/{code}/contacts": Pools.contacts_probes,
    "/api/v1/org/departments/{department_id}": lambda p: p.department_probes(""),
    "/api/v1/org/departments/{department_id}/grids": lambda p: p.department_probes("/grids"),
    "/api/v1/org/people/{person_id}": Pools.person_probes,
    "/api/v1/org/enforcement-items/{code}/unit": Pools.enforcement_probes,
    "/api/v1/cases/{case_id}": Pools.case_probes,
    "/api/v1/cases/photos/{photo_id}": Pools.case_photo_probes,
    "/api/v1/enterprises/{enterprise_id}": Pools.enterprise_probes,
    "/api/v1/campaigns/{campaign_id}": lambda p: p.campaign_probes(""),
    "/api/v1/campaigns/{campaign_id}/forwards": lambda p: p.campaign_probes("/forwards"),
    "/api/v1/campaigns/{campaign_id}/board": lambda p: p.campaign_probes("/board"),
    "/api/v1/campaigns/{campaign_id}/people": lambda p: [
        *p.campaign_probes("/people?which=unclaimed"),
        *p.campaign_probes("/people?which=finished"),
    ],
    "/api/v1/campaigns/{campaign_id}/people.csv": lambda p: p.campaign_probes("/people.csv?which=unclaimed"),
    "/api/v1/campaigns/{campaign_id}/people.xlsx": lambda p: p.campaign_probes("/people.xlsx?which=finished"),
    "/api/v1/tasks/{task_id}": Pools.task_probes,
    # 改派's candidates: whoever sees the task may ask (empty unless 改派 is open to them); 404 otherwise.
    "/api/v1/tasks/{task_id}/candidates": lambda p: [
        Probe(f"{probe.url}/candidates", probe.visible) for probe in p.task_probes()
    ],
    "/api/v1/tasks/photos/{photo_id}": Pools.task_photo_probes,
    "/api/v1/matters/{code}": lambda p: p.public_probes(
        {"/api/v1/matters/illegal_parking": True, "/api/v1/matters/no_such_matter": False}
    ),
    "/api/v1/matters/{code}/versions/{version}": lambda p: p.public_probes(
        {"/api/v1/matters/illegal_parking/versions/1": True, "/api/v1/matters/illegal_parking/versions/99": False}
    ),
    "/api/v1/campaigns/templates/{code}": lambda p: p.public_probes(
        {"/api/v1/campaigns/templates/typhoon": True, "/api/v1/campaigns/templates/no_such_template": False}
    ),
    "/api/v1/calendar/{county}": lambda p: p.public_probes(
        {"/api/v1/calendar/330802?month=2026-07": True, "/api/v1/calendar/330899?month=2026-07": False}
    ),
    "/api/v1/calendar/years/{year}": lambda p: p.admin_only(
        ["/api/v1/calendar/years/2026", "/api/v1/calendar/years/2027"]
    ),
    "/api/v1/notify/deliveries/{outbox_id}": lambda p: p.admin_probes("/api/v1/notify/deliveries/{}", p.seeded.outbox),
    "/api/v1/notify/webhooks/{endpoint_id}": lambda p: p.admin_probes("/api/v1/notify/webhooks/{}", p.seeded.webhook),
    "/api/v1/assessment/subjects/{kind}/{subject_id}/lines": Pools.assessment_probes,
    "/api/v1/groups/{group_id}": lambda p: p.group_probes(""),
    "/api/v1/groups/{group_id}/timeline": lambda p: p.group_probes("/timeline"),
    "/api/v1/groups/{group_id}/photos/{photo_id}": Pools.group_photo_probes,
    "/api/v1/alerts/{alert_id}": lambda p: p.alert_probes(""),
    "/api/v1/alerts/{alert_id}/cap.xml": lambda p: p.alert_probes("/cap.xml"),
}

# Paths with a parameter that is not an id: checked as lists below.
LISTED_TEMPLATES = {
    "/api/v1/cases/export.{file_format}",
    "/api/v1/tasks/export.{file_format}",
    "/api/v1/assessment/scores.{file_format}",
}

EXCLUDED = {
    "/api/v1/campaigns/{campaign_id}/board/stream": (
        "server-sent events that stay open for ten minutes; it opens the campaign with the same check as"
        " /board (covered) and sends the same board"
    ),
}


@dataclass(frozen=True)
class Listing:
    """A list endpoint: its items' ids (JSON lists), whether each is visible, what each item names."""

    ids: Callable[[Any], list[int]] | None = None
    visible: Callable[[Facts, Login, int], bool] | None = None
    named: Callable[[Facts, int], set[int]] = field(default=lambda _facts, _id: set())


def _items(body: Any) -> list[int]:
    return [item["id"] for item in body["items"]]


def _warned_firms(body: Any) -> list[int]:
    return [item["firm"]["id"] for item in body["items"]]


def _case_names(facts: Facts, case_id: int) -> set[int]:
    _place, _lead, _routed, _account, person, contact = facts.cases[case_id]
    return {-case_id, *([person] if person else []), *([facts.posts[contact][0]] if contact else [])}


LISTS: dict[str, Listing] = {
    "/api/v1/org/people?limit=200": Listing(_items, Facts.person_visible),
    "/api/v1/cases?limit=100": Listing(_items, Facts.case_visible, _case_names),
    "/api/v1/cases/export.csv?matter=illegal_parking": Listing(),
    "/api/v1/cases/export.xlsx?matter=illegal_parking": Listing(),
    "/api/v1/tasks?limit=100": Listing(_items, Facts.task_visible),
    "/api/v1/warnings?limit=500": Listing(_warned_firms, Facts.enterprise_visible),
    "/api/v1/tasks?view=above&limit=100": Listing(_items, Facts.task_visible),
    "/api/v1/tasks/export.csv?view=above": Listing(),
    "/api/v1/tasks/export.xlsx": Listing(),
    "/api/v1/campaigns": Listing(_items, Facts.campaign_visible),
    "/api/v1/campaigns/scores?by=person&limit=20000": Listing(
        lambda body: [row["person_id"] for row in body["rows"]], Facts.person_visible
    ),
    "/api/v1/supervision/cards": Listing(),
    # The assessment's people (a closed month: frozen rows, cheap to read for every login).
    "/api/v1/assessment/scores?level=person&month=2026-05": Listing(
        lambda body: [int(row["subject_id"]) for row in body["rows"]], Facts.person_visible
    ),
    "/api/v1/assessment/scores.csv?level=person&month=2026-05": Listing(),
    "/api/v1/inbox": Listing(),
}


@dataclass
class Matrix:
    """The world, the app, a token per login and the oracle."""

    client: TestClient
    tokens: dict[str, str]
    facts: Facts
    people: People
    logins: dict[str, Login]
    pools: Pools
    probes: dict[str, list[Probe]] = field(default_factory=dict)
    seen: dict[str, set[int] | None] = field(default_factory=dict)

    def get(self, login: str, url: str) -> Any:
        """GET as the login, with its API token."""
        return self.client.get(url, headers={"Authorization": f"Bearer {self.tokens[login]}"})

    def probes_of(self, template: str) -> list[Probe]:
        """The probes of an operation, chosen once."""
        if template not in self.probes:
            self.probes[template] = COVERED[template](self.pools)
        return self.probes[template]

    def allowed(self, login: Login, named: set[int]) -> set[int] | None:
        """Whom the login may see (None: everyone), plus the record's own names."""
        if login.username not in self.seen:
            self.seen[login.username] = None if login.everything else self.facts.visible_people(login)
        base = self.seen[login.username]
        return None if base is None else base | named


def _seed(sessions: sessionmaker[Session], conn: Connection) -> Seeded:
    """Two campaigns (typhoon to 湖镇镇, epidemic to 府山街道's grid workers), task photos, a webhook."""
    with sessions() as session:
        typhoon = seed_campaign(session, owner="330825101", now=START)
        epidemic = dispatch_campaign(
            session,
            data=CampaignCreate(template="epidemic", divisions=["330802006"], roles=["grid_worker"], message="测试"),
            actor=system_actor("test"),
            clock=FrozenClock(START),
        ).id
        apply_pattern(session, epidemic, START)
        photos: dict[int, int] = {}
        for username in ("partymember", "gridworker"):
            task_id = conn.execute(
                text(
                    "SELECT MIN(t.id) FROM campaign_tasks t JOIN accounts a ON a.person_id = t.person_id"
                    " WHERE a.username = :u"
                ),
                {"u": username},
            ).scalar_one()
            photo = TaskPhoto(
                task_id=task_id,
                content_type="image/png",
                size=len(PNG),
                sha256=hashlib.sha256(PNG).hexdigest(),
                data=PNG,
                uploaded_at=START,
            )
            session.add(photo)
            session.flush()
            photos[photo.id] = task_id
        hook = WebhookEndpoint(name="matrix", url="http://127.0.0.1:9/hook", format="generic", created_at=START)
        session.add(hook)
        session.commit()
        outbox = conn.execute(text("SELECT MIN(id) FROM outbox")).scalar_one()
        groups, group_photos = _seed_groups(session)
        divisions = {"330825101": typhoon, "330802006": epidemic}
        alerts = _seed_alerts(session)
        return Seeded((typhoon, epidemic), divisions, photos, hook.id, outbox, [], groups, group_photos, alerts)


def _seed_alerts(session: Session) -> dict[int, tuple[str, ...]]:
    """The demo's 龙游县 typhoon warning as an exercise (it fires nothing), and the divisions it resolved to."""
    data = DEMO_ALERT.read_bytes().replace(b"<status>Actual</status>", b"<status>Exercise</status>")
    receipt = ingest(
        session, data=data, source="cli", source_detail="matrix", actor=system_actor("test"), clock=FrozenClock(START)
    )
    codes = session.scalars(select(AlertDivision.division_code).where(AlertDivision.alert_id == receipt.alert_id))
    return {receipt.alert_id: tuple(codes)}


def _seed_groups(session: Session) -> tuple[tuple[int, ...], dict[int, int]]:
    """A group in 府山街道 (kc-centre, the grid worker, a photo) and one in 湖镇镇 (huzhen, the party member)."""
    clock = FrozenClock(START)
    fushan_group = open_group(
        session,
        data=GroupOpen(title="府山", summary="", area="330802006", members=(NewMember(person(session, "gridworker")),)),
        actor=actor_of(session, "kc-centre"),
        clock=clock,
    )
    line = post_message(
        session,
        group_id=fushan_group,
        body="",
        point=None,
        photo=check_photo(PNG),
        actor=actor_of(session, "gridworker"),
        clock=clock,
    )
    photo = session.scalar(select(GroupEntry.photo_id).where(GroupEntry.id == line))
    huzhen_group = open_group(
        session,
        data=GroupOpen(
            title="湖镇", summary="", area="330825101", members=(NewMember(person(session, "partymember")),)
        ),
        actor=actor_of(session, "huzhen"),
        clock=clock,
    )
    return (fushan_group, huzhen_group), {photo or 0: fushan_group}


def _report_elsewhere(client: TestClient, sessions: sessionmaker[Session]) -> int:
    """A case the party member (a grid in 湖镇镇) reports in 府山街道: theirs only as its reporter."""
    with sessions() as session:
        _grid, point = fushan_point(session)
    attributes = {**PARKING, "plate_number": "浙H54321"}
    body = report_body(point, description="路过府山街道，人行道上停了一辆车", attributes=attributes)
    answer = Api(client).login("partymember").send("POST", "/api/v1/cases", json=body)
    assert answer.status_code == 201, answer.text
    client.cookies.clear()
    return int(answer.json()["id"])


def _token(client: TestClient, username: str) -> str:
    api = Api(client).login(username)
    answer = api.send("POST", "/api/v1/tokens", json={"name": "matrix", "days": 1})
    assert answer.status_code == 201, answer.text
    client.cookies.clear()
    return str(answer.json()["token"])


@pytest.fixture(scope="module")
def matrix(world: World) -> Iterator[Matrix]:
    """The demo world plus the seeded campaigns, in one transaction rolled back after the module."""
    with world.engine.connect() as conn:
        outer = conn.begin()
        sessions = sessionmaker(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        seeded = _seed(sessions, conn)
        app = create_app(
            Settings(environment="test", database_url=world.url), clock=FrozenClock(START), engine=world.engine
        )
        app.state.services.sessions = sessions
        app.state.services.read_sessions = sessions
        with BufferedTestClient(app, raise_server_exceptions=False) as client:
            seeded.cases.append(_report_elsewhere(client, sessions))
            tokens = {username: _token(client, username) for username in LOGINS}
            facts = Facts(conn).load()
            logins = {username: facts.login(username) for username in LOGINS}
            pools = Pools(facts, list(logins.values()), seeded)
            yield Matrix(client, tokens, facts, People(facts), logins, pools)
        outer.rollback()


def test_every_get_with_a_parameter_is_decided(matrix: Matrix) -> None:
    """Each GET path of /openapi.json with a path parameter is covered, listed or excluded, and no more."""
    spec = matrix.client.get("/openapi.json").json()
    templated = {path for path, ops in spec["paths"].items() if "get" in ops and "{" in path}
    decided = set(COVERED) | LISTED_TEMPLATES | set(EXCLUDED)
    assert templated - decided == set(), "new GET paths without a decision: cover them or exclude them"
    assert decided - templated == set(), "decisions about paths that no longer exist"


def _cases() -> Iterator[Any]:
    for login in LOGINS:
        for template in COVERED:
            yield pytest.param(login, template, id=f"{login}:{template}")


def _check(matrix: Matrix, login: Login, url: str, answer: Any, named: set[int]) -> list[str]:
    found = leaks(matrix.people, answer.headers.get("content-type", ""), answer.content, matrix.allowed(login, named))
    return [f"{url}: names people {login.username} may not see: {', '.join(found[:6])}"] if found else []


@pytest.mark.parametrize(("username", "template"), list(_cases()))
def test_scope_matrix(matrix: Matrix, username: str, template: str) -> None:
    """Status and named people of each probe agree with the oracle."""
    login = matrix.logins[username]
    problems: list[str] = []
    for probe in matrix.probes_of(template):
        answer = matrix.get(username, probe.url)
        expected = 200 if probe.visible(login) else probe.refused(login)
        if answer.status_code != expected:
            problems.append(f"{probe.url}: {answer.status_code}, the oracle says {expected}")
        elif expected == 200:
            problems += _check(matrix, login, probe.url, answer, probe.named(login))
    assert not problems, "\n".join(problems)


def _lists() -> Iterator[Any]:
    for login in LOGINS:
        for url in LISTS:
            yield pytest.param(login, url, id=f"{login}:{url}")


@pytest.mark.parametrize(("username", "url"), list(_lists()))
def test_lists_in_scope(matrix: Matrix, username: str, url: str) -> None:
    """A list holds only what the oracle lets the login see, and names only people it may see."""
    login, listing = matrix.logins[username], LISTS[url]
    answer = matrix.get(username, url)
    assert answer.status_code == 200, answer.text
    problems: list[str] = []
    named: set[int] = set()
    if listing.ids is not None and listing.visible is not None:
        for item in listing.ids(answer.json()):
            if listing.visible(matrix.facts, login, item):
                named |= listing.named(matrix.facts, item)
            else:
                problems.append(f"{url}: lists {item}, which the oracle hides from {username}")
    problems += _check(matrix, login, url, answer, named)
    assert not problems, "\n".join(problems[:20])
