"""Defects found walking the case page as the traffic police, its collaborators and the verifier."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session
from tests.cases.test_flow import command, report_parking, underway, unit
from tests.cases.test_open_items import handled_case, unit_login

from zhili.core.clock import FrozenClock

HTML = {"accept": "text/html"}


def _actions(page: str) -> str:
    return page.split('id="actions"', 1)[1].split('<div class="card"', 1)[0]


def _forms(actions: str) -> list[str]:
    return re.findall(r'<form [^>]*data-command="([a-z_]+)"', actions)


def test_after_signing_the_next_step_comes_first_and_each_reason_says_what_it_is_for(
    api: Any, session: Session
) -> None:
    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    api.login("kc-traffic")
    case = command(api, case, "sign")
    actions = _actions(api.get(f"/cases/{case['id']}", headers=HTML).text)
    assert _forms(actions)[0] == "start"  # not 退回, whose reason box sat above 开始处置
    assert "退回理由" in actions
    assert "提级理由" in actions
    start = actions.split('data-command="start"', 1)[1].split("</form>", 1)[0]
    assert 'class="primary"' in start
    back = actions.split('data-command="return"', 1)[1].split("</form>", 1)[0]
    assert 'class="primary"' not in back  # turning the case back is not the page's main button
    english = _actions(api.get(f"/cases/{case['id']}?lang=en", headers=HTML).text)
    assert "Reason for returning" in english


def test_asking_no_unit_says_to_tick_one(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    case = underway(api, case)
    refused = api.client.post(
        f"/cases/{case['id']}/help",
        data={"csrf_token": api.csrf, "text": "请协助核查占道情况", "deadline_hours": "24"},
        headers=HTML,
    )
    assert refused.status_code == 422
    form = refused.text.split('id="ask-help"', 1)[1].split("</form>", 1)[0]
    assert "请勾选要协同的部门" in form
    assert "请填写此项" not in form
    assert 'value="请协助核查占道情况"' in form


def test_an_empty_help_form_names_the_units_and_the_text_and_each_units_hours_by_its_input(
    api: Any, session: Session
) -> None:
    case = underway(api, report_parking(api, session))
    empty = api.client.post(f"/cases/{case['id']}/help", data={"csrf_token": api.csrf, "text": ""}, headers=HTML)
    assert empty.status_code == 422
    form = empty.text.split('id="ask-help"', 1)[1].split("</form>", 1)[0]
    assert 'data-field="unit_id">请勾选要协同的部门' in form
    assert 'data-field="text">' in form  # both at once, not one a try
    housing = unit(session, "housing", "330802")
    hours = api.client.post(
        f"/cases/{case['id']}/help",
        data={"csrf_token": api.csrf, "text": "请协助", "unit_id": [str(housing)], f"deadline_hours_{housing}": "-5"},
        headers=HTML,
    )
    assert hours.status_code == 422
    beside = hours.text.split(f'name="deadline_hours_{housing}"', 1)[1].split("</div>", 1)[0]
    assert f'data-field="deadline_hours_{housing}">' in beside  # by the unit's own input, not the fieldset's end


def test_a_done_task_says_when_it_was_done(api: Any, session: Session, clock: FrozenClock) -> None:
    case = handled_case(api, session, clock)
    unit_login(session, clock, "housing", "kc-housing-w")
    task_id = case["tasks"][0]["id"]
    api.login("kc-housing-w")
    done = api.client.post(
        f"/cases/{case['id']}/tasks/{task_id}/done",
        data={"csrf_token": api.csrf, "note": "引导牌已设置"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    task = api.get(f"/cases/{case['id']}", headers=HTML).text.split(f'id="task-{task_id}"', 1)[1]
    assert "完成于" in task.split("</p>", 1)[0]
    assert unit(session, "housing", "330802")


def test_the_centre_finds_the_refusal_of_an_extension_under_its_approval(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    case = handled_case(api, session, clock)
    case = command(api, case, "request_extension", hours=24, reason="需等待隔离桩施工")
    api.login("kc-centre")
    actions = _actions(api.get(f"/cases/{case['id']}", headers=HTML).text)
    assert _forms(actions)[:2] == ["approve_extension", "refuse_extension"]
    assert "不同意延期理由" in actions


def test_the_queue_marks_the_quick_filter_in_force(api: Any) -> None:
    api.login("kc-traffic")
    links = api.get("/cases?due=over", headers=HTML).text.split('class="queue-links"', 1)[1].split("</p>", 1)[0]
    assert 'href="/cases?due=over" class="quick active" aria-current="page"' in links
    assert links.count("aria-current") == 1
    plain = api.get("/cases", headers=HTML).text.split('class="queue-links"', 1)[1].split("</p>", 1)[0]
    assert "aria-current" not in plain


def test_each_unit_asked_from_the_page_gets_its_own_deadline(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    case = underway(api, case)
    enforcement, housing = unit(session, "enforcement", "330802"), unit(session, "housing", "330802")
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    assert f'name="deadline_hours_{housing}"' in page.split('id="ask-help"', 1)[1]
    refused = api.client.post(
        f"/cases/{case['id']}/help",
        data={"csrf_token": api.csrf, "text": "", "unit_id": [str(housing)], f"deadline_hours_{housing}": "48"},
        headers=HTML,
    )
    assert refused.status_code == 422
    assert f'name="deadline_hours_{housing}" type="number" min="1" max="720" inputmode="numeric"' in refused.text
    assert 'value="48"' in refused.text.split(f'name="deadline_hours_{housing}"', 1)[1].split(">", 1)[0]
    asked = api.client.post(
        f"/cases/{case['id']}/help",
        data={
            "csrf_token": api.csrf,
            "text": "请协助核查",
            "unit_id": [str(enforcement), str(housing)],
            f"deadline_hours_{enforcement}": "24",
            f"deadline_hours_{housing}": "48",
        },
        follow_redirects=False,
    )
    assert asked.status_code == 303, asked.text
    requests = api.get(f"/api/v1/cases/{case['id']}").json()["collaboration"]
    hours = {
        r["unit"]["id"]: (datetime.fromisoformat(r["deadline_at"]) - datetime.fromisoformat(r["requested_at"]))
        for r in requests
    }
    assert hours == {enforcement: timedelta(hours=24), housing: timedelta(hours=48)}
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    offered = page.split('id="ask-help"', 1)[1].split("</form>", 1)[0] if 'id="ask-help"' in page else ""
    assert f'value="{housing}"' not in offered  # each unit is asked once: no longer offered
    assert f'value="{enforcement}"' not in offered


def test_a_meeting_records_several_decisions_each_a_task(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    case = underway(api, case)
    enforcement, housing = unit(session, "enforcement", "330802"), unit(session, "housing", "330802")
    form = {
        "csrf_token": api.csrf,
        "title": "违停整治会商",
        "minutes": "商定分工",
        "decision": "增设隔离桩",
        "decision_owner": str(housing),
        "decision_days": "3",
        "decision_2": "夜间巡查",
        "decision_owner_2": str(enforcement),
        "decision_days_2": "91",
    }
    refused = api.client.post(f"/cases/{case['id']}/meeting", data=form, headers=HTML)
    assert refused.status_code == 422
    meeting_form = refused.text.split('id="hold-meeting"', 1)[1].split("</form>", 1)[0]
    assert '<details class="more-decisions" open>' in meeting_form
    assert 'value="夜间巡查"' in meeting_form
    row = meeting_form.split('name="decision_days_2"', 1)[1].split("</fieldset>", 1)[0]
    assert 'class="field-error"' in row
    assert "不能超过 90" in row  # the limit, not only 填写有误
    zero = api.client.post(f"/cases/{case['id']}/meeting", data={**form, "decision_days_2": "0"}, headers=HTML)
    assert "不能小于 1" in zero.text.split('name="decision_days_2"', 1)[1].split("</fieldset>", 1)[0]
    fixed = {**form, "decision_days_2": "7"}
    held = api.client.post(f"/cases/{case['id']}/meeting", data=fixed, follow_redirects=False)
    assert held.status_code == 303, held.text
    tasks = api.get(f"/api/v1/cases/{case['id']}").json()["tasks"]
    assert {(t["description"], t["owner"]["id"]) for t in tasks} == {("增设隔离桩", housing), ("夜间巡查", enforcement)}
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    assert "参会" not in page.split('class="meeting"', 1)[1].split("</div>", 1)[0]  # none ticked: no empty 参会


def test_the_centre_sees_who_returned_the_case_and_why_where_it_dispatches_again(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    api.login("kc-traffic")
    case = command(api, case, "return", reason="该路段属城管执法队管辖")
    api.login("kc-centre")
    actions = _actions(api.get(f"/cases/{case['id']}", headers=HTML).text)
    note = actions.split('id="turned-back"', 1)[1].split("</p>", 1)[0]
    assert "柯城区公安交警大队 已退回本件，请重新派单。" in note
    assert "理由：该路段属城管执法队管辖" in note
    assert "柯城区公安交警大队（已退回）</option>" in actions
    english = _actions(api.get(f"/cases/{case['id']}?lang=en", headers=HTML).text)
    assert "returned this case; dispatch it again. Reason: 该路段属城管执法队管辖" in english


def test_an_asked_extension_says_it_waits_for_approval(api: Any, session: Session, clock: FrozenClock) -> None:
    case = handled_case(api, session, clock)
    case = command(api, case, "request_extension", hours=24, reason="需等待隔离桩施工")
    note = api.get(f"/cases/{case['id']}", headers=HTML).text.split('id="pending-extension"', 1)[1].split("</p>", 1)[0]
    assert "已申请延期 24 小时，待审批。 理由：需等待隔离桩施工" in note


def test_a_unit_given_a_meeting_task_opens_the_case_its_notice_links_to(api: Any, session: Session) -> None:
    # 住建 given a task by a meeting, never asked to help: its notice links to the case, where it marks the task done.
    case = underway(api, report_parking(api, session))
    housing = unit(session, "housing", "330802")
    form = {
        "csrf_token": api.csrf,
        "title": "占道停车会商",
        "minutes": "住建增设禁停标志",
        "decision": "增设禁停标志",
        "decision_owner": str(housing),
        "decision_days": "3",
    }
    held = api.client.post(f"/cases/{case['id']}/meeting", data=form, follow_redirects=False)
    assert held.status_code == 303, held.text
    api.login("kc-housing")
    page = api.get(f"/cases/{case['id']}", headers=HTML)
    assert page.status_code == 200
    assert "增设禁停标志" in page.text
    task = api.get(f"/api/v1/cases/{case['id']}").json()["tasks"][0]
    assert f"/cases/{case['id']}/tasks/{task['id']}/done" in page.text  # the button to mark it done
    api.login("kc-enforcement")  # a unit with no part in the case still does not see it
    assert api.get(f"/cases/{case['id']}", headers=HTML).status_code == 404
