"""The panel's columnar store: packed per month and indicator, refreshed by the feeds, read by the run.

Row-by-row fetching costs a Python object per cell: tens of seconds for 100,000 firms x 36 months x
7 indicators. `firm_months` stays the record (one row per firm and month, each feed's batch); in the
same transaction as an import, `refresh` packs each month's indicator into one `panel_columns` row
(the firms' ids as int64, their values as float32, firms without a value left out). `load_panel`
reads those few hundred blobs and scatters them into `[firms, months]` arrays. It reads through the
caller's session, so it sees what that transaction wrote, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from zhili.core.months import Month
from zhili.early_warning import industries
from zhili.early_warning.feeds.schema import EVENT_INDICATOR, FEEDS, Shape
from zhili.early_warning.indicators import Indicator
from zhili.early_warning.models import Enterprise, FeedBatch, FirmEvent, FirmMonth, PanelColumn
from zhili.early_warning.panel import Panel

MONTHLY: Final[tuple[Indicator, ...]] = tuple(
    indicator for feed in FEEDS.values() if feed.shape is Shape.MONTHLY for indicator in feed.indicators
)
IDS: Final = np.dtype("<i8")
VALUES: Final = np.dtype("<f4")


def store_arrays(
    session: Session, month: Month, columns: Mapping[Indicator, tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]]
) -> None:
    """Replace the packed columns of `month` for these indicators: (firm ids, values), NaN left out."""
    session.execute(
        delete(PanelColumn).where(
            PanelColumn.month == month.index, PanelColumn.indicator.in_([i.value for i in columns])
        )
    )
    rows = []
    for indicator, (firm_ids, values) in columns.items():
        kept = ~np.isnan(values)
        rows.append(
            {
                "month": month.index,
                "indicator": indicator.value,
                "firm_ids": np.ascontiguousarray(firm_ids[kept], IDS).tobytes(),
                "values": np.ascontiguousarray(values[kept], VALUES).tobytes(),
                "firms": int(kept.sum()),
            }
        )
    if rows:
        session.execute(insert(PanelColumn), rows)


def refresh(session: Session, months: Iterable[Month], indicators: Sequence[Indicator]) -> None:
    """Pack `indicators` of `months` again from `firm_months` (after an import changed them)."""
    wanted = [indicator for indicator in indicators if indicator in MONTHLY]
    if not wanted:
        return
    columns = [FirmMonth.__table__.c[indicator.value] for indicator in wanted]
    for month in months:
        rows = session.execute(
            select(FirmMonth.enterprise_id, *columns)
            .where(FirmMonth.month == month.index)
            .order_by(FirmMonth.enterprise_id)
        ).all()
        table = np.array([[np.nan if cell is None else cell for cell in row] for row in rows], np.float64).reshape(
            len(rows), len(wanted) + 1
        )
        firm_ids = table[:, 0].astype(np.int64)
        store_arrays(
            session,
            month,
            {indicator: (firm_ids, table[:, n + 1].astype(np.float32)) for n, indicator in enumerate(wanted)},
        )


def load_panel(
    session: Session, first: Month, last: Month, indicators: Sequence[Indicator] = tuple(Indicator)
) -> Panel:
    """Every registered firm's `indicators` from `first` to `last` (NaN where no feed delivered)."""
    registered = session.execute(select(Enterprise.id, Enterprise.industry).order_by(Enterprise.id)).all()
    firm_ids = np.fromiter((firm for firm, _section in registered), np.int64, len(registered))
    positions = {code: index for index, code in enumerate(industries.CODES)}
    sections = np.fromiter((positions.get(section, -1) for _firm, section in registered), np.int16, len(registered))
    months = last - first + 1
    values: dict[Indicator, npt.NDArray[np.float32]] = {}
    monthly = [indicator for indicator in indicators if indicator in MONTHLY]
    for indicator in monthly:
        values[indicator] = np.full((len(firm_ids), months), np.nan, np.float32)
    if monthly:
        packed = session.execute(
            select(PanelColumn.month, PanelColumn.indicator, PanelColumn.firm_ids, PanelColumn.values).where(
                PanelColumn.month.between(first.index, last.index),
                PanelColumn.indicator.in_([i.value for i in monthly]),
            )
        )
        for month, name, ids, numbers in packed:
            owners = np.frombuffer(ids, IDS)
            rows = np.searchsorted(firm_ids, owners)
            known = (rows < len(firm_ids)) & (firm_ids[np.minimum(rows, len(firm_ids) - 1)] == owners)
            values[Indicator(name)][rows[known], month - first.index] = np.frombuffer(numbers, VALUES)[known]
    for feed, indicator in EVENT_INDICATOR.items():
        if indicator in indicators:
            values[indicator] = _event_counts(session, feed.value, firm_ids, first, last)
    return Panel(firm_ids=firm_ids, industries=sections, first=first, values=values)


def _event_counts(
    session: Session, feed: str, firm_ids: npt.NDArray[np.int64], first: Month, last: Month
) -> npt.NDArray[np.float32]:
    """Events per firm and month; zero up to the last month the feed has delivered, NaN after it."""
    grid = np.full((len(firm_ids), last - first + 1), np.nan, np.float32)
    covered = session.scalar(select(func.max(FeedBatch.last_month)).where(FeedBatch.kind == feed))
    if covered is None:
        return grid
    grid[:, : max(0, min(covered, last.index) - first.index + 1)] = 0
    counts = session.execute(
        select(FirmEvent.enterprise_id, FirmEvent.month, func.count())
        .where(FirmEvent.feed == feed, FirmEvent.month.between(first.index, last.index))
        .group_by(FirmEvent.enterprise_id, FirmEvent.month)
    ).all()
    if counts:
        table = np.array(counts, np.int64)
        rows = np.searchsorted(firm_ids, table[:, 0])
        grid[rows, table[:, 1] - first.index] = table[:, 2]
    return grid
