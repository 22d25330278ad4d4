"""Command-group instructions as scored facts for the assessment: each addressee's copy done by its deadline.

The same columns as `cases.record_queries` (`subject_id`, `case_id`, `case_number`, `event_kind`,
`at`, `ref`, `bad`, `value`), so the assessment puts them in its `UNION ALL`. A copy counts in the
month its instruction's deadline falls in, once the deadline has passed; it is bad when it was not
done by then. Instructions of a group closed before their deadline do not count. The subject is
the addressee (a person) or the unit they serve in (their first post's department; addressees
without one score no unit). Groups count where their area lies in the county.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, String, and_, case, cast, literal, null, or_, select

from zhili.command_groups.lifecycle import InstructionState
from zhili.command_groups.models import CommandGroup, Instruction, InstructionCopy
from zhili.org.division_code import DivisionCode
from zhili.org.models import Position

PERSON, UNIT = "person", "unit"
EVENT = "instruction"


def _unit_of_addressee() -> ColumnElement[Any]:
    """The department of the addressee's first post that has one (NULL when none)."""
    return (
        select(Position.department_id)
        .where(Position.person_id == InstructionCopy.person_id, Position.department_id.is_not(None))
        .order_by(Position.id)
        .limit(1)
        .correlate(InstructionCopy)
        .scalar_subquery()
    )


def instruction_facts(
    *, subject: str, county: str, since: datetime, until: datetime, now: datetime | ColumnElement[datetime]
) -> Select[Any]:
    """Copies whose deadline fell in [since, until) and has passed, in groups of the county; bad when late."""
    copy, instruction = InstructionCopy, Instruction
    subject_id: ColumnElement[Any]
    if subject == PERSON:
        subject_id = cast(copy.person_id, String)
    elif subject == UNIT:
        subject_id = cast(_unit_of_addressee(), String)
    else:
        raise ValueError(f"instructions do not score a {subject}")
    done = copy.state == InstructionState.DONE.value
    late = or_(~done, copy.done_at.is_(None), copy.done_at > instruction.deadline_at)
    facts = (
        select(
            subject_id.label("subject_id"),
            cast(null(), Integer).label("case_id"),
            cast(null(), String).label("case_number"),
            literal(EVENT).label("event_kind"),
            instruction.deadline_at.label("at"),
            ("instruction:" + cast(copy.id, String)).label("ref"),
            case((late, 1), else_=0).label("bad"),
            literal(0.0).label("value"),
        )
        .join(instruction, instruction.id == copy.instruction_id)
        .join(CommandGroup, CommandGroup.id == instruction.group_id)
        .where(
            and_(instruction.deadline_at >= since, instruction.deadline_at < until, instruction.deadline_at <= now),
            DivisionCode(county).subtree(CommandGroup.area_code),
            # A group closed before the deadline took the instruction with it: nobody could answer it after.
            or_(CommandGroup.closed_at.is_(None), CommandGroup.closed_at > instruction.deadline_at),
        )
    )
    if subject == UNIT:
        facts = facts.where(_unit_of_addressee().is_not(None))
    return facts
