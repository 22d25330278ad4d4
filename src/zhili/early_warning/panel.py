"""`Panel`: the monthly indicators of many enterprises as arrays, what the detectors read. Pure.

Rows are enterprises, columns consecutive months from `first`; a value the feed did not deliver is
NaN. The panel is built from the database by `early_warning.feeds.packed` (the monthly run) or by
`early_warning.synthetic` (the labelled benchmark), and the detectors never see anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from zhili.core.months import Month
from zhili.early_warning.indicators import Indicator

FloatArray = npt.NDArray[np.float32]


def float32(values: object) -> FloatArray:
    """`values` as a float32 array (no copy when it already is one)."""
    return np.asarray(values, dtype=np.float32)


@dataclass(frozen=True, slots=True)
class Panel:
    """Indicators of `firm_ids` (rows) over `months` consecutive months from `first` (columns)."""

    firm_ids: npt.NDArray[np.int64]  # [firms]
    industries: npt.NDArray[np.int16]  # [firms], positions in `industries.CODES`
    first: Month
    values: Mapping[Indicator, FloatArray] = field(default_factory=dict)  # each [firms, months], NaN = missing

    def __post_init__(self) -> None:
        firms = len(self.firm_ids)
        if self.industries.shape != (firms,):
            msg = f"industries must have one entry per firm ({firms}), got shape {self.industries.shape}"
            raise ValueError(msg)
        shapes = {array.shape for array in self.values.values()}
        if len(shapes) > 1 or any(shape[0] != firms for shape in shapes):
            msg = f"every indicator must be [firms={firms}, months]; got shapes {sorted(shapes)}"
            raise ValueError(msg)

    @property
    def months(self) -> int:
        """How many months the panel spans."""
        return next(iter(self.values.values())).shape[1] if self.values else 0

    @property
    def last(self) -> Month:
        """The last month of the panel."""
        return self.first + (self.months - 1)

    def column(self, month: Month) -> int:
        """The column of `month`; `IndexError` when the panel does not span it."""
        column = month - self.first
        if not 0 <= column < self.months:
            msg = f"{month} is outside the panel ({self.first} to {self.last})"
            raise IndexError(msg)
        return column
