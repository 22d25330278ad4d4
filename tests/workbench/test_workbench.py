"""The workbench: each tile's count equals an independent count of the database and the rows its link opens."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.campaigns.task_helpers import actor_of, dispatch_typhoon, task_of
from tests.cases.test_flow import PNG, command, report_parking, unit

from zhili.campaigns import lifecycle
from zhili.campaigns.lifecycle import TaskState
from zhili.campaigns.models import Campaign, CampaignTask
from zhili.campaigns.visibility import load_reach, told_above
from zhili.cases import queries
from zhili.cases.models import Case, CollaborationRequest
from zhili.cases.parties import calls_back, held_blocks, parties_given
from zhili.cases.states import CaseStatus, Party
from zhili.cases.visibility import visible_cases
from zhili.core.auth import Actor, Grant, Scope
from zhili.core.clock import FrozenClock
from zhili.org.models import Position
from zhili.org.routing import CENTRE_ROLES, ancestor_codes
from zhili.workbench.menu import menu_for

HTML = {"accept": "text/html"}
TILE = re.compile(r'data-tile="(\w+)">\s*<span class="tile-count">(\d+)</span>')
FINISHED = {"rejected", "closed", "rated", "archived", "verified"}
LISTED = 500
LOGINS = ("kc-centre", "fushan", "kc-traffic", "gridworker", "partymember", "gridhead", "village")


_HANDLING = {CaseStatus.SIGNED, CaseStatus.IN_PROGRESS, CaseStatus.REOPENED, CaseStatus.VERIFIED}  # verified: close
_EXTENDABLE = {CaseStatus.IN_PROGRESS, CaseStatus.SUSPENDED}
_STEPS: dict[str, Callable[[Case, frozenset[Party]], bool]] = {
    "accept": lambda c, p: c.status in {CaseStatus.REPORTED, CaseStatus.ACCEPTED} and Party.DISPATCHER in p,
    "sign": lambda c, p: c.status == CaseStatus.DISPATCHED and Party.LEAD in p,
    "handle": lambda c, p: c.status in _HANDLING and Party.LEAD in p,
    "extend": lambda c, p: c.status in _EXTENDABLE and c.pending_extension_hours is not None and Party.DISPATCHER in p,
    "verify": lambda c, p: c.status == CaseStatus.FEEDBACK and bool(p & {Party.ORIGINATOR, Party.DISPATCHER}),
    "rate": lambda c, p: c.status == CaseStatus.CLOSED and bool(p & {Party.ORIGINATOR, Party.CITIZEN}),
}


def _case_ids(session: Session, actor: Actor, now: datetime) -> dict[str, set[int]]:
    """What waits for the actor, worked out case by case in Python from the parties (not the queue's SQL)."""
    units = sorted(actor.units)
    asked_rows = (
        session.execute(
            select(CollaborationRequest.case_id, CollaborationRequest.status).where(
                CollaborationRequest.unit_id.in_(units)
            )
        ).all()
        if units
        else []
    )
    helping = {case_id for case_id, _status in asked_rows}
    waiting = {case_id for case_id, status in asked_rows if status == "requested"}
    # Triage is the turn of the dispatching division's own centre (else the nearest above with one); a level above
    # reaching down may step in only.
    held = set(held_blocks(actor))
    centres = select(Position.division_code).where(Position.role.in_(CENTRE_ROLES), Position.department_id.is_(None))
    staffed = set(session.scalars(centres))

    def triaged_by(division: str) -> str | None:
        return next((code for code in ancestor_codes(division) if code in staffed), None)  # finest first

    found: dict[str, set[int]] = defaultdict(set)
    for case in session.scalars(select(Case).where(visible_cases(actor))):
        parties = parties_given(actor, case, is_helping=case.id in helping)
        if not (actor.write_scope.is_everything or triaged_by(case.dispatcher_division) in held):
            parties -= {Party.DISPATCHER, *([Party.CITIZEN] if calls_back(case) else [])}
        is_open = case.status not in FINISHED
        for name in (name for name, waits in _STEPS.items() if waits(case, parties)):
            found[name].add(case.id)
        if is_open and case.id in waiting:
            found["help"].add(case.id)
        due, yellow = case.phase_due_at, case.phase_yellow_at
        if is_open and due is not None and due <= now:
            found["overdue"].add(case.id)
        elif is_open and due is not None and yellow is not None and yellow <= now:
            found["due_soon"].add(case.id)
    return found


def _task_counts(session: Session, actor: Actor) -> dict[str, int]:
    """Unclaimed tasks (mine, those I answer for), mine claimed not reported, those reported to me: `parties_of`."""
    reach = load_reach(session, actor)
    counts = {"unclaimed_mine": 0, "unclaimed_above": 0, "verify_tasks": 0, "unreported_mine": 0, "reassign_tasks": 0}
    states = ("notified", "read", "claimed", "reported", "declined")
    for task in session.scalars(select(CampaignTask).where(CampaignTask.state.in_(states))):
        parties = lifecycle.parties_of(
            reach,
            person_id=task.person_id,
            supervisor_position_id=task.supervisor_position_id,
            division_code=task.division_code,
        )
        # 待改派 and 待核验 are the to-dos of those told of the decline or the report, not of all who may step in.
        declined = task.state == "declined"
        told = told_above(task.supervisor_position_id, task.division_code, managing=declined)
        first = lifecycle.TaskParty.ABOVE in parties and actor.person_id in set(session.scalars(told))
        if declined:  # the level above's to 改派 while the campaign runs
            running = session.get_one(Campaign, task.campaign_id).status == "active"
            counts["reassign_tasks"] += running and first
        elif task.state == "reported":
            counts["verify_tasks"] += first
        elif task.state == "claimed":
            counts["unreported_mine"] += lifecycle.TaskParty.RECIPIENT in parties
        elif lifecycle.TaskParty.RECIPIENT in parties:
            counts["unclaimed_mine"] += 1
        elif lifecycle.TaskParty.ABOVE in parties:
            counts["unclaimed_above"] += 1
    return counts


def _loop_in_several_states(api: Any, session: Session) -> None:
    """Three new cases: one reported, one dispatched (to sign), one replied (to verify) after asking for help."""
    report_parking(api, session)  # stays reported: 待受理
    dispatched, replied = report_parking(api, session), report_parking(api, session)
    api.login("kc-centre")
    dispatched = command(api, command(api, dispatched, "accept"), "dispatch")
    replied = command(api, command(api, replied, "accept"), "dispatch")
    api.login("kc-traffic")
    replied = command(api, command(api, replied, "sign"), "start")
    enforcement = unit(session, "enforcement", "330802")
    asked = api.send(
        "POST",
        f"/api/v1/cases/{replied['id']}/help-requests",
        json={"requests": [{"unit_id": enforcement, "deadline_hours": 24, "text": "请协助"}]},
    )
    assert asked.status_code == 201, asked.text
    photo = api.send("POST", f"/api/v1/cases/{replied['id']}/photos", files={"photo": ("p.png", PNG, "image/png")})
    evidence = [
        {"kind": "photo", "ref": photo.json()["ref"]},
        {"kind": "text", "ref": "现场已恢复"},
        {"kind": "gps", "ref": "118.8712,28.9361"},
    ]
    replied = api.get(f"/api/v1/cases/{replied['id']}").json()
    replied = command(api, replied, "reply", text="车辆已拖离", evidence=evidence)
    assert dispatched["status"] == "dispatched"
    assert replied["status"] == "feedback"


def test_every_tile_counts_what_the_database_holds_and_its_link_lists_those_rows(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    _loop_in_several_states(api, session)
    typhoon = dispatch_typhoon(session, clock)
    task_of(session, typhoon, "partymember").state = TaskState.REPORTED  # answered: waits for the level above
    again = dispatch_typhoon(session, clock)  # a second campaign, claimed: the report waits for the grid head
    task_of(session, again, "gridhead").state = TaskState.CLAIMED
    task_of(session, again, "partymember").state = TaskState.DECLINED  # the grid head's to hand on (改派)
    closed = dispatch_typhoon(session, clock)  # declined too, but the campaign is over: nothing to hand on
    task_of(session, closed, "partymember").state = TaskState.DECLINED
    closed.status = "closed"
    session.flush()
    now, seen = clock.now(), set()
    for username in LOGINS:
        actor = actor_of(session, username)
        expected_ids = _case_ids(session, actor, now)
        expected = {name: len(ids) for name, ids in expected_ids.items()} | _task_counts(session, actor)
        home = api.login(username).get("/", headers=HTML)
        assert home.status_code == 200
        tiles = {name: int(count) for name, count in TILE.findall(home.text)}
        assert tiles, username
        for name, count in tiles.items():
            assert count == expected.get(name, 0), f"{username}: {name}"
            link = re.search(rf'href="([^"]+)" data-tile="{name}"', home.text)
            assert link is not None
            href = link.group(1).replace("&amp;", "&")
            path, _, query = href.partition("?")
            if count > LISTED:
                continue
            listed = api.get(f"/api/v1{path}?{query}&limit={LISTED}").json()["items"]
            assert len(listed) == count, f"{username}: {name} lists {len(listed)}"
            if name in expected_ids:
                assert {row["id"] for row in listed} == expected_ids[name], f"{username}: {name}"
            if count:
                seen.add(name)
        hidden = {name for name, count in expected.items() if count and name not in tiles}
        assert not hidden, f"{username} has work the workbench hides: {hidden}"
    # Every kind of tile is exercised with a non-zero count somewhere (overdue cases are covered by the queue tests:
    # whether a demo login has one depends on the demo's clock).
    tiles = {
        "accept",
        "sign",
        "handle",
        "verify",
        "unclaimed_mine",
        "unclaimed_above",
        "verify_tasks",
        "unreported_mine",
        "reassign_tasks",
    }
    assert tiles <= seen


def test_help_requests_count_for_the_unit_asked(api: Any, session: Session, clock: FrozenClock) -> None:
    _loop_in_several_states(api, session)
    enforcement = unit(session, "enforcement", "330802")
    staff = Actor(
        username="enforcement",
        display_name="执法队员",
        roles=frozenset({"dept_staff"}),
        scope=Scope.of([Grant("330802", enforcement)]),
        units=frozenset({enforcement}),
    )
    counts = queries.todo_counts(session, staff, now=clock.now())
    expected = _case_ids(session, staff, clock.now())
    assert counts["help"] == len(expected["help"]) >= 1
    assert counts["sign"] == len(expected["sign"])
    assert counts["handle"] == len(expected["handle"])


def test_a_unit_asked_to_help_finds_the_case_waiting_for_it_by_the_help_deadline(api: Any, session: Session) -> None:
    """待回复协同 lists the case under 待我处理 (a help reply is the unit's turn), due by the request's deadline."""
    _loop_in_several_states(api, session)
    asked = session.scalars(  # the newest request still waiting (the world's other tests may have answered theirs)
        select(CollaborationRequest)
        .where(
            CollaborationRequest.unit_id == unit(session, "enforcement", "330802"),
            CollaborationRequest.status == "requested",
        )
        .order_by(CollaborationRequest.id)
    ).all()[-1]
    page = api.login("kc-enforcement").get("/cases?todo=help", headers=HTML).text
    mine = page.split('id="mine"', 1)[1].split('id="others"', 1)[0]
    row = mine.split(f'data-case="{asked.case_id}"', 1)[1].split("</tr>", 1)[0]
    assert f'datetime="{asked.deadline_at.isoformat()}" data-help-due' in row
    assert "协同时限" in row


def test_the_lead_unit_finds_a_verified_case_to_close_among_its_work(api: Any, session: Session) -> None:
    """After 核查通过 the lead closes (办结): the case is in its 待办理, not only in a notice."""
    _loop_in_several_states(api, session)
    replied = session.scalars(select(Case).where(Case.status == CaseStatus.FEEDBACK).order_by(Case.id.desc())).first()
    assert replied is not None
    waiting = int(dict(TILE.findall(api.login("kc-traffic").get("/", headers=HTML).text))["handle"])
    api.login("kc-centre")
    command(api, api.get(f"/api/v1/cases/{replied.id}").json(), "verify")
    page = api.login("kc-traffic").get("/cases?todo=handle", headers=HTML).text
    mine = page.split('id="mine"', 1)[1].split('id="others"', 1)[0]
    assert f'data-case="{replied.id}"' in mine
    row = mine.split(f'data-case="{replied.id}"', 1)[1].split("</tr>", 1)[0]
    assert '<span class="muted no-clock">不计时</span>' in row  # no clock runs to close: said, not a blank cell
    home = api.get("/", headers=HTML).text
    assert int(dict(TILE.findall(home))["handle"]) == waiting + 1  # the case to close counts


def test_an_extension_asked_for_is_the_dispatchers_turn_on_the_home_page(api: Any, session: Session) -> None:
    """A lead's 申请延期 shows the centre a 待审批延期 tile listing the case; decided, the tile goes."""
    report_parking(api, session)
    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    api.login("kc-traffic")
    case = command(
        api, command(api, command(api, case, "sign"), "start"), "request_extension", hours=4, reason="等拖车"
    )
    home = api.login("kc-centre").get("/", headers=HTML).text
    assert dict(TILE.findall(home)).get("extend") == "1"
    assert 'href="/cases?todo=extend" data-tile="extend"' in home
    listed = api.get("/cases?todo=extend", headers=HTML).text
    assert f'data-case="{case["id"]}"' in listed.split('id="mine"', 1)[1].split('id="others"', 1)[0]
    command(api, api.get(f"/api/v1/cases/{case['id']}").json(), "approve_extension")
    assert "extend" not in dict(TILE.findall(api.get("/", headers=HTML).text))


@pytest.mark.parametrize(
    ("username", "shown", "not_shown"),
    [
        (
            "partymember",
            {"unclaimed_mine", "unreported_mine", "verify", "overdue"},
            {"accept", "sign", "handle", "help"},
        ),
        ("gridworker", {"unclaimed_mine", "verify"}, {"accept", "sign", "handle", "help"}),
        ("kc-traffic", {"sign", "handle", "help", "overdue"}, {"accept", "unclaimed_mine", "unreported_mine"}),
        ("kc-centre", {"accept", "verify", "unclaimed_above"}, {"sign", "handle", "help", "unclaimed_mine"}),
    ],
)
def test_only_the_tiles_of_the_role(api: Any, username: str, shown: set[str], not_shown: set[str]) -> None:
    tiles = dict(TILE.findall(api.login(username).get("/", headers=HTML).text))
    assert shown <= set(tiles)
    assert not (not_shown & {name for name, count in tiles.items() if count == "0"})
    home = api.get("/", headers=HTML).text
    assert "我的岗位" in home
    if username == "kc-centre":  # the cases and the tasks to verify, side by side, each says which it is
        assert {"verify", "verify_tasks"} <= set(tiles)
        assert "待核查办件" in home
        assert "待我核验任务" in home
    # On a field worker's phone their own tasks come first; a desk keeps the loop's order.
    assert (next(iter(tiles)) == "unclaimed_mine") == (username in {"partymember", "gridworker"})


GROUP_LINE = re.compile(
    r'<li data-group="(\d+)"><a href="/groups/(\d+)">([^<]+)</a>\s*<small><span[^>]*>([^<]+)</span> · ([^<·]+) ·'
)
PENDING = re.compile(r'href="([^"]+)" data-groups-pending="(\d+)"')


@pytest.mark.parametrize(
    ("username", "role", "pending"),
    [
        ("kc-centre", "指挥长", False),
        ("fushan", "副指挥长", True),
        ("kc-traffic", "联络员", False),
        ("gridworker", "成员", True),
    ],
)
def test_a_member_of_an_open_command_group_finds_it_and_what_waits_on_the_home_page(
    api: Any, username: str, role: str, *, pending: bool
) -> None:
    page = api.login(username).get("/", headers=HTML).text
    lines = {title: (group, link, state, mine.strip()) for group, link, title, state, mine in GROUP_LINE.findall(page)}
    group, link, state, mine = lines["府山街道暴雨内涝应急处置指挥组"]
    assert group == link
    assert (state, mine) == ("处置中", role)
    waiting = PENDING.findall(page)
    assert bool(waiting) == pending
    if waiting:
        href, count = waiting[0]
        assert int(count) >= 1
        assert href.startswith("/groups")


def test_nobody_outside_a_group_gets_the_tile(api: Any) -> None:
    assert 'id="my-groups"' not in api.login("qz-centre").get("/", headers=HTML).text
    api.client.cookies.clear()
    typhoon = api.login("huzhen").get("/", headers=HTML).text  # their group closed last month
    assert 'id="my-groups"' not in typhoon


@pytest.mark.parametrize(
    ("username", "expected", "absent"),
    [
        ("partymember", ["/", "/tasks", "/cases/new", "/cases", "/inbox"], {"/supervision", "/campaigns"}),
        ("gridworker", ["/", "/tasks", "/cases/new", "/cases", "/inbox"], {"/supervision", "/campaigns"}),
        ("kc-traffic", ["/", "/cases", "/supervision", "/cases/new"], {"/campaigns", "/tasks"}),
    ],
)
def test_the_menu_fits_the_role(session: Session, username: str, expected: list[str], absent: set[str]) -> None:
    items = menu_for(actor_of(session, username))
    assert [i.href for i in items if i.is_tab] == expected
    assert not absent & {i.href for i in items}


@pytest.mark.parametrize(
    ("username", "offered"),
    [("qj-hrss", True), ("kc-centre", True), ("fushan", True), ("kc-traffic", False), ("kc-housing", False)],
)
def test_the_warnings_are_offered_to_who_can_see_a_firm(session: Session, username: str, *, offered: bool) -> None:
    # The enterprise register reaches blocks and labour units; a traffic police officer's list is always empty.
    assert ("/warnings" in {i.href for i in menu_for(actor_of(session, username))}) is offered


def test_a_centre_has_everything_in_its_menu(session: Session) -> None:
    items = menu_for(actor_of(session, "kc-centre"))
    assert {"/", "/cases", "/supervision", "/campaigns", "/map", "/org", "/matters", "/tasks"} <= {
        i.href for i in items
    }
    assert 4 <= sum(i.is_tab for i in items) <= 5


def test_the_case_menu_item_is_called_banjian(api: Any) -> None:
    page = api.login("kc-centre").get("/", headers=HTML).text
    assert ">办件<" in page
    assert ">一件事<" not in page


@pytest.mark.parametrize(
    ("username", "shown", "absent"),
    [
        ("huzhen", {"/assessment", "/assessment/ratings"}, {"/admin/assessment"}),
        ("kc-traffic-head", {"/assessment", "/assessment/ratings"}, {"/admin/assessment"}),
        ("kc-traffic", {"/assessment"}, {"/assessment/ratings"}),
        ("gridworker", {"/assessment"}, {"/assessment/ratings"}),  # their own score, found without a link
        ("partymember", {"/assessment"}, {"/assessment/ratings"}),
        ("village", {"/assessment"}, {"/assessment/ratings"}),
        ("admin", {"/assessment", "/admin/assessment"}, {"/assessment/ratings"}),  # rates for nobody
        ("kc-centre", {"/assessment"}, {"/assessment/ratings", "/admin/assessment"}),
        ("fushan", {"/assessment", "/assessment/ratings"}, {"/admin/assessment"}),
    ],
)
def test_the_assessment_and_its_rating_form_are_in_the_menus_of_who_uses_them(
    session: Session, username: str, shown: set[str], absent: set[str]
) -> None:
    items = {i.href: i for i in menu_for(actor_of(session, username))}
    assert shown <= set(items)
    assert not absent & set(items)
    assert not any(items[href].is_tab for href in shown)


def test_only_administrators_find_the_work_calendar_in_their_menu(session: Session) -> None:
    admin_items = {i.href: i for i in menu_for(actor_of(session, "admin"))}
    assert {"/admin/calendar", "/admin/detectors", "/admin/deliveries"} <= set(admin_items)  # each setting, found
    assert not admin_items["/admin/calendar"].is_tab
    assert not {"/admin/calendar", "/admin/detectors"} & {i.href for i in menu_for(actor_of(session, "kc-centre"))}


def test_a_field_worker_follows_the_cases_they_reported_from_the_home_page(api: Any, session: Session) -> None:
    """网格员 reported a problem: the home page lists it by number, matter and status, and says when it is theirs."""
    from tests.cases.test_pages import _form  # noqa: PLC0415 - the intake form of the case tests

    api.login("gridworker")
    sent = api.client.post("/cases/new", data={**_form(api, session), "description": "首页跟踪的上报"})
    case_id = int(sent.url.path.rsplit("/", 1)[1])
    home = api.get("/", headers=HTML).text
    mine = home.split('id="my-reports"', 1)[1].split("</div>", 1)[0]
    case = session.get(Case, case_id)
    assert case is not None
    assert f'href="/cases/{case_id}#summary">{case.number} · 城区机动车违停治理</a>' in mine
    assert "已上报" in mine
    assert "待您核查" not in mine
    assert '数据范围：<a href="/org/divisions/' in home  # the label's own colon, no gap before the place
    case.status = CaseStatus.FEEDBACK.value  # the lead replied: the reporter verifies
    session.commit()
    turn = api.get("/", headers=HTML).text.split('id="my-reports"', 1)[1].split("</div>", 1)[0]
    assert f'href="/cases/{case_id}#reply"' in turn
    assert "待您核查" in turn
    api.login("kc-centre")
    assert 'id="my-reports"' not in api.get("/", headers=HTML).text  # a desk's intakes are its queue's


def test_a_report_waits_for_whom_it_was_told_to_while_the_village_may_step_in(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    def tiles(username: str) -> dict[str, int]:
        home = api.login(username).get("/", headers=HTML).text
        return {name: int(count) for name, count in TILE.findall(home)}

    before = tiles("gridhead").get("verify_tasks", 0)  # the demo's live typhoon: its party members' reports
    typhoon = dispatch_typhoon(session, clock)
    task = task_of(session, typhoon, "partymember")
    task.state = TaskState.REPORTED  # told to the grid head, the party member's supervising post
    session.commit()

    assert tiles("gridhead").get("verify_tasks") == before + 1
    assert not tiles("village").get("verify_tasks")  # the village committee is not waited for …
    allowed = api.get(f"/api/v1/tasks/{task.id}").json()["allowed_actions"]
    assert "verify" in allowed  # … but may step in
    told = api.get("/tasks?view=above&state=reported&told=true", headers=HTML).text
    assert f'href="/tasks/{task.id}"' not in told
    assert 'data-filter="told"' in told
    everything = api.get("/tasks?view=above&state=reported", headers=HTML).text
    assert f'href="/tasks/{task.id}"' in everything
    # A decline is told to both: it waits for the grid head and the village committee alike.
    task.state = TaskState.DECLINED
    session.commit()
    assert tiles("gridhead").get("reassign_tasks") == 1
    assert tiles("village").get("reassign_tasks") == 1


def test_a_person_with_a_post_inside_another_keeps_the_to_dos_of_both(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    """A township command room's person who also sits on a village committee is told of its declines: still theirs."""
    typhoon = dispatch_typhoon(session, clock)
    task = task_of(session, typhoon, "partymember")
    task.state = TaskState.DECLINED
    cadre = actor_of(session, "village")
    session.add(Position(person_id=cadre.person_id, role="township_command", division_code=task.division_code[:9]))
    session.commit()
    home = api.login("village").get("/", headers=HTML).text
    assert dict(TILE.findall(home)).get("reassign_tasks") == "1"
    told = told_above(task.supervisor_position_id, task.division_code, managing=True)
    assert cadre.person_id in set(session.scalars(told))
