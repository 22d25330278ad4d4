"""The public report form (我要反映): no login, a phone to call back, the tracking link, limits and refusals."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.cases.test_flow import PNG, fushan_point

from zhili.cases.models import Case, CaseEvent, CasePhoto
from zhili.cases.states import ROUTING_ACTOR
from zhili.citizens.models import CaseTracker
from zhili.citizens.report_pages import CSRF_COOKIE

HTML = {"accept": "text/html"}
HANGZHOU = {"lon": "120.155", "lat": "30.274"}  # 杭州市上城区: in Zhejiang, outside 衢州市


def _form(api: Any, session: Session, **given: str) -> dict[str, str]:
    """The public form as a citizen fills it in (after GET /report, whose cookie the client keeps)."""
    page = api.client.get("/report?matter=illegal_parking", headers=HTML)
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert csrf is not None
    assert key is not None
    _grid, point = fushan_point(session)
    return {
        "csrf_token": csrf.group(1),
        "idempotency_key": key.group(1),
        "matter": "illegal_parking",
        "description": "小区门口人行道上长期停着一辆车",
        "lon": str(point["lon"]),
        "lat": str(point["lat"]),
        "attr.plate_number": "浙H88888",
        "attr.vehicle_type": "car",
        "attr.parked_on": "pavement",
        "reporter_name": "李先生",
        "reporter_phone": "139 0570 5678",
        **given,
    }


def _cases(session: Session, description: str) -> list[Case]:
    return list(session.scalars(select(Case).where(Case.description == description)))


def test_a_citizen_reports_without_a_login_and_is_given_the_link(api: Any, session: Session) -> None:
    api.client.cookies.clear()
    form = _form(api, session, description="市民网上反映：人行道违停")
    assert 'href="/inbox"' not in api.client.get("/report", headers=HTML).text, "no staff menu for the public"
    files = {"photo": ("p.png", PNG, "image/png")}
    sent = api.client.post("/report", data=form, files=files, headers=HTML, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    link = sent.headers["location"]
    assert re.fullmatch(r"/track/zt_[A-Za-z0-9_-]{43}\?new=1", link)
    [case] = _cases(session, "市民网上反映：人行道违停")
    assert (case.channel, case.reporter_name, case.reporter_phone) == ("web", "李先生", "13905705678")
    assert case.originator_person_id is None
    assert case.originator_account_id is None
    assert session.scalar(select(func.count()).select_from(CasePhoto).where(CasePhoto.case_id == case.id)) == 1
    assert session.scalar(select(func.count()).select_from(CaseTracker).where(CaseTracker.case_id == case.id)) == 1
    actors = dict(session.execute(select(CaseEvent.kind, CaseEvent.actor).where(CaseEvent.case_id == case.id)).all())
    assert actors["report"] == "web:public"
    assert set(actors.values()) == {"web:public", ROUTING_ACTOR}  # the routing lines name the routing
    page = api.client.get(link, headers=HTML)
    assert page.status_code == 200
    assert 'id="keep-link"' in page.text
    assert case.number in page.text
    # Sent again (a double tap, a retry), the same form leads to the same link and makes no second case.
    again = api.client.post("/report", data=form, files=files, headers=HTML, follow_redirects=False)
    assert again.headers["location"] == link
    assert len(_cases(session, "市民网上反映：人行道违停")) == 1


def test_a_refused_report_keeps_what_was_typed_and_names_the_field(api: Any, session: Session) -> None:
    api.client.cookies.clear()
    form = _form(api, session, description="", reporter_phone="", address="没留电话的反映 县学街12号")
    files = {"photo": ("p.png", PNG, "image/png")}
    refused = api.client.post("/report", data=form, files=files, headers=HTML)
    assert refused.status_code == 422
    assert 'data-field="reporter_phone">请填写此项' in refused.text
    assert 'data-field="description">请填写此项' in refused.text, "every reason of the form at once"
    assert "没留电话的反映" in refused.text
    assert 'name="kept_photo.0"' in refused.text, "the photo taken is kept"
    outside = api.client.post("/report", data=_form(api, session, description="杭州的问题", **HANGZHOU), headers=HTML)
    assert outside.status_code == 422
    assert 'data-field="point">该位置不在本平台受理范围内' in outside.text
    # Outside the area and no phone to call back: both said in one refusal.
    both = api.client.post(
        "/report", data=_form(api, session, description="杭州的问题", reporter_phone="", **HANGZHOU), headers=HTML
    )
    assert both.status_code == 422
    assert 'data-field="point">该位置不在本平台受理范围内' in both.text
    assert 'data-field="reporter_phone">请填写此项' in both.text
    assert session.scalar(select(func.count()).select_from(Case).where(Case.address.contains("没留电话"))) == 0
    assert _cases(session, "杭州的问题") == []
    # A number nobody can call back (a service number, a few digits) is refused by its field, the rest kept.
    for wrong in ("12345", "1390570567", "8881234"):
        bad = api.client.post("/report", data=_form(api, session, description="电话填错的反映", reporter_phone=wrong))
        assert bad.status_code == 422, wrong
        assert 'data-field="reporter_phone">请填写手机号码，或带区号的固定电话' in bad.text
        assert f'value="{wrong}"' in bad.text
        assert "电话填错的反映" in bad.text
    assert _cases(session, "电话填错的反映") == []
    for right in ("0570-888 1234", "+86 139 0570 5678", "010-12345678"):
        form = _form(api, session, description=f"电话{right}", reporter_phone=right)
        sent = api.client.post("/report", data=form, follow_redirects=False)
        assert sent.status_code == 303, (right, sent.text[-300:])


def test_a_form_without_its_cookie_is_shown_again_and_floods_are_slowed(api: Any, session: Session) -> None:
    api.client.cookies.clear()
    form = _form(api, session, description="没有表单凭据的反映")
    api.client.cookies.delete(CSRF_COOKIE)
    refused = api.client.post("/report", data=form, headers=HTML)
    assert refused.status_code == 422
    assert "表单已过期" in refused.text
    assert "没有表单凭据的反映" in refused.text, "what was typed is kept, to be sent once more"
    assert api.client.cookies.get(CSRF_COOKIE), "with a fresh token"
    api.client.cookies.delete(CSRF_COOKIE)
    answers = [api.client.post("/report", data=form, headers=HTML) for _ in range(11)]
    assert answers[-1].status_code == 429
    seconds = int(answers[-1].headers["retry-after"])
    assert seconds >= 1
    assert f"请在 {seconds} 秒后再试" in answers[-1].text  # when, and that the report was not taken
    assert "刚才提交的内容没有被受理" in answers[-1].text
    assert _cases(session, "没有表单凭据的反映") == []


def test_the_form_map_reads_only_the_jurisdictions_geography(api: Any, session: Session) -> None:
    api.client.cookies.clear()
    _grid, point = fushan_point(session)
    found = api.client.get("/report/locate", params=point)
    assert found.status_code == 200
    assert [d["name"] for d in found.json()["chain"]][2] == "柯城区"
    assert api.client.get("/report/locate", params={"lon": 120.155, "lat": 30.274}).status_code == 404
    outlines = api.client.get("/report/geo", params={"level": "township", "bbox": "118.8,28.9,118.9,29.0"})
    assert outlines.status_code == 200
    assert outlines.json()["features"]
