"""回访: a citizen with no login (the hotline, Open311, the web form) is rated for by the centre that calls them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.cases.test_flow import command, fushan_point, report_body, report_parking
from tests.cases.test_handoffs import expect, person_of, posts, reply
from tests.cases.test_pages import HTML

from zhili.access.models import Account
from zhili.access.service import actor_for
from zhili.cases import service
from zhili.cases.models import Case
from zhili.cases.parties import parties_for
from zhili.cases.schemas import CaseCreate
from zhili.cases.states import Party
from zhili.core.auth import Actor, Scope
from zhili.org.geo import LocatorCache
from zhili.org.models import Position
from zhili.org.routing import CENTRE_ROLES

# How a report arrives without a login: the demo's hotline, an Open311 client.
NO_LOGIN = Actor(username="hotline:12345", display_name="12345 热线", roles=frozenset(), scope=Scope())


def _reported_without_login(session: Session, locators: LocatorCache, clock: Any, channel: str) -> int:
    _grid, point = fushan_point(session)
    body = {**report_body(point), "channel": channel, "reporter_name": "陈先生", "reporter_phone": "13805701234"}
    case = service.report_case(
        session, data=CaseCreate.model_validate(body), actor=NO_LOGIN, clock=clock, locators=locators
    )
    return case.id


def _actor(session: Session, username: str) -> Actor:
    account = session.scalars(select(Account).where(Account.username == username)).one()
    return actor_for(session, account)


def test_the_centre_is_told_to_call_back_and_records_the_rating(
    api: Any, session: Session, locators: LocatorCache, clock: Any
) -> None:
    case_id = _reported_without_login(session, locators, clock, "hotline")
    api.login("kc-centre")
    case = command(api, command(api, api.get(f"/api/v1/cases/{case_id}").json(), "accept"), "dispatch")
    assert "rate" not in case["allowed_commands"], "nothing to rate before the case is closed"
    api.login("kc-traffic")
    case = reply(api, command(api, command(api, case, "sign"), "start"), "车辆已拖离")
    api.login("kc-centre")
    case = command(api, case, "verify")  # a citizen's report is verified by the dispatcher
    api.login("kc-traffic")
    case = command(api, case, "close")
    row = session.get(Case, case_id)
    assert row is not None
    centre = posts(
        session,
        Position.division_code == row.dispatcher_division,
        Position.role.in_(CENTRE_ROLES),
        Position.department_id.is_(None),
    )
    expect(
        session,
        case_id,
        "close",
        centre - {person_of(session, "kc-traffic")},
        title="办件已办结，请回访群众",
        anchor="actions",
    )

    api.login("kc-centre")
    waiting = api.get("/api/v1/cases", params={"todo": "rate", "limit": 500}).json()["items"]
    assert case_id in [c["id"] for c in waiting], "待评价: the call-back is on the centre's list"
    assert 'href="/cases?todo=rate"' in api.get("/", headers=HTML).text, "and on its workbench"
    case = api.get(f"/api/v1/cases/{case_id}").json()
    assert "rate" in case["allowed_commands"]
    page = api.get(f"/cases/{case_id}", headers=HTML).text
    assert 'id="rate-for-caller">反映人没有登录账号' in page
    # No grade is chosen for the rater: a tap on 评价 without choosing is refused by the rating, not 非常满意.
    assert '<select name="rating" required><option value="">请选择</option>' in page
    unchosen = {"csrf_token": api.csrf, "command": "rate", "version": str(case["version"]), "rating": ""}
    refused = api.client.post(f"/cases/{case_id}/act", data=unchosen, headers=HTML)
    assert refused.status_code == 422
    assert 'data-field="rating">请选择一项' in refused.text, "a select is told to choose, as the browser says"
    english = api.client.post(f"/cases/{case_id}/act?lang=en", data=unchosen, headers=HTML)
    assert 'data-field="rating">Please choose one' in english.text
    rated = command(api, case, "rate", rating="basically_satisfied", comment="电话回访：基本满意")
    assert (rated["status"], rated["rating"]) == ("rated", "basically_satisfied")
    waiting = api.get("/api/v1/cases", params={"todo": "rate", "limit": 500}).json()["items"]
    assert case_id not in [c["id"] for c in waiting]
    api.login("kc-traffic")
    assert api.get("/api/v1/cases", params={"todo": "rate", "q": case["number"]}).json()["items"] == []


def test_only_the_dispatching_centre_speaks_for_a_citizen_and_only_one_without_a_login(
    api: Any, session: Session, locators: LocatorCache, clock: Any
) -> None:
    called = session.get(Case, _reported_without_login(session, locators, clock, "hotline"))
    warned = session.get(Case, _reported_without_login(session, locators, clock, "warning"))
    filed = session.get(Case, report_parking(api, session)["id"])
    assert called is not None
    assert warned is not None
    assert filed is not None
    centre, traffic = _actor(session, "kc-centre"), _actor(session, "kc-traffic")
    assert Party.CITIZEN in parties_for(session, centre, called)
    assert Party.CITIZEN not in parties_for(session, traffic, called), "the lead never rates its own work"
    assert Party.CITIZEN not in parties_for(session, centre, filed), "the grid worker who filed it rates it"
    assert Party.CITIZEN not in parties_for(session, centre, warned), "a data warning has no citizen to call"


def test_a_case_the_centre_saw_itself_is_rated_without_a_call_back_hint(api: Any, session: Session) -> None:
    """No caller to phone: the centre rates what it reported itself, and the page does not ask it to call anyone."""
    _grid, point = fushan_point(session)
    case = _filed_by_the_centre_and_closed(api, report_body(point))
    api.login("kc-centre")
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    assert 'data-command="rate"' in page or 'name="rating"' in page  # the centre rates it, as its originator
    assert 'id="rate-for-caller"' not in page
    expect(
        session, case["id"], "close", {person_of(session, "kc-centre")}, title="办件已办结，请评价", anchor="actions"
    )


def test_the_operator_who_took_a_call_is_told_to_call_back(api: Any, session: Session) -> None:
    """A 12345 call the centre filed itself, with the caller's phone: the operator is told to call them back."""
    _grid, point = fushan_point(session)
    body = {**report_body(point), "channel": "hotline", "reporter_name": "陈先生", "reporter_phone": "13805701234"}
    case = _filed_by_the_centre_and_closed(api, body)
    operator = {person_of(session, "kc-centre")}
    expect(session, case["id"], "close", operator, title="办件已办结，请回访群众并记录评价", anchor="actions")


def _filed_by_the_centre_and_closed(api: Any, body: dict[str, Any]) -> dict[str, Any]:
    """A report kc-centre files, dispatches and verifies; the traffic police handle and close it."""
    api.login("kc-centre")
    created = api.send("POST", "/api/v1/cases", json=body)
    assert created.status_code == 201, created.text
    case = command(api, command(api, api.get(created.headers["location"]).json(), "accept"), "dispatch")
    api.login("kc-traffic")
    case = reply(api, command(api, command(api, case, "sign"), "start"), "车辆已拖离")
    api.login("kc-centre")
    case = command(api, case, "verify")
    api.login("kc-traffic")
    return command(api, case, "close")
