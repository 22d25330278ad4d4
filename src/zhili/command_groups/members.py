"""Members joining and leaving, and their roles, each on the record; one commit each.

A group has exactly one commander at a time: naming a new one makes the old one a deputy, and the
commander leaves only after handing over. Members added must be people the adder sees; each is told,
with a link to the group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from zhili.command_groups import visibility
from zhili.command_groups.lifecycle import EntryKind, GroupAction, MemberRole, refused, require
from zhili.command_groups.models import CommandGroup, GroupMember
from zhili.command_groups.store import add_entry, current_members, for_change, notify_members, touch
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, InvalidInputError, NotFoundError

MAX_NEW_MEMBERS = 200
ROLE_NAMES = {
    MemberRole.COMMANDER: "指挥长",
    MemberRole.DEPUTY: "副指挥长",
    MemberRole.LIAISON: "联络员",
    MemberRole.MEMBER: "成员",
}


@dataclass(frozen=True, slots=True)
class NewMember:
    """A person to add, in a role."""

    person_id: int
    role: MemberRole = MemberRole.MEMBER


def _refuse(message: str, key: str) -> InvalidInputError:
    return refused("members", key, message)


def enrol(
    session: Session, group: CommandGroup, members: Sequence[NewMember], *, actor: Actor, clock: Clock
) -> list[int]:
    """Add people who are not members now (the caller checked the right to); returns the ids added. No commit."""
    if len(members) > MAX_NEW_MEMBERS:
        raise _refuse(f"at most {MAX_NEW_MEMBERS} members are added at once", "group.error.too_many")
    wanted = {m.person_id: m.role for m in members}
    seen = visibility.visible_people(session, actor, list(wanted))
    if unknown := sorted(set(wanted) - seen - ({actor.person_id} if actor.person_id else set())):
        raise NotFoundError(f"person {unknown[0]} not found")
    present = current_members(session, group.id)
    new = {pid: role for pid, role in wanted.items() if pid not in present}
    if MemberRole.COMMANDER in new.values():
        _demote_commander(present)
    now = clock.now()
    for person_id, role in new.items():
        session.add(
            GroupMember(
                group_id=group.id, person_id=person_id, role=role.value, joined_at=now, added_by=actor.audit_name
            )
        )
    session.flush()
    for person_id, role in new.items():
        add_entry(
            session, group.id, EntryKind.JOINED, actor=actor, at=now, subject_person_id=person_id, detail=role.value
        )
    if new:
        notify_members(
            session,
            group,
            recipients=list(new),
            event="joined",
            title="您已被编入指挥组",
            body=group.summary,
            key=f"joined:{now.timestamp():.0f}",
            clock=clock,
            exclude=actor.person_id,
        )
    return list(new)


def _demote_commander(present: dict[int, GroupMember]) -> None:
    for member in present.values():
        if member.role == MemberRole.COMMANDER:
            member.role = MemberRole.DEPUTY.value


def add_members(
    session: Session, *, group_id: int, members: Sequence[NewMember], actor: Actor, clock: Clock
) -> list[int]:
    """拉人入组: commander, deputy or liaison adds people (each told); those already in are left as they are."""
    loaded = for_change(session, actor, group_id)
    require(loaded.role, GroupAction.MANAGE_MEMBERS, loaded.state)
    if not members:
        raise _refuse("name at least one person to add", "group.error.no_members")
    if any(m.role == MemberRole.COMMANDER for m in members) and loaded.role != MemberRole.COMMANDER:
        raise _refuse("only the commander hands over command", "group.error.handover")
    now = clock.now()
    touch(session, group_id, now)
    added = enrol(session, loaded.group, members, actor=actor, clock=clock)
    audit.record_by(
        session,
        actor,
        "command_group.members.add",
        entity_type="command_group",
        entity_id=group_id,
        after={"added": added, "roles": {str(m.person_id): m.role.value for m in members}},
        at=now,
    )
    commit(session)
    return added


def remove_member(session: Session, *, group_id: int, person_id: int, actor: Actor, clock: Clock) -> None:
    """A member leaves (by themselves, or taken off by commander, deputy or liaison); the commander hands over first."""
    loaded = for_change(session, actor, group_id)
    if person_id != actor.person_id:
        require(loaded.role, GroupAction.MANAGE_MEMBERS, loaded.state)
    else:
        require(loaded.role, GroupAction.POST, loaded.state)
    present = current_members(session, group_id)
    member = present.get(person_id)
    if member is None:
        raise NotFoundError(f"person {person_id} is not a member of this command group")
    if member.role == MemberRole.COMMANDER:
        raise ConflictError("the commander hands over command before leaving")
    now = clock.now()
    touch(session, group_id, now)
    session.execute(update(GroupMember).where(GroupMember.id == member.id).values(left_at=now))
    add_entry(session, group_id, EntryKind.LEFT, actor=actor, at=now, subject_person_id=person_id)
    audit.record_by(
        session,
        actor,
        "command_group.members.remove",
        entity_type="command_group",
        entity_id=group_id,
        before={"person_id": person_id, "role": member.role},
        at=now,
    )
    if person_id != actor.person_id:
        notify_members(
            session,
            loaded.group,
            recipients=[person_id],
            event="left",
            title="您已离开指挥组",
            body="",
            key=f"left:{member.id}",
            clock=clock,
        )
    commit(session)


def set_role(session: Session, *, group_id: int, person_id: int, role: MemberRole, actor: Actor, clock: Clock) -> None:
    """Change a member's role; naming a new commander (the commander only) makes the old one a deputy."""
    loaded = for_change(session, actor, group_id)
    require(loaded.role, GroupAction.MANAGE_MEMBERS, loaded.state)
    present = current_members(session, group_id)
    member = present.get(person_id)
    if member is None:
        raise NotFoundError(f"person {person_id} is not a member of this command group")
    if MemberRole.COMMANDER in {role, MemberRole(member.role)} and loaded.role != MemberRole.COMMANDER:
        raise _refuse("only the commander hands over command", "group.error.handover")
    if member.role == role:
        return
    if member.role == MemberRole.COMMANDER:
        raise ConflictError("name a new commander instead: the group always has one")
    now = clock.now()
    touch(session, group_id, now)
    if role == MemberRole.COMMANDER:
        _demote_commander(present)
    before = member.role
    member.role = role.value
    add_entry(
        session, group_id, EntryKind.ROLE_CHANGED, actor=actor, at=now, subject_person_id=person_id, detail=role.value
    )
    audit.record_by(
        session,
        actor,
        "command_group.members.role",
        entity_type="command_group",
        entity_id=group_id,
        before={"person_id": person_id, "role": before},
        after={"person_id": person_id, "role": role.value},
        at=now,
    )
    notify_members(
        session,
        loaded.group,
        recipients=[person_id],
        event="role",
        title=f"您的职责改为{ROLE_NAMES[role]}",
        body="",
        key=f"role:{member.id}:{now.timestamp():.0f}",
        clock=clock,
        exclude=actor.person_id,
    )
    commit(session)
