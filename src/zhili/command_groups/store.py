"""The writes every command-group service shares: the group loaded with the actor's role, the guard, timeline lines.

`for_change` loads a group the actor sees (else 404) with the actor's current role in it; `move` writes a
change of its state, compare-and-set on the version loaded (409 when it changed meanwhile); `touch` is the
guard every other write takes before writing (no row means the group closed meanwhile: 409); `add_entry`
appends a timeline line; `notify_members` tells the current members (or some of them) with a link to the group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhili.command_groups.lifecycle import EntryKind, GroupState, MemberRole
from zhili.command_groups.models import CommandGroup, GroupEntry, GroupMember
from zhili.command_groups.visibility import load_group
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.errors import ConflictError
from zhili.notify.kinds import Severity
from zhili.notify.service import notify
from zhili.notify.wording import Part, Words


@dataclass(frozen=True, slots=True)
class Loaded:
    """A group as loaded for a change, with the actor's current role in it (None: not a member)."""

    group: CommandGroup
    role: MemberRole | None

    @property
    def state(self) -> GroupState:
        """The group's state as loaded."""
        return GroupState(self.group.state)


def current_members(session: Session, group_id: int) -> dict[int, GroupMember]:
    """The group's current members by person id."""
    rows = session.scalars(select(GroupMember).where(GroupMember.group_id == group_id, GroupMember.left_at.is_(None)))
    return {m.person_id: m for m in rows}


def role_of(session: Session, group_id: int, person_id: int | None) -> MemberRole | None:
    """A person's current role in a group (None when they are not a member now)."""
    if person_id is None:
        return None
    stmt = select(GroupMember.role).where(
        GroupMember.group_id == group_id, GroupMember.person_id == person_id, GroupMember.left_at.is_(None)
    )
    role = session.scalars(stmt).first()
    return MemberRole(role) if role else None


def for_change(session: Session, actor: Actor, group_id: int) -> Loaded:
    """The group (404 unless the actor sees it), locked until the commit on PostgreSQL, with the actor's role in it.

    The lock orders every change of one group, so two hand-overs, or a close and a post, never interleave.
    """
    group = load_group(session, actor, group_id, for_update=True)
    return Loaded(group=group, role=role_of(session, group_id, actor.person_id))


def move(session: Session, loaded: Loaded, after: GroupState, values: Mapping[str, object]) -> int:
    """Write the group's new state with `values`, if it is still at the version loaded; its new version (else 409)."""
    group = loaded.group
    moved = session.execute(
        update(CommandGroup)
        .where(CommandGroup.id == group.id, CommandGroup.version == group.version)
        .values(version=CommandGroup.version + 1, state=after.value, **values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError("the command group changed meanwhile: reload it and try again")
    return group.version + 1


def touch(session: Session, group_id: int, now: datetime) -> None:
    """Mark activity on an open group; 409 when it closed since it was loaded (nothing is written after a close)."""
    stmt = (
        update(CommandGroup)
        .where(CommandGroup.id == group_id, CommandGroup.state != GroupState.CLOSED.value)
        .values(last_activity_at=now)
        .execution_options(synchronize_session=False)
    )
    if session.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError("the command group is closed")


def add_entry(
    session: Session,
    group_id: int,
    kind: EntryKind,
    *,
    actor: Actor,
    at: datetime,
    body: str | None = None,
    point: tuple[float, float] | None = None,
    photo_id: int | None = None,
    subject_person_id: int | None = None,
    instruction_id: int | None = None,
    detail: str | None = None,
) -> GroupEntry:
    """Append a line to the group's timeline (flushed, so its id is known)."""
    entry = GroupEntry(
        group_id=group_id,
        at=at,
        kind=kind.value,
        person_id=actor.person_id,
        actor=actor.audit_name,
        body=body,
        lon=point[0] if point else None,
        lat=point[1] if point else None,
        photo_id=photo_id,
        subject_person_id=subject_person_id,
        instruction_id=instruction_id,
        detail=detail,
    )
    session.add(entry)
    session.flush()
    return entry


def notify_members(
    session: Session,
    group: CommandGroup,
    *,
    recipients: Sequence[int] | None,
    event: str,
    title: Words,
    body: str | Sequence[Part],
    key: str,
    clock: Clock,
    severity: Severity = Severity.INFO,
    exclude: int | None = None,
    anchor: str = "",
) -> None:
    """Tell people (None: every current member) about the group, with a link to it; `exclude` is the actor.

    `title` is the event's words (`notice.group.*`), given the group's title as `{group}` here.
    """
    people = list(recipients) if recipients is not None else list(current_members(session, group.id))
    people = [p for p in people if p != exclude]
    if not people:
        return
    notify(
        session,
        recipients=people,
        topic=f"command_group.{event}",
        severity=severity,
        title=Words(title.key, {**title.params, "group": group.title}),
        body=body,
        key=f"command-group:{group.id}:{key}",
        clock=clock,
        link=f"/groups/{group.id}{'#' + anchor if anchor else ''}",
        subject=f"command_group:{group.id}",
    )
