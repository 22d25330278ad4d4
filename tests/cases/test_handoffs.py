"""Every hand-off notifies: each lifecycle command and case action tells exactly the party whose turn it is.

The whole illegal-parking loop runs through the API (with a failed verification and a dissatisfied
rating on the way), and after each step the test compares who got an inbox item with who should
have, computed independently from the organisation's posts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from tests.cases.test_flow import PNG, command, fushan_point, report_body, report_parking, underway, unit
from tests.demo_logins import login_for

from zhili.access.models import Account
from zhili.cases import handoffs
from zhili.cases.models import Case, CaseEvent
from zhili.cases.states import CommandKind
from zhili.core.local_time import local_short
from zhili.notify.models import InboxItem, Notification
from zhili.notify.wording import localized_title
from zhili.org.models import Division, GridContact, Person, Position
from zhili.org.routing import CENTRE_ROLES, centre_posts


def test_every_lifecycle_command_says_whose_turn_it_makes_it() -> None:
    missing = [kind.value for kind in CommandKind if kind.value not in handoffs.TURNS]
    assert missing == [], "add these commands to cases.handoffs.TURNS (NOBODY if no one else acts next)"


def test_a_rating_tells_the_lead_only_when_it_reopens_the_case() -> None:
    assert handoffs.turn_for("rate", "rated") is handoffs.NOBODY
    assert handoffs.turn_for("rate", "reopened").to == (handoffs.Next.LEAD,)
    assert handoffs.turn_for("photo_added", "in_progress") is handoffs.NOBODY


def told(session: Session, case_id: int, kind: str) -> tuple[set[int], list[Notification]]:
    """The people an event of this case reached, and its notifications."""
    notes = list(
        session.scalars(
            select(Notification).where(Notification.subject == f"case:{case_id}", Notification.topic == f"case.{kind}")
        )
    )
    people = set(
        session.scalars(select(InboxItem.person_id).where(InboxItem.notification_id.in_([n.id for n in notes])))
    )
    return people, notes


def posts(session: Session, *conditions: Any) -> set[int]:
    return set(session.scalars(select(Position.person_id).where(*conditions)))


def lead_told(session: Session, case_id: int, unit_id: int) -> set[int]:
    """Who of the lead unit is told of its turn, worked out in Python from the organisation and the timeline.

    A unit naming a contact officer for the case's grid: that officer, its head, its posts that are no
    grid's contact (its desk) and those of it who acted on the case; otherwise every post of the unit.
    """
    row = session.get(Case, case_id)
    assert row is not None
    unit_posts = session.execute(select(Position.id, Position.person_id).where(Position.department_id == unit_id)).all()
    contacts = set(session.scalars(select(GridContact.position_id).where(GridContact.department_id == unit_id)))
    here = session.get(GridContact, (row.grid_code, unit_id)) if row.grid_code else None
    if here is None:
        return {person for _, person in unit_posts}
    actors = set(session.scalars(select(CaseEvent.actor).where(CaseEvent.case_id == case_id)))
    accounts: dict[int, int | None] = dict(session.execute(select(Account.id, Account.person_id)).all())
    acted = {
        int(number) if kind == "person" else accounts.get(int(number))
        for kind, number, *_ in (actor.split(":") for actor in actors)
        if kind in {"person", "account"}
    }
    heads = set(
        session.scalars(select(Position.id).where(Position.department_id == unit_id, Position.role == "dept_head"))
    )
    return {
        person
        for post, person in unit_posts
        if post in {here.position_id, *heads} or post not in contacts or person in acted
    }


def another_grids_contact(session: Session, case_id: int, unit_id: int) -> int:
    """A person of the lead unit who is the contact of a grid other than the case's (and not a head): not told."""
    row = session.get(Case, case_id)
    assert row is not None
    others = select(GridContact.position_id).where(
        GridContact.department_id == unit_id, GridContact.grid_code != row.grid_code
    )
    here = select(GridContact.position_id).where(
        GridContact.department_id == unit_id, GridContact.grid_code == row.grid_code
    )
    contacts = posts(session, Position.id.in_(others), Position.role != "dept_head") - posts(
        session, Position.id.in_(here)
    )
    return min(contacts)


def dispatched(api: Any, session: Session, **dispatch: Any) -> dict[str, Any]:
    """A parking case reported by the grid worker, accepted and dispatched by the county centre."""
    case = report_parking(api, session)
    api.login("kc-centre")
    return command(api, command(api, case, "accept"), "dispatch", **dispatch)


def signed_by_another_contact(api: Any, session: Session) -> tuple[dict[str, Any], int, int]:
    """A parking case dispatched to the brigade and signed by another grid's contact officer (not told of it).

    The case, the brigade's id and the officer's person id.
    """
    case = dispatched(api, session)
    brigade = case["lead_unit"]["id"]
    officer = another_grids_contact(session, case["id"], brigade)
    api.login(login_for(session, officer))
    return command(api, case, "sign"), brigade, officer


def person_of(session: Session, username: str) -> int:
    found = session.scalar(select(Account.person_id).where(Account.username == username))
    assert found is not None
    return found


def expect(
    session: Session, case_id: int, kind: str, people: set[int], *, title: str, anchor: str, says: str = ""
) -> None:
    reached, notes = told(session, case_id, kind)
    assert reached == people, f"{kind}: told {sorted(reached)}, expected {sorted(people)}"
    assert people, f"{kind}: somebody must be told"
    note = notes[-1]
    assert note.title.startswith(title), note.title
    assert "城区机动车违停治理" in note.title
    assert note.link == f"/cases/{case_id}#{anchor}"
    assert "+00:00" not in note.body
    assert "UTC" not in note.body
    assert says in note.body  # e.g. why, before the case is opened


def reply(api: Any, case: dict[str, Any], text: str) -> dict[str, Any]:
    """The lead's reply with the evidence illegal parking needs (a photo of this case, GPS, text)."""
    photo = api.send("POST", f"/api/v1/cases/{case['id']}/photos", files={"photo": ("p.png", PNG, "image/png")})
    assert photo.status_code == 201, photo.text
    case = api.get(f"/api/v1/cases/{case['id']}").json()
    evidence = [
        {"kind": "photo", "ref": photo.json()["ref"]},
        {"kind": "text", "ref": text},
        {"kind": "gps", "ref": "118.8712,28.9361"},
    ]
    return command(api, case, "reply", text=text, evidence=evidence)


def hold_meeting(api: Any, case_id: int, housing: int, clock: Any) -> Any:
    """A consultation meeting whose one decision housing owns."""
    meeting = api.send(
        "POST",
        f"/api/v1/cases/{case_id}/meetings",
        json={
            "title": "违停治理会商",
            "held_at": clock.now().isoformat(),
            "minutes": "住建配合。",
            "attendee_unit_ids": [housing],
            "decisions": [
                {
                    "description": "增设临时停车引导",
                    "owner_unit_id": housing,
                    "deadline_at": (clock.now() + timedelta(days=3)).isoformat(),
                }
            ],
        },
    )
    assert meeting.status_code == 201, meeting.text
    return meeting


def helped_and_done(api: Any, session: Session, asked: dict[str, Any], meeting: dict[str, Any], lead: set[int]) -> None:
    """The enforcement team answers its request and housing finishes the meeting's task: the lead is told each time."""
    api.login("kc-enforcement")
    request = next(r for r in asked["collaboration"] if "执法" in r["unit"]["name"])
    answered = api.send("POST", f"/api/v1/cases/help-requests/{request['id']}/reply", json={"text": "已核查"})
    assert answered.status_code == 200, answered.text
    expect(session, asked["id"], "help_replied", lead, title="协同单位已回复", anchor="collaboration")
    _people, notes = told(session, asked["id"], "help_replied")
    assert f"协同部门：{request['unit']['name']}" in notes[0].body  # which of the units asked answered
    assert "回复：已核查" in notes[0].body  # what it answered, before the case is opened
    api.login("kc-housing")
    done = api.send("POST", f"/api/v1/cases/tasks/{meeting['tasks'][0]['id']}/done", json={"note": "引导牌已设置"})
    assert done.status_code == 200, done.text
    expect(
        session,
        asked["id"],
        "task_done",
        lead,
        title="会商任务已完成",
        anchor="meetings",
        says="完成情况：引导牌已设置",
    )


def rate_dissatisfied(api: Any, case: dict[str, Any], *, comment: str) -> dict[str, Any]:
    """不满意 says why (the lead reads it in its notice): refused without a comment, by that field; then rated."""
    silent = {"command": "rate", "rating": "dissatisfied", "version": case["version"]}
    refused = api.send("POST", f"/api/v1/cases/{case['id']}/commands", json=silent)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.comment"
    page = api.client.post(
        f"/cases/{case['id']}/act",
        data={"csrf_token": api.csrf, "command": "rate", "version": str(case["version"]), "rating": "dissatisfied"},
        headers={"accept": "text/html"},
    )
    assert page.status_code == 422
    assert 'data-field="comment">选择“不满意”时，请在评语中写明哪里仍有问题' in page.text
    return command(api, case, "rate", rating="dissatisfied", comment=comment)


def test_each_step_of_the_loop_tells_the_next_party(api: Any, session: Session, clock: Any) -> None:
    case = report_parking(api, session)
    row = session.get(Case, case["id"])
    assert row is not None
    centre = posts(
        session,
        Position.division_code == row.dispatcher_division,
        Position.role.in_(CENTRE_ROLES),
        Position.department_id.is_(None),
    )
    gridworker = person_of(session, "gridworker")
    expect(session, case["id"], "report", centre - {gridworker}, title="新上报待受理", anchor="actions")
    contact = posts(session, Position.id == row.contact_position_id)
    expect(session, case["id"], "contact_informed", contact, title="网格内新办件", anchor="summary")

    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    lead = lead_told(session, case["id"], case["lead_unit"]["id"])
    expect(
        session,
        case["id"],
        "dispatch",
        lead - {person_of(session, "kc-centre")},
        title="新派单待签收",
        anchor="actions",
    )
    assert told(session, case["id"], "accept")[0] == set()
    _, dispatched = told(session, case["id"], "dispatch")
    assert "签收时限：" in dispatched[0].body  # to sign for by then, not to handle
    assert case["number"] in dispatched[0].body

    api.login("kc-traffic")
    case = command(api, command(api, case, "sign"), "start")
    assert told(session, case["id"], "sign")[0] == told(session, case["id"], "start")[0] == set()
    enforcement, housing = unit(session, "enforcement", "330802"), unit(session, "housing", "330802")
    asked = api.send(
        "POST",
        f"/api/v1/cases/{case['id']}/help-requests",
        json={"requests": [{"unit_id": u, "deadline_hours": 24, "text": "请协助"} for u in (enforcement, housing)]},
    )
    assert asked.status_code == 201, asked.text
    helpers = posts(session, Position.department_id.in_([enforcement, housing]))
    expect(session, case["id"], "help_requested", helpers, title="部门协同待回复", anchor="collaboration")

    meeting = hold_meeting(api, case["id"], housing, clock)
    owners = posts(session, Position.department_id == housing)
    expect(session, case["id"], "meeting_held", owners, title="会商任务", anchor="meetings")
    lead_people = lead_told(session, case["id"], case["lead_unit"]["id"])
    helped_and_done(api, session, asked.json(), meeting.json(), lead_people)

    api.login("kc-traffic")
    case = reply(api, api.get(f"/api/v1/cases/{case['id']}").json(), "车辆已拖离")
    expect(
        session, case["id"], "reply", {gridworker}, title="办理回复待核查", anchor="reply", says="处置情况：车辆已拖离"
    )

    api.login("gridworker")
    case = command(api, case, "verify_failed", reason="车还在")
    expect(session, case["id"], "verify_failed", lead, title="核查未通过", anchor="actions", says="理由：车还在")
    api.login("kc-traffic")
    case = reply(api, case, "已再次清理")
    api.login("gridworker")
    case = command(api, case, "verify")
    expect(session, case["id"], "verify", lead, title="核查通过", anchor="actions")

    api.login("kc-traffic")
    case = command(api, case, "close", cancel_reason="已处置完毕")
    expect(session, case["id"], "close", {gridworker}, title="办件已办结", anchor="actions")
    housing_people = posts(session, Position.department_id == housing)
    expect(
        session,
        case["id"],
        "help_cancelled",
        housing_people,
        title="协同请求已撤销",
        anchor="collaboration",
        says="理由：已处置完毕",
    )
    api.login("gridworker")
    case = rate_dissatisfied(api, case, comment="车又停回来了")
    assert case["status"] == "reopened"
    expect(session, case["id"], "rate", lead, title="群众不满意", anchor="actions", says="评价意见：车又停回来了")
    assert person_of(session, "kc-traffic") in lead


def test_a_brigade_tells_the_grids_contact_its_head_and_desk_and_whoever_acted(api: Any, session: Session) -> None:
    case = dispatched(api, session)
    unit_id = case["lead_unit"]["id"]
    row = session.get(Case, case["id"])
    assert row is not None
    here = session.get(GridContact, (row.grid_code, unit_id))
    assert here is not None, "the brigade names a contact officer for the case's grid"
    contact = posts(session, Position.id == here.position_id)
    others = select(GridContact.position_id).where(
        GridContact.department_id == unit_id, GridContact.position_id != here.position_id
    )
    other_contacts = posts(session, Position.id.in_(others), Position.role != "dept_head") - contact
    desk = {person_of(session, "kc-traffic"), person_of(session, "kc-traffic-head")}
    reached, _ = told(session, case["id"], "dispatch")
    assert contact | desk <= reached
    assert not reached & other_contacts
    assert len(reached) < len(posts(session, Position.department_id == unit_id)) / 10

    # An officer who is another grid's contact, not told, signs from their queue: the turn is taken for
    # those told (已由<name>处理), and the unit's next turns tell the officer too.
    officer = min(other_contacts)
    api.login(login_for(session, officer))
    case = command(api, command(api, case, "sign"), "start")
    _, notes = told(session, case["id"], "dispatch")
    copies = session.scalars(select(InboxItem).where(InboxItem.notification_id == notes[0].id)).all()
    assert {item.settled_by for item in copies} == {officer}
    case = reply(api, case, "车辆已拖离")
    api.login("gridworker")
    command(api, case, "verify_failed", reason="车还在")
    reached, _ = told(session, case["id"], "verify_failed")
    assert officer in reached
    assert reached == lead_told(session, case["id"], unit_id)


def test_a_unit_naming_no_contact_for_the_case_tells_everyone_in_it(api: Any, session: Session) -> None:
    housing = unit(session, "housing", "330802")
    case = dispatched(api, session, lead_unit_id=housing)
    assert session.scalar(select(GridContact.position_id).where(GridContact.department_id == housing)) is None
    reached, _ = told(session, case["id"], "dispatch")
    assert reached == posts(session, Position.department_id == housing) - {person_of(session, "kc-centre")}

    # A case in no grid: the brigade names no contact for it, so every officer is told.
    case = report_parking(api, session)
    session.execute(update(Case).where(Case.id == case["id"]).values(grid_code=None))
    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    reached, _ = told(session, case["id"], "dispatch")
    brigade = posts(session, Position.department_id == case["lead_unit"]["id"])
    assert reached == brigade - {person_of(session, "kc-centre")}


def test_a_report_names_its_reporter_not_a_handler(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    reporter = session.scalar(select(Person.name).where(Person.id == person_of(session, "gridworker")))
    body = told(session, case["id"], "report")[1][0].body
    assert f"上报人：{reporter}" in body
    assert "经办：" not in body


def test_a_division_with_no_centre_post_has_the_nearest_centre_above_told(api: Any, session: Session) -> None:
    """The county's centre posts moved away: its report reaches the city's centre, whose to-do it is."""
    grid, _point = fushan_point(session)
    moved = posts(session, centre_posts("330802"))
    session.execute(update(Position).where(centre_posts("330802")).values(division_code=grid[:9]))
    session.commit()
    case = report_parking(api, session)
    city = posts(session, Position.division_code == "3308", Position.role.in_(CENTRE_ROLES))
    assert city
    expect(session, case["id"], "report", city, title="新上报待受理", anchor="actions")
    assert not told(session, case["id"], "report")[0] & (moved - city)
    assert case["id"] in [row["id"] for row in api.login("qz-centre").get("/api/v1/cases?todo=accept").json()["items"]]


def test_a_report_retried_under_its_key_tells_nobody_twice(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    people, notes = told(session, case["id"], "report")
    assert len(notes) == 1
    items = session.scalars(select(InboxItem).where(InboxItem.notification_id == notes[0].id)).all()
    assert len(items) == len(people)


def test_the_reference_lists_every_turn() -> None:
    text = (Path(__file__).parents[2] / "docs" / "reference" / "handoffs.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`") for line in text.splitlines() if line.startswith("| `")}
    assert set(handoffs.TURNS) <= rows


def test_opening_a_case_marks_the_viewers_notices_about_it_read(api: Any, session: Session) -> None:
    # Acting from the queue rather than from the notice still clears it: the case was seen.
    case = report_parking(api, session)
    other = report_parking(api, session)
    api.login("kc-centre")

    def unread(case_id: int) -> int:
        items = api.get("/api/v1/inbox", params={"limit": 200}).json()["items"]
        return sum(1 for i in items if i["subject"] == f"case:{case_id}" and i["read_at"] is None)

    assert unread(case["id"]) == 1
    assert unread(other["id"]) == 1
    assert api.get(f"/cases/{case['id']}", headers={"accept": "text/html"}).status_code == 200
    assert unread(case["id"]) == 0
    assert unread(other["id"]) == 1  # only the case opened
    api.login("ly-centre")  # a case outside one's scope marks nothing (and is 404)
    assert api.get(f"/cases/{other['id']}", headers={"accept": "text/html"}).status_code == 404


def test_each_unit_asked_at_once_is_told_its_own_deadline(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    case = underway(api, case)
    enforcement, housing = unit(session, "enforcement", "330802"), unit(session, "housing", "330802")
    asked = api.send(
        "POST",
        f"/api/v1/cases/{case['id']}/help-requests",
        json={
            "requests": [
                {"unit_id": enforcement, "deadline_hours": 24, "text": "请协助核查"},
                {"unit_id": housing, "deadline_hours": 48, "text": "请协助整改"},
            ]
        },
    )
    assert asked.status_code == 201, asked.text
    due = {r["unit"]["id"]: datetime.fromisoformat(r["deadline_at"]) for r in asked.json()["collaboration"]}
    _, notes = told(session, case["id"], "help_requested")
    assert len(notes) == 2  # one notice per unit asked: each says its own 办理时限
    for owner, people in ((enforcement, housing), (housing, enforcement)):
        staff = posts(session, Position.department_id == owner)
        note = next(
            n
            for n in notes
            if staff & set(session.scalars(select(InboxItem.person_id).where(InboxItem.notification_id == n.id)))
        )
        assert local_short(due[owner]) in note.body, note.body
        assert local_short(due[people]) not in note.body
        asked_for = {enforcement: "请协助核查", housing: "请协助整改"}
        assert f"协同事项：{asked_for[owner]}" in note.body  # what this unit is asked to do, not the other's
        assert asked_for[people] not in note.body


def test_each_owner_of_a_meetings_tasks_is_told_its_own_deadline(api: Any, session: Session, clock: Any) -> None:
    case = report_parking(api, session)
    case = underway(api, case)
    enforcement, housing = unit(session, "enforcement", "330802"), unit(session, "housing", "330802")
    decisions = [
        {
            "description": "增设隔离桩",
            "owner_unit_id": housing,
            "deadline_at": (clock.now() + timedelta(days=3)).isoformat(),
        },
        {
            "description": "夜间巡查",
            "owner_unit_id": enforcement,
            "deadline_at": (clock.now() + timedelta(days=7)).isoformat(),
        },
    ]
    held = api.send(
        "POST",
        f"/api/v1/cases/{case['id']}/meetings",
        json={"title": "会商", "held_at": clock.now().isoformat(), "minutes": "分工", "decisions": decisions},
    )
    assert held.status_code == 201, held.text
    due = {t["owner"]["id"]: datetime.fromisoformat(t["deadline_at"]) for t in held.json()["tasks"]}
    _, notes = told(session, case["id"], "meeting_held")
    assert len(notes) == 2
    for owner, other in ((enforcement, housing), (housing, enforcement)):
        staff = posts(session, Position.department_id == owner)
        reached = {
            n.id: set(session.scalars(select(InboxItem.person_id).where(InboxItem.notification_id == n.id)))
            for n in notes
        }
        note = next(n for n in notes if staff & reached[n.id])
        assert reached[note.id] <= staff  # the other owner's staff are told of their own task only
        assert local_short(due[owner]) in note.body, note.body
        assert local_short(due[other]) not in note.body
        task = {housing: "增设隔离桩", enforcement: "夜间巡查"}
        assert f"会商任务：{task[owner]}" in note.body  # what to do, before the case is opened
        assert task[other] not in note.body


def test_every_turns_title_has_a_message_key_saying_the_same_in_chinese() -> None:
    words = {"matter": "城区机动车违停治理", "matter_en": "Illegal parking in the city", "place": "府山街道县学街社区"}
    for kind, turn in handoffs.TURNS.items():
        if not turn.zh:
            continue
        key = handoffs.title_key(kind)
        told = f"{turn.zh}：{words['matter']} · {words['place']}"  # what `_Words.told` sends every channel
        assert localized_title("stored", key, json.dumps(words), "zh") == told, kind
        english = localized_title("stored", key, json.dumps(words), "en")
        assert english.endswith(": Illegal parking in the city · 府山街道县学街社区"), kind
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in english.split(":", 1)[0]), kind


def test_the_english_inbox_shows_a_hand_off_title_and_body_in_english(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    api.login("kc-centre")
    command(api, command(api, case, "accept"), "dispatch")
    stored = session.scalars(select(Notification).where(Notification.key.startswith(f"case:{case['id']}:"))).all()
    title, body = next((n.title, n.body) for n in stored if n.topic == "case.dispatch")
    assert title.startswith("新派单待签收：城区机动车违停治理 · ")
    assert body.startswith(f"办件 {case['number']} · 城区机动车违停治理\n地点：")
    assert "\n签收时限：" in body  # a dispatched case is to be signed for by then
    api.login("kc-traffic")
    english = api.get("/inbox?lang=en", headers={"accept": "text/html"}).text
    assert "New case to sign for: Illegal parking in the city · " in english
    assert f"Case {case['number']} · Illegal parking in the city" in english
    assert "Handled by: " in english
    assert "Sign for by " in english
    assert title not in english
    assert "签收时限" not in english
    chinese = api.get("/inbox?lang=zh", headers={"accept": "text/html"}).text
    assert title in chinese
    assert body in chinese
    items = api.get("/api/v1/inbox", params={"limit": 200}).json()["items"]
    assert title in {i["title"] for i in items}  # the API keeps the stored (Chinese) title


def test_a_notice_names_a_village_as_a_place_not_as_its_committee(session: Session) -> None:
    """大洲镇五石埂村村委会 is the committee's name: a notice says 大洲镇五石埂村, as the pages do."""
    code, name = session.execute(
        select(Division.code, Division.name)
        .where(Division.level == "village", Division.name.endswith("村委会"))
        .limit(1)
    ).one()
    said = handoffs.place_name(session, code)
    assert "委会" not in said
    assert said.endswith(name.removesuffix("村委会").removesuffix("村") + "村")


def test_a_turn_taken_by_one_settles_the_notice_for_those_told_with_them(api: Any, session: Session) -> None:
    """A unit's desk and the grid's contact are told to sign; once one signs, the others' notices no longer wait."""
    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    signer, head = person_of(session, "kc-traffic"), person_of(session, "kc-traffic-head")
    lead, notes = told(session, case["id"], "dispatch")
    assert {signer, head} <= lead

    def items(note_ids: list[int]) -> dict[int, InboxItem]:
        session.expire_all()
        found = session.scalars(select(InboxItem).where(InboxItem.notification_id.in_(note_ids)))
        return {item.person_id: item for item in found}

    dispatched = [n.id for n in notes]
    assert all(item.read_at is None for item in items(dispatched).values())
    seen_at = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # the head had read it before anyone acted
    session.execute(update(InboxItem).where(InboxItem.person_id == head).values(read_at=seen_at))
    session.commit()
    api.login("kc-traffic")
    case = command(api, case, "sign")
    after = items(dispatched)
    others = {person: item for person, item in after.items() if person != signer}
    assert others
    assert all(item.read_at is not None and item.settled_by == signer for item in others.values())
    assert {item.settled_as for item in others.values()} == {"taken"}
    assert others[head].read_at is not None
    assert others[head].read_at.replace(tzinfo=UTC) == seen_at  # read before: still says who did it, read when it was
    assert (after[signer].settled_by, after[signer].settled_as) == (signer, "taken")  # their own says 您已处理
    assert after[signer].read_at is not None  # signed through the API: no unread copy of what they did is left
    own = api.get("/inbox", headers={"accept": "text/html"}).text  # still logged in as the signer
    assert "您已处理" in own
    assert f"已由{session.scalar(select(Person.name).where(Person.id == signer))}处理" not in own
    # a notice the signer was not told is left as it was: the centre's about the report
    reported = [n.id for n in told(session, case["id"], "report")[1]]
    assert all(item.settled_by != signer for item in items(reported).values())
    # the head's inbox says who did it, and no longer counts it as waiting
    api.login("kc-traffic-head")
    page, subject = api.get("/inbox", headers={"accept": "text/html"}).text, f"case:{case['id']}"
    signer_name = session.scalar(select(Person.name).where(Person.id == signer))
    assert f"已由{signer_name}处理" in page
    listed = [i for i in api.get("/api/v1/inbox", params={"limit": 200}).json()["items"] if i["subject"] == subject]
    assert not [i for i in listed if i["read_at"] is None]
    assert {(i["settled_by"], i["settled_as"]) for i in listed if i["topic"] == "case.dispatch"} == {(signer, "taken")}


def test_an_operator_who_files_a_case_and_accepts_it_settles_the_colleagues_notice(api: Any, session: Session) -> None:
    """A centre operator enters a call, so is not told of it; accepting it, the colleagues told no longer wait."""
    _grid, point = fushan_point(session)
    api.login("kc-centre")
    filed = api.send("POST", "/api/v1/cases", json=report_body(point))
    assert filed.status_code == 201, filed.text
    case = api.get(filed.headers["location"]).json()
    operator = person_of(session, "kc-centre")
    colleagues, notes = told(session, case["id"], "report")
    assert colleagues
    assert operator not in colleagues  # one's own act is not told to oneself
    command(api, case, "accept")
    session.expire_all()
    items = session.scalars(select(InboxItem).where(InboxItem.notification_id.in_([n.id for n in notes]))).all()
    assert {(item.settled_by, item.settled_as, item.read_at is not None) for item in items} == {
        (operator, "taken", True)
    }


def test_a_reply_that_withdraws_an_extension_request_settles_the_deciders_notice(api: Any, session: Session) -> None:
    """The centre was told to decide 申请延期; the lead replies instead: nothing is left to decide, nor waits."""
    case = underway(api, report_parking(api, session))
    case = command(api, case, "request_extension", hours=24, reason="等拖车")
    asked, notes = told(session, case["id"], "request_extension")
    assert asked
    assert all("申请延期：24 小时" in note.body for note in notes)  # how long: the deciders judge it from the notice
    reply(api, case, "车辆已拖离")
    session.expire_all()
    items = session.scalars(select(InboxItem).where(InboxItem.notification_id.in_([n.id for n in notes]))).all()
    lead = person_of(session, "kc-traffic")
    assert items
    assert all(item.read_at is not None and (item.settled_by, item.settled_as) == (lead, "withdrawn") for item in items)
    # a decider's inbox says the request was withdrawn, not that someone did what it asked
    api.login("kc-centre")
    page = api.get("/inbox", headers={"accept": "text/html"}).text
    lead_name = session.scalar(select(Person.name).where(Person.id == lead))
    assert f"已由{lead_name}撤回" in page


def test_a_decider_who_withdraws_the_request_by_escalating_is_told_they_did_it(api: Any, session: Session) -> None:
    """One of the centre escalates over a pending extension: the others' say a colleague took it; theirs, 您已处理."""
    case = underway(api, report_parking(api, session))
    case = command(api, case, "request_extension", hours=24, reason="等拖车")
    _asked, notes = told(session, case["id"], "request_extension")
    escalator = person_of(session, "kc-centre")
    api.login("kc-centre")
    command(api, api.get(f"/api/v1/cases/{case['id']}").json(), "escalate", reason="需市级协调")
    session.expire_all()
    items = session.scalars(select(InboxItem).where(InboxItem.notification_id.in_([n.id for n in notes]))).all()
    mine = [item for item in items if item.person_id == escalator]
    assert mine
    assert {(item.settled_by, item.settled_as) for item in mine} == {(escalator, "taken")}  # 您已处理, not 已由<me>撤回
    others = [item for item in items if item.person_id != escalator]
    assert others
    assert {(item.settled_by, item.settled_as) for item in others} == {(escalator, "taken")}  # 已由<them>处理


def test_a_notice_that_only_informs_is_not_settled_by_a_colleagues_act(api: Any, session: Session) -> None:
    """挂起，请知悉 asks nobody to act: when one of the centre resumes the case, the others' stay as they were."""
    case = underway(api, report_parking(api, session))
    case = command(api, case, "suspend", reason="等待车主")
    informed, notes = told(session, case["id"], "suspend")
    resumer = person_of(session, "kc-centre")
    assert resumer in informed
    assert len(informed) > 1  # the centre's other staff were told too
    api.login("kc-centre")
    command(api, api.get(f"/api/v1/cases/{case['id']}").json(), "resume")
    session.expire_all()
    items = session.scalars(select(InboxItem).where(InboxItem.notification_id.in_([n.id for n in notes])))
    assert all(item.settled_by is None for item in items)
