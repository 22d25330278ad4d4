"""The case lifecycle as a pure function: which party may do what in which status, and what it changes.

`open_case` and `step` take plain values (the matter definition, the state, a command, "now") and return a
`Transition` or raise `CommandRefused`; no database, no clock read, no I/O. The reference with the state
diagram and the rules table is `docs/reference/lifecycle.md`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final, TypeAlias

from zhili.cases.states import (
    ApproveExtension,
    BaseCommand,
    CaseEvent,
    CaseState,
    CaseStatus,
    Command,
    CommandKind,
    CommandRefused,
    Dispatch,
    Escalate,
    JsonValue,
    Party,
    Rate,
    Rating,
    ReasonedCommand,
    RefusalKind,
    RefuseExtension,
    Reject,
    Reply,
    Report,
    RequestExtension,
    Resume,
    Return,
    Suspend,
    Transition,
    Verify,
    VerifyFailed,
    comment_missing,
)
from zhili.matters.definition import EvidenceKind, MatterDefinition, Phase

__all__ = [
    "MAX_EXTENSION_HOURS",
    "PHASE_OF",
    "RULES",
    "Rule",
    "allowed_commands",
    "open_case",
    "step",
]


MAX_EXTENSION_HOURS: Final = 720

S = CaseStatus
P = Party
K = CommandKind


@dataclass(frozen=True, slots=True)
class Rule:
    """Who may issue a command, in which statuses, and the status it leads to.

    `to` is None where the effect decides: resume (back to the status the case was suspended from), rate
    (rated, or reopened when dissatisfied) and the extension commands (the status stays).
    `pending_extension` True / False: the command needs an extension request to be pending / not pending.
    `first_pass` True: from `accepted`, only a case never escalated nor reopened (a 不予受理 of a case its lead
    returned, not of one already handled a level up or reopened by a dissatisfied rating).
    """

    from_states: tuple[CaseStatus, ...]
    parties: tuple[Party, ...]
    to: CaseStatus | None
    pending_extension: bool | None = None
    first_pass: bool = False


_REPORTERS = (P.CITIZEN, P.ORIGINATOR)
_VERIFIERS = (P.ORIGINATOR, P.DISPATCHER)
_DECIDERS = (P.DISPATCHER, P.SUPERVISOR)
_EXTENDABLE = (S.IN_PROGRESS, S.SUSPENDED)

# fmt: off
RULES: Final[Mapping[CommandKind, Rule]] = MappingProxyType({
    #                    from statuses                      parties                  to
    K.REPORT:            Rule((),                            _REPORTERS,              S.REPORTED),  # open_case only
    K.ACCEPT:            Rule((S.REPORTED,),                 (P.DISPATCHER,),         S.ACCEPTED),
    K.REJECT:            Rule((S.REPORTED, S.ACCEPTED),      (P.DISPATCHER,),         S.REJECTED, first_pass=True),
    K.DISPATCH:          Rule((S.ACCEPTED,),                 (P.DISPATCHER,),         S.DISPATCHED),
    K.SIGN:              Rule((S.DISPATCHED,),               (P.LEAD,),               S.SIGNED),
    K.RETURN:            Rule((S.DISPATCHED, S.SIGNED),      (P.LEAD,),               S.ACCEPTED),
    K.START:             Rule((S.SIGNED, S.REOPENED),        (P.LEAD,),               S.IN_PROGRESS),
    K.ESCALATE:          Rule((S.SIGNED, S.IN_PROGRESS),     (P.LEAD, P.DISPATCHER),  S.ACCEPTED),
    K.REQUEST_EXTENSION: Rule((S.IN_PROGRESS,),              (P.LEAD,),               None, pending_extension=False),
    K.APPROVE_EXTENSION: Rule(_EXTENDABLE,                   _DECIDERS,               None, pending_extension=True),
    K.REFUSE_EXTENSION:  Rule(_EXTENDABLE,                   _DECIDERS,               None, pending_extension=True),
    K.SUSPEND:           Rule((S.IN_PROGRESS,),              (P.LEAD,),               S.SUSPENDED),
    K.RESUME:            Rule((S.SUSPENDED,),                (P.LEAD, P.DISPATCHER),  None),
    K.REPLY:             Rule((S.IN_PROGRESS,),              (P.LEAD,),               S.FEEDBACK),
    K.VERIFY:            Rule((S.FEEDBACK,),                 _VERIFIERS,              S.VERIFIED),
    K.VERIFY_FAILED:     Rule((S.FEEDBACK,),                 _VERIFIERS,              S.IN_PROGRESS),
    K.CLOSE:             Rule((S.VERIFIED,),                 (P.LEAD,),               S.CLOSED),
    K.RATE:              Rule((S.CLOSED,),                   _REPORTERS,              None),
    K.ARCHIVE:           Rule((S.RATED, S.CLOSED, S.REJECTED), (P.DISPATCHER,),       S.ARCHIVED),
})

# The clocked phase of each status. A transition whose phase differs ends the old one and starts the new
# one at "now"; the same phase keeps running (accept → ACCEPTED stays in ACCEPT: triage until dispatch).
PHASE_OF: Final[Mapping[CaseStatus, Phase | None]] = MappingProxyType({
    S.REPORTED: Phase.ACCEPT,   S.ACCEPTED: Phase.ACCEPT,     S.REJECTED: None,
    S.DISPATCHED: Phase.SIGN,   S.SIGNED: Phase.HANDLE,       S.IN_PROGRESS: Phase.HANDLE,
    S.SUSPENDED: None,          S.FEEDBACK: Phase.VERIFY,     S.VERIFIED: None,
    S.CLOSED: None,             S.RATED: None,                S.REOPENED: Phase.HANDLE,
    S.ARCHIVED: None,
})
# fmt: on


def allowed_commands(state: CaseState, parties: AbstractSet[Party]) -> tuple[CommandKind, ...]:
    """The commands these parties may issue now, in `CommandKind` order (the UI's action buttons)."""
    return tuple(
        kind for kind, rule in RULES.items() if _is_possible(rule, state) and not parties.isdisjoint(rule.parties)
    )


def open_case(definition: MatterDefinition, command: Report, now: datetime) -> Transition:
    """Create a case: REPORTED, version 1, the ACCEPT phase started at `now`."""
    at = _utc(now)
    rule = RULES[K.REPORT]
    if command.parties.isdisjoint(rule.parties):
        raise CommandRefused(RefusalKind.PARTY, _party_reason(rule, command), command=K.REPORT, allowed=())
    state = CaseState(status=S.REPORTED, version=1, phase=Phase.ACCEPT, phase_started_at=at)
    details = {"matter": definition.code, **_payload(command)}
    event = CaseEvent(name=K.REPORT, from_status=None, to_status=S.REPORTED, details=details)
    return Transition(state=state, event=event, phase_ended=None, phase_started=Phase.ACCEPT, closes_case=False)


def step(definition: MatterDefinition, state: CaseState, command: Command, now: datetime) -> Transition:
    """Apply one command to a case, or raise `CommandRefused` (state, then party, then content)."""
    at = _utc(now)
    rule = RULES[command.kind]
    refusal = _refusal(definition, state, command, rule)
    if refusal is not None:
        raise refusal
    changed, details = _EFFECTS.get(command.kind, _no_effect)(state, command)
    status = rule.to if rule.to is not None else changed.status
    phase = PHASE_OF[status]
    is_new_phase = phase != state.phase
    after = replace(
        changed,
        status=status,
        version=state.version + 1,
        phase=phase,
        phase_started_at=(at if phase is not None else None) if is_new_phase else state.phase_started_at,
        last_reason=command.reason.strip() if isinstance(command, ReasonedCommand) else changed.last_reason,
    )
    details = _payload(command) | details
    event = CaseEvent(name=command.kind, from_status=state.status, to_status=status, details=details)
    return Transition(
        state=after,
        event=event,
        phase_ended=state.phase if is_new_phase else None,
        phase_started=phase if is_new_phase else None,
        closes_case=status is S.CLOSED,
    )


def _is_possible(rule: Rule, state: CaseState) -> bool:
    if state.status not in rule.from_states:
        return False
    if rule.first_pass and (state.level_up or state.reopen_count):
        return False
    return rule.pending_extension is None or rule.pending_extension == (state.pending_extension_hours is not None)


def _refusal(definition: MatterDefinition, state: CaseState, command: Command, rule: Rule) -> CommandRefused | None:
    """Why the command is refused (with what the parties may do instead), or None: the common case costs no list."""
    kind = command.kind
    missing: tuple[EvidenceKind, ...] = ()
    if not _is_possible(rule, state):
        reason, refused_as = _state_reason(rule, state, command), RefusalKind.STATE
    elif command.parties.isdisjoint(rule.parties):
        reason, refused_as = _party_reason(rule, command), RefusalKind.PARTY
    else:
        missing = _missing_evidence(definition, command)
        if missing:
            needs = ", ".join(definition.evidence_to_close)
            reason = f"the reply lacks evidence of kind {', '.join(missing)} (this matter needs {needs})"
        else:
            problem = _content_problem(command)
            if problem is None:
                return None
            reason = problem
        refused_as = RefusalKind.INVALID
    allowed = allowed_commands(state, command.parties)
    return CommandRefused(refused_as, reason, command=kind, allowed=allowed, missing_evidence=missing)


def _missing_evidence(definition: MatterDefinition, command: Command) -> tuple[EvidenceKind, ...]:
    """The kinds of evidence the matter needs to close that a reply lacks (nothing for other commands)."""
    if not isinstance(command, Reply):
        return ()
    given = {item.kind for item in command.evidence}
    return tuple(needed for needed in definition.evidence_to_close if needed not in given)


def _state_reason(rule: Rule, state: CaseState, command: BaseCommand) -> str:
    if state.status is S.ARCHIVED:
        return "the case is archived: nothing changes it any more"
    if not rule.from_states:
        return "a case is reported once, when it is opened"
    if state.status in rule.from_states and rule.first_pass:
        return f"{command.kind} is not possible now: the case was escalated or reopened, so it is handled, not refused"
    if state.status in rule.from_states:
        is_pending = state.pending_extension_hours is not None
        pending = "an extension request is already pending" if is_pending else "no extension request is pending"
        return f"{command.kind} is not possible now: {pending}"
    return f"{command.kind} is not possible while the case is {state.status} (only when {', '.join(rule.from_states)})"


def _party_reason(rule: Rule, command: BaseCommand) -> str:
    issuer = " / ".join(sorted(command.parties)) or "no party"
    return f"{command.kind} is for the {' or '.join(rule.parties)} of the case, not for {issuer}"


def _content_problem(command: Command) -> str | None:
    if isinstance(command, ReasonedCommand) and not command.reason.strip():
        return f"{command.kind} needs a reason"
    if isinstance(command, Dispatch) and command.lead_unit_id < 1:
        return "the lead unit id must be a positive number"
    if isinstance(command, RequestExtension) and not 1 <= command.hours <= MAX_EXTENSION_HOURS:
        return f"an extension is 1 to {MAX_EXTENSION_HOURS} hours, not {command.hours}"
    if isinstance(command, Reply):
        return _reply_problem(command)
    if isinstance(command, Rate) and comment_missing(command.rating, command.comment):
        return "a dissatisfied rating says what is still wrong (a comment)"
    return None


def _reply_problem(command: Reply) -> str | None:
    if not command.text.strip():
        return "a reply needs a text"
    if any(not item.ref.strip() for item in command.evidence):
        return "every piece of evidence needs a reference"
    return None


def _utc(now: datetime) -> datetime:
    if now.utcoffset() is None:
        message = "now must be an aware datetime"
        raise ValueError(message)
    return now.astimezone(UTC)


def _payload(command: BaseCommand) -> dict[str, JsonValue]:
    """The command's own fields as JSON (strings stripped), with the issuing parties."""
    parties: list[JsonValue] = [str(party) for party in sorted(command.parties)]
    payload: dict[str, JsonValue] = {"parties": parties}
    for field in fields(command):
        value = getattr(command, field.name)
        if isinstance(value, str):
            payload[field.name] = value.strip()
        elif isinstance(value, int):
            payload[field.name] = value
        elif field.name == "evidence":
            payload[field.name] = [{"kind": str(item.kind), "ref": item.ref} for item in value]
    return payload


# The effects: what a command changes besides its status, version, phase and last reason, and the
# details it adds to its event. A command without an entry changes nothing else.
_Changes: TypeAlias = tuple[CaseState, dict[str, JsonValue]]


def _no_effect(state: CaseState, _command: Any) -> _Changes:
    return state, {}


def _reject(state: CaseState, command: Reject) -> _Changes:
    return replace(state, reject_reason=command.reason.strip()), {}


def _dispatch(state: CaseState, command: Dispatch) -> _Changes:
    return replace(state, lead_unit_id=command.lead_unit_id), {}


def _remove_lead(state: CaseState, _command: Return | Escalate) -> _Changes:
    """Return and escalate: the lead goes, with its extension (granted or pending)."""
    details: dict[str, JsonValue] = {"from_lead_unit_id": state.lead_unit_id}
    if state.pending_extension_hours is not None:
        details["withdrawn_extension_hours"] = state.pending_extension_hours
    changed = replace(state, lead_unit_id=None, pending_extension_hours=None, granted_extension_hours=0)
    return changed, details


def _escalate(state: CaseState, command: Escalate) -> _Changes:
    changed, details = _remove_lead(state, command)
    return replace(changed, level_up=state.level_up + 1), details | {"level_up": state.level_up + 1}


def _request_extension(state: CaseState, command: RequestExtension) -> _Changes:
    return replace(state, pending_extension_hours=command.hours), {}


def _approve_extension(state: CaseState, _command: ApproveExtension) -> _Changes:
    hours = state.pending_extension_hours or 0
    granted = state.granted_extension_hours + hours
    changed = replace(state, pending_extension_hours=None, granted_extension_hours=granted)
    return changed, {"hours": hours, "granted_extension_hours": granted}


def _refuse_extension(state: CaseState, _command: RefuseExtension) -> _Changes:
    return replace(state, pending_extension_hours=None), {"hours": state.pending_extension_hours}


def _suspend(state: CaseState, _command: Suspend) -> _Changes:
    return replace(state, suspended_from=state.status), {}


def _resume(state: CaseState, _command: Resume) -> _Changes:
    if state.suspended_from is None:
        message = "a suspended case must record the status it was suspended from"
        raise ValueError(message)
    return replace(state, status=state.suspended_from, suspended_from=None), {}


def _reply(state: CaseState, command: Reply) -> _Changes:
    details: dict[str, JsonValue] = {}
    if state.pending_extension_hours is not None:
        details["withdrawn_extension_hours"] = state.pending_extension_hours
    changed = replace(state, evidence=command.evidence, evidence_verified=False, pending_extension_hours=None)
    return changed, details


def _verify(state: CaseState, _command: Verify) -> _Changes:
    return replace(state, evidence_verified=True), {}


def _verify_failed(state: CaseState, _command: VerifyFailed) -> _Changes:
    changed = replace(state, rework_count=state.rework_count + 1, evidence_verified=False)
    return changed, {"rework_count": changed.rework_count}


def _rate(state: CaseState, command: Rate) -> _Changes:
    if command.rating is not Rating.DISSATISFIED:
        return replace(state, status=S.RATED, rating=command.rating), {}
    reopened = replace(
        state,
        status=S.REOPENED,
        rating=command.rating,
        reopen_count=state.reopen_count + 1,
        evidence=(),
        evidence_verified=False,
    )
    return reopened, {"reopen_count": reopened.reopen_count}


_EFFECTS: Final[Mapping[CommandKind, Callable[[CaseState, Any], _Changes]]] = MappingProxyType(
    {
        K.REJECT: _reject,
        K.DISPATCH: _dispatch,
        K.RETURN: _remove_lead,
        K.ESCALATE: _escalate,
        K.REQUEST_EXTENSION: _request_extension,
        K.APPROVE_EXTENSION: _approve_extension,
        K.REFUSE_EXTENSION: _refuse_extension,
        K.SUSPEND: _suspend,
        K.RESUME: _resume,
        K.REPLY: _reply,
        K.VERIFY: _verify,
        K.VERIFY_FAILED: _verify_failed,
        K.RATE: _rate,
    }
)
