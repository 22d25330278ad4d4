"""The ranking's trend: a closed month reads as it did live, people out of sight are left out of it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.assessment.small_world import ANNA, BO, COUNTY
from tests.assessment.test_close_and_versions import ADMIN, DECEMBER, EAST_ROOM, NOVEMBER, NOW
from zhili.assessment import closing, months, queries
from zhili.assessment.model import SubjectKind
from zhili.assessment.scoring import PERSON, TOWNSHIP
from zhili.core.auth import Actor, Scope
from zhili.core.clock import FrozenClock


def _trend(session: Session, actor: Actor, level: str) -> dict[str, list[float | None]]:
    """The trend as the ranking page asks for it: with the month's ranking it has read already."""
    ranking = queries.ranking(session, actor, county=COUNTY, month=DECEMBER, level=level, now=NOW)
    return queries.trend(session, actor, county=COUNTY, month=DECEMBER, level=level, now=NOW, current=ranking)


def test_a_closed_month_reads_in_the_trend_as_it_read_live(small: Session) -> None:
    live = _trend(small, ADMIN, TOWNSHIP)
    november = months.month_scores(small, COUNTY, NOVEMBER, now=NOW, scope=Scope.everything())
    townships = {s.subject_id: s.total for s in november.scores if s.level == TOWNSHIP and s.rank}
    assert townships
    assert {key: values[-2] for key, values in live.items() if key != "mean"} == townships
    assert live["mean"][-2] == round(sum(townships.values()) / len(townships), 2)
    # before November nothing was counted: every township at full marks, unranked, and no point drawn
    assert live["mean"][:-2] == [None] * (queries.TREND_MONTHS - 2)
    assert all(values[:-2] == [None] * (queries.TREND_MONTHS - 2) for values in live.values())
    assert live["mean"][-1] is None  # nor in December so far

    closing.close_month(small, actor=ADMIN, clock=FrozenClock(NOW), county=COUNTY, month=NOVEMBER)
    assert _trend(small, ADMIN, TOWNSHIP) == live


def test_the_trend_leaves_out_people_out_of_sight_live_and_closed(small: Session) -> None:
    everyone = _trend(small, ADMIN, PERSON)
    assert {str(ANNA), str(BO)} <= everyone.keys()
    seen = months.month_scores(small, COUNTY, NOVEMBER, now=NOW, scope=EAST_ROOM.scope, kind=SubjectKind.PERSON)
    visible = {s.subject_id for s in seen.scores}
    assert str(ANNA) in visible
    assert str(BO) not in visible

    live = _trend(small, EAST_ROOM, PERSON)
    assert live.keys() - {"mean"} == visible
    closing.close_month(small, actor=ADMIN, clock=FrozenClock(NOW), county=COUNTY, month=NOVEMBER)
    assert _trend(small, EAST_ROOM, PERSON) == live
