"""Before / after: a pilot area's change over its baseline, and against a control area (difference in differences).

Pure statistics over additive summaries; no database, no I/O. Each area and period is summed into a
`Sample` (months, cases, complaints, closed cases and the sums of ln(handling hours) and its square);
`compare` turns four of them (pilot before and after, control before and after; the control is
optional) into three measures, each on the log scale, reported as a relative change
(exp(estimate) − 1, e.g. −0.667) with a confidence interval:

- **volume** (cases per month): cases are Poisson counts, so ln(rate after / rate before) has the
  variance 1/cases_after + 1/cases_before (the delta method; the months are exposure, known exactly).
- **handling time** (reported → closed, of the closed cases): handling hours are taken as log-normal,
  so the mean of ln(hours) estimates the log of the geometric mean; the change is the ratio of the
  geometric means. The variance of each mean is s²/n from the sample variance of ln(hours); the
  interval is Student's t with Welch–Satterthwaite degrees of freedom. When the spread of ln(hours)
  stays the same before and after (a change that scales every delay by one factor), the ratio of
  geometric means is also the ratio of the arithmetic means.
- **complaint rate** (群众投诉: cases reported by citizens, per case): ln(share after / share before)
  with the binomial delta-method variance 1/complaints − 1/cases for each share.

With a control, each measure's difference in differences is the pilot's log change minus the
control's, with the four variances added: the pilot's effect net of what changed everywhere.

Assumptions, which the page should state beside the figures:

- **Parallel trends**: without the pilot, the pilot area's log measures would have moved as the
  control's did (season, growth of reporting, a new rule applied everywhere). Choose a control
  of the same kind (e.g. the county's other subdistricts) and the same periods.
- **Independence**: cases are independent events (Poisson volume, binomial complaint share);
  clustered reports (one blocked street reported ten times) make the intervals too narrow.
- **Log-normal handling times**: the t interval on the mean of ln(hours) is robust to a moderate
  departure from log-normality once a sample has some tens of closed cases.
- **Censoring**: handling time is known only for closed cases; cases still open when the figures
  are taken are left out, which biases a recent period towards quick cases. Compare periods whose
  cases have (nearly) all closed: leave out the last weeks when handling takes weeks.
- **Large samples**: the intervals are asymptotic; a sample with no cases, no complaints or fewer
  than two closed cases has no interval, and `compare` refuses it with `NotEnoughDataError`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from zhili.core.errors import InvalidInputError

LEVEL = 0.95


class NotEnoughDataError(InvalidInputError):
    """A sample cannot carry a measure (no cases, no complaints, fewer than two closed cases) or is inconsistent."""

    title = "Not enough data"
    type_slug = "not-enough-data"


class Measure(StrEnum):
    """What is compared."""

    VOLUME = "volume"  # cases per month
    HANDLING_TIME = "handling_time"  # hours from report to close (geometric mean)
    COMPLAINT_RATE = "complaint_rate"  # citizens' reports per case


class Verdict(StrEnum):
    """A change in plain words: significantly down or up, or no clear change (the interval spans 0)."""

    DOWN = "down"
    UP = "up"
    UNCLEAR = "unclear"


@dataclass(frozen=True, slots=True)
class Sample:
    """One area over one period: each field a sum of monthly summary cells (over the months, or the areas)."""

    months: float  # length of the period in months (volume is compared per month)
    cases: int  # cases reported in the period
    complaints: int  # of which reported by citizens (hotline, web, Open311): 群众投诉
    handled: int  # of the cases, those closed (with a handling time, reported → closed)
    log_hours: float  # sum of ln(handling hours) over the handled cases
    log_hours_sq: float  # sum of ln(handling hours)² over the handled cases


def pool(samples: Iterable[Sample]) -> Sample:
    """Several areas over the same period as one area (counts and sums added, the months kept)."""
    parts = list(samples)
    if not parts:
        raise NotEnoughDataError("no samples to pool")
    if any(not math.isclose(part.months, parts[0].months, rel_tol=1e-9) for part in parts):
        raise NotEnoughDataError("pooled areas must cover the same months")
    return Sample(
        months=parts[0].months,
        cases=sum(p.cases for p in parts),
        complaints=sum(p.complaints for p in parts),
        handled=sum(p.handled for p in parts),
        log_hours=math.fsum(p.log_hours for p in parts),
        log_hours_sq=math.fsum(p.log_hours_sq for p in parts),
    )


@dataclass(frozen=True, slots=True)
class Estimate:
    """A change on the log scale with its standard error and interval; `df` None means a normal interval."""

    log_ratio: float
    std_error: float
    level: float
    df: float | None = None

    @property
    def half_width(self) -> float:
        """Half the interval's width on the log scale."""
        from scipy import special  # noqa: PLC0415 - SciPy is imported when an interval is first drawn

        tail = 0.5 + self.level / 2
        normal = self.df is None or math.isinf(self.df)
        quantile = special.ndtri(tail) if normal else special.stdtrit(self.df, tail)
        return float(quantile) * self.std_error

    @property
    def change(self) -> float:
        """The relative change: −0.667 is two thirds less."""
        return math.expm1(self.log_ratio)

    @property
    def low(self) -> float:
        """The interval's lower end, as a relative change."""
        return math.expm1(self.log_ratio - self.half_width)

    @property
    def high(self) -> float:
        """The interval's upper end, as a relative change."""
        return math.expm1(self.log_ratio + self.half_width)

    @property
    def verdict(self) -> Verdict:
        """Down or up when the whole interval is on one side of no change, else unclear."""
        low, high = self.low, self.high
        return Verdict.DOWN if high < 0 else Verdict.UP if low > 0 else Verdict.UNCLEAR

    def covers(self, change: float) -> bool:
        """Whether a relative change (e.g. the generator's −0.667) lies inside the interval."""
        return self.low <= change <= self.high


@dataclass(frozen=True, slots=True)
class MeasureComparison:
    """One measure: the pilot's change, the control's, and their difference in differences."""

    measure: Measure
    pilot: Estimate
    control: Estimate | None = None
    did: Estimate | None = None

    @property
    def effect(self) -> Estimate:
        """The best estimate of the pilot's effect: the difference in differences, else the pilot's change."""
        return self.did or self.pilot


@dataclass(frozen=True, slots=True)
class Comparison:
    """The three measures of one comparison, at one confidence level."""

    level: float
    volume: MeasureComparison
    handling_time: MeasureComparison
    complaint_rate: MeasureComparison
    has_control: bool

    @property
    def measures(self) -> tuple[MeasureComparison, MeasureComparison, MeasureComparison]:
        """The measures in the order a page shows them."""
        return (self.handling_time, self.volume, self.complaint_rate)


@dataclass(frozen=True, slots=True)
class _Log:
    """One sample's log measure: its value, variance and (for a mean) degrees of freedom."""

    value: float
    variance: float
    df: float | None = None


def compare(
    pilot_before: Sample,
    pilot_after: Sample,
    control_before: Sample | None = None,
    control_after: Sample | None = None,
    level: float = LEVEL,
) -> Comparison:
    """Compare the pilot area after with before, and (given both control samples) against the control."""
    if not 0 < level < 1:
        raise NotEnoughDataError(f"the confidence level must lie between 0 and 1, not {level}")
    if (control_before is None) != (control_after is None):
        raise NotEnoughDataError("a control needs both its before and its after sample")
    named = {"pilot before": pilot_before, "pilot after": pilot_after}
    if control_before is not None and control_after is not None:
        named |= {"control before": control_before, "control after": control_after}
    for name, sample in named.items():
        _check(name, sample)
    logs = {
        Measure.VOLUME: {name: _volume(name, s) for name, s in named.items()},
        Measure.HANDLING_TIME: {name: _handling(name, s) for name, s in named.items()},
        Measure.COMPLAINT_RATE: {name: _complaints(name, s) for name, s in named.items()},
    }
    results = {measure: _measure(measure, values, level) for measure, values in logs.items()}
    return Comparison(
        level=level,
        volume=results[Measure.VOLUME],
        handling_time=results[Measure.HANDLING_TIME],
        complaint_rate=results[Measure.COMPLAINT_RATE],
        has_control=control_before is not None,
    )


def _check(name: str, s: Sample) -> None:
    if not (s.months > 0 and math.isfinite(s.months)):
        raise NotEnoughDataError(f"{name}: the period must last a positive number of months")
    if min(s.cases, s.complaints, s.handled) < 0 or max(s.complaints, s.handled) > s.cases:
        raise NotEnoughDataError(f"{name}: complaints and closed cases must be between 0 and the cases")
    if not (math.isfinite(s.log_hours) and math.isfinite(s.log_hours_sq)):
        raise NotEnoughDataError(f"{name}: the sums of log hours must be finite")


def _volume(name: str, s: Sample) -> _Log:
    if s.cases == 0:
        raise NotEnoughDataError(f"{name}: no cases, so no volume to compare")
    return _Log(math.log(s.cases / s.months), 1 / s.cases)


def _handling(name: str, s: Sample) -> _Log:
    n = s.handled
    if n < 2:  # noqa: PLR2004 - a variance needs two values
        raise NotEnoughDataError(f"{name}: fewer than two closed cases, so no handling time to compare")
    mean = s.log_hours / n
    spread = max(s.log_hours_sq - n * mean * mean, 0.0) / (n - 1)
    return _Log(mean, spread / n, n - 1)


def _complaints(name: str, s: Sample) -> _Log:
    if s.complaints == 0:
        raise NotEnoughDataError(f"{name}: no complaints, so no complaint rate to compare")
    return _Log(math.log(s.complaints / s.cases), 1 / s.complaints - 1 / s.cases)


def _measure(measure: Measure, logs: dict[str, _Log], level: float) -> MeasureComparison:
    pilot_after, pilot_before = logs["pilot after"], logs["pilot before"]
    pilot = _sum(level, (1, pilot_after), (-1, pilot_before))
    if "control before" not in logs:
        return MeasureComparison(measure, pilot)
    control_after, control_before = logs["control after"], logs["control before"]
    control = _sum(level, (1, control_after), (-1, control_before))
    did = _sum(level, (1, pilot_after), (-1, pilot_before), (-1, control_after), (1, control_before))
    return MeasureComparison(measure, pilot, control, did)


def _sum(level: float, *terms: tuple[int, _Log]) -> Estimate:
    """A signed sum of independent log measures: the variances add; Welch–Satterthwaite df for means."""
    value = math.fsum(sign * part.value for sign, part in terms)
    parts = [part for _, part in terms]
    variance = math.fsum(part.variance for part in parts)
    return Estimate(value, math.sqrt(variance), level, _welch_df(parts, variance))


def _welch_df(parts: list[_Log], variance: float) -> float | None:
    if any(part.df is None for part in parts):
        return None
    spread = math.fsum(part.variance**2 / part.df for part in parts if part.df)
    return variance**2 / spread if spread > 0 else None
