"""Task services on SQLite and PostgreSQL: the lifecycle, every refusal, far reports, raised cases, races."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker
from tests.campaigns.task_helpers import (
    actor_of,
    dispatch_typhoon,
    gridhead_report,
    insert_task,
    partymember_grid,
    png,
    point_far_from,
    point_in,
    task_of,
)
from tests.conftest import START, World
from tests.notify.helpers import in_both_languages

from zhili.campaigns.dispatch.cascade import forward_campaign
from zhili.campaigns.dispatch.schemas import CampaignCreate, ForwardCreate
from zhili.campaigns.dispatch.service import dispatch_campaign
from zhili.campaigns.lifecycle import TaskAction, TaskParty, TaskRating, TaskRefused, TaskState
from zhili.campaigns.models import Campaign, CampaignTask
from zhili.campaigns.tasks import photos as task_photos
from zhili.campaigns.tasks import queries as task_queries
from zhili.campaigns.tasks import service as task_service
from zhili.campaigns.tasks import store
from zhili.campaigns.tasks.schemas import CaseRaise, RateBody, ReportBody
from zhili.cases.models import Case, CaseEvent, CasePhoto
from zhili.core.audit import AuditRecord
from zhili.core.clock import FrozenClock
from zhili.core.errors import ConflictError, DomainError, InvalidInputError, NotFoundError
from zhili.core.media import PayloadTooLargeError, UnsupportedMediaTypeError
from zhili.notify.models import InboxItem, Notification
from zhili.org.geo import LocatorCache


def report(  # noqa: PLR0917 - a test helper read positionally
    session: Session, clock: FrozenClock, task_id: int, username: str, body: ReportBody, locators: LocatorCache
) -> store.Task:
    return task_service.report_task(
        session, task_id=task_id, data=body, actor=actor_of(session, username), clock=clock, locators=locators
    )


def claimed_partymember_task(session: Session, clock: FrozenClock) -> store.Task:
    task = task_of(session, dispatch_typhoon(session, clock), "partymember")
    return task_service.claim_task(session, task_id=task.id, actor=actor_of(session, "partymember"), clock=clock)


def test_a_task_goes_from_notified_to_rated(session: Session, clock: FrozenClock, locators: LocatorCache) -> None:
    audited_before = session.scalar(select(func.max(AuditRecord.id))) or 0
    campaign = dispatch_typhoon(session, clock)
    task = task_of(session, campaign, "partymember")
    me = actor_of(session, "partymember")
    assert task.state == "notified"
    assert task_service.read_task(session, task_id=task.id, actor=me, clock=clock).state == "read"
    clock.advance(timedelta(minutes=10))
    claimed = task_service.claim_task(session, task_id=task.id, actor=me, clock=clock)
    assert (claimed.state, claimed.claimed_at) == ("claimed", clock.now())
    clock.advance(timedelta(hours=1))
    body = ReportBody(text="12户已走访提醒", point=point_in(session, task.division_code))
    reported = report(session, clock, task.id, "partymember", body, locators)
    assert (reported.state, reported.is_far, reported.report_text) == ("reported", False, "12户已走访提醒")
    head = actor_of(session, "gridhead")
    task_service.verify_task(session, task_id=task.id, note="情况属实", actor=head, clock=clock)
    rated = task_service.rate_task(
        session, task_id=task.id, data=RateBody(rating=TaskRating.GOOD), actor=head, clock=clock
    )
    assert (rated.state, rated.rating) == ("rated", "good")
    detail = task_queries.task_detail(session, me, task.id, now=clock.now())
    assert detail.points == 1 + 2 + 1  # the typhoon's party member: claimed, reported on time, verified
    actions = session.scalars(
        select(AuditRecord.action)
        .where(
            AuditRecord.entity_type == "campaign_task",
            AuditRecord.entity_id == str(task.id),
            AuditRecord.id > audited_before,
        )
        .order_by(AuditRecord.id)
    ).all()
    assert [a.removeprefix("campaign.task.") for a in actions] == ["read", "claim", "report", "verify", "rate"]
    told = session.scalars(
        select(Notification.key)
        .join(InboxItem, InboxItem.notification_id == Notification.id)
        .where(InboxItem.person_id == me.person_id, Notification.key.startswith(f"campaign-task:{task.id}:"))
    ).all()
    assert sorted(told) == [f"campaign-task:{task.id}:rated", f"campaign-task:{task.id}:verified"]


def test_a_task_s_notices_read_in_the_reader_s_language(session: Session, clock: FrozenClock) -> None:
    campaign = dispatch_typhoon(session, clock)
    task = task_of(session, campaign, "partymember")
    me, head = actor_of(session, "partymember"), actor_of(session, "gridhead")
    assert me.person_id is not None
    told = select(Notification.key).where(
        Notification.topic == "campaign.task", Notification.link.contains(campaign.id)
    )
    zh, en = in_both_languages(
        session, session.scalars(told.where(Notification.key.contains("party_member"))).one(), me.person_id
    )
    assert zh.title == "防台风：联户党员：走访联系户"
    assert en.title == "Typhoon prevention: Party member: visit the linked households"
    assert en.body.endswith("\n台风“烟花”今夜登陆。\nClaim by 23 Jul 18:00")  # the dispatcher's words as written
    assert zh.body.endswith("\n台风“烟花”今夜登陆。\n领办时限：7月23日 18:00 前")
    task_service.decline_task(session, task_id=task.id, reason="本人外出", actor=me, clock=clock)
    assert head.person_id is not None
    declined = session.scalars(select(CampaignTask.declined_at).where(CampaignTask.id == task.id)).one()
    assert declined is not None
    key = f"campaign-task:{task.id}:declined:{declined:%Y%m%d%H%M%S%f}"  # each decline its own notice
    _, en = in_both_languages(session, key, head.person_id)
    assert en.title == "Task declined: Typhoon prevention · Party member: visit the linked households"
    assert en.body.endswith("\nReason for declining: 本人外出")


def test_claiming_twice_is_409_with_what_can_be_done(session: Session, clock: FrozenClock) -> None:
    task = claimed_partymember_task(session, clock)
    with pytest.raises(TaskRefused) as refused:
        task_service.claim_task(session, task_id=task.id, actor=actor_of(session, "partymember"), clock=clock)
    assert refused.value.status == 409
    assert refused.value.extra["allowed"] == ["report"]


def test_someone_elses_task_is_not_found_for_a_plain_recipient(session: Session, clock: FrozenClock) -> None:
    campaign = dispatch_typhoon(session, clock)
    head_task = task_of(session, campaign, "gridhead")
    me = actor_of(session, "partymember")
    neighbour = session.scalars(
        select(CampaignTask).where(
            CampaignTask.campaign_id == campaign.id,
            CampaignTask.role == "party_member",
            CampaignTask.person_id != me.person_id,
        )
    ).first()
    assert neighbour is not None
    for task in (head_task, neighbour):
        with pytest.raises(NotFoundError):
            task_service.claim_task(session, task_id=task.id, actor=me, clock=clock)
        with pytest.raises(NotFoundError):
            task_queries.task_detail(session, me, task.id, now=clock.now())
    with pytest.raises(NotFoundError):
        task_service.claim_task(session, task_id=head_task.id, actor=actor_of(session, "gridworker"), clock=clock)


def test_the_level_above_may_not_claim_and_the_recipient_may_not_verify(
    session: Session, clock: FrozenClock, locators: LocatorCache
) -> None:
    task = task_of(session, dispatch_typhoon(session, clock), "partymember")
    with pytest.raises(TaskRefused) as refused:
        task_service.claim_task(session, task_id=task.id, actor=actor_of(session, "gridhead"), clock=clock)
    assert refused.value.status == 403
    me = actor_of(session, "partymember")
    task_service.claim_task(session, task_id=task.id, actor=me, clock=clock)
    report(
        session,
        clock,
        task.id,
        "partymember",
        ReportBody(text="已走访", point=point_in(session, task.division_code)),
        locators,
    )
    with pytest.raises(TaskRefused) as refused:
        task_service.verify_task(session, task_id=task.id, note=None, actor=me, clock=clock)
    assert refused.value.status == 403


def test_reporting_before_claiming_is_409(session: Session, clock: FrozenClock, locators: LocatorCache) -> None:
    task = task_of(session, dispatch_typhoon(session, clock), "partymember")
    body = ReportBody(text="已走访", point=point_in(session, task.division_code))
    with pytest.raises(TaskRefused) as refused:
        report(session, clock, task.id, "partymember", body, locators)
    assert refused.value.status == 409
    assert set(refused.value.extra["allowed"]) == {"read", "claim", "decline"}


def test_a_report_without_its_evidence_is_422_naming_each_field(
    session: Session, clock: FrozenClock, locators: LocatorCache
) -> None:
    campaign = dispatch_typhoon(session, clock)
    task = task_of(session, campaign, "gridhead")
    task_service.claim_task(session, task_id=task.id, actor=actor_of(session, "gridhead"), clock=clock)
    with pytest.raises(InvalidInputError) as refused:
        report(session, clock, task.id, "gridhead", ReportBody(photo_ids=[999_999]), locators)
    fields = [error["field"] for error in refused.value.extra["errors"]]
    assert fields == ["body.photo_ids", "body.text", "body.photo_ids", "body.point"]
    assert session.scalar(select(CampaignTask.state).where(CampaignTask.id == task.id)) == "claimed"


def test_a_report_far_outside_the_grid_is_flagged_not_refused(
    session: Session, clock: FrozenClock, locators: LocatorCache
) -> None:
    task = claimed_partymember_task(session, clock)
    far = report(
        session,
        clock,
        task.id,
        "partymember",
        ReportBody(text="已走访", point=point_far_from(session, task.division_code)),
        locators,
    )
    assert (far.state, far.is_far) == ("reported", True)
    head = actor_of(session, "gridhead")
    assert task_queries.task_detail(session, head, task.id, now=clock.now()).is_far


def test_a_return_sends_it_back_counts_and_tells_the_recipient(
    session: Session, clock: FrozenClock, locators: LocatorCache
) -> None:
    task = claimed_partymember_task(session, clock)
    body = ReportBody(text="已走访", point=point_in(session, task.division_code))
    report(session, clock, task.id, "partymember", body, locators)
    cadre = actor_of(session, "village")  # the village committee above the grid: a managing post
    returned = task_service.return_task(session, task_id=task.id, reason="未写明走访户数", actor=cadre, clock=clock)
    assert (returned.state, returned.returned_count, returned.reason, returned.reported_at) == (
        "claimed",
        1,
        "未写明走访户数",
        None,
    )
    notice = session.execute(
        select(Notification.title, Notification.body, Notification.link).where(
            Notification.key == f"campaign-task:{task.id}:returned:1"
        )
    ).one()
    assert notice.title.startswith("回单被退回，请补充后重报：")  # what to do, where a phone's list shows only titles
    assert "未写明走访户数" in notice.body
    assert notice.link == f"/tasks/{task.id}#report"  # where the report is sent again
    report(session, clock, task.id, "partymember", body, locators)
    verified = task_service.verify_task(session, task_id=task.id, note=None, actor=cadre, clock=clock)
    assert verified.state == "verified"
    detail = task_queries.task_detail(session, actor_of(session, "partymember"), task.id, now=clock.now())
    assert detail.points == 1 + 2 + 1 - 1
    rating = RateBody(rating=TaskRating.POOR, comment="户数仍未写全")
    task_service.rate_task(session, task_id=task.id, data=rating, actor=cadre, clock=clock)
    rated = session.scalars(select(Notification.body).where(Notification.key == f"campaign-task:{task.id}:rated"))
    assert "户数仍未写全" in rated.one()  # the recipient reads why, not only the grade


def test_a_late_report_loses_points(session: Session, clock: FrozenClock, locators: LocatorCache) -> None:
    task = claimed_partymember_task(session, clock)
    clock.advance(timedelta(hours=9))  # the typhoon's party member reports within 8 hours
    report(
        session,
        clock,
        task.id,
        "partymember",
        ReportBody(text="已走访", point=point_in(session, task.division_code)),
        locators,
    )
    detail = task_queries.task_detail(session, actor_of(session, "partymember"), task.id, now=clock.now())
    assert detail.points == 1 - 1


def test_a_report_raises_a_case_linked_to_the_campaign(
    session: Session, clock: FrozenClock, locators: LocatorCache
) -> None:
    campaign = dispatch_typhoon(session, clock)
    task = task_of(session, campaign, "gridhead")
    head = actor_of(session, "gridhead")
    task_service.claim_task(session, task_id=task.id, actor=head, clock=clock)
    photo = task_photos.attach_task_photo(session, task_id=task.id, data=png(), actor=head, clock=clock)
    fallen_tree = CaseRaise(
        matter="road_safety_hazard",
        description="大树倒伏，压住半幅路面",
        attributes={"hazard_type": "obstruction", "road_name": "湖镇大道", "lanes_blocked": "partial"},
    )
    body = ReportBody.model_validate({**gridhead_report(session, task, [photo.id]), "raise_case": fallen_tree})
    reported = report(session, clock, task.id, "gridhead", body, locators)
    case = session.get(Case, reported.case_id)
    assert case is not None
    assert (case.channel, case.matter_code, case.originator_person_id) == (
        "campaign",
        "road_safety_hazard",
        head.person_id,
    )
    assert campaign.number in case.description
    english = f"大树倒伏，压住半幅路面 (reported from campaign {campaign.number} “Typhoon prevention”)"
    assert case.description_en == english
    assert body.point is not None
    assert (case.lon, case.lat) == (body.point.lon, body.point.lat)
    assert case.place_code.startswith(task.division_code[:9])
    # The report's photo is the case's first evidence: copied whole, on the case's timeline.
    copied = session.scalars(select(CasePhoto).where(CasePhoto.case_id == case.id)).all()
    assert [p.sha256 for p in copied] == [photo.sha256]
    kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)).all()
    assert "photo_added" in kinds


def test_a_case_needs_the_reports_point(session: Session, clock: FrozenClock, locators: LocatorCache) -> None:
    task = claimed_partymember_task(session, clock)
    body = ReportBody(
        text="已走访", raise_case=CaseRaise(matter="road_safety_hazard", description="倒树", attributes={})
    )
    with pytest.raises(InvalidInputError) as refused:
        report(session, clock, task.id, "partymember", body, locators)
    gps = {"field": "body.point", "message": "the location (GPS) is required", "key": "tasks.gps_required"}
    assert gps in refused.value.extra["errors"]


def test_photos_are_checked_like_case_photos(session: Session, clock: FrozenClock) -> None:
    campaign = dispatch_typhoon(session, clock)
    task = task_of(session, campaign, "gridhead")
    head = actor_of(session, "gridhead")
    with pytest.raises(ConflictError):  # photos belong to a report: claim first
        task_photos.attach_task_photo(session, task_id=task.id, data=png(), actor=head, clock=clock)
    task_service.claim_task(session, task_id=task.id, actor=head, clock=clock)
    with pytest.raises(UnsupportedMediaTypeError):
        task_photos.attach_task_photo(session, task_id=task.id, data=b"MZ\x90\x00", actor=head, clock=clock)
    big = png() + b"\x00" * (5 * 1024 * 1024)
    with pytest.raises(PayloadTooLargeError):
        task_photos.attach_task_photo(session, task_id=task.id, data=big, actor=head, clock=clock)
    with pytest.raises(NotFoundError):
        task_photos.attach_task_photo(
            session, task_id=task.id, data=png(), actor=actor_of(session, "partymember"), clock=clock
        )


def test_a_decline_needs_no_claim_and_ends_the_task(session: Session, clock: FrozenClock) -> None:
    task = task_of(session, dispatch_typhoon(session, clock), "partymember")
    me = actor_of(session, "partymember")
    declined = task_service.decline_task(session, task_id=task.id, reason="住院中", actor=me, clock=clock)
    assert (declined.state, declined.reason) == ("declined", "住院中")
    with pytest.raises(TaskRefused):
        task_service.claim_task(session, task_id=task.id, actor=me, clock=clock)


def test_a_change_that_lost_the_race_is_409_and_writes_nothing(session: Session, clock: FrozenClock) -> None:
    task = task_of(session, dispatch_typhoon(session, clock), "partymember")
    me = actor_of(session, "partymember")
    loaded = store.load(session, me, task.id)
    # Another request claims the task between this one's read and its write.
    session.connection().execute(update(CampaignTask).where(CampaignTask.id == task.id).values(state="claimed"))
    assert loaded.task.state == TaskState.NOTIFIED
    with pytest.raises(ConflictError):
        store.save(session, store.advance(loaded.task, TaskAction.CLAIM, loaded.parties, claimed_at=clock.now()))


def test_my_tasks_list_only_mine_and_above_lists_what_i_verify(session: Session, clock: FrozenClock) -> None:
    campaign = dispatch_typhoon(session, clock)
    me = actor_of(session, "partymember")
    mine = task_queries.list_tasks(session, me, view="mine")
    theirs = session.scalars(
        select(CampaignTask.id).where(CampaignTask.person_id == me.person_id).order_by(CampaignTask.id)
    ).all()
    assert len(theirs) == 2  # the demo's live typhoon's task, and this campaign's
    assert [t.id for t in mine.items] == [task_of(session, campaign, "partymember").id, *theirs[:1]]  # newest first
    assert mine.items[0].allowed_actions == [TaskAction.READ, TaskAction.CLAIM, TaskAction.DECLINE]
    above = task_queries.list_tasks(session, actor_of(session, "gridhead"), view="above", limit=3)
    assert len(above.items) == 3
    assert all(t.role == "party_member" and t.division_code == partymember_grid(session) for t in above.items)
    following = task_queries.list_tasks(session, actor_of(session, "gridhead"), view="above", cursor=above.next_cursor)
    assert not {t.id for t in following.items} & {t.id for t in above.items}
    assert task_queries.list_tasks(session, me, view="mine", state="claimed").items == []


def test_two_concurrent_claims_one_wins(world: World) -> None:
    """Real transactions (not the test's rolled-back one): of four simultaneous claims exactly one succeeds."""
    factory = sessionmaker(world.engine, expire_on_commit=False)
    clock = FrozenClock(START)
    with factory() as setup:
        campaign_id, task_id = insert_task(setup, "partymember", "party_member", at=START)
        me = actor_of(setup, "partymember")
    barrier = threading.Barrier(4)

    def claim(_n: int) -> int:
        with factory() as session:
            barrier.wait()
            try:
                task_service.claim_task(session, task_id=task_id, actor=me, clock=clock)
            except DomainError as refused:
                return refused.status
            return 200

    try:
        with ThreadPoolExecutor(4) as pool:
            statuses = sorted(pool.map(claim, range(4)))
        assert statuses == [200, 409, 409, 409]
    finally:
        with factory() as cleanup:
            cleanup.execute(delete(CampaignTask).where(CampaignTask.id == task_id))
            cleanup.execute(delete(Campaign).where(Campaign.id == campaign_id))
            cleanup.commit()


def test_a_cascaded_task_shows_the_path_it_came_down(session: Session, clock: FrozenClock) -> None:
    grid = partymember_grid(session)
    data = CampaignCreate(template="typhoon", divisions=[grid[:9]], mode="cascade")
    campaign = dispatch_campaign(session, data=data, actor=actor_of(session, "ly-centre"), clock=clock)
    for username, division, words in [("huzhen", grid[:9], "镇：重点巡查山塘"), ("village", grid[:12], "村：今晚值守")]:
        forward_campaign(
            session,
            campaign_id=campaign.id,
            division_code=division,
            data=ForwardCreate(instructions=words),
            actor=actor_of(session, username),
            clock=clock,
        )
    task = task_of(session, campaign, "partymember")
    detail = task_queries.task_detail(session, actor_of(session, "partymember"), task.id, now=clock.now())
    assert [(step.division_code, step.instructions) for step in detail.cascade] == [
        (grid[:9], "镇：重点巡查山塘"),
        (grid[:12], "村：今晚值守"),
    ]
    assert detail.cascade[0].division_name == "湖镇镇"
    # the village that passed it down sent it, not the county that began the campaign
    assert (detail.history[0].action, detail.history[0].who) == ("sent", actor_of(session, "village").display_name)


def test_the_store_keeps_the_checklist_as_json_and_reads_it_back_typed(session: Session, clock: FrozenClock) -> None:
    task = claimed_partymember_task(session, clock)
    me = actor_of(session, "partymember")
    loaded = store.load(session, me, task.id)
    assert (loaded.task.state, loaded.campaign.is_running, loaded.parties) == (
        TaskState.CLAIMED,
        True,
        {TaskParty.RECIPIENT},
    )
    answers = {"村两委已部署": True, "危房人员已转移": False}
    transition = store.advance(
        loaded.task, TaskAction.REPORT, loaded.parties, reported_at=clock.now(), report_checklist=answers
    )
    store.save(session, transition)
    stored = session.scalar(text("SELECT report_checklist FROM campaign_tasks WHERE id = :id"), {"id": task.id})
    assert stored == '{"村两委已部署": true, "危房人员已转移": false}'
    assert store.written(transition) == {
        "state": "reported",
        "reported_at": clock.now().isoformat(),
        "report_checklist": stored,
    }
    again = store.load(session, me, task.id).task
    assert (again.state, again.report_checklist) == (TaskState.REPORTED, answers)
    assert again == transition.after
    # An ORM copy the session held is expired by the save, never left stale.
    assert session.get(CampaignTask, task.id).report_checklist == answers  # type: ignore[union-attr]


def test_loading_a_task_out_of_sight_is_404(session: Session, clock: FrozenClock) -> None:
    task = task_of(session, dispatch_typhoon(session, clock), "partymember")
    with pytest.raises(NotFoundError):
        store.load(session, actor_of(session, "gridworker"), task.id)
