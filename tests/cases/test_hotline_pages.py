"""The 12345 desk (来电受理): a caller's reports found by their number, only by those who dispatch them."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.cases.test_pages import HTML, _form

from zhili.cases.models import Case
from zhili.cases.schemas import CaseCreate, normalised_phone

CALLER = {"reporter_name": "陈先生", "reporter_phone": "0570-888 1234"}


def _call_filed(api: Any, session: Session, description: str) -> Case:
    """A hotline case filed by the 柯城区 centre for the caller (a point in 府山街道)."""
    api.login("kc-centre")
    form = {**_form(api, session), "description": description, "channel": "hotline", **CALLER}
    created = api.client.post("/cases/new", data=form, follow_redirects=False)
    assert created.status_code == 303, created.text
    return session.scalars(select(Case).where(Case.description == description)).one()


def test_the_desk_finds_a_callers_reports_by_the_number_however_it_is_typed(api: Any, session: Session) -> None:
    case = _call_filed(api, session, "来电：小区门口违停")
    page = api.get("/hotline", params={"phone": "0570 888-1234"}, headers=HTML)
    assert page.status_code == 200
    assert f'data-case="{case.id}"' in page.text
    assert case.number in page.text
    assert "（共 1 件，办理中 1 件）" in page.text  # Chinese brackets on a Chinese page
    # The name the caller gave, to greet them by; a new case for them carries it and the number.
    assert '<span id="caller-name">陈先生</span>' in page.text
    new_case = "/cases/new?channel=hotline&amp;reporter_phone=05708881234&amp;reporter_name=%E9%99%88%E5%85%88%E7%94%9F"
    assert f'href="{new_case}"' in page.text
    # The desk is in the centre's menu.
    assert 'href="/hotline"' in page.text
    # The centre's card on the case names what it sends in English too ("Issue" read as a problem).
    english = api.get(f"/cases/{case.id}", params={"lang": "en"}, headers=HTML).text.split('id="supervise"', 1)[1]
    assert "<h2>Urge or supervise</h2>" in english
    assert '<button type="submit">Send</button>' in english


def test_another_county_centre_does_not_see_the_caller_here(api: Any, session: Session) -> None:
    case = _call_filed(api, session, "来电：路口违停")
    api.login("ly-centre")
    page = api.get("/hotline", params={"phone": "05708881234"}, headers=HTML)
    assert page.status_code == 200
    assert f'data-case="{case.id}"' not in page.text
    assert 'id="no-reports"' in page.text


def test_only_those_who_dispatch_may_look_a_caller_up(api: Any, session: Session) -> None:
    case = _call_filed(api, session, "来电：人行道违停")
    api.login("gridworker")
    refused = api.get("/hotline", params={"phone": "05708881234"}, headers=HTML)
    assert refused.status_code == 403
    # The page says why, in the reader's language; the API keeps its English problem, with no extra member.
    assert '<p class="alert error" id="reason">只有社会治理中心和乡镇（街道）指挥室受理热线来电。</p>' in refused.text
    english = api.get("/hotline", params={"phone": "05708881234", "lang": "en"}, headers=HTML)
    assert "Only governance centres and township command rooms take hotline calls." in english.text
    assert "only governance centres" not in english.text  # the API's wording is not shown beside it
    problem = api.get("/hotline", params={"phone": "05708881234"}, headers={"accept": "application/json"}).json()
    assert problem["detail"] == "only governance centres and township command rooms take hotline calls"
    assert "message_key" not in problem
    # The grid worker sees the case in their grid, but the number finds nothing for them: no phone leaks.
    seen = api.get("/api/v1/cases", params={"q": case.number}).json()["items"]
    assert [c["id"] for c in seen] == [case.id]
    assert api.get("/api/v1/cases", params={"caller": "05708881234"}).json()["items"] == []
    api.login("kc-centre")
    found = api.get("/api/v1/cases", params={"caller": "0570-888 1234"}).json()["items"]
    assert case.id in [c["id"] for c in found]


def test_the_queue_of_one_callers_cases_says_so_and_keeps_the_caller_through_a_search(
    api: Any, session: Session
) -> None:
    case = _call_filed(api, session, "来电：桥下违停")
    page = api.get("/cases", params={"caller": "0570-888 1234"}, headers=HTML)
    assert page.status_code == 200
    assert f'data-case="{case.id}"' in page.text
    assert 'id="caller-filter">只列来电人反映的问题： <a href="/hotline?phone=05708881234"' in page.text
    assert '<input type="hidden" name="caller" value="05708881234">' in page.text  # a search stays the caller's
    english = api.get("/cases", params={"caller": "05708881234", "lang": "en"}, headers=HTML)
    assert "<th>Due</th>" in english.text
    assert 'data-label="Due"' in english.text


def test_a_caller_who_gave_no_name_is_not_named_after_the_operator(api: Any, session: Session) -> None:
    api.login("kc-centre")
    form = {
        **_form(api, session),
        "description": "来电：匿名反映违停",
        "channel": "hotline",
        "reporter_phone": "05708885678",
    }
    assert api.client.post("/cases/new", data=form, follow_redirects=False).status_code == 303
    case = session.scalars(select(Case).where(Case.description == "来电：匿名反映违停")).one()
    page = api.get(f"/cases/{case.id}", headers=HTML).text
    assert '<dd id="reporter"><a href="tel:05708885678">' in page  # the number alone, not the operator's name


def test_a_number_that_is_not_one_is_named_by_the_field_and_kept(api: Any) -> None:
    api.login("kc-centre")
    refused = api.get("/hotline", params={"phone": "12ab"}, headers=HTML)
    assert refused.status_code == 422
    assert 'data-field="phone">号码应为 5–20 位数字' in refused.text
    assert 'value="12ab"' in refused.text
    blank = api.get("/hotline", params={"phone": "  "}, headers=HTML)
    assert blank.status_code == 422
    assert 'data-field="phone">请输入来电号码' in blank.text
    assert api.get("/hotline", headers=HTML).status_code == 200, "the empty desk asks for a number"


def test_a_new_call_opens_the_intake_form_filled_in_and_keeps_it_when_a_matter_is_chosen(api: Any) -> None:
    api.login("kc-centre")
    page = api.get("/cases/new", params={"channel": "hotline", "reporter_phone": "05708881234"}, headers=HTML)
    assert page.status_code == 200
    assert '<input type="hidden" name="reporter_phone" value="05708881234">' in page.text
    chosen = api.get(
        "/cases/new",
        params={"matter": "illegal_parking", "channel": "hotline", "reporter_phone": "05708881234"},
        headers=HTML,
    )
    assert '<option value="hotline" selected>' in chosen.text
    assert 'name="reporter_phone" type="tel" inputmode="tel" maxlength="21" autocomplete="off" value="05708881234"' in (
        chosen.text
    )


def test_a_number_is_the_same_with_or_without_chinas_country_code() -> None:
    assert normalised_phone("+86 139 0570 5678") == normalised_phone("0086-13905705678") == "13905705678"
    assert normalised_phone("0570-888 1234") == normalised_phone("+86 570 888 1234") == "05708881234"
    assert normalised_phone("+86") == "+86", "a number that is only the code stays as typed (and is refused)"
    assert normalised_phone("  ") is None


def test_an_api_report_on_a_citizens_channel_takes_the_phone_as_dialled_and_refuses_one_not_to_call_back() -> None:
    body = {"matter": "illegal_parking", "place": "府山街道", "description": "来电", "channel": "hotline"}
    assert CaseCreate.model_validate({**body, "reporter_phone": "+86 139 0570 5678"}).reporter_phone == "13905705678"
    assert CaseCreate.model_validate({**body, "reporter_phone": "0570-888 1234"}).reporter_phone == "05708881234"
    with pytest.raises(ValidationError, match="is not a phone number to call back"):
        CaseCreate.model_validate({**body, "reporter_phone": "12345"})
    staff = {**body, "channel": "phone", "reporter_phone": "12345"}  # a staff report's phone is not called back
    assert CaseCreate.model_validate(staff).reporter_phone == "12345"
