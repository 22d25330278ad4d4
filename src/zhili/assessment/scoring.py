"""Scores from the scored facts: one GROUP BY per county and month, then each subject's dimensions and rank.

An indicator scores `weight + the sum of its points`, never below 0 (a counted indicator is capped
at its weight); a dimension is the sum of its indicators; the total adds the cards' (negative)
points and is never below 0. Subjects are ranked within their level (townships of a county, the
county's department units, its people) by total, ties sharing a rank (1, 1, 3). A subject with nothing
counted in the month stands at full marks but is not ranked (rank 0, listed after the ranked): a unit
that handled nothing is not placed above one that worked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from zhili.assessment.facts import Frame, scored_facts, unbound_frame
from zhili.assessment.model import DIMENSIONS, AssessmentModel, Indicator, SubjectKind
from zhili.assessment.period import Month
from zhili.org.division_code import DivisionCode, DivisionLevel


class RankedLevel(StrEnum):
    """The levels a county's month is ranked in: its townships, its department units, its people."""

    TOWNSHIP = "township"
    DEPARTMENT = "department"
    PERSON = "person"


TOWNSHIP, DEPARTMENT, PERSON = RankedLevel.TOWNSHIP, RankedLevel.DEPARTMENT, RankedLevel.PERSON
COUNTY = "county"  # the county's own division: scored, but no ranking is asked for at its level
LEVELS = tuple(RankedLevel)


@dataclass(frozen=True)
class Tally:
    """One indicator of one subject in the month: events counted, bad ones, and the sum of their points."""

    events: int
    bad: int
    points: float


@dataclass
class SubjectScore:
    """A subject's month: points per dimension, the cards' points, the total and its rank in its level."""

    kind: SubjectKind
    subject_id: str
    level: str
    name: str = ""
    dimensions: dict[str, float] = field(default_factory=dict)
    penalty: float = 0.0
    total: float = 0.0
    full_marks: float = 0.0
    events: int = 0  # the indicators' events counted (each a line of the breakdown)
    rank: int = 0
    cards: int = 0  # the cards (黄牌, 红牌 …) counted against it

    @property
    def is_counted(self) -> bool:
        """Whether anything was counted in the month (an event or a card): only then is it ranked."""
        return bool(self.events or self.cards)

    @property
    def key(self) -> str:
        """The subject as `kind:id` (a unit's id and a person's may be the same number)."""
        return subject_key(self.kind, self.subject_id)


def subject_key(kind: SubjectKind, subject_id: str) -> str:
    """`kind:id`, how the reader's own subjects are named (`assessment.queries.own_subjects`)."""
    return f"{kind.value}:{subject_id}"


def tallies(
    session: Session, model: AssessmentModel, frame: Frame, kind: SubjectKind | None = None
) -> dict[tuple[str, str, str], Tally]:
    """(subject kind, subject id, indicator) → its tally, from one GROUP BY over the month's facts (of one kind)."""
    return {
        (kind, str(subject), indicator): Tally(int(n), int(bad), float(points))
        for kind, subject, indicator, n, bad, points in session.execute(
            _tallied(model, *frame.window, kind), frame.params
        )
    }


@lru_cache(maxsize=64)
def _tallied(model: AssessmentModel, county: str, month: Month, kind: SubjectKind | None) -> Select[Any]:
    """The GROUP BY of `tallies`, built once per model, county, month and kind (as `scored_facts`; its key too)."""
    facts = scored_facts(model, unbound_frame(county, month), kind).subquery()
    return select(
        facts.c.subject_kind,
        facts.c.subject_id,
        facts.c.indicator,
        func.count(),
        func.coalesce(func.sum(facts.c.bad), 0),
        func.coalesce(func.sum(facts.c.points), 0.0),
    ).group_by(facts.c.subject_kind, facts.c.subject_id, facts.c.indicator)


@dataclass(frozen=True)
class _KindRules:
    """What scores one kind of subject under a model: its indicators, its cards and its full marks."""

    indicators: tuple[Indicator, ...]
    cards: tuple[str, ...]
    full_marks: float

    @classmethod
    def of(cls, model: AssessmentModel, kind: SubjectKind) -> _KindRules:
        cards = tuple(p.action for p in model.penalties if p.subject is kind)
        return cls(model.indicators_of(kind), cards, model.full_marks(kind))


_NOTHING = Tally(0, 0, 0.0)


def _score(rules: _KindRules, score: SubjectScore, found: dict[str, Tally]) -> SubjectScore:
    """Fill in a subject's dimensions, penalty and total from its tallies under its kind's rules (pure)."""
    dimensions = dict.fromkeys(DIMENSIONS, 0.0)
    for indicator in rules.indicators:
        tally = found.get(indicator.key, _NOTHING)
        dimensions[indicator.dimension] += max(indicator.weight + tally.points, 0.0)
        score.events += tally.events
    cards = [found[action] for action in rules.cards if action in found]
    penalty = sum(card.points for card in cards)
    score.cards = sum(card.events for card in cards)
    score.full_marks = rules.full_marks
    score.total = round(max(sum(dimensions.values()) + penalty, 0.0), 2)
    score.dimensions = {key: round(value, 2) for key, value in dimensions.items()}
    score.penalty = round(penalty, 2)
    return score


def rank(scores: list[SubjectScore]) -> list[SubjectScore]:
    """Rank each level by total, highest first; equal totals share a rank; nothing counted, no rank (0), last."""
    ranked: list[SubjectScore] = []
    by_level: defaultdict[str, list[SubjectScore]] = defaultdict(list)
    for score in scores:
        by_level[score.level].append(score)
    for level in by_level.values():
        counted = sorted((s for s in level if s.is_counted), key=lambda s: (-s.total, s.name, s.subject_id))
        for index, score in enumerate(counted):
            same = index and counted[index - 1].total == score.total
            score.rank = counted[index - 1].rank if same else index + 1
        idle = sorted((s for s in level if not s.is_counted), key=lambda s: (s.name, s.subject_id))
        for score in idle:
            score.rank = 0
        ranked += counted + idle
    return ranked


def score_month(
    model: AssessmentModel, found: dict[tuple[str, str, str], Tally], universe: dict[tuple[SubjectKind, str], Any]
) -> list[SubjectScore]:
    """Every subject of the universe (kind, id → level) and every subject with facts, scored and ranked."""
    per_subject: defaultdict[tuple[str, str], dict[str, Tally]] = defaultdict(dict)
    for (kind, subject, indicator), tally in found.items():
        per_subject[kind, subject][indicator] = tally
    keys = {(kind.value, subject) for kind, subject in universe} | set(per_subject)
    rules = {kind: _KindRules.of(model, kind) for kind in SubjectKind}
    scores = []
    for kind_value, subject in sorted(keys):
        kind = SubjectKind(kind_value)
        level = universe.get((kind, subject)) or _level_of(kind, subject)
        scores.append(
            _score(rules[kind], SubjectScore(kind, subject, level), per_subject.get((kind_value, subject), {}))
        )
    return rank(scores)


def _level_of(kind: SubjectKind, subject: str) -> str:
    if kind is SubjectKind.UNIT:
        return DEPARTMENT
    if kind is SubjectKind.PERSON:
        return PERSON
    return TOWNSHIP if DivisionCode(subject).level is DivisionLevel.TOWNSHIP else COUNTY


__all__ = ["COUNTY", "DEPARTMENT", "LEVELS", "PERSON", "TOWNSHIP", "RankedLevel", "SubjectScore", "Tally"]
