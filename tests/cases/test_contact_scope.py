"""The grid contact officer is named only to whom the post is visible: a reporter learns the unit, not the person."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.cases.test_flow import report_parking

from zhili.cases.models import Case
from zhili.org.models import Person, Position

HTML = {"accept": "text/html"}


def _contact_name(session: Session, case_id: int) -> str:
    name = session.scalar(
        select(Person.name)
        .join(Position, Position.person_id == Person.id)
        .join(Case, Case.contact_position_id == Position.id)
        .where(Case.id == case_id)
    )
    assert name is not None, "the demo grid has a traffic-police contact"
    return name


def test_a_reporter_outside_the_lead_units_scope_learns_the_unit_not_the_contacts_name(
    api: Any, session: Session
) -> None:
    case = report_parking(api, session)  # as gridworker: one grid; the contact is a 柯城区 traffic-police post
    contact = _contact_name(session, case["id"])
    assert case["contact_name"] is None
    assert "交警" in case["routed_unit"]["name"]  # the unit it went to stays visible
    listed = api.get("/api/v1/cases", params={"q": case["number"]}).json()["items"]
    assert [c["contact_name"] for c in listed if c["id"] == case["id"]] == [None]
    page = api.get(f"/cases/{case['id']}", headers=HTML)
    assert page.status_code == 200
    assert contact not in page.text
    assert 'id="contact"' not in page.text
    assert "已告知网格联系人" in page.text  # the event is on the timeline, without the person
    line = page.text[page.text.index('data-kind="contact_informed"') :]
    line = line[: line.index("</li>")]
    # By the contact's unit, never a line with nobody in it, nor one that reads as if the unit were the contact.
    assert f"{case['routed_unit']['name']}的一名联系人" in line


def test_the_lead_unit_and_the_centre_see_the_contacts_name(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    contact = _contact_name(session, case["id"])
    for login in ("kc-traffic", "kc-centre", "admin"):
        api.login(login)
        assert api.get(f"/api/v1/cases/{case['id']}").json()["contact_name"] == contact, login
        page = api.get(f"/cases/{case['id']}", headers=HTML).text
        assert f'<dd id="contact">{contact}</dd>' in page, login
        line = page[page.index('data-kind="contact_informed"') :]
        assert contact in line[: line.index("</li>")], login
