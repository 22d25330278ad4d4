"""The tracking link: a citizen follows their report without a login and rates it once it is closed."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.cases.test_flow import command, fushan_point, report_body
from tests.cases.test_handoffs import reply
from tests.cases.test_pages import HTML

from zhili.cases import service as cases
from zhili.cases.schemas import CaseCreate
from zhili.citizens import service
from zhili.citizens.models import CaseTracker
from zhili.core.rate_limit import RateLimiter
from zhili.org.geo import LocatorCache


def _reported(session: Session, world_app: FastAPI, locators: LocatorCache, clock: Any) -> tuple[int, str]:
    """A web report with its tracking link, as the public form makes them: the case id and the link's token."""
    _grid, point = fushan_point(session)
    data = CaseCreate.model_validate(
        {**report_body(point), "channel": "web", "reporter_name": "王女士", "reporter_phone": "13905701234"}
    )
    case = cases.report_case(session, data=data, actor=service.PUBLIC, clock=clock, locators=locators)
    secret = world_app.state.services.settings.secret_key.get_secret_value()
    token = service.issue_tracker(session, case_id=case.id, secret=secret, now=clock.now())
    session.commit()
    return case.id, token


def _closed(api: Any, case_id: int) -> dict[str, Any]:
    api.login("kc-centre")
    case = command(api, command(api, api.get(f"/api/v1/cases/{case_id}").json(), "accept"), "dispatch")
    api.login("kc-traffic")
    case = reply(api, command(api, command(api, case, "sign"), "start"), "车辆已拖离，人行道已清理")
    api.login("kc-centre")
    case = command(api, case, "verify")
    api.login("kc-traffic")
    return command(api, case, "close")


def test_the_link_shows_the_report_in_public_words_and_nothing_else(
    api: Any, session: Session, world_app: FastAPI, locators: LocatorCache, clock: Any
) -> None:
    case_id, token = _reported(session, world_app, locators, clock)
    stored = session.scalars(select(CaseTracker.digest).where(CaseTracker.case_id == case_id)).one()
    assert token not in stored, "only the token's digest is kept"
    api.client.cookies.clear()
    page = api.client.get(f"/track/{token}?new=1", headers=HTML)
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert 'id="keep-link"' in page.text
    assert 'id="status">已上报' in page.text
    assert 'id="rate"' not in page.text, "nothing to rate before the case is closed"
    _closed(api, case_id)
    api.client.cookies.clear()
    page = api.client.get(f"/track/{token}", headers=HTML)
    text = page.text
    assert 'id="status">已办结' in text
    assert 'id="lead-unit">柯城区公安交警大队' in text
    assert "<strong>已交由承办单位办理：</strong> 柯城区公安交警大队" in text
    assert "车辆已拖离，人行道已清理" in text, "the result the lead replied"
    assert 'data-kind="contact_informed"' not in text
    assert 'data-kind="photo_added"' not in text
    assert "13905701234" not in text, "the page does not repeat the phone, in case the link is passed on"
    assert 'id="rate"' in text


def test_the_citizen_rates_through_the_link_once_and_a_dissatisfied_rating_says_why(
    api: Any, session: Session, world_app: FastAPI, locators: LocatorCache, clock: Any
) -> None:
    case_id, token = _reported(session, world_app, locators, clock)
    version = _closed(api, case_id)["version"]
    api.client.cookies.clear()
    form = {"rating": "dissatisfied", "comment": "", "version": str(version), "idempotency_key": "k1"}
    refused = api.client.post(f"/track/{token}/rate", data=form, headers=HTML)
    assert refused.status_code == 422
    assert 'data-field="comment"' in refused.text
    assert 'value="dissatisfied" required checked' in refused.text, "the choice is kept"
    # Satisfied, a comment is not asked for: left empty, the rating stands without one.
    form = {**form, "rating": "satisfied", "comment": "", "idempotency_key": "k2"}
    done = api.client.post(f"/track/{token}/rate", data=form, follow_redirects=False)
    assert done.status_code == 303
    again = api.client.post(f"/track/{token}/rate", data=form, follow_redirects=False)
    assert again.status_code == 303, "the same form sent twice acts once"
    page = api.client.get(f"/track/{token}", headers=HTML).text
    assert 'id="status">已评价' in page
    assert "<strong>已评价</strong>：满意" in page
    api.login("kc-centre")
    rated = api.get(f"/api/v1/cases/{case_id}").json()
    assert (rated["status"], rated["rating"]) == ("rated", "satisfied")
    assert rated["timeline"][-1]["actor"].startswith("tracker:")


def test_a_link_that_is_not_one_finds_nothing(api: Any) -> None:
    api.client.cookies.clear()
    missing = api.client.get("/track/zt_" + "a" * 43, headers=HTML)
    assert missing.status_code == 404
    assert "请检查链接是否完整" in missing.text  # words for a citizen, not "outside your area"
    assert "管理范围" not in missing.text
    assert 'href="/report"' in missing.text
    assert api.client.get("/track/zl_" + "a" * 43, headers=HTML).status_code == 404
    answer = api.client.post("/track/zt_" + "b" * 43 + "/rate", data={"rating": "satisfied", "version": "1"})
    assert answer.status_code == 404


def test_reads_without_a_login_are_counted_per_address(api: Any) -> None:
    api.client.app.state.rate_limiters = {"public-read": RateLimiter(rate=0.001, burst=2)}
    api.client.cookies.clear()
    answers = [api.client.get("/track/zt_" + "c" * 43, headers=HTML).status_code for _ in range(3)]
    assert answers == [404, 404, 429]
    assert api.client.get("/report/geo", params={"level": "township"}).status_code == 429
