"""The demo's parking pilot: 城区机动车违停治理一件事 in 府山街道, with the seed's effects as generator parameters.

The seed reports that since the reform was piloted in 柯城区府山街道 (from July), illegal parking's
average handling time fell by 66.7 %, its volume by 22.1 % year on year, and the complaint rate by
about 40 %. The demo plays this back: from the first of the month five months before the demo's
"now", the illegal-parking cases of 府山街道 are handled at a third of the pace's delays (every delay of
the case's life scaled), 22.1 % of them are never reported (thinned), and 40 % of the citizens'
reports (hotline, web, Open311: complaints) become reports by the grid worker (channel "phone").
Kecheng's other subdistricts (街道) are the control and stay as they were.

So that the analysis has cases to work with, Kecheng's subdistricts get their own stream of parking
reports (府山 about 38 a month before the pilot, each control about 23), in place of the few the
year's general stream would put there; the general stream keeps its `DEMO_CASES`. The stream's
report times are stratified (one in each equal share of the year's density, jittered) and the
pilot's shares are taken exactly (`Quota`), so its monthly counts are steadier than Poisson counts:
the volume's interval, which assumes Poisson, is then on the safe side, and a demo built on any day
shows the seed's volume change rather than a draw that may hide it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy.orm import Session

from zhili.analytics.pilots import Pilot, PilotIn, register_pilot
from zhili.core.auth import Actor
from zhili.core.months import Month
from zhili.org.division_code import DivisionCode
from zhili.org.queries import child_divisions

CHINA = timezone(timedelta(hours=8))
MONTHS_BEFORE_NOW = 5  # the pilot starts on the first of the month five months before the demo's now
PHONE = "phone"  # a grid worker's report through the app


@dataclass(slots=True)
class Quota:
    """Takes a share of the items it is asked about, exactly (error diffusion from a random phase).

    Steadier than a coin per item: 22.1 % of the reports are left out, not 22.1 % give or take chance.
    """

    share: float
    debt: float

    def take(self) -> bool:
        """Whether this item is one of the share."""
        self.debt += self.share
        if self.debt >= 1:
            self.debt -= 1
            return True
        return False


def pilot_start(now: datetime) -> datetime:
    """PILOT_START: midnight (Beijing time) on the first of the month `MONTHS_BEFORE_NOW` months before `now`."""
    local = now.astimezone(CHINA)
    months = local.year * 12 + local.month - 1 - MONTHS_BEFORE_NOW
    return datetime(months // 12, months % 12 + 1, 1, tzinfo=CHINA).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ParkingPilot:
    """The pilot's parameters: where, from when, its effects (the seed's figures) and the parking stream."""

    start: datetime  # PILOT_START, from `pilot_start(now)`
    matter: str = "illegal_parking"
    township: str = "330802006"  # 府山街道
    county: str = "330802"  # 柯城区: its other subdistricts are the control
    handling_change: float = -0.667  # 平均处置时长缩短66.7%: every delay of a case's life × (1 − 0.667)
    volume_change: float = -0.221  # 违停总量同比减少22.1%: that share of the reports is never made
    complaint_change: float = -0.40  # 投诉率下降约40%: that share of citizens' reports come from grid workers
    pilot_per_year: int = 500  # parking reports a year in the pilot township without the pilot (~38 a month early on)
    control_per_year: int = 300  # in each control subdistrict (pooled, the control is 4 times the pilot)

    @property
    def pace(self) -> float:
        """The factor on every delay of a piloted case's life."""
        return 1 + self.handling_change

    def is_piloted(self, matter: str, grid: str, reported_at: datetime) -> bool:
        """Whether a case is under the pilot: the matter, in the township, reported from the start on."""
        return matter == self.matter and reported_at >= self.start and grid.startswith(self.township)

    def streams_in(self, matter: str, township: str) -> bool:
        """Whether the parking stream, not the general one, reports this matter in this township."""
        return matter == self.matter and township.startswith(self.county)

    def yearly(self, township: str, scale: float) -> int:
        """Parking reports a year in one of the county's subdistricts (scaled with the demo's size)."""
        per_year = self.pilot_per_year if township == self.township else self.control_per_year
        return round(per_year * scale)

    def thinning(self, rng: random.Random) -> Quota:
        """Which piloted reports are never made: the volume change's share of them, exactly."""
        return Quota(-self.volume_change, rng.random())

    def switching(self, rng: random.Random) -> Quota:
        """Which piloted citizens' reports the grid worker makes instead: the complaint change's share."""
        return Quota(-self.complaint_change, rng.random())

    def channel(self, channel: str, citizen_channels: frozenset[str], switching: Quota) -> str:
        """A piloted report's channel: a share of citizens' reports become the grid worker's."""
        return PHONE if channel in citizen_channels and switching.take() else channel

    def describe(self) -> str:
        """One line for the build log."""
        township = DivisionCode(self.township).value
        return (
            f"parking pilot in {township} from {self.start.astimezone(CHINA):%Y-%m-%d}: "
            f"handling time {self.handling_change:+.1%}, volume {self.volume_change:+.1%}, "
            f"complaint rate {self.complaint_change:+.1%}; stream {self.pilot_per_year}/year in the pilot, "
            f"{self.control_per_year}/year in each other subdistrict of {self.county}"
        )


def parking_pilot(now: datetime) -> ParkingPilot:
    """The demo's pilot for a demo built at `now`."""
    return ParkingPilot(start=pilot_start(now))


def register_demo_pilot(session: Session, pilot: ParkingPilot, *, actor: Actor, now: datetime) -> Pilot:
    """Register the pilot the demo plays back, with the county's other subdistricts as controls.

    Its reported effects are the seed's figures, so the comparison page can say whether the record
    bears them out.
    """
    controls = tuple(
        d.code for d in child_divisions(session, pilot.county) if d.name.endswith("街道") and d.code != pilot.township
    )
    local = pilot.start.astimezone(CHINA)
    return register_pilot(
        session,
        actor,
        PilotIn(
            name="城区机动车违停治理一件事（府山街道试点）",
            matter=pilot.matter,
            area=pilot.township,
            controls=controls,
            start=Month.of(local.year, local.month),
            reported_handling=pilot.handling_change,
            reported_volume=pilot.volume_change,
            reported_complaints=pilot.complaint_change,
        ),
        now=now,
    )
