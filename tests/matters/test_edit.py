"""An administrator edits a matter's limits and assignment: a new version, kept apart from the file's."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.models import Case
from zhili.core.audit import AuditRecord
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.core.errors import ConflictError, InvalidInputError
from zhili.matters import queries
from zhili.matters.catalog import load_catalog
from zhili.matters.definition import HandlerLevel, Limit, Phase
from zhili.matters.schemas import MatterEdit
from zhili.matters.service import edit_matter, sync_catalog

ADMIN = system_actor("test")
HTML = {"accept": "text/html"}
DEPARTMENT_HANDLE = (HandlerLevel.DEPARTMENT, Phase.HANDLE)


def longer_handling(version: int = 1, **change: Any) -> MatterEdit:
    """Parking's department limits with 处置 at 2 working days."""
    limits = {phase: Limit(amount=2, unit="working_days") if phase is Phase.HANDLE else None for phase in Phase}
    current = load_catalog()
    parking = next(d for d in current if d.code == "illegal_parking")
    department = {phase: limits[phase] or parking.limit(HandlerLevel.DEPARTMENT, phase) for phase in Phase}
    return MatterEdit.model_validate(
        {"version": version, "limits": {HandlerLevel.DEPARTMENT: department}, "reason": "县里调整时限", **change}
    )


def test_an_edit_is_a_new_current_version_and_a_running_case_keeps_its_own(
    session: Session, clock: FrozenClock
) -> None:
    running = session.scalars(select(Case).where(Case.matter_code == "illegal_parking")).first()
    assert running is not None
    old_version_id = running.matter_version_id
    row = edit_matter(session, code="illegal_parking", data=longer_handling(), actor=ADMIN, clock=clock)
    assert (row.version, row.source, row.reason) == (2, "page", "县里调整时限")
    ref, definition = queries.current_definition(session, "illegal_parking")
    assert (ref.version, ref.source) == (2, "page")
    assert definition.limit(*DEPARTMENT_HANDLE) == Limit(amount=2, unit="working_days")
    session.refresh(running)
    assert running.matter_version_id == old_version_id
    assert queries.definition_by_version_id(session, old_version_id).limit(*DEPARTMENT_HANDLE).unit == "hours"
    history = queries.get_matter(session, "illegal_parking").versions
    assert [(v.version, v.is_current, v.source) for v in history] == [(2, True, "page"), (1, False, "file")]
    audit = session.scalars(select(AuditRecord).where(AuditRecord.action == "matters.matter.edited")).one()
    assert '"limits.department.handle"' in (audit.after or "")
    assert '"hours"' in (audit.before or "")


def test_an_edit_on_an_older_version_is_a_conflict_and_a_bad_one_is_refused_by_field(
    session: Session, clock: FrozenClock
) -> None:
    edit_matter(session, code="illegal_parking", data=longer_handling(), actor=ADMIN, clock=clock)
    with pytest.raises(ConflictError):
        edit_matter(session, code="illegal_parking", data=longer_handling(), actor=ADMIN, clock=clock)
    bad = longer_handling(version=2, lead_kind="nobody", collaborator_kinds=["traffic_police"])
    with pytest.raises(InvalidInputError) as refused:
        edit_matter(session, code="illegal_parking", data=bad, actor=ADMIN, clock=clock)
    assert {e["field"] for e in refused.value.extra["errors"]} >= {"lead_kind"}
    leading_and_helping = longer_handling(version=2, collaborator_kinds=["traffic_police"])
    with pytest.raises(InvalidInputError) as refused:
        edit_matter(session, code="illegal_parking", data=leading_and_helping, actor=ADMIN, clock=clock)
    assert [e["field"] for e in refused.value.extra["errors"]] == ["collaborator_kinds"], "said once, by its field"


def test_a_reload_keeps_a_page_edit_until_its_file_changes(session: Session, clock: FrozenClock) -> None:
    edit_matter(session, code="illegal_parking", data=longer_handling(), actor=ADMIN, clock=clock)
    unchanged = sync_catalog(session, actor=ADMIN, clock=clock)
    assert "illegal_parking" in unchanged.unchanged
    assert not unchanged.is_changed
    assert queries.current_version(session, "illegal_parking").version == 2
    changed_file = [
        d.model_copy(update={"name_en": "Parking (file v3)"}) if d.code == "illegal_parking" else d
        for d in load_catalog()
    ]
    report = sync_catalog(session, actor=ADMIN, clock=clock, definitions=changed_file)
    assert (report.new_versions, report.superseded) == ({"illegal_parking": 3}, {"illegal_parking": 2})
    current = queries.current_version(session, "illegal_parking")
    assert (current.version, current.source, current.definition.limit(*DEPARTMENT_HANDLE).unit) == (3, "file", "hours")
    audit = session.scalars(select(AuditRecord).where(AuditRecord.action == "matters.matter.versioned")).one()
    assert '"superseded_page_edit":2' in (audit.after or "")


def form(page: str, **change: Any) -> dict[str, Any]:
    """The edit form's fields as the page fills them in, with `change` over them."""
    fields: dict[str, Any] = {}
    for name in ("version", "csrf_token", "idempotency_key", "reason", "lead_kind"):
        marker = f'name="{name}" value="'
        if marker in page:
            fields[name] = page.split(marker, 1)[1].split('"', 1)[0]
    for level in ("department",):
        for phase in ("accept", "sign", "handle", "verify"):
            name = f"limits.{level}.{phase}"
            fields[f"{name}.amount"] = page.split(f'name="{name}.amount"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
            unit_select = page.split(f'name="{name}.unit"', 1)[1].split("</select>", 1)[0]
            fields[f"{name}.unit"] = unit_select.split(" selected", 1)[0].rsplit('value="', 1)[1].split('"', 1)[0]
    fields["lead_kind"] = "traffic_police"
    return {**fields, **change}


def test_an_administrator_edits_on_the_page_and_a_refused_form_keeps_its_input(api: Any) -> None:
    api.login("admin")
    page = api.get("/matters/illegal_parking", headers=HTML).text
    assert "编辑时限与分工" in page
    assert 'id="edit-matter"' in page
    refused = api.send(
        "POST",
        "/matters/illegal_parking/edit",
        data=form(
            page, **{"limits.department.handle.amount": "999", "reason": "  ", "collaborator_kinds": ["traffic_police"]}
        ),
        headers=HTML,
    )
    assert refused.status_code == 422
    for field in ("limits.department.handle.amount", "reason", "collaborator_kinds"):
        assert f'data-field="{field}"' in refused.text, field
    assert 'value="999"' in refused.text  # what was typed is kept
    unchosen = api.send("POST", "/matters/illegal_parking/edit", data=form(page, lead_kind=""), headers=HTML)
    assert 'data-field="lead_kind">请选择此项' in unchosen.text, "a select left blank is told to choose, not 格式不正确"
    saved = api.send(
        "POST",
        "/matters/illegal_parking/edit",
        data=form(page, **{"limits.department.handle.amount": "6", "reason": "延长处置时限"}),
        headers=HTML,
    )
    assert saved.status_code == 200
    assert "已保存为版本 2" in saved.text
    assert "6 小时" in saved.text
    assert "页面修改" in saved.text
    assert "延长处置时限" in saved.text


def checked_kinds(page: str) -> list[str]:
    return re.findall(r'name="collaborator_kinds" value="(\w+)" checked', page)


def test_a_form_saved_after_another_edit_keeps_that_edit_and_names_the_fields_both_changed(api: Any) -> None:
    api.login("admin")
    opened = api.get("/matters/illegal_parking", headers=HTML).text
    mine = form(
        opened,
        collaborator_kinds=checked_kinds(opened),
        reason="延长处置和核查时限",
        **{"limits.department.handle.amount": "6", "limits.department.verify.amount": "3"},
    )
    department = api.get("/api/v1/matters/illegal_parking").json()["latest"]["definition"]["limits"]["department"]
    theirs = {**department, "verify": {"amount": 4, "unit": "working_days"}}
    other = {
        "version": 1,
        "collaborator_kinds": ["enforcement"],
        "limits": {"department": theirs},
        "reason": "城管协同",
    }
    assert api.send("PATCH", "/api/v1/matters/illegal_parking", json=other).status_code == 200

    stale = api.send("POST", "/matters/illegal_parking/edit", data=mine, headers=HTML)
    assert stale.status_code == 409
    assert "表单已按最新版本更新" in stale.text
    assert 'name="version" value="2"' in stale.text
    assert checked_kinds(stale.text) == ["enforcement"], "the other edit's collaborators, which this form left alone"
    assert 'value="延长处置和核查时限"' in stale.text, "the reason typed is kept"
    again = form(stale.text, collaborator_kinds=checked_kinds(stale.text), reason="延长处置和核查时限")
    assert (again["limits.department.handle.amount"], again["limits.department.verify.amount"]) == ("6", "3")
    both = re.findall(r'data-field="([\w.]+)">新版本也修改了此项', stale.text)
    assert both == ["limits.department.verify.amount"], "only the field both edits changed is named"

    resaved = api.send("POST", "/matters/illegal_parking/edit", data=again, headers=HTML)
    assert resaved.status_code == 200, re.findall(r"data-field=\"[^<]*", resaved.text)
    assert "已保存为版本 3" in resaved.text
    saved = api.get("/api/v1/matters/illegal_parking").json()["latest"]
    assert saved["version"] == 3
    assert saved["definition"]["collaborator_kinds"] == ["enforcement"]
    assert saved["definition"]["limits"]["department"]["handle"]["amount"] == 6
    assert saved["definition"]["limits"]["department"]["verify"]["amount"] == 3


def test_others_see_no_form_and_are_refused(api: Any) -> None:
    api.login("qz-centre")
    page = api.get("/matters/illegal_parking", headers=HTML).text
    assert "编辑时限与分工" not in page
    assert 'id="edit-matter"' not in page
    data = {"csrf_token": api.csrf, "version": "1", "reason": "x", "limits.department.handle.amount": "6"}
    assert api.send("POST", "/matters/illegal_parking/edit", data=data, headers=HTML).status_code == 403


def test_the_api_edits_with_its_answers(api: Any) -> None:
    body = {"version": 1, "collaborator_kinds": ["enforcement"], "reason": "城管协同"}
    api.login("qz-centre")
    assert api.send("PATCH", "/api/v1/matters/illegal_parking", json=body).status_code == 403
    api.login("admin")
    assert api.send("PATCH", "/api/v1/matters/no_such_matter", json=body).status_code == 404
    bad = api.send("PATCH", "/api/v1/matters/illegal_parking", json={**body, "collaborator_kinds": ["traffic_police"]})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["collaborator_kinds"]
    key = {"Idempotency-Key": "edit-1"}
    done = api.send("PATCH", "/api/v1/matters/illegal_parking", json=body, headers=key)
    assert done.status_code == 200
    assert done.json()["latest"]["definition"]["collaborator_kinds"] == ["enforcement"]
    assert done.json()["versions"][0] == {**done.json()["versions"][0], "version": 2, "source": "page"}
    again = api.send("PATCH", "/api/v1/matters/illegal_parking", json=body, headers=key)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert api.send("PATCH", "/api/v1/matters/illegal_parking", json=body).status_code == 409
