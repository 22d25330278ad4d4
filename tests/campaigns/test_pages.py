"""Campaign pages: the list and dispatch form, one campaign with its cascade, the templates (Chinese and English)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.campaigns.models import Campaign

LONGYOU = "330825"


def form(api: Any, path: str, data: dict[str, Any]) -> Any:
    page = api.get("/campaigns")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    return api.client.post(path, data={"csrf_token": token.group(1), **data}, follow_redirects=False)


def test_the_centre_dispatches_from_the_form_and_sees_the_campaign(api: Any, session: Session) -> None:
    before = session.scalar(select(func.count()).select_from(Campaign)) or 0
    api.login("ly-centre")
    page = api.get("/campaigns")
    assert page.status_code == 200
    assert "按需成单" in page.text
    assert "防台风" in page.text
    response = form(
        api, "/campaigns", {"template": "urgent_notice", "division": LONGYOU, "role": "grid_head", "message": "请确认"}
    )
    assert response.status_code == 303, response.text
    detail = api.get(response.headers["location"])
    assert detail.status_code == 200
    assert "561" in detail.text
    assert session.scalar(select(func.count()).select_from(Campaign)) == before + 1
    close = f'action="{response.headers["location"]}/close"'
    assert close in detail.text  # the level that dispatched it may end it
    seen_by_a_grid_head = api.login("gridhead").get(response.headers["location"])
    assert seen_by_a_grid_head.status_code == 200
    assert close not in seen_by_a_grid_head.text  # a recipient reads it, and is offered no button refused to them


def test_a_cascade_is_forwarded_from_the_campaign_page(api: Any) -> None:
    api.login("ly-centre")
    response = form(
        api, "/campaigns", {"template": "typhoon", "division": LONGYOU, "role": "grid_head", "mode": "cascade"}
    )
    assert response.status_code == 303, response.text
    path = response.headers["location"]
    page = api.get(path)
    assert "逐级派单记录" in page.text
    assert f'action="{path}/forwards/{LONGYOU}"' in page.text
    forwarded = form(api, f"{path}/forwards/{LONGYOU}", {"instructions": "县：全面部署"})
    assert forwarded.status_code == 303
    assert "县：全面部署" in api.get(path).text


def test_a_bad_form_keeps_its_input_and_says_why_by_the_field(api: Any) -> None:
    api.login("ly-centre")
    response = form(api, "/campaigns/preview", {"template": "typhoon", "message": "今晚值守", "role": "grid_head"})
    assert response.status_code == 422
    assert "请至少勾选一个区划" in response.text
    assert "今晚值守" in response.text
    assert 'value="grid_head" checked' in response.text
    unknown = form(api, "/campaigns/preview", {"template": "typhoon", "places": "火星镇"})
    assert unknown.status_code == 422
    assert "未找到“火星镇”" in unknown.text
    assert 'value="火星镇"' in unknown.text
    # A name found before the unknown one comes back ticked; the field keeps only what is left to mend.
    mixed = form(api, "/campaigns/preview", {"template": "typhoon", "places": "湖镇镇 火星镇"})
    assert mixed.status_code == 422
    assert '<input name="places" value="火星镇"' in mixed.text
    assert 'value="330825101" checked> 湖镇镇' in mixed.text


def test_the_templates_page_lists_every_role_task(api: Any) -> None:
    api.login("partymember")
    page = api.get("/campaigns/templates")
    assert page.status_code == 200
    for name in ("防台风", "防汛", "防高温", "疫情防控", "紧急通知", "联户党员：走访联系户"):
        assert name in page.text
    english = api.get("/campaigns/templates?lang=en")
    assert "Typhoon prevention" in english.text
    assert "同时上报问题时优先列出：道路交通安全隐患处置、农民建房服务监督</p>" in page.text
    offered = "Offered first for a case raised with a report: Road safety hazards, Rural housing construction"
    assert offered in english.text


def test_a_field_worker_sees_no_dispatch_form_and_cannot_post_one(api: Any) -> None:
    api.login("partymember")
    assert "按需成单" not in api.get("/campaigns").text
    # A village cadre, who does not send campaigns, is told who does and where theirs are (not a bare heading).
    page = api.login("village").get("/campaigns").text
    assert 'id="not-a-dispatcher"' in page
    assert "三联工程由区县社会治理中心和乡镇（街道）指挥室发起" in page
    assert 'href="/campaigns"' in page  # in the village cadre's menu
    api.login("partymember")
    response = form(api, "/campaigns", {"template": "typhoon", "division": LONGYOU})
    assert response.status_code == 404


def test_the_levels_own_step_has_a_full_form_above_the_cascade_and_closing_asks_first(api: Any) -> None:
    api.login("ly-centre")
    response = form(
        api, "/campaigns", {"template": "typhoon", "division": LONGYOU, "role": "grid_head", "mode": "cascade"}
    )
    path = response.headers["location"]
    page = api.get(path).text
    own = page.split(f'id="forward-{LONGYOU}"', 1)[1].split('id="cascade"', 1)[0]
    assert f'action="{path}/forwards/{LONGYOU}"' in own  # a card of its own, not a cell squeezed in the table
    assert '<textarea name="instructions"' in own
    table = page.split('id="cascade"', 1)[1]
    assert "待下派" in table
    assert f'action="{path}/forwards/{LONGYOU}"' not in table
    close = page.split('id="close-campaign"', 1)[1].split("</details>", 1)[0]
    assert f'action="{path}/close"' in close  # behind a second step: one tap does not end it
    assert "确认结束任务" in close


def test_a_village_cadre_told_to_forward_finds_the_full_form_of_their_village_at_the_top(api: Any) -> None:
    # 村两委 writes nothing else (no write scope): the 待本级下派 card is theirs all the same, as the notice says.
    huzhen, yanghu = "330825101", "330825101003"
    api.login("ly-centre")
    response = form(
        api, "/campaigns", {"template": "typhoon", "division": huzhen, "role": "grid_head", "mode": "cascade"}
    )
    path = response.headers["location"]
    assert form(api.login("huzhen"), f"{path}/forwards/{huzhen}", {"instructions": "镇：今晚排查"}).status_code == 303
    page = api.login("village").get(path).text
    own = page.split(f'id="forward-{yanghu}"', 1)[1].split('id="cascade"', 1)[0]
    assert f'action="{path}/forwards/{yanghu}"' in own
    assert '<textarea name="instructions"' in own
    assert 'id="forward-330825101001"' not in page  # another village's step is not theirs (nor shown)
    assert "镇：今晚排查" in page
    assert "无权查看" not in page  # the township's step names its level; whoever forwarded it is not theirs to know
    assert "龙游县派发" in page
    assert form(api, f"{path}/forwards/{yanghu}", {"instructions": "村：网格长巡查"}).status_code == 303
    again = form(api, f"{path}/forwards/{yanghu}", {"instructions": "村：再发一次"})  # a page left open
    assert again.status_code == 409
    assert "本级已由他人下派" in again.text.split('id="refused"', 1)[1].split("</p>", 1)[0]
    assert "村：再发一次" in again.text.split('id="kept"', 1)[1].split("</blockquote>", 1)[0]


def test_roles_the_template_lacks_are_refused_naming_the_roles_it_has(api: Any) -> None:
    api.login("ly-centre")
    response = form(
        api, "/campaigns/preview", {"template": "typhoon", "division": LONGYOU, "role": "grid_worker", "message": "守"}
    )
    assert response.status_code == 422
    error = response.text.split('id="error-roles"', 1)[1].split("</p>", 1)[0]
    assert "组团联村团长、网格长、联户党员" in error  # what to tick instead
    assert 'value="grid_worker" checked' in response.text


def test_the_list_has_a_heading_and_marks_a_closed_campaign(api: Any) -> None:
    api.login("ly-centre")
    response = form(api, "/campaigns", {"template": "urgent_notice", "division": LONGYOU, "role": "grid_head"})
    path = response.headers["location"]
    number = re.search(r"SL\d+", api.get(path).text)
    assert number is not None
    assert form(api, f"{path}/close", {}).status_code == 303
    again = form(api, f"{path}/close", {})  # a second tab, or a colleague's page still open
    assert again.status_code == 409
    assert "任务已由他人结束" in again.text.split('id="refused"', 1)[1].split("</p>", 1)[0]
    assert 'id="close-campaign"' not in again.text  # the page as it stands: closed, nothing left to close
    listing = api.get("/campaigns").text.split('id="campaigns"', 1)[1]
    assert "已派发的任务" in listing
    row = listing.split(number.group(0), 1)[1].split("</tr>", 1)[0]
    assert "已结束" in row


def test_the_preview_says_which_chosen_roles_nobody_there_holds(api: Any) -> None:
    # 柯城区's grids have grid workers, not grid heads: a preview for both says the grid heads get nothing.
    api.login("fushan")
    chosen = {"template": "urgent_notice", "division": "330802006", "role": ["grid_head", "grid_worker"]}
    page = form(api, "/campaigns/preview", chosen)
    assert page.status_code == 200, page.text
    warning = page.text.split('id="unreached-roles"', 1)[1].split("</p>", 1)[0]
    assert "网格长" in warning
    assert "网格员" not in warning
