"""The intake page: a refused form keeps its input with each error by its field; local times; photos at intake."""

from __future__ import annotations

import base64
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.cases.test_flow import PNG
from tests.cases.test_pages import HTML, _form

from zhili.cases.models import Case, CasePhoto


def _count(session: Session, description: str) -> int:
    return session.scalar(select(func.count()).select_from(Case).where(Case.description == description)) or 0


def test_a_refused_report_keeps_every_input_and_names_each_field_in_chinese(api: Any, session: Session) -> None:
    api.login("gridworker")
    data = {**_form(api, session), "attr.plate_number": "", "address": "府山街道县学街12号", "channel": "hotline"}
    response = api.client.post("/cases/new", data=data, headers=HTML)
    assert response.status_code == 422
    page = response.text
    assert 'data-field="attr.plate_number">请填写此项' in page
    assert "违停占用人行道" in page
    assert 'value="府山街道县学街12号"' in page
    assert '<option value="hotline" selected>' in page
    assert '<option value="pavement" selected>' in page
    assert 'href="/inbox"' in page, "the normal layout with its menu"
    assert "Invalid input" not in page
    assert _count(session, "违停占用人行道") == 0


def test_a_blank_description_and_a_blank_required_field_are_named_in_one_refusal(api: Any, session: Session) -> None:
    # The report's own checks and the matter's fields together: a phone user corrects once, not twice.
    api.login("gridworker")
    data = {**_form(api, session), "description": "", "attr.plate_number": "", "attr.parked_on": ""}
    response = api.client.post("/cases/new", data=data, headers=HTML)
    assert response.status_code == 422
    for field in ("description", "attr.plate_number"):
        assert f'data-field="{field}">请填写此项' in response.text, field
    assert 'data-field="attr.parked_on">请选择此项' in response.text, "a list is chosen from, not typed in"
    assert 'data-field="attr.vehicle_type"' not in response.text


def test_a_required_list_left_unchosen_is_told_to_choose_not_to_fill_in(api: Any, session: Session) -> None:
    api.login("gridworker")
    data = {**_form(api, session), "attr.vehicle_type": ""}
    response = api.client.post("/cases/new", data=data, headers=HTML)
    assert response.status_code == 422
    assert 'data-field="attr.vehicle_type">请选择此项' in response.text
    english = api.client.post("/cases/new?lang=en", data=data, headers=HTML)
    assert 'data-field="attr.vehicle_type">Please choose one' in english.text


def test_a_required_multi_choice_with_no_box_ticked_is_named_by_its_boxes(api: Any, session: Session) -> None:
    # A browser sends nothing for unticked boxes: the reason still goes beside them, not to the top of the form,
    # and says to choose (请选择, as the browser says of a required select), not to type.
    api.login("gridworker")
    base = {k: v for k, v in _form(api, session).items() if not k.startswith("attr.")}
    data = {**base, "matter": "off_campus_tutoring", "description": "无证办学", "attr.institution_name": "阳光培训"}
    response = api.client.post("/cases/new", data=data, headers=HTML)
    assert response.status_code == 422
    assert 'data-field="attr.issue_type">请选择此项' in response.text
    alert = response.text.split('id="form-errors"', 1)[1].split("</div>", 1)[0]
    assert "<li>" not in alert, "no reason left at the top, away from its field"
    assert _count(session, "无证办学") == 0


def test_half_a_point_is_refused_by_the_location_inputs_not_dropped(api: Any, session: Session) -> None:
    api.login("gridworker")
    data = {**_form(api, session), "description": "只填了经度", "lat": "", "place": "柯城区府山街道"}
    response = api.client.post("/cases/new", data=data, headers=HTML)
    assert response.status_code == 422
    where = response.text.split('<fieldset id="where">', 1)[1].split("</fieldset>", 1)[0]
    assert 'data-field="lat"' in where  # the coordinate missing, by its own input
    assert _count(session, "只填了经度") == 0


def test_a_refused_report_speaks_english_on_the_english_page(api: Any, session: Session) -> None:
    api.login("gridworker")
    data = {**_form(api, session), "attr.vehicle_type": "spaceship"}
    response = api.client.post("/cases/new?lang=en", data=data, headers=HTML)
    assert response.status_code == 422
    assert 'data-field="attr.vehicle_type">Choose from the list' in response.text


def test_the_channel_starts_on_the_grid_workers_own_and_on_the_web_for_a_desk(api: Any) -> None:
    def chosen(login: str) -> list[str]:
        api.login(login)
        page = api.get("/cases/new?matter=illegal_parking", headers=HTML).text
        select = page.split('<select name="channel">', 1)[1].split("</select>", 1)[0]
        return re.findall(r'<option value="(\w+)" selected>', select)

    assert chosen("gridworker") == ["phone"]  # 手机: the channel of every grid report
    assert chosen("gridhead") == ["phone"]
    assert chosen("partymember") == ["phone"]  # 联户党员 and 组团联村团长 report from the field on their phones too
    assert chosen("teamleader") == ["phone"]
    assert chosen("kc-centre") == ["web"]  # no role marks a 12345 desk: 热线 is chosen by hand
    assert chosen("kc-traffic") == ["web"]


def test_a_channel_not_on_the_list_is_named_beside_the_channel(api: Any, session: Session) -> None:
    api.login("gridworker")
    data = {**_form(api, session), "channel": "app"}
    response = api.client.post("/cases/new", data=data, headers=HTML)
    assert response.status_code == 422
    assert 'data-field="channel">请从列表中选择' in response.text


def test_a_point_outside_every_county_is_named_by_the_map_field(api: Any, session: Session) -> None:
    api.login("gridworker")
    data = {**_form(api, session), "lon": "100.0", "lat": "20.0"}
    response = api.client.post("/cases/new", data=data, headers=HTML)
    assert response.status_code == 422
    assert 'data-field="point">该位置不在已知区县范围内' in response.text
    # The page opens at that reason, a screen below the top on a phone (the only one focused).
    assert 'id="refused" tabindex="-1" autofocus data-field="point"' in response.text
    assert response.text.count("autofocus") == 1


def test_a_report_with_neither_point_nor_place_says_so_by_the_location_fields(api: Any, session: Session) -> None:
    api.login("gridworker")
    data = {**_form(api, session), "description": "没有位置的上报", "lon": "", "lat": "", "place": ""}
    response = api.client.post("/cases/new", data=data, headers=HTML)
    assert response.status_code == 422
    where = response.text.split('<fieldset id="where">', 1)[1].split("</fieldset>", 1)[0]
    assert 'data-field="point">请选择位置或填写地点' in where
    assert "填写有误" not in response.text
    assert "没有位置的上报" in response.text
    assert 'value="浙H54321"' in response.text
    english = api.client.post("/cases/new?lang=en", data=data, headers=HTML)
    assert 'data-field="point">Pick a point on the map or enter a place' in english.text
    assert _count(session, "没有位置的上报") == 0


def test_a_longitude_that_is_not_a_number_is_said_by_its_own_input(api: Any, session: Session) -> None:
    api.login("gridworker")
    data = {**_form(api, session), "lon": "abc"}
    response = api.client.post("/cases/new", data=data, headers=HTML)
    assert response.status_code == 422
    lon_label = response.text.split('name="lon"', 1)[1].split("</label>", 1)[0]
    assert 'data-field="lon">' in lon_label  # inside the 经度 label: the input is outlined, the reason beside it
    assert 'value="abc"' in lon_label
    assert 'data-field="point"' not in response.text


def test_the_seen_at_picker_is_local_time(api: Any, session: Session) -> None:
    api.login("gridworker")
    form = api.get("/cases/new?matter=illegal_parking", headers=HTML).text
    assert 'type="datetime-local" name="attr.seen_at"' in form
    assert "+08:00" not in form
    data = {**_form(api, session), "description": "本地时间的发现时间", "attr.seen_at": "2026-12-02T18:10"}
    created = api.client.post("/cases/new", data=data, follow_redirects=False)
    assert created.status_code == 303, created.text
    case = session.scalars(select(Case).where(Case.description == "本地时间的发现时间")).one()
    assert case.attributes["seen_at"] == "2026-12-02T18:10:00+08:00"


def test_every_photo_input_of_a_report_carries_its_limits_for_the_phone_to_check(api: Any) -> None:
    """The server refuses a body over its limit before a page could answer by the field: the page says it first."""
    api.login("gridworker")
    staff = api.get("/cases/new?matter=illegal_parking", headers=HTML).text
    public = api.client.get("/report?matter=illegal_parking", headers=HTML).text
    for page in (staff, public):
        photo = re.search(r'<input type="file" name="photo"[^>]*>', page)
        assert photo is not None
        # The tests' app takes bodies of 64 KB: a quarter is kept for the form's other fields.
        assert 'data-max-each="49152" data-max-total="49152"' in photo.group(0)
        assert 'data-too-large="照片不能超过 48 KB，请换一张或压缩后再选"' in photo.group(0)


def test_photos_sent_with_the_report_land_with_the_case(api: Any, session: Session) -> None:
    api.login("gridworker")
    data = {**_form(api, session), "description": "带照片的上报"}
    files = [("photo", ("a.png", PNG, "image/png")), ("photo", ("b.png", PNG, "image/png"))]
    created = api.client.post("/cases/new", data=data, files=files, follow_redirects=False)
    assert created.status_code == 303, created.text
    case_id = int(created.headers["location"].rsplit("/", 1)[1])
    assert session.scalar(select(func.count()).select_from(CasePhoto).where(CasePhoto.case_id == case_id)) == 2


def test_a_file_that_is_not_a_photo_refuses_the_report_and_keeps_the_form(api: Any, session: Session) -> None:
    api.login("gridworker")
    data = {**_form(api, session), "description": "带假照片的上报"}
    files = [("photo", ("x.png", b"<html>not a photo</html>", "image/png"))]
    response = api.client.post("/cases/new", data=data, files=files, headers=HTML)
    assert response.status_code == 422
    assert 'data-field="photo">照片须为 JPEG、PNG 或 WebP 图片' in response.text
    assert "带假照片的上报" in response.text
    assert _count(session, "带假照片的上报") == 0


def test_an_error_page_speaks_the_users_language_inside_the_layout(api: Any) -> None:
    api.login("gridworker")
    page = api.get("/cases/999999", headers=HTML)
    assert page.status_code == 404
    assert "未找到" in page.text
    assert 'href="/inbox"' in page.text
    assert "Not found" not in page.text


def test_a_form_sent_twice_reports_once(api: Any, session: Session) -> None:
    # A double tap, or the browser sending the form again after a timeout: one case, both answers lead to it.
    api.login("gridworker")
    page = api.get("/cases/new?matter=illegal_parking", headers=HTML).text
    key = page.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    assert len(key) == 32
    data = {**_form(api, session), "description": "同一张表单提交两次", "idempotency_key": key}
    first = api.client.post("/cases/new", data=data, headers=HTML, follow_redirects=False)
    again = api.client.post("/cases/new", data=data, headers=HTML, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert _count(session, "同一张表单提交两次") == 1
    # Sent back from the browser's history with other words, it is another report.
    other = {**data, "description": "返回后改写的另一件事"}
    second = api.client.post("/cases/new", data=other, headers=HTML, follow_redirects=False)
    assert second.status_code == 303
    assert second.headers["location"] != first.headers["location"]
    assert _count(session, "返回后改写的另一件事") == 1


def test_a_refused_form_keeps_its_key_and_a_new_form_gets_another(api: Any, session: Session) -> None:
    api.login("gridworker")
    key = "0123456789abcdef0123456789abcdef"
    data = {**_form(api, session), "attr.plate_number": "", "idempotency_key": key}
    refused = api.client.post("/cases/new", data=data, headers=HTML)
    assert refused.status_code == 422
    assert f'name="idempotency_key" value="{key}"' in refused.text
    fresh = api.get("/cases/new?matter=illegal_parking", headers=HTML).text
    assert f'value="{key}"' not in fresh


def test_a_refused_report_keeps_its_photos_to_send_again(api: Any, session: Session) -> None:
    """A photo taken on the spot is not lost when the form is refused for another field (an ambiguous place)."""
    api.login("gridworker")
    data = {**_form(api, session), "description": "照片随退回的表单保留", "lon": "", "lat": "", "place": "上安村"}
    files = [("photo", ("a.png", PNG, "image/png")), ("photo", ("b.png", PNG, "image/png"))]
    refused = api.client.post("/cases/new", data=data, files=files, headers=HTML)
    assert refused.status_code == 422
    page = refused.text
    assert 'id="kept-photos"' in page
    assert "已选的照片" in page
    kept = dict(re.findall(r'name="(kept_photo\.\d+)" value="([^"]+)"', page))
    assert sorted(kept) == ["kept_photo.0", "kept_photo.1"]
    assert base64.b64decode(kept["kept_photo.0"]) == PNG
    # Sent again with a place that is known, one kept photo removed: the case has the other.
    again = {**data, "place": "柯城区府山街道", **kept, "kept_photo_removed": "1"}
    created = api.client.post("/cases/new", data=again, follow_redirects=False)
    assert created.status_code == 303, created.text
    case_id = int(created.headers["location"].rsplit("/", 1)[1])
    assert session.scalar(select(func.count()).select_from(CasePhoto).where(CasePhoto.case_id == case_id)) == 1


def test_a_kept_photo_that_is_not_a_photo_is_refused_by_the_photo_input(api: Any, session: Session) -> None:
    api.login("gridworker")
    data = {**_form(api, session), "description": "伪造的保留照片", "kept_photo.0": "bm90IGEgcGhvdG8="}
    response = api.client.post("/cases/new", data=data, headers=HTML)
    assert response.status_code == 422
    assert 'data-field="photo">照片须为 JPEG、PNG 或 WebP 图片' in response.text
    assert _count(session, "伪造的保留照片") == 0


def test_a_hotline_operator_records_who_called(api: Any, session: Session) -> None:
    api.login("kc-centre")
    form = {**_form(api, session), "description": "市民来电：人行道违停", "channel": "hotline"}
    refused = api.client.post("/cases/new", data={**form, "reporter_name": "陈先生", "reporter_phone": "12ab"})
    assert refused.status_code == 422
    assert 'data-field="reporter_phone"' in refused.text
    assert 'value="陈先生"' in refused.text
    assert 'value="12ab"' in refused.text
    # A number nobody can call back (a service number, a few digits) is refused as the public form refuses it.
    for number in ("12345", "8881234"):
        service = api.client.post("/cases/new", data={**form, "reporter_name": "陈先生", "reporter_phone": number})
        assert service.status_code == 422
        assert (
            'data-field="reporter_phone">请填写手机号码，或带区号的固定电话（如 0570-8881234），以便回访'
            in service.text
        )
        assert f'value="{number}"' in service.text
    caller = {"reporter_name": "陈先生", "reporter_phone": "0570-888 1234"}
    created = api.client.post("/cases/new", data={**form, **caller}, follow_redirects=False)
    assert created.status_code == 303, created.text
    case = session.scalars(select(Case).where(Case.description == "市民来电：人行道违停")).one()
    assert (case.reporter_name, case.reporter_phone, case.channel) == ("陈先生", "05708881234", "hotline")
    page = api.get(created.headers["location"], headers=HTML).text
    assert 'id="reporter">陈先生 · <a href="tel:05708881234">' in page


def test_a_plate_number_over_its_limit_is_told_the_limit(api: Any, session: Session) -> None:
    api.login("gridworker")
    page = api.get("/cases/new?matter=illegal_parking", headers=HTML).text
    assert 'name="attr.plate_number" maxlength="12"' in page  # the phone stops typing at the limit
    data = {**_form(api, session), "attr.plate_number": "浙H" + "1" * 11}
    response = api.client.post("/cases/new", data=data, headers=HTML)
    assert response.status_code == 422
    assert 'data-field="attr.plate_number">请填写文字，最多 12 个字' in response.text


def test_a_credit_code_that_is_not_one_is_refused_by_its_field(api: Any, session: Session) -> None:
    api.login("qz-centre")
    page = api.get("/cases/new?matter=wage_arrears", headers=HTML).text
    assert 'name="attr.credit_code" maxlength="200" autocapitalize="characters"' in page
    where = {key: _form(api, session)[key] for key in ("csrf_token", "lon", "lat", "channel")}
    data = {
        **where,
        "matter": "wage_arrears",
        "description": "工地拖欠工资",
        "attr.employer_name": "某建筑公司",
        "attr.credit_code": "123",
        "attr.workers_affected": "12",
        "attr.employment_type": "construction_project",
    }
    response = api.client.post("/cases/new", data=data, headers=HTML)
    assert response.status_code == 422
    assert 'data-field="attr.credit_code">不是有效的统一社会信用代码' in response.text
    assert 'step="1" min="0" name="attr.workers_affected"' in page
    halves = api.client.post("/cases/new", data={**data, "attr.workers_affected": "2.5"}, headers=HTML)
    assert 'data-field="attr.workers_affected">请填写整数' in halves.text
    assert 'value="123"' in response.text
    assert _count(session, "工地拖欠工资") == 0


def test_a_case_not_taken_is_reported_again_from_a_form_filled_from_it(api: Any, session: Session) -> None:
    """重新上报: the grid worker's case was refused (不予受理); its page links to the form, filled from the case."""
    from tests.cases.test_flow import command, report_parking  # noqa: PLC0415

    case = report_parking(api, session)
    api.login("kc-centre")
    command(api, case, "reject", reason="请补充车牌号后重新上报")
    api.login("gridworker")
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    assert f'href="/cases/new?again={case["id"]}"' in page
    assert "重新上报" in page
    form = api.get(f"/cases/new?again={case['id']}", headers=HTML).text
    assert 'id="intake"' in form  # the matter chosen: the report form is shown
    assert f'<option value="{case["matter_code"]}" selected>' in form
    assert case["description"] in form
    assert f'value="{case["lon"]:.6f}"' in form
    assert f'<input type="hidden" name="again" value="{case["id"]}">' in form  # kept when the matter changes
    # the dispatcher, who refused it, is offered no such link; a case out of sight is a 404
    assert "report-again" not in api.login("kc-centre").get(f"/cases/{case['id']}", headers=HTML).text
    assert api.login("ly-centre").get(f"/cases/new?again={case['id']}", headers=HTML).status_code == 404
    assert api.get("/cases/new?again=abc", headers=HTML).status_code == 422  # a link mistyped: named, not a 500


def test_a_case_reported_by_a_place_name_is_reported_again_at_that_place(api: Any, session: Session) -> None:
    """No map point: the place's name fills the form, so sending it unchanged is not refused for a location."""
    from tests.cases.test_flow import command  # noqa: PLC0415

    api.login("gridworker")
    data = {**_form(api, session), "description": "按地名上报的违停", "lon": "", "lat": "", "place": "柯城区府山街道"}
    assert api.client.post("/cases/new", data=data, headers=HTML, follow_redirects=False).status_code == 303
    case_id = session.scalars(select(Case.id).where(Case.description == "按地名上报的违停")).one()
    api.login("kc-centre")
    command(api, api.get(f"/api/v1/cases/{case_id}").json(), "reject", reason="请补充车牌号")
    api.login("gridworker")
    form = api.get(f"/cases/new?again={case_id}", headers=HTML).text
    kept = form.split('id="intake"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'<input name="(place|lon|lat)"[^>]*value="([^"]*)"', kept))
    assert fields["lon"] == fields["lat"] == ""
    assert fields["place"]
    assert f'<input type="hidden" name="again" value="{case_id}">' in kept  # sent with the report
    resent = {**data, "csrf_token": api.csrf, "place": fields["place"], "description": "按地名上报的违停（补充车牌）"}
    resent["again"] = str(case_id)
    assert api.client.post("/cases/new", data=resent, headers=HTML, follow_redirects=False).status_code == 303
    assert _count(session, "按地名上报的违停（补充车牌）") == 1
    new_case = session.scalars(select(Case).where(Case.description == "按地名上报的违停（补充车牌）")).one()
    old_number = session.scalars(select(Case.number).where(Case.id == case_id)).one()
    # each names the other: the refused case no longer offers 重新上报, the dispatcher sees what was refused
    old_page = api.get(f"/cases/{case_id}", headers=HTML).text
    assert 'id="report-again"' not in old_page
    assert f'<a href="/cases/{new_case.id}" translate="no">{new_case.number}</a>' in old_page
    new_page = api.login("kc-centre").get(f"/cases/{new_case.id}", headers=HTML).text
    mends = new_page.split('id="mends"', 1)[1].split("</p>", 1)[0]
    assert f'<a href="/cases/{case_id}" translate="no">{old_number}</a>' in mends
    assert "不予受理" in mends
    assert f"并入 {old_number}" not in new_page  # a case not taken is no duplicate to merge the new report into
    # only a case of one's own that was not taken, and not mended yet, is mended
    api.login("gridworker")
    copy = api.get(f"/cases/new?again={case_id}", headers=HTML).text  # still a copy to start from
    assert "按地名上报的违停" in copy
    assert 'name="again"' not in copy.split('id="intake"', 1)[1]
    twice = {**resent, "csrf_token": api.csrf, "description": "第二次重新上报"}
    stale = api.client.post("/cases/new", data=twice, headers=HTML)  # a form left open from before the first
    assert stale.status_code == 422
    assert "该案已重新上报过" in stale.text
    assert _count(session, "第二次重新上报") == 0
    other = {**resent, "csrf_token": api.csrf, "description": "再次重新上报", "again": str(new_case.id)}
    refused = api.client.post("/cases/new", data=other, headers=HTML)
    assert refused.status_code == 422
    assert "只能重新上报本人上报且不予受理的案件" in refused.text
    assert _count(session, "再次重新上报") == 0


def test_a_time_kept_with_its_zone_fills_the_form_in_local_time() -> None:
    from zhili.core.local_time import from_local_input, to_local_input  # noqa: PLC0415

    assert to_local_input("2026-07-23T10:00:00+00:00") == "2026-07-23T18:00"  # Quzhou is UTC+8
    assert to_local_input("2026-07-23T18:00") == "2026-07-23T18:00"  # a local time as typed stays
    assert to_local_input("浙H12345") == "浙H12345"
    assert to_local_input(from_local_input("2026-07-23T18:00")) == "2026-07-23T18:00"  # the two are inverses


def test_a_wrong_place_is_named_with_the_other_wrong_fields_in_one_refusal(api: Any, session: Session) -> None:
    """A blank description and a point off the map: both said at once, not the place only after the rest is mended."""
    api.login("gridworker")
    data = {**_form(api, session), "description": "", "lon": "100.0", "lat": "20.0"}
    response = api.client.post("/cases/new", data=data, headers=HTML)
    assert response.status_code == 422
    assert 'data-field="description">请填写此项' in response.text
    assert 'data-field="point">该位置不在已知区县范围内' in response.text
    named = {key: value for key, value in data.items() if key not in {"lon", "lat"}}
    response = api.client.post("/cases/new", data={**named, "place": "没有这个地方"}, headers=HTML)
    assert response.status_code == 422
    assert 'data-field="description">请填写此项' in response.text
    assert 'data-field="place">未找到该地名，请写全称或在地图上选点' in response.text
    assert _count(session, "") == 0
    # A place that resolves adds nothing to the refusal.
    response = api.client.post("/cases/new", data={**named, "place": "府山街道"}, headers=HTML)
    assert response.status_code == 422
    assert 'data-field="place">' not in response.text
