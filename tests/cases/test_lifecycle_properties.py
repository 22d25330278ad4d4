"""Properties of the case lifecycle over random command sequences, and an exhaustive reachability walk."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from zhili.cases.lifecycle import MAX_EXTENSION_HOURS, PHASE_OF, RULES, allowed_commands, open_case, step
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
EVERYONE = frozenset(Party)
REQUIRED = (EvidenceKind.PHOTO, EvidenceKind.GPS)
DEFINITION = MatterDefinition(
    code="test_dust",
    name_zh="测试扬尘",
    name_en="Test dust",
    lead_kind="ecology",
    handling_level="township",
    evidence_to_close=REQUIRED,
    duplicates=DuplicateWindow(distance_m=200, hours=48),
    limits={HandlerLevel.DEPARTMENT: {phase: Limit(amount=2, unit="hours") for phase in Phase}},
    escalation=(EscalationStep(action=EscalationAction.URGE, at=0.7),),
)

WITHOUT_LEAD = {CaseStatus.REPORTED, CaseStatus.ACCEPTED, CaseStatus.REJECTED}
WITH_LEAD = set(CaseStatus) - WITHOUT_LEAD - {CaseStatus.ARCHIVED}
FORWARD = {
    CommandKind.ACCEPT,
    CommandKind.DISPATCH,
    CommandKind.SIGN,
    CommandKind.START,
    CommandKind.REPLY,
    CommandKind.VERIFY,
    CommandKind.VERIFY_FAILED,
    CommandKind.CLOSE,
    CommandKind.RATE,
    CommandKind.RESUME,
    CommandKind.SUSPEND,
    CommandKind.REQUEST_EXTENSION,
    CommandKind.APPROVE_EXTENSION,
}
RATINGS = sorted(Rating, key=lambda rating: rating is not Rating.DISSATISFIED)  # reopening first: worth exploring
FULL_EVIDENCE = tuple(Evidence(kind=kind, ref=f"att-{kind}") for kind in REQUIRED)


def make_command(
    kind: CommandKind, parties: frozenset[Party], *, rating: Rating = Rating.SATISFIED, reason: str = "because"
) -> Command:
    """A command with valid content (the lifecycle may still refuse it for the status or the parties)."""
    simple = {
        CommandKind.REPORT: Report,
        CommandKind.ACCEPT: Accept,
        CommandKind.SIGN: Sign,
        CommandKind.START: Start,
        CommandKind.APPROVE_EXTENSION: ApproveExtension,
        CommandKind.RESUME: Resume,
        CommandKind.VERIFY: Verify,
        CommandKind.CLOSE: Close,
        CommandKind.ARCHIVE: Archive,
    }
    reasoned = {
        CommandKind.REJECT: Reject,
        CommandKind.RETURN: Return,
        CommandKind.ESCALATE: Escalate,
        CommandKind.REFUSE_EXTENSION: RefuseExtension,
        CommandKind.SUSPEND: Suspend,
        CommandKind.VERIFY_FAILED: VerifyFailed,
    }
    if kind in simple:
        return simple[kind](parties=parties)
    if kind in reasoned:
        return reasoned[kind](parties=parties, reason=reason)
    others: dict[CommandKind, Command] = {
        CommandKind.DISPATCH: Dispatch(parties=parties, lead_unit_id=7),
        CommandKind.REQUEST_EXTENSION: RequestExtension(parties=parties, hours=24, reason="rain"),
        CommandKind.REPLY: Reply(parties=parties, evidence=FULL_EVIDENCE, text="done"),
        CommandKind.RATE: Rate(parties=parties, rating=rating, comment=reason),
    }
    return others[kind]


parties_st = st.frozensets(st.sampled_from(list(Party)))
reason_st = st.sampled_from(["because", "", "   ", " 理由 "])
evidence_st = st.lists(
    st.builds(Evidence, kind=st.sampled_from(list(EvidenceKind)), ref=st.sampled_from(["a", "b", " "])), max_size=4
).map(tuple)


def command_st(kind: CommandKind, parties: frozenset[Party]) -> st.SearchStrategy[Command]:
    """A command of this kind with any content, valid or not."""
    if kind is CommandKind.DISPATCH:
        return st.builds(Dispatch, parties=st.just(parties), lead_unit_id=st.integers(-1, 9))
    if kind is CommandKind.REQUEST_EXTENSION:
        hours = st.integers(-1, MAX_EXTENSION_HOURS + 2)
        return st.builds(RequestExtension, parties=st.just(parties), hours=hours, reason=reason_st)
    if kind is CommandKind.REPLY:
        return st.builds(Reply, parties=st.just(parties), evidence=evidence_st, text=st.sampled_from(["done", " "]))
    if kind is CommandKind.RATE:
        return st.builds(Rate, parties=st.just(parties), rating=st.sampled_from(RATINGS), comment=reason_st)
    return reason_st.map(lambda reason: make_command(kind, parties, reason=reason))


@st.composite
def any_command(draw: st.DrawFn) -> Command:
    """Any command with any parties and content, valid or not."""
    return draw(command_st(draw(st.sampled_from(list(CommandKind))), draw(parties_st)))


def is_valid_content(command: Command) -> bool:
    """What the lifecycle must check before it accepts a command's content."""
    if isinstance(command, Reply):
        return covers_the_definition(command.evidence) and bool(command.text.strip())
    if isinstance(command, RequestExtension) and not 1 <= command.hours <= MAX_EXTENSION_HOURS:
        return False
    if isinstance(command, Dispatch):
        return command.lead_unit_id >= 1
    if isinstance(command, Rate):
        return command.rating is not Rating.DISSATISFIED or bool(command.comment.strip())
    return not hasattr(command, "reason") or bool(command.reason.strip())


def covers_the_definition(evidence: tuple[Evidence, ...]) -> bool:
    return set(REQUIRED) <= {item.kind for item in evidence}


class LifecycleMachine(RuleBasedStateMachine):
    """One case driven by allowed commands, random (mostly refused) commands and passing time."""

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.state = open_case(DEFINITION, Report(parties=frozenset({Party.CITIZEN})), T0).state

    @rule(hours=st.integers(0, 72))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule(data=st.data())
    def move_forward(self, data: st.DataObject) -> None:
        """An allowed command on the way to a closed loop, so that runs get deep into the lifecycle."""
        forward = [kind for kind in allowed_commands(self.state, EVERYONE) if kind in FORWARD]
        if forward:
            self.issue(data, data.draw(st.sampled_from(forward)))

    def issue(self, data: st.DataObject, kind: CommandKind) -> None:
        command = make_command(kind, self.draw_parties(data, kind), rating=data.draw(st.sampled_from(RATINGS)))
        self.accept(command, step(DEFINITION, self.state, command, self.now))

    @staticmethod
    def draw_parties(data: st.DataObject, kind: CommandKind) -> frozenset[Party]:
        """One of the parties the rule names, and maybe others."""
        return frozenset({data.draw(st.sampled_from(RULES[kind].parties))}) | data.draw(parties_st)

    @rule(data=st.data())
    def issue_an_allowed_command_with_any_content(self, data: st.DataObject) -> None:
        allowed = allowed_commands(self.state, EVERYONE)
        if not allowed:
            assert self.state.status is CaseStatus.ARCHIVED
            return
        kind = data.draw(st.sampled_from(allowed))
        self.issue_any_command(data.draw(command_st(kind, self.draw_parties(data, kind))))

    @rule(command=any_command())
    def issue_any_command(self, command: Command) -> None:
        before = self.state
        try:
            transition = step(DEFINITION, before, command, self.now)
        except CommandRefused as refused:
            self.check_refusal(before, command, refused)
        else:
            self.accept(command, transition)

    def check_refusal(self, before: CaseState, command: Command, refused: CommandRefused) -> None:
        rule_ = RULES[command.kind]
        if command.kind not in allowed_commands(before, EVERYONE):
            assert refused.kind is RefusalKind.STATE
        elif command.parties.isdisjoint(rule_.parties):
            assert refused.kind is RefusalKind.PARTY
        else:
            assert refused.kind is RefusalKind.INVALID
        assert refused.allowed == allowed_commands(before, command.parties)
        assert (
            refused.status == {RefusalKind.STATE: 409, RefusalKind.PARTY: 403, RefusalKind.INVALID: 422}[refused.kind]
        )
        assert self.state is before  # a refusal changes nothing: the state we hold is still the one we had

    def accept(self, command: Command, transition: Transition) -> None:
        before, after = self.state, transition.state
        assert before.status is not CaseStatus.ARCHIVED
        assert command.kind in allowed_commands(before, command.parties)
        assert after.version == before.version + 1
        assert after.rework_count >= before.rework_count
        assert after.reopen_count >= before.reopen_count
        assert after.level_up >= before.level_up
        assert before.lead_unit_id is None or after.lead_unit_id in {None, before.lead_unit_id}
        assert is_valid_content(command)
        to = RULES[command.kind].to
        assert to is None or after.status is to
        assert (transition.event.name, transition.event.to_status) == (command.kind, after.status)
        assert transition.closes_case is (after.status is CaseStatus.CLOSED)
        if transition.phase_started is not None or transition.phase_ended is not None:
            assert (transition.phase_ended, transition.phase_started) == (before.phase, after.phase)
            assert after.phase_started_at == (self.now if after.phase is not None else None)
        else:
            assert after.phase_started_at == before.phase_started_at
        self.state = after
        event(f"reached {after.status}")

    @invariant()
    def one_lead_exactly_while_handling(self) -> None:
        state = self.state
        if state.status in WITHOUT_LEAD:
            assert state.lead_unit_id is None
        elif state.status in WITH_LEAD:
            assert state.lead_unit_id is not None
        else:  # archived: it had a lead unless it was rejected
            assert (state.lead_unit_id is None) is (state.reject_reason is not None)

    @invariant()
    def a_closed_case_has_verified_evidence(self) -> None:
        state = self.state
        done = {CaseStatus.VERIFIED, CaseStatus.CLOSED, CaseStatus.RATED}
        if state.status in done or (state.status is CaseStatus.ARCHIVED and state.reject_reason is None):
            assert state.evidence_verified
        if state.status in {*done, CaseStatus.FEEDBACK}:
            assert covers_the_definition(state.evidence)
        if state.status is CaseStatus.FEEDBACK:
            assert not state.evidence_verified

    @invariant()
    def the_bookkeeping_is_consistent(self) -> None:
        state = self.state
        assert state.phase is PHASE_OF[state.status]
        assert (state.phase_started_at is None) is (state.phase is None)
        assert (state.suspended_from is not None) is (state.status is CaseStatus.SUSPENDED)
        if state.pending_extension_hours is not None:
            assert state.status in {CaseStatus.IN_PROGRESS, CaseStatus.SUSPENDED}
            assert 1 <= state.pending_extension_hours <= MAX_EXTENSION_HOURS
        if state.status is CaseStatus.REJECTED:
            assert state.reject_reason
        if state.status is CaseStatus.ARCHIVED:
            assert allowed_commands(state, EVERYONE) == ()


LifecycleMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestLifecycle = LifecycleMachine.TestCase


def _abstract(state: CaseState) -> tuple[object, ...]:
    """What decides which commands are possible next (counters and times do not)."""
    return (
        state.status,
        state.pending_extension_hours is not None,
        state.suspended_from,
        state.evidence_verified,
        state.lead_unit_id is None,
    )


def test_every_status_and_every_command_is_reachable() -> None:
    """Breadth-first over the abstract states with every allowed command (and every rating)."""
    start = open_case(DEFINITION, Report(parties=frozenset({Party.CITIZEN})), T0).state
    seen = {_abstract(start): start}
    queue = deque([start])
    statuses, kinds = {start.status}, {CommandKind.REPORT}
    while queue:
        state = queue.popleft()
        for kind in allowed_commands(state, EVERYONE):
            ratings = list(Rating) if kind is CommandKind.RATE else [Rating.SATISFIED]
            for rating in ratings:
                after = step(DEFINITION, state, make_command(kind, EVERYONE, rating=rating), T0).state
                statuses.add(after.status)
                kinds.add(kind)
                if _abstract(after) not in seen:
                    seen[_abstract(after)] = after
                    queue.append(after)
    assert statuses == set(CaseStatus)
    assert kinds == set(CommandKind)
    assert all(
        allowed_commands(state, EVERYONE) == () for state in seen.values() if state.status is CaseStatus.ARCHIVED
    )
