"""Command groups through their services on the demo world: open, members, posts, instructions, states, the report."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.campaigns.task_helpers import actor_of
from tests.command_groups.helpers import actor_name, fushan, inbox_links, open_fushan_group, person
from tests.notify.helpers import in_both_languages
from zhili.clocks.firing import DueTimer
from zhili.command_groups import queries
from zhili.command_groups.groups import GroupOpen, change_state, open_group
from zhili.command_groups.instructions import answer_instruction, fire_instruction_due, issue_instruction
from zhili.command_groups.lifecycle import GroupAction, GroupState, InstructionState, MemberRole, form_keys
from zhili.command_groups.members import NewMember, add_members, remove_member, set_role
from zhili.command_groups.models import GroupEntry
from zhili.command_groups.timeline import post_message
from zhili.core.audit import AuditRecord
from zhili.core.clock import FrozenClock
from zhili.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from zhili.core.local_time import local_short
from zhili.notify.models import Notification
from zhili.notify.wording import localized_title


def test_the_centre_opens_a_group_and_everyone_pulled_in_is_told(session: Session, clock: FrozenClock) -> None:
    group_id = open_fushan_group(session, clock)
    view = queries.group_view(session, actor_of(session, "kc-centre"), group_id, now=clock.now())
    roles = {m.person.id: m.role for m in view.members}
    assert roles == {
        person(session, "kc-centre"): MemberRole.COMMANDER,
        person(session, "fushan"): MemberRole.DEPUTY,
        person(session, "kc-traffic"): MemberRole.LIAISON,
        person(session, "gridworker"): MemberRole.MEMBER,
    }
    assert view.summary.state == GroupState.ACTIVE
    assert view.summary.members == 4
    for login in ("fushan", "kc-traffic", "gridworker"):
        assert inbox_links(session, login) == [f"/groups/{group_id}"]
    assert inbox_links(session, "kc-centre") == []  # the opener is not told what they did
    told = session.scalars(
        select(Notification).where(
            Notification.subject == f"command_group:{group_id}", Notification.topic == "command_group.joined"
        )
    ).one()
    assert told.title == "指挥组「府山街道暴雨内涝处置指挥组」：您已被编入指挥组"
    english = localized_title(told.title, told.title_key, told.title_params, "en")
    assert english == "Command group “府山街道暴雨内涝处置指挥组”: you have been added to it"  # the inbox in English
    kinds = [e.kind for e in queries.timeline(session, actor_of(session, "gridworker"), group_id)]
    assert kinds == ["opened", "joined", "joined", "joined", "joined"]
    audited = session.scalar(
        select(func.count()).where(AuditRecord.action == "command_group.open", AuditRecord.entity_id == str(group_id))
    )
    assert audited == 1


def test_only_those_who_run_command_rooms_open_groups_and_only_in_their_area(
    session: Session, clock: FrozenClock
) -> None:
    data = GroupOpen(title="内涝", summary="", area=fushan(session))
    with pytest.raises(ForbiddenError):
        open_group(session, data=data, actor=actor_of(session, "gridworker"), clock=clock)
    with pytest.raises(InvalidInputError) as refused:
        open_group(session, data=data, actor=actor_of(session, "huzhen"), clock=clock)  # Huzhen is in Longyou
    assert form_keys(refused.value) == {"area": "group.error.area_outside"}
    with pytest.raises(InvalidInputError):
        open_group(
            session,
            data=GroupOpen(title=" ", summary="", area=fushan(session)),
            actor=actor_of(session, "kc-centre"),
            clock=clock,
        )


def test_a_group_is_seen_by_its_members_and_its_area_and_by_nobody_else(session: Session, clock: FrozenClock) -> None:
    group_id = open_fushan_group(session, clock)
    for login in ("kc-centre", "fushan", "kc-traffic", "gridworker", "qz-centre"):  # members, blocks over the area
        assert queries.group_view(session, actor_of(session, login), group_id, now=clock.now()).group.id == group_id
    for login in ("ly-centre", "huzhen", "qj-hrss", "partymember", "kc-traffic-head"):  # kc-traffic-head: a strip
        with pytest.raises(NotFoundError):
            queries.group_view(session, actor_of(session, login), group_id, now=clock.now())
        with pytest.raises(NotFoundError):
            post_message(
                session,
                group_id=group_id,
                body="我也来",
                point=None,
                photo=None,
                actor=actor_of(session, login),
                clock=clock,
            )
    listed = {g.id for g in queries.list_groups(session, actor_of(session, "ly-centre"), now=clock.now())}
    assert group_id not in listed


def test_members_post_but_only_commanders_instruct_and_a_supervisor_only_watches(
    session: Session, clock: FrozenClock
) -> None:
    group_id = open_fushan_group(session, clock)
    entry = post_message(
        session,
        group_id=group_id,
        body="中山路口积水30厘米",
        point=(118.87, 28.94),
        photo=None,
        actor=actor_of(session, "gridworker"),
        clock=clock,
    )
    last = queries.timeline(session, actor_of(session, "kc-centre"), group_id, after_id=entry - 1)
    assert [(e.kind, e.body, e.point) for e in last] == [("message", "中山路口积水30厘米", (118.87, 28.94))]
    with pytest.raises(InvalidInputError):
        post_message(
            session,
            group_id=group_id,
            body="  ",
            point=None,
            photo=None,
            actor=actor_of(session, "gridworker"),
            clock=clock,
        )
    later = clock.now() + timedelta(hours=1)
    with pytest.raises(ForbiddenError):
        issue_instruction(
            session,
            group_id=group_id,
            body="封路",
            deadline_at=later,
            person_ids=[],
            unit_id=None,
            actor=actor_of(session, "gridworker"),
            clock=clock,
        )
    with pytest.raises(ForbiddenError):  # the city centre sees the group but is not in it
        post_message(
            session,
            group_id=group_id,
            body="收到",
            point=None,
            photo=None,
            actor=actor_of(session, "qz-centre"),
            clock=clock,
        )


def test_an_instruction_is_acknowledged_and_done_and_its_issuer_hears_of_it(
    session: Session, clock: FrozenClock
) -> None:
    group_id = open_fushan_group(session, clock)
    traffic = actor_of(session, "kc-traffic")
    unit = next(iter(traffic.units))
    deadline = clock.now() + timedelta(hours=2)
    instruction = issue_instruction(
        session,
        group_id=group_id,
        body="交警对中山路实施临时交通管制",
        deadline_at=deadline,
        person_ids=[person(session, "gridworker")],
        unit_id=unit,
        actor=actor_of(session, "kc-centre"),
        clock=clock,
    )
    assert inbox_links(session, "kc-traffic")[-1] == f"/groups/{group_id}#my-instructions"  # where they acknowledge
    told = session.scalars(select(Notification.body).order_by(Notification.id.desc())).first() or ""
    assert told.splitlines() == ["交警对中山路实施临时交通管制", f"办结时限：{local_short(deadline)} 前"]  # by when
    view = queries.group_view(session, traffic, group_id, now=clock.now())
    assert {c.person.id for c in view.instructions[0].copies} == {person(session, "gridworker"), traffic.person_id}
    worker = actor_of(session, "gridworker")
    assert (
        answer_instruction(
            session, instruction_id=instruction, to=InstructionState.ACKNOWLEDGED, reply="", actor=worker, clock=clock
        )
        == InstructionState.ACKNOWLEDGED
    )
    with pytest.raises(InvalidInputError):
        answer_instruction(
            session, instruction_id=instruction, to=InstructionState.DONE, reply=" ", actor=worker, clock=clock
        )
    answer_instruction(
        session, instruction_id=instruction, to=InstructionState.DONE, reply="已设置绕行提示", actor=worker, clock=clock
    )
    moves = session.execute(
        select(AuditRecord.before, AuditRecord.after)
        .where(AuditRecord.entity_type == "command_instruction", AuditRecord.entity_id == str(instruction))
        .order_by(AuditRecord.seq)
    ).all()
    states = [(json.loads(before)["state"], json.loads(after)["state"]) for before, after in moves]
    assert states == [  # the record says from what to what
        ("issued", "acknowledged"),
        ("acknowledged", "done"),
    ]
    with pytest.raises(ConflictError):
        answer_instruction(
            session, instruction_id=instruction, to=InstructionState.DONE, reply="再次", actor=worker, clock=clock
        )
    with pytest.raises(NotFoundError):  # not addressed to the deputy
        answer_instruction(
            session,
            instruction_id=instruction,
            to=InstructionState.ACKNOWLEDGED,
            reply="",
            actor=actor_of(session, "fushan"),
            clock=clock,
        )
    assert inbox_links(session, "kc-centre") == [f"/groups/{group_id}#instructions"]  # the worker's reply
    with pytest.raises(InvalidInputError):  # a deadline in the past
        issue_instruction(
            session,
            group_id=group_id,
            body="x",
            deadline_at=clock.now(),
            person_ids=[person(session, "fushan")],
            unit_id=None,
            actor=actor_of(session, "kc-centre"),
            clock=clock,
        )
    with pytest.raises(InvalidInputError):  # not a member
        issue_instruction(
            session,
            group_id=group_id,
            body="x",
            deadline_at=deadline,
            person_ids=[person(session, "huzhen")],
            unit_id=None,
            actor=actor_of(session, "kc-centre"),
            clock=clock,
        )


def test_at_the_deadline_the_late_are_reminded_and_the_issuer_told(session: Session, clock: FrozenClock) -> None:
    group_id = open_fushan_group(session, clock)
    deadline = clock.now() + timedelta(minutes=30)
    instruction = issue_instruction(
        session,
        group_id=group_id,
        body="上报积水点位",
        deadline_at=deadline,
        person_ids=[person(session, "gridworker"), person(session, "fushan")],
        unit_id=None,
        actor=actor_of(session, "kc-centre"),
        clock=clock,
    )
    answer_instruction(
        session,
        instruction_id=instruction,
        to=InstructionState.DONE,
        reply="已上报3处",
        actor=actor_of(session, "fushan"),
        clock=clock,
    )
    timer = DueTimer(
        id=0,
        kind="command_group.instruction_due",
        subject_id=instruction,
        step="due",
        generation=0,
        share=0.0,
        due_at=deadline,
        payload={},
    )
    fire_instruction_due(session, [timer], deadline)
    session.commit()
    assert len(inbox_links(session, "gridworker")) == 3  # joined, the instruction, the reminder
    assert len(inbox_links(session, "fushan")) == 2  # joined, the instruction: she was done
    assert len(inbox_links(session, "kc-centre")) == 2  # fushan's reply, who is late
    late = f"command-group:{group_id}:instruction:{instruction}:late-issuer"
    zh, en = in_both_languages(session, late, person(session, "kc-centre"))
    assert zh.title == "指挥组「府山街道暴雨内涝处置指挥组」：指令到期：1人未办结"
    assert en.title == "Command group “府山街道暴雨内涝处置指挥组”: instruction past its deadline, 1 not done"
    assert en.body == f"Not done: {actor_name(session, 'gridworker')}. 上报积水点位"  # the instruction as written
    joined = f"command-group:{group_id}:joined:"
    key = session.scalars(select(Notification.key).where(Notification.key.startswith(joined))).one()
    _, en = in_both_languages(session, key, person(session, "gridworker"))
    assert en.title.endswith(": you have been added to it")


def test_command_is_handed_over_never_dropped(session: Session, clock: FrozenClock) -> None:
    group_id = open_fushan_group(session, clock)
    centre, deputy = actor_of(session, "kc-centre"), actor_of(session, "fushan")
    with pytest.raises(ConflictError):
        remove_member(session, group_id=group_id, person_id=centre.person_id or 0, actor=centre, clock=clock)
    with pytest.raises(InvalidInputError):  # a deputy cannot make herself commander
        set_role(
            session,
            group_id=group_id,
            person_id=deputy.person_id or 0,
            role=MemberRole.COMMANDER,
            actor=deputy,
            clock=clock,
        )
    set_role(
        session,
        group_id=group_id,
        person_id=deputy.person_id or 0,
        role=MemberRole.COMMANDER,
        actor=centre,
        clock=clock,
    )
    roles = {m.person.id: m.role for m in queries.group_view(session, centre, group_id, now=clock.now()).members}
    assert roles[deputy.person_id or 0] == MemberRole.COMMANDER
    assert roles[centre.person_id or 0] == MemberRole.DEPUTY
    kinds = [(e.kind, e.detail) for e in queries.timeline(session, centre, group_id)][-2:]
    assert kinds == [("role_changed", "deputy"), ("role_changed", "commander")]  # the old commander steps down first
    remove_member(session, group_id=group_id, person_id=person(session, "gridworker"), actor=deputy, clock=clock)
    view = queries.group_view(session, centre, group_id, now=clock.now())
    assert [m.left_at is not None for m in view.members].count(True) == 1
    with pytest.raises(NotFoundError):  # taken off, the grid worker (a grid's block) no longer sees the group
        queries.group_view(session, actor_of(session, "gridworker"), group_id, now=clock.now())
    add_members(
        session, group_id=group_id, members=[NewMember(person(session, "gridworker"))], actor=deputy, clock=clock
    )
    assert queries.group_view(session, centre, group_id, now=clock.now()).summary.members == 4


def test_the_group_stabilises_closes_with_a_report_and_then_takes_nothing_more(
    session: Session, clock: FrozenClock
) -> None:
    group_id = open_fushan_group(session, clock)
    centre, worker = actor_of(session, "kc-centre"), actor_of(session, "gridworker")
    instruction = issue_instruction(
        session,
        group_id=group_id,
        body="排查低洼点",
        deadline_at=clock.now() + timedelta(hours=1),
        person_ids=[worker.person_id or 0],
        unit_id=None,
        actor=centre,
        clock=clock,
    )
    post_message(
        session, group_id=group_id, body="已排查", point=(118.87, 28.94), photo=None, actor=worker, clock=clock
    )
    answer_instruction(
        session, instruction_id=instruction, to=InstructionState.DONE, reply="完成", actor=worker, clock=clock
    )
    assert (
        change_state(
            session,
            group_id=group_id,
            action=GroupAction.STABILISE,
            note="水位回落",
            actor=actor_of(session, "fushan"),
            clock=clock,
        )
        == GroupState.STABLE
    )
    with pytest.raises(ForbiddenError):
        change_state(
            session,
            group_id=group_id,
            action=GroupAction.CLOSE,
            note="结束",
            actor=actor_of(session, "fushan"),
            clock=clock,
        )
    with pytest.raises(InvalidInputError):
        change_state(session, group_id=group_id, action=GroupAction.CLOSE, note=" ", actor=centre, clock=clock)
    later = FrozenClock(clock.now() + timedelta(hours=6))
    change_state(
        session, group_id=group_id, action=GroupAction.CLOSE, note="积水全部排除，交通恢复。", actor=centre, clock=later
    )
    view = queries.group_view(session, centre, group_id, now=later.now())
    assert view.actions == frozenset()
    report = view.group.closure_report
    assert report is not None
    assert (report.hours, report.people, report.copies, report.done_on_time, report.posts, report.places) == (
        6.0,
        4,
        1,
        1,
        1,
        1,
    )
    assert [s[1] for s in report.states] == ["stable", "closed"]
    assert report.members_by_role == {"commander": 1, "deputy": 1, "liaison": 1, "member": 1}
    with pytest.raises(ConflictError):
        post_message(session, group_id=group_id, body="还有吗", point=None, photo=None, actor=worker, clock=later)
    with pytest.raises(ConflictError):
        change_state(session, group_id=group_id, action=GroupAction.REACTIVATE, note="", actor=centre, clock=later)
    entries = session.scalar(select(func.count()).where(GroupEntry.group_id == group_id))
    assert entries == 5 + 5  # opened, 4 joined; instructed, message, done, stable, closed


def test_members_manage_only_those_below_them(session: Session, clock: FrozenClock) -> None:
    group_id = open_fushan_group(session, clock)
    liaison, deputy = actor_of(session, "kc-traffic"), actor_of(session, "fushan")
    with pytest.raises(InvalidInputError):  # nobody changes their own role
        set_role(
            session,
            group_id=group_id,
            person_id=liaison.person_id or 0,
            role=MemberRole.DEPUTY,
            actor=liaison,
            clock=clock,
        )
    with pytest.raises(ForbiddenError):  # a liaison cannot touch a deputy
        set_role(
            session,
            group_id=group_id,
            person_id=deputy.person_id or 0,
            role=MemberRole.MEMBER,
            actor=liaison,
            clock=clock,
        )
    with pytest.raises(ForbiddenError):
        remove_member(session, group_id=group_id, person_id=deputy.person_id or 0, actor=liaison, clock=clock)
    with pytest.raises(ForbiddenError):  # nor make a member a liaison
        set_role(
            session,
            group_id=group_id,
            person_id=person(session, "gridworker"),
            role=MemberRole.LIAISON,
            actor=liaison,
            clock=clock,
        )
    with pytest.raises(ForbiddenError):  # nor add a deputy
        add_members(
            session,
            group_id=group_id,
            members=[NewMember(person(session, "kc-traffic-head"), MemberRole.DEPUTY)],
            actor=liaison,
            clock=clock,
        )
    set_role(
        session,
        group_id=group_id,
        person_id=person(session, "gridworker"),
        role=MemberRole.LIAISON,
        actor=deputy,
        clock=clock,
    )
    with pytest.raises(ForbiddenError):  # a deputy cannot touch another deputy's rank
        set_role(
            session,
            group_id=group_id,
            person_id=person(session, "gridworker"),
            role=MemberRole.DEPUTY,
            actor=deputy,
            clock=clock,
        )


def test_a_group_never_has_two_commanders(session: Session, clock: FrozenClock) -> None:
    group_id = open_fushan_group(session, clock)
    centre = actor_of(session, "kc-centre")
    two = [
        NewMember(person(session, "kc-traffic-head"), MemberRole.COMMANDER),
        NewMember(person(session, "kc-housing"), MemberRole.COMMANDER),
    ]
    with pytest.raises(InvalidInputError):
        add_members(session, group_id=group_id, members=two, actor=centre, clock=clock)
    add_members(session, group_id=group_id, members=two[:1], actor=centre, clock=clock)
    roles = [m.role for m in queries.group_view(session, centre, group_id, now=clock.now()).members if not m.left_at]
    assert roles.count(MemberRole.COMMANDER) == 1
    assert inbox_links(session, "fushan")[-1] == f"/groups/{group_id}"  # the whole group hears of the hand-over


def test_an_instruction_answered_under_another_group_is_unknown(session: Session, clock: FrozenClock) -> None:
    first, second = open_fushan_group(session, clock), open_fushan_group(session, clock, title="第二个指挥组")
    worker = actor_of(session, "gridworker")
    instruction = issue_instruction(
        session,
        group_id=first,
        body="巡查",
        deadline_at=clock.now() + timedelta(hours=1),
        person_ids=[worker.person_id or 0],
        unit_id=None,
        actor=actor_of(session, "kc-centre"),
        clock=clock,
    )
    with pytest.raises(NotFoundError):
        answer_instruction(
            session,
            instruction_id=instruction,
            to=InstructionState.ACKNOWLEDGED,
            reply="",
            actor=worker,
            clock=clock,
            group_id=second,
        )
