"""A command group opened from a case, on the case: its lines, the page's card and button, one open group per case."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.campaigns.task_helpers import actor_of
from tests.cases.test_flow import report_parking, underway
from tests.cases.test_handoffs import told
from tests.command_groups.helpers import fushan, person
from tests.conftest import Api
from zhili.cases.models import CaseEvent
from zhili.command_groups.groups import GroupOpen, change_state, open_group
from zhili.command_groups.lifecycle import GroupAction, MemberRole
from zhili.command_groups.members import NewMember
from zhili.core.audit import AuditRecord
from zhili.core.clock import FrozenClock
from zhili.core.errors import ConflictError

TITLE = "县学街违停处置指挥组"


def _open(session: Session, clock: FrozenClock, case_id: int, *members: NewMember, title: str = TITLE) -> int:
    data = GroupOpen(title=title, summary="车辆堵塞消防通道。", area=fushan(session), case_id=case_id, members=members)
    return open_group(session, data=data, actor=actor_of(session, "kc-centre"), clock=clock)


def _lines(session: Session, case_id: int, kind: str) -> list[dict[str, Any]]:
    stmt = select(CaseEvent.details).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind).order_by(CaseEvent.seq)
    return list(session.scalars(stmt))


def test_opening_and_closing_a_group_from_a_case_write_lines_on_the_case(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    case = underway(api, report_parking(api, session))
    group_id = _open(session, clock, case["id"], NewMember(person(session, "fushan"), MemberRole.DEPUTY))
    opened = _lines(session, case["id"], "group_opened")
    assert opened == [{"group_id": group_id, "group": TITLE, "lead_informed": False}]
    audited = session.scalars(
        select(AuditRecord.action).where(AuditRecord.entity_type == "case", AuditRecord.entity_id == str(case["id"]))
    ).all()
    assert "case.group_opened" in audited
    summary = "违停车辆已全部拖离，消防通道恢复畅通，现场秩序正常。" * 3
    assert len(summary) > 60
    change_state(
        session,
        group_id=group_id,
        action=GroupAction.CLOSE,
        note=summary,
        actor=actor_of(session, "kc-centre"),
        clock=clock,
    )
    closed = _lines(session, case["id"], "group_closed")
    assert closed == [{"group_id": group_id, "group": TITLE, "closure": summary[:60] + "…"}]
    api.login("kc-centre")
    page = api.get(f"/cases/{case['id']}").text
    timeline = page.split('id="timeline"', 1)[1]
    assert "成立指挥组" in timeline
    assert f"指挥组：{TITLE}" in timeline
    assert "指挥组已结束" in timeline
    assert f'href="/groups/{group_id}/report"' in timeline
    english = api.get(f"/cases/{case['id']}?lang=en").text.split('id="timeline"', 1)[1]
    assert "Command group opened" in english
    assert "Closing summary: 违停车辆" in english
    # Closed, the group no longer stands in the way: the button opens a new one.
    assert f'href="/groups/new?case={case["id"]}" id="open-group-link"' in page


def test_the_case_page_shows_its_open_group_and_leads_to_it(api: Api, session: Session, clock: FrozenClock) -> None:
    case = underway(api, report_parking(api, session))
    group_id = _open(session, clock, case["id"])
    api.login("kc-centre")
    page = api.get(f"/cases/{case['id']}").text
    card = page.split('id="groups"', 1)[1].split("</section>", 1)[0]
    assert f'<a href="/groups/{group_id}" translate="no">{TITLE}</a>' in card
    assert "处置中" in card
    assert f'href="/groups/{group_id}" id="open-group-link">进入指挥组' in page
    assert "/groups/new?case=" not in page
    assert f'href="/groups/{group_id}" class="meta timeline-link"' in page
    english = api.get(f"/cases/{case['id']}?lang=en").text
    assert "Go to the command group" in english
    assert "Command groups" in english


def test_a_second_open_group_for_a_case_is_refused_by_its_field(api: Api, session: Session, clock: FrozenClock) -> None:
    case = underway(api, report_parking(api, session))
    group_id = _open(session, clock, case["id"])
    with pytest.raises(ConflictError) as refused:
        _open(session, clock, case["id"], title="第二个指挥组")
    assert refused.value.extra["errors"][0]["field"] == "case"
    session.rollback()
    api.login("kc-centre")
    form = api.get(f"/groups/new?case={case['id']}")
    assert 'id="error-case"' in form.text
    assert f'href="/groups/{group_id}" id="case-group-link"' in form.text
    body = {"title": "第二个指挥组", "summary": "再开一个", "area": fushan(session), "case": str(case["id"])}
    again = api.send("POST", "/groups", data=body)
    assert again.status_code == 409
    assert 'id="error-case"' in again.text
    assert "该办件已有处置中的指挥组" in again.text
    assert "再开一个" in again.text  # the input is kept
    english = api.send("POST", "/groups?lang=en", data=body)
    assert "already has an open command group" in english.text
    api_refused = api.send(
        "POST",
        "/api/v1/groups",
        json={"title": "第二个指挥组", "area": fushan(session), "case_id": case["id"]},
        headers={"Idempotency-Key": "second-group-of-case"},
    )
    assert api_refused.status_code == 409
    assert len(_lines(session, case["id"], "group_opened")) == 1


def test_a_viewer_who_sees_the_case_but_not_the_group_gets_no_link_and_a_404(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    case = underway(api, report_parking(api, session))  # kc-traffic's unit leads it
    group_id = _open(session, clock, case["id"])
    api.login("kc-traffic")
    page = api.get(f"/cases/{case['id']}").text
    card = page.split('id="groups"', 1)[1].split("</section>", 1)[0]
    assert TITLE in card  # the line and the card name the group to whoever sees the case
    assert f"/groups/{group_id}" not in page
    assert 'id="groups-unseen"' in card
    assert api.get(f"/groups/{group_id}").status_code == 404
    assert api.get(f"/groups/{group_id}/report").status_code == 404


def test_the_lead_is_told_of_a_group_unless_its_people_are_members(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    case = underway(api, report_parking(api, session))
    _open(session, clock, case["id"])
    people, notes = told(session, case["id"], "group_opened")
    assert person(session, "kc-traffic") in people
    assert person(session, "kc-centre") not in people  # the opener is not told of their own step
    assert [n.link for n in notes] == [f"/cases/{case['id']}#groups"]
    assert f"指挥组：{TITLE}" in notes[0].body
    other = underway(api, report_parking(api, session))
    _open(session, clock, other["id"], NewMember(person(session, "kc-traffic")), title="有牵头单位成员的指挥组")
    assert told(session, other["id"], "group_opened") == (set(), [])
    assert _lines(session, other["id"], "group_opened")[0]["lead_informed"] is True
