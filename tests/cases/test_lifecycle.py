"""The case lifecycle, command by command: transitions, phase clocks, counters and every kind of refusal."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from zhili.cases.lifecycle import PHASE_OF, RULES, allowed_commands, open_case, step
from zhili.cases.states import (
    Accept,
    ApproveExtension,
    Archive,
    CaseState,
    CaseStatus,
    Close,
    Command,
    CommandKind,
    CommandRefused,
    Dispatch,
    Escalate,
    Evidence,
    Party,
    Rate,
    Rating,
    RefusalKind,
    RefuseExtension,
    Reject,
    Reply,
    Report,
    RequestExtension,
    Resume,
    Return,
    Sign,
    Start,
    Suspend,
    Transition,
    Verify,
    VerifyFailed,
)
from zhili.matters.definition import (
    DuplicateWindow,
    EscalationAction,
    EscalationStep,
    EvidenceKind,
    HandlerLevel,
    Limit,
    MatterDefinition,
    Phase,
)

T0 = datetime(2026, 7, 23, 8, 0, tzinfo=UTC)
UNIT = 101
OTHER_UNIT = 202
UPPER_UNIT = 303

CITIZEN = frozenset({Party.CITIZEN})
ORIGINATOR = frozenset({Party.ORIGINATOR})
DISPATCHER = frozenset({Party.DISPATCHER})
LEAD = frozenset({Party.LEAD})
COLLABORATOR = frozenset({Party.COLLABORATOR})
SUPERVISOR = frozenset({Party.SUPERVISOR})
EVERYONE = frozenset(Party)

EVIDENCE = (Evidence(kind=EvidenceKind.PHOTO, ref="att-1"), Evidence(kind=EvidenceKind.TEXT, ref="att-2"))
DOC = Path(__file__).resolve().parents[2] / "docs" / "reference" / "lifecycle.md"


def make_definition(*evidence: EvidenceKind) -> MatterDefinition:
    """A small matter of our own, so the tests do not depend on the catalog files."""
    limits = {phase: Limit(amount=1, unit="working_days") for phase in Phase}
    return MatterDefinition(
        code="test_parking",
        name_zh="测试违停",
        name_en="Test parking",
        lead_kind="traffic_police",
        handling_level="county",
        evidence_to_close=evidence or (EvidenceKind.PHOTO, EvidenceKind.TEXT),
        duplicates=DuplicateWindow(distance_m=100, hours=24),
        limits={HandlerLevel.DEPARTMENT: limits},
        escalation=(EscalationStep(action=EscalationAction.URGE, at=0.7),),
    )


DEFINITION = make_definition()


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def run(state: CaseState, *commands: Command, start: int = 1) -> CaseState:
    """Apply commands one hour apart; each must be accepted."""
    for offset, command in enumerate(commands, start=start):
        state = step(DEFINITION, state, command, at(offset)).state
    return state


def refusal(state: CaseState, command: Command, definition: MatterDefinition = DEFINITION) -> CommandRefused:
    with pytest.raises(CommandRefused) as caught:
        step(definition, state, command, at(99))
    return caught.value


def reported() -> CaseState:
    return open_case(DEFINITION, Report(parties=CITIZEN), T0).state


def in_progress() -> CaseState:
    return run(
        reported(),
        Accept(parties=DISPATCHER),
        Dispatch(parties=DISPATCHER, lead_unit_id=UNIT),
        Sign(parties=LEAD),
        Start(parties=LEAD),
    )


def feedback() -> CaseState:
    return run(in_progress(), Reply(parties=LEAD, evidence=EVIDENCE, text="moved the car"), start=5)


def closed() -> CaseState:
    return run(feedback(), Verify(parties=ORIGINATOR), Close(parties=LEAD), start=6)


# The happy path


def test_happy_path_report_to_archive_records_every_status_and_phase() -> None:
    opened = open_case(DEFINITION, Report(parties=CITIZEN), T0)
    assert opened.state == CaseState(status=CaseStatus.REPORTED, version=1, phase=Phase.ACCEPT, phase_started_at=T0)
    assert (opened.phase_ended, opened.phase_started, opened.closes_case) == (None, Phase.ACCEPT, False)
    assert opened.event.details == {"matter": "test_parking", "parties": ["citizen"]}
    expected: list[tuple[Command, CaseStatus, Phase | None, Phase | None]] = [
        (Accept(parties=DISPATCHER), CaseStatus.ACCEPTED, None, None),
        (Dispatch(parties=DISPATCHER, lead_unit_id=UNIT), CaseStatus.DISPATCHED, Phase.ACCEPT, Phase.SIGN),
        (Sign(parties=LEAD), CaseStatus.SIGNED, Phase.SIGN, Phase.HANDLE),
        (Start(parties=LEAD), CaseStatus.IN_PROGRESS, None, None),
        (Reply(parties=LEAD, evidence=EVIDENCE, text="done"), CaseStatus.FEEDBACK, Phase.HANDLE, Phase.VERIFY),
        (Verify(parties=ORIGINATOR), CaseStatus.VERIFIED, Phase.VERIFY, None),
        (Close(parties=LEAD), CaseStatus.CLOSED, None, None),
        (Rate(parties=CITIZEN, rating=Rating.SATISFIED, comment="quick"), CaseStatus.RATED, None, None),
        (Archive(parties=DISPATCHER), CaseStatus.ARCHIVED, None, None),
    ]
    state, started_at = opened.state, T0
    for hour, (command, status, ended, started) in enumerate(expected, start=1):
        transition = step(DEFINITION, state, command, at(hour))
        assert transition.state.status is status
        assert transition.state.version == hour + 1
        assert (transition.phase_ended, transition.phase_started) == (ended, started), command.kind
        assert transition.state.phase is PHASE_OF[status]
        if started is not None:
            started_at = at(hour)
        expected_started_at = started_at if transition.state.phase is not None else None
        assert transition.state.phase_started_at == expected_started_at
        assert transition.closes_case is (status is CaseStatus.CLOSED)
        assert transition.event.name is command.kind
        assert (transition.event.from_status, transition.event.to_status) == (state.status, status)
        state = transition.state
    assert state.lead_unit_id == UNIT
    assert state.evidence == EVIDENCE
    assert state.evidence_verified
    assert state.rating is Rating.SATISFIED
    assert (state.rework_count, state.reopen_count, state.level_up) == (0, 0, 0)


def test_events_carry_plain_json_details() -> None:
    transition = step(DEFINITION, in_progress(), Reply(parties=LEAD, evidence=EVIDENCE, text=" done "), at(9))
    assert transition.event.details == {
        "parties": ["lead"],
        "evidence": [{"kind": "photo", "ref": "att-1"}, {"kind": "text", "ref": "att-2"}],
        "text": "done",
    }
    rated = step(DEFINITION, closed(), Rate(parties=CITIZEN, rating=Rating.VERY_SATISFIED), at(9))
    assert rated.event.details == {"parties": ["citizen"], "rating": "very_satisfied", "comment": ""}


def test_allowed_commands_depend_on_the_parties() -> None:
    state = in_progress()
    assert allowed_commands(state, LEAD) == (
        CommandKind.ESCALATE,
        CommandKind.REQUEST_EXTENSION,
        CommandKind.SUSPEND,
        CommandKind.REPLY,
    )
    assert allowed_commands(state, DISPATCHER) == (CommandKind.ESCALATE,)
    assert allowed_commands(state, CITIZEN | COLLABORATOR) == ()
    assert allowed_commands(reported(), DISPATCHER | LEAD) == (CommandKind.ACCEPT, CommandKind.REJECT)


# Refusals: state (409), party (403), invalid (422)


def test_a_command_the_status_does_not_allow_is_a_state_refusal() -> None:
    refused = refusal(reported(), Sign(parties=LEAD | DISPATCHER))
    assert refused.kind is RefusalKind.STATE
    assert refused.status == 409
    assert refused.allowed == (CommandKind.ACCEPT, CommandKind.REJECT)
    assert "reported" in refused.reason
    assert refused.extra == {"refusal": "state", "command": "sign", "allowed": ["accept", "reject"]}


def test_a_command_from_the_wrong_party_is_a_party_refusal() -> None:
    refused = refusal(reported(), Accept(parties=LEAD | CITIZEN))
    assert refused.kind is RefusalKind.PARTY
    assert refused.status == 403
    assert refused.allowed == ()
    assert "dispatcher" in refused.reason
    assert refusal(closed(), Close(parties=DISPATCHER)).kind is RefusalKind.STATE
    assert refusal(run(feedback(), Verify(parties=DISPATCHER)), Close(parties=DISPATCHER)).kind is RefusalKind.PARTY


def test_only_the_lead_replies_and_closes() -> None:
    for parties in (COLLABORATOR, DISPATCHER, SUPERVISOR, ORIGINATOR):
        reply = Reply(parties=parties, evidence=EVIDENCE, text="done")
        assert refusal(in_progress(), reply).kind is RefusalKind.PARTY
        assert refusal(run(feedback(), Verify(parties=ORIGINATOR)), Close(parties=parties)).kind is RefusalKind.PARTY


def test_a_reply_missing_evidence_is_invalid_and_names_the_missing_kinds() -> None:
    definition = make_definition(EvidenceKind.PHOTO, EvidenceKind.GPS, EvidenceKind.TEXT)
    reply = Reply(parties=LEAD, evidence=(Evidence(kind=EvidenceKind.TEXT, ref="t"),), text="done")
    refused = refusal(in_progress(), reply, definition)
    assert refused.kind is RefusalKind.INVALID
    assert refused.status == 422
    assert refused.missing_evidence == (EvidenceKind.PHOTO, EvidenceKind.GPS)
    assert "photo, gps" in refused.reason
    assert refused.extra["missing_evidence"] == ["photo", "gps"]
    assert CommandKind.REPLY in refused.allowed


@pytest.mark.parametrize(
    ("state", "command"),
    [
        (reported(), Reject(parties=DISPATCHER, reason="")),
        (
            run(reported(), Accept(parties=DISPATCHER), Dispatch(parties=DISPATCHER, lead_unit_id=UNIT)),
            Return(parties=LEAD, reason=" "),
        ),
        (in_progress(), Escalate(parties=LEAD, reason="\t")),
        (in_progress(), RequestExtension(parties=LEAD, hours=24, reason="")),
        (
            run(in_progress(), RequestExtension(parties=LEAD, hours=24, reason="rain"), start=5),
            RefuseExtension(parties=DISPATCHER, reason=""),
        ),
        (in_progress(), Suspend(parties=LEAD, reason="  ")),
        (feedback(), VerifyFailed(parties=ORIGINATOR, reason="")),
    ],
    ids=["reject", "return", "escalate", "request_extension", "refuse_extension", "suspend", "verify_failed"],
)
def test_a_blank_reason_is_invalid(state: CaseState, command: Command) -> None:
    refused = refusal(state, command)
    assert refused.kind is RefusalKind.INVALID
    assert "needs a reason" in refused.reason


@pytest.mark.parametrize(
    ("state", "command", "words"),
    [
        (run(reported(), Accept(parties=DISPATCHER)), Dispatch(parties=DISPATCHER, lead_unit_id=0), "lead unit"),
        (in_progress(), RequestExtension(parties=LEAD, hours=0, reason="rain"), "1 to 720"),
        (in_progress(), RequestExtension(parties=LEAD, hours=721, reason="rain"), "1 to 720"),
        (in_progress(), Reply(parties=LEAD, evidence=EVIDENCE, text="  "), "text"),
        (
            in_progress(),
            Reply(parties=LEAD, evidence=(*EVIDENCE, Evidence(kind=EvidenceKind.GPS, ref="")), text="ok"),
            "ref",
        ),
        (closed(), Rate(parties=CITIZEN, rating=Rating.DISSATISFIED, comment=" "), "still wrong"),
    ],
)
def test_bad_content_is_invalid(state: CaseState, command: Command, words: str) -> None:
    refused = refusal(state, command)
    assert refused.kind is RefusalKind.INVALID
    assert words in refused.reason


def test_the_state_is_checked_before_the_party_and_the_party_before_the_content() -> None:
    assert refusal(in_progress(), Reject(parties=LEAD, reason="")).kind is RefusalKind.STATE
    assert refusal(reported(), Reject(parties=LEAD, reason="")).kind is RefusalKind.PARTY


def test_a_case_is_reported_by_the_citizen_or_the_originator_and_only_once() -> None:
    assert open_case(DEFINITION, Report(parties=ORIGINATOR), T0).state.status is CaseStatus.REPORTED
    with pytest.raises(CommandRefused) as caught:
        open_case(DEFINITION, Report(parties=LEAD), T0)
    assert caught.value.kind is RefusalKind.PARTY
    assert refusal(reported(), Report(parties=CITIZEN)).kind is RefusalKind.STATE


def test_now_must_be_aware_and_is_kept_in_utc() -> None:
    with pytest.raises(ValueError, match="aware"):
        open_case(DEFINITION, Report(parties=CITIZEN), datetime(2026, 7, 23, 8, 0))  # noqa: DTZ001
    shanghai = T0.astimezone(timezone(timedelta(hours=8)))
    started_at = open_case(DEFINITION, Report(parties=CITIZEN), shanghai).state.phase_started_at
    assert started_at == T0
    assert started_at.tzinfo is UTC


# Re-routing, escalation, extension, suspension


def test_return_removes_the_lead_and_triage_dispatches_to_another_unit() -> None:
    dispatched = run(reported(), Accept(parties=DISPATCHER), Dispatch(parties=DISPATCHER, lead_unit_id=UNIT))
    signed = run(dispatched, Sign(parties=LEAD), start=3)
    returned = step(DEFINITION, signed, Return(parties=LEAD, reason=" not our street "), at(4))
    assert returned.state.status is CaseStatus.ACCEPTED
    assert returned.state.lead_unit_id is None
    assert returned.state.last_reason == "not our street"
    assert (returned.phase_ended, returned.phase_started) == (Phase.HANDLE, Phase.ACCEPT)
    assert returned.state.phase_started_at == at(4)
    assert returned.event.details["from_lead_unit_id"] == UNIT
    redispatched = step(DEFINITION, returned.state, Dispatch(parties=DISPATCHER, lead_unit_id=OTHER_UNIT), at(5))
    assert redispatched.state.lead_unit_id == OTHER_UNIT
    assert redispatched.state.phase is Phase.SIGN
    from_dispatched = step(DEFINITION, dispatched, Return(parties=LEAD, reason="wrong kind"), at(3))
    assert (from_dispatched.phase_ended, from_dispatched.phase_started) == (Phase.SIGN, Phase.ACCEPT)


def test_escalation_goes_to_the_upper_level_triage_and_counts_the_levels() -> None:
    extended = run(
        in_progress(),
        RequestExtension(parties=LEAD, hours=24, reason="rain"),
        ApproveExtension(parties=SUPERVISOR),
        start=5,
    )
    escalated = step(DEFINITION, extended, Escalate(parties=DISPATCHER, reason="needs the county"), at(8))
    state = escalated.state
    assert (state.status, state.lead_unit_id, state.level_up) == (CaseStatus.ACCEPTED, None, 1)
    assert state.granted_extension_hours == 0
    assert (escalated.phase_ended, escalated.phase_started) == (Phase.HANDLE, Phase.ACCEPT)
    assert escalated.event.details["level_up"] == 1
    again = run(state, Dispatch(parties=DISPATCHER, lead_unit_id=UPPER_UNIT), Sign(parties=LEAD), start=9)
    twice = step(DEFINITION, again, Escalate(parties=LEAD, reason="needs the city"), at(11)).state
    assert (twice.level_up, twice.lead_unit_id) == (2, None)


def test_one_extension_request_is_pending_at_a_time_and_approval_moves_the_clock() -> None:
    state = in_progress()
    requested = step(DEFINITION, state, RequestExtension(parties=LEAD, hours=48, reason="waiting for parts"), at(5))
    assert requested.state.pending_extension_hours == 48
    assert requested.state.status is CaseStatus.IN_PROGRESS
    assert requested.phase_started is None
    assert requested.state.phase_started_at == state.phase_started_at
    second = refusal(requested.state, RequestExtension(parties=LEAD, hours=8, reason="more"))
    assert second.kind is RefusalKind.STATE
    assert "already pending" in second.reason
    assert refusal(requested.state, ApproveExtension(parties=LEAD)).kind is RefusalKind.PARTY
    approved = step(DEFINITION, requested.state, ApproveExtension(parties=SUPERVISOR), at(6))
    assert (approved.state.pending_extension_hours, approved.state.granted_extension_hours) == (None, 48)
    assert approved.event.details["hours"] == 48
    nothing_pending = refusal(approved.state, ApproveExtension(parties=DISPATCHER))
    assert (nothing_pending.kind, "no extension request is pending" in nothing_pending.reason) == (
        RefusalKind.STATE,
        True,
    )
    again = run(approved.state, RequestExtension(parties=LEAD, hours=24, reason="more rain"), start=7)
    refused = step(DEFINITION, again, RefuseExtension(parties=DISPATCHER, reason="enough"), at(8)).state
    assert (refused.pending_extension_hours, refused.granted_extension_hours) == (None, 48)
    assert refused.last_reason == "enough"


def test_suspension_stops_the_handle_clock_and_resume_restarts_it_in_the_status_it_came_from() -> None:
    suspended = step(DEFINITION, in_progress(), Suspend(parties=LEAD, reason="court ruling awaited"), at(5))
    assert suspended.state.status is CaseStatus.SUSPENDED
    assert suspended.state.suspended_from is CaseStatus.IN_PROGRESS
    assert (suspended.phase_ended, suspended.phase_started, suspended.state.phase) == (Phase.HANDLE, None, None)
    assert suspended.state.phase_started_at is None
    assert refusal(suspended.state, Reply(parties=LEAD, evidence=EVIDENCE, text="x")).kind is RefusalKind.STATE
    resumed = step(DEFINITION, suspended.state, Resume(parties=DISPATCHER), at(30))
    assert resumed.state.status is CaseStatus.IN_PROGRESS
    assert resumed.state.suspended_from is None
    assert (resumed.phase_ended, resumed.phase_started, resumed.state.phase_started_at) == (
        None,
        Phase.HANDLE,
        at(30),
    )
    # The status to resume into is whatever the case was suspended from.
    from_signed = replace(suspended.state, suspended_from=CaseStatus.SIGNED)
    assert step(DEFINITION, from_signed, Resume(parties=LEAD), at(31)).state.status is CaseStatus.SIGNED


def test_a_pending_extension_survives_suspension_and_can_be_decided_meanwhile() -> None:
    pending = run(in_progress(), RequestExtension(parties=LEAD, hours=12, reason="rain"), start=5)
    suspended = run(pending, Suspend(parties=LEAD, reason="flood"), start=6)
    assert suspended.pending_extension_hours == 12
    approved = run(suspended, ApproveExtension(parties=DISPATCHER), start=7)
    assert (approved.status, approved.granted_extension_hours) == (CaseStatus.SUSPENDED, 12)


def test_a_reply_withdraws_a_pending_extension() -> None:
    pending = run(in_progress(), RequestExtension(parties=LEAD, hours=12, reason="rain"), start=5)
    replied = step(DEFINITION, pending, Reply(parties=LEAD, evidence=EVIDENCE, text="done anyway"), at(6))
    assert replied.state.pending_extension_hours is None
    assert replied.event.details["withdrawn_extension_hours"] == 12


# Verification, rating, reopening, archive


def test_failed_verification_sends_it_back_and_counts_rework() -> None:
    failed = step(DEFINITION, feedback(), VerifyFailed(parties=DISPATCHER, reason="car still there"), at(6))
    assert failed.state.status is CaseStatus.IN_PROGRESS
    assert (failed.state.rework_count, failed.state.evidence_verified) == (1, False)
    assert (failed.phase_ended, failed.phase_started, failed.state.phase_started_at) == (
        Phase.VERIFY,
        Phase.HANDLE,
        at(6),
    )
    again = run(
        failed.state,
        Reply(parties=LEAD, evidence=EVIDENCE, text="towed"),
        VerifyFailed(parties=ORIGINATOR, reason="another car"),
        start=7,
    )
    assert again.rework_count == 2


def test_a_dissatisfied_rating_reopens_the_case_for_the_same_lead() -> None:
    reopened = step(DEFINITION, closed(), Rate(parties=ORIGINATOR, rating=Rating.DISSATISFIED, comment="back"), at(8))
    state = reopened.state
    assert state.status is CaseStatus.REOPENED
    assert (state.reopen_count, state.evidence, state.evidence_verified) == (1, (), False)
    assert state.lead_unit_id == UNIT
    assert (reopened.phase_ended, reopened.phase_started, state.phase_started_at) == (None, Phase.HANDLE, at(8))
    assert allowed_commands(state, LEAD) == (CommandKind.START,)
    rated = run(
        state,
        Start(parties=LEAD),
        Reply(parties=LEAD, evidence=EVIDENCE, text="removed for good"),
        Verify(parties=ORIGINATOR),
        Close(parties=LEAD),
        Rate(parties=CITIZEN, rating=Rating.BASICALLY_SATISFIED),
        start=9,
    )
    assert (rated.status, rated.reopen_count, rated.rating) == (CaseStatus.RATED, 1, Rating.BASICALLY_SATISFIED)


def test_rejection_records_the_reason() -> None:
    transition = step(DEFINITION, reported(), Reject(parties=DISPATCHER, reason=" not a public matter "), at(1))
    assert transition.state.status is CaseStatus.REJECTED
    assert transition.state.reject_reason == transition.state.last_reason == "not a public matter"
    assert (transition.phase_ended, transition.state.phase) == (Phase.ACCEPT, None)
    assert transition.event.details["reason"] == "not a public matter"


@pytest.mark.parametrize("finished", ["rated", "closed", "rejected"])
def test_archive_is_final(finished: str) -> None:
    state = {
        "rated": lambda: run(closed(), Rate(parties=CITIZEN, rating=Rating.SATISFIED), start=8),
        "closed": closed,
        "rejected": lambda: run(reported(), Reject(parties=DISPATCHER, reason="duplicate")),
    }[finished]()
    archived = run(state, Archive(parties=DISPATCHER), start=20)
    assert archived.status is CaseStatus.ARCHIVED
    assert allowed_commands(archived, EVERYONE) == ()
    for kind in CommandKind:
        refused = refusal(archived, _any_command(kind))
        assert refused.kind is RefusalKind.STATE
        assert refused.allowed == ()


# The rules table and its documentation


def _any_command(kind: CommandKind) -> Command:
    commands: dict[CommandKind, Command] = {
        CommandKind.REPORT: Report(parties=EVERYONE),
        CommandKind.ACCEPT: Accept(parties=EVERYONE),
        CommandKind.REJECT: Reject(parties=EVERYONE, reason="r"),
        CommandKind.DISPATCH: Dispatch(parties=EVERYONE, lead_unit_id=UNIT),
        CommandKind.SIGN: Sign(parties=EVERYONE),
        CommandKind.RETURN: Return(parties=EVERYONE, reason="r"),
        CommandKind.START: Start(parties=EVERYONE),
        CommandKind.ESCALATE: Escalate(parties=EVERYONE, reason="r"),
        CommandKind.REQUEST_EXTENSION: RequestExtension(parties=EVERYONE, hours=1, reason="r"),
        CommandKind.APPROVE_EXTENSION: ApproveExtension(parties=EVERYONE),
        CommandKind.REFUSE_EXTENSION: RefuseExtension(parties=EVERYONE, reason="r"),
        CommandKind.SUSPEND: Suspend(parties=EVERYONE, reason="r"),
        CommandKind.RESUME: Resume(parties=EVERYONE),
        CommandKind.REPLY: Reply(parties=EVERYONE, evidence=EVIDENCE, text="t"),
        CommandKind.VERIFY: Verify(parties=EVERYONE),
        CommandKind.VERIFY_FAILED: VerifyFailed(parties=EVERYONE, reason="r"),
        CommandKind.CLOSE: Close(parties=EVERYONE),
        CommandKind.RATE: Rate(parties=EVERYONE, rating=Rating.SATISFIED),
        CommandKind.ARCHIVE: Archive(parties=EVERYONE),
    }
    return commands[kind]


def test_every_command_class_has_its_own_kind_and_a_rule() -> None:
    assert {_any_command(kind).kind for kind in CommandKind} == set(CommandKind) == set(RULES)
    assert set(PHASE_OF) == set(CaseStatus)


def test_the_reference_page_lists_every_rule_as_the_code_has_it() -> None:
    text = DOC.read_text(encoding="utf-8")
    for kind, rule in RULES.items():
        sources = ", ".join(rule.from_states) or "—"
        parties = ", ".join(rule.parties)
        row = next((line for line in text.splitlines() if line.startswith(f"| `{kind}` |")), None)
        assert row is not None, f"no row for {kind} in {DOC.name}"
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[1] == sources, kind
        assert cells[3] == parties, kind
        if rule.to is not None:
            assert cells[2] == rule.to, kind


def test_a_transition_is_a_new_value() -> None:
    state = reported()
    transition: Transition = step(DEFINITION, state, Accept(parties=DISPATCHER), at(1))
    assert state.status is CaseStatus.REPORTED
    assert transition.state is not state
