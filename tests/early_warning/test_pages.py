"""The warning list and the firm page, as the centre, the labour unit and those outside see them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Api
from tests.early_warning.helpers import FUSHAN, ids_of, register
from tests.early_warning.test_loop import JUNE, run
from zhili.core.clock import FrozenClock
from zhili.early_warning.models import EarlyWarning
from zhili.org.geo import LocatorCache

FINDING = {
    "kind": "rule",
    "rule_id": "electricity_half_own_median",
    "name_zh": "用电骤降",
    "name_en": "Electricity drop",
    "indicator": "electricity_kwh",
    "per": None,
    "since": "2026-04",
    "baseline": 1012.4,
    "current": 251.0,
    "relative_change": -0.752,
    "consecutive_months": 3,
    "score": None,
}


@pytest.fixture
def warned(session: Session, clock: FrozenClock, locators: LocatorCache) -> EarlyWarning:
    register(session, clock, locators, (1, FUSHAN), (2, FUSHAN))
    firms = ids_of(session, 1, 2)
    run(session, clock, locators, JUNE, firms, {firms[0]: 3})
    warning = session.scalars(select(EarlyWarning).where(EarlyWarning.month == JUNE.index)).one()
    warning.findings = [FINDING]
    session.commit()
    return warning


def test_the_centre_sees_the_warning_with_its_reasons_and_case(api: Api, warned: EarlyWarning) -> None:
    page = api.login("kc-centre").get("/warnings")
    assert page.status_code == 200
    assert "测试企业1号" in page.text
    assert "红色" in page.text
    assert "用电骤降：用电量 251 千瓦时（基准 1,012 千瓦时，-75%），自 2026-04 起连续 3 个月" in page.text
    assert f'href="/cases/{warned.case_id}"' in page.text
    english = api.get("/warnings?lang=en")
    assert (
        "Electricity drop: Electricity used 251 kWh (baseline 1,012 kWh, -75%), since 2026-04 (3 months running)"
        in english.text
    )
    assert "Precision of checked warnings: <strong>" in english.text  # not the full-width "："
    assert "已核实预警的准确率：<strong>" in page.text


def test_the_firm_page_and_a_verdict_through_the_form(api: Api, warned: EarlyWarning) -> None:
    api.login("kc-centre")
    page = api.get(f"/enterprises/{warned.enterprise_id}")
    assert page.status_code == 200
    assert "企业风险画像" in page.text
    assert 'id="risk-chart"' in page.text
    refused = api.send(
        "POST", f"/warnings/{warned.id}/verdict", data={"verdict": "maybe", "note": "查看中", "csrf_token": api.csrf}
    )
    assert refused.status_code == 422
    assert "请选择核实结果：确有欠薪、风险已化解或误报" in refused.text  # radio buttons, not a list
    assert "查看中" in refused.text  # the input is kept
    # the refused page opens at the warning's form, where the error is, not at the top of a long page
    assert f'action="/warnings/{warned.id}/verdict#warning-{warned.id}"' in refused.text
    unexplained = api.send(
        "POST", f"/warnings/{warned.id}/verdict", data={"verdict": "false_alarm", "note": " ", "csrf_token": api.csrf}
    )
    assert unexplained.status_code == 422
    assert "判为误报请写明核实情况" in unexplained.text  # a false alarm says what checking found
    api_unexplained = api.send("POST", f"/api/v1/warnings/{warned.id}/verdict", json={"verdict": "false_alarm"})
    assert api_unexplained.status_code == 422
    assert api_unexplained.json()["errors"][0]["field"] == "note"
    done = api.send(
        "POST",
        f"/warnings/{warned.id}/verdict",
        data={"verdict": "confirmed_arrears", "note": "拖欠两个月", "csrf_token": api.csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = api.get(done.headers["location"])
    assert "核实结果已记录" in after.text
    assert "确有欠薪" in after.text
    listing = api.get("/warnings")
    assert "已核实预警的准确率" in listing.text


def test_those_outside_do_not_see_the_firm(api: Api, warned: EarlyWarning) -> None:
    assert api.login("ly-centre").get(f"/enterprises/{warned.enterprise_id}").status_code == 404
    assert "测试企业1号" not in api.get("/warnings").text
    assert api.login("kc-traffic").get(f"/enterprises/{warned.enterprise_id}").status_code == 404
    fushan = api.login("fushan")
    assert fushan.get(f"/enterprises/{warned.enterprise_id}").status_code == 200
    assert 'action="/warnings/' not in fushan.get(f"/enterprises/{warned.enterprise_id}").text  # sees, does not judge
    refused = api.send(
        "POST", f"/warnings/{warned.id}/verdict", data={"verdict": "false_alarm", "csrf_token": api.csrf}
    )
    assert refused.status_code == 403


def test_the_api_lists_warnings_and_records_a_verdict(api: Api, warned: EarlyWarning) -> None:
    api.login("kc-centre")
    listed = api.get("/api/v1/warnings?month=2026-07&grade=3").json()
    assert [(w["id"], w["grade_name"], w["firm"]["place"]) for w in listed["items"] if w["id"] == warned.id] == [
        (warned.id, "red", "柯城区府山街道")
    ]
    firm = api.get(f"/api/v1/enterprises/{warned.enterprise_id}").json()
    assert len(firm["months"]) == 36
    assert firm["warnings"][0]["findings"] == [FINDING]
    judged = api.send(
        "POST", f"/api/v1/warnings/{warned.id}/verdict", json={"verdict": "false_alarm", "note": "季节性停产"}
    )
    assert judged.status_code == 200, judged.text
    assert (judged.json()["verdict"], judged.json()["verdict_note"]) == ("false_alarm", "季节性停产")
    bad = api.send("POST", f"/api/v1/warnings/{warned.id}/verdict", json={"verdict": "maybe"})
    assert bad.status_code == 422
    assert api.login("ly-centre").get(f"/api/v1/enterprises/{warned.enterprise_id}").status_code == 404
    assert warned.id not in [w["id"] for w in api.get("/api/v1/warnings?month=2026-07").json()["items"]]


def test_an_administrator_tunes_the_detectors_as_a_new_version(api: Api) -> None:
    api.login("admin")
    page = api.get("/admin/detectors")
    assert page.status_code == 200
    assert "用电量连续两个月低于本企业12个月中位数的50%" in page.text
    refused = api.send(
        "POST",
        "/admin/detectors",
        data={"rules.0.threshold": "half", "grades.red": "0.95", "note": "", "csrf_token": api.csrf},
    )
    assert refused.status_code == 422
    assert 'name="rules.0.threshold" inputmode="decimal" size="7" value="half" aria-invalid="true"' in refused.text
    assert "请填写数字" in refused.text
    assert '<p class="alert error" role="alert">' in refused.text  # coloured as a refusal, as on every page
    out_of_range = api.send(
        "POST", "/admin/detectors", data={"grades.red": "0.5", "note": "收紧", "csrf_token": api.csrf}
    )
    assert out_of_range.status_code == 422  # red must lie above orange
    assert 'id="error-grades">分数线须依次升高：黄色 &lt; 橙色 &lt; 红色' in out_of_range.text  # where, not only that
    assert 'name="grades.red" inputmode="decimal" size="6" value="0.5"' in out_of_range.text
    saved = api.send(
        "POST",
        "/admin/detectors",
        data={"rules.0.threshold": "0.4", "cases_from": "3", "note": "只对红色预警立案", "csrf_token": api.csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    after = api.get("/admin/detectors?saved=1")
    assert "已保存为新版本" in after.text
    assert '<p class="alert success" role="status">' in after.text
    assert "只对红色预警立案" in after.text
    assert 'name="rules.0.threshold" inputmode="decimal" size="7" value="0.4"' in after.text
    assert api.login("kc-centre").get("/admin/detectors").status_code == 403


def test_a_warning_waiting_for_its_verdict_leads_to_the_form(api: Api, warned: EarlyWarning) -> None:
    page = api.login("kc-centre").get("/warnings?month=2026-07")
    item = page.text.split(f'id="warning-{warned.id}"', 1)[1].split('class="warning-foot"', 1)[1].split("</div>", 1)[0]
    assert f'href="/enterprises/{warned.enterprise_id}#warning-{warned.id}"' in item  # 待核实 → its verdict form
