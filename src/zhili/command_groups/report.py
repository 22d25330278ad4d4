"""The closure report (总结报告): compiled from a group's record when it closes, and kept with it.

`summarise` is pure: it takes the group's members, instructions with their copies, and timeline lines,
and counts what happened (how long, who took part in which role, instructions done and on time, posts,
photos and places, the states it went through). `compile_report` reads those rows for a group.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.command_groups.closure import ClosureReport, InstructionLine
from zhili.command_groups.lifecycle import EntryKind, InstructionState
from zhili.command_groups.models import CommandGroup, GroupEntry, GroupMember, Instruction, InstructionCopy
from zhili.org.models import Person


def summarise(
    group: CommandGroup,
    *,
    closed_at: datetime,
    members: list[tuple[int, str, str]],
    instructions: list[tuple[Instruction, list[InstructionCopy]]],
    entries: list[GroupEntry],
) -> ClosureReport:
    """Count a group's record into its closure report.

    `members` are (person id, name, role) of every membership in the order joined; a person who left and
    joined again counts once, in their last role.
    """
    last_role = {person_id: (name, role) for person_id, name, role in members}
    lines = [
        InstructionLine(
            body=i.body,
            issued_at=i.issued_at,
            deadline_at=i.deadline_at,
            addressees=len(copies),
            done=sum(c.state == InstructionState.DONE for c in copies),
            on_time=sum(c.done_at is not None and c.done_at <= i.deadline_at for c in copies),
        )
        for i, copies in instructions
    ]
    posts = [e for e in entries if e.kind == EntryKind.MESSAGE]
    states = [(e.at, e.detail or "", e.body or "") for e in entries if e.kind == EntryKind.STATE_CHANGED]
    return ClosureReport(
        title=group.title,
        area_code=group.area_code,
        opened_at=group.opened_at,
        closed_at=closed_at,
        hours=round((closed_at - group.opened_at).total_seconds() / 3600, 1),
        members_by_role=dict(Counter(role for _, role in last_role.values())),
        people=len(last_role),
        instructions=lines,
        copies=sum(line.addressees for line in lines),
        done=sum(line.done for line in lines),
        done_on_time=sum(line.on_time for line in lines),
        posts=len(posts),
        photos=sum(e.photo_id is not None for e in posts),
        places=sum(e.lon is not None for e in posts),
        states=states,
        participants=list(last_role.values()),
    )


def compile_report(session: Session, group: CommandGroup, *, closed_at: datetime) -> ClosureReport:
    """Read a group's record (the caller's transaction, so the closing line is in it) and summarise it."""
    members = [
        (person_id, name, role)
        for person_id, name, role in session.execute(
            select(GroupMember.person_id, Person.name, GroupMember.role)
            .join(Person, Person.id == GroupMember.person_id)
            .where(GroupMember.group_id == group.id)
            .order_by(GroupMember.id)
        ).all()
    ]
    instructions = session.scalars(
        select(Instruction).where(Instruction.group_id == group.id).order_by(Instruction.id)
    ).all()
    copies = session.scalars(
        select(InstructionCopy).where(InstructionCopy.instruction_id.in_([i.id for i in instructions]))
    ).all()
    by_instruction: dict[int, list[InstructionCopy]] = {i.id: [] for i in instructions}
    for c in copies:
        by_instruction[c.instruction_id].append(c)
    entries = list(session.scalars(select(GroupEntry).where(GroupEntry.group_id == group.id).order_by(GroupEntry.id)))
    return summarise(
        group,
        closed_at=closed_at,
        members=members,
        instructions=[(i, by_instruction[i.id]) for i in instructions],
        entries=entries,
    )
