"""The rules of a command group, pure: its states, its members' roles, who may do what, and an instruction's states.

A group is active (处置中) until its commander declares it stable (稳控) and, once the event is over,
closed (已关闭); a stable group may flare up again. Every change goes through `require`, so the services
and the pages ask one table what a member may do.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from zhili.core.errors import ConflictError, DomainError, ForbiddenError, InvalidInputError


class GroupState(StrEnum):
    """Where a command group stands."""

    ACTIVE = "active"
    STABLE = "stable"
    CLOSED = "closed"


class MemberRole(StrEnum):
    """A member's part in the group."""

    COMMANDER = "commander"
    DEPUTY = "deputy"
    LIAISON = "liaison"
    MEMBER = "member"


class GroupAction(StrEnum):
    """What a member may be allowed to do in a group."""

    POST = "post"
    MANAGE_MEMBERS = "manage_members"
    INSTRUCT = "instruct"
    STABILISE = "stabilise"
    REACTIVATE = "reactivate"
    CLOSE = "close"


class InstructionState(StrEnum):
    """An instruction as one addressee has it: issued (待签收), acknowledged (已签收), done (已办结)."""

    ISSUED = "issued"
    ACKNOWLEDGED = "acknowledged"
    DONE = "done"


class OriginKind(StrEnum):
    """Where a group was opened from."""

    MANUAL = "manual"
    CASE = "case"
    CAMPAIGN = "campaign"


class EntryKind(StrEnum):
    """A line of the group's timeline."""

    OPENED = "opened"
    JOINED = "joined"
    LEFT = "left"
    ROLE_CHANGED = "role_changed"
    MESSAGE = "message"
    INSTRUCTED = "instructed"
    ACKNOWLEDGED = "acknowledged"
    DONE = "done"
    STATE_CHANGED = "state_changed"


ALLOWED: Final[dict[GroupAction, frozenset[MemberRole]]] = {
    GroupAction.POST: frozenset(MemberRole),
    GroupAction.MANAGE_MEMBERS: frozenset({MemberRole.COMMANDER, MemberRole.DEPUTY, MemberRole.LIAISON}),
    GroupAction.INSTRUCT: frozenset({MemberRole.COMMANDER, MemberRole.DEPUTY}),
    GroupAction.STABILISE: frozenset({MemberRole.COMMANDER, MemberRole.DEPUTY}),
    GroupAction.REACTIVATE: frozenset({MemberRole.COMMANDER, MemberRole.DEPUTY}),
    GroupAction.CLOSE: frozenset({MemberRole.COMMANDER}),
}

# The state each state-changing action leads to, from the states it may start in.
MOVES: Final[dict[GroupAction, tuple[frozenset[GroupState], GroupState]]] = {
    GroupAction.STABILISE: (frozenset({GroupState.ACTIVE}), GroupState.STABLE),
    GroupAction.REACTIVATE: (frozenset({GroupState.STABLE}), GroupState.ACTIVE),
    GroupAction.CLOSE: (frozenset({GroupState.ACTIVE, GroupState.STABLE}), GroupState.CLOSED),
}

INSTRUCTION_STEPS: Final[dict[InstructionState, frozenset[InstructionState]]] = {
    InstructionState.ACKNOWLEDGED: frozenset({InstructionState.ISSUED}),
    InstructionState.DONE: frozenset({InstructionState.ISSUED, InstructionState.ACKNOWLEDGED}),
}


# Who outranks whom: a member manages only those below them, and never their own role.
RANK: Final[dict[MemberRole, int]] = {
    MemberRole.COMMANDER: 3,
    MemberRole.DEPUTY: 2,
    MemberRole.LIAISON: 1,
    MemberRole.MEMBER: 0,
}


def require_rank(actor: MemberRole | None, target: MemberRole, new: MemberRole | None = None) -> None:
    """Refuse (403) changing or removing a member who ranks as high as the actor, or raising one to that rank.

    `new` is the role asked for (None: taking the member off). Only the commander names a commander,
    which hands command over rather than adding a second one.
    """
    mine = RANK[actor] if actor is not None else -1
    if RANK[target] >= mine:
        raise ForbiddenError(f"a {actor or 'non-member'} may not change a {target}", message_key="forbidden.group_rank")
    if new is not None and RANK[new] >= mine and not (new == actor == MemberRole.COMMANDER):
        raise ForbiddenError(
            f"a {actor or 'non-member'} may not make anyone a {new}", message_key="forbidden.group_rank"
        )


def may(role: MemberRole | None, action: GroupAction) -> bool:
    """True when a member in this role (None: not a member) may take this action."""
    return role is not None and role in ALLOWED[action]


def allowed_actions(role: MemberRole | None, state: GroupState) -> frozenset[GroupAction]:
    """What a member in this role may do in a group in this state (nothing once it is closed)."""
    if state == GroupState.CLOSED:
        return frozenset()
    return frozenset(
        action for action in GroupAction if may(role, action) and (action not in MOVES or state in MOVES[action][0])
    )


def require(role: MemberRole | None, action: GroupAction, state: GroupState) -> None:
    """Refuse an action: 409 once the group is closed or from the wrong state, 403 for the wrong role."""
    if state == GroupState.CLOSED:
        raise ConflictError("the command group is closed")
    if not may(role, action):
        raise ForbiddenError(
            f"a {role or 'non-member'} may not {action} in this command group", message_key="forbidden.group_role"
        )
    if action in MOVES and state not in MOVES[action][0]:
        raise ConflictError(f"a {state} command group cannot {action}")


def next_state(action: GroupAction) -> GroupState:
    """The state a state-changing action leads to."""
    return MOVES[action][1]


def step_instruction(state: InstructionState, to: InstructionState) -> InstructionState:
    """An addressee moves their instruction on (409 when it already is there or beyond)."""
    if state not in INSTRUCTION_STEPS.get(to, frozenset()):
        raise ConflictError(f"an instruction that is {state} cannot become {to}")
    return to


def refused(field: str, key: str, message: str) -> InvalidInputError:
    """A 422 naming the field, the message key pages show beside it, and the reason in English."""
    return InvalidInputError(message, errors=[{"field": field, "message": message, "key": key}])


def form_keys(error: DomainError) -> dict[str, str]:
    """A refused command's message keys by field, for a form shown again with its input."""
    return {e["field"]: e["key"] for e in error.extra.get("errors", []) if "key" in e}
