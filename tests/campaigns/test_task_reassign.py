"""改派: the level above hands a declined (or overdue unclaimed) task to someone else, by API and from the page."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from tests.campaigns.sweep_helpers import fire, letters
from tests.campaigns.task_helpers import actor_of, dispatch_typhoon, post_of, task_of
from tests.conftest import Api

from zhili.access.models import Account
from zhili.access.service import actor_for
from zhili.campaigns.models import Campaign, CampaignTask
from zhili.campaigns.tasks.reassign import reassign_task
from zhili.campaigns.tasks.schemas import ReassignBody
from zhili.campaigns.tasks.service import claim_task, decline_task
from zhili.core.audit import AuditRecord
from zhili.core.clock import FrozenClock
from zhili.notify.models import InboxItem, Notification
from zhili.org.models import Division, Person, Position

HTML = {"accept": "text/html"}


def send(api: Api, task_id: int, action: str, *, headers: dict[str, str] | None = None, **body: Any) -> Any:
    return api.send("POST", f"/api/v1/tasks/{task_id}/{action}", json=body or None, headers=headers or {})


def grid_worker_post(session: Session, division_code: str) -> Position:
    """The grid worker of a grid: typhoon tasks go to grid heads and party members, so they have none."""
    return session.scalars(
        select(Position).where(Position.division_code == division_code, Position.role == "grid_worker")
    ).one()


def declined(api: Api, session: Session, clock: FrozenClock) -> tuple[Campaign, CampaignTask]:
    """A typhoon campaign to the partymember's grid, whose task the partymember has declined (gridhead above)."""
    campaign = dispatch_typhoon(session, clock)
    task = task_of(session, campaign, "partymember")
    assert send(api.login("partymember"), task.id, "decline", reason="住院中，无法走访").status_code == 200
    return campaign, task


def tasks_in(session: Session, campaign: Campaign) -> int:
    return int(session.scalar(select(func.count()).where(CampaignTask.campaign_id == campaign.id)) or 0)


def test_the_level_above_hands_a_declined_task_to_someone_in_its_grid(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    campaign, task = declined(api, session, clock)
    worker = grid_worker_post(session, task.division_code)
    api.login("gridhead")
    detail = api.get(f"/api/v1/tasks/{task.id}").json()
    assert detail["allowed_actions"] == ["reassign", "overrule"]
    candidates = api.get(f"/api/v1/tasks/{task.id}/candidates").json()
    # Only people without a task in this campaign: not the party members, not the grid head.
    assert [(c["position_id"], c["role"]) for c in candidates] == [(worker.id, "grid_worker")]
    assert candidates[0]["name"]
    assert candidates[0]["division_name"]
    tasks_before = tasks_in(session, campaign)
    clock.advance(timedelta(minutes=10))
    answer = send(api, task.id, "reassign", position_id=worker.id, note="请今晚走访")
    assert answer.status_code == 200, answer.text
    old = answer.json()
    assert (old["state"], old["allowed_actions"]) == ("reassigned", [])
    new_id = old["reassigned_to"]["id"]
    assert answer.headers["location"] == f"/api/v1/tasks/{new_id}"
    assert tasks_in(session, campaign) == tasks_before + 1
    new = api.get(f"/api/v1/tasks/{new_id}").json()
    assert (new["state"], new["person_id"], new["role"]) == ("notified", worker.person_id, "party_member")
    assert new["reassigned_from"]["id"] == task.id
    assert new["reassigned_from"]["person_name"] == old["person_name"]
    # Fresh clocks: the party member's claim (180 min) and report (480 min) times from the 改派, as dispatch does.
    sent = clock.now()
    times = [datetime.fromisoformat(new[name]) for name in ("notified_at", "claim_due_at", "report_due_at")]
    assert times == [sent, sent + timedelta(minutes=180), sent + timedelta(minutes=480)]
    actions = set(session.scalars(select(AuditRecord.action).where(AuditRecord.entity_type == "campaign_task")))
    assert {"campaign.task.reassign", "campaign.task.reassigned_in"} <= actions


def test_the_new_recipient_is_told_with_a_link_and_claims(api: Api, session: Session, clock: FrozenClock) -> None:
    campaign, task = declined(api, session, clock)
    worker = grid_worker_post(session, task.division_code)
    api.login("gridhead")
    new_id = send(api, task.id, "reassign", position_id=worker.id, note="请今晚走访").json()["reassigned_to"]["id"]
    # 湖镇镇's grid worker has no demo login: their inbox is read from its rows.
    items = session.scalars(
        select(Notification)
        .join(InboxItem, InboxItem.notification_id == Notification.id)
        .where(InboxItem.person_id == worker.person_id)
    ).all()
    told = [item for item in items if item.link == f"/tasks/{new_id}"]
    assert len(told) == 1
    assert told[0].topic == "campaign.task"
    head, decliner = (session.get(Person, actor_of(session, who).person_id) for who in ("gridhead", "partymember"))
    assert head is not None
    assert decliner is not None
    assert f"{head.name}将本任务改派给您（原责任人：{decliner.name}，" in told[0].body  # who did it, whose it was
    assert "请今晚走访" in told[0].body
    # The old task's 办理经过 says to whom it went.
    page = api.get(f"/tasks/{task.id}", headers=HTML).text
    line = page.split('data-step="reassign"', 1)[1].split("</li>", 1)[0]
    worker_name = session.scalar(select(Person.name).where(Person.id == worker.person_id))
    assert f'→ <span translate="no">{worker_name}</span>' in line
    assert '<div class="ft-said">请今晚走访</div>' in line  # and the note it went with
    # The partymember learns it went to someone else; their own page says to whom.
    theirs = api.login("partymember").get("/api/v1/inbox", params={"limit": 200}).json()["items"]
    away = [item for item in theirs if item["topic"] == "campaign.task.reassigned"]
    assert [(item["link"], item["body"]) for item in away] == [
        (f"/tasks/{task.id}", "您的任务已改派他人，无需再领办。")
    ]
    mine = api.get(f"/api/v1/tasks/{task.id}").json()
    assert mine["state"] == "reassigned"
    assert mine["reassigned_to"]["id"] is None  # they may not open the new task: its person and place only
    assert mine["reassigned_to"]["person_name"]
    # The 新任务 notice that asked them no longer looks open: it says the task went to someone else, and by whom.
    dispatched = [
        item for item in theirs if item["topic"] == "campaign.task" and item["subject"] == f"campaign:{campaign.id}"
    ]
    assert [(item["settled_as"], item["settled_by"], item["read_at"] is not None) for item in dispatched] == [
        ("reassigned", head.id, True)
    ]
    assert f"已由{head.name}改派他人" in api.get("/inbox", headers=HTML).text
    # Their list names the task as handed on, with no time left to keep.
    listed = api.get("/tasks", headers=HTML).text.split(f'data-task="{task.id}"', 1)[1].split("</li>", 1)[0]
    assert "已改派" in listed
    assert "回单时限" not in listed
    assert "领办时限" not in listed
    # The new recipient's notice stands: the task is theirs to claim.
    assert session.scalar(select(InboxItem.settled_by).where(InboxItem.notification_id == told[0].id)) is None


def test_a_decline_tells_the_grid_head_and_the_village_the_first_to_act_settles_it(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    """The grid head may have nobody left in the grid; the village committee may hand it further afield."""
    _campaign, task = declined(api, session, clock)
    head, cadre = (actor_of(session, who).person_id for who in ("gridhead", "village"))

    def declines() -> dict[int, InboxItem]:
        session.expire_all()
        rows = session.scalars(
            select(InboxItem)
            .join(Notification, Notification.id == InboxItem.notification_id)
            .where(Notification.topic == "campaign.task.declined", Notification.subject == f"campaign-task:{task.id}")
        )
        return {item.person_id: item for item in rows}

    told = declines()
    assert {head, cadre} <= set(told)
    notices = select(Notification.severity).where(
        Notification.topic == "campaign.task.declined", Notification.subject == f"campaign-task:{task.id}"
    )
    assert set(session.scalars(notices)) == {"yellow"}  # the task has nobody now: marked as one to act on
    village = api.login("village")
    assert village.get(f"/api/v1/tasks/{task.id}").json()["allowed_actions"] == ["reassign", "overrule"]
    assert send(village, task.id, "overrule", reason="请坚持走访").status_code == 200
    after = declines()
    assert (after[head].settled_by, after[head].settled_as) == (cadre, "taken")  # 已由<village cadre>处理
    assert after[head].read_at is not None
    assert after[cadre].settled_by == cadre  # one's own copy says 您已处理, never 已由<自己>处理
    assert "您已处理" in village.get("/inbox", headers=HTML).text
    cadre_name = session.scalar(select(Person.name).where(Person.id == cadre))
    assert f"已由{cadre_name}处理" in api.login("gridhead").get("/inbox", headers=HTML).text


def test_with_nobody_left_in_the_grid_the_page_says_who_else_may_hand_it_on(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    _campaign, task = declined(api, session, clock)
    session.execute(
        update(Position)
        .where(Position.division_code == task.division_code, Position.role == "grid_worker")
        .values(division_code=task.division_code[:12])
    )
    session.commit()
    page = api.login("gridhead").get(f"/tasks/{task.id}", headers=HTML).text
    assert 'id="no-candidates"' in page
    assert "可驳回拒领，退回原责任人；或请管辖范围更大的上级（村社区、乡镇街道）改派。" in html.unescape(page)


def test_a_retry_with_the_same_idempotency_key_hands_it_over_once(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    campaign, task = declined(api, session, clock)
    worker = grid_worker_post(session, task.division_code)
    api.login("gridhead")
    key = {"Idempotency-Key": "reassign-1"}
    first = send(api, task.id, "reassign", headers=key, position_id=worker.id)
    count = tasks_in(session, campaign)
    again = send(api, task.id, "reassign", headers=key, position_id=worker.id)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["reassigned_to"] == first.json()["reassigned_to"]
    assert again.headers["location"] == first.headers["location"]
    assert tasks_in(session, campaign) == count
    # Without the key a second 改派 is a 409: the task is reassigned already.
    assert send(api, task.id, "reassign", position_id=worker.id).status_code == 409


def test_the_recipient_may_not_reassign_and_others_do_not_see_the_task(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    _campaign, task = declined(api, session, clock)
    worker = grid_worker_post(session, task.division_code)
    refused = send(api.login("partymember"), task.id, "reassign", position_id=worker.id)
    assert refused.status_code == 403
    assert api.get(f"/api/v1/tasks/{task.id}/candidates").json() == []  # nobody to choose for the recipient
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert send(api.login("gridworker"), task.id, "reassign", position_id=worker.id).status_code == 404
    assert api.get(f"/api/v1/tasks/{task.id}/candidates").status_code == 404


def test_a_claimed_task_or_one_still_within_its_claim_time_is_409(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    campaign = dispatch_typhoon(session, clock)
    task = task_of(session, campaign, "partymember")
    worker = grid_worker_post(session, task.division_code)
    api.login("gridhead")
    early = send(api, task.id, "reassign", position_id=worker.id)
    assert early.status_code == 409
    assert "claim time" in early.json()["detail"]
    assert "reassign" not in api.get(f"/api/v1/tasks/{task.id}").json()["allowed_actions"]
    clock.advance(timedelta(minutes=181))  # past the party member's claim time (180 min), still unclaimed
    assert api.get(f"/api/v1/tasks/{task.id}").json()["allowed_actions"] == ["reassign"]
    assert send(api, task.id, "reassign", position_id=worker.id).status_code == 200
    claimed = task_of(session, campaign, "gridhead")
    assert send(api.login("gridhead"), claimed.id, "claim").status_code == 200
    api.login("huzhen")  # 湖镇镇's command room is above the grid head's task
    refused = send(api, claimed.id, "reassign", position_id=worker.id)
    assert refused.status_code == 409


def test_someone_who_already_has_a_task_in_the_campaign_is_422(api: Api, session: Session, clock: FrozenClock) -> None:
    campaign, task = declined(api, session, clock)
    other = session.scalars(
        select(CampaignTask.position_id).where(
            CampaignTask.campaign_id == campaign.id,
            CampaignTask.role == "party_member",
            CampaignTask.id != task.id,
        )
    ).first()
    assert other is not None
    api.login("gridhead")
    refused = send(api, task.id, "reassign", position_id=other)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.position_id"
    outside = post_of(session, "gridworker", "grid_worker")  # a grid worker of 柯城区: not in this grid
    assert send(api, task.id, "reassign", position_id=outside.id).status_code == 422
    assert api.get(f"/api/v1/tasks/{task.id}").json()["state"] == "declined"


def test_the_board_and_scores_count_the_new_task_not_the_old(api: Api, session: Session, clock: FrozenClock) -> None:
    campaign, task = declined(api, session, clock)
    worker = grid_worker_post(session, task.division_code)
    actor_board = api.login("ly-centre").get(f"/api/v1/campaigns/{campaign.id}/board").json()
    owed = actor_board["totals"]["total"]
    api.login("gridhead")
    assert send(api, task.id, "reassign", position_id=worker.id).status_code == 200
    board = api.login("ly-centre").get(f"/api/v1/campaigns/{campaign.id}/board").json()
    assert board["totals"]["total"] == owed  # the new task stands in the old one's place
    assert board["totals"]["states"]["reassigned"] == 1
    assert board["totals"]["unclaimed"] == actor_board["totals"]["unclaimed"] + 1
    scores = api.get("/api/v1/campaigns/scores", params={"by": "person", "campaign": campaign.id}).json()
    assert sum(row["tasks"] for row in scores["rows"]) == owed + 1  # each person's own tasks, the old one too


def test_the_page_shows_the_form_to_the_level_above_and_keeps_a_refused_input(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    campaign, task = declined(api, session, clock)
    worker = grid_worker_post(session, task.division_code)
    api.login("gridhead")
    page = api.get(f"/tasks/{task.id}", headers=HTML)
    assert 'id="reassign-form"' in page.text
    assert f'<option value="{worker.id}"' in page.text
    assert "网格员" in page.text  # the post by its label, not a code
    # A refused form (nobody chosen) comes back with the note kept and the reason by the field.
    refused = api.client.post(
        f"/tasks/{task.id}/reassign",
        data={"csrf_token": api.csrf, "position_id": "", "note": "请今晚走访"},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert 'data-form="reassign" data-field="position_id">请选择此项</span>' in refused.text  # a choice, not 请填写此项
    assert 'value="请今晚走访"' in html.unescape(refused.text)
    other = session.scalars(
        select(CampaignTask.position_id).where(
            CampaignTask.campaign_id == campaign.id, CampaignTask.id != task.id, CampaignTask.role == "party_member"
        )
    ).first()
    ineligible = api.client.post(
        f"/tasks/{task.id}/reassign",
        data={"csrf_token": api.csrf, "position_id": str(other), "note": "再试"},
        follow_redirects=False,
    )
    assert ineligible.status_code == 422
    assert "此人不能接收该任务" in ineligible.text
    done = api.client.post(
        f"/tasks/{task.id}/reassign",
        data={"csrf_token": api.csrf, "position_id": str(worker.id), "note": ""},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = api.get(f"/tasks/{task.id}", headers=HTML).text
    assert 'id="reassigned-to"' in after
    assert 'id="reassign-form"' not in after
    assert "已改派" in after
    assert "拒领理由" in after  # the reason it was declined stays named as such
    english = api.get(f"/tasks/{task.id}?lang=en", headers=HTML).text
    assert "Reassigned to" in english
    # The partymember (the recipient) sees to whom it went; no form.
    mine = api.login("partymember").get(f"/tasks/{task.id}", headers=HTML).text
    assert 'id="reassigned-to"' in mine
    assert 'id="reassign-form"' not in mine


def test_the_sweeps_leave_the_old_task_alone_and_remind_the_new_recipient_on_time(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    campaign = dispatch_typhoon(session, clock)
    task = task_of(session, campaign, "partymember")
    worker = grid_worker_post(session, task.division_code)
    clock.advance(timedelta(minutes=181))  # the party members' claim time (180 min) has passed: 催领办
    fire(sessions, clock)
    assert task.person_id in letters(session, campaign.id, "party_member:claim")
    reassign_task(
        session,
        task_id=task.id,
        data=ReassignBody(position_id=worker.id),
        actor=actor_of(session, "gridhead"),
        clock=clock,
    )
    clock.advance(timedelta(minutes=30))  # the second reminder: the others still unclaimed, not the old task
    fire(sessions, clock)
    again = letters(session, campaign.id, "party_member:claim_again")
    assert again
    assert task.person_id not in again
    assert worker.person_id not in again  # the new recipient's claim time is 180 min after the 改派
    clock.advance(timedelta(minutes=151))
    fire(sessions, clock)
    assert worker.person_id in letters(session, campaign.id, "party_member:claim")


def test_a_village_committee_may_hand_a_grid_task_to_the_villages_people_too(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    _campaign, task = declined(api, session, clock)
    village = post_of(session, "village", "village_cadre")
    api.login("village")  # above the grid's tasks as the committee managing its village
    candidates = api.get(f"/api/v1/tasks/{task.id}/candidates").json()
    places = {c["position_id"]: c for c in candidates}
    assert grid_worker_post(session, task.division_code).id in places
    at_village = [
        c for c in candidates if c["role"] in {"team_leader", "village_cadre"} and c["person_id"] != village.person_id
    ]
    assert at_village  # the village's own posts, where the level above sits
    assert village.person_id not in {c["person_id"] for c in candidates}  # never the actor
    assert all(c["role"] not in {"dept_head", "dept_staff"} for c in candidates)


def test_with_nobody_to_hand_it_to_the_level_above_overrules_the_decline_from_the_page(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    """驳回拒领: the grid's worker declines the task handed to them; nobody is left, so it goes back with a word."""
    _campaign, task = declined(api, session, clock)
    worker = grid_worker_post(session, task.division_code)
    api.login("gridhead")
    new_id = send(api, task.id, "reassign", position_id=worker.id).json()["reassigned_to"]["id"]
    # 湖镇镇's grid worker has no demo login: they act as their person would (an account not stored)
    worker_actor = actor_for(session, Account(username="hz-grid-worker", person_id=worker.person_id, is_admin=False))
    decline_task(session, task_id=new_id, reason="本周外出培训", actor=worker_actor, clock=clock)
    page = api.get(f"/tasks/{new_id}", headers=HTML).text
    assert 'id="no-candidates"' in page  # everyone in the grid has a task in this campaign: no 改派
    assert '<details id="overrule" open>' in page  # the way on is shown, not folded
    # a refused form keeps nothing lost and names the field
    refused = api.client.post(
        f"/tasks/{new_id}/overrule", data={"csrf_token": api.csrf, "reason": " "}, follow_redirects=False
    )
    assert refused.status_code == 422
    assert 'data-form="overrule" data-field="reason">' in refused.text
    assert '<details id="overrule" open>' in refused.text
    done = api.client.post(
        f"/tasks/{new_id}/overrule",
        data={"csrf_token": api.csrf, "reason": "培训可调课，台风走访必须今晚完成"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = api.get(f"/api/v1/tasks/{new_id}").json()
    assert (after["state"], after["declined_at"], after["allowed_actions"]) == ("read", None, [])
    # the worker is told why, with a link to where they claim it; their page says so above the claim button
    told = session.scalars(
        select(Notification)
        .join(InboxItem, InboxItem.notification_id == Notification.id)
        .where(InboxItem.person_id == worker.person_id, Notification.link == f"/tasks/{new_id}#claim")
    ).all()
    gridhead = actor_of(session, "gridhead").display_name
    assert [n.body for n in told] == [f"{gridhead}未同意拒领，请领办：培训可调课，台风走访必须今晚完成"]
    audited = session.scalars(select(AuditRecord.action).where(AuditRecord.entity_id == str(new_id))).all()
    assert "campaign.task.overrule" in audited
    claimed = claim_task(session, task_id=new_id, actor=worker_actor, clock=clock)
    assert claimed.state == "claimed"


def test_only_a_declined_task_is_overruled_and_only_by_the_level_above(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    _campaign, task = declined(api, session, clock)
    assert send(api.login("partymember"), task.id, "overrule", reason="我自己撤回").status_code == 403
    api.login("gridhead")
    assert send(api, task.id, "overrule", reason="请领办").status_code == 200
    again = send(api, task.id, "overrule", reason="请领办")
    assert again.status_code == 409
    mine = api.login("partymember").get(f"/tasks/{task.id}", headers=HTML).text
    assert 'id="overrule-reason"' in mine
    assert "拒领未获同意" in mine
    assert "请领办" not in mine.split('id="summary"', 1)[1].split('id="claim"', 1)[0]  # by the 领办 button only
    assert 'id="declined-next"' not in mine


def test_a_decline_after_an_overrule_reaches_the_level_above_again(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    _campaign, task = declined(api, session, clock)
    assert send(api.login("gridhead"), task.id, "overrule", reason="请领办").status_code == 200
    clock.advance(timedelta(minutes=5))
    again = send(api.login("partymember"), task.id, "decline", reason="确实在住院，附诊断证明")
    assert again.status_code == 200
    head = actor_of(session, "gridhead").person_id
    told = session.scalars(
        select(Notification.body)
        .join(InboxItem, InboxItem.notification_id == Notification.id)
        .where(InboxItem.person_id == head, Notification.topic == "campaign.task.declined")
        .where(Notification.subject == f"campaign-task:{task.id}")
    ).all()
    assert len(told) == 2  # each decline told, with its own reason
    assert any("确实在住院" in body for body in told)


def test_the_task_page_lists_every_decline_and_overrule_with_who_and_why(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    """办理经过 keeps what the row's one reason column cannot: the first decline, the overrule, the second decline."""
    _campaign, task = declined(api, session, clock)
    clock.advance(timedelta(minutes=5))
    assert send(api.login("gridhead"), task.id, "overrule", reason="台风走访必须今晚完成").status_code == 200
    clock.advance(timedelta(minutes=5))
    assert send(api.login("partymember"), task.id, "decline", reason="确实在住院，附诊断证明").status_code == 200
    head, member = actor_of(session, "gridhead").display_name, actor_of(session, "partymember").display_name
    api.login("gridhead")
    steps = [(s["action"], s["who"], s["said"]) for s in api.get(f"/api/v1/tasks/{task.id}").json()["history"]]
    assert steps[0] == ("sent", actor_of(session, "ly-centre").display_name, None)  # the campaign's sender
    assert steps[1:] == [
        ("decline", member, "住院中，无法走访"),
        ("overrule", head, "台风走访必须今晚完成"),
        ("decline", member, "确实在住院，附诊断证明"),
    ]
    page = api.login("partymember").get(f"/tasks/{task.id}", headers=HTML).text
    # declined, the recipient is told whose turn it is now: their grid head, and the village committee above
    village = session.scalar(select(Division.name).where(Division.code == task.division_code[:12]))
    assert (
        f"已告知{head}和{village}的管理岗位：由其中一方改派他人，或驳回拒领后退回给您。"
        in page.split('id="declined-next"', 1)[1].split("</p>", 1)[0]
    )
    history = page.split('id="history"', 1)[1].split("</ol>", 1)[0]
    lines = [html.unescape(line) for line in history.split("<li")[1:]]
    steps_shown = [line.split('data-step="', 1)[1].split('"', 1)[0] for line in lines]
    assert steps_shown == ["sent", "decline", "overrule", "decline"]
    assert "下发任务" in lines[0]
    assert f"{head}</span> 驳回拒领" in lines[2]
    assert "台风走访必须今晚完成" in lines[2]
    assert "住院中，无法走访" in lines[1]
    assert "确实在住院，附诊断证明" in lines[3]


def test_the_board_names_the_new_holders_role_and_the_tasks_supervisor_and_counts_each_task_once(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    campaign, task = declined(api, session, clock)
    worker = grid_worker_post(session, task.division_code)
    api.login("gridhead")
    new_id = send(api, task.id, "reassign", position_id=worker.id).json()["reassigned_to"]["id"]
    head = session.scalar(select(Person.name).where(Person.id == actor_of(session, "gridhead").person_id))
    rows = api.get(f"/api/v1/campaigns/{campaign.id}/people", params={"which": "unclaimed", "limit": 500}).json()
    row = next(row for row in rows["items"] if row["task_id"] == new_id)
    assert (row["role"], row["holder_role"]) == ("party_member", "grid_worker")  # a party member's visit, held by …
    assert row["supervisor_name"] == head  # … whom the task names as its level above: told, and the one to verify
    assert all(other["holder_role"] is None for other in rows["items"] if other["task_id"] != new_id)
    board = api.get(f"/campaigns/{campaign.id}/board", headers=HTML).text
    assert "联户党员（网格员接办）" in board
    page = api.get(f"/campaigns/{campaign.id}", headers=HTML).text
    summary = page.split('id="summary"', 1)[1].split("</div>", 1)[0]
    assert "另有 1 项任务已改派他人，由新任务计入，不重复计数" in summary
    assert " · 已改派 " not in summary  # not among the states that add up to the recipients


def test_a_dispatch_notice_that_may_be_about_another_task_of_theirs_stays_open(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    """The party member holds a second task of the campaign: its 新任务 notice may be that one's, and stays so."""
    campaign, task = declined(api, session, clock)
    second = session.scalars(
        select(CampaignTask).where(CampaignTask.campaign_id == campaign.id, CampaignTask.id != task.id)
    ).first()
    assert second is not None
    second.person_id = task.person_id
    session.commit()
    worker = grid_worker_post(session, task.division_code)
    assert send(api.login("gridhead"), task.id, "reassign", position_id=worker.id).status_code == 200
    notices = session.scalars(
        select(InboxItem)
        .join(Notification, Notification.id == InboxItem.notification_id)
        .where(
            InboxItem.person_id == task.person_id,
            Notification.subject == f"campaign:{campaign.id}",
            Notification.topic == "campaign.task",
        )
    ).all()
    assert notices
    assert [item.settled_as for item in notices] == [None] * len(notices)
