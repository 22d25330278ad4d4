"""Campaign reminders and escalation: 湖镇镇's late grid heads reminded, their supervisors told (both backends)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from tests.campaigns.sweep_helpers import (
    count_letters,
    fire,
    forward,
    letter_links,
    letters,
    packaged,
    set_state,
    start_campaign,
    task_ids,
)
from tests.notify.helpers import in_both_languages

from zhili.campaigns.models import Campaign, CampaignForward, CampaignTask
from zhili.campaigns.tasks.sweep_rules import SWEEP, Sweep, Watch, needs_notice, sweep_instants, sweep_timers
from zhili.campaigns.tasks.sweeps import cancel_sweeps
from zhili.clocks import timers
from zhili.clocks.models import Timer
from zhili.core.audit import AuditRecord
from zhili.core.clock import FrozenClock
from zhili.demo.world import HUZHEN
from zhili.notify.models import InboxItem, Notification, OutboxMessage
from zhili.org.models import Person, Position

TYPHOON = packaged("typhoon")
GRID_HEAD = TYPHOON.task_for("grid_head")  # claim 120 min, again +15, supervisor +30, report 360 min
AT = datetime(2026, 7, 23, 7, 0, tzinfo=UTC)
LATE = 20


def _minutes(clock: FrozenClock, minutes: int) -> None:
    clock.advance(AT + timedelta(minutes=minutes) - clock.now())


def _sweep_timers(session: Session, campaign_id: int) -> list[tuple[str, datetime]]:
    rows = session.execute(
        select(Timer.step, Timer.due_at).where(Timer.kind == SWEEP, Timer.subject_id == campaign_id).order_by(Timer.id)
    )
    return [(step, due.astimezone(UTC)) for step, due in rows]


def _audit_actions(session: Session, campaign_id: int) -> list[str]:
    return list(
        session.scalars(
            select(AuditRecord.action)
            .where(
                AuditRecord.entity_type == "campaign",
                AuditRecord.entity_id == str(campaign_id),
                AuditRecord.action.startswith("campaign.sweep."),
            )
            .order_by(AuditRecord.seq)
        )
    )


def _with_late_grid_heads(session: Session) -> tuple[int, list[int], list[int]]:
    """A typhoon campaign to 湖镇镇's grid heads at AT; all but the last 20 claim after half an hour."""
    campaign = start_campaign(session, template=TYPHOON, roles=["grid_head"], at=AT)
    tasks = task_ids(session, campaign, "grid_head")
    assert len(tasks) > LATE
    on_time, late = tasks[:-LATE], tasks[-LATE:]
    set_state(session, on_time, "claimed", claimed_at=AT + timedelta(minutes=30))
    return campaign, on_time, late


def _people_of(session: Session, tasks: list[int]) -> set[int]:
    return set(session.scalars(select(CampaignTask.person_id).where(CampaignTask.id.in_(tasks))))


def test_a_campaign_has_five_sweeps_per_role_not_a_timer_per_recipient(session: Session) -> None:
    campaign = start_campaign(session, template=TYPHOON, roles=["grid_head", "party_member"], at=AT)
    recipients = session.scalar(select(func.count()).where(CampaignTask.campaign_id == campaign))
    assert recipients is not None
    assert recipients > 100
    assert _sweep_timers(session, campaign) == [
        ("grid_head:claim", AT + timedelta(minutes=120)),
        ("grid_head:claim_again", AT + timedelta(minutes=135)),
        ("grid_head:claim_supervisor", AT + timedelta(minutes=150)),
        ("grid_head:report", AT + timedelta(minutes=360)),
        ("grid_head:report_supervisor", AT + timedelta(minutes=390)),
        ("party_member:claim", AT + timedelta(minutes=180)),
        ("party_member:claim_again", AT + timedelta(minutes=210)),
        ("party_member:claim_supervisor", AT + timedelta(minutes=240)),
        ("party_member:report", AT + timedelta(minutes=480)),
        ("party_member:report_supervisor", AT + timedelta(minutes=540)),
    ]
    assert cancel_sweeps(session, campaign) == 10
    assert _sweep_timers(session, campaign) == []


def test_the_20_late_grid_heads_are_reminded_then_their_supervisors_told(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    campaign, on_time, late = _with_late_grid_heads(session)
    _minutes(clock, 119)
    fire(sessions, clock)
    assert count_letters(session, campaign) == 0
    _minutes(clock, 120)
    fire(sessions, clock)
    reminded = letters(session, campaign, "grid_head:claim")
    assert set(reminded) == _people_of(session, late)
    assert all(len(bodies) == 1 and "催领办" in bodies[0] for bodies in reminded.values())
    assert not _people_of(session, on_time) & set(reminded)
    marked = session.scalars(select(CampaignTask.id).where(CampaignTask.reminded_at.is_not(None)))
    assert set(marked) >= set(late)
    assert (
        session.scalar(select(func.count()).where(CampaignTask.id.in_(on_time), CampaignTask.reminded_at.is_not(None)))
        == 0
    )
    _minutes(clock, 135)
    fire(sessions, clock)
    assert set(letters(session, campaign, "grid_head:claim_again")) == _people_of(session, late)
    _minutes(clock, 150)
    fire(sessions, clock)
    told = letters(session, campaign, "grid_head:claim_supervisor")
    supervisors = set(
        session.scalars(
            select(Position.person_id)
            .join(CampaignTask, CampaignTask.supervisor_position_id == Position.id)
            .where(CampaignTask.id.in_(late))
        )
    )
    assert set(told) == supervisors
    to_supervisors = letter_links(session, campaign, "grid_head:claim_supervisor")
    # The supervisor's link lists their late people's tasks (not the county-wide campaign), each of them.
    late_link = f"/tasks?view=above&campaign={campaign}&unclaimed=true&overdue=true"
    assert all(found == {late_link} for found in to_supervisors.values())
    assert all(len(bodies) == 1 for bodies in told.values())
    late_names = set(session.scalars(select(Person.name).join(CampaignTask).where(CampaignTask.id.in_(late))))
    named = {name for bodies in told.values() for name in late_names if name in bodies[0]}
    assert named == late_names
    assert "网格长" in next(iter(told.values()))[0]
    supervisor = min(told)
    key = session.scalar(
        select(Notification.key)
        .join(InboxItem, InboxItem.notification_id == Notification.id)
        .where(InboxItem.person_id == supervisor, Notification.key.startswith(f"campaign:{campaign}:grid_head:claim_"))
        .where(Notification.topic == "campaign.escalate")
    )
    assert key is not None
    zh, en = in_both_languages(session, key, supervisor)
    assert en.title.startswith("Not claimed in time: ")
    assert "people: “Grid head: patrol the grid”" in en.body
    assert " · Grid head · " in en.body
    assert " · claim by " in en.body
    assert en.body.endswith("\nPlease follow them up.")
    assert zh.body.endswith("\n请督促落实。")
    assert _audit_actions(session, campaign) == [
        "campaign.sweep.claim",
        "campaign.sweep.claim_again",
        "campaign.sweep.claim_supervisor",
    ]


def test_a_late_task_whose_post_names_no_supervisor_is_told_to_the_managing_posts_above(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    # An imported post may name no supervisor: its late task still reaches the level above, the village
    # committee over the grid, in the same sweep as the others' supervisors, and is marked once.
    campaign, _on_time, late = _with_late_grid_heads(session)
    orphan = late[0]
    grid = session.scalars(select(CampaignTask.division_code).where(CampaignTask.id == orphan)).one()
    # The task names none (its post still does: fixed after dispatch), so nobody sees it as its supervisor.
    session.execute(update(CampaignTask).where(CampaignTask.id == orphan).values(supervisor_position_id=None))
    session.commit()
    cadres = set(
        session.scalars(
            select(Position.person_id).where(Position.role == "village_cadre", Position.division_code == grid[:12])
        )
    )
    assert cadres
    _minutes(clock, 150)
    fire(sessions, clock)
    told = letters(session, campaign, "grid_head:claim_supervisor")
    orphan_name = session.scalar(select(Person.name).join(CampaignTask).where(CampaignTask.id == orphan))
    assert orphan_name
    assert {person for person, bodies in told.items() if orphan_name in bodies[0]} >= cadres
    others = set(
        session.scalars(
            select(Position.person_id)
            .join(CampaignTask, CampaignTask.supervisor_position_id == Position.id)
            .where(CampaignTask.id.in_(late[1:]))
        )
    )
    assert set(told) == others | cadres
    told_at = session.scalar(select(CampaignTask.supervisor_told_at).where(CampaignTask.id == orphan))
    assert told_at is not None
    audit = session.scalars(
        select(AuditRecord.after).where(
            AuditRecord.action == "campaign.sweep.claim_supervisor", AuditRecord.entity_id == str(campaign)
        )
    ).one()
    assert json.loads(audit)["tasks"] == LATE  # each task once, told to however many


def test_one_letter_per_person_even_with_several_tasks(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    heads = session.execute(
        select(Position.person_id, Position.division_code, Position.supervisor_id)
        .where(Position.role == "grid_head", Position.division_code.startswith(HUZHEN))
        .order_by(Position.id)
        .limit(2)
    ).all()
    (person, _grid, _boss), (_other, other_grid, boss) = heads
    session.execute(
        insert(Position).values(person_id=person, role="grid_head", division_code=other_grid, supervisor_id=boss)
    )
    campaign = start_campaign(session, template=TYPHOON, roles=["grid_head"], at=AT)
    _minutes(clock, 120)
    fire(sessions, clock)
    reminded = letters(session, campaign, "grid_head:claim")
    assert len(reminded[person]) == 1
    assert "2 项" in reminded[person][0]
    # The letter leads to the reader's task, or to their tasks in the campaign when they have several.
    links = letter_links(session, campaign, "grid_head:claim")
    assert links[person] == {f"/tasks?campaign={campaign}"}
    one = next(other for other in links if other != person)
    task = session.scalar(
        select(CampaignTask.id).where(CampaignTask.campaign_id == campaign, CampaignTask.person_id == one)
    )
    assert links[one] == {f"/tasks/{task}"}


def test_someone_who_claims_after_the_first_reminder_is_not_reminded_again(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    campaign, _on_time, late = _with_late_grid_heads(session)
    _minutes(clock, 120)
    fire(sessions, clock)
    set_state(session, late[:5], "claimed", claimed_at=AT + timedelta(minutes=125))
    _minutes(clock, 150)
    fire(sessions, clock)
    assert set(letters(session, campaign, "grid_head:claim_again")) == _people_of(session, late[5:])
    told = session.scalars(
        select(CampaignTask.id).where(
            CampaignTask.campaign_id == campaign, CampaignTask.supervisor_told_at.is_not(None)
        )
    )
    assert set(told) == set(late[5:])


def test_late_reports_are_reminded_and_their_supervisors_told(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    campaign = start_campaign(session, template=TYPHOON, roles=["grid_head"], at=AT)
    tasks = task_ids(session, campaign, "grid_head")
    set_state(session, tasks, "claimed", claimed_at=AT + timedelta(minutes=10))
    reported, unreported = tasks[:-3], tasks[-3:]
    set_state(session, reported, "reported", reported_at=AT + timedelta(minutes=200))
    _minutes(clock, 360)
    fire(sessions, clock)
    assert letters(session, campaign, "grid_head:claim") == {}
    reminded = letters(session, campaign, "grid_head:report")
    assert set(reminded) == _people_of(session, unreported)
    assert all("回单超期" in bodies[0] for bodies in reminded.values())
    _minutes(clock, 390)
    fire(sessions, clock)
    told = session.scalars(
        select(CampaignTask.id).where(
            CampaignTask.campaign_id == campaign, CampaignTask.supervisor_told_at.is_not(None)
        )
    )
    assert set(told) == set(unreported)
    assert letters(session, campaign, "grid_head:report_supervisor")
    # The supervisor is led to their people's claimed tasks past the report time, in this campaign.
    late_link = f"/tasks?view=above&campaign={campaign}&state=claimed&overdue=true"
    links = letter_links(session, campaign, "grid_head:report_supervisor")
    assert all(found == {late_link} for found in links.values())


def test_a_closed_campaigns_sweeps_do_nothing(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    campaign = start_campaign(session, template=TYPHOON, roles=["grid_head"], at=AT)
    row = session.get(Campaign, campaign)
    assert row is not None
    row.status, row.closed_at = "closed", AT + timedelta(minutes=60)
    session.commit()
    _minutes(clock, 400)
    fire(sessions, clock)
    assert count_letters(session, campaign) == 0
    assert _audit_actions(session, campaign) == []
    assert _sweep_timers(session, campaign) == []
    reminded = session.scalar(
        select(func.count()).where(CampaignTask.campaign_id == campaign, CampaignTask.reminded_at.is_not(None))
    )
    assert reminded == 0


def test_a_repeated_firing_changes_nothing(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    campaign, _on_time, late = _with_late_grid_heads(session)
    _minutes(clock, 120)
    fire(sessions, clock)
    before = _snapshot(session, campaign)
    again = [t for t in sweep_timers(campaign, TYPHOON, ["grid_head"], AT) if t.step == "grid_head:claim"]
    _minutes(clock, 121)
    timers.schedule(session, again, now=clock.now())
    session.commit()
    assert fire(sessions, clock) == 1
    assert _snapshot(session, campaign) == before
    assert len(before[0]) == LATE
    assert {task for task, _at in before[0]} == set(late)


def _snapshot(session: Session, campaign: int) -> tuple[list[tuple[int, datetime]], int, int, list[str]]:
    marked = session.execute(
        select(CampaignTask.id, CampaignTask.reminded_at)
        .where(CampaignTask.campaign_id == campaign, CampaignTask.reminded_at.is_not(None))
        .order_by(CampaignTask.id)
    )
    outbox = session.scalar(select(func.count()).select_from(OutboxMessage))
    inbox = session.scalar(select(func.count()).select_from(InboxItem))
    return [tuple(row) for row in marked], int(outbox or 0), int(inbox or 0), _audit_actions(session, campaign)  # type: ignore[misc]


def test_a_worker_that_was_down_reminds_once_and_tells_the_supervisors(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    campaign, _on_time, late = _with_late_grid_heads(session)
    _minutes(clock, 155)
    fire(sessions, clock)
    assert set(letters(session, campaign, "grid_head:claim")) == _people_of(session, late)
    assert letters(session, campaign, "grid_head:claim_again") == {}
    assert letters(session, campaign, "grid_head:claim_supervisor")


def test_a_cascade_forwarded_later_gets_its_own_sweep(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    campaign = start_campaign(session, template=TYPHOON, roles=["grid_head"], at=AT, mode="cascade")
    assert _sweep_timers(session, campaign) == []
    forward(session, campaign, HUZHEN, at=AT)
    first, later = sorted(
        session.scalars(
            select(CampaignForward.division_code).where(
                CampaignForward.campaign_id == campaign, CampaignForward.division_code != HUZHEN
            )
        )
    )[:2]
    forward(session, campaign, first, at=AT)
    forward(session, campaign, later, at=AT + timedelta(minutes=60))
    assert len(_sweep_timers(session, campaign)) == 5  # the earlier sweeps cover the later village
    _minutes(clock, 120)
    fire(sessions, clock)
    early = set(letters(session, campaign, "grid_head:claim"))
    assert early == _people_in(session, campaign, first)
    assert ("grid_head:claim", AT + timedelta(minutes=180)) in _sweep_timers(session, campaign)
    _minutes(clock, 180)
    fire(sessions, clock)
    assert set(letters(session, campaign, "grid_head:claim")) == early | _people_in(session, campaign, later)


def _people_in(session: Session, campaign: int, division: str) -> set[int]:
    return set(
        session.scalars(
            select(CampaignTask.person_id).where(
                CampaignTask.campaign_id == campaign, CampaignTask.division_code.startswith(division)
            )
        )
    )


# Pure rules: no database.


def test_sweep_instants_follow_the_template() -> None:
    instants = sweep_instants(GRID_HEAD, AT)
    assert instants[Sweep.CLAIM] == AT + timedelta(minutes=120)
    assert instants[Sweep.REPORT_SUPERVISOR] == AT + timedelta(minutes=390)
    notice = packaged("urgent_notice").task_for("grid_head")
    assert Sweep.CLAIM_AGAIN not in sweep_instants(notice, AT)


@pytest.mark.parametrize(
    ("marker_minutes", "now_minutes", "expected"),
    [
        (None, 134, False),  # the second reminder's instant has not come
        (None, 135, True),
        (120, 135, True),  # reminded at the claim time: remind again
        (135, 135, False),  # reminded by this sweep already
        (140, 150, False),  # reminded after this sweep's instant (a worker catching up)
    ],
)
def test_a_sweep_reaches_a_task_once_after_its_instant(
    marker_minutes: int | None, now_minutes: int, *, expected: bool
) -> None:
    due = AT + timedelta(minutes=120)
    marker = None if marker_minutes is None else AT + timedelta(minutes=marker_minutes)
    watch = Watch(due_at=due, marker_at=marker)
    assert needs_notice(watch, timedelta(minutes=15), AT + timedelta(minutes=now_minutes)) is expected
