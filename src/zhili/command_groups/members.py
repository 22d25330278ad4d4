"""Members joining and leaving, and their roles, each on the record; one commit each.

A group has exactly one commander at a time (a partial unique index keeps it so): naming a new one,
the commander's own act, makes the old one a deputy, on the record and told to the whole group; the
commander leaves only after handing over. A member manages only those who rank below them
(`lifecycle.require_rank`). Members added must be people the adder sees; each is told, with a link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from zhili.command_groups import visibility
from zhili.command_groups.lifecycle import EntryKind, GroupAction, MemberRole, refused, require, require_rank
from zhili.command_groups.models import CommandGroup, GroupMember
from zhili.command_groups.store import add_entry, current_members, for_change, notify_members, touch
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, InvalidInputError, NotFoundError
from zhili.web.i18n import translate

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
    if list(wanted.values()).count(MemberRole.COMMANDER) > 1:
        raise _refuse("a group has one commander", "group.error.two_commanders")
    seen = visibility.visible_people(session, visibility.recruiter(session, actor), list(wanted))
    if unknown := sorted(set(wanted) - seen - ({actor.person_id} if actor.person_id else set())):
        raise NotFoundError(f"person {unknown[0]} not found")
    present = current_members(session, group.id)
    new = {pid: role for pid, role in wanted.items() if pid not in present}
    now = clock.now()
    if MemberRole.COMMANDER in new.values():
        hand_over(session, group, present, actor=actor, clock=clock)
    rows = [
        GroupMember(group_id=group.id, person_id=pid, role=role.value, joined_at=now, added_by=actor.audit_name)
        for pid, role in new.items()
    ]
    session.add_all(rows)
    session.flush()
    for row in rows:
        add_entry(
            session, group.id, EntryKind.JOINED, actor=actor, at=now, subject_person_id=row.person_id, detail=row.role
        )
    if rows:
        notify_members(
            session,
            group,
            recipients=[row.person_id for row in rows],
            event="joined",
            body=group.summary,
            key=f"joined:{rows[0].id}",
            clock=clock,
            exclude=actor.person_id,
        )
    return list(new)


def hand_over(
    session: Session, group: CommandGroup, present: dict[int, GroupMember], *, actor: Actor, clock: Clock
) -> None:
    """The present commander becomes a deputy, on the timeline and the audit record (before the new one is named)."""
    now = clock.now()
    for member in present.values():
        if member.role == MemberRole.COMMANDER:
            member.role = MemberRole.DEPUTY.value
            session.flush()  # the old commander steps down before the new one is named (one commander, always)
            _record_role(session, group.id, member, before=MemberRole.COMMANDER, actor=actor, now=now)


def _record_role(
    session: Session, group_id: int, member: GroupMember, *, before: MemberRole, actor: Actor, now: datetime
) -> None:
    add_entry(
        session,
        group_id,
        EntryKind.ROLE_CHANGED,
        actor=actor,
        at=now,
        subject_person_id=member.person_id,
        detail=member.role,
    )
    audit.record_by(
        session,
        actor,
        "command_group.members.role",
        entity_type="command_group",
        entity_id=group_id,
        before={"person_id": member.person_id, "role": before.value},
        after={"person_id": member.person_id, "role": member.role},
        at=now,
    )


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
    for member in members:
        if member.role != MemberRole.MEMBER:
            require_rank(loaded.role, MemberRole.MEMBER, member.role)
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
    """A member leaves by themselves, or is taken off by someone who outranks them; the commander hands over first."""
    loaded = for_change(session, actor, group_id)
    present = current_members(session, group_id)
    member = present.get(person_id)
    if person_id == actor.person_id:
        require(loaded.role, GroupAction.POST, loaded.state)
    else:
        require(loaded.role, GroupAction.MANAGE_MEMBERS, loaded.state)
    if member is None:
        raise NotFoundError(f"person {person_id} is not a member of this command group")
    if member.role == MemberRole.COMMANDER:
        raise ConflictError("the commander hands over command before leaving")
    if person_id != actor.person_id:
        require_rank(loaded.role, MemberRole(member.role))
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
            body="",
            key=f"left:{member.id}",
            clock=clock,
        )
    commit(session)


def set_role(session: Session, *, group_id: int, person_id: int, role: MemberRole, actor: Actor, clock: Clock) -> None:
    """Change another member's role (below the actor's); naming a new commander (the commander's) hands over."""
    loaded = for_change(session, actor, group_id)
    require(loaded.role, GroupAction.MANAGE_MEMBERS, loaded.state)
    member = current_members(session, group_id).get(person_id)
    if member is None:
        raise NotFoundError(f"person {person_id} is not a member of this command group")
    if person_id == actor.person_id:
        raise _refuse("name someone else: nobody changes their own role", "group.error.own_role")
    if role == MemberRole.COMMANDER and loaded.role != MemberRole.COMMANDER:
        raise _refuse("only the commander hands over command", "group.error.handover")
    require_rank(loaded.role, MemberRole(member.role), role)
    if member.role == role:
        return
    now = clock.now()
    touch(session, group_id, now)
    if role == MemberRole.COMMANDER:
        hand_over(session, loaded.group, current_members(session, group_id), actor=actor, clock=clock)
    before = MemberRole(member.role)
    member.role = role.value
    session.flush()
    _record_role(session, group_id, member, before=before, actor=actor, now=now)
    handover = role == MemberRole.COMMANDER
    notify_members(
        session,
        loaded.group,
        recipients=None if handover else [person_id],
        event="role",
        notice="handover" if handover else "role",
        words={"role": ROLE_NAMES[role], "role_en": translate(f"group.role.{role.value}", "en")},
        body="",
        key=f"role:{member.id}:{role.value}:{now.timestamp():.0f}",
        clock=clock,
        exclude=actor.person_id,
    )
    commit(session)
