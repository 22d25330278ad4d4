"""A command group opened from a case, as the case records it: its lines there, and one open group per case.

`cases` sits below `command_groups`, so the case learns of its groups through the lines written here
(`cases.linked`: `group_opened`, `group_closed`), in the group's own transaction; the case page reads
them back and asks `visibility.groups_in_sight` (handed over by `zhili.app`) which it may link.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases import linked
from zhili.cases.models import Case
from zhili.command_groups.lifecycle import GroupState
from zhili.command_groups.models import CommandGroup
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import deferred_commit
from zhili.core.errors import ConflictError
from zhili.org.models import Position

# How much of the closing summary the case's line quotes (the closure report has the rest).
CLOSURE_IN_LINE = 60


def open_group_of(session: Session, case_id: int, *, other_than: int | None = None) -> int | None:
    """The command group still open for this case (not closed), if any."""
    stmt = select(CommandGroup.id).where(
        CommandGroup.origin_case_id == case_id, CommandGroup.state != GroupState.CLOSED.value
    )
    if other_than is not None:
        stmt = stmt.where(CommandGroup.id != other_than)
    return session.scalars(stmt.order_by(CommandGroup.id).limit(1)).first()


def refuse_second(session: Session, case_id: int, *, other_than: int | None = None) -> None:
    """409 by the form's case field while another group for the case is open: one task force per case at a time."""
    found = open_group_of(session, case_id, other_than=other_than)
    if found is not None:
        message = f"case {case_id} already has an open command group ({found}): work in it, or close it first"
        raise ConflictError(
            message, errors=[{"field": "case", "message": message, "key": "group.error.case_has_group"}], group_id=found
        )


def record_opened(
    session: Session, group: CommandGroup, members: Collection[int], *, actor: Actor, clock: Clock
) -> None:
    """成立指挥组「…」 on the case's timeline (its lead told unless its people are among the members)."""
    if group.origin_case_id is None:
        return
    details = {"group_id": group.id, "group": group.title, "lead_informed": _lead_is_member(session, group, members)}
    with deferred_commit(session):  # committed with the group
        linked.add_linked_event(
            session,
            case_id=group.origin_case_id,
            kind=linked.LinkedKind.GROUP_OPENED,
            details=details,
            actor=actor,
            clock=clock,
        )
    refuse_second(session, group.origin_case_id, other_than=group.id)  # after the case's lock: two opens race here


def record_closed(session: Session, group: CommandGroup, summary: str, *, actor: Actor, clock: Clock) -> None:
    """指挥组已结束 on the case's timeline, with the first words of the closing summary."""
    if group.origin_case_id is None:
        return
    words = summary[:CLOSURE_IN_LINE] + ("…" if len(summary) > CLOSURE_IN_LINE else "")
    with deferred_commit(session):
        linked.add_linked_event(
            session,
            case_id=group.origin_case_id,
            kind=linked.LinkedKind.GROUP_CLOSED,
            details={"group_id": group.id, "group": group.title, "closure": words},
            actor=actor,
            clock=clock,
        )


def _lead_is_member(session: Session, group: CommandGroup, members: Collection[int]) -> bool:
    """True when someone of the case's lead unit (before dispatch: the unit it was routed to) is in the group."""
    row = session.execute(select(Case.lead_unit_id, Case.routed_unit_id).where(Case.id == group.origin_case_id)).one()
    unit = row.lead_unit_id or row.routed_unit_id
    if not members:
        return False
    stmt = select(Position.id).where(Position.department_id == unit, Position.person_id.in_(list(members))).limit(1)
    return session.scalar(stmt) is not None
