"""How a record reads: numbers to entities, problems and changes by their labels (no database)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_type_hints

from sqlalchemy import text
from sqlalchemy.orm import Session

import zhili
from zhili.audit_trail import display
from zhili.campaigns.tasks.store import Changes


def test_case_and_campaign_numbers_name_their_entities() -> None:
    assert display.entity_from_number("ZL20260012546") == ("case", "12546")
    assert display.entity_from_number(" sl2026000001 ") == ("campaign", "1")
    assert display.entity_from_number("12546") is None


def test_entities_link_to_their_pages_where_they_have_one() -> None:
    assert display.entity_link("case", "7") == "/cases/7"
    assert display.entity_link("command_group", "3") == "/groups/3"
    assert display.entity_link("account", "3") is None


def test_actions_are_labelled_a_cases_by_its_event() -> None:
    assert display.action_label("command_group.open") == "建立指挥组"
    assert display.action_label("command_group.open", "en") == "Command group opened"
    assert display.action_label("case.accept") == "受理"
    assert display.action_label("no.such.action") is None


def test_the_checks_problems_are_said_in_the_pages_language() -> None:
    edited = "seq 5: content does not match its hash; the row was edited"
    assert display.problem_label(edited) == "第 5 条记录的内容与其哈希值不符：记录被修改"
    missing = "seq 4: missing (next present is 6); rows were deleted"
    assert display.problem_label(missing, "en") == "Record 4 is missing (the next present is 6): records were deleted"


def test_changes_show_labels_local_times_and_fold_long_values() -> None:
    found = display.changes(
        "case",
        {"status": "reported"},
        {
            "status": "accepted",
            "deadline_at": "2026-12-05T02:00:00+00:00",
            "events": [["report", "at"], ["accept", "at"]],
            "odd_field": "x_y",
        },
    )
    by_field = {change.field: change for change in found}
    assert by_field["状态"].before == display.Shown("已上报")
    assert by_field["状态"].after == display.Shown("已受理")
    assert by_field["期限"].after == display.Shown("2026-12-05 10:00")
    assert by_field["经过"].after is not None
    assert by_field["经过"].after.folded is not None
    assert by_field["odd_field"].is_code


def test_evidence_and_lists_read_in_words() -> None:
    """A reply's evidence by its kinds, a list of places or people by their names: not JSON under "N 项"."""
    evidence = '[{"kind": "photo", "ref": "12"}, {"kind": "gps", "ref": "118.87,28.97"}]'
    names = {("division", "330825"): "龙游县", ("person", "490"): "廖梅"}
    found = display.changes(
        "case",
        None,
        {"evidence": evidence, "areas": ["330825", "330802"], "people": [490], "point": [118.76, 29.18]},
        names=names,
    )
    by_field = {change.field: change.after for change in found}
    assert by_field["证据"] == display.Shown("照片编号 12；定位 118.87,28.97")
    emptied = display.changes("case", {"evidence": '[{"kind": "text", "ref": "x"}]'}, {"evidence": "[]"})
    assert emptied[0].after == display.Shown("—")
    shown = {change.after.text for change in found if change.after is not None}
    assert {"龙游县、330802", "廖梅", "118.76、29.18"} <= shown
    english = display.changes("case", None, {"evidence": evidence}, "en")[0].after
    assert english == display.Shown("Photo id 12; GPS 118.87,28.97")


def test_a_role_is_named_and_what_is_not_a_role_is_not_shown() -> None:
    assert display.role_label("grid_worker") == "网格员"
    assert display.role_label("login") is None


def test_posts_places_and_ids_read_by_their_names() -> None:
    names = {("division", "330802006001001"): "蛟池街社区第1网格", ("person", "19724"): "张新民"}
    found = display.changes(
        "person",
        None,
        {"role": "grid_worker", "division_code": "330802006001001", "person_id": 19724, "position_id": 12345},
        names=names,
    )
    by_field = {change.field: change.after for change in found}
    assert by_field["岗位"] == display.Shown("网格员")
    assert by_field["区划"] == display.Shown("蛟池街社区第1网格")
    assert by_field["人员"] == display.Shown("张新民")
    assert by_field["岗位人员"] == display.Shown("12345")  # an id unnamed is not an amount (no 12,345)
    assert display.action_label("access.account.deactivated") == "停用账号"
    # A case's matter and its lead unit read by their names, a help request by its kind.
    named = {("matter", "wage_arrears"): "欠薪处置", ("department", "7"): "衢江区人力资源和社会保障局"}
    case = {
        c.field: c.after
        for c in display.changes("case", None, {"matter": "wage_arrears", "lead_unit_id": 7}, names=named)
    }
    assert case == {"事项": display.Shown("欠薪处置"), "牵头单位": display.Shown("衢江区人力资源和社会保障局")}
    assert display.entity_label("collaboration_request") == "协同请求"


def test_a_webhooks_settings_read_by_their_labels() -> None:
    found = display.changes(
        "webhook_endpoint", None, {"format": "dingtalk_md", "min_severity": "info", "has_secret": False}
    )
    by_field = {change.field: change.after for change in found}
    assert by_field["格式"] == display.Shown("钉钉机器人（图文）")
    assert by_field["最低级别"] == display.Shown("通知")
    assert by_field["加签密钥"] == display.Shown("否")
    assert display.entity_label("webhook_endpoint") == "推送地址"
    assert display.entity_link("webhook_endpoint", "1") == "/admin/webhooks/1"


def test_a_command_groups_area_and_origin_read_by_their_names() -> None:
    names = {("division", "330825"): "龙游县"}
    found = display.changes(
        "command_group", None, {"title": "防台风", "area": "330825", "origin": "campaign"}, names=names
    )
    by_field = {change.field: change.after for change in found}
    assert by_field["区域"] == display.Shown("龙游县")
    assert by_field["来源"] == display.Shown("由三联工程成立")
    assert display.changes("command_group", None, {"origin": "manual"}, language="en")[0].after == display.Shown(
        "Opened by hand"
    )


def test_every_field_the_world_records_has_a_label(session: Session) -> None:
    # The demo world's year of records: each field of a before or after reads by its label, never by its code.
    if session.get_bind().dialect.name == "postgresql":
        keys = "SELECT DISTINCT jsonb_object_keys(CAST({} AS jsonb)) FROM audit_records WHERE {} LIKE '{{%'"
    else:
        keys = "SELECT DISTINCT j.key FROM audit_records, json_each({}) AS j WHERE {} LIKE '{{%'"
    fields: set[str] = set()
    for column in ('"before"', '"after"'):
        fields |= set(session.scalars(text(keys.format(column, column))))
    assert len(fields) > 50  # the world records many kinds of things
    unlabelled = sorted(name for name in fields if display.changes("case", None, {name: 1}, "zh", {})[0].is_code)
    assert unlabelled == []


def test_every_column_a_task_action_writes_has_a_label() -> None:
    # A task's actions are audited with the columns they change (`campaigns.tasks.store.Changes`), the state too.
    columns = ["state", *get_type_hints(Changes)]
    unlabelled = [name for name in columns if display.changes("campaign_task", None, {name: 1}, "zh", {})[0].is_code]
    assert unlabelled == []


def test_what_changed_comes_first_and_a_value_kept_is_said_once() -> None:
    found = display.changes(
        "case",
        {"status": "closed", "lead_unit_id": 2},
        {"status": "rated", "lead_unit_id": 2, "rating": "satisfied", "place": "330802"},
        names={("department", "2"): "柯城区交警大队", ("division", "330802"): "柯城区"},
    )
    assert [change.field for change in found] == ["地点", "评价", "状态", "牵头单位"]  # what changed, then the rest
    by_field = {change.field: change for change in found}
    assert (by_field["状态"].before, by_field["状态"].after) == (display.Shown("已办结"), display.Shown("已评价"))
    assert by_field["牵头单位"].before is None  # kept as it was: said once, no "A → A"
    assert by_field["牵头单位"].after == display.Shown("柯城区交警大队")
    assert by_field["评价"].after == display.Shown("满意")
    assert display.Shown("柯城区") in {change.after for change in found}


def test_the_calendar_counted_on_and_a_photos_number_read_in_words() -> None:
    found = display.changes(
        "case",
        None,
        {"phase_calendar_basis": "2026:library,2027:unknown", "evidence": '[{"kind": "photo", "ref": "photo:12595"}]'},
    )
    shown = {change.after.text for change in found if change.after is not None}
    assert "2026 内置节假日库、2027 未知（按周一至周五）" in shown
    assert "照片编号 12595" in shown


def test_an_empty_field_kept_empty_is_left_out_and_codes_read_by_their_labels() -> None:
    refused = display.changes(
        "case", {"status": "reported"}, {"status": "rejected", "reject_reason": "x", "rating": None}
    )
    assert "评价" not in [change.field for change in refused]  # unset before, unset now: nothing to say
    assert display.changes("campaign", None, {"mode": "all"})[0].after == display.Shown("一键直达")
    assert display.changes("matter", None, {"source": "file"})[0].after == display.Shown("文件")
    assert display.changes("", None, {"seed": 20210723})[0].after == display.Shown("20210723")  # a name, not 20,210,723
    named = display.changes("case", None, {"case_id": 7, "template": "typhoon"}, names={("case", "7"): "ZL20260000007"})
    assert {change.after for change in named} >= {display.Shown("ZL20260000007")}
    assert display.named_values([(None, {"template": "typhoon", "case_id": 7})]) == {
        ("template", "typhoon"),
        ("case", "7"),
    }


def test_every_action_the_code_records_by_name_has_a_label() -> None:
    """The audit page names an action by its label, falling back to its code: no action the code names falls back."""
    recorded: set[str] = set()
    for path in Path(zhili.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called not in {"record", "record_by"}:
                continue
            named = [*node.args, *(keyword.value for keyword in node.keywords if keyword.arg == "action")]
            recorded |= {
                arg.value
                for arg in named
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "." in arg.value
            }
    assert len(recorded) > 50
    assert sorted(action for action in recorded if display.action_label(action) is None) == []
    assert all(display.action_label(action, "en") for action in recorded)
