"""Command groups over HTTP: the API (problems, idempotency, scope) and the pages' forms (input kept, errors shown)."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.cases.test_flow import PNG
from tests.command_groups.helpers import actor_name, fushan, inbox_links, open_fushan_group, person
from tests.conftest import Api
from zhili.campaigns.models import Campaign
from zhili.cases.models import Case
from zhili.command_groups.models import CommandGroup
from zhili.core.clock import FrozenClock
from zhili.core.local_time import to_local
from zhili.org.models import Department, Position

HUZHEN = "330825101"


def test_the_api_opens_a_group_once_under_one_key_and_answers_in_problems(api: Api, session: Session) -> None:
    api.login("kc-centre")
    body = {
        "title": "府山街道燃气泄漏处置指挥组",
        "summary": "居民楼燃气泄漏",
        "area": fushan(session),
        "members": [{"person_id": person(session, "fushan"), "role": "deputy"}],
    }
    first = api.send("POST", "/api/v1/groups", json=body, headers={"Idempotency-Key": "gas-1"})
    again = api.send("POST", "/api/v1/groups", json=body, headers={"Idempotency-Key": "gas-1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.headers["Location"] == f"/api/v1/groups/{first.json()['id']}"
    assert {m["role"] for m in first.json()["members_list"]} == {"commander", "deputy"}
    refused = api.send("POST", "/api/v1/groups", json={**body, "area": "9"})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    api.login("admin")  # reaches every area: a well-formed code of no division is refused by the field, not a 500
    commander = [{"person_id": person(session, "fushan"), "role": "commander"}]
    nowhere = api.send("POST", "/api/v1/groups", json={**body, "area": "330802999", "members": commander})
    assert nowhere.status_code == 422, nowhere.text
    assert [error["field"] for error in nowhere.json()["errors"]] == ["area"]
    api.login("kc-centre")
    late = api.send(
        "POST",
        f"/api/v1/groups/{first.json()['id']}/instructions",
        json={"body": "疏散", "deadline_at": "2020-01-01T00:00:00+08:00", "person_ids": [person(session, "fushan")]},
    )
    assert late.status_code == 422
    assert late.json()["errors"][0]["field"] == "deadline"


def test_the_api_keeps_a_group_from_those_outside_it(api: Api, session: Session, clock: FrozenClock) -> None:
    group_id = open_fushan_group(session, clock)
    api.login("ly-centre")
    assert api.get(f"/api/v1/groups/{group_id}").status_code == 404
    assert api.get(f"/api/v1/groups/{group_id}/timeline").status_code == 404
    assert api.send("POST", f"/api/v1/groups/{group_id}/posts", json={"body": "hi"}).status_code == 404
    assert group_id not in {g["id"] for g in api.get("/api/v1/groups").json()}
    api.login("gridworker")
    assert (
        api.send("POST", f"/api/v1/groups/{group_id}/state", json={"action": "close", "note": "x"}).status_code == 403
    )
    assert api.send("POST", "/api/v1/groups", json={"title": "x", "area": fushan(session)}).status_code == 403
    posted = api.send(
        "POST", f"/api/v1/groups/{group_id}/posts", json={"body": "到达现场", "lon": 118.87, "lat": 28.94}
    )
    assert posted.status_code == 201
    lines = api.get(f"/api/v1/groups/{group_id}/timeline?after={posted.json()['id'] - 1}").json()
    assert [(e["kind"], e["body"]) for e in lines] == [("message", "到达现场")]


def test_a_gridworker_answers_an_instruction_from_the_page_told_by_the_inbox(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    group_id = open_fushan_group(session, clock)
    api.login("kc-centre")
    deadline = to_local(clock.now() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    refused = api.send(
        "POST",
        f"/groups/{group_id}/instructions",
        data={"body": "巡查积水点", "deadline": "", "person": str(person(session, "gridworker"))},
    )
    assert refused.status_code == 422
    assert 'id="error-instruct-deadline"' in refused.text
    assert "巡查积水点" in refused.text  # the input is kept
    done = api.send(
        "POST",
        f"/groups/{group_id}/instructions",
        data={"body": "巡查积水点", "deadline": deadline, "person": str(person(session, "gridworker"))},
        follow_redirects=False,
    )
    assert done.status_code == 303
    link = inbox_links(session, "gridworker")[-1]
    api.login("gridworker")
    page = api.get(link)
    assert page.status_code == 200
    assert 'id="my-instructions"' in page.text
    instruction_id = int(page.text.split('id="instruction-', 1)[1].split('"', 1)[0])
    empty = api.send("POST", f"/groups/{group_id}/instructions/{instruction_id}", data={"to": "done", "reply": ""})
    assert empty.status_code == 422
    assert f'id="error-answer-{instruction_id}-reply"' in empty.text
    answered = api.send(
        "POST",
        f"/groups/{group_id}/instructions/{instruction_id}",
        data={"to": "done", "reply": "3处积水已排除"},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    after = api.get(f"/groups/{group_id}").text
    assert "3处积水已排除" in after
    mine = after.split('id="my-instructions"', 1)[1].split("</h2>", 1)[0]
    assert "下达给我的指令" in mine  # a done one is listed, so the heading does not say it is waiting
    assert "待我" not in mine


def test_the_centre_opens_a_group_from_a_form_that_keeps_its_input(api: Api, session: Session) -> None:
    api.login("kc-centre")
    form = api.get("/groups/new")
    assert form.status_code == 200
    assert "府山街道" in form.text
    found = api.get("/groups/people?q=" + api.get("/api/v1/me").json()["display_name"][:1])
    assert found.status_code == 200
    refused = api.send("POST", "/groups", data={"title": "", "summary": "山体滑坡", "area": fushan(session)})
    assert refused.status_code == 422
    assert 'id="error-title"' in refused.text
    assert "山体滑坡" in refused.text
    opened = api.send(
        "POST",
        "/groups",
        data={
            "title": "府山街道山体滑坡处置指挥组",
            "summary": "山体滑坡",
            "area": fushan(session),
            "member": str(person(session, "gridworker")),
            f"role-{person(session, 'gridworker')}": "liaison",
        },
        follow_redirects=False,
    )
    assert opened.status_code == 303
    page = api.get(opened.headers["location"])
    assert "府山街道山体滑坡处置指挥组" in page.text
    assert "联络员" in page.text
    assert 'id="state-form"' in page.text
    assert "/groups" in api.get("/").text  # the menu names 指挥组
    listing = api.get("/groups")
    assert "府山街道山体滑坡处置指挥组" in listing.text


def test_closing_from_the_page_needs_a_summary_and_then_shows_the_report(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    group_id = open_fushan_group(session, clock)
    api.login("kc-centre")
    deadline = to_local(clock.now() + timedelta(days=1)).isoformat()
    body = {"body": "疏散", "deadline_at": deadline, "person_ids": [person(session, "fushan")]}
    assert api.send("POST", f"/api/v1/groups/{group_id}/instructions", json=body).status_code == 201
    open_item = api.get("/groups").text.split(f'href="/groups/{group_id}"', 1)[1].split("</li>", 1)[0]
    assert "未办结指令 1" in open_item
    refused = api.send("POST", f"/groups/{group_id}/state", data={"action": "close", "note": ""})
    assert refused.status_code == 422
    assert 'id="error-state-note"' in refused.text
    closed = api.send(
        "POST", f"/groups/{group_id}/state", data={"action": "close", "note": "险情解除"}, follow_redirects=False
    )
    assert closed.status_code == 303
    # A closed group's unanswered instructions are history (its report counts them), not open work in the list.
    closed_item = api.get("/groups").text.split(f'href="/groups/{group_id}"', 1)[1].split("</li>", 1)[0]
    assert "未办结指令" not in closed_item
    report = api.get(f"/groups/{group_id}/report")
    assert report.status_code == 200
    assert "险情解除" in report.text
    assert "指挥长" in report.text
    assert '<table class="data" id="report-instruction-table">' in report.text  # styled like every desk table
    english = api.get(f"/groups/{group_id}/report?lang=en").text
    assert "（" not in english.split('id="closure-report"', 1)[1].split("</dl>", 1)[0]  # English brackets in English
    assert "Photos 0 · Places 0" in english  # counts, in the plural
    timeline = api.get(f"/groups/{group_id}?lang=en").text
    assert "(Member)" in timeline
    assert "（Member）" not in timeline
    api.login("gridworker")
    again = api.send("POST", f"/groups/{group_id}/posts", data={"body": "还在吗"})
    assert again.status_code == 409
    assert 'id="group-note"' in again.text


def test_a_group_opens_from_a_case_or_a_campaign_the_opener_sees(api: Api, session: Session) -> None:
    area = fushan(session)
    no_group = ~select(CommandGroup.id).where(CommandGroup.origin_case_id == Case.id).exists()
    newest = select(Case.id).where(Case.place_code.startswith(area), no_group).order_by(Case.id.desc()).limit(1)
    case_id = session.scalar(newest)  # a case no group was opened from: its card offers to open one
    campaign_id = session.scalar(select(Campaign.id).where(Campaign.owner_division.startswith("330802")).limit(1))
    assert case_id is not None
    assert campaign_id is not None
    api.login("kc-centre")
    assert 'id="open-group-link"' in api.get(f"/cases/{case_id}").text
    assert 'id="open-group-link"' in api.get(f"/campaigns/{campaign_id}").text
    from_case = api.get(f"/groups/new?case={case_id}")
    assert from_case.status_code == 200
    assert f'name="case" value="{case_id}"' in from_case.text
    from_campaign = api.get(f"/groups/new?campaign={campaign_id}")
    assert f'name="campaign" value="{campaign_id}"' in from_campaign.text
    opened = api.send(
        "POST",
        "/groups",
        data={"title": "高温防御指挥组", "area": "330802", "campaign": str(campaign_id)},
        follow_redirects=False,
    )
    assert opened.status_code == 303
    assert f'href="/campaigns/{campaign_id}"' in api.get(opened.headers["location"]).text
    api.login("ly-centre")
    assert api.get(f"/groups/new?case={case_id}").status_code == 404
    assert api.get(f"/groups/new?campaign={campaign_id}").status_code == 404
    api.login("gridworker")
    assert 'id="open-group-link"' not in api.get(f"/cases/{case_id}").text


def test_a_member_posts_a_photo_that_only_those_who_see_the_group_fetch(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    group_id = open_fushan_group(session, clock)
    api.login("gridworker")
    refused = api.send(
        "POST", f"/api/v1/groups/{group_id}/photos", files={"photo": ("x.png", b"not an image", "image/png")}
    )
    assert refused.status_code == 415
    posted = api.send(
        "POST",
        f"/api/v1/groups/{group_id}/photos",
        files={"photo": ("p.png", PNG, "image/png")},
        data={"body": "积水现场"},
    )
    assert posted.status_code == 201
    line = api.get(f"/api/v1/groups/{group_id}/timeline?after={posted.json()['id'] - 1}").json()[0]
    assert line["body"] == "积水现场"
    photo = f"/api/v1/groups/{group_id}/photos/{line['photo_id']}"
    assert api.get(photo).content == PNG
    assert api.get(f"/groups/{group_id}/photos/{line['photo_id']}").status_code == 200
    api.login("ly-centre")
    assert api.get(photo).status_code == 404


def test_a_refused_post_keeps_its_photo_and_sends_it_with_the_form_again(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    group_id = open_fushan_group(session, clock)
    api.login("gridworker")
    url = f"/groups/{group_id}/posts"
    refused = api.send("POST", url, data={"body": "长" * 2001}, files={"photo": ("p.png", PNG, "image/png")})
    assert refused.status_code == 422
    kept = refused.text.split('id="post-form"', 1)[1].split("</form>", 1)[0]
    assert "内容不超过2000字" in kept
    assert 'id="kept-photos"' in kept
    assert '<img src="data:image/jpeg;base64,' in kept
    parts = re.findall(r'<input type="hidden" name="kept_photo\.0" value="([^"]+)">', kept)
    assert base64.b64decode("".join(parts)) == PNG
    before = api.get(f"/api/v1/groups/{group_id}/timeline").json()[-1]["id"]
    sent = api.send(
        "POST", url, data={"body": "积水现场", "kept_photo.0": parts}, follow_redirects=False
    )  # the page sends the kept photo back with the corrected text: no file chosen again
    assert sent.status_code == 303, sent.text
    line = api.get(f"/api/v1/groups/{group_id}/timeline?after={before}").json()[0]
    assert line["body"] == "积水现场"
    assert api.get(f"/api/v1/groups/{group_id}/photos/{line['photo_id']}").content == PNG
    removed = api.send(
        "POST", url, data={"body": "已清理", "kept_photo.0": parts, "kept_photo_removed": "0"}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert api.get(f"/api/v1/groups/{group_id}/timeline?after={line['id']}").json()[0]["photo_id"] is None
    tampered = api.send("POST", url, data={"body": "x", "kept_photo.0": "bm90IGEgcGhvdG8="})
    assert tampered.status_code == 422  # a kept photo is checked again like any upload
    assert "照片须为JPEG、PNG或WebP格式" in tampered.text.split('id="post-form"', 1)[1]


def test_a_refused_form_shows_only_people_the_opener_sees_and_bad_ids_are_no_500(api: Api, session: Session) -> None:
    stranger = person(session, "qj-hrss")  # 衢江区: outside 柯城区's centre
    api.login("kc-centre")
    refused = api.send(
        "POST",
        "/groups",
        data={"title": "", "area": fushan(session), "member": [str(stranger), "²", "99999999999999999999"]},
    )
    assert refused.status_code == 422
    assert actor_name(session, "qj-hrss") not in refused.text
    for unit in ("²", "99999999999999999999", "-1"):
        group = api.send(
            "POST", "/groups", data={"title": "测试", "area": fushan(session), "case": unit}, follow_redirects=False
        )
        assert group.status_code in {303, 422}
    opened = api.send("POST", "/api/v1/groups", json={"title": "测试", "area": fushan(session)}).json()["id"]
    for unit in ("²", "99999999999999999999"):
        answer = api.send(
            "POST",
            f"/groups/{opened}/instructions",
            data={"body": "x", "deadline": "2030-01-01T10:00", "unit": unit, "person": unit},
        )
        assert answer.status_code == 422
    far = api.send(
        "POST",
        f"/api/v1/groups/{opened}/instructions",
        json={"body": "x", "deadline_at": "9999-12-31T23:00:00-05:00", "person_ids": [1]},
    )
    assert far.status_code == 422
    huge = api.send("POST", "/groups", data={"title": "测试", "area": fushan(session), "summary": "长" * 5000})
    assert huge.status_code == 422


def test_the_poller_reloads_a_page_whose_group_changed(api: Api, session: Session, clock: FrozenClock) -> None:
    group_id = open_fushan_group(session, clock)
    api.login("kc-centre")
    same = api.get(f"/groups/{group_id}/timeline?after=0&state=active")
    assert same.status_code == 200
    assert "HX-Refresh" not in same.headers
    api.send("POST", f"/groups/{group_id}/state", data={"action": "stabilise", "note": "稳住了"})
    changed = api.get(f"/groups/{group_id}/timeline?after=0&state=active")
    assert changed.headers.get("HX-Refresh") == "true"


def test_a_township_room_calls_in_the_county_units_but_not_other_townships_or_counties(
    api: Api, session: Session
) -> None:
    # 街乡吹哨，部门报到: 府山街道's room finds and pulls in 柯城区's traffic police; 衢江区's labour unit stays out.
    api.login("fushan")
    traffic, stranger = actor_name(session, "kc-traffic"), actor_name(session, "qj-hrss")
    assert traffic in api.get("/groups/people", params={"q": traffic}).text
    assert stranger not in api.get("/groups/people", params={"q": stranger}).text
    ticked = api.get("/groups/people", params={"q": stranger, "member": str(person(session, "kc-traffic"))})
    assert ticked.status_code == 200  # the officer ticked stays ticked while the search goes on
    assert traffic in ticked.text
    opened = api.send("POST", "/api/v1/groups", json={"title": "暴雨积水", "area": fushan(session)})
    assert opened.status_code == 201, opened.text
    group = opened.json()["id"]
    called = api.send(
        "POST", f"/api/v1/groups/{group}/members", json={"members": [{"person_id": person(session, "kc-traffic")}]}
    )
    assert called.status_code == 201, called.text
    assert called.json()["added"] == [person(session, "kc-traffic")]
    refused = api.send(
        "POST", f"/api/v1/groups/{group}/members", json={"members": [{"person_id": person(session, "qj-hrss")}]}
    )
    assert refused.status_code == 404


def test_a_refused_form_on_a_group_page_opens_at_its_reason(api: Api, session: Session, clock: FrozenClock) -> None:
    """On a phone the timeline's form is far down the page: the refused page focuses its reason, the input kept."""
    group_id = open_fushan_group(session, clock)
    api.login("kc-centre")
    refused = api.send("POST", f"/groups/{group_id}/posts", data={"body": "现场积水已退", "lon": "118.87", "lat": ""})
    assert refused.status_code == 422
    assert '<p class="field-error" role="alert" id="error-post-lon" tabindex="-1" autofocus data-first>' in refused.text
    assert refused.text.count("autofocus") == 1
    assert "现场积水已退" in refused.text
    fine = api.get(f"/groups/{group_id}")
    assert "autofocus" not in fine.text


def test_an_empty_instruction_form_names_every_missing_input_at_once(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    """下达指令 with nothing filled in: the words, the deadline and the addressees are each told by their input."""
    group_id = open_fushan_group(session, clock)
    api.login("kc-centre")
    refused = api.send("POST", f"/groups/{group_id}/instructions", data={"body": "", "deadline": "", "unit": ""})
    assert refused.status_code == 422
    for field in ("body", "deadline", "people"):
        assert f'id="error-instruct-{field}"' in refused.text, field
    api_refused = api.send(
        "POST",
        f"/api/v1/groups/{group_id}/instructions",
        json={"body": "巡查", "deadline_at": to_local(clock.now() - timedelta(hours=1)).isoformat(), "person_ids": []},
    )
    assert api_refused.status_code == 422
    assert [e["field"] for e in api_refused.json()["errors"]] == ["deadline", "people"]


def test_an_instruction_past_its_deadline_says_so_in_words(api: Api, session: Session, clock: FrozenClock) -> None:
    """The member's overdue instruction reads 超期 beside its deadline, not only in red."""
    group_id = open_fushan_group(session, clock)
    api.login("kc-centre")
    deadline = to_local(clock.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    issued = api.send(
        "POST",
        f"/groups/{group_id}/instructions",
        data={"body": "排查地下车库", "deadline": deadline, "person": str(person(session, "gridworker"))},
        follow_redirects=False,
    )
    assert issued.status_code == 303
    api.login("gridworker")
    page = api.get(f"/groups/{group_id}").text
    instruction_id = int(page.split('id="instruction-', 1)[1].split('"', 1)[0])
    assert f'id="late-{instruction_id}"' not in page
    clock.advance(timedelta(hours=2))
    late = api.get(f"/groups/{group_id}").text
    assert f'<strong class="late" id="late-{instruction_id}">超期</strong>' in late
    summary = late.split('id="instructions"', 1)[1].split("</summary>", 1)[0]
    assert '<strong class="late" data-late-count="1">超期 1</strong>' in summary  # seen folded too


def test_an_instruction_is_done_with_a_photo_and_the_place_which_its_issuer_is_told_of(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    """办结 shows the scene: the photo and place go on the timeline with the answer; a refusal keeps them."""
    group_id = open_fushan_group(session, clock)
    api.login("kc-centre")
    deadline = to_local(clock.now() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    data = {"body": "清理下水道口", "deadline": deadline, "person": str(person(session, "gridworker"))}
    assert api.send("POST", f"/groups/{group_id}/instructions", data=data, follow_redirects=False).status_code == 303
    api.login("gridworker")
    page = api.get(inbox_links(session, "gridworker")[-1]).text
    instruction_id = int(page.split('id="instruction-', 1)[1].split('"', 1)[0])
    url = f"/groups/{group_id}/instructions/{instruction_id}"
    assert 'enctype="multipart/form-data"' in page.split(f'action="{url}"', 1)[1].split(">", 1)[0]
    # a place half given is refused by the field, the reply and the photo kept for the next try
    refused = api.send(
        "POST",
        url,
        data={"to": "done", "reply": "已疏通", "lon": "118.87"},
        files={"photo": ("p.png", PNG, "image/png")},
    )
    assert refused.status_code == 422
    form = refused.text.split(f'action="{url}"', 1)[1].split("</form>", 1)[0]
    assert "已疏通" in form
    assert 'id="kept-photos"' in form
    parts = re.findall(r'<input type="hidden" name="kept_photo\.0" value="([^"]+)">', form)
    before = api.get(f"/api/v1/groups/{group_id}/timeline").json()[-1]["id"]
    done = api.send(
        "POST",
        url,
        data={"to": "done", "reply": "已疏通", "lon": "118.87", "lat": "28.94", "kept_photo.0": parts},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    (line,) = [e for e in api.get(f"/api/v1/groups/{group_id}/timeline?after={before}").json() if e["kind"] == "done"]
    assert line["body"] == "已疏通"
    assert api.get(f"/api/v1/groups/{group_id}/photos/{line['photo_id']}").content == PNG
    assert (line["lon"], line["lat"]) == (118.87, 28.94)
    shown = api.get(f"/groups/{group_id}").text.split(f'id="entry-{line["id"]}"', 1)[1].split("</li>", 1)[0]
    assert f"/groups/{group_id}/photos/{line['photo_id']}" in shown
    # the issuer's notice says the photo and the place are there, and leads to the timeline
    issuer = api.login("kc-centre").get("/api/v1/inbox", params={"limit": 50}).json()["items"]
    (notice,) = [i for i in issuer if i["topic"] == "command_group.instruction_done" and "已疏通" in i["body"]]
    assert "附现场照片" in notice["body"]
    assert "附办结位置" in notice["body"]
    assert notice["link"].endswith(f"#entry-{line['id']}")  # the 办结 line itself, its photo and place


def test_the_api_answers_an_instruction_with_a_photo_and_the_place_in_one_request(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    """办结 over the API as from the page: the photo and place on the 办结 line itself, not a separate post."""
    group_id = open_fushan_group(session, clock)
    api.login("kc-centre")
    body = {"body": "排查积水点", "deadline_at": (clock.now() + timedelta(hours=3)).isoformat()}
    worker = person(session, "gridworker")
    issued = api.send("POST", f"/api/v1/groups/{group_id}/instructions", json={**body, "person_ids": [worker]})
    assert issued.status_code == 201, issued.text
    url = f"/api/v1/groups/instructions/{issued.json()['id']}/done"
    api.login("gridworker")
    bad = api.send("POST", url, data={"reply": "已排查"}, files={"photo": ("x.png", b"not an image", "image/png")})
    assert bad.status_code == 415
    half = api.send("POST", url, data={"reply": "已排查", "lon": "118.87"})
    assert half.status_code == 422
    assert half.json()["errors"][0]["field"] == "body.lat"
    empty = api.send("POST", url, data={"reply": "  "})
    assert empty.status_code == 422  # saying what was done is required, as on the page
    before = api.get(f"/api/v1/groups/{group_id}/timeline").json()[-1]["id"]
    files = {"photo": ("p.png", PNG, "image/png")}
    done = api.send("POST", url, data={"reply": "已排查，无积水", "lon": "118.87", "lat": "28.94"}, files=files)
    assert done.status_code == 200, done.text
    assert done.json() == {"state": "done"}
    lines = api.get(f"/api/v1/groups/{group_id}/timeline?after={before}").json()
    assert [line["kind"] for line in lines] == ["done"]  # one line: the answer carries its photo and place
    assert (lines[0]["body"], lines[0]["lon"], lines[0]["lat"]) == ("已排查，无积水", 118.87, 28.94)
    assert api.get(f"/api/v1/groups/{group_id}/photos/{lines[0]['photo_id']}").content == PNG
    again = api.send("POST", url, data={"reply": "已排查，无积水"}, files=files)
    assert again.status_code == 409  # done once; a retry writes nothing more
    assert len(api.get(f"/api/v1/groups/{group_id}/timeline?after={before}").json()) == 1
    # the JSON answer takes a place too
    api.login("kc-centre")
    second = api.send("POST", f"/api/v1/groups/{group_id}/instructions", json={**body, "person_ids": [worker]})
    answer = f"/api/v1/groups/instructions/{second.json()['id']}/answer"
    api.login("gridworker")
    assert api.send("POST", answer, json={"to": "done", "reply": "好", "lat": 28.9}).status_code == 422
    assert api.send("POST", answer, json={"to": "done", "reply": "好", "lon": 118.8, "lat": 28.9}).status_code == 200
    last = api.get(f"/api/v1/groups/{group_id}/timeline").json()[-1]
    assert (last["kind"], last["lon"], last["lat"]) == ("done", 118.8, 28.9)


def test_the_pickers_find_people_by_unit_place_and_role_every_word_counting(api: Api, session: Session) -> None:
    # A command room that does not know names: 湖镇 网格长 finds the township's grid heads, 交警 the traffic police
    # of the units it may call in (the city's and its county's).
    def found(query: str) -> set[int]:
        page = api.get("/groups/people", params={"q": query})
        assert page.status_code == 200
        return {int(pid) for pid in re.findall(r'name="member" value="(\d+)"', page.text)}

    def posts(people: set[int]) -> set[tuple[int, str, str, str | None]]:
        rows = session.execute(
            select(Position.person_id, Position.role, Position.division_code, Department.name)
            .outerjoin(Department, Department.id == Position.department_id)
            .where(Position.person_id.in_(people))
        )
        return {(row[0], row[1], row[2], row[3]) for row in rows}

    api.login("huzhen")
    heads = found("湖镇 网格长")
    assert len(heads) == 20  # a page of them: a narrower search finds the rest
    held = posts(heads)
    assert all(
        any(p == who and role == "grid_head" and code.startswith(HUZHEN) for p, role, code, _unit in held)
        for who in heads
    )
    assert found("湖镇镇 grid head") == heads  # the role's English name, the place's full name
    api.login("fushan")
    officers = found("交警")
    assert officers
    assert all(
        any(p == who and unit and "公安交警大队" in unit for p, _r, _c, unit in posts(officers)) for who in officers
    )
    assert found("龙游 交警") == set()  # another county's officers are out of 府山街道's reach
    traffic = actor_name(session, "kc-traffic")
    assert found(f"{traffic} 交警") == {person(session, "kc-traffic")}
    assert found("交警 无此岗位") == set()


def test_a_groups_own_picker_leaves_out_its_members_and_says_each_post(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    group_id = open_fushan_group(session, clock)
    api.login("kc-centre")
    traffic = actor_name(session, "kc-traffic")
    page = api.get(f"/groups/{group_id}").text
    assert f'hx-get="/groups/people?group={group_id}"' in page
    assert "按姓名、手机号、单位、地方或岗位搜索" in page
    anywhere = api.get("/groups/people", params={"q": traffic}).text
    assert f'value="{person(session, "kc-traffic")}"' in anywhere
    assert "柯城区公安交警大队 · 部门工作人员" in anywhere or "柯城区公安交警大队 · 部门负责人" in anywhere
    inside = api.get("/groups/people", params={"q": traffic, "group": str(group_id)}).text
    assert f'value="{person(session, "kc-traffic")}"' not in inside  # a member already
    many = api.get("/groups/people", params={"q": "网格员"}).text
    assert many.count('name="member"') == 20
    assert 'id="more-found"' in many
    assert 'id="more-found"' not in anywhere
    assert api.login("ly-centre").get("/groups/people", params={"q": "x", "group": str(group_id)}).status_code == 404
