"""Phone task pages: the list with a one-tap 领办, the task page (read on open), the report form, the level above."""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.campaigns.task_helpers import dispatch_typhoon, png, point_far_from, point_in, post_of, task_of
from tests.conftest import Api

from zhili.campaigns.models import CampaignTask, TaskPhoto
from zhili.campaigns.tasks import pages as task_pages
from zhili.core.clock import FrozenClock
from zhili.matters.schemas import MatterSummary

HTML = {"accept": "text/html"}


def state(api: Api, task: CampaignTask) -> str:
    return str(api.get(f"/api/v1/tasks/{task.id}").json()["state"])


def post(api: Api, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> Any:
    return api.client.post(path, data={"csrf_token": api.csrf, **(data or {})}, follow_redirects=False, **kwargs)


def claimed_by_gridhead(api: Api, session: Session, clock: FrozenClock) -> CampaignTask:
    """A typhoon task of the demo's grid head, claimed from the page by them (logged in)."""
    task = task_of(session, dispatch_typhoon(session, clock), "gridhead")
    api.login("gridhead")
    post(api, f"/tasks/{task.id}/claim")
    return task


def test_the_list_claims_in_one_tap_and_the_page_opens_read(api: Api, session: Session, clock: FrozenClock) -> None:
    campaign = dispatch_typhoon(session, clock)
    task = task_of(session, campaign, "partymember")
    api.login("partymember")
    listing = api.get("/tasks", headers=HTML)
    assert listing.status_code == 200
    assert "我的任务" in listing.text
    assert f'action="/tasks/{task.id}/claim"' in listing.text
    assert 'href="/tasks"' in listing.text  # the nav entry 任务
    assert "view=above" not in listing.text  # a party member oversees nobody's tasks: no 下级任务 tab
    assert "/tasks/export." not in listing.text  # nor spreadsheets of their own few tasks on a phone
    assert 'href="/tasks?view=above&amp;state=reported"' in api.login("gridhead").get("/tasks", headers=HTML).text
    api.login("partymember")
    claimed = post(api, f"/tasks/{task.id}/claim")
    assert claimed.status_code == 303
    assert claimed.headers["location"] == f"/tasks/{task.id}"
    assert state(api, task) == "claimed"
    page = api.get(f"/tasks/{task.id}", headers=HTML)
    assert 'id="report-form"' in page.text
    assert 'capture="environment"' in page.text
    assert 'id="use-gps"' in page.text


def test_a_notice_link_to_a_campaign_puts_its_tasks_first(api: Api, session: Session, clock: FrozenClock) -> None:
    # A dispatch's notice links to /tasks?campaign=<id>: the filter is said in one line, the panel stays folded.
    campaign = dispatch_typhoon(session, clock)
    task = task_of(session, campaign, "partymember")
    listing = api.login("partymember").get(f"/tasks?campaign={campaign.id}", headers=HTML).text
    assert '<details class="filters-box" >' in listing
    assert f'data-filter="campaign">任务名称：{campaign.title} · {campaign.number}</p>' in listing
    assert f'action="/tasks/{task.id}/claim"' in listing
    english = api.get(f"/tasks?campaign={campaign.id}&lang=en", headers=HTML).text
    assert 'data-filter="campaign">Campaign: ' in english


def test_a_dispatch_notice_leads_each_reader_to_their_own_task(api: Api, session: Session, clock: FrozenClock) -> None:
    campaign = dispatch_typhoon(session, clock)
    task = task_of(session, campaign, "partymember")
    api.login("partymember")
    notice = next(item for item in api.get("/api/v1/inbox").json()["items"] if item["topic"] == "campaign.task")
    assert notice["link"] == f"/campaigns/{campaign.id}/my-task"
    landed = api.get(notice["link"], headers=HTML, follow_redirects=False)
    assert landed.status_code == 303
    assert landed.headers["location"] == f"/tasks/{task.id}"
    # Someone without a task in the campaign (the county centre) gets the filtered list, not an error.
    listed = api.login("kc-centre").get(notice["link"], headers=HTML, follow_redirects=False)
    assert listed.status_code == 303
    assert listed.headers["location"] == f"/tasks?campaign={campaign.id}"


def test_opening_the_task_page_marks_it_read(api: Api, session: Session, clock: FrozenClock) -> None:
    task = task_of(session, dispatch_typhoon(session, clock), "partymember")
    api.login("gridhead")  # the level above opening it does not mark it read
    assert api.get(f"/tasks/{task.id}", headers=HTML).status_code == 200
    api.login("partymember")
    assert state(api, task) == "notified"
    page = api.get(f"/tasks/{task.id}", headers=HTML)
    assert page.status_code == 200
    assert 'data-state="read"' in page.text
    assert state(api, task) == "read"


def test_a_claim_without_the_csrf_token_is_refused(api: Api, session: Session, clock: FrozenClock) -> None:
    task = task_of(session, dispatch_typhoon(session, clock), "partymember")
    api.login("partymember")
    refused = api.client.post(f"/tasks/{task.id}/claim", data={}, headers=HTML, follow_redirects=False)
    assert refused.status_code == 403
    assert state(api, task) == "notified"


def test_report_from_the_phone_with_a_photo_then_verify(api: Api, session: Session, clock: FrozenClock) -> None:
    task = claimed_by_gridhead(api, session, clock)
    point = point_far_from(session, task.division_code)
    form = {"text": "已巡查", "lon": str(point["lon"]), "lat": str(point["lat"])}
    sent = post(api, f"/tasks/{task.id}/report", form, files={"photos": ("p.png", png(), "image/png")})
    assert sent.status_code == 303, sent.text
    page = api.get(f"/tasks/{task.id}", headers=HTML)
    assert 'id="the-report"' in page.text
    assert 'id="far"' in page.text
    assert "/api/v1/tasks/photos/" in page.text
    # The point on a small map beside the outline of the division it was due in (the case page's map).
    drawn = json.loads(html.unescape(page.text.split('id="case-map" data-map="', 1)[1].split('"', 1)[0]))
    assert (
        drawn["fixes"] == [{"lon": point["lon"], "lat": point["lat"], "label": "回单位置"}] or drawn["fixes"][0]["lon"]
    )
    assert drawn["grid"]["type"] in {"Polygon", "MultiPolygon"}
    assert '<script src="/static/js/case-page.js" defer></script>' in page.text
    api.login("village")
    verifying = api.get(f"/tasks/{task.id}", headers=HTML).text
    assert 'data-action="verify"' in verifying
    # The verifier's two choices say what each does: accept the report, or send it back with a reason.
    assert "核验通过</button>" in verifying
    assert "退回理由 *" in verifying
    assert "退回重新回单</button>" in verifying
    assert post(api, f"/tasks/{task.id}/verify", {"note": "属实"}).status_code == 303
    # The grade starts unchosen: a tap on 评价 without one is refused beside the rating, not taken as 好.
    rating_page = api.get(f"/tasks/{task.id}", headers=HTML).text
    assert '<th>已核验</th><td id="verified-at">' in rating_page  # when it was accepted, in the task's facts
    assert '<div class="card" id="verify">\n  <h2>评价回单</h2>' in rating_page  # not 核验 once verified
    assert '<select name="rating" required><option value="">请选择</option>' in rating_page
    unchosen = post(api, f"/tasks/{task.id}/rate", {"rating": ""})
    assert unchosen.status_code == 422
    assert 'data-field="rating"' in unchosen.text
    assert post(api, f"/tasks/{task.id}/rate", {"rating": "ok"}).status_code == 303
    assert state(api, task) == "rated"
    api.login("gridhead")  # the recipient reads the verifier's word on the task, not only in a notice
    assert '<th>核验意见</th><td id="verify-note">属实</td>' in api.get(f"/tasks/{task.id}", headers=HTML).text


def test_a_double_tap_on_claim_claims_once_and_lands_on_the_task(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    task = task_of(session, dispatch_typhoon(session, clock), "partymember")
    api.login("partymember")
    listing = api.get("/tasks", headers=HTML).text
    claim_form = listing.split(f'action="/tasks/{task.id}/claim"', 1)[1].split("</form>", 1)[0]
    key = claim_form.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    for _ in range(2):
        tapped = post(api, f"/tasks/{task.id}/claim", {"idempotency_key": key}, headers=HTML)
        assert tapped.status_code == 303  # not 状态已变化 for the second tap
        assert tapped.headers["location"] == f"/tasks/{task.id}"
    assert state(api, task) == "claimed"


def test_a_form_from_a_page_left_open_shows_the_task_as_it_is_now_with_the_input_kept(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    """Two tabs (or a retry on a slow network, each with its own form key): the second is told, not lost."""
    task = claimed_by_gridhead(api, session, clock)
    point = point_in(session, task.division_code)
    form = {"text": "已巡查完毕", "lon": str(point["lon"]), "lat": str(point["lat"])}
    photo = {"photos": ("p.png", png(), "image/png")}
    assert post(api, f"/tasks/{task.id}/report", {**form, "idempotency_key": "tab-one"}, files=photo).status_code == 303
    again = post(api, f"/tasks/{task.id}/report", {**form, "idempotency_key": "tab-two"}, files=photo, headers=HTML)
    assert again.status_code == 409
    assert "这项任务已有变化" in again.text
    assert 'data-action="report"' not in again.text  # the page as it is now: reported, no report form
    claim = post(api, f"/tasks/{task.id}/claim", {"idempotency_key": "tab-three"}, headers=HTML)
    assert claim.status_code == 409
    assert "这项任务已有变化" in claim.text
    assert state(api, task) == "reported"


def test_a_claim_in_a_campaign_that_ended_says_so_not_that_the_task_changed(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    campaign = dispatch_typhoon(session, clock)
    task = task_of(session, campaign, "partymember")
    campaign.status = "closed"
    session.commit()
    api.login("partymember")
    refused = post(api, f"/tasks/{task.id}/claim", {"idempotency_key": "ended"}, headers=HTML)
    assert refused.status_code == 409
    assert "这次行动已结束" in refused.text
    assert "这项任务已有变化" not in refused.text


def test_a_report_sent_twice_is_written_once(api: Api, session: Session, clock: FrozenClock) -> None:
    # A double tap on 提交回单, or the phone sending the form again on a poor connection.
    task = claimed_by_gridhead(api, session, clock)
    page = api.get(f"/tasks/{task.id}", headers=HTML).text
    key = page.split('id="report-form"', 1)[1].split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    point = point_in(session, task.division_code)
    form = {"text": "已巡查两遍", "lon": str(point["lon"]), "lat": str(point["lat"]), "idempotency_key": key}
    for _ in range(2):
        sent = post(api, f"/tasks/{task.id}/report", form, files={"photos": ("p.png", png(), "image/png")})
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"] == f"/tasks/{task.id}"
    assert state(api, task) == "reported"
    assert session.scalar(select(func.count()).select_from(TaskPhoto).where(TaskPhoto.task_id == task.id)) == 1


def _form_key(api: Api, task: CampaignTask) -> str:
    """The report form's key, as the page gives it (a browser always sends it)."""
    page = api.get(f"/tasks/{task.id}", headers=HTML).text
    return page.split('id="report-form"', 1)[1].split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]


def _kept_parts(text: str) -> dict[str, str]:
    return dict(re.findall(r'name="(kept_photo\.\d+)" value="([^"]+)"', text))


def test_an_incomplete_report_form_is_shown_again_with_the_reasons(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    task = claimed_by_gridhead(api, session, clock)
    key = _form_key(api, task)
    photo = {"photos": ("p.png", png(), "image/png")}
    shown = post(api, f"/tasks/{task.id}/report", {"text": "已巡查", "idempotency_key": key}, files=photo)
    assert shown.status_code == 422
    text = shown.text
    assert 'id="errors"' in text
    assert 'data-field="point"' in text  # the missing GPS fix, beside the location inputs
    assert "body.point" not in text
    assert ">已巡查</textarea>" in text
    # Nothing of a refused report is stored; the photo taken comes back with the form, shown, to send again.
    assert session.scalar(select(func.count()).select_from(TaskPhoto).where(TaskPhoto.task_id == task.id)) == 0
    assert 'id="kept-photos"' in text
    assert 'name="photo_id"' not in text
    kept = _kept_parts(text)
    assert list(kept) == ["kept_photo.0"]
    assert base64.b64decode(kept["kept_photo.0"]) == png()
    point = point_in(session, task.division_code)
    again_key = text.split('id="report-form"', 1)[1].split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    form = {"text": "已巡查", "lon": str(point["lon"]), "lat": str(point["lat"]), "idempotency_key": again_key}
    again = post(api, f"/tasks/{task.id}/report", {**form, **kept})
    assert again.status_code == 303, again.text
    assert state(api, task) == "reported"
    assert session.scalar(select(func.count()).select_from(TaskPhoto).where(TaskPhoto.task_id == task.id)) == 1
    assert api.get(f"/api/v1/tasks/{task.id}").json()["photos"][0]["size"] == len(png())


def test_a_report_over_a_limit_is_told_the_limit_in_the_pages_language(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    """A text over 4000 characters and a longitude of 200: each said with its limit, in Chinese or in English."""
    task = claimed_by_gridhead(api, session, clock)
    form = {"text": "巡" * 4001, "lon": "200", "lat": "29"}
    shown = post(api, f"/tasks/{task.id}/report", {**form, "idempotency_key": _form_key(api, task)})
    assert shown.status_code == 422
    assert 'data-field="text">请填写文字，最多 4000 个字' in shown.text
    assert 'data-field="lon">不能大于 180' in shown.text
    english = post(api, f"/tasks/{task.id}/report?lang=en", {**form, "idempotency_key": _form_key(api, task)})
    assert "Enter text of at most 4000 characters" in english.text
    assert "Must be at most 180" in english.text
    assert "after validation" not in english.text  # never the library's own words


def test_a_refused_report_without_a_form_key_stores_nothing_either(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    # A script posting the form without its key: the photo and the report still stand or fall together.
    task = claimed_by_gridhead(api, session, clock)
    photo = {"photos": ("p.png", png(), "image/png")}
    shown = post(api, f"/tasks/{task.id}/report", {"text": "已巡查"}, files=photo)
    assert shown.status_code == 422
    assert session.scalar(select(func.count()).select_from(TaskPhoto).where(TaskPhoto.task_id == task.id)) == 0
    assert list(_kept_parts(shown.text)) == ["kept_photo.0"]


def test_a_kept_photo_removed_or_not_a_photo(api: Api, session: Session, clock: FrozenClock) -> None:
    task = claimed_by_gridhead(api, session, clock)
    point = point_in(session, task.division_code)
    where = {"lon": str(point["lon"]), "lat": str(point["lat"])}
    # A kept part that is not a photo is refused beside the photo input; the text typed is kept.
    forged = post(api, f"/tasks/{task.id}/report", {"text": "已巡查", **where, "kept_photo.0": "bm90IGEgcGhvdG8="})
    assert forged.status_code in {415, 422}
    assert 'data-form="report" data-field="photos"' in forged.text
    assert ">已巡查</textarea>" in forged.text
    # Removed (移除 ticked), the kept photo is not sent: the gridhead's report needs one, so it is refused.
    shown = post(api, f"/tasks/{task.id}/report", {"text": "已巡查"}, files={"photos": ("p.png", png(), "image/png")})
    removed = post(
        api,
        f"/tasks/{task.id}/report",
        {"text": "已巡查", **where, **_kept_parts(shown.text), "kept_photo_removed": "0"},
    )
    assert removed.status_code == 422
    assert 'data-field="photos"' in removed.text
    assert "kept_photo.0" not in removed.text
    assert state(api, task) == "claimed"


def test_a_decline_of_blanks_is_shown_again_with_the_reason_by_its_input(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    task = task_of(session, dispatch_typhoon(session, clock), "partymember")
    api.login("partymember")
    shown = post(api, f"/tasks/{task.id}/decline", {"reason": "   "}, headers=HTML)
    assert shown.status_code == 422
    text = shown.text
    assert 'id="decline-form"' in text  # the task page again, not the bare error page
    assert 'data-form="decline" data-field="reason">请填写此项</span>' in text
    # The page opens at the reason (focused, so a phone scrolls to it), not at the top, and only there.
    assert '<span class="field-error" role="alert" id="refused" tabindex="-1" autofocus data-form="decline"' in text
    assert text.count("autofocus") == 1
    assert "<details open><summary>" in text  # the folded decline form is open to show why
    assert 'value="   "' in text  # what was typed is kept
    assert 'data-form="return"' not in text
    typed = post(api, f"/tasks/{task.id}/decline", {"reason": "x" * 501}, headers=HTML)
    assert typed.status_code == 422
    assert 'data-field="reason">请填写文字，最多 500 个字</span>' in typed.text
    assert f'value="{"x" * 501}"' in typed.text
    assert state(api, task) != "declined"
    # Reloaded from the address bar (a GET of the form's action): the task page, not a refusal.
    reloaded = api.client.get(f"/tasks/{task.id}/decline", headers=HTML, follow_redirects=False)
    assert (reloaded.status_code, reloaded.headers["location"]) == (303, f"/tasks/{task.id}")
    assert api.client.get("/inbox/read-all", headers=HTML, follow_redirects=False).headers["location"] == "/inbox"
    nowhere = api.client.get("/inbox/1/open", headers=HTML, follow_redirects=False)  # /inbox/1 is no page: said so
    assert (nowhere.status_code, "不支持该操作" in nowhere.text) == (405, True)
    api_get = api.client.get(f"/api/v1/tasks/{task.id}/decline", follow_redirects=False)  # the API: a problem, as ever
    assert api_get.status_code == 405
    assert post(api, f"/tasks/{task.id}/decline", {"reason": "不在辖区"}).status_code == 303
    assert state(api, task) == "declined"


def test_a_return_without_a_reason_is_shown_again_with_the_reason_by_its_input(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    task = claimed_by_gridhead(api, session, clock)
    point = point_in(session, task.division_code)
    form = {"text": "已巡查", "lon": str(point["lon"]), "lat": str(point["lat"])}
    assert (
        post(api, f"/tasks/{task.id}/report", form, files={"photos": ("p.png", png(), "image/png")}).status_code == 303
    )
    api.login("village")
    shown = post(api, f"/tasks/{task.id}/return", {"reason": ""}, headers=HTML)
    assert shown.status_code == 422
    text = shown.text
    assert 'id="return-form"' in text
    assert 'id="verify-form"' in text
    assert 'data-form="return" data-field="reason">请填写此项</span>' in text
    assert 'id="errors"' in text
    refused_rating = post(api, f"/tasks/{task.id}/rate", {"rating": "best", "comment": "好"}, headers=HTML)
    assert refused_rating.status_code == 422  # not verified yet, and no such rating: the page again
    assert state(api, task) == "reported"
    assert post(api, f"/tasks/{task.id}/return", {"reason": "照片不清"}).status_code == 303
    assert state(api, task) == "claimed"
    # Returned to the grid head: the report fills the form again, to mend rather than retype.
    again = api.login("gridhead").get(f"/tasks/{task.id}", headers=HTML).text
    assert "退回理由" in again
    # Why it came back is said in the report's card too, where the notice's link (#report) opens.
    report_card = again.split('id="report"', 1)[1].split('id="report-form"', 1)[0]
    assert 'id="return-reason">退回理由：照片不清' in report_card
    report_form = again.split('id="report-form"', 1)[1].split("</form>", 1)[0]
    assert '<textarea name="text" rows="3" maxlength="4000" required>已巡查</textarea>' in report_form
    assert f'name="lon" inputmode="decimal" value="{point["lon"]}"' in report_form
    assert '<input type="hidden" name="photo_id"' in report_form
    assert "autofocus" not in again
    # Reported again: the return reason is the last return's, not one to act on now.
    photo = {"photos": ("p.png", png(), "image/png")}
    assert post(api, f"/tasks/{task.id}/report", form, files=photo).status_code == 303
    reported = api.get(f"/tasks/{task.id}", headers=HTML).text
    assert "<th>上次退回理由</th>" in reported
    assert "<th>退回理由</th>" not in reported


def test_the_checklist_and_a_raised_case_from_the_page(api: Api, session: Session, clock: FrozenClock) -> None:
    task = claimed_by_gridhead(api, session, clock)
    page = api.get(f"/tasks/{task.id}?matter=road_safety_hazard", headers=HTML)
    assert 'id="raise-case"' in page.text
    assert 'name="attr.hazard_type"' in page.text
    # The matter is chosen inside the report form; its fields come alone, to be put in place (htmx).
    fields = api.get(f"/tasks/{task.id}/raise-case?matter=road_safety_hazard", headers=HTML)
    assert fields.status_code == 200
    assert 'name="attr.hazard_type"' in fields.text
    assert "<html" not in fields.text
    assert 'id="raise-case"' not in api.get(f"/tasks/{task.id}/raise-case?matter=", headers=HTML).text
    # Another's task gives nothing away, not even a form's fields.
    assert (
        api.login("partymember").get(f"/tasks/{task.id}/raise-case?matter=road_safety_hazard", headers=HTML).status_code
        == 404
    )
    api.login("gridhead")
    point = point_in(session, task.division_code)
    form = {
        "text": "发现倒树",
        "lon": str(point["lon"]),
        "lat": str(point["lat"]),
        "matter": "road_safety_hazard",
        "description": "大树倒伏",
        "attr.hazard_type": "obstruction",
        "attr.road_name": "湖镇大道",
        "attr.lanes_blocked": "full",
    }
    sent = post(api, f"/tasks/{task.id}/report", form, files={"photos": ("p.png", png(), "image/png")})
    assert sent.status_code == 303, sent.text
    detail = api.get(f"/api/v1/tasks/{task.id}").json()
    assert detail["case_id"] is not None
    assert detail["case_number"].startswith("ZL")
    # The case raised is named by its number (ZL…), as everywhere, not by the row's id.
    link = f'<a href="/cases/{detail["case_id"]}" id="case-link">{detail["case_number"]}</a>'
    assert link in api.get(f"/tasks/{task.id}", headers=HTML).text


def test_the_campaigns_likeliest_matters_are_offered_first(api: Api, session: Session, clock: FrozenClock) -> None:
    # A typhoon patrol finds fallen trees and unsafe houses: those matters head 同时上报问题, the rest follow.
    task = claimed_by_gridhead(api, session, clock)
    assert api.get(f"/api/v1/tasks/{task.id}").json()["matters"] == ["road_safety_hazard", "rural_housing"]
    page = api.get(f"/tasks/{task.id}", headers=HTML).text
    select_ = page.split('id="raise-matter"', 1)[1].split("</select>", 1)[0]
    fitting, other = select_.split('<optgroup label="其他事项">')
    assert '<optgroup label="本次任务常见问题">' in fitting
    assert re.findall(r'<option value="(\w+)"', fitting) == ["road_safety_hazard", "rural_housing"]
    rest = re.findall(r'<option value="(\w+)"', other)
    assert len(rest) == 15
    assert "illegal_parking" in rest
    assert "road_safety_hazard" not in rest
    english = api.get(f"/tasks/{task.id}?lang=en", headers=HTML).text
    assert '<optgroup label="Likely in this campaign">' in english


def test_a_campaign_naming_no_matter_offers_the_catalog_in_one_list() -> None:
    catalog = [_summary("illegal_parking"), _summary("road_safety_hazard")]
    assert task_pages._matter_groups(catalog, []) == [(None, catalog)]
    assert task_pages._matter_groups(catalog, ["no_longer_in_the_catalog"]) == [(None, catalog)]
    assert task_pages._matter_groups(catalog, ["road_safety_hazard"]) == [
        ("tasks.raise_case.fitting", [catalog[1]]),
        ("tasks.raise_case.other", [catalog[0]]),
    ]
    every = ["road_safety_hazard", "illegal_parking"]  # no empty 其他事项 when the campaign names them all
    assert task_pages._matter_groups(catalog, every) == [("tasks.raise_case.fitting", [catalog[1], catalog[0]])]


def _summary(code: str) -> MatterSummary:
    return MatterSummary(
        code=code,
        name_zh=code,
        name_en=code,
        lead_kind="traffic_police",
        collaborator_kinds=[],
        handling_level="county",
        urgent=False,
        is_default_assignment=True,
        version=1,
        version_id=1,
    )


def test_a_case_raised_without_a_location_is_told_why_by_the_location(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    task = claimed_by_gridhead(api, session, clock)
    form = {"text": "大树倒伏", "matter": "road_safety_hazard", "description": "大树倒伏"}
    shown = post(api, f"/tasks/{task.id}/report", form, files={"photos": ("p.png", png(), "image/png")})
    assert shown.status_code == 422
    assert 'data-field="point">同时上报问题须有定位' in shown.text  # beside the location, not 填写有误


def test_a_raised_cases_time_is_picked_in_local_time(api: Api, session: Session, clock: FrozenClock) -> None:
    # 发现时间 on the phone: a date-and-time picker read as Quzhou time, as on the 上报 form, not a box to type ISO in.
    task = claimed_by_gridhead(api, session, clock)
    fields = api.get(f"/tasks/{task.id}/raise-case?matter=illegal_parking", headers=HTML).text
    assert 'type="datetime-local" name="attr.seen_at"' in fields
    point = point_in(session, task.division_code)
    form = {
        "text": "巡查发现违停",
        "lon": str(point["lon"]),
        "lat": str(point["lat"]),
        "matter": "illegal_parking",
        "description": "巡查时发现违停",
        "attr.plate_number": "浙H54321",
        "attr.vehicle_type": "car",
        "attr.parked_on": "pavement",
        "attr.seen_at": "2026-12-02T18:10",
    }
    sent = post(api, f"/tasks/{task.id}/report", form, files={"photos": ("p.png", png(), "image/png")})
    assert sent.status_code == 303, sent.text
    case = api.get(f"/api/v1/cases/{api.get(f'/api/v1/tasks/{task.id}').json()['case_id']}").json()
    assert case["attributes"]["seen_at"] == "2026-12-02T18:10:00+08:00"


def test_the_team_leaders_checklist_is_answered_on_the_page(api: Api, session: Session, clock: FrozenClock) -> None:
    leader_village = task_of(
        session, dispatch_typhoon(session, clock, divisions=[_leader_village(session)]), "teamleader"
    )
    api.login("teamleader")
    post(api, f"/tasks/{leader_village.id}/claim")
    page = api.get(f"/tasks/{leader_village.id}", headers=HTML).text
    assert 'name="check.2"' in page
    partial = post(api, f"/tasks/{leader_village.id}/report", {"text": "已部署", "check.0": "yes", "check.1": "no"})
    assert partial.status_code == 422
    assert "body.checklist" not in partial.text
    # The one unanswered item is told beside that item, in words saying what to do; the others are not.
    assert partial.text.count("请选择此项是否已落实") == 1
    assert 'data-field="checklist:防汛物资已到位"' in partial.text
    assert 'data-field="checklist"' not in partial.text
    assert "填写有误" not in partial.text
    assert 'name="check.0" value="yes" required checked' in partial.text  # the answers given are kept
    done = post(
        api,
        f"/tasks/{leader_village.id}/report",
        {"text": "已部署", "check.0": "yes", "check.1": "no", "check.2": "yes"},
    )
    assert done.status_code == 303
    stored = api.get(f"/api/v1/tasks/{leader_village.id}").json()["report_checklist"]
    assert stored == {"村两委已部署": True, "危房人员已转移": False, "防汛物资已到位": True}
    english = api.get(f"/tasks/{leader_village.id}?lang=en", headers=HTML).text  # the template's English items
    assert "People moved out of unsafe houses: Not done" in english.split('id="the-report"', 1)[1]
    assert "危房人员已转移" not in english


def _leader_village(session: Session) -> str:
    return post_of(session, "teamleader", "team_leader").division_code


def test_the_pages_speak_english(api: Api, session: Session, clock: FrozenClock) -> None:
    task = task_of(session, dispatch_typhoon(session, clock), "partymember")
    api.login("partymember")
    page = api.get("/tasks?lang=en", headers=HTML).text
    assert "My tasks" in page
    assert ">Claim<" in page
    english = api.get(f"/tasks/{task.id}?lang=en", headers=HTML).text
    assert "Party member: visit the linked households" in english
    assert "Remind each linked household to shut doors and windows" in english  # the template's own English
    assert "逐户提醒" not in english
    assert "逐户提醒所联系家庭关好门窗" in api.get(f"/tasks/{task.id}?lang=zh", headers=HTML).text
    # The task's notices are titled in the reader's language: the new task, then its report's to the grid head.
    title = "Typhoon prevention: Party member: visit the linked households"
    inbox = api.get("/inbox?lang=en", headers=HTML).text
    assert title in inbox
    assert "Remind each linked household" in inbox  # the instructions in the notice's body too
    assert "防台风：联户党员：走访联系户" in api.get("/inbox?lang=zh", headers=HTML).text
    post(api, f"/tasks/{task.id}/claim")
    point = point_in(session, task.division_code)
    post(api, f"/tasks/{task.id}/report", {"text": "已走访", "lon": str(point["lon"]), "lat": str(point["lat"])})
    api.login("gridhead")
    assert (
        "Report to verify: Typhoon prevention · Party member: visit the linked households"
        in api.get("/inbox?lang=en", headers=HTML).text
    )


def test_someone_elses_task_page_is_not_found(api: Api, session: Session, clock: FrozenClock) -> None:
    task = task_of(session, dispatch_typhoon(session, clock), "gridhead")
    api.login("partymember")
    assert api.get(f"/tasks/{task.id}", headers=HTML).status_code == 404
    assert post(api, f"/tasks/{task.id}/claim").status_code == 404


def test_a_supervisors_late_notice_leads_to_the_people_late(api: Api, session: Session, clock: FrozenClock) -> None:
    """网格长 told '以下 N 人未按时领办' follows the letter's link (`sweep_letters`) to those people's tasks."""
    campaign = dispatch_typhoon(session, clock)
    late = task_of(session, campaign, "partymember")
    own = task_of(session, campaign, "gridhead")
    clock.advance(late.claim_due_at - clock.now() + timedelta(minutes=5))
    api.login("gridhead")
    listed = api.get(f"/tasks?view=above&campaign={campaign.id}&unclaimed=true&overdue=true", headers=HTML)
    assert listed.status_code == 200
    assert f"/tasks/{late.id}" in listed.text  # the party member late to claim, in the grid head's list
    assert f"/tasks/{own.id}" not in listed.text  # not the grid head's own task
    assert "<h1>下级任务</h1>" in listed.text  # the people overseen, named as such (not 我的任务, not 待我核验)
    # The late person's task offers a call, to urge them (督促); their own page shows no number.
    assert 'href="tel:' in api.get(f"/tasks/{late.id}", headers=HTML).text
    api.login("partymember")
    assert 'href="tel:' not in api.get(f"/tasks/{late.id}", headers=HTML).text


def test_a_chosen_matter_left_blank_refuses_the_report_with_every_reason_by_its_input(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    # 发现险情 chosen, then sent without its description or required fields: no case dropped unsaid.
    task = claimed_by_gridhead(api, session, clock)
    point = point_in(session, task.division_code)
    form = {"lon": str(point["lon"]), "lat": str(point["lat"]), "matter": "road_safety_hazard", "description": ""}
    form |= {"attr.hazard_type": "", "attr.road_name": ""}
    shown = post(api, f"/tasks/{task.id}/report", form, files={"photos": ("p.png", png(), "image/png")})
    assert shown.status_code == 422
    # The blank description, the missing text and each required field of the case, in one refusal, each
    # beside its input and said as 请填写此项 (not a general 填写有误).
    for field in ("description", "text", "attr.hazard_type", "attr.road_name", "attr.lanes_blocked"):
        assert f'data-field="{field}">请填写此项' in shown.text, field
    assert state(api, task) == "claimed"


def test_a_refused_photo_comes_with_the_reports_other_reasons(api: Api, session: Session, clock: FrozenClock) -> None:
    task = claimed_by_gridhead(api, session, clock)
    not_a_photo = {"photos": ("p.png", b"not a photo", "image/png")}
    shown = post(api, f"/tasks/{task.id}/report", {"text": "", "lon": "118.9"}, files=not_a_photo)
    assert shown.status_code in {413, 415, 422}
    # The photo's reason, the missing text and the half GPS fix in the same answer: one more try, not three.
    for field in ("photos", "text", "lat"):
        assert f'data-field="{field}"' in shown.text, field
    assert shown.text.count('data-field="photos"') == 1
    assert state(api, task) == "claimed"


def test_a_refused_report_keeps_every_box_ticked_of_the_raised_case(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    task = claimed_by_gridhead(api, session, clock)
    form: dict[str, Any] = {"text": "", "matter": "unlicensed_business", "description": "无证作坊"}
    form["attr.missing_permits"] = ["business_licence", "fire_safety"]
    shown = post(api, f"/tasks/{task.id}/report", form)
    assert shown.status_code == 422
    for permit in ("business_licence", "fire_safety"):
        assert f'name="attr.missing_permits" value="{permit}" checked' in shown.text, permit
    assert 'name="attr.missing_permits" value="environmental" checked' not in shown.text


def test_opening_a_task_marks_the_viewers_notices_about_it_read(api: Api, session: Session, clock: FrozenClock) -> None:
    # Acting from the task list rather than from the notice still clears it: the task was seen.
    campaign = dispatch_typhoon(session, clock)
    task = task_of(session, campaign, "partymember")

    def unread(subject: str) -> int:
        items = api.get("/api/v1/inbox", params={"limit": 200}).json()["items"]
        return sum(1 for i in items if i["subject"] == subject and i["read_at"] is None)

    api.login("partymember")
    assert unread(f"campaign:{campaign.id}") == 1  # the dispatch: 您有一项新任务
    declined = post(api, f"/tasks/{task.id}/decline", {"reason": "本人住院"})
    assert declined.status_code == 303
    api.login("gridhead")  # heads the party member's grid: told of the decline, about this one task
    assert unread(f"campaign-task:{task.id}") == 1
    assert unread(f"campaign:{campaign.id}") == 1  # their own task's dispatch
    assert api.get(f"/tasks/{task.id}", headers=HTML).status_code == 200
    assert unread(f"campaign-task:{task.id}") == 0
    assert unread(f"campaign:{campaign.id}") == 1  # not their task: its campaign's other notices stay
    own = task_of(session, campaign, "gridhead")
    assert api.get(f"/tasks/{own.id}", headers=HTML).status_code == 200
    assert unread(f"campaign:{campaign.id}") == 0
    api.login("partymember")  # declined from the list, never opened: the dispatch is still unread
    assert unread(f"campaign:{campaign.id}") == 1
    assert api.get(f"/tasks/{task.id}", headers=HTML).status_code == 200
    assert unread(f"campaign:{campaign.id}") == 0
    api.login("kc-centre")  # a task outside one's scope marks nothing (and is 404)
    assert api.get(f"/tasks/{task.id}", headers=HTML).status_code == 404


def test_a_report_without_its_photo_or_place_says_what_to_do_by_each(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    # Not 请填写此项 under a photo or a button: what to do there (upload, tap 使用定位).
    task = claimed_by_gridhead(api, session, clock)
    shown = post(api, f"/tasks/{task.id}/report", {"text": "巡查完毕"})
    assert shown.status_code == 422
    text = html.unescape(shown.text)
    assert "请至少上传一张现场照片" in text
    assert "请点击“使用定位”记录当前位置" in text
    assert "巡查完毕" in text
