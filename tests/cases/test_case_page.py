"""The case page: each party finishes its part from it, the verifier sees the evidence, refusals keep the input."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.cases.test_flow import PNG, command, report_parking, underway, unit
from tests.cases.test_open_items import handled_case, reply_form, unit_login, verified

from zhili.access.models import Account
from zhili.cases.models import Case, CasePhoto
from zhili.core.clock import FrozenClock
from zhili.notify.models import InboxItem, Notification
from zhili.org.geometry import metres_between
from zhili.org.models import Division, Person

HTML = {"accept": "text/html"}
RAW = re.compile(r"account:\d+|person:\d+|system:clock|\b\d+ (hours|working_days)\b|plate_number|pavement|'car'")


def _request_id(case: dict[str, Any], unit_id: int) -> int:
    return int(next(r["id"] for r in case["collaboration"] if r["unit"]["id"] == unit_id))


def _asked_enforcement(api: Any, session: Session, clock: FrozenClock, username: str) -> tuple[dict[str, Any], int]:
    """A case in progress that asked 执法队 for help, and its request; logged in as `username` of 执法队."""
    case = handled_case(api, session, clock)
    request_id = _request_id(case, unit_login(session, clock, "enforcement", username))
    api.login(username)
    return case, request_id


def test_a_collaborating_unit_replies_from_the_page_with_evidence(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    case, request_id = _asked_enforcement(api, session, clock, "kc-enforce-p")
    page = api.get(f"/cases/{case['id']}", headers=HTML)
    assert page.status_code == 200
    assert f'id="help-{request_id}"' in page.text
    assert f'action="/cases/{case["id"]}/help/{request_id}/reply"' in page.text
    replied = api.client.post(
        f"/cases/{case['id']}/help/{request_id}/reply",
        data={
            "csrf_token": api.csrf,
            "text": "已核查，占道属实，已开具告知单",
            "evidence_gps": "118.871200,28.936100",
            "evidence_text": "现场照片一张",
            "evidence_document": "告知单 KC-2026-001",
        },
        files={"photo": ("scene.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert replied.status_code == 303, replied.text
    assert replied.headers["location"] == f"/cases/{case['id']}#help-{request_id}"

    api.login("kc-traffic")
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    section = page.split(f'id="help-{request_id}"', 1)[1].split("</section>", 1)[0]
    assert "已核查，占道属实，已开具告知单" in section
    assert '<img src="/api/v1/cases/photos/' in section
    assert "118.87120, 28.93610" in section
    assert "告知单 KC-2026-001" in section
    assert "已回复" in section
    assert "118.8712" in page.split('id="case-map"', 1)[1].split(">", 1)[0]
    assert 'data-kind="help_replied"' in page


def test_the_owner_unit_marks_its_task_done_from_the_page(api: Any, session: Session, clock: FrozenClock) -> None:
    case = handled_case(api, session, clock)
    unit_login(session, clock, "housing", "kc-housing-p")
    task_id = case["tasks"][0]["id"]
    api.login("kc-housing-p")
    url = f"/cases/{case['id']}/tasks/{task_id}/done"
    refused = api.client.post(url, data={"csrf_token": api.csrf, "note": ""}, headers=HTML)
    assert refused.status_code == 422
    assert 'class="field-error"' in refused.text.split(f'id="task-{task_id}"', 1)[1]
    assert 'class="topbar"' in refused.text
    done = api.client.post(url, data={"csrf_token": api.csrf, "note": "引导牌已设置"}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"].endswith(f"#task-{task_id}")
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    assert "引导牌已设置" in page
    assert 'data-kind="task_done"' in page


def test_a_refused_reply_keeps_its_input_and_names_the_field(api: Any, session: Session, clock: FrozenClock) -> None:
    case, request_id = _asked_enforcement(api, session, clock, "kc-enforce-q")
    refused = api.client.post(
        f"/cases/{case['id']}/help/{request_id}/reply",
        data={"csrf_token": api.csrf, "text": "已核查", "evidence_gps": "东门口", "evidence_document": "告知单 7 号"},
        headers=HTML,
    )
    assert refused.status_code == 422
    section = refused.text.split(f'id="help-{request_id}"', 1)[1].split("</section>", 1)[0]
    assert 'value="东门口"' in section
    assert 'value="告知单 7 号"' in section
    assert "经度,纬度" in section
    english = api.client.post(
        f"/cases/{case['id']}/help/{request_id}/reply?lang=en",
        data={"csrf_token": api.csrf, "text": "", "evidence_document": "notice 7"},
        headers=HTML,
    )
    assert english.status_code == 422
    assert "Please fill this in" in english.text
    assert 'value="notice 7"' in english.text


def test_a_refused_reply_names_every_wrong_input_at_once(api: Any, session: Session, clock: FrozenClock) -> None:
    # No text and a position that is not one: both said beside their inputs in one answer, not one after the other.
    case, request_id = _asked_enforcement(api, session, clock, "kc-enforce-b")
    refused = api.client.post(
        f"/cases/{case['id']}/help/{request_id}/reply",
        data={"csrf_token": api.csrf, "text": "", "evidence_gps": "hello"},
        headers=HTML,
    )
    assert refused.status_code == 422
    section = refused.text.split(f'id="help-{request_id}"', 1)[1].split("</section>", 1)[0]
    assert 'data-field="text">请填写此项' in section
    assert 'data-field="evidence_gps">定位格式为“经度,纬度”' in section
    # The lead's own reply (回单) likewise.
    api.login("kc-traffic")
    lead = api.client.post(
        f"/cases/{case['id']}/act", data=reply_form(api, case, text="", evidence_gps="hello"), headers=HTML
    )
    assert lead.status_code == 422
    form = lead.text.split('data-command="reply"', 1)[1].split("</form>", 1)[0]
    assert 'data-field="text">请填写此项' in form
    assert 'data-field="evidence_gps">定位格式为“经度,纬度”' in form
    # Nothing at all: the text, and the photo and the position the matter asks for, in one answer.
    empty = api.client.post(
        f"/cases/{case['id']}/act", data=reply_form(api, case, text="", evidence_gps=""), headers=HTML
    )
    assert empty.status_code == 422
    form = empty.text.split('data-command="reply"', 1)[1].split("</form>", 1)[0]
    assert 'data-field="text">请填写此项' in form
    assert 'data-field="evidence_photo">缺少办结所需证据：' in form
    assert 'data-field="evidence_gps">缺少办结所需证据：' in form


def test_a_refused_reply_keeps_its_photo_to_send_again_and_stores_nothing(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    # As a browser sends it: with the form's key, so the photo and the reply stand or fall together.
    case, request_id = _asked_enforcement(api, session, clock, "kc-enforce-k")
    url = f"/cases/{case['id']}/help/{request_id}/reply"

    def photos() -> int:
        return len(session.scalars(select(CasePhoto.id).where(CasePhoto.case_id == case["id"])).all())

    before = photos()
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    section = page.split(f'id="help-{request_id}"', 1)[1]
    key = section.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    form = {"csrf_token": api.csrf, "idempotency_key": key, "text": "已核查"}
    refused = api.client.post(
        url, data={**form, "evidence_gps": "东门口"}, files={"photo": ("scene.png", PNG, "image/png")}, headers=HTML
    )
    assert refused.status_code == 422
    assert photos() == before  # nothing of a refused reply is stored
    section = refused.text.split(f'id="help-{request_id}"', 1)[1].split("</section>", 1)[0]
    assert 'id="kept-photos"' in section
    assert 'name="evidence_photo"' not in section  # no id of a photo that was never stored
    kept = dict(re.findall(r'name="(kept_photo\.\d+)" value="([^"]+)"', section))
    assert list(kept) == ["kept_photo.0"]
    again_key = section.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    data = {**form, "idempotency_key": again_key, "evidence_gps": "118.871200,28.936100", **kept}
    replied = api.client.post(url, data=data, follow_redirects=False)
    assert replied.status_code == 303, replied.text
    assert photos() == before + 1
    api.login("kc-traffic")
    shown = api.get(f"/cases/{case['id']}", headers=HTML).text.split(f'id="help-{request_id}"', 1)[1]
    assert '<img src="/api/v1/cases/photos/' in shown.split("</section>", 1)[0]


def test_closing_with_open_work_asks_for_a_decision_on_the_page(api: Any, session: Session, clock: FrozenClock) -> None:
    case = verified(api, handled_case(api, session, clock))
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    assert 'id="close-decision"' in page
    assert 'name="cancel_reason"' in page
    assert 'id="wait"' in page
    data = {"csrf_token": api.csrf, "command": "close", "version": str(case["version"])}
    refused = api.client.post(f"/cases/{case['id']}/act", data=data, headers=HTML)
    assert refused.status_code == 409
    assert "请填写理由取消后办结" in refused.text
    assert api.get(f"/api/v1/cases/{case['id']}").json()["status"] == "verified"
    closed = api.client.post(
        f"/cases/{case['id']}/act", data={**data, "cancel_reason": "现场已处置完毕"}, follow_redirects=False
    )
    assert closed.status_code == 303, closed.text
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    assert page.count('data-kind="help_cancelled"') == 2
    assert 'data-kind="task_cancelled"' in page
    assert "理由：现场已处置完毕" in page
    assert "已取消" in page


def test_the_verifier_sees_the_reply_in_words_not_codes(api: Any, session: Session, clock: FrozenClock) -> None:
    case = handled_case(api, session, clock)
    verified_case = verified(api, case)
    assert verified_case["status"] == "verified"
    api.login("gridworker")
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    reply = page.split('id="reply"', 1)[1].split('class="card"', 1)[0]
    assert "车辆已拖离" in reply
    assert '<img src="/api/v1/cases/photos/' in reply
    # The reply's photo is shown with the reply, not among the scene's photos above (before and after kept apart).
    cited = set(re.findall(r'<img src="/api/v1/cases/photos/(\d+)"', reply))
    scene = page.split('id="scene-photos"', 1)[1].split("</p>", 1)[0] if 'id="scene-photos"' in page else ""
    assert cited
    assert not cited & set(re.findall(r"/api/v1/cases/photos/(\d+)", scene))
    assert "118.87120, 28.93610" in reply
    assert "现场已恢复" in reply
    for words in ("浙H12345", "小型汽车", "人行道", "手机", "柯城区公安交警大队"):
        assert words in page
    timeline = page.split('id="timeline"', 1)[1]
    assert "系统" in timeline or "（" in timeline
    assert not RAW.search(page), RAW.search(page)
    english = api.get(f"/cases/{case['id']}?lang=en", headers=HTML).text
    assert "Car" in english
    assert "Pavement" in english
    assert not RAW.search(english), RAW.search(english)


def test_the_phase_limit_reads_in_words(api: Any, session: Session, clock: FrozenClock) -> None:
    case = handled_case(api, session, clock)
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    phase = page.split('id="phase"', 1)[1].split("</span>", 1)[0]
    assert "4 小时" in phase
    assert "hours" not in phase


def test_help_to_a_unit_not_offered_is_refused_on_the_page(api: Any, session: Session, clock: FrozenClock) -> None:
    case = handled_case(api, session, clock)
    api.login("kc-traffic")
    refused = api.client.post(
        f"/cases/{case['id']}/help",
        data={
            "csrf_token": api.csrf,
            "unit_id": str(unit(session, "hrss", "330802")),
            "text": "请协助",
            "deadline_hours": "24",
        },
        headers=HTML,
    )
    assert refused.status_code == 422
    form = refused.text.split('id="ask-help"', 1)[1].split("</form>", 1)[0]
    assert "只能向列出的协同部门发起协同" in form
    assert 'value="请协助"' in form


def test_the_reply_form_says_the_evidence_the_matter_asks_up_front(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    # Illegal parking closes on a photo, a GPS fix and a text: the handler reads it before sending, starred.
    case = handled_case(api, session, clock)
    page = api.login("kc-traffic").get(f"/cases/{case['id']}", headers=HTML).text
    form = page.split('data-command="reply"', 1)[1].split("</form>", 1)[0]
    assert 'data-needed="photo gps text"' in form
    assert "办结须提供：照片、定位、文字说明" in form
    assert "照片 * <input" in form
    assert "文书 <input" in form  # not asked
    assert '<input type="hidden" name="text_is_evidence" value="1">' in form  # the reply's text is the text asked
    assert 'id="text-from-reply"' in form
    actions = page.split('id="actions"', 1)[1]
    assert actions.index('data-command="reply"') < actions.index('data-command="escalate"')  # the reply first


def test_a_reply_command_refused_for_missing_evidence_keeps_the_text(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    case = handled_case(api, session, clock)
    api.login("kc-traffic")
    refused = api.client.post(
        f"/cases/{case['id']}/act",
        data={"csrf_token": api.csrf, "command": "reply", "version": str(case["version"]), "text": "车辆已拖离"},
        headers=HTML,
    )
    assert refused.status_code == 422
    form = refused.text.split('data-command="reply"', 1)[1].split("</form>", 1)[0]
    assert "车辆已拖离" in form
    assert "缺少办结所需证据" in form
    assert command(api, api.get(f"/api/v1/cases/{case['id']}").json(), "request_extension", reason="等待拖车", hours=4)
    # the lead is told before replying that the reply withdraws the request still waiting
    mine = api.get(f"/cases/{case['id']}", headers=HTML).text.split('data-command="reply"', 1)[1].split("</form>", 1)[0]
    assert "提交办结回复即撤回待审批的延期申请（4 小时）" in mine
    api.login("kc-centre")
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    assert 'id="pending-extension"' in page
    assert "4 小时" in page.split('id="pending-extension"', 1)[1].split("</p>", 1)[0]
    assert 'data-command="approve_extension"' in page
    assert 'data-command="refuse_extension"' in page
    assert command(api, api.get(f"/api/v1/cases/{case['id']}").json(), "approve_extension")
    badge = api.login("kc-traffic").get(f"/cases/{case['id']}", headers=HTML).text.split('id="phase"', 1)[1]
    assert "时限 4 小时（已延期 4 小时）" in badge.split("</span>", 1)[0]  # the due time a day on, explained


def test_the_level_above_decides_the_lead_from_the_page(api: Any, session: Session) -> None:
    from tests.cases.test_flow import report_parking  # noqa: PLC0415

    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    api.login("kc-traffic")
    command(api, case, "return", reason="背街小巷不属交警管辖")
    api.login("qz-centre")
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    assert 'id="decide-lead"' in page
    options = page.split('id="decide-lead"', 1)[1].split("</select>", 1)[0]
    assert "柯城区公安交警大队" in options
    traffic = unit(session, "traffic_police", "330802")
    url = f"/cases/{case['id']}/decide-lead"
    refused = api.client.post(url, data={"csrf_token": api.csrf, "lead_unit_id": str(traffic)}, headers=HTML)
    assert refused.status_code == 422
    assert "请填写此项" in refused.text.split('id="decide-lead"', 1)[1].split("</form>", 1)[0]
    decided = api.client.post(
        url,
        data={"csrf_token": api.csrf, "lead_unit_id": str(traffic), "reason": "违停由交警牵头"},
        follow_redirects=False,
    )
    assert decided.status_code == 303, decided.text
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    assert 'data-kind="lead_decided"' in page
    assert "牵头部门：柯城区公安交警大队" in page
    assert "理由：违停由交警牵头" in page


def test_decide_the_lead_is_offered_only_while_a_return_has_put_the_lead_in_dispute(api: Any, session: Session) -> None:
    from tests.cases.test_flow import report_parking  # noqa: PLC0415

    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, case, "accept")
    enforcement = unit(session, "enforcement", "330802")
    decide = f"/api/v1/cases/{case['id']}/decide-lead"
    api.login("qz-centre")
    assert 'id="decide-lead"' not in api.get(f"/cases/{case['id']}", headers=HTML).text  # awaits a first dispatch
    refused = api.send("POST", decide, json={"lead_unit_id": enforcement, "reason": "x"})
    assert refused.status_code == 409, refused.text
    api.login("kc-centre")
    case = command(api, case, "dispatch")
    api.login("kc-traffic")
    case = command(api, case, "return", reason="背街小巷不属交警管辖")
    api.login("qz-centre")
    assert 'id="decide-lead"' in api.get(f"/cases/{case['id']}", headers=HTML).text  # the dispute is open
    api.login("kc-centre")
    assert 'id="decide-lead"' not in api.get(f"/cases/{case['id']}", headers=HTML).text  # the dispatcher dispatches
    case = command(api, case, "dispatch", lead_unit_id=enforcement)
    api.login("qz-centre")
    assert 'id="decide-lead"' not in api.get(f"/cases/{case['id']}", headers=HTML).text  # dispatched again: settled


def test_supervise_and_photo_refusals_stay_on_the_page(api: Any, session: Session) -> None:
    from tests.cases.test_flow import report_parking  # noqa: PLC0415

    case = report_parking(api, session)
    api.login("kc-centre")
    url = f"/cases/{case['id']}"
    refused = api.client.post(f"{url}/supervise", data={"csrf_token": api.csrf, "action": "red_card"}, headers=HTML)
    assert refused.status_code == 422
    form = refused.text.split('id="supervise"', 1)[1].split("</form>", 1)[0]
    assert "请填写此项" in form
    assert '<option value="red_card" selected' in form
    not_a_photo = api.client.post(
        f"{url}/photo",
        data={"csrf_token": api.csrf},
        files={"photo": ("notes.txt", b"not an image", "text/plain")},
        headers=HTML,
    )
    assert not_a_photo.status_code == 415
    assert "照片须为 JPEG、PNG 或 WebP 格式" in not_a_photo.text.split('id="add-photo"', 1)[1]
    english = api.client.post(f"{url}/photo?lang=en", data={"csrf_token": api.csrf}, headers=HTML)
    assert english.status_code == 422
    assert "Please fill this in" in english.text.split('id="add-photo"', 1)[1]


def test_a_reply_that_lost_the_race_shows_why_and_what_was_typed(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    case = handled_case(api, session, clock)
    stale = {"command": "reply", "version": str(case["version"])}
    replied = verified(api, case)  # a colleague replied first, and the case moved on; back as the lead
    assert replied["status"] == "verified"
    refused = api.client.post(
        f"/cases/{case['id']}/act",
        data={**stale, "csrf_token": api.csrf, "text": "车辆已拖离，现场拍照留存", "evidence_document": "罚单 7"},
        headers=HTML,
    )
    assert refused.status_code == 409
    top = refused.text.split('id="refused"', 1)[1].split("</div>", 1)[0]
    assert "案件已被他人更新" in top
    assert "你填写的内容" in top
    assert '<blockquote class="not-sent">车辆已拖离，现场拍照留存</blockquote>' in top


def test_after_a_return_the_command_room_dispatches_to_another_unit_from_the_page(api: Any, session: Session) -> None:
    from tests.cases.test_flow import report_parking  # noqa: PLC0415

    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    api.login("kc-traffic")
    command(api, case, "return", reason="背街小巷不属交警管辖")
    api.login("kc-centre")
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    form = page.split('data-command="dispatch"', 1)[1].split("</form>", 1)[0]
    assert '<select name="lead_unit_id">' in form
    assert "柯城区公安交警大队" in form
    assert "柯城区综合行政执法队" in form
    options = re.findall(r'<option value="\d+" >([^<]+)</option>', form)
    assert options[-1] == "柯城区公安交警大队（已退回）"  # offered, but not first: a browser picks the first
    assert 'id="decide-lead"' not in page  # the dispute's decision is the level above's
    enforcement = unit(session, "enforcement", "330802")
    data = {"csrf_token": api.csrf, "command": "dispatch", "version": str(case["version"] + 1)}
    sent = api.client.post(
        f"/cases/{case['id']}/act", data={**data, "lead_unit_id": str(enforcement)}, follow_redirects=False
    )
    assert sent.status_code == 303, sent.text
    assert api.get(f"/api/v1/cases/{case['id']}").json()["lead_unit"]["id"] == enforcement


def test_after_a_return_the_page_names_no_lead_but_the_unit_that_returned_it(api: Any, session: Session) -> None:
    from tests.cases.test_flow import report_parking  # noqa: PLC0415

    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    api.login("kc-traffic")
    returned = command(api, case, "return", reason="背街小巷不属交警管辖")
    assert returned["lead_unit"] is None  # the lifecycle takes the lead away; only the page named it still
    api.login("kc-centre")
    photo = api.send("POST", f"/api/v1/cases/{case['id']}/photos", files={"photo": ("p.png", PNG, "image/png")})
    assert photo.status_code == 201, photo.text  # a line after the return: the turn is still the last one that counts
    for login in ("kc-traffic", "kc-centre"):
        api.login(login)
        page = api.get(f"/cases/{case['id']}", headers=HTML).text
        assert '<dd id="lead">待重新派单</dd>' in page, login
        assert '<dt>退回单位</dt><dd id="turned-back-by">柯城区公安交警大队</dd>' in page, login
    assert 'id="turned-back"' in page  # the dispatcher is asked to dispatch again
    queue = api.get("/cases?todo=accept", headers=HTML).text
    row = queue[queue.index(f'data-case="{case["id"]}"') :].split("</tr>")[0]
    assert '柯城区公安交警大队 <span class="muted">（拟派，待派单）</span>' in row  # the queue says it is no lead yet
    alert = page.split('id="turned-back">', 1)[1].split("</p>", 1)[0]
    officer = session.scalar(
        select(Person.name).join(Account, Account.person_id == Person.id).where(Account.username == "kc-traffic")
    )
    assert f"经办：{officer}，" in alert  # who of the unit returned it, and when
    assert "背街小巷不属交警管辖" in alert
    english = api.get(f"/cases/{case['id']}?lang=en", headers=HTML).text
    assert '<dd id="lead">Awaiting a new dispatch</dd>' in english
    dispatched = command(api, api.get(f"/api/v1/cases/{case['id']}").json(), "dispatch")
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    assert f'<dd id="lead">{dispatched["lead_unit"]["name"]}</dd>' in page
    assert 'id="turned-back-by"' not in page


def test_the_place_reads_by_name_from_the_township_down_with_the_coordinates_beside_the_map(
    api: Any, session: Session
) -> None:
    from tests.cases.test_flow import report_parking  # noqa: PLC0415

    case = report_parking(api, session)
    grid = session.get(Division, case["grid_code"])
    assert grid is not None
    village = session.get(Division, grid.parent_code)
    assert village is not None
    township = session.get(Division, village.parent_code)
    assert township is not None
    assert grid.name.startswith(village.name)  # 县学街社区第1网格: the grid's own part is shown after its village
    expected = f"{township.name} {village.name} {grid.name.removeprefix(village.name)}"
    api.login("kc-centre")
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    place = page.split('<dd id="place">', 1)[1].split("</dd>", 1)[0]
    assert place.startswith(expected)
    assert f"{case['lon']:.5f}" not in place  # no raw coordinates where the place is read
    assert f"{case['lon']:.5f}, {case['lat']:.5f}" in page.split('id="coordinates"', 1)[1].split("</p>", 1)[0]
    row = api.get(f"/cases?q={case['number']}", headers=HTML).text.split(f'data-case="{case["id"]}"', 1)[1]
    assert f'<td data-label="地点">{expected}</td>' in row.split("</tr>", 1)[0]


def test_where_the_lead_acts_it_reads_the_cards_and_the_refused_extension_of_this_phase(
    api: Any, session: Session
) -> None:
    """A card's notice and a refusal's lead to the actions: the card's note and the refusal's reason are said there."""
    case = underway(api, report_parking(api, session))
    case = command(api, case, "request_extension", hours=24, reason="车主在外地")
    api.login("kc-centre")
    case = command(api, case, "refuse_extension", reason="已超期，请今日处置")
    card = api.send(
        "POST", f"/api/v1/cases/{case['id']}/supervision", json={"action": "red_card", "note": "群众多次投诉"}
    )
    assert card.status_code == 201, card.text
    api.login("kc-traffic-head")
    actions = api.get(f"/cases/{case['id']}", headers=HTML).text.split('id="actions"', 1)[1].split('id="timeline"')[0]
    refused = actions.split('id="refused-extension">', 1)[1].split("</p>", 1)[0]
    assert "未批准延期申请" in refused
    assert "已超期，请今日处置" in refused
    cards = actions.split('id="cards-received">', 1)[1].split("</div>", 1)[0]
    assert '<li data-kind="red_card"><strong>红牌警告</strong>' in cards
    assert "群众多次投诉" in cards
    api.login("kc-traffic")
    case = command(api, api.get(f"/api/v1/cases/{case['id']}").json(), "request_extension", hours=12, reason="再申请")
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    assert 'id="refused-extension"' not in page  # asked again since: the refusal is past
    assert 'id="pending-extension"' in page


def test_the_reply_text_is_the_text_the_matter_asks_unless_another_is_written(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    """Photo, GPS and text asked: a reply with its photo and GPS, 文字说明 left blank, is sent; its text is the text."""
    case = handled_case(api, session, clock)
    api.login("kc-traffic")
    data = reply_form(api, case, evidence_text="", text_is_evidence="1")
    files = {"photo": ("scene.png", PNG, "image/png")}
    sent = api.client.post(f"/cases/{case['id']}/act", data=data, files=files, headers=HTML, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    replied = api.get(f"/api/v1/cases/{case['id']}").json()
    assert replied["status"] == "feedback"
    evidence = next(e for e in replied["timeline"] if e["kind"] == "reply")["details"]["evidence"]
    assert {"kind": "text", "ref": "已联系车主将车辆驶离"} in evidence
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    reply = page.split('id="reply"', 1)[1].split('<div class="card"', 1)[0]
    assert reply.count("已联系车主将车辆驶离") == 1  # the text once, not again as its evidence


def test_the_lead_is_offered_the_meeting_form_once_it_has_signed_for_the_case(api: Any, session: Session) -> None:
    """Before signing the unit may still return the case: its phone shows sign and return, not a meeting to record."""
    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    assert 'id="hold-meeting"' in api.get(f"/cases/{case['id']}", headers=HTML).text  # the command room: any time
    api.login("kc-traffic")
    assert 'id="hold-meeting"' not in api.get(f"/cases/{case['id']}", headers=HTML).text
    command(api, case, "sign")
    assert 'id="hold-meeting"' in api.get(f"/cases/{case['id']}", headers=HTML).text


def test_where_the_lead_acts_again_it_reads_why_the_case_came_back(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    """A failed verification and a dissatisfied rating lead the unit back to its actions: why is said there."""
    case = handled_case(api, session, clock)
    evidence = [{"kind": "gps", "ref": "118.8712,28.9361"}]
    photo = api.send("POST", f"/api/v1/cases/{case['id']}/photos", files={"photo": ("a.png", PNG, "image/png")})
    assert photo.status_code == 201, photo.text
    evidence += [{"kind": "photo", "ref": photo.json()["ref"]}, {"kind": "text", "ref": "已处置"}]
    case = command(api, api.get(f"/api/v1/cases/{case['id']}").json(), "reply", text="已处置", evidence=evidence)
    api.login("gridworker")
    case = command(api, case, "verify_failed", reason="照片看不清车牌")
    api.login("kc-traffic")
    back = api.get(f"/cases/{case['id']}", headers=HTML).text.split('id="sent-back"', 1)[1].split("</p>", 1)[0]
    assert 'data-kind="verify_failed"' in back
    assert "核查未通过" in back
    assert "照片看不清车牌" in back
    case = command(api, case, "reply", text="已补拍", evidence=evidence)
    assert 'id="sent-back"' not in api.get(f"/cases/{case['id']}", headers=HTML).text  # replied since
    api.login("gridworker")
    case = command(api, case, "verify")
    api.login("kc-traffic")
    case = command(api, case, "close", cancel_reason="已处置完毕")
    api.login("gridworker")
    case = command(api, case, "rate", rating="dissatisfied", comment="车辆第二天又停回来了")
    assert case["status"] == "reopened"
    api.login("kc-traffic")
    back = api.get(f"/cases/{case['id']}", headers=HTML).text.split('id="sent-back"', 1)[1].split("</p>", 1)[0]
    assert 'data-kind="rate"' in back
    assert "群众不满意" in back
    assert "评语：车辆第二天又停回来了" in back


def test_a_unit_that_returns_a_case_from_the_page_lands_on_its_queue_not_a_404(api: Any, session: Session) -> None:
    from tests.cases.test_flow import report_parking  # noqa: PLC0415

    case = report_parking(api, session)
    api.login("kc-centre")
    enforcement = unit(session, "enforcement", "330802")  # dispatched away from the unit it was routed to
    case = command(api, command(api, case, "accept"), "dispatch", lead_unit_id=enforcement)
    api.login("kc-enforcement")
    data = {
        "csrf_token": api.csrf,
        "command": "return",
        "version": str(case["version"]),
        "reason": "背街小巷不属交警管辖",
    }
    sent = api.client.post(f"/cases/{case['id']}/act", data=data, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == "/cases?handed_over=1"  # the case left the unit's sight with the 退回
    queue = api.get(sent.headers["location"], headers=HTML)
    assert queue.status_code == 200
    assert 'id="handed-over"' in queue.text


def test_a_description_in_both_languages_is_shown_in_the_pages(api: Any) -> None:
    # A reporting system that words the case itself (an early warning, a campaign's report) gives both.
    api.login("gridworker")
    body = {
        "matter": "illegal_parking",
        "place": "柯城区府山街道",
        "description": "预警：路口长期违停",
        "description_en": "Warning: cars parked at the junction for days",
        "attributes": {"plate_number": "浙H1", "vehicle_type": "car", "parked_on": "pavement"},
    }
    case = api.send("POST", "/api/v1/cases", json=body).json()
    assert api.get(f"/api/v1/cases/{case['id']}").json()["description_en"] == body["description_en"]
    zh = api.get(f"/cases/{case['id']}", headers=HTML).text
    assert '<dd translate="no" id="description">预警：路口长期违停</dd>' in zh
    en = api.get(f"/cases/{case['id']}?lang=en", headers=HTML).text
    assert '<dd translate="no" id="description">Warning: cars parked at the junction for days</dd>' in en
    plain = api.send("POST", "/api/v1/cases", json={**body, "description_en": None}).json()
    # A person's words stay as written, in both languages.
    assert api.get(f"/api/v1/cases/{plain['id']}").json()["description_en"] is None
    assert (
        '<dd translate="no" id="description">预警：路口长期违停</dd>'
        in api.get(f"/cases/{plain['id']}?lang=en", headers=HTML).text
    )


def test_a_case_its_lead_returned_may_be_refused_by_the_dispatcher(api: Any, session: Session) -> None:
    """退回 because it is no government matter: the dispatcher refuses it (不予受理) rather than dispatch it again."""
    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    api.login("kc-traffic")
    case = command(api, case, "sign")
    enforcement = unit(session, "enforcement", "330802")
    asked = api.send(
        "POST",
        f"/api/v1/cases/{case['id']}/help-requests",
        json={"requests": [{"unit_id": enforcement, "deadline_hours": 24, "text": "请协助核实"}]},
    )
    assert asked.status_code == 201, asked.text
    case = command(api, api.get(f"/api/v1/cases/{case['id']}").json(), "return", reason="属业主与物业之间的民事纠纷")
    api.login("kc-centre")
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    assert 'data-command="reject"' in page
    done = api.client.post(
        f"/cases/{case['id']}/act",
        data={
            "csrf_token": api.csrf,
            "command": "reject",
            "version": str(case["version"]),
            "reason": "民事纠纷，建议诉讼",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    after = api.get(f"/api/v1/cases/{case['id']}").json()
    assert after["status"] == "rejected"
    assert "民事纠纷，建议诉讼" in api.get(f"/cases/{case['id']}", headers=HTML).text
    # the help asked is not left waiting on a refused case: cancelled with the refusal's reason
    help_asked = api.get(f"/api/v1/cases/{case['id']}").json()
    kinds = [line["kind"] for line in api.get(f"/api/v1/cases/{case['id']}").json()["timeline"]]
    assert "help_cancelled" in kinds
    assert help_asked["status"] == "rejected"
    asked_notices = session.scalars(
        select(InboxItem)
        .join(Notification, Notification.id == InboxItem.notification_id)
        .where(Notification.subject == f"case:{case['id']}", Notification.topic == "case.help_requested")
    ).all()
    assert asked_notices
    assert all(item.read_at is not None for item in asked_notices)  # nothing left to answer: not waiting
    withdrawn = session.scalars(
        select(Notification.body).where(
            Notification.subject == f"case:{case['id']}", Notification.topic == "case.help_cancelled"
        )
    ).all()
    assert withdrawn
    assert not [body for body in withdrawn if "时限" in body]  # nothing to do by a time: no deadline said


def test_a_case_escalated_is_handled_not_refused(api: Any, session: Session) -> None:
    case = underway(api, report_parking(api, session))
    case = command(api, case, "escalate", reason="需市级协调")
    assert case["status"] == "accepted"
    above = api.login("qz-centre").get(f"/api/v1/cases/{case['id']}").json()
    assert "dispatch" in above["allowed_commands"]  # the level above dispatches it
    assert "reject" not in above["allowed_commands"]
    refused = api.send(
        "POST",
        f"/api/v1/cases/{case['id']}/commands",
        json={"command": "reject", "version": above["version"], "reason": "不受理"},
    )
    assert refused.status_code == 409


def test_the_routing_lines_of_a_new_case_name_the_routing_not_the_reporter(api: Any, session: Session) -> None:
    """分拨 and 已告知网格联系人 are the rules' doing: the reporter's name is on the report's line only."""
    case = report_parking(api, session)
    page = api.get(f"/cases/{case['id']}", headers={"accept": "text/html"}).text
    timeline = page.split('class="timeline', 1)[1].split("</ol>", 1)[0]
    lines = {line.split('"', 1)[0]: line for line in timeline.split('data-kind="')[1:]}
    assert '<span class="actor">自动分拨</span>' in lines["routed"]
    assert '<span class="actor">自动分拨</span>' in lines["contact_informed"]
    assert '<span class="actor">自动分拨</span>' not in lines["report"]


def reply_card_with_gps(api: Any, session: Session, *, east: float) -> str:
    """The verifier's reply card of a case `kc-traffic` replied to with a GPS fix `east` degrees from its point."""
    case = underway(api, report_parking(api, session))  # kc-traffic logged in, the case started
    point = session.execute(select(Case.lon, Case.lat).where(Case.id == case["id"])).one()
    photo = api.send("POST", f"/api/v1/cases/{case['id']}/photos", files={"photo": ("p.png", PNG, "image/png")})
    case = api.get(f"/api/v1/cases/{case['id']}").json()
    evidence = [
        {"kind": "photo", "ref": photo.json()["ref"]},
        {"kind": "gps", "ref": f"{point.lon + east:.5f},{point.lat:.5f}"},
        {"kind": "text", "ref": "已拖离"},
    ]
    case = command(api, case, "reply", text="车辆已拖离", evidence=evidence)
    api.login("gridworker")
    page = html.unescape(api.get(f"/cases/{case['id']}", headers=HTML).text)
    return page.split('id="reply"', 1)[1].split('class="card"', 1)[0]


def test_the_verifier_is_told_when_the_replys_gps_is_far_from_the_case(api: Any, session: Session) -> None:
    """A fix taken at the office, 30 km away, is said so beside it; one on the spot is not."""
    reply = reply_card_with_gps(api, session, east=0.3)
    found = re.search(r'class="far-from-case">距办件位置约 (\d+\.\d) 公里，请核实是否在现场', reply)
    assert found is not None, reply
    assert 28 < float(found.group(1)) < 31  # 0.3° of longitude at 29° north: about 29 km


def test_a_fix_on_the_spot_is_not_said_far(api: Any, session: Session) -> None:
    assert 95 < metres_between((118.87, 28.94), (118.871, 28.94)) < 100  # 0.001° east: about 100 m, on the spot
    reply = reply_card_with_gps(api, session, east=0.001)
    assert 'class="gps"' in reply
    assert "far-from-case" not in reply


def test_every_reader_is_told_whose_turn_it_is(api: Any, session: Session, clock: FrozenClock) -> None:
    case = report_parking(api, session)

    def next_step(username: str) -> str:
        page = api.login(username).get(f"/cases/{case['id']}", headers=HTML).text
        return page.split('id="next-step"><strong>', 1)[1].split("<", 1)[0]

    assert next_step("gridworker") == "待柯城区社会治理中心受理"
    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    assert next_step("gridworker") == "待柯城区公安交警大队签收"
    api.login("kc-traffic")
    case = command(api, case, "sign")
    assert next_step("kc-centre") == "待柯城区公安交警大队开始处置"
    case = command(api.login("kc-traffic"), case, "start")
    assert next_step("kc-traffic") == "待柯城区公安交警大队办理并回复"
    case = command(api, case, "request_extension", hours=24, reason="等拖车")
    assert next_step("kc-traffic") == "待柯城区社会治理中心审批延期申请"


def test_a_scene_photo_the_reply_cites_stays_with_the_scene(api: Any, session: Session) -> None:
    """The reporter's photo is the before: cited by the lead's reply too, it is not moved out of the scene's."""
    case = report_parking(api, session)  # as the grid worker, who adds the scene's photo
    scene = api.send("POST", f"/api/v1/cases/{case['id']}/photos", files={"photo": ("s.png", PNG, "image/png")})
    assert scene.status_code == 201, scene.text
    case = underway(api, api.get(f"/api/v1/cases/{case['id']}").json())
    after = api.send("POST", f"/api/v1/cases/{case['id']}/photos", files={"photo": ("a.png", PNG, "image/png")})
    assert after.status_code == 201, after.text
    case = api.get(f"/api/v1/cases/{case['id']}").json()
    evidence = [{"kind": "photo", "ref": p.json()["ref"]} for p in (scene, after)]
    gps_and_text = [{"kind": "gps", "ref": "118.8712,28.9361"}, {"kind": "text", "ref": "现场已恢复"}]
    command(api, case, "reply", text="车辆已拖离", evidence=[*evidence, *gps_and_text])
    page = api.login("gridworker").get(f"/cases/{case['id']}", headers=HTML).text
    strip = page.split('id="scene-photos"', 1)[1].split("</p>", 1)[0]
    assert f"/api/v1/cases/photos/{scene.json()['id']}" in strip
    assert f"/api/v1/cases/photos/{after.json()['id']}" not in strip  # the handler's own: with the reply only


def test_the_level_above_is_told_whose_turn_a_verification_is_and_the_reporter_reads_you(
    api: Any, session: Session
) -> None:
    case = underway(api, report_parking(api, session))  # filed by the grid worker, a person: they verify, or the centre
    photo = api.send("POST", f"/api/v1/cases/{case['id']}/photos", files={"photo": ("a.png", PNG, "image/png")})
    evidence = [
        {"kind": "photo", "ref": photo.json()["ref"]},
        {"kind": "gps", "ref": "118.8712,28.9361"},
        {"kind": "text", "ref": "现场已恢复"},
    ]
    command(api, api.get(f"/api/v1/cases/{case['id']}").json(), "reply", text="车辆已拖离", evidence=evidence)
    gridworker = api.login("gridworker").get(f"/cases/{case['id']}", headers=HTML).text
    assert "待您或柯城区社会治理中心核查办理结果" in gridworker
    assert 'id="stepping-in"' not in gridworker
    kc = api.login("kc-centre").get(f"/cases/{case['id']}", headers=HTML).text
    assert "待上报人或柯城区社会治理中心核查办理结果" in kc
    assert 'id="stepping-in"' not in kc
    city = api.login("qz-centre").get(f"/cases/{case['id']}", headers=HTML).text
    assert 'data-command="verify"' in city  # the city may step in …
    assert 'id="stepping-in"' in city  # … and is told it is the county's turn
