"""The task lifecycle, its parties, report evidence, the far-from-grid flag and points: pure, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import box

from zhili.campaigns.lifecycle import (
    CLAIMED_STATES,
    FINISHED_STATES,
    OWED_STATES,
    RULES,
    TASK_STATES,
    TRANSITIONS,
    UNCLAIMED_STATES,
    UNSCORED_STATES,
    Reach,
    ReportEvidence,
    TaskAction,
    TaskParty,
    TaskRecord,
    TaskRefused,
    TaskState,
    allowed_actions,
    is_claim_overdue,
    is_far,
    metres_outside,
    missing_evidence,
    parties_of,
    points,
    step,
)
from zhili.campaigns.template import EvidenceKind, Points, RoleTask
from zhili.core.auth import Grant, Scope

RECIPIENT = frozenset({TaskParty.RECIPIENT})
ABOVE = frozenset({TaskParty.ABOVE})
NOBODY: frozenset[TaskParty] = frozenset()
GRID = "330825101201001"
T0 = datetime(2026, 7, 23, 7, 0, tzinfo=UTC)


def role_task(*evidence: EvidenceKind, checklist: tuple[str, ...] = ()) -> RoleTask:
    return RoleTask(
        role="grid_head",
        title_zh="网格长：巡查网格",
        title_en="Grid head: patrol",
        instructions="巡查",
        claim_minutes=60,
        report_minutes=240,
        supervisor_after_minutes=30,
        evidence=evidence,
        checklist=checklist,
    )


def test_the_happy_path_goes_notified_read_claimed_reported_verified_rated() -> None:
    state: TaskState = TaskState.NOTIFIED
    for action, party, expected in [
        (TaskAction.READ, RECIPIENT, "read"),
        (TaskAction.CLAIM, RECIPIENT, "claimed"),
        (TaskAction.REPORT, RECIPIENT, "reported"),
        (TaskAction.VERIFY, ABOVE, "verified"),
        (TaskAction.RATE, ABOVE, "rated"),
    ]:
        state = step(state, action, party)
        assert state == expected


def test_claim_in_one_tap_from_notified_and_decline_before_claiming() -> None:
    assert step("notified", TaskAction.CLAIM, RECIPIENT) == "claimed"
    assert step("read", TaskAction.DECLINE, RECIPIENT) == "declined"


def test_claiming_twice_is_409_naming_what_can_be_done() -> None:
    with pytest.raises(TaskRefused) as refused:
        step("claimed", TaskAction.CLAIM, RECIPIENT)
    assert refused.value.status == 409
    assert refused.value.allowed == (TaskAction.REPORT,)
    assert refused.value.extra["allowed"] == ["report"]


def test_reporting_before_claiming_is_409() -> None:
    with pytest.raises(TaskRefused) as refused:
        step("read", TaskAction.REPORT, RECIPIENT)
    assert refused.value.status == 409
    assert set(refused.value.allowed) == {TaskAction.CLAIM, TaskAction.DECLINE}


def test_a_return_goes_back_to_claimed_and_only_the_level_above_verifies() -> None:
    assert step("reported", TaskAction.RETURN, ABOVE) == "claimed"
    with pytest.raises(TaskRefused) as refused:
        step("reported", TaskAction.VERIFY, RECIPIENT)
    assert refused.value.status == 403
    with pytest.raises(TaskRefused) as refused:
        step("notified", TaskAction.CLAIM, ABOVE)
    assert refused.value.status == 403


@given(
    st.sampled_from(TASK_STATES),
    st.sampled_from(list(TaskAction)),
    st.sampled_from([RECIPIENT, ABOVE, NOBODY]),
    st.booleans(),
)
def test_step_agrees_with_allowed_actions(
    state: TaskState, action: TaskAction, parties: frozenset[TaskParty], overdue: bool
) -> None:
    allowed = allowed_actions(state, parties, claim_overdue=overdue)
    if action in allowed:
        assert step(state, action, parties, claim_overdue=overdue) == RULES[action].target
        return
    with pytest.raises(TaskRefused) as refused:
        step(state, action, parties, claim_overdue=overdue)
    assert refused.value.status in {403, 409}
    assert refused.value.allowed == allowed


@given(st.lists(st.tuples(st.sampled_from(list(TaskAction)), st.sampled_from([RECIPIENT, ABOVE])), max_size=30))
def test_random_sequences_never_leave_the_lifecycle(actions: list[tuple[TaskAction, frozenset[TaskParty]]]) -> None:
    state: TaskState = TaskState.NOTIFIED
    for action, parties in actions:
        try:
            state = step(state, action, parties)
        except TaskRefused:
            continue
        assert state in TASK_STATES
    if state in {"rated", "reassigned"}:
        assert allowed_actions(state, RECIPIENT, claim_overdue=True) == ()
        assert allowed_actions(state, ABOVE, claim_overdue=True) == ()
    if state == "declined":  # only the level above acts on a declined task: someone else, or back to its recipient
        assert allowed_actions(state, RECIPIENT) == ()
        assert set(allowed_actions(state, ABOVE)) == {TaskAction.REASSIGN, TaskAction.OVERRULE}


def test_the_level_above_reassigns_a_declined_task_at_once() -> None:
    assert step("declined", TaskAction.REASSIGN, ABOVE) == "reassigned"


def test_an_unclaimed_task_is_reassigned_only_past_its_claim_time() -> None:
    assert TaskAction.REASSIGN not in allowed_actions(TaskState.READ, ABOVE)
    with pytest.raises(TaskRefused) as refused:
        step("read", TaskAction.REASSIGN, ABOVE, claim_overdue=False)
    assert refused.value.status == 409
    assert "claim time" in refused.value.detail
    assert step("notified", TaskAction.REASSIGN, ABOVE, claim_overdue=True) == "reassigned"
    assert step("read", TaskAction.REASSIGN, ABOVE, claim_overdue=True) == "reassigned"
    assert is_claim_overdue(T0, T0 + timedelta(seconds=1))
    assert not is_claim_overdue(T0, T0)


def test_the_level_above_overrules_a_decline_and_the_task_is_its_recipients_to_claim_again() -> None:
    assert step("declined", TaskAction.OVERRULE, ABOVE) == "read"
    assert TaskAction.CLAIM in allowed_actions(TaskState.READ, RECIPIENT)
    with pytest.raises(TaskRefused) as refused:
        step("declined", TaskAction.OVERRULE, RECIPIENT)
    assert refused.value.status == 403
    for state in ("notified", "read", "claimed", "reported", "verified", "rated", "reassigned"):
        with pytest.raises(TaskRefused) as refused:
            step(state, TaskAction.OVERRULE, ABOVE, claim_overdue=True)
        assert refused.value.status == 409


def test_only_the_level_above_reassigns_and_never_a_claimed_task() -> None:
    with pytest.raises(TaskRefused) as refused:
        step("declined", TaskAction.REASSIGN, RECIPIENT)
    assert refused.value.status == 403
    for state in ("claimed", "reported", "verified", "rated", "reassigned"):
        with pytest.raises(TaskRefused) as refused:
            step(state, TaskAction.REASSIGN, ABOVE, claim_overdue=True)
        assert refused.value.status == 409


def test_a_reassigned_task_earns_and_loses_nothing_and_is_not_owed() -> None:
    record = TaskRecord(
        state=TaskState.REASSIGNED,
        claimed_at=None,
        reported_at=None,
        report_due_at=T0,
        verified_at=None,
        returned_count=0,
    )
    assert points(Points(), record, now=T0 + timedelta(days=1)) == 0
    assert TaskState.REASSIGNED not in OWED_STATES
    assert TaskState.REASSIGNED not in UNCLAIMED_STATES + CLAIMED_STATES


def test_the_recipient_supervisor_and_managing_posts_are_parties() -> None:
    me = Reach(7, frozenset({70}), Scope())
    assert parties_of(me, person_id=7, supervisor_position_id=71, division_code=GRID) == RECIPIENT
    head = Reach(8, frozenset({71}), Scope())
    assert parties_of(head, person_id=7, supervisor_position_id=71, division_code=GRID) == ABOVE
    cadre = Reach(9, frozenset({90}), Scope.of([Grant(GRID[:12])]))
    assert parties_of(cadre, person_id=7, supervisor_position_id=71, division_code=GRID) == ABOVE
    neighbour = Reach(10, frozenset({100}), Scope.of([Grant("330825101202")]))
    assert parties_of(neighbour, person_id=7, supervisor_position_id=71, division_code=GRID) == NOBODY
    # A managing post at the task's own level is not the level above it.
    colleague = Reach(11, frozenset({110}), Scope.of([Grant(GRID[:12])]))
    assert parties_of(colleague, person_id=7, supervisor_position_id=None, division_code=GRID[:12]) == NOBODY


def test_missing_evidence_names_each_field() -> None:
    task = role_task(
        EvidenceKind.TEXT, EvidenceKind.PHOTO, EvidenceKind.GPS, EvidenceKind.CHECKLIST, checklist=("a", "b")
    )
    problems = missing_evidence(task, ReportEvidence(text="  ", checklist={"a": True, "c": False}))
    fields = [p["field"] for p in problems]
    assert fields == ["body.text", "body.photo_ids", "body.point", "body.checklist", "body.checklist.b"]
    complete = ReportEvidence(text="已巡查", photo_count=1, point=(119.2, 29.0), checklist={"a": True, "b": False})
    assert missing_evidence(task, complete) == []


def test_only_listed_evidence_is_required() -> None:
    assert missing_evidence(role_task(EvidenceKind.TEXT), ReportEvidence(text="已走访")) == []


def test_a_point_two_kilometres_outside_the_grid_is_far() -> None:
    grid = box(119.00, 29.00, 119.01, 29.01)
    assert metres_outside(grid, 119.005, 29.005) == 0
    # 0.03° of latitude is about 3.3 km north of the grid; 0.01° about 1.1 km.
    assert is_far(grid, 119.005, 29.04)
    assert not is_far(grid, 119.005, 29.02)
    assert metres_outside(grid, 119.005, 29.02) == pytest.approx(1_106, rel=0.01)
    assert not is_far(None, 0.0, 0.0)


@given(st.floats(-0.5, 0.5), st.floats(-0.5, 0.5))
def test_metres_outside_is_zero_exactly_inside(dx: float, dy: float) -> None:
    grid = box(119.00, 29.00, 119.01, 29.01)
    lon, lat = 119.005 + dx, 29.005 + dy
    inside = 119.00 <= lon <= 119.01 and 29.00 <= lat <= 29.01
    assert (metres_outside(grid, lon, lat) == 0) == inside


def record(**changes: object) -> TaskRecord:
    fields: dict[str, object] = {
        "state": "verified",
        "claimed_at": T0,
        "reported_at": T0 + timedelta(hours=1),
        "report_due_at": T0 + timedelta(hours=4),
        "verified_at": T0 + timedelta(hours=2),
        "returned_count": 0,
    }
    return TaskRecord(**{**fields, **changes})  # type: ignore[arg-type]


def test_points_reward_claim_on_time_report_and_verification() -> None:
    rules = Points(claimed=2, reported_on_time=5, verified=3, late=-3, returned=-2)
    now = T0 + timedelta(days=1)
    assert points(rules, record(), now=now) == 10
    assert points(rules, record(reported_at=T0 + timedelta(hours=5)), now=now) == 2 - 3 + 3
    assert points(rules, record(returned_count=2), now=now) == 10 - 4
    unreported = record(state="claimed", reported_at=None, verified_at=None)
    assert points(rules, unreported, now=T0 + timedelta(hours=1)) == 2
    assert points(rules, unreported, now=now) == 2 - 3
    declined = record(state="declined", claimed_at=None, reported_at=None, verified_at=None)
    assert points(rules, declined, now=now) == 0


def test_task_states_are_one_enum_and_the_transitions_follow_the_rules() -> None:
    assert [str(state) for state in TASK_STATES] == [
        "notified", "read", "claimed", "reported", "verified", "rated", "declined", "reassigned",
    ]  # fmt: skip
    assert TRANSITIONS[TaskState.NOTIFIED] == {
        TaskState.READ,
        TaskState.CLAIMED,
        TaskState.DECLINED,
        TaskState.REASSIGNED,  # past the claim time
    }
    assert TRANSITIONS[TaskState.REPORTED] == {TaskState.VERIFIED, TaskState.CLAIMED}  # verified, or returned
    assert TRANSITIONS[TaskState.RATED] == TRANSITIONS[TaskState.REASSIGNED] == frozenset()
    assert TRANSITIONS[TaskState.DECLINED] == {TaskState.REASSIGNED, TaskState.READ}  # 改派, or 驳回拒领
    for state, targets in TRANSITIONS.items():
        for target in targets:
            assert any(
                step(state, action, RECIPIENT | ABOVE, claim_overdue=True) is target
                for action in allowed_actions(state, RECIPIENT | ABOVE, claim_overdue=True)
            )
    assert set(CLAIMED_STATES) | set(UNCLAIMED_STATES) | set(UNSCORED_STATES) == set(TaskState)
    assert set(FINISHED_STATES) < set(CLAIMED_STATES)
