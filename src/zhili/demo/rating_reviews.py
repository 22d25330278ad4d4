"""The demo's call-backs on rated parking cases in 柯城区 (回访复核): a few ratings upheld, a few overturned.

The centre that dispatched the case calls the reporter back a day or two after the rating and writes
the line `cases.rating_review` would write (`rating_upheld` / `rating_overturned`, with the rating, the
reason and the lead unit), so that 柯城区's units and its centre show 被推翻评价 in their breakdowns.
Whether and when a case is reviewed is drawn from a generator of its own, seeded by its id, never from
the case's life: every other figure of the demo year (the parking pilot's included) is the same with
or without the reviews.
"""

from __future__ import annotations

import random

from zhili.cases import states
from zhili.demo.lives import Life, Row
from zhili.org.division_code import DivisionCode, DivisionLevel

MATTER = "illegal_parking"
COUNTY = "330802"  # 柯城区
OVERTURNED = 0.008  # of its rated parking cases, the share whose rating the centre overturns
UPHELD = 0.02  # and the share it calls back and upholds
OVERTURN_WHY = (
    "回访核实：车辆仍在原处违停，问题未解决，满意评价不实",
    "回访发现群众系在处置人员催促下给出满意评价",
    "现场抽查：违停反复出现，整改未落实到位",
)
UPHOLD_WHY = ("电话回访，群众确认问题已解决", "现场抽查属实，评价有效")


def review_rating(life: Life) -> None:
    """Maybe call the reporter back on a just-rated case and record the review (never after "now")."""
    county = DivisionCode(life.cast.township[0]).at(DivisionLevel.COUNTY).value
    rating = life.state.rating
    if life.definition.code != MATTER or county != COUNTY or life.state.status is not states.CaseStatus.RATED:
        return
    rng = random.Random(f"rating-review:{life.case_id}")  # noqa: S311 - a demo's draw, not a secret
    draw = rng.random()
    if draw >= OVERTURNED + UPHELD or rating is None:
        return
    outcome, reasons = ("overturned", OVERTURN_WHY) if draw < OVERTURNED else ("upheld", UPHOLD_WHY)
    at = life.later(life.at, rng.uniform(4, 60))
    if at > life.now:
        return
    details: Row = {
        "outcome": outcome,
        "rating": rating.value,
        "reason": rng.choice(reasons),
        "lead_unit_id": life.lead_unit_id,
    }
    life.side(f"rating_{outcome}", at, life.cast.dispatcher, frozenset({states.Party.DISPATCHER}), details)
