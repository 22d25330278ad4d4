"""What counting takes from one case (`fact_of`), and the handling-time histogram. Pure.

Definitions (docs/reference/kpis.md):
- a case is **closed** (办结) once it reached 已办结, 已评价 or 已归档 after a close; **rejected** (不予受理)
  cases, archived or not, are reports found invalid and leave the closure and on-time rates;
- **handling time** runs from the report to the close, in hours;
- a closed case is **on time** (按期办结) when its handling (办理) never ended after it was due; late
  acceptance, signing and verification count in `phases_late` and in the assessment's timeliness;
- a **complaint** (群众投诉) is a case a citizen reported (12345 hotline, the web form, Open311);
- a rating is **satisfied** at 非常满意, 满意 or 基本满意.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Final

from zhili.analytics.models import BUCKETS
from zhili.cases.history import CaseRecord
from zhili.cases.schemas import CITIZEN_CHANNELS
from zhili.core.months import Month
from zhili.org.division_code import DivisionCode, DivisionLevel

CHINA: Final = timezone(timedelta(hours=8))
CLOSED: Final = frozenset({"closed", "rated", "archived"})
REJECTED: Final = "rejected"
ARCHIVED: Final = "archived"  # after a close, or after a rejection (then never closed)
SATISFIED: Final = frozenset({"very_satisfied", "satisfied", "basically_satisfied"})
FIRST_EDGE_HOURS: Final = 0.5
RATIO: Final = 1.3
MINUTE_HOURS: Final = 1 / 60
HOUR: Final = timedelta(hours=1)


def month_of(at: datetime) -> Month:
    """The month an instant falls in, in Quzhou's local time."""
    local = at.astimezone(CHINA)
    return Month.of(local.year, local.month)


def bucket_of(hours: float) -> int:
    """The histogram bucket of a handling time: [0.5·1.3^k, 0.5·1.3^(k+1)) hours, the ends open."""
    if hours < FIRST_EDGE_HOURS * RATIO:
        return 0
    return min(BUCKETS - 1, int(math.log(hours / FIRST_EDGE_HOURS) / math.log(RATIO)))


def bucket_edges(k: int) -> tuple[float, float]:
    """The lower and upper edge of bucket `k`, in hours (bucket 0 starts at 0)."""
    low = 0.0 if k == 0 else FIRST_EDGE_HOURS * RATIO**k
    return low, FIRST_EDGE_HOURS * RATIO ** (k + 1)


def percentile(histogram: list[int], share: float) -> float | None:
    """The handling time below which `share` of the cases fall, interpolated within its bucket.

    Linear within a bucket; the buckets are 30 % wide, so the figure is within a few per cent of the
    exact one. None when the histogram is empty.
    """
    total = sum(histogram)
    if total == 0:
        return None
    target, seen = share * total, 0
    for k, n in enumerate(histogram):
        if n and seen + n >= target:
            low, high = bucket_edges(k)
            return low + (high - low) * (target - seen) / n
        seen += n
    return bucket_edges(len(histogram) - 1)[1]


def fact_of(record: CaseRecord) -> dict[str, object]:
    """The `case_facts` row of a case."""
    code = DivisionCode.parse(record.place_code)
    township = code.at_most(DivisionLevel.TOWNSHIP) if code else None
    county = code.at_most(DivisionLevel.COUNTY) if code else None
    closed = record.status in CLOSED and record.closed_at is not None
    rejected = record.status == REJECTED or (record.status == ARCHIVED and record.closed_at is None)
    hours = max((record.closed_at - record.created_at) / HOUR, MINUTE_HOURS) if closed and record.closed_at else None
    rated = record.rating is not None
    return {
        "case_id": record.id,
        "month": month_of(record.created_at).index,
        "county_code": county.value if county else record.place_code,
        "township_code": township.value if township else record.place_code,
        "matter_code": record.matter_code,
        "unit_id": record.unit_id,
        "channel": record.channel,
        "status": record.status,
        "is_open": int(not closed and not rejected),
        "is_rejected": int(rejected),
        "is_closed": int(closed),
        "is_complaint": int(record.channel in CITIZEN_CHANNELS),
        "is_rated": int(rated),
        "is_satisfied": int(rated and record.rating in SATISFIED),
        "is_on_time": int(closed and record.handles_late == 0),
        "is_reopened": int(record.reopen_count > 0),
        "is_reworked": int(record.rework_count > 0),
        "is_returned": int(record.returns > 0),
        "phases_ended": record.phases_ended,
        "phases_late": record.phases_late,
        "reported_at": record.created_at,
        "closed_at": record.closed_at if closed else None,
        "hours": hours,
        "log_hours": math.log(hours) if hours is not None else None,
        "bucket": bucket_of(hours) if hours is not None else None,
    }
