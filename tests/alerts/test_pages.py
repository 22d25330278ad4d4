"""The alert pages: the list and one alert for the centres, the trigger rules for administrators; others refused."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.alerts.helpers import demo_bytes, reference, typhoon_rule, variant
from tests.conftest import Api
from zhili.alerts.models import AlertRule
from zhili.core.clock import FrozenClock

HTML = {"accept": "text/html"}
CAP = {"Content-Type": "application/cap+xml"}


def _key(page: str) -> str:
    return page.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]


def hand_in(api: Api, data: bytes) -> int:
    response = api.send("POST", "/api/v1/alerts", content=data, headers=CAP)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_the_centre_lists_alerts_by_colour_grade_with_a_drill_badge(api: Api) -> None:
    api.login("admin")
    hand_in(api, demo_bytes())
    drill = hand_in(api, variant(identifier="T-drill", status="Exercise", severity="Extreme"))
    api.login("ly-centre")
    page = api.get("/alerts", headers=HTML)
    assert page.status_code == 200
    assert 'href="/alerts"' in page.text  # in the centre's menu
    assert "龙游县气象台发布台风橙色预警" in page.text
    assert "橙色" in page.text
    assert "红色" in page.text
    row = page.text.split(f'id="alert-{drill}"', 1)[1].split("</tr>", 1)[0]
    assert "演练" in row
    assert "2026-07-23 15:00" in page.text  # sent, in local time
    real = api.get("/alerts?drill=false", headers=HTML).text
    assert f'id="alert-{drill}"' not in real
    english = api.get("/alerts?lang=en", headers=HTML).text
    assert "Orange" in english
    assert "Drill" in english


def test_an_alert_page_shows_its_words_map_divisions_and_what_its_rule_did(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    typhoon_rule(session, clock)
    session.commit()
    api.login("admin")
    alert_id = hand_in(api, demo_bytes())
    api.login("ly-centre")
    page = api.get(f"/alerts/{alert_id}", headers=HTML)
    assert page.status_code == 200
    assert "受今年第5号台风影响" in page.text
    assert '<a href="/org/divisions/330825">龙游县</a>' in page.text
    assert "已派发" in page.text
    assert 'href="/campaigns/' in page.text
    data = json.loads(unescape(page.text.split('data-map="', 1)[1].split('"', 1)[0]))
    assert [d["name"] for d in data["divisions"]] == ["龙游县"]
    assert data["divisions"][0]["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    assert "/static/vendor/leaflet/leaflet.js" in page.text
    # 成立指挥组 by hand from the alert: the form comes filled with its headline, words and county.
    link = unescape(page.text.split('id="open-group-link"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0])
    form = api.get(link, headers=HTML)
    assert form.status_code == 200
    assert 'value="龙游县气象台发布台风橙色预警指挥组"' in form.text
    assert "受今年第5号台风影响" in form.text
    assert re.search(r'<option value="330825"[^>]*selected', form.text)
    # Updated since: the later message is linked by words, not by its row id (#2).
    api.login("admin")
    update = hand_in(api, variant(identifier="T-upd", msg_type="Update", references=reference()))
    api.login("ly-centre")
    updated = api.get(f"/alerts/{alert_id}", headers=HTML).text
    assert f'<a href="/alerts/{update}" id="ended-by">查看该消息</a>' in updated
    assert 'id="open-group-link"' in updated  # updated, still in force: a group may still be opened
    api.login("admin")
    hand_in(api, variant(identifier="T-cancel", msg_type="Cancel", references=reference("T-upd")))
    api.login("ly-centre")
    cancelled = api.get(f"/alerts/{update}", headers=HTML).text
    assert 'id="open-group-link"' not in cancelled  # a cancelled warning offers no task force


def test_an_alert_whose_rule_opened_a_group_leads_to_it_not_to_a_second_one(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    typhoon_rule(session, clock, campaign_template=None, open_group=True, areas=["3308"])
    session.commit()
    api.login("admin")
    city = (
        "<area><areaDesc>衢州市</areaDesc>"
        "<geocode><valueName>CPEAS</valueName><value>330800000000</value></geocode></area>"
    )
    alert_id = hand_in(api, variant(area=city))
    api.login("qz-centre")
    page = api.get(f"/alerts/{alert_id}", headers=HTML).text
    groups = page.split('id="alert-groups"', 1)[1].split("</p>", 1)[0]
    assert re.search(r'<a href="/groups/\d+">ZH\d{4}-\d{4} →</a>', groups)
    assert 'id="open-group-link"' not in page
    # A county centre reads the city's alert but not the city's group: no dead link to it, its own group offered.
    api.login("kc-centre")
    county = api.get(f"/alerts/{alert_id}", headers=HTML).text
    assert not re.search(r'href="/groups/\d', county)
    assert 'id="open-group-link"' in county


def test_a_grid_worker_and_another_county_are_refused(api: Api) -> None:
    api.login("admin")
    alert_id = hand_in(api, demo_bytes())
    api.login("gridworker")
    assert api.get("/alerts", headers=HTML).status_code == 403
    assert 'href="/alerts"' not in api.get("/", headers=HTML).text
    assert api.get(f"/alerts/{alert_id}", headers=HTML).status_code == 403
    api.login("kc-centre")
    assert api.get(f"/alerts/{alert_id}", headers=HTML).status_code == 404
    api.login("fushan")  # a township's command room shares the centre's menu, not its alerts
    assert 'href="/alerts"' not in api.get("/", headers=HTML).text


def test_an_administrator_adds_a_rule_once_and_changes_it(api: Api, session: Session) -> None:
    api.login("admin")
    page = api.get("/admin/alert-rules", headers=HTML)
    assert page.status_code == 200
    form = {
        "name": "龙游台风",
        "event_match": "台风",
        "min_severity": "Severe",
        "areas": "330825",
        "campaign_template": "typhoon",
        "is_active": "on",
        "idempotency_key": _key(page.text),
    }
    for _ in range(2):
        added = api.send("POST", "/admin/alert-rules", data=form, follow_redirects=False)
        assert added.status_code == 303
    rules = session.scalars(select(AlertRule).where(AlertRule.name == "龙游台风")).all()
    assert len(rules) == 1
    assert (rules[0].areas, rules[0].campaign_template, rules[0].is_active) == (["330825"], "typhoon", True)
    listed = api.get("/admin/alert-rules", headers=HTML).text
    assert "龙游台风" in listed
    # The demo's rule matches 暴雨 or rainstorm: each word is shown on its own, not the pattern as typed.
    words = '<span class="badge" translate="no">暴雨</span> <span class="badge" translate="no">rainstorm</span>'
    assert words in listed
    assert "暴雨|rainstorm" not in listed
    changed = api.send(
        "POST", f"/admin/alert-rules/{rules[0].id}", data={**form, "is_active": "", "min_severity": "Extreme"}
    )
    assert changed.status_code == 200  # followed to the rule's page
    session.refresh(rules[0])
    assert (rules[0].is_active, rules[0].min_severity) == (False, "Extreme")


def test_a_refused_rule_keeps_its_input_and_names_each_field(api: Api, session: Session) -> None:
    api.login("admin")
    form = {"name": "坏规则", "event_match": "台风", "min_severity": "Severe", "areas": "330825 999999"}
    refused = api.send("POST", "/admin/alert-rules", data=form)
    assert refused.status_code == 422
    assert 'data-field="campaign_template">规则至少要派发一个三联工程或成立指挥组' in refused.text
    assert 'data-field="areas">有区划代码不存在' in refused.text
    assert 'value="坏规则"' in refused.text
    assert 'value="330825 999999"' in refused.text
    bad_code = api.send("POST", "/admin/alert-rules?lang=en", data={**form, "areas": "12x", "open_group": "on"})
    assert bad_code.status_code == 422
    assert 'data-field="areas"' in bad_code.text
    assert session.scalar(select(AlertRule).where(AlertRule.name == "坏规则")) is None


def test_a_rule_takes_its_areas_by_name_and_shows_them_by_name(api: Api, session: Session) -> None:
    api.login("admin")
    form = {"name": "湖镇暴雨", "min_severity": "Severe", "areas": "龙游县、柯城区七里乡", "open_group": "on"}
    added = api.send("POST", "/admin/alert-rules", data=form, follow_redirects=False)
    assert added.status_code == 303, added.text
    rule = session.scalars(select(AlertRule).where(AlertRule.name == "湖镇暴雨")).one()
    assert rule.areas[0] == "330825"
    assert rule.areas[1].startswith("330802")
    page = api.get(f"/admin/alert-rules/{rule.id}", headers=HTML).text
    assert 'value="龙游县 柯城区七里乡"' in page  # names that read back to the same divisions, not codes
    ambiguous = api.send("POST", "/admin/alert-rules", data={**form, "name": "七里", "areas": "七里乡"})
    assert ambiguous.status_code == 422
    assert 'data-field="areas">“七里乡”对应多个区划' in ambiguous.text
    unknown = api.send("POST", "/admin/alert-rules", data={**form, "name": "火", "areas": "不存在的地方"})
    assert 'data-field="areas">未找到区划“不存在的地方”' in unknown.text
    assert 'value="不存在的地方"' in unknown.text


def test_only_administrators_keep_rules(api: Api) -> None:
    api.login("qz-centre")
    assert api.get("/admin/alert-rules", headers=HTML).status_code == 403
    assert api.send("POST", "/admin/alert-rules", data={"name": "x"}).status_code == 403


def test_an_alert_without_expires_is_taken_as_over_three_days_after_it_was_sent(api: Api, clock: FrozenClock) -> None:
    """CAP leaves it to the recipient: a July typhoon warning no longer reads 生效中 in December."""
    api.login("admin")
    alert_id = hand_in(api, demo_bytes())  # sent at the test clock's instant, no <expires>
    api.login("ly-centre")
    row = api.get("/alerts", headers=HTML).text.split(f'id="alert-{alert_id}"', 1)[1].split("</tr>", 1)[0]
    assert "生效中" in row
    assert "未设（发布 72 小时后视为过期）" in api.get(f"/alerts/{alert_id}", headers=HTML).text
    clock.advance(timedelta(hours=72))
    row = api.get("/alerts", headers=HTML).text.split(f'id="alert-{alert_id}"', 1)[1].split("</tr>", 1)[0]
    assert "已过期" in row
    assert api.get(f"/api/v1/alerts/{alert_id}").json()["standing"] == "expired"


def test_a_page_address_that_names_nothing_is_not_found(api: Api) -> None:
    """/alerts/rules (a mistyped address) is 404 on a page, as any missing page; the API keeps its 422."""
    api.login("ly-centre")
    page = api.get("/alerts/rules", headers=HTML)
    assert page.status_code == 404
    assert 'data-status="404"' in page.text
    assert api.get("/cases/not-a-number", headers=HTML).status_code == 404
    assert api.get("/api/v1/cases/not-a-number").status_code == 422


def test_a_links_parameter_the_page_does_not_take_is_named_not_the_librarys_words(api: Api) -> None:
    api.login("kc-centre")
    chinese = api.get("/cases?todo=zzz", headers=HTML)
    assert chinese.status_code == 422
    assert "网址中的参数 todo 的值无效" in chinese.text
    english = unescape(api.get("/cases?todo=zzz&lang=en", headers=HTML).text)
    assert "The address's todo has a value this page does not take" in english
    assert "should match pattern" not in english
    assessment = api.get("/assessment?level=county&lang=zh", headers=HTML)
    assert assessment.status_code == 422
    assert "网址中的参数 level 的值无效" in assessment.text
