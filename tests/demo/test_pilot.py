"""The demo's parking pilot in 府山街道: its start, its parameters, and the effects recovered from the record alone."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import START, World

from zhili.analytics.before_after import Comparison, Sample, Verdict, compare, pool
from zhili.cases.models import Case
from zhili.cases.schemas import CITIZEN_CHANNELS
from zhili.demo.pilot import PHONE, ParkingPilot, Quota, parking_pilot, pilot_start
from zhili.demo.plan import YEAR
from zhili.org.models import Division

CONTROLS = {"330802005", "330802007", "330802008", "330802009", "330802010", "330802012", "330802013"}
MONTH = timedelta(days=365.25 / 12)


def test_the_pilot_starts_on_the_first_of_the_month_five_months_before_now() -> None:
    assert pilot_start(datetime(2026, 12, 3, 14, 45, tzinfo=UTC)) == datetime(2026, 6, 30, 16, 0, tzinfo=UTC)
    assert pilot_start(START) == datetime(2026, 1, 31, 16, 0, tzinfo=UTC)  # 1 February, Beijing time
    assert pilot_start(datetime(2026, 3, 31, 17, 0, tzinfo=UTC)) == datetime(2025, 10, 31, 16, 0, tzinfo=UTC)


def test_the_pilot_carries_the_seed_figures_and_touches_only_its_cases() -> None:
    pilot = parking_pilot(START)
    assert (pilot.handling_change, pilot.volume_change, pilot.complaint_change) == (-0.667, -0.221, -0.40)
    assert pilot.pace == 1 - 0.667
    after = pilot.start + timedelta(days=1)
    assert pilot.is_piloted("illegal_parking", "330802006001001", after)
    assert not pilot.is_piloted("illegal_parking", "330802006001001", pilot.start - timedelta(seconds=1))
    assert not pilot.is_piloted("illegal_parking", "330802005001001", after)
    assert not pilot.is_piloted("urban_noise", "330802006001001", after)
    assert "2026-02-01" in pilot.describe()
    assert "-66.7%" in pilot.describe()


def test_the_pilots_shares_are_taken_exactly() -> None:
    pilot = parking_pilot(START)
    thinning = pilot.thinning(random.Random(1))
    assert sum(thinning.take() for _ in range(1000)) in {220, 221, 222}
    switching = Quota(0.4, 0.0)
    channels = [pilot.channel("hotline", frozenset({"hotline"}), switching) for _ in range(10)]
    assert channels.count(PHONE) == 4
    assert pilot.channel("api", frozenset({"hotline"}), Quota(1.0, 0.0)) == "api"


def _comparison(session: Session, pilot: ParkingPilot, now: datetime) -> Comparison:
    """Sum the planned parking cases of 府山 and the controls, before and after the start, into samples."""
    rows = session.execute(
        select(Case.place_code, Case.created_at, Case.closed_at, Case.channel).where(
            Case.matter_code == pilot.matter, Case.place_code.like(f"{pilot.county}%"), Case.created_at < now
        )
    )
    sums: dict[tuple[str, bool], list[float]] = defaultdict(lambda: [0, 0, 0, 0.0, 0.0])
    for place, created_at, closed_at, channel in rows:
        township = place[:9]
        if township != pilot.township and township not in CONTROLS:
            continue
        cell = sums[(township, created_at >= pilot.start)]
        cell[0] += 1
        cell[1] += channel in CITIZEN_CHANNELS
        if closed_at is not None:
            log_hours = math.log((closed_at - created_at) / timedelta(hours=1))
            cell[2] += 1
            cell[3] += log_hours
            cell[4] += log_hours**2
    months = {False: (pilot.start - (now - YEAR)) / MONTH, True: (now - pilot.start) / MONTH}

    def sample(township: str, after: bool) -> Sample:
        cases, complaints, handled, logs, squares = sums[(township, after)]
        return Sample(months[after], int(cases), int(complaints), int(handled), logs, squares)

    return compare(
        sample(pilot.township, after=False),
        sample(pilot.township, after=True),
        pool(sample(t, after=False) for t in sorted(CONTROLS)),
        pool(sample(t, after=True) for t in sorted(CONTROLS)),
    )


def test_the_controls_are_kechengs_other_subdistricts(sqlite_world: World) -> None:
    with Session(sqlite_world.engine) as session:
        subdistricts = session.scalars(
            select(Division.code).where(
                Division.level == "township", Division.code.like("330802%"), Division.name.like("%街道")
            )
        )
        assert set(subdistricts) - {parking_pilot(START).township} == CONTROLS


def test_the_analysis_recovers_the_seed_effects_from_the_record(sqlite_world: World) -> None:
    pilot = parking_pilot(START)
    with Session(sqlite_world.engine) as session:
        result = _comparison(session, pilot, START)
    seed = {"handling_time": pilot.handling_change, "volume": pilot.volume_change}
    seed["complaint_rate"] = pilot.complaint_change
    for measure in result.measures:
        did = measure.did
        assert did is not None
        assert did.covers(seed[measure.measure]), (measure.measure, did.change, did.low, did.high)
    assert result.handling_time.effect.verdict is Verdict.DOWN
    assert result.handling_time.effect.high < -0.5
