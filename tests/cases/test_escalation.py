"""A case left untouched turns yellow, then red, and climbs the escalation ladder (SQLite and PostgreSQL).

Illegal parking handled by the Kecheng traffic police: 4 clock hours to handle. A stepping clock
and the real timer firing show the urge at 70 %, the red light, supervision and the yellow card at
the deadline, the red card at twice the limit: each on the timeline, as a card, in the audit record
and in the inboxes of the handler, the handler's supervisor and the county centre.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from tests.cases.test_flow import command, report_parking
from tests.cases.test_handoffs import lead_told, person_of, posts, signed_by_another_contact, told
from tests.notify.helpers import in_both_languages, webhook_receiver

from zhili.cases.deadlines import LADDER, pending_ladder
from zhili.cases.escalation import LadderCase, recipients
from zhili.cases.models import SupervisionCard
from zhili.clocks.models import Timer
from zhili.core import audit
from zhili.core.clock import FrozenClock
from zhili.notify.delivery import deliver_due
from zhili.notify.models import InboxItem, Notification, OutboxMessage, WebhookEndpoint
from zhili.notify.webhook import WebhookChannel
from zhili.org.models import Position
from zhili.org.routing import CENTRE_ROLES, centre_posts
from zhili.worker import Worker, timer_job


def fire(sessions: sessionmaker[Session], clock: FrozenClock, case_id: int) -> int:
    """Fire everything due (the demo's own cases have timers too); how many of this case's fired."""

    def waiting() -> int:
        with sessions() as session:
            return len(rungs_waiting(session, case_id))

    before = waiting()
    Worker([timer_job(sessions, clock, batch_size=2_000)]).drain()
    return before - waiting()


def rungs_waiting(session: Session, case_id: int) -> dict[str, datetime]:
    """The case's rungs still waiting (its ladder timer holds them): step → instant."""
    found = pending_ladder(session, case_id)
    return {rung.step: rung.at for rung in found.rungs} if found else {}


def handled_case(api: Any, session: Session) -> dict[str, Any]:
    """Reported, accepted, dispatched, signed and started: the 4-hour handle phase runs."""
    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, api.get(f"/api/v1/cases/{case['id']}").json(), "accept")
    case = command(api, case, "dispatch")
    api.login("kc-traffic")
    case = command(api, case, "sign")
    return command(api, case, "start")


def timeline(api: Any, case_id: int) -> list[str]:
    return [event["kind"] for event in api.get(f"/api/v1/cases/{case_id}").json()["timeline"]]


def inbox_topics(api: Any, username: str, case_id: int) -> list[str]:
    """What a user's inbox says about one case (the demo's other cases escalate too)."""
    api.login(username)
    response = api.get("/api/v1/inbox", params={"limit": 200})
    assert response.status_code == 200, response.text
    return sorted(item["topic"] for item in response.json()["items"] if item["subject"] == f"case:{case_id}")


def test_untouched_case_turns_yellow_then_red_and_climbs_the_ladder(
    api: Any, session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    case = handled_case(api, session)
    assert case["phase"] == "handle"
    started = clock.now()
    assert datetime.fromisoformat(case["phase_due_at"]) == started + timedelta(hours=4)
    assert case["light"] == "green"

    clock.advance(timedelta(hours=2, minutes=47))
    assert fire(sessions, clock, case["id"]) == 0
    clock.advance(timedelta(minutes=1))  # 2 h 48 min = 70 % of 4 h
    assert fire(sessions, clock, case["id"]) == 2
    detail = api.get(f"/api/v1/cases/{case['id']}").json()
    assert detail["light"] == "yellow"
    assert timeline(api, case["id"])[-2:] == ["light_yellow", "urge"]

    clock.advance(timedelta(hours=1, minutes=12))  # the deadline
    assert fire(sessions, clock, case["id"]) == 3
    assert timeline(api, case["id"])[-3:] == ["light_red", "supervise", "yellow_card"]
    assert api.get(f"/api/v1/cases/{case['id']}").json()["light"] == "red"

    clock.advance(timedelta(hours=4))  # twice the limit
    assert fire(sessions, clock, case["id"]) == 1
    assert timeline(api, case["id"])[-1] == "red_card"

    cards = session.scalars(
        select(SupervisionCard.action).where(SupervisionCard.case_id == case["id"]).order_by(SupervisionCard.id)
    ).all()
    assert cards == ["urge", "supervise", "yellow_card", "red_card"]
    actions = session.scalars(
        select(audit.AuditRecord.action).where(
            audit.AuditRecord.entity_type == "case", audit.AuditRecord.entity_id == str(case["id"])
        )
    ).all()
    assert {"case.urge", "case.light_red", "case.yellow_card", "case.red_card"} <= set(actions)

    handler = inbox_topics(api, "kc-traffic", case["id"])
    assert {"case.urge", "case.light_yellow", "case.light_red", "case.supervise", "case.red_card"} <= set(handler)
    assert "case.yellow_card" in inbox_topics(api, "kc-traffic-head", case["id"])
    assert "case.red_card" in inbox_topics(api, "kc-centre", case["id"])
    assert "case.urge" not in inbox_topics(api, "kc-centre", case["id"])
    # Worded as every hand-off: the step, the matter and the place; the deadline in local time; a link to act.
    api.login("kc-traffic")
    items = api.get("/api/v1/inbox", params={"limit": 200}).json()["items"]
    red = next(item for item in items if item["subject"] == f"case:{case['id']}" and item["topic"] == "case.red_card")
    assert red["title"].startswith("红牌警告：城区机动车违停治理 · ")
    assert red["link"] == f"/cases/{case['id']}#actions"
    assert f"办件 {detail['number']} · 城区机动车违停治理" in red["body"]
    assert "办理时限：" in red["body"]
    assert " 前" in red["body"]


def test_a_timer_fires_once_even_when_fired_again(
    api: Any, session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    case = handled_case(api, session)
    clock.advance(timedelta(hours=10))  # past twice the limit, short of three times
    assert fire(sessions, clock, case["id"]) == 6  # yellow, urge, red, supervise, yellow card, red card
    assert fire(sessions, clock, case["id"]) == 0
    count = session.scalar(
        select(func.count()).select_from(SupervisionCard).where(SupervisionCard.case_id == case["id"])
    )
    assert count == 4


def test_ending_the_phase_cancels_its_rungs_and_a_new_phase_starts_its_own(
    api: Any, session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    case = handled_case(api, session)

    def waiting() -> list[str]:
        return sorted(rungs_waiting(session, case["id"]))

    assert waiting() == sorted(["yellow", "urge", "red", "supervise", "yellow_card", "red_card", "leader_instruction"])
    case = command(api, case, "suspend", reason="等待车主到场")
    assert case["phase"] is None
    assert waiting() == []
    clock.advance(timedelta(hours=3))
    assert fire(sessions, clock, case["id"]) == 0
    assert "urge" not in timeline(api, case["id"])
    case = command(api, case, "resume")
    assert case["phase"] == "handle"
    assert len(waiting()) == 7
    assert rungs_waiting(session, case["id"])["red"] == clock.now() + timedelta(hours=4)
    timers = select(func.count()).select_from(Timer).where(Timer.kind == LADDER, Timer.subject_id == case["id"])
    assert session.scalar(timers) == 1  # one timer holds the phase's whole ladder


def test_a_granted_extension_moves_the_rungs_still_waiting(
    api: Any, session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    case = handled_case(api, session)
    before = rungs_waiting(session, case["id"]).get("red")
    case = command(api, case, "request_extension", hours=4, reason="车主联系不上，需协调拖车")
    api.login("kc-centre")
    case = command(api, api.get(f"/api/v1/cases/{case['id']}").json(), "approve_extension")
    after = rungs_waiting(session, case["id"]).get("red")
    assert before is not None
    assert after is not None
    assert after - before == timedelta(hours=4)
    clock.advance(timedelta(hours=4))
    assert api.get(f"/api/v1/cases/{case['id']}").json()["light"] == "green"  # 4 h of 8 h
    clock.advance(timedelta(hours=2))
    fire(sessions, clock, case["id"])
    assert api.get(f"/api/v1/cases/{case['id']}").json()["light"] == "yellow"
    assert timeline(api, case["id"])[-2:] == ["light_yellow", "urge"]


def test_upper_levels_urge_by_hand_and_others_may_not(api: Any, session: Session) -> None:
    case = handled_case(api, session)
    api.login("kc-centre")
    issued = api.send(
        "POST", f"/api/v1/cases/{case['id']}/supervision", json={"action": "supervise", "note": "请今日内处置完毕"}
    )
    assert issued.status_code == 201, issued.text
    card = issued.json()
    assert card["is_manual"]
    assert card["unit"]["name"] == "柯城区公安交警大队"
    assert "case.supervise" in inbox_topics(api, "kc-traffic", case["id"])
    (note,) = told(session, case["id"], "supervise")[1]
    zh, en = in_both_languages(session, note.key, person_of(session, "kc-traffic"))
    assert en.title.startswith("Under supervision: Illegal parking in the city · ")
    assert "\nStage: Handle\n" in en.body
    assert en.body.endswith("\nRemarks: 请今日内处置完毕")
    assert zh.body.endswith("\n意见：请今日内处置完毕")

    api.login("kc-traffic")
    denied = api.send("POST", f"/api/v1/cases/{case['id']}/supervision", json={"action": "urge", "note": "x"})
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("application/problem+json")
    api.login("kc-centre")
    bad = api.send("POST", f"/api/v1/cases/{case['id']}/supervision", json={"action": "scold", "note": "x"})
    assert bad.status_code == 422
    api.login("huzhen")
    hidden = api.send("POST", f"/api/v1/cases/{case['id']}/supervision", json={"action": "urge", "note": "x"})
    assert hidden.status_code == 404

    api.login("kc-centre")
    units = api.get("/api/v1/supervision/units").json()
    traffic = next(row for row in units if row["unit"] and row["unit"]["name"] == "柯城区公安交警大队")
    assert traffic["supervise"] >= 1
    listed = api.get("/api/v1/supervision/cards", params={"action": "supervise"}).json()["items"]
    assert any(item["case_id"] == case["id"] for item in listed)
    page = api.get("/supervision")
    assert page.status_code == 200
    assert "柯城区公安交警大队" in page.text


def test_a_card_reads_in_english_in_an_english_inbox(api: Any, session: Session) -> None:
    """A card's title is kept as a message key like every hand-off's: the English inbox says it in English."""
    case = handled_case(api, session)
    api.login("kc-centre")
    issued = api.send("POST", f"/api/v1/cases/{case['id']}/supervision", json={"action": "red_card", "note": "x"})
    assert issued.status_code == 201, issued.text
    stored = session.scalars(select(Notification).where(Notification.topic == "case.red_card")).all()
    title = next(n.title for n in stored if n.subject == f"case:{case['id']}")
    assert title.startswith("红牌警告：城区机动车违停治理 · ")
    api.login("kc-traffic")
    english = api.get("/inbox?lang=en", headers={"accept": "text/html"}).text
    assert "Red card: Illegal parking in the city · " in english
    assert title not in english
    assert title in api.get("/inbox?lang=zh", headers={"accept": "text/html"}).text


def test_inbox_items_count_one_per_person(
    api: Any, session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    case = handled_case(api, session)
    clock.advance(timedelta(hours=3))
    fire(sessions, clock, case["id"])
    # The ladder's notices (hand-offs such as the dispatch are told under `case:<id>:event:<seq>` keys).
    ladder = (Notification.subject == f"case:{case['id']}") & ~Notification.key.contains(":event:")
    keys = session.scalars(select(Notification.key).where(ladder)).all()
    assert len(keys) == len(set(keys)) == 2
    per_person = session.execute(
        select(InboxItem.person_id, func.count()).join(Notification).where(ladder).group_by(InboxItem.person_id)
    ).all()
    assert per_person
    assert all(n == 2 for _, n in per_person)


def test_cards_reach_a_configured_dingtalk_robot(
    api: Any, session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    with sessions() as writer:
        writer.add(
            WebhookEndpoint(
                name="柯城督办群",
                url="http://placeholder/robot/send?access_token=t",
                format="dingtalk_md",
                secret="SEC-test",
                topics="case.yellow_card,case.red_card",
                min_severity="info",
                is_enabled=True,
                created_at=clock.now(),
            )
        )
        writer.commit()
    case = handled_case(api, session)
    clock.advance(timedelta(hours=9))
    assert fire(sessions, clock, case["id"]) == 6
    with webhook_receiver() as (url, receiver):
        session.execute(update(WebhookEndpoint).values(url=f"{url}/robot/send?access_token=t"))
        session.execute(
            update(OutboxMessage).where(OutboxMessage.channel == "webhook").values(destination=f"{url}/robot/send")
        )
        channel = WebhookChannel(public_url="http://127.0.0.1:8000", timeout_seconds=5)
        deliver_due(sessions, clock=clock, channels={"webhook": channel})
        bodies = receiver.json_bodies()
    mine = [body for body in bodies if case["number"] in json.dumps(body, ensure_ascii=False)]
    assert [body["msgtype"] for body in mine] == ["markdown", "markdown"]
    titles = [body["markdown"]["title"] for body in mine]
    assert any("黄牌" in title for title in titles)
    assert any("红牌" in title for title in titles)
    assert all("sign=" in request["path"] and "timestamp=" in request["path"] for request in receiver.requests)


def test_a_centre_phase_rung_reaches_the_nearest_staffed_centre(session: Session) -> None:
    """A township with no command room post: its accept phase's cards go to the county's centre, and above it."""
    township = session.scalars(
        select(Position.division_code).where(Position.role == "township_command").order_by(Position.division_code)
    ).first()
    assert township is not None
    case = LadderCase(
        id=0,
        number="",
        status="reported",
        phase="accept",
        phase_started_at=None,
        phase_due_at=None,
        lead_unit_id=None,
        routed_unit_id=0,
        dispatcher_division=township,
        handling_division=township,
        matter_code="",
        matter_version_id=0,
        place_code=township,
    )

    def people(*conditions: Any) -> set[int]:
        return set(session.scalars(select(Position.person_id).where(*conditions)))

    def for_rung(step: str) -> set[int]:
        statement = recipients(case, step)
        assert statement is not None, "a centre's phase has its centre to tell"
        return set(session.scalars(statement))

    room = people(Position.division_code == township, Position.role.in_(CENTRE_ROLES))
    county = people(Position.division_code == township[:6], Position.role.in_(CENTRE_ROLES))
    city = people(Position.division_code == township[:4], Position.role.in_(CENTRE_ROLES))
    assert all((room, county, city))
    assert for_rung("urge") == room
    assert for_rung("yellow_card") == room | county
    session.execute(update(Position).where(centre_posts(township)).values(division_code=township[:6]))
    assert for_rung("urge") == room | county  # the county's centre, now with them
    session.execute(update(Position).where(centre_posts(township[:6])).values(division_code=township[:9] + "001"))
    assert for_rung("urge") == city  # neither township nor county staffed
    assert for_rung("yellow_card") == city


def test_a_brigades_rungs_reach_whom_its_turns_reach_and_its_heads_supervisor(
    api: Any, session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    """Of 柯城区公安交警大队 (118 posts) the urge reaches those its turns reach: the grid's contact, the heads, the
    desk and whoever acted (here another grid's contact, who signed); the yellow card also the head's supervisor.
    """
    case, unit_id, officer = signed_by_another_contact(api, session)
    case = command(api, case, "start")
    clock.advance(timedelta(hours=4))  # the deadline: urge, red light, supervision and the yellow card
    assert fire(sessions, clock, case["id"]) == 5

    expected = lead_told(session, case["id"], unit_id)
    assert officer in expected
    assert len(expected) < len(posts(session, Position.department_id == unit_id)) / 10
    for step in ("urge", "light_yellow", "light_red", "supervise"):
        reached, _ = told(session, case["id"], step)
        assert reached == expected, step
    heads = select(Position.supervisor_id).where(Position.department_id == unit_id, Position.role == "dept_head")
    supervisors = posts(session, Position.id.in_(heads))
    assert supervisors
    carded, _ = told(session, case["id"], "yellow_card")
    assert carded == expected | supervisors
