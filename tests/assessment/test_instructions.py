"""Command-group instructions done by their deadline score people and their units (timeliness), worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from tests.assessment.small_world import ANNA, BO, COUNTY, EAST, OTHER_TOWNSHIP, POLICE, at
from zhili.assessment import months
from zhili.assessment.model import SubjectKind
from zhili.assessment.period import Month
from zhili.assessment.scoring import SubjectScore
from zhili.command_groups.models import CommandGroup, Instruction, InstructionCopy
from zhili.core.auth import Scope

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
NOVEMBER = Month(2026, 11)


def _group(session: Session, group_id: int, area: str) -> None:
    row = {
        "id": group_id,
        "title": "防汛",
        "summary": "",
        "area_code": area,
        "state": "active",
        "origin_kind": "manual",
        "opened_by": "x",
        "opened_at": at(1),
        "state_changed_at": at(1),
        "last_activity_at": at(1),
        "version": 1,
    }
    session.execute(insert(CommandGroup), [row])


def _instruction(session: Session, instruction_id: int, group_id: int, deadline: datetime) -> None:
    row = {
        "id": instruction_id,
        "group_id": group_id,
        "body": "排查",
        "deadline_at": deadline,
        "issued_at": at(1),
        "issued_by": "x",
    }
    session.execute(insert(Instruction), [row])


def _copy(session: Session, instruction_id: int, person: int, done: datetime | None) -> None:
    state = "done" if done else "acknowledged"
    row = {"instruction_id": instruction_id, "person_id": person, "state": state, "done_at": done}
    session.execute(insert(InstructionCopy), [row])


@pytest.fixture
def instructed(small: Session) -> Session:
    """November: Bo finishes one instruction on time and one late; Anna never finishes hers."""
    _group(small, 1, EAST)
    _instruction(small, 1, 1, at(20))
    _copy(small, 1, BO, at(19))
    _copy(small, 1, ANNA, None)
    _instruction(small, 2, 1, at(21))
    _copy(small, 2, BO, at(22))
    _instruction(small, 3, 1, datetime(2026, 12, 20, tzinfo=UTC))  # December's, and not yet due
    _copy(small, 3, BO, None)
    _group(small, 2, OTHER_TOWNSHIP)  # another county
    _instruction(small, 4, 2, at(20))
    _copy(small, 4, BO, None)
    return small


def _scores(session: Session) -> dict[tuple[str, str], SubjectScore]:
    found = months.month_scores(session, COUNTY, NOVEMBER, now=NOW, scope=Scope.everything())
    return {(s.kind.value, s.subject_id): s for s in found.scores}


def test_instructions_done_late_or_never_cost_their_addressees_and_units(instructed: Session) -> None:
    scores = _scores(instructed)
    assert scores["person", str(BO)].total == 82.5  # 87.5 before: one of two late, -10/2
    assert scores["person", str(ANNA)].total == 57.5  # 67.5 before: her one copy never done, -10
    assert scores["unit", str(POLICE)].total == 70.5  # 73.0 before: Bo's unit, one of two late, -5/2
    assert scores["unit", str(POLICE)].dimensions["timeliness"] == 20.0


def test_each_late_copy_is_a_line_naming_the_instruction(instructed: Session) -> None:
    lines = months.lines(instructed, COUNTY, NOVEMBER, SubjectKind.PERSON, str(BO), now=NOW)
    copies = [(line.indicator, line.event_kind, line.points) for line in lines if line.event_kind == "instruction"]
    assert [copy for copy in copies if copy[2]] == [("person_instructions_on_time", "instruction", -5.0)]
    assert len(copies) > 1  # the copies done on time are listed too, at no cost
