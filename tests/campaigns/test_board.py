"""The live board: counts at each level with drill-down, the three lists, exports, scope, the stream (both backends)."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, sessionmaker
from tests.buffered_client import BufferedTestClient
from tests.campaigns.board_helpers import Expected, expected_tasks, seed_campaign
from tests.campaigns.task_helpers import actor_of
from tests.conftest import START, Api, World

from zhili.app import create_app
from zhili.campaigns.board import stream as board_stream
from zhili.campaigns.board.counts import CLAIM_BUCKETS
from zhili.campaigns.board.people import people
from zhili.campaigns.lifecycle import CLAIMED_STATES, FINISHED_STATES, TASK_STATES, UNCLAIMED_STATES, UNREPORTED_STATES
from zhili.campaigns.models import CampaignTask
from zhili.core.auth import Actor, Grant, Scope
from zhili.core.clock import FrozenClock
from zhili.core.settings import Settings
from zhili.notify.models import InboxItem, Notification
from zhili.org.models import Division, Person, Position

LONGYOU = "330825"
HUZHEN = "330825101"  # 湖镇镇
KECHENG = "330802"


@pytest.fixture(scope="module")
def module_connection(world: World) -> Iterator[Connection]:
    """The module's connection to the world, in a transaction rolled back after the module."""
    with world.engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture(scope="module")
def county(module_connection: Connection) -> int:
    """A typhoon campaign to all of 龙游县 (11,124 recipients), states mixed: dispatched once per module and backend."""
    sessions = sessionmaker(bind=module_connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    with sessions() as session:
        found = seed_campaign(session, owner=LONGYOU, now=START)
        session.commit()
    return found


@pytest.fixture
def connection(module_connection: Connection) -> Iterator[Connection]:
    """Each test in a savepoint of the module's transaction, rolled back after it (the county campaign stays)."""
    nested = module_connection.begin_nested()
    yield module_connection
    if nested.is_active:
        nested.rollback()


@pytest.fixture
def township(session: Session) -> int:
    """A typhoon campaign to 湖镇镇 alone."""
    return seed_campaign(session, owner=HUZHEN, now=START)


def expected_tally(tasks: Iterable[Expected], now: datetime) -> dict[str, Any]:
    """The board's figures for these tasks, computed without SQL."""
    found: dict[str, Any] = {"total": 0, "states": dict.fromkeys(TASK_STATES, 0), "unclaimed": 0, "claimed": 0}
    found |= {"finished": 0, "claimed_late": 0, "overdue": 0}
    for task in tasks:
        found["total"] += 1
        found["states"][task.state] += 1
        found["unclaimed"] += task.state in UNCLAIMED_STATES
        found["claimed"] += task.state in CLAIMED_STATES
        found["finished"] += task.state in FINISHED_STATES
        found["overdue"] += task.state in UNCLAIMED_STATES and task.claim_due < now
        claimed_at = START + timedelta(minutes=task.claim_minutes or 0)
        found["claimed_late"] += task.state in CLAIMED_STATES and claimed_at > task.claim_due
    return found


def assert_tally(shown: dict[str, Any], tasks: Iterable[Expected], now: datetime = START) -> None:
    expected = expected_tally(tasks, now)
    assert {key: shown[key] for key in expected} == expected
    assert shown["claimed_on_time"] == expected["claimed"] - expected["claimed_late"]


def by_prefix(tasks: Iterable[Expected], length: int) -> dict[str, list[Expected]]:
    groups: dict[str, list[Expected]] = defaultdict(list)
    for task in tasks:
        groups[task.division_code[:length]].append(task)
    return groups


def test_the_county_board_counts_every_state_for_each_township_and_role(
    api: Api, session: Session, county: int
) -> None:
    api.login("ly-centre")
    response = api.get(f"/api/v1/campaigns/{county}/board")
    assert response.status_code == 200, response.text
    body = response.json()
    tasks = expected_tasks(session, county)
    assert len(tasks) == 263 + 561 + 10_300
    assert body["division"] == {"code": LONGYOU, "name": "龙游县", "level": "county"}
    assert [step["code"] for step in body["path"]] == [LONGYOU]
    assert_tally(body["totals"], tasks)
    townships = by_prefix(tasks, 9)
    assert [child["code"] for child in body["children"]] == sorted(townships)
    for child in body["children"]:
        assert child["level"] == "township"
        assert child["can_drill"]
        assert_tally(child, townships[child["code"]])
    roles = {role["role"]: role for role in body["roles"]}
    assert {role: roles[role]["total"] for role in roles} == {
        "grid_head": 561,
        "party_member": 10_300,
        "team_leader": 263,
    }
    for role, row in roles.items():
        assert_tally(row, [task for task in tasks if task.role == role])


def test_claims_late_and_unclaimed_past_due_follow_the_clock(
    api: Api, session: Session, county: int, clock: FrozenClock
) -> None:
    api.login("ly-centre")
    clock.advance(timedelta(hours=2, minutes=30))  # team leaders' and grid heads' claim time is up
    body = api.get(f"/api/v1/campaigns/{county}/board").json()
    tasks = expected_tasks(session, county)
    assert_tally(body["totals"], tasks, now=clock.now())
    assert body["totals"]["overdue"] > 0
    assert body["totals"]["claimed_late"] > 0


def test_time_to_claim_is_counted_in_buckets(api: Api, session: Session, county: int) -> None:
    api.login("ly-centre")
    buckets = api.get(f"/api/v1/campaigns/{county}/board").json()["claim_times"]
    expected = [0] * len(CLAIM_BUCKETS)
    for task in expected_tasks(session, county):
        if task.claim_minutes is not None and task.state != "declined":
            expected[next(n for n, (_lo, hi) in enumerate(CLAIM_BUCKETS) if hi is None or task.claim_minutes < hi)] += 1
    assert [bucket["count"] for bucket in buckets] == expected
    assert [(b["from_minutes"], b["to_minutes"]) for b in buckets] == list(CLAIM_BUCKETS)


def test_drill_down_goes_from_county_to_township_to_village_to_grid(api: Api, session: Session, county: int) -> None:
    api.login("ly-centre")
    tasks = expected_tasks(session, county)
    township = api.get(f"/api/v1/campaigns/{county}/board", params={"division": HUZHEN}).json()
    assert [step["code"] for step in township["path"]] == [LONGYOU, HUZHEN]
    villages = by_prefix([t for t in tasks if t.division_code.startswith(HUZHEN)], 12)
    assert [child["code"] for child in township["children"]] == sorted(villages)
    assert all(child["level"] == "village" for child in township["children"])
    village_code = township["children"][0]["code"]
    village = api.get(f"/api/v1/campaigns/{county}/board", params={"division": village_code}).json()
    inside = [t for t in tasks if t.division_code.startswith(village_code)]
    assert_tally(village["totals"], inside)
    own = next(child for child in village["children"] if child["is_self"])  # the village's team leaders
    assert own["code"] == village_code
    assert not own["can_drill"]
    assert_tally(own, [t for t in inside if t.division_code == village_code])
    grids = [child for child in village["children"] if not child["is_self"]]
    assert grids
    assert all(len(child["code"]) == 15 for child in grids)
    grid = api.get(f"/api/v1/campaigns/{county}/board", params={"division": grids[0]["code"]}).json()
    assert [step["code"] for step in grid["path"]] == [LONGYOU, HUZHEN, village_code, grids[0]["code"]]
    assert [child["is_self"] for child in grid["children"]] == [True]
    assert_tally(grid["totals"], [t for t in tasks if t.division_code == grids[0]["code"]])


def test_a_township_sees_its_own_township_only(api: Api, session: Session, county: int) -> None:
    api.login("huzhen")
    body = api.get(f"/api/v1/campaigns/{county}/board").json()
    assert body["division"]["code"] == HUZHEN
    assert [step["code"] for step in body["path"]] == [HUZHEN]
    assert_tally(body["totals"], [t for t in expected_tasks(session, county) if t.division_code.startswith(HUZHEN)])
    other = session.scalars(
        select(Division.code).where(Division.parent_code == LONGYOU, Division.code != HUZHEN).order_by(Division.code)
    ).first()
    for division in (other, LONGYOU, "330825101999", "abc"):
        response = api.get(f"/api/v1/campaigns/{county}/board", params={"division": division})
        assert response.status_code in {404, 422}, division
    assert api.get(f"/api/v1/campaigns/{county}/board", params={"division": other}).status_code == 404
    people = api.get(f"/api/v1/campaigns/{county}/people", params={"which": "unclaimed", "division": other})
    assert people.status_code == 404


def test_another_county_cannot_see_the_campaign(api: Api, county: int) -> None:
    api.login("kc-centre")
    for path in ("board", "people?which=unclaimed", "people.csv?which=finished", "board/stream"):
        assert api.get(f"/api/v1/campaigns/{county}/{path}").status_code == 404, path
    assert api.get(f"/campaigns/{county}/board").status_code == 404
    api.client.cookies.clear()
    assert api.get(f"/api/v1/campaigns/{county}/board").status_code == 401


def supervisors(session: Session, task_people: Iterable[int], campaign_id: int) -> dict[int, str | None]:
    """Each recipient's supervisor's name, looked up post by post in Python."""
    from zhili.campaigns.models import CampaignTask  # noqa: PLC0415 - only here

    found: dict[int, str | None] = {}
    wanted = set(task_people)
    for person_id, position_id in session.execute(
        select(CampaignTask.person_id, CampaignTask.position_id).where(CampaignTask.campaign_id == campaign_id)
    ):
        if person_id not in wanted:
            continue
        post = session.get(Position, position_id)
        boss = session.get(Position, post.supervisor_id) if post and post.supervisor_id else None
        found[person_id] = session.get(Person, boss.person_id).name if boss else None  # type: ignore[union-attr]
    return found


def all_pages(api: Api, path: str, **params: Any) -> Iterator[dict[str, Any]]:
    cursor = None
    while True:
        response = api.get(path, params={**params, "cursor": cursor} if cursor else params)
        assert response.status_code == 200, response.text
        page = response.json()
        yield from page["items"]
        if not (cursor := page["next_cursor"]):
            return


def test_the_lists_name_people_and_their_supervisors(api: Api, session: Session, township: int) -> None:
    api.login("huzhen")
    tasks = expected_tasks(session, township)
    for which, states in (("unclaimed", UNCLAIMED_STATES), ("finished", FINISHED_STATES)):
        rows = list(all_pages(api, f"/api/v1/campaigns/{township}/people", which=which, limit=37))
        assert sorted(row["task_id"] for row in rows) == sorted(t.task_id for t in tasks if t.state in states)
        assert [(r["division_code"], r["task_id"]) for r in rows] == sorted(
            (r["division_code"], r["task_id"]) for r in rows
        )
        bosses = supervisors(session, [row["person_id"] for row in rows], township)
        assert {row["person_id"]: row["supervisor_name"] for row in rows} == bosses
        assert all(row["name"] and row["division_name"] for row in rows)
        assert not any(row["is_overdue"] for row in rows if which == "unclaimed")  # the clock has not moved
    assert any(row["supervisor_name"] for row in rows)


def test_the_lists_export_as_csv_and_xlsx(api: Api, session: Session, township: int) -> None:
    api.login("huzhen")
    listed = list(all_pages(api, f"/api/v1/campaigns/{township}/people", which="unclaimed", limit=500))
    response = api.get(f"/api/v1/campaigns/{township}/people.csv", params={"which": "unclaimed"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["姓名", "电话", "角色"]
    assert [row[0] for row in rows[1:]] == [row["name"] for row in listed]
    assert {row[2] for row in rows[1:]} <= {"组团联村团长", "网格长", "联户党员"}
    workbook = api.get(
        f"/api/v1/campaigns/{township}/people.xlsx", params={"which": "finished", "division": HUZHEN, "lang": "en"}
    )
    assert workbook.status_code == 200, workbook.text
    sheet = load_workbook(io.BytesIO(workbook.content), read_only=True).active
    assert sheet is not None
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    finished = [t for t in expected_tasks(session, township) if t.state in FINISHED_STATES]
    assert cells[0][0] == "Name"
    assert len(cells) == len(finished) + 1
    assert isinstance(cells[1][6], datetime)  # notified, as Quzhou time
    assert cells[1][6] == (START + timedelta(hours=8)).replace(tzinfo=None)


@pytest.fixture
def quick_board_client(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """A client whose board streams end after a moment, so the test can read them whole."""
    monkeypatch.setattr(board_stream, "STREAM_SECONDS", 0.4)
    monkeypatch.setattr(board_stream, "POLL_SECONDS", 0.05)
    app = create_app(Settings(environment="test", database_url=world.url), clock=clock, engine=world.engine)
    app.state.services.sessions = sessions
    app.state.services.read_sessions = sessions
    with BufferedTestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_the_stream_sends_the_board_and_then_only_changes(quick_board_client: TestClient, township: int) -> None:
    api = Api(quick_board_client).login("huzhen")
    response = api.get(f"/api/v1/campaigns/{township}/board/stream")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    text = response.text
    assert text.startswith("retry: 3000")
    assert text.count("event: board") == 1  # nothing changed while it ran: one board, no repeats
    data = text.split("event: board\ndata: ", 1)[1].split("\n", 1)[0]
    board = api.get(f"/api/v1/campaigns/{township}/board").json()
    assert data.startswith('{"campaign"')
    assert f'"total":{board["totals"]["total"]}' in data


def test_the_board_pages_render_desk_and_big_screen(api: Api, township: int) -> None:
    api.login("huzhen")
    desk = api.get(f"/campaigns/{township}/board")
    assert desk.status_code == 200, desk.text
    assert "作战图" in desk.text or "未领办" in desk.text
    assert "/static/vendor/echarts/echarts.min.js" in desk.text
    assert f"/api/v1/campaigns/{township}/people.xlsx?which=unclaimed" in desk.text
    assert 'id="board-config"' in desk.text
    screen = api.get(f"/campaigns/{township}/board", params={"screen": "1", "lang": "en"})
    assert screen.status_code == 200
    assert 'class="board-screen"' in screen.text
    assert "Unclaimed" in screen.text


def assert_names_the_first_claimed(session: Session, campaign_id: int, section: str) -> None:
    """The list's section names the first people (in the lists' order) who claimed and have not reported."""
    claimed = session.scalars(
        select(Person.name)
        .join(CampaignTask, CampaignTask.person_id == Person.id)
        .where(CampaignTask.campaign_id == campaign_id, CampaignTask.state == "claimed")
        .order_by(CampaignTask.division_code, CampaignTask.id)
        .limit(3)
    ).all()
    assert claimed
    assert all(name in section for name in claimed)


def test_the_big_screen_lists_the_unclaimed_and_the_claimed_not_answered(
    api: Api, session: Session, township: int
) -> None:
    api.login("huzhen")
    screen = api.get(f"/campaigns/{township}/board", params={"screen": "1"})
    assert screen.status_code == 200, screen.text
    assert "未领办名单" in screen.text
    assert "已领办未回复名单" in screen.text
    section = screen.text.split('id="screen-unanswered"', 1)[1].split("</table>", 1)[0]
    assert 'data-which="unanswered"' in section  # the page script keeps it live, as the desk's lists
    assert_names_the_first_claimed(session, township, section)


def test_streams_showing_the_same_board_share_one_read(
    quick_board_client: TestClient, township: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(board_stream, "POLL_SECONDS", 30.0)
    reads: list[str | None] = []
    real = board_stream.read_board

    def counting(services: Any, actor: Actor, campaign_id: int, division: str | None) -> Any:
        reads.append(division)
        return real(services, actor, campaign_id, division)

    monkeypatch.setattr(board_stream, "read_board", counting)
    services = quick_board_client.app.state.services  # type: ignore[attr-defined]
    shared = board_stream.SharedBoards()
    screens = [
        Actor(username=name, display_name=name, roles=frozenset({"township_command"}), scope=Scope.of([Grant(HUZHEN)]))
        for name in ("desk", "wall")
    ]
    first, second = (shared.read(services, actor, township, None) for actor in screens)
    assert first is not None
    assert first is second
    assert reads == [None]
    village = first.children[0].code
    assert shared.read(services, screens[0], township, village) is not None
    assert reads == [None, village]


def test_the_unanswered_list_names_who_claimed_and_has_not_reported(api: Api, session: Session, township: int) -> None:
    api.login("huzhen")
    tasks = expected_tasks(session, township)
    rows = list(all_pages(api, f"/api/v1/campaigns/{township}/people", which="unanswered", limit=7))
    claimed = [t for t in tasks if t.state in UNREPORTED_STATES]
    assert claimed
    assert sorted(row["task_id"] for row in rows) == sorted(t.task_id for t in claimed)
    keys = [(row["division_code"], row["task_id"]) for row in rows]
    assert keys == sorted(keys)
    assert all(row["state"] == "claimed" and row["name"] and row["report_due_at"] for row in rows)
    assert not any(row["is_overdue"] for row in rows)  # the clock has not reached the report time
    totals = api.get(f"/api/v1/campaigns/{township}/board").json()["totals"]
    assert totals["unanswered"] == len(claimed)
    assert totals["claimed"] == totals["unanswered"] + totals["finished"]
    workbook = api.get(f"/api/v1/campaigns/{township}/people.xlsx", params={"which": "unanswered"})
    assert workbook.status_code == 200, workbook.text
    sheet = load_workbook(io.BytesIO(workbook.content), read_only=True).active
    assert sheet is not None
    assert sheet.title == "已领办未回复名单"
    assert len(list(sheet.iter_rows(values_only=True))) == len(claimed) + 1


def test_the_unanswered_list_is_late_past_the_report_time(session: Session, township: int) -> None:
    actor = actor_of(session, "huzhen")
    due = session.scalars(
        select(CampaignTask.report_due_at).where(CampaignTask.campaign_id == township).order_by(CampaignTask.id)
    ).first()
    assert due is not None
    before = people(session, actor, township, which="unanswered", division=None, now=due - timedelta(seconds=1))
    after = people(session, actor, township, which="unanswered", division=None, now=due + timedelta(days=30))
    assert before.items
    assert not any(row.is_overdue for row in before.items)
    assert [row.task_id for row in after.items] == [row.task_id for row in before.items]
    assert all(row.is_overdue for row in after.items)


def test_a_township_gets_no_unanswered_list_outside_it(api: Api, session: Session, county: int) -> None:
    api.login("huzhen")
    rows = list(all_pages(api, f"/api/v1/campaigns/{county}/people", which="unanswered", limit=500))
    mine = [t for t in expected_tasks(session, county) if t.division_code.startswith(HUZHEN)]
    assert sorted(row["task_id"] for row in rows) == sorted(t.task_id for t in mine if t.state in UNREPORTED_STATES)
    other = session.scalars(
        select(Division.code).where(Division.parent_code == LONGYOU, Division.code != HUZHEN).order_by(Division.code)
    ).first()
    for division in (other, LONGYOU):
        response = api.get(f"/api/v1/campaigns/{county}/people", params={"which": "unanswered", "division": division})
        assert response.status_code == 404, division
    api.login("kc-centre")  # another county: the campaign is not there at all
    for path in ("people?which=unanswered", "people.csv?which=unanswered", "people.xlsx?which=unanswered"):
        assert api.get(f"/api/v1/campaigns/{county}/{path}").status_code == 404, path


def test_the_desk_board_shows_the_unanswered_list(api: Api, session: Session, township: int) -> None:
    api.login("huzhen")
    desk = api.get(f"/campaigns/{township}/board")
    assert desk.status_code == 200, desk.text
    assert 'id="list-unanswered"' in desk.text
    assert "已领办未回复名单" in desk.text
    assert "已回复名单" in desk.text
    assert "已办结" not in desk.text  # a report awaiting its check counts as answered, not as finished
    assert f"/api/v1/campaigns/{township}/people.csv?which=unanswered" in desk.text
    section = desk.text.split('id="list-unanswered"', 1)[1].split('id="list-finished"', 1)[0]
    assert_names_the_first_claimed(session, township, section)


def test_the_desk_lists_phone_numbers_are_tapped_to_call(api: Api, township: int) -> None:
    api.login("huzhen")
    desk = api.get(f"/campaigns/{township}/board")
    section = desk.text.split('id="list-unclaimed"', 1)[1].split('id="list-unanswered"', 1)[0]
    numbers = re.findall(r"\b1\d{10}\b", section)
    assert numbers
    assert all(f'href="tel:{number}"' in section for number in numbers)


def test_the_level_above_reminds_the_unclaimed_from_the_board_each_with_a_link(
    api: Api, session: Session, township: int
) -> None:
    unclaimed = set(
        session.scalars(
            select(CampaignTask.person_id).where(
                CampaignTask.campaign_id == township, CampaignTask.state.in_(UNCLAIMED_STATES)
            )
        )
    )
    assert unclaimed
    api.login("huzhen")
    assert 'id="remind-form"' in api.get(f"/campaigns/{township}/board").text
    done = api.send("POST", f"/campaigns/{township}/board/remind", data={"division": HUZHEN}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/campaigns/{township}/board?division={HUZHEN}&reminded={len(unclaimed)}"
    told = session.execute(
        select(InboxItem.person_id, Notification.link)
        .join(Notification, Notification.id == InboxItem.notification_id)
        .where(Notification.subject == f"campaign:{township}", Notification.topic == "campaign.remind")
    ).all()
    assert {person for person, _link in told} == unclaimed
    assert all(link.startswith("/tasks") for _person, link in told)
    assert "已发送催领办提醒" in api.get(done.headers["location"]).text
    # Not the field staff, not another county; nobody once the campaign is closed.
    api.login("gridworker")
    assert api.send("POST", f"/campaigns/{township}/board/remind", data={"division": HUZHEN}).status_code == 404
    api.login("kc-centre")
    assert api.send("POST", f"/campaigns/{township}/board/remind", data={"division": HUZHEN}).status_code == 404
    api.login("ly-centre")
    assert api.send("POST", f"/campaigns/{township}/close").status_code in {200, 303}
    assert api.send("POST", f"/campaigns/{township}/board/remind", data={"division": HUZHEN}).status_code == 409
    assert 'id="remind-form"' not in api.get(f"/campaigns/{township}/board").text
