"""The dispatch preview counts what the dispatch sends, per role and level, by tree or by name (SQLite, PostgreSQL)."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.campaigns.models import Campaign, CampaignTask
from zhili.org.models import Division

LONGYOU = "330825"
HUZHEN = "330825101"  # 湖镇镇


def preview(api: Any, **body: Any) -> Any:
    return api.send("POST", "/api/v1/campaigns/preview", json={"template": "typhoon", **body})


def tasks_by_role_and_level(session: Session, campaign_id: int) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(CampaignTask.role, Division.level, func.count())
        .join(Division, Division.code == CampaignTask.division_code)
        .where(CampaignTask.campaign_id == campaign_id)
        .group_by(CampaignTask.role, Division.level)
    )
    return {(role, level): n for role, level, n in rows}


def test_the_preview_counts_equal_the_dispatched_tasks_for_longyou(api: Any, session: Session) -> None:
    api.login("ly-centre")
    shown = preview(api, divisions=[LONGYOU])
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["total"] == 11_124
    assert body["by_role"] == {"team_leader": 263, "grid_head": 561, "party_member": 10_300}
    assert body["by_level"] == {"village": 263, "grid": 561 + 10_300}
    assert body["divisions"] == [{"code": LONGYOU, "name": "龙游县", "level": "county"}]
    sent = api.send("POST", "/api/v1/campaigns", json={"template": "typhoon", "divisions": [LONGYOU]})
    assert sent.status_code == 201, sent.text
    assert sent.json()["recipients"] == body["total"]
    counted = {(c["role"], c["level"]): c["recipients"] for c in body["counts"]}
    assert tasks_by_role_and_level(session, sent.json()["id"]) == counted


def test_a_township_preview_matches_its_dispatch_role_by_role(api: Any, session: Session) -> None:
    api.login("huzhen")
    body = {"divisions": [HUZHEN], "roles": ["grid_head", "party_member"]}
    shown = preview(api, **body).json()
    sent = api.send("POST", "/api/v1/campaigns", json={"template": "typhoon", **body}).json()
    assert sent["recipients"] == shown["total"] > 0
    counted = {(c["role"], c["level"]): c["recipients"] for c in shown["counts"]}
    assert tasks_by_role_and_level(session, sent["id"]) == counted


def test_the_preview_refuses_like_the_dispatch(api: Any) -> None:
    api.login("huzhen")
    assert preview(api, divisions=[LONGYOU]).status_code == 404
    api.login("ly-centre")
    refused = preview(api, divisions=[LONGYOU], roles=["grid_worker"])
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "roles"
    assert preview(api, divisions=["339999"]).status_code == 422


def csrf(api: Any) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', api.get("/campaigns").text)
    assert found is not None
    return found.group(1)


def test_a_name_finds_the_division_and_the_page_previews_then_confirms_once(api: Any, session: Session) -> None:
    api.login("ly-centre")
    token = csrf(api)
    form = {"csrf_token": token, "template": "typhoon", "places": "湖镇", "role": ["grid_head"]}
    page = api.client.post("/campaigns/preview", data=form)
    assert page.status_code == 200, page.text
    assert "湖镇镇" in page.text
    shown = preview(api, divisions=[HUZHEN], roles=["grid_head"]).json()["total"]
    assert f"将派发给 {shown:,} 人" in page.text
    hidden = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text.split('id="confirm-form"')[1])
    confirm = dict(hidden)
    assert confirm["division"] == HUZHEN
    before = session.scalar(select(func.count()).select_from(Campaign)) or 0
    first = api.client.post("/campaigns", data=confirm, follow_redirects=False)
    again = api.client.post("/campaigns", data=confirm, follow_redirects=False)
    assert first.status_code == again.status_code == 303, first.text
    assert first.headers["location"] == again.headers["location"]
    assert session.scalar(select(func.count()).select_from(Campaign)) == before + 1
    campaign_id = int(first.headers["location"].rsplit("/", 1)[1])
    assert sum(tasks_by_role_and_level(session, campaign_id).values()) == shown


def test_the_tree_lists_only_managed_children(api: Any) -> None:
    api.login("huzhen")
    assert api.get(f"/campaigns/divisions/{LONGYOU}").status_code == 404
    fragment = api.get(f"/campaigns/divisions/{HUZHEN}")
    assert fragment.status_code == 200
    assert 'name="division" value="330825101' in fragment.text
    assert 'value="330825102' not in fragment.text
    api.login("ly-centre")
    assert "湖镇镇" in api.get(f"/campaigns/divisions/{LONGYOU}").text


def test_typed_names_suggest_managed_divisions_only(api: Any) -> None:
    api.login("ly-centre")
    found = api.get("/campaigns/places", params={"places": "湖镇"})
    assert found.status_code == 200
    assert f'value="{HUZHEN}"' in found.text
    assert "湖镇镇" in found.text
    api.login("huzhen")
    assert 'name="division"' not in api.get("/campaigns/places", params={"places": "府山"}).text


def test_back_from_the_preview_brings_the_form_back_filled_as_it_was(api: Any) -> None:
    api.login("ly-centre")
    form = {
        "csrf_token": csrf(api),
        "template": "typhoon",
        "places": "湖镇",
        "role": ["grid_head", "party_member"],
        "mode": "cascade",
        "message": "今晚 8 点前完成 & 回单",
    }
    page = api.client.post("/campaigns/preview", data=form)
    assert page.status_code == 200, page.text
    found = re.search(r'<a href="([^"]+)" id="back-to-form">返回修改</a>', page.text)
    assert found is not None
    back = html.unescape(found.group(1))
    assert back.startswith("/campaigns?")
    filled = api.get(back.split("#", 1)[0])
    assert filled.status_code == 200
    text = filled.text.split('id="dispatch-form"', 1)[1]
    assert '<option value="typhoon" selected>' in text
    assert f'name="division" value="{HUZHEN}" checked> 湖镇镇' in text
    assert 'name="role" value="grid_head" checked>' in text
    assert 'name="role" value="party_member" checked>' in text
    assert 'name="role" value="team_leader" checked>' not in text
    assert '<option value="cascade" selected>' in text
    assert ">今晚 8 点前完成 &amp; 回单</textarea>" in text
    assert 'id="error-' not in text  # filled again, not refused


def _offered(text: str) -> list[str]:
    """The role boxes of the dispatch form (or of its roles fragment), in order."""
    roles = text.split('id="roles"', 1)[1].split("</fieldset>", 1)[0]
    return re.findall(r'name="role" value="(\w+)"', roles)


def test_the_form_offers_the_roles_of_its_template_and_follows_the_choice(api: Any) -> None:
    api.login("ly-centre")
    page = api.get("/campaigns")
    assert page.status_code == 200
    first = re.search(r'<select name="template"[^>]*><option value="(\w+)"', page.text)
    assert first is not None
    assert first.group(1) == "epidemic"
    assert _offered(page.text) == ["grid_worker", "party_member"]  # the template the select shows first
    assert 'hx-get="/campaigns/roles"' in page.text
    # Choosing 防汛 brings its roles; a role ticked that it also has stays ticked, the others go.
    flood = api.get("/campaigns/roles", params={"template": "flood", "role": ["grid_head", "party_member"]})
    assert flood.status_code == 200
    assert _offered(flood.text) == ["team_leader", "grid_head"]
    assert 'value="grid_head" checked>' in flood.text
    assert "checked" not in flood.text.split('value="team_leader"', 1)[1].split("</label>", 1)[0]
    assert "<html" not in flood.text  # a fragment, in the page's language
    assert "网格长" in flood.text
    assert api.get("/campaigns/roles", params={"template": "typhoon", "lang": "en"}).text.count('name="role"') == 3


def test_a_role_the_template_lacks_is_refused_by_its_box_and_named_with_those_it_has(api: Any) -> None:
    api.login("ly-centre")
    form = {"csrf_token": csrf(api), "template": "flood", "division": HUZHEN, "role": ["party_member"]}
    refused = api.client.post("/campaigns/preview", data=form)
    assert refused.status_code == 422
    text = refused.text.split('id="dispatch-form"', 1)[1]
    assert _offered(text) == ["team_leader", "grid_head", "party_member"]  # what was sent is kept, ticked
    assert 'name="role" value="party_member" checked>' in text
    assert "所选模板没有这些对象的任务，它的对象是：组团联村团长、网格长" in text


def test_only_a_dispatcher_reads_the_role_boxes(api: Any) -> None:
    api.login("partymember")
    assert api.get("/campaigns/roles", params={"template": "flood"}).status_code == 404
    api.login("ly-centre")
    assert api.get("/campaigns/roles", params={"role": ["x"] * 7}).status_code == 422
