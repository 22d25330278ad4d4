"""The demo's command groups: one of each state, each demo login in the group it belongs to, every instruction state."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.campaigns.task_helpers import actor_of
from zhili.cases.models import Case, CaseEvent
from zhili.command_groups import queries
from zhili.command_groups.lifecycle import GroupState, InstructionState, MemberRole
from zhili.command_groups.models import CommandGroup
from zhili.core.clock import FrozenClock

FUSHAN_ROLES = {
    "kc-centre": MemberRole.COMMANDER,
    "fushan": MemberRole.DEPUTY,
    "kc-traffic": MemberRole.LIAISON,
    "gridworker": MemberRole.MEMBER,
}
TYPHOON_LOGINS = ("ly-centre", "huzhen", "village", "gridhead", "teamleader", "partymember")


def _group(session: Session, title: str) -> CommandGroup:
    return session.scalars(select(CommandGroup).where(CommandGroup.title == title)).one()


def test_the_fushan_group_is_active_with_each_login_in_its_role_and_every_instruction_state(
    session: Session, clock: FrozenClock
) -> None:
    group = _group(session, "府山街道暴雨内涝应急处置指挥组")
    assert group.state == GroupState.ACTIVE
    assert group.opened_at < clock.now()
    assert group.area_code == "330802006"
    for login, role in FUSHAN_ROLES.items():
        mine = {g.id: g.my_role for g in queries.my_open_groups(session, actor_of(session, login), now=clock.now())}
        assert mine.get(group.id) == role, login
    view = queries.group_view(session, actor_of(session, "kc-centre"), group.id, now=clock.now())
    assert 8 <= view.summary.members <= 12
    states = {(c.state, c.late) for i in view.instructions for c in i.copies}
    assert {
        (InstructionState.DONE, False),
        (InstructionState.ACKNOWLEDGED, False),
        (InstructionState.ISSUED, True),
    } <= states
    assert view.summary.overdue_instructions > 0
    lines = queries.timeline(session, actor_of(session, "gridworker"), group.id)
    posts = [e for e in lines if e.kind == "message"]
    assert 8 <= len(posts) <= 12
    assert any(e.photo_id for e in posts)
    assert sum(e.point is not None for e in posts) >= 3
    assert queries.pending_copies(session, actor_of(session, "fushan")) >= 1
    assert queries.pending_copies(session, actor_of(session, "gridworker")) >= 1


def test_the_fushan_group_was_opened_from_the_grid_workers_flood_report_which_traffic_is_handling(
    session: Session,
) -> None:
    group = _group(session, "府山街道暴雨内涝应急处置指挥组")
    assert group.origin_kind == "case"
    assert group.origin_case_id is not None
    case = session.get(Case, group.origin_case_id)
    assert case is not None
    assert (case.matter_code, case.status) == ("road_safety_hazard", "in_progress")
    assert case.place_code.startswith("330802006")
    assert case.created_at < group.opened_at
    kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)).all()
    assert "group_opened" in kinds  # the case's timeline says so (成立指挥组)
    assert kinds.index("group_opened") > kinds.index("report")


def test_the_heat_group_is_stable_and_tied_to_the_live_campaign(session: Session, clock: FrozenClock) -> None:
    group = _group(session, "柯城区高温天气防范指挥组")
    assert (group.state, group.origin_kind, group.area_code) == (GroupState.STABLE, "campaign", "330802")
    assert group.origin_campaign_id is not None
    centre = actor_of(session, "kc-centre")
    under = {g.id for g in queries.open_groups_under(session, centre, "330802", now=clock.now())}
    assert group.id in under
    assert _group(session, "府山街道暴雨内涝应急处置指挥组").id in under


def test_the_typhoon_group_closed_last_month_with_its_report(session: Session, clock: FrozenClock) -> None:
    group = _group(session, "龙游县防御台风应急指挥组")
    assert group.state == GroupState.CLOSED
    assert group.closed_at is not None
    assert (clock.now() - group.closed_at).days >= 1
    report = group.closure_report
    assert report is not None
    assert report.done == report.done_on_time == 3
    assert report.hours == 48.0
    for login in TYPHOON_LOGINS:
        listed = {g.id for g in queries.list_groups(session, actor_of(session, login), now=clock.now())}
        assert group.id in listed, login
        mine = queries.my_open_groups(session, actor_of(session, login), now=clock.now())
        assert group.id not in {g.id for g in mine}
    kecheng = {g.id for g in queries.list_groups(session, actor_of(session, "kc-centre"), now=clock.now())}
    assert group.id not in kecheng
