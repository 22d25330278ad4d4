"""The audit record page: administrators read the chain by filters, page through it and verify it; nobody else."""

from __future__ import annotations

import re
from html import escape
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.campaigns.task_helpers import actor_of, dispatch_typhoon, task_of
from zhili.access.models import Account
from zhili.command_groups.models import CommandGroup
from zhili.core.actor_names import actor_names
from zhili.core.audit import AuditRecord
from zhili.core.local_time import LOCAL_ZONE
from zhili.org.models import Division
from zhili.workbench.menu import menu_for

HTML = {"accept": "text/html"}
SEQ = re.compile(r'<td class="card-head">#(\d+)</td>')


def seqs(page: str) -> list[int]:
    return [int(found) for found in SEQ.findall(page)]


def test_the_record_is_listed_newest_first_by_label_and_local_time(api: Any, session: Session) -> None:
    api.login("admin")
    newest = session.scalar(select(func.max(AuditRecord.seq)))
    page = api.get("/admin/audit", headers=HTML)
    assert page.status_code == 200
    shown = seqs(page.text)
    assert shown[0] == newest
    assert shown == sorted(shown, reverse=True)
    assert len(shown) == 50
    assert "操作记录" in page.text
    assert "account:" not in page.text  # people by name
    assert "+00:00" not in page.text  # local times


def test_the_pages_follow_on_without_a_gap(api: Any) -> None:
    first = api.login("admin").get("/admin/audit", headers=HTML).text
    link = re.search(r'href="(/admin/audit\?[^"]*cursor=[^"]+)" id="audit-next"', first)
    assert link is not None
    second = api.get(link.group(1).replace("&amp;", "&"), headers=HTML).text
    assert seqs(second)[0] == seqs(first)[-1] - 1


def test_filters_narrow_by_action_actor_entity_and_local_dates(api: Any, session: Session) -> None:
    api.login("admin")
    opened = session.scalars(select(AuditRecord).where(AuditRecord.action == "command_group.open")).all()
    page = api.get("/admin/audit?action=command_group.open", headers=HTML).text
    assert sorted(seqs(page)) == sorted(r.seq for r in opened)
    assert "建立指挥组" in page
    assert '<option value="command_group.open" selected>' in page
    # by the name the page shows
    record = opened[0]
    name = actor_names(session, [record.actor])[record.actor]
    by_name = seqs(api.get(f"/admin/audit?who={name}", headers=HTML).text)
    assert record.seq in by_name
    mine = session.scalars(select(AuditRecord.seq).where(AuditRecord.actor == record.actor)).all()
    assert set(by_name) <= set(mine)
    # by entity, with a link to its page
    by_group = api.get(f"/admin/audit?entity_type=command_group&entity={record.entity_id}", headers=HTML).text
    assert record.seq in seqs(by_group)
    title = session.scalars(select(CommandGroup.title).where(CommandGroup.id == int(record.entity_id))).one()
    assert f'<a href="/groups/{record.entity_id}">{escape(title)}</a>' in by_group
    # by local dates: the day of the record holds it, the day after does not
    day = record.at.astimezone(LOCAL_ZONE).date()
    assert record.seq in seqs(
        api.get(f"/admin/audit?action=command_group.open&since={day}&until={day}", headers=HTML).text
    )
    later = day.fromordinal(day.toordinal() + 1)
    assert seqs(api.get(f"/admin/audit?action=command_group.open&since={later}", headers=HTML).text) == []


def test_a_case_is_found_by_its_number(api: Any, session: Session) -> None:
    record = session.scalars(select(AuditRecord).where(AuditRecord.action == "case.reported").limit(1)).one()
    number = (record.after or "").split('"number":"')[1].split('"')[0]
    page = api.login("admin").get(f"/admin/audit?entity={number}", headers=HTML).text
    assert record.seq in seqs(page)
    assert f'<a href="/cases/{record.entity_id}">{number}</a>' in page  # named by its number, not its id
    assert "案件上报" in page


def test_a_wrong_date_is_shown_beside_its_field_and_kept(api: Any) -> None:
    page = api.login("admin").get("/admin/audit?since=2026-13-01&who=abc", headers=HTML)
    assert page.status_code == 422
    assert 'id="error-since"' in page.text
    assert 'value="2026-13-01"' in page.text
    assert 'value="abc"' in page.text


def test_verifying_an_intact_chain_counts_its_records(api: Any, session: Session) -> None:
    api.login("admin")
    count = session.scalar(select(func.count()).select_from(AuditRecord))
    page = api.client.post("/admin/audit/verify", data={"csrf_token": api.csrf}, headers=HTML)
    assert page.status_code == 200
    assert f"审计链完整：已核对 {count:,} 条记录" in page.text
    # a read: the check is recorded nowhere (as the CLI's)
    assert session.scalar(select(func.count()).select_from(AuditRecord)) == count


def test_verifying_finds_a_record_edited_behind_the_app(api: Any, session: Session) -> None:
    edited = session.scalar(select(func.max(AuditRecord.seq))) - 3  # type: ignore[operator]
    session.execute(update(AuditRecord).where(AuditRecord.seq == edited).values(actor="system:nobody"))
    session.commit()
    page = api.login("admin").client.post("/admin/audit/verify", data={"csrf_token": api.csrf}, headers=HTML)
    assert page.status_code == 200
    assert "审计链已被破坏" in page.text
    assert f"第 {edited} 条记录的内容与其哈希值不符：记录被修改" in page.text


def test_the_check_needs_the_forms_token(api: Any) -> None:
    assert api.login("admin").client.post("/admin/audit/verify", data={}, headers=HTML).status_code == 403


@pytest.mark.parametrize("username", ["kc-centre", "gridworker", "kc-traffic"])
def test_nobody_but_an_administrator_reads_or_verifies_the_record(api: Any, username: str) -> None:
    api.login(username)
    assert api.get("/admin/audit", headers=HTML).status_code == 403
    assert api.client.post("/admin/audit/verify", data={"csrf_token": api.csrf}, headers=HTML).status_code == 403


def test_the_page_speaks_english(api: Any) -> None:
    page = api.login("admin").get("/admin/audit?action=command_group.open&lang=en", headers=HTML).text
    assert "Audit record" in page
    assert "Verify the chain" in page
    assert "Command group opened" in page
    assert "建立指挥组" not in page


def test_only_administrators_find_the_audit_record_in_their_menu(session: Session) -> None:
    assert "/admin/audit" in {i.href for i in menu_for(actor_of(session, "admin"))}
    assert "/admin/audit" not in {i.href for i in menu_for(actor_of(session, "kc-centre"))}


def test_login_and_people_actions_read_by_their_labels_and_names(api: Any, session: Session) -> None:
    """What a manager does to people and logins from the pages reads in words, not codes and ids."""
    api.login("fushan")
    form_page = api.get("/org/people/new?division=330802006001001", headers=HTML).text
    key = form_page.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    added = api.send(
        "POST",
        "/org/people/new?division=330802006001001",
        data={"name": "审计新人", "role": "grid_worker", "phone": "13712340001", "idempotency_key": key},
        follow_redirects=False,
    )
    assert added.status_code == 303
    person_id = int(added.headers["location"].split("/")[3].split("?")[0])
    login_page = api.get(f"/org/people/{person_id}/login", headers=HTML).text
    key = login_page.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    form = {"username": "shenji", "password": "first-pass-1", "idempotency_key": key}
    assert api.send("POST", f"/org/people/{person_id}/login", data=form, follow_redirects=False).status_code == 303
    login_id = session.scalar(select(Account.id).where(Account.username == "shenji"))
    base = f"/org/people/{person_id}/login/{login_id}"
    api.send("POST", f"{base}/password", data={"new_password": "second-pass-2"}, follow_redirects=False)
    api.send("POST", f"{base}/active", data={}, follow_redirects=False)
    api.send("POST", f"{base}/active", data={"active": "1"}, follow_redirects=False)

    whole = api.login("admin").get("/admin/audit?who=孟敏春", headers=HTML).text
    page = whole.split('id="audit-records"', 1)[1]  # the records, not the filter's options
    for label in ("重置密码", "停用账号", "恢复账号", "创建账号", "添加人员", "可登录"):
        assert label in page
    for code in ("access.password.set", "access.account.", "is_active", "grid_worker", "division_code", "19,"):
        assert code not in page
    assert "网格员" in page  # the post by its name
    assert "蛟池街社区第1网格" in page  # the place by its name
    assert f'<a href="/org/people/{person_id}">审计新人</a>' in page  # the person by name
    assert "账号 审计新人" in page  # the login by its person's name


def test_a_record_without_details_has_no_empty_details_line(api: Any) -> None:
    """On a phone each record is a card: a login, which records no details, shows no dangling 内容 label."""
    page = api.login("admin").get("/admin/audit?action=access.session.opened", headers=HTML).text
    assert '<td data-label="内容（变更前 → 变更后）"></td>' in page  # empty, so the card hides the line


def test_a_matter_and_a_division_are_named_not_coded(api: Any) -> None:
    page = api.login("admin").get("/admin/audit?action=matters.matter.added", headers=HTML).text
    records = page.split('id="audit-records"', 1)[1]
    assert '<a href="/matters/campus_safety">校园周边安全防控</a>' in records
    english = api.get("/admin/audit?action=matters.matter.added&lang=en", headers=HTML).text
    assert ">campus_safety</a>" not in english.split('id="audit-records"', 1)[1]
    built = api.get("/admin/audit?action=org.divisions.imported&lang=zh", headers=HTML).text
    assert "行政区划 浙江省" in built.split('id="audit-records"', 1)[1]


def test_a_closed_assessment_month_is_named_by_its_place(api: Any, session: Session) -> None:
    closed = session.scalars(select(AuditRecord).where(AuditRecord.action == "assessment.month.closed")).first()
    assert closed is not None
    code, month = closed.entity_id.split(":", 1)
    page = api.login("admin").get("/admin/audit?action=assessment.month.closed&lang=zh", headers=HTML).text
    records = page.split('id="audit-records"', 1)[1]
    place = session.get(Division, code)
    assert place is not None
    assert f"考评月份 {place.name} {month}" in records
    assert f"{closed.entity_id}</span>" not in records
    assert month in records


def test_a_rater_and_a_campaign_task_are_named_not_coded(api: Any, session: Session, clock: Any) -> None:
    task_id = task_of(session, dispatch_typhoon(session, clock), "partymember").id
    declined = api.login("partymember").send("POST", f"/api/v1/tasks/{task_id}/decline", json={"reason": "外出"})
    assert declined.status_code == 200
    api.login("huzhen")  # saves a cross-evaluation: recorded for the township and month that rate
    form = api.get("/assessment/ratings?month=2026-06").text
    subject = form.split('name="scores.', 1)[1].split('"', 1)[0]
    rater = form.split('name="rater" value="', 1)[1].split('"', 1)[0]
    data = {"month": "2026-06", "rater": rater, f"scores.{subject}": "4", "csrf_token": api.csrf}
    assert api.send("POST", "/assessment/ratings", data=data, follow_redirects=False).status_code == 303
    rated = session.scalars(select(AuditRecord).where(AuditRecord.entity_type == "assessment_rater")).first()
    task = session.scalars(select(AuditRecord).where(AuditRecord.entity_type == "campaign_task")).first()
    assert rated is not None
    assert task is not None
    api.login("admin")
    records = api.get(f"/admin/audit?action={rated.action}", headers=HTML).text.split('id="audit-records"', 1)[1]
    assert f"{rated.entity_id}</span>" not in records  # not division:330825101:2026-11
    assert rated.entity_id.rsplit(":", 1)[1] in records  # the month, after the township or unit's name
    records = api.get(f"/admin/audit?action={task.action}", headers=HTML).text.split('id="audit-records"', 1)[1]
    assert f'<a href="/tasks/{task.entity_id}">SL' in records  # the campaign's number and the person
