"""The command group's rules, pure: who may do what in which state, who outranks whom, the report's counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhili.command_groups.closure import ClosureReport
from zhili.command_groups.lifecycle import (
    RANK,
    GroupAction,
    GroupState,
    InstructionState,
    MemberRole,
    allowed_actions,
    require,
    require_rank,
    step_instruction,
)
from zhili.command_groups.models import CommandGroup, GroupEntry, Instruction, InstructionCopy
from zhili.command_groups.report import summarise
from zhili.core.errors import ConflictError, ForbiddenError
from zhili.core.typed_json import JsonText

roles = st.sampled_from([*MemberRole, None])


@given(role=roles, state=st.sampled_from(GroupState), action=st.sampled_from(GroupAction))
def test_require_agrees_with_allowed_actions(role: MemberRole | None, state: GroupState, action: GroupAction) -> None:
    allowed = action in allowed_actions(role, state)
    try:
        require(role, action, state)
    except (ForbiddenError, ConflictError):
        assert not allowed
    else:
        assert allowed


def test_a_closed_group_allows_nothing_and_only_the_commander_closes() -> None:
    assert allowed_actions(MemberRole.COMMANDER, GroupState.CLOSED) == frozenset()
    assert GroupAction.CLOSE in allowed_actions(MemberRole.COMMANDER, GroupState.STABLE)
    assert GroupAction.CLOSE not in allowed_actions(MemberRole.DEPUTY, GroupState.ACTIVE)
    assert allowed_actions(None, GroupState.ACTIVE) == frozenset()


@given(actor=roles, target=st.sampled_from(MemberRole), new=st.sampled_from([*MemberRole, None]))
def test_nobody_manages_their_equals_or_raises_anyone_to_their_rank(
    actor: MemberRole | None, target: MemberRole, new: MemberRole | None
) -> None:
    mine = RANK[actor] if actor else -1
    handover = new == actor == MemberRole.COMMANDER
    expected = RANK[target] < mine and (new is None or RANK[new] < mine or handover)
    try:
        require_rank(actor, target, new)
    except ForbiddenError:
        assert not expected
    else:
        assert expected


def test_an_instruction_moves_forward_only() -> None:
    assert step_instruction(InstructionState.ISSUED, InstructionState.DONE) == InstructionState.DONE
    with pytest.raises(ConflictError):
        step_instruction(InstructionState.DONE, InstructionState.ACKNOWLEDGED)
    with pytest.raises(ConflictError):
        step_instruction(InstructionState.ACKNOWLEDGED, InstructionState.ACKNOWLEDGED)


def test_the_report_counts_people_once_in_their_last_role_and_instructions_on_time() -> None:
    opened = datetime(2026, 7, 1, 2, tzinfo=UTC)
    group = CommandGroup(id=1, title="台风", area_code="330825", opened_at=opened)
    due = opened + timedelta(hours=2)
    instruction = Instruction(id=1, body="转移", issued_at=opened, deadline_at=due)
    copies = [
        InstructionCopy(person_id=1, state="done", done_at=due - timedelta(minutes=5)),
        InstructionCopy(person_id=2, state="done", done_at=due + timedelta(minutes=5)),
        InstructionCopy(person_id=3, state="issued"),
    ]
    entries = [
        GroupEntry(kind="message", at=opened, lon=118.9, lat=29.0, photo_id=7),
        GroupEntry(kind="message", at=opened),
        GroupEntry(kind="state_changed", at=opened + timedelta(hours=5), detail="closed", body="结束"),
    ]
    members = [(1, "王伟", "member"), (2, "王伟", "liaison"), (1, "王伟", "deputy"), (3, "李娜", "commander")]
    report = summarise(
        group,
        closed_at=opened + timedelta(hours=5),
        members=members,
        instructions=[(instruction, copies)],
        entries=entries,
    )
    assert (report.people, report.members_by_role) == (3, {"deputy": 1, "liaison": 1, "commander": 1})
    assert (report.copies, report.done, report.done_on_time, report.on_time_rate) == (3, 2, 1, 1 / 3)
    assert (report.posts, report.photos, report.places, report.hours) == (2, 1, 1, 5.0)
    column = JsonText(ClosureReport)
    kept = column.process_bind_param(report, dialect=None)
    assert column.process_result_value(kept, dialect=None) == report  # kept as JSON in the group's row, read back whole
