"""How long before the harm the warnings came: the lead time of confirmed warnings, measured from the verdicts.

For each firm whose warning was confirmed (确有欠薪), the warning began in the first month of its unbroken
run of months graded yellow or worse that ends at the confirmed warning (at most `LOOKBACK` months back);
the harm showed in the month of the firm's first wage complaint (the complaints feed's `wage_complaint`)
from `BEFORE` months before that start on, or else in the month the check confirmed the arrears (local
time). The lead time is the months between the two: 0 is the same month, below 0 the warning came after a
complaint. Where only the check shows the harm, the figure is an upper bound: the wages may have gone
unpaid earlier. Three set-based reads (the confirmed firms, their graded months, their wage complaints),
then `warning_start` and `first_harm` per firm, which are pure.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Final

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from zhili.core.local_time import to_local
from zhili.core.months import Month
from zhili.early_warning.models import EarlyWarning, Enterprise, FirmEvent, RiskScore

CONFIRMED: Final = "confirmed_arrears"
LOOKBACK: Final = 12  # months of risk scores kept before a run (the firm page's chart)
BEFORE: Final = 3  # a wage complaint this many months before the warning began still counts: it came late
BUCKETS: Final = (
    (None, -1, "late"),
    (0, 0, "0"),
    (1, 1, "1"),
    (2, 2, "2"),
    (3, 3, "3"),
    (4, 6, "4-6"),
    (7, None, "7+"),
)
"""(lowest, highest, key) of the distribution's bars, in months; None is open-ended."""


class LeadBucket(BaseModel):
    """How many confirmed firms were warned this many months ahead (`key`: late, 0, 1, 2, 3, 4-6, 7+)."""

    key: str
    firms: int


class LeadTime(BaseModel):
    """The lead time of confirmed warnings: how many firms, the median in months, by complaint, the distribution."""

    firms: int  # firms with a confirmed warning (each counted once, at its first confirmed warning)
    by_complaint: int  # of them, those whose harm showed as a wage complaint (the rest: at the check)
    median_months: float | None
    buckets: list[LeadBucket]


def warning_start(confirmed: Month, graded: Collection[Month]) -> Month:
    """The first month of the unbroken run of graded months that ends at the confirmed warning's month."""
    start = confirmed
    while confirmed - start < LOOKBACK and start + -1 in graded:
        start += -1
    return start


def first_harm(start: Month, complaints: Iterable[Month], checked: Month) -> tuple[Month, bool]:
    """When the harm showed: the first wage complaint from `BEFORE` months before `start`, or else the check.

    With whether a complaint showed it (True) rather than the check.
    """
    complaint = min((month for month in complaints if month - start >= -BEFORE), default=None)
    if complaint is not None and complaint <= checked:
        return complaint, True
    return checked, False


def lead_time(session: Session, seen: ColumnElement[bool]) -> LeadTime:
    """The lead time of the confirmed warnings of the firms `seen` selects."""
    first = (
        select(
            EarlyWarning.enterprise_id.label("firm"),
            func.min(EarlyWarning.month).label("month"),
            func.min(EarlyWarning.verdict_at).label("checked_at"),
        )
        .join(Enterprise, Enterprise.id == EarlyWarning.enterprise_id)
        .where(seen, EarlyWarning.verdict == CONFIRMED)
        .group_by(EarlyWarning.enterprise_id)
        .subquery()
    )
    confirmed = {firm: (Month(month), checked_at) for firm, month, checked_at in session.execute(select(first))}
    if not confirmed:
        return LeadTime(firms=0, by_complaint=0, median_months=None, buckets=[])
    graded: dict[int, set[Month]] = defaultdict(set)
    scores = select(RiskScore.enterprise_id, RiskScore.month).join(
        first,
        and_(
            RiskScore.enterprise_id == first.c.firm,
            RiskScore.month < first.c.month,
            RiskScore.month >= first.c.month - LOOKBACK,
        ),
    )
    for firm, index in session.execute(scores.where(RiskScore.grade >= 1)):
        graded[firm].add(Month(index))
    complaints: dict[int, list[Month]] = defaultdict(list)
    events = select(FirmEvent.enterprise_id, FirmEvent.month).join(
        first, and_(FirmEvent.enterprise_id == first.c.firm, FirmEvent.month >= first.c.month - LOOKBACK - BEFORE)
    )
    for firm, index in session.execute(
        events.where(FirmEvent.feed == "complaints", FirmEvent.kind == "wage_complaint")
    ):
        complaints[firm].append(Month(index))
    leads: list[int] = []
    by_complaint = 0
    for firm, (warned, checked_at) in confirmed.items():
        checked = Month.containing(to_local(checked_at).date()) if checked_at else warned
        start = warning_start(warned, graded[firm])
        harm, complained = first_harm(start, complaints[firm], checked)
        by_complaint += complained
        leads.append(harm - start)
    return LeadTime(
        firms=len(leads),
        by_complaint=by_complaint,
        median_months=float(statistics.median(leads)),
        buckets=[
            LeadBucket(key=key, firms=sum(1 for lead in leads if _within(lead, low, high)))
            for low, high, key in BUCKETS
        ],
    )


def _within(lead: int, low: int | None, high: int | None) -> bool:
    return (low is None or lead >= low) and (high is None or lead <= high)
