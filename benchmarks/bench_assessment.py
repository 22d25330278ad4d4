"""The assessment's live month against a floor: one county's month scored from the record, on a demo database.

Usage: `python benchmarks/bench_assessment.py --database var/zhili-demo.sqlite` (a database `zhili demo`
built; `--url` for PostgreSQL). For each demo county and the last three months it times, in the same
run: the floor (one GROUP BY over the month's timeline lines of the county, picked from the index on
(`at`, `case_id`) as `month_events` picks them: the least any scoring must read; before schema 0033 it
joined each line's case, so its ratios are not comparable with earlier runs'), the live scores of all
subjects (every indicator, `months.compute`), one level (townships), one breakdown, and the frozen read
of a closed month; each the median of `--repeat`
runs, printed beside the floor as a ratio. The machine is shared: read the ratios, not the times.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("zhili") is None:
    sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from zhili.assessment import months  # noqa: E402
from zhili.assessment.model import SubjectKind  # noqa: E402
from zhili.assessment.models import AssessmentClose  # noqa: E402
from zhili.assessment.period import Month  # noqa: E402
from zhili.cases.models import Case, CaseEvent  # noqa: E402
from zhili.core.auth import Scope  # noqa: E402
from zhili.core.db import make_engine  # noqa: E402

COUNTIES = ("330802", "330825")


def _median(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _floor(session: Session, county: str, month: Month) -> object:
    """The county's lines of the month counted by kind, picked from the instant index as `month_events` picks them."""
    county_cases = select(Case.id).where(Case.place_code.like(f"{county}%"))
    statement = (
        select(CaseEvent.kind, func.count())
        .where(CaseEvent.at >= month.start, CaseEvent.at < month.end, (CaseEvent.case_id + 0).in_(county_cases))
        .group_by(CaseEvent.kind)
    )
    return session.execute(statement).all()


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path)
    parser.add_argument("--url")
    parser.add_argument("--now", default="2026-07-23T07:00:00+00:00", help="the demo's clock")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    engine = make_engine(args.url or f"sqlite:///{args.database}")
    now = datetime.fromisoformat(args.now).astimezone(UTC)
    everyone = Scope.everything()
    print(f"{'county':8} {'month':8} {'floor ms':>9} {'all ms':>8} {'×':>5} {'level ms':>9} {'×':>5} {'lines ms':>9}")
    with Session(engine) as session:
        for county in COUNTIES:
            for month in Month.of(now).back(3):
                floor = _median(args.repeat, lambda c=county, m=month: _floor(session, c, m))
                whole = _median(
                    args.repeat, lambda c=county, m=month: months.compute(session, c, m, now=now, scope=everyone)
                )
                level = _median(
                    args.repeat,
                    lambda c=county, m=month: months.compute(
                        session, c, m, now=now, scope=everyone, kind=SubjectKind.DIVISION
                    ),
                )
                lines = _median(
                    args.repeat,
                    lambda c=county, m=month: months.lines(session, c, m, SubjectKind.DIVISION, c, now=now),
                )
                print(
                    f"{county:8} {month!s:8} {floor:9.1f} {whole:8.1f} {whole / floor:5.1f} {level:9.1f}"
                    f" {level / floor:5.1f} {lines:9.1f}"
                )
        closed = session.scalars(select(AssessmentClose).limit(1)).first()
        if closed is not None:
            frozen = _median(
                args.repeat,
                lambda: months.month_scores(
                    session, closed.county_code, Month.parse(closed.month), now=now, scope=everyone
                ),
            )
            print(f"frozen read of {closed.county_code} {closed.month}: {frozen:.1f} ms")


if __name__ == "__main__":
    main()
