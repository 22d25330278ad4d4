"""The centre's call-back on a rated case (回访复核): a rating upheld or overturned, once, by those who supervise.

One rated illegal-parking case per test, driven round the loop through the API; the service is then
called directly (permissions, states, input), through the API (problem details) and from the page
(a refused form keeps its input).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.cases.test_flow import command, report_parking
from tests.cases.test_handoffs import lead_told, person_of, posts, reply, told
from tests.notify.helpers import in_both_languages

from zhili.access.models import Account
from zhili.access.service import actor_for
from zhili.assessment import months
from zhili.assessment.model import SubjectKind
from zhili.assessment.period import Month
from zhili.cases import rating_review
from zhili.cases.handoffs import place_name
from zhili.cases.models import Case
from zhili.core.audit import AuditRecord
from zhili.core.auth import Actor
from zhili.core.clock import FrozenClock
from zhili.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from zhili.org.models import Position

HTML = {"accept": "text/html"}
REASON = "回访核实：车辆仍在人行道停放，问题未解决，评价不实"


def rated_case(api: Any, session: Session, rating: str = "satisfied") -> dict[str, Any]:
    """An illegal-parking case reported by the grid worker, handled by the traffic police, rated by the reporter."""
    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    api.login("kc-traffic")
    case = reply(api, command(api, command(api, case, "sign"), "start"), "车辆已拖离")
    api.login("gridworker")
    case = command(api, case, "verify")
    api.login("kc-traffic")
    case = command(api, case, "close")
    api.login("gridworker")
    case = command(api, case, "rate", rating=rating)
    assert case["status"] == "rated"
    return case


def actor(session: Session, username: str) -> Actor:
    return actor_for(session, session.scalars(select(Account).where(Account.username == username)).one())


def review(session: Session, clock: FrozenClock, case_id: int, username: str, **body: str) -> Any:
    values = {"outcome": "overturned", "reason": REASON, **body}
    return rating_review.review_rating(session, case_id=case_id, actor=actor(session, username), clock=clock, **values)


def test_only_a_rated_case_is_reviewed(api: Any, session: Session, clock: FrozenClock) -> None:
    case = report_parking(api, session)
    with pytest.raises(ConflictError, match="only a rated case"):
        review(session, clock, case["id"], "kc-centre")


def test_only_the_centre_and_the_level_above_review_once_with_a_reason(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    case = rated_case(api, session)
    for username in ("kc-traffic", "gridworker", "fushan"):  # the lead unit, the reporter, the township
        with pytest.raises(ForbiddenError):
            review(session, clock, case["id"], username)
    with pytest.raises(NotFoundError):  # a centre of another county does not see the case
        review(session, clock, case["id"], "ly-centre")
    for body, field in (({"reason": "  "}, "body.reason"), ({"outcome": "maybe"}, "body.outcome")):
        with pytest.raises(InvalidInputError) as refused:
            review(session, clock, case["id"], "kc-centre", **body)
        assert [e["field"] for e in refused.value.extra["errors"]] == [field]

    done = review(session, clock, case["id"], "qz-centre")  # the level above may review too
    assert (done.outcome, done.rating, done.reason) == ("overturned", "satisfied", REASON)
    lead = session.scalar(select(Case.lead_unit_id).where(Case.id == case["id"]))
    assert done.lead_unit is not None
    assert done.lead_unit.id == lead
    with pytest.raises(ConflictError, match="reviewed already"):
        review(session, clock, case["id"], "kc-centre", outcome="upheld")

    line = api.get(f"/api/v1/cases/{case['id']}").json()["timeline"][-1]
    assert line["kind"] == "rating_overturned"
    assert line["status_after"] == "rated"
    assert line["details"] == {"outcome": "overturned", "rating": "satisfied", "reason": REASON, "lead_unit_id": lead}
    assert "supervisor" in line["parties"]
    actions = set(session.scalars(select(AuditRecord.action).where(AuditRecord.entity_id == str(case["id"]))))
    assert "case.rating_overturned" in actions


def test_the_lead_units_people_are_told_with_a_link(api: Any, session: Session, clock: FrozenClock) -> None:
    case = rated_case(api, session)
    review(session, clock, case["id"], "kc-centre")
    lead = session.scalar(select(Case.lead_unit_id).where(Case.id == case["id"]))
    people, notes = told(session, case["id"], "rating_overturned")
    assert lead is not None
    assert people == lead_told(session, case["id"], lead)  # the grid's contact, heads, desk, who acted: not all 118
    assert len(people) < len(posts(session, Position.department_id == lead)) / 10
    assert person_of(session, "kc-traffic") in people
    assert person_of(session, "kc-centre") not in people
    (note,) = notes
    row = session.get(Case, case["id"])
    assert row is not None
    place = place_name(session, row.place_code)
    assert note.title == f"评价被推翻：城区机动车违停治理 · {place}"  # as every case notice: the matter and the place
    assert case["number"] in note.body
    assert note.link == f"/cases/{case['id']}#timeline"
    assert REASON in note.body
    assert "满意" in note.body
    _, en = in_both_languages(session, note.key, person_of(session, "kc-traffic"))
    assert en.title == f"Rating overturned on review: Illegal parking in the city · {place}"
    assert f"Reporter's rating: Satisfied\nReason for the review: {REASON}\nReviewed by: " in en.body


def test_the_api_answers_with_problem_details(api: Any, session: Session) -> None:
    case = rated_case(api, session, rating="very_satisfied")
    url = f"/api/v1/cases/{case['id']}/rating-review"
    api.login("kc-traffic")
    assert api.send("POST", url, json={"outcome": "upheld", "reason": "核实属实"}).status_code == 403
    api.login("kc-centre")
    blank = api.send("POST", url, json={"outcome": "upheld", "reason": ""})
    assert blank.status_code == 422
    assert blank.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in blank.json()["errors"]] == ["body.reason"]
    done = api.send("POST", url, json={"outcome": "upheld", "reason": "电话回访，群众确认已解决"})
    assert done.status_code == 201, done.text
    assert done.json()["outcome"] == "upheld"
    assert done.json()["rating"] == "very_satisfied"
    again = api.send("POST", url, json={"outcome": "overturned", "reason": "再次复核"})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert api.get(f"/api/v1/cases/{case['id']}").json()["timeline"][-1]["kind"] == "rating_upheld"


def test_the_case_page_form_keeps_its_input_when_refused(api: Any, session: Session) -> None:
    case = rated_case(api, session)
    page_url, post_url = f"/cases/{case['id']}", f"/cases/{case['id']}/rating-review"
    assert 'id="rating-review"' not in api.get(page_url, headers=HTML).text  # the reporter may not review
    api.login("kc-centre")
    page = api.get(page_url, headers=HTML).text
    assert f'action="{post_url}"' in page
    refused = api.client.post(
        post_url, data={"csrf_token": api.csrf, "outcome": "overturned", "reason": ""}, headers=HTML
    )
    assert refused.status_code == 422
    form = refused.text.split('id="rating-review"', 1)[1].split("</form>", 1)[0]
    assert 'value="overturned" required checked' in form
    assert 'data-field="reason"' in form
    english = api.client.post(f"{post_url}?lang=en", data={"csrf_token": api.csrf, "reason": "x"}, headers=HTML)
    assert english.status_code == 422
    assert 'data-field="outcome"' in english.text
    assert "Call-back review" in english.text
    done = api.client.post(
        post_url, data={"csrf_token": api.csrf, "outcome": "overturned", "reason": REASON}, follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{page_url}#timeline"
    page = api.get(f"{page_url}?lang=zh", headers=HTML).text
    assert 'data-kind="rating_overturned"' in page
    assert "评价被推翻" in page
    assert REASON in page
    assert 'id="rating-review"' not in page
    rating = page.split('<dd id="rating">', 1)[1].split("</dd>", 1)[0]
    assert "满意" in rating
    assert "复核推翻" in rating  # the summary no longer shows the rating as if it stood


OTHERS = (
    "ly-centre",  # a centre of another county
    "huzhen",  # a township of another county
    "fushan",  # the township of the place: sees the case, does not dispatch it
    "village",
    "gridworker",  # the reporter
    "partymember",
    "kc-traffic",  # the lead unit
    "kc-traffic-head",
    "kc-enforcement",
    "kc-housing",
    "qj-hrss",  # a unit of another county
)


def test_a_review_outside_the_scope_is_404_and_inside_without_supervision_403(api: Any, session: Session) -> None:
    case = rated_case(api, session)
    url = f"/api/v1/cases/{case['id']}"
    for username in OTHERS:
        api.login(username)
        sees = api.get(url).status_code == 200
        answer = api.send("POST", f"{url}/rating-review", json={"outcome": "overturned", "reason": REASON})
        assert answer.status_code == (403 if sees else 404), (username, answer.text)
    api.login("kc-centre")
    assert all(e["kind"] != "rating_overturned" for e in api.get(url).json()["timeline"])
    assert api.send("POST", f"{url}/rating-review", json={"outcome": "overturned", "reason": REASON}).status_code == 201


def test_an_overturned_rating_is_a_line_of_the_lead_units_assessment(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    case = rated_case(api, session)
    review(session, clock, case["id"], "kc-centre")
    lead = session.scalar(select(Case.lead_unit_id).where(Case.id == case["id"]))
    month = Month.of(clock.now())
    lines = months.lines(session, "330802", month, SubjectKind.UNIT, str(lead), now=clock.now())
    found = [(line.indicator, line.case_number, line.points) for line in lines if line.case_id == case["id"]]
    assert ("unit_overturned", case["number"], -2.5) in found
