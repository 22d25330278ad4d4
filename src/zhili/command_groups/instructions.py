"""Instructions (指令): issued to members or to a unit's members in the group, acknowledged (签收) and done (办结).

Each addressee has their own copy, told with a link; at the deadline the worker reminds those who have
not finished and tells the issuer who is late (`fire_instruction_due`). One commit each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhili.clocks.firing import DueTimer
from zhili.clocks.timers import TimerSpec, schedule
from zhili.command_groups.lifecycle import (
    EntryKind,
    GroupAction,
    GroupState,
    InstructionState,
    refused,
    require,
    step_instruction,
)
from zhili.command_groups.models import CommandGroup, Instruction, InstructionCopy
from zhili.command_groups.store import add_entry, current_members, for_change, notify_members, touch
from zhili.command_groups.timeline import store_photo
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock, FrozenClock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, InvalidInputError, NotFoundError
from zhili.core.media import CheckedPhoto
from zhili.notify.kinds import Severity
from zhili.notify.wording import Part, When, Words
from zhili.org.models import Person, Position

INSTRUCTION_DUE = "command_group.instruction_due"
"""The timer kind that checks an instruction at its deadline."""
BODY_LENGTH, REPLY_LENGTH = 1_000, 2_000
LATE_NAMED = 10
"""The issuer's notice of an instruction past its deadline names this many of the late."""


def addressees(session: Session, group_id: int, person_ids: Sequence[int], unit_id: int | None) -> list[int]:
    """The current members an instruction goes to: those named, and the members holding a post in the unit."""
    present = set(current_members(session, group_id))
    if stray := sorted(set(person_ids) - present):
        raise refused("people", "group.error.not_member", f"person {stray[0]} is not a member of this command group")
    chosen = set(person_ids)
    if unit_id is not None:
        in_unit = set(
            session.scalars(
                select(Position.person_id).where(Position.department_id == unit_id, Position.person_id.in_(present))
            )
        )
        if not in_unit & present:
            raise refused("unit", "group.error.unit_absent", "nobody of that unit is a member of this command group")
        chosen |= in_unit & present
    if not chosen:
        raise refused("people", "group.error.no_addressee", "name at least one member or a unit")
    return sorted(chosen)


def _instruction_refusals(body: str, deadline_at: datetime | None, now: datetime) -> list[InvalidInputError]:
    """What is wrong with an instruction's words and deadline, every reason at once (the form shows them together)."""
    found = []
    if not body or len(body) > BODY_LENGTH:
        found.append(refused("body", "group.error.instruction", f"an instruction is 1 to {BODY_LENGTH:,} characters"))
    if deadline_at is None:  # a form's deadline that is not a date and time
        found.append(refused("deadline", "group.error.deadline_format", "choose a deadline (a date and time)"))
    elif deadline_at <= now:
        found.append(refused("deadline", "group.error.deadline", "the deadline must lie in the future"))
    return found


def issue_instruction(
    session: Session,
    *,
    group_id: int,
    body: str,
    deadline_at: datetime | None,
    person_ids: Sequence[int],
    unit_id: int | None,
    actor: Actor,
    clock: Clock,
) -> int:
    """下达指令: the commander or a deputy instructs members (each told, with a link) by a deadline.

    A refusal names every wrong input at once: the words, the deadline (None: not a date and time) and the
    addressees.
    """
    loaded = for_change(session, actor, group_id)
    require(loaded.role, GroupAction.INSTRUCT, loaded.state)
    now, text = clock.now(), body.strip()
    reasons = _instruction_refusals(text, deadline_at, now)
    try:
        people = addressees(session, group_id, person_ids, unit_id)
    except InvalidInputError as wrong:
        reasons.append(wrong)
    if reasons or deadline_at is None:  # a missing deadline is one of the reasons
        raise InvalidInputError(
            "; ".join(reason.detail for reason in reasons),
            errors=[error for reason in reasons for error in reason.extra["errors"]],
        )
    touch(session, group_id, now)
    instruction = Instruction(
        group_id=group_id,
        body=text,
        deadline_at=deadline_at,
        issued_at=now,
        issued_by=actor.audit_name,
        issuer_person_id=actor.person_id,
        unit_id=unit_id,
    )
    session.add(instruction)
    session.flush()
    session.add_all(
        InstructionCopy(instruction_id=instruction.id, person_id=p, state=InstructionState.ISSUED.value) for p in people
    )
    add_entry(session, group_id, EntryKind.INSTRUCTED, actor=actor, at=now, body=text, instruction_id=instruction.id)
    schedule(
        session, [TimerSpec(kind=INSTRUCTION_DUE, subject_id=instruction.id, step="due", due_at=deadline_at)], now=now
    )
    audit.record_by(
        session,
        actor,
        "command_group.instruct",
        entity_type="command_group",
        entity_id=group_id,
        after={
            "instruction_id": instruction.id,
            "people": people,
            "unit_id": unit_id,
            "deadline_at": deadline_at.isoformat(),
        },
        at=now,
    )
    notify_members(
        session,
        loaded.group,
        recipients=people,
        event="instruction",
        title=Words("notice.group.instruction"),
        anchor="my-instructions",
        body=[text, Words("notice.group.instruction_due", {"due": When(deadline_at)})],  # by when, on the phone
        key=f"instruction:{instruction.id}",
        clock=clock,
        severity=Severity.YELLOW,
        exclude=actor.person_id,
    )
    commit(session)
    return instruction.id


def _my_copy(
    session: Session, actor: Actor, instruction_id: int, group_id: int | None
) -> tuple[Instruction, InstructionCopy, CommandGroup]:
    instruction = session.get(Instruction, instruction_id)
    if instruction is None or group_id not in {None, instruction.group_id}:
        raise NotFoundError(f"instruction {instruction_id} not found")
    loaded = for_change(session, actor, instruction.group_id)
    stmt = select(InstructionCopy).where(
        InstructionCopy.instruction_id == instruction_id, InstructionCopy.person_id == actor.person_id
    )
    copy = session.scalars(stmt).first()
    if copy is None:
        raise NotFoundError(f"instruction {instruction_id} is not addressed to you")
    if loaded.state == GroupState.CLOSED:
        raise ConflictError("the command group is closed")
    return instruction, copy, loaded.group


def answer_instruction(
    session: Session,
    *,
    instruction_id: int,
    to: InstructionState,
    reply: str,
    actor: Actor,
    clock: Clock,
    group_id: int | None = None,
    photo: CheckedPhoto | None = None,
    point: tuple[float, float] | None = None,
) -> InstructionState:
    """签收 or 办结: the addressee moves their copy on; finishing tells the issuer, with the reply.

    `group_id`, when given (the page's), must be the instruction's group (else 404). A photo and a place, when
    given, go with the answer's line on the timeline (the scene as it was left), and the issuer's notice says so.
    """
    instruction, copy, group = _my_copy(session, actor, instruction_id, group_id)
    state = step_instruction(InstructionState(copy.state), to)
    text = reply.strip()
    if to == InstructionState.DONE and not text:
        raise refused("reply", "group.error.reply", "say what was done")
    if len(text) > REPLY_LENGTH:
        raise refused("reply", "group.error.long_post", f"a reply is at most {REPLY_LENGTH:,} characters")
    now = clock.now()
    touch(session, group.id, now)
    was = copy.state  # read now: the ORM update below refreshes `copy` to the new state
    values: dict[str, object] = {"state": state.value}
    values |= {"acknowledged_at": copy.acknowledged_at or now}
    if state == InstructionState.DONE:
        values |= {"done_at": now, "reply": text}
    moved = session.execute(
        update(InstructionCopy).where(InstructionCopy.id == copy.id, InstructionCopy.state == was).values(**values)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError("the instruction was answered meanwhile")
    kind = EntryKind.DONE if state == InstructionState.DONE else EntryKind.ACKNOWLEDGED
    photo_id = store_photo(session, group.id, photo, actor=actor, at=now)
    entry = add_entry(
        session,
        group.id,
        kind,
        actor=actor,
        at=now,
        body=text or None,
        instruction_id=instruction_id,
        point=point,
        photo_id=photo_id,
    )
    audit.record_by(
        session,
        actor,
        f"command_group.instruction.{state.value}",
        entity_type="command_instruction",
        entity_id=instruction_id,
        before={"state": was},
        after={"state": state.value, "photo_id": photo_id, "point": list(point) if point else None},
        at=now,
    )
    if state == InstructionState.DONE and instruction.issuer_person_id is not None:
        shown: list[Part] = [text] + ([Words("notice.group.done_with_photo")] if photo_id is not None else [])
        shown += [Words("notice.group.done_with_place")] if point is not None else []
        notify_members(
            session,
            group,
            recipients=[instruction.issuer_person_id],
            event="instruction_done",
            title=Words("notice.group.instruction_done", {"name": actor.display_name}),
            anchor=f"entry-{entry.id}" if photo_id is not None or point is not None else "instructions",
            body=shown if len(shown) > 1 else text,
            key=f"instruction:{instruction_id}:done:{copy.id}",
            clock=clock,
            exclude=actor.person_id,
        )
    commit(session)
    return state


def fire_instruction_due(session: Session, timers: Sequence[DueTimer], now: datetime) -> None:
    """At an instruction's deadline: remind each addressee who has not finished, and tell the issuer who they are."""
    clock = FrozenClock(now)
    for timer in timers:
        instruction = session.get(Instruction, timer.subject_id)
        if instruction is None:
            continue
        group = session.get(CommandGroup, instruction.group_id)
        if group is None or group.state == GroupState.CLOSED.value:
            continue
        late = list(
            session.scalars(
                select(InstructionCopy.person_id).where(
                    InstructionCopy.instruction_id == instruction.id,
                    InstructionCopy.state != InstructionState.DONE.value,
                )
            )
        )
        if not late:
            continue
        issuer = instruction.issuer_person_id
        notify_members(
            session,
            group,
            recipients=[p for p in late if p != issuer],
            event="instruction_late",
            title=Words("notice.group.instruction_late"),
            anchor="my-instructions",
            body=instruction.body,
            key=f"instruction:{instruction.id}:late",
            clock=clock,
            severity=Severity.YELLOW,
        )
        if issuer is not None:
            names = "、".join(
                session.scalars(select(Person.name).where(Person.id.in_(late)).order_by(Person.id).limit(LATE_NAMED))
            )
            named = "notice.group.late_names_more" if len(late) > LATE_NAMED else "notice.group.late_names"
            notify_members(
                session,
                group,
                recipients=[issuer],
                event="instruction_late",
                title=Words("notice.group.late_count", {"n": len(late)}),
                anchor="instructions",
                body=[Words(named, {"names": names, "text": instruction.body})],
                key=f"instruction:{instruction.id}:late-issuer",
                clock=clock,
                severity=Severity.YELLOW,
            )
