"""Risk grades (red / orange / yellow), the combination of the parts, and calibrating the cut-offs. Pure."""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import numpy.typing as npt

from zhili.early_warning.detect.config import Combination, DetectorConfig, GradeCutoffs
from zhili.early_warning.detect.windows import F32, f32

Grades = npt.NDArray[np.int8]


class Grade(IntEnum):
    """A warning's grade; ordered, so `grade >= Grade.YELLOW` means warned. Labels: `grade.<name>`."""

    NONE = 0
    YELLOW = 1  # 黄色预警
    ORANGE = 2  # 橙色预警
    RED = 3  # 红色预警

    @property
    def key(self) -> str:
        """The lower-case name (`red`), as stored and used in message keys."""
        return self.name.lower()

    @classmethod
    def from_key(cls, key: str) -> Grade:
        """The grade named `key` (`red`, `orange`, `yellow`, `none`)."""
        return cls[key.upper()]


def combine(rules: F32, change: F32, multivariate: F32, weights: Combination) -> F32:
    """Risk = 1 - (1 - w_r R)(1 - w_c C)(1 - w_m M): any one strong part is enough, agreeing parts add up."""
    survive = (
        (np.float32(1) - np.float32(weights.rules) * rules)
        * (np.float32(1) - np.float32(weights.change) * change)
        * (np.float32(1) - np.float32(weights.multivariate) * multivariate)
    )
    return f32(np.float32(1) - survive)


def grade(risk: F32, cutoffs: GradeCutoffs) -> Grades:
    """The grade of each risk (same shape), as `Grade` values."""
    result = np.zeros(risk.shape, dtype=np.int8)
    for level, cutoff in ((Grade.YELLOW, cutoffs.yellow), (Grade.ORANGE, cutoffs.orange), (Grade.RED, cutoffs.red)):
        result[risk >= np.float32(cutoff)] = level
    return result


def calibrate(config: DetectorConfig, history: F32, per_100k: tuple[float, float, float]) -> DetectorConfig:
    """`config` with cut-offs that give `(yellow, orange, red)` warnings per 100,000 firms a month on `history`.

    `history` is risk `[firms, months]` of past (training) months only; each figure counts the firms at
    that grade or above. Use it on early months and judge on later ones.
    """
    yellow, orange, red = per_100k
    if not 0 < red < orange < yellow < 100_000:  # noqa: PLR2004 - a rate per 100,000
        msg = f"rates must fall red < orange < yellow, each in (0, 100000); got {per_100k}"
        raise ValueError(msg)
    finite = history[np.isfinite(history)]
    cuts = [float(np.quantile(finite, 1 - rate / 100_000)) for rate in (yellow, orange, red)]
    for position in range(1, 3):  # ties at the top (many firms at the same risk) must still rise
        cuts[position] = max(cuts[position], np.nextafter(cuts[position - 1], 2.0))
    cutoffs = GradeCutoffs(yellow=max(cuts[0], 1e-6), orange=min(cuts[1], 1.0), red=min(cuts[2], 1.0))
    return config.model_copy(update={"grades": cutoffs})
