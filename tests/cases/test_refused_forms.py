"""A refused case-page form: the page opens at the form's first reason (focused), each reason by its field."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from tests.cases.test_flow import command, report_parking, unit
from tests.cases.test_open_items import handled_case, reply_form, unit_login

from zhili.core.clock import FrozenClock

HTML = {"accept": "text/html"}


def _anchored(page: str) -> str:
    """The element the page opens at (its one `id="refused"`, focused), from its tag to its end."""
    assert page.count('id="refused"') == 1, "the page opens at one place"
    start = page.rindex("<", 0, page.index('id="refused"'))
    element = page[start : page.index("</", start)]
    assert 'tabindex="-1" autofocus' in element.split(">", 1)[0]
    return element


def test_a_reply_without_the_photo_it_needs_says_so_by_the_photo_field_and_opens_there(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    case = handled_case(api, session, clock)
    api.login("kc-traffic")
    data = reply_form(api, case)
    refused = api.client.post(f"/cases/{case['id']}/act", data=data, headers=HTML)
    assert refused.status_code == 422
    form = refused.text.split('data-command="reply"', 1)[1].split("</form>", 1)[0]
    photo_label = form.split('name="photo"', 1)[1].split("</label>", 1)[0]
    assert 'data-field="evidence_photo">缺少办结所需证据：照片' in photo_label
    assert '<div class="alert error form-error"' not in form, "no general box below the button"
    assert "已联系车主将车辆驶离" in form
    assert 'value="118.87120,28.93610"' in form
    assert 'data-field="evidence_photo"' in _anchored(refused.text)


def test_a_reply_whose_gps_is_not_a_point_is_refused_by_the_gps_field(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    """Latitude and longitude swapped (or words) are no GPS fix: refused on the page and by the API alike."""
    case = handled_case(api, session, clock)
    api.login("kc-traffic")
    data = reply_form(api, case, evidence_gps="28.93610,118.87120", evidence_text="现场已恢复通行")
    refused = api.client.post(f"/cases/{case['id']}/act", data=data, headers=HTML)
    assert refused.status_code == 422
    form = refused.text.split('data-command="reply"', 1)[1].split("</form>", 1)[0]
    gps_label = form.split('name="evidence_gps"', 1)[1].split("</label>", 1)[0]
    assert 'data-field="evidence_gps">定位格式为“经度,纬度”' in gps_label
    assert 'value="28.93610,118.87120"' in form
    evidence = [{"kind": "gps", "ref": "somewhere"}, {"kind": "text", "ref": "现场已恢复通行"}]
    body = {"command": "reply", "version": case["version"], "text": "已处置", "evidence": evidence}
    answer = api.send("POST", f"/api/v1/cases/{case['id']}/commands", json=body)
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "body.evidence", "message": "gps is not longitude,latitude"}]


def test_a_reject_without_a_reason_opens_at_the_reason(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    api.login("kc-centre")
    data = {"csrf_token": api.csrf, "command": "reject", "version": str(case["version"]), "reason": " "}
    refused = api.client.post(f"/cases/{case['id']}/act", data=data, headers=HTML)
    assert refused.status_code == 422
    assert 'data-field="reason">请填写此项' in _anchored(refused.text)


def test_a_conflict_said_at_the_top_is_where_the_page_opens(api: Any, session: Session, clock: FrozenClock) -> None:
    case = handled_case(api, session, clock)
    stale = {"command": "request_extension", "version": str(case["version"] - 1), "reason": "等待拖车", "hours": "4"}
    refused = api.client.post(f"/cases/{case['id']}/act", data={**stale, "csrf_token": api.csrf}, headers=HTML)
    assert refused.status_code == 409
    assert _anchored(refused.text).startswith('<div class="alert error form-error" role="alert" id="refused"')
    assert refused.text.count("autofocus") == 1


def test_a_form_refused_to_who_sent_it_is_said_at_the_top(api: Any, session: Session, clock: FrozenClock) -> None:
    # The traffic police are not shown the supervision form; one posted anyway (an old page, a shared
    # link) is refused, and said where the page opens, not in a section this person does not have.
    case = handled_case(api, session, clock)
    api.login("kc-traffic")
    data = {"csrf_token": api.csrf, "action": "urge", "note": "请尽快处理"}
    refused = api.client.post(f"/cases/{case['id']}/supervise", data=data, headers=HTML)
    assert refused.status_code == 403
    assert 'id="supervise"' not in refused.text
    top = _anchored(refused.text)
    assert top.startswith('<div class="alert error form-error" role="alert" id="refused"')
    assert "<p>只有派单的指挥中心及其上一级可以催办、督办本案件。" in top  # why, not only "not allowed"
    assert '<blockquote class="not-sent">请尽快处理</blockquote>' in refused.text  # what was typed, to copy


def test_every_form_of_the_case_page_opens_at_its_first_reason_when_refused(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    case = handled_case(api, session, clock)
    enforcement = unit_login(session, clock, "enforcement", "kc-enforce-r")
    housing = unit_login(session, clock, "housing", "kc-housing-r")
    request_id = next(r["id"] for r in case["collaboration"] if r["unit"]["id"] == enforcement)
    task_id = next(t["id"] for t in case["tasks"] if t["owner"]["id"] == housing)
    url = f"/cases/{case['id']}"
    extension = {"command": "request_extension", "version": str(case["version"]), "hours": "4"}
    refusals = [
        ("kc-traffic", "help", {"text": "请协助"}, "unit_id"),
        ("kc-traffic", "meeting", {"minutes": "纪要"}, "title"),
        ("kc-traffic", "photo", {}, "photo"),
        ("kc-traffic", "act", extension, "reason"),
        ("kc-centre", "supervise", {"action": "urge"}, "note"),
        ("kc-enforce-r", f"help/{request_id}/reply", {"text": ""}, "text"),
        ("kc-housing-r", f"tasks/{task_id}/done", {"note": ""}, "note"),
    ]
    for login, tail, data, field in refusals:
        api.login(login)
        refused = api.client.post(f"{url}/{tail}", data={**data, "csrf_token": api.csrf}, headers=HTML)
        assert refused.status_code == 422, tail
        opens_at = _anchored(refused.text)
        assert f'data-field="{field}"' in opens_at, tail
        assert refused.text.count("autofocus") == 1, tail


def test_the_address_of_a_refused_form_leads_back_to_the_case(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    api.login("kc-centre")
    command(api, case, "accept")
    url = f"/cases/{case['id']}"
    again = api.client.get(f"{url}/act", headers=HTML, follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == f"{url}#actions"
    assert api.get(again.headers["location"], headers=HTML).status_code == 200
    places = {
        "help": "collaboration",
        "help/7/reply": "help-7",
        "tasks/8/done": "task-8",
        "meeting": "meetings",
        "photo": "summary",
        "merge": "summary",
        "decide-lead": "actions",
        "supervise": "supervise",
        "rating-review": "rating-review",
    }
    for tail, place in places.items():
        answer = api.client.get(f"{url}/{tail}", headers=HTML, follow_redirects=False)
        assert (answer.status_code, answer.headers.get("location")) == (303, f"{url}#{place}"), tail


def test_a_number_out_of_bounds_says_the_bound_and_a_bad_choice_says_to_choose(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    case = handled_case(api, session, clock)
    data = {"command": "request_extension", "version": str(case["version"]), "reason": "等待拖车", "hours": "9999"}
    refused = api.client.post(f"/cases/{case['id']}/act", data={**data, "csrf_token": api.csrf}, headers=HTML)
    assert refused.status_code == 422
    assert 'data-field="hours">不能超过 720' in _anchored(refused.text)
    housing = unit(session, "housing", "330802")
    asked = {"unit_id": str(housing), "text": "请协助", "deadline_hours": "0"}
    refused = api.client.post(f"/cases/{case['id']}/help", data={**asked, "csrf_token": api.csrf}, headers=HTML)
    assert refused.status_code == 422
    assert f'data-field="deadline_hours_{housing}">不能小于 1' in _anchored(refused.text)
    api.login("kc-centre")
    sent = {"action": "scold", "note": "请尽快处置", "csrf_token": api.csrf}
    refused = api.client.post(f"/cases/{case['id']}/supervise", data=sent, headers=HTML)
    assert refused.status_code == 422
    assert 'data-field="action">请选择一项' in _anchored(refused.text)


def test_a_form_the_page_does_not_show_is_refused_at_the_top(api: Any, session: Session) -> None:
    # A stale tab (or a crafted post) sends a form the case no longer offers this person: the reasons
    # cannot stand beside fields that are not on the page, so the page says so at its top.
    from tests.cases.test_pages import _form  # noqa: PLC0415

    api.login("gridworker")
    case_url = api.client.post("/cases/new", data=_form(api, session), follow_redirects=False).headers["location"]
    api.login("kc-centre")  # the centre is not the lead: the page has no 部门协同 form for it
    page = api.get(case_url, headers=HTML).text
    assert f'action="{case_url}/help"' not in page
    refused = api.client.post(f"{case_url}/help", data={"csrf_token": api.csrf, "what": "请协助"}, headers=HTML)
    assert refused.status_code == 422
    top = refused.text.split('id="refused"', 1)[1].split("</div>", 1)[0]
    assert "该表单已不在本页" in top
    assert "请勾选要协同的部门" in top
