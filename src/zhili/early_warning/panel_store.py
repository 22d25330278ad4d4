"""Loading the panel from the database, columnar: millions of firm-months into arrays in seconds.

Row-by-row fetching through a DB-API driver costs a Python object per cell (tens of seconds for
100,000 firms x 36 months). The panel is read instead through Apache Arrow's database connectivity
(ADBC: the SQLite and PostgreSQL drivers, PostgreSQL by binary COPY) into Arrow columns and then
NumPy arrays, scattered into [firms, months] by the firm's position and the month. The reader opens
its own connection, so it sees committed data only: the monthly run is a batch job over what the
feeds have delivered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.engine import make_url

from zhili.early_warning import industries
from zhili.early_warning.feeds.schema import EVENT_INDICATOR, FEEDS, Shape
from zhili.early_warning.indicators import Indicator
from zhili.early_warning.months import Month
from zhili.early_warning.panel import Panel

MONTHLY: Final[tuple[Indicator, ...]] = tuple(
    indicator for feed in FEEDS.values() if feed.shape is Shape.MONTHLY for indicator in feed.indicators
)


def connect(database_url: str) -> Any:
    """An ADBC connection to the database SQLAlchemy's URL names."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        import adbc_driver_sqlite.dbapi  # noqa: PLC0415 - only the backend in use is loaded

        return adbc_driver_sqlite.dbapi.connect(url.database or ":memory:")
    import adbc_driver_postgresql.dbapi  # noqa: PLC0415

    return adbc_driver_postgresql.dbapi.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))


def load_panel(
    database_url: str, first: Month, last: Month, indicators: Sequence[Indicator] = tuple(Indicator)
) -> Panel:
    """Every registered firm's `indicators` from `first` to `last` (NaN where no feed delivered)."""
    months = last - first + 1
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT id, industry FROM enterprises ORDER BY id")
        firms = cursor.fetch_arrow_table()
        firm_ids = _ints(firms.column("id"))
        positions = {code: index for index, code in enumerate(industries.CODES)}
        sections = np.array([positions.get(code, -1) for code in firms.column("industry").to_pylist()], np.int16)
        values: dict[Indicator, npt.NDArray[np.float32]] = {}
        monthly = [indicator for indicator in indicators if indicator in MONTHLY]
        if monthly:
            cursor.execute(
                f"SELECT enterprise_id, month, {', '.join(i.value for i in monthly)} FROM firm_months "  # noqa: S608 - our column names
                # `+month`: a scan of the table, not millions of lookups through the month index
                f"WHERE +month BETWEEN {int(first.index)} AND {int(last.index)}"
            )
            table = cursor.fetch_arrow_table()
            rows, columns = _cells(table, firm_ids, first)
            for indicator in monthly:
                grid = np.full((len(firm_ids), months), np.nan, np.float32)
                grid[rows, columns] = _floats(table.column(indicator.value))
                values[indicator] = grid
        for feed, indicator in EVENT_INDICATOR.items():
            if indicator in indicators:
                values[indicator] = _event_counts(cursor, feed.value, firm_ids, first, last)
    return Panel(firm_ids=firm_ids, industries=sections, first=first, values=values)


def _event_counts(
    cursor: Any,
    feed: str,
    firm_ids: npt.NDArray[np.int64],
    first: Month,
    last: Month,
) -> npt.NDArray[np.float32]:
    """Events per firm and month; zero up to the last month the feed has delivered, NaN after it."""
    cursor.execute(f"SELECT MAX(last_month) AS last FROM feed_batches WHERE kind = '{feed}'")  # noqa: S608 - a FeedKind
    covered = cursor.fetch_arrow_table().column("last").to_pylist()[0]
    grid = np.full((len(firm_ids), last - first + 1), np.nan, np.float32)
    if covered is None:
        return grid
    grid[:, : max(0, min(int(covered), last.index) - first.index + 1)] = 0
    cursor.execute(
        "SELECT enterprise_id, month, COUNT(*) AS n FROM firm_events "  # noqa: S608 - a FeedKind and integers
        f"WHERE feed = '{feed}' AND month BETWEEN {int(first.index)} AND {int(last.index)} "
        "GROUP BY enterprise_id, month"
    )
    table = cursor.fetch_arrow_table()
    rows, columns = _cells(table, firm_ids, first)
    grid[rows, columns] = _floats(table.column("n"))
    return grid


def _cells(
    table: pa.Table, firm_ids: npt.NDArray[np.int64], first: Month
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    rows = np.searchsorted(firm_ids, _ints(table.column("enterprise_id")))
    columns = _ints(table.column("month")) - first.index
    return rows.astype(np.intp), columns.astype(np.intp)


def _ints(column: pa.ChunkedArray) -> npt.NDArray[np.int64]:
    return np.asarray(pc.cast(column, pa.int64()).to_numpy(), dtype=np.int64)


def _floats(column: pa.ChunkedArray) -> npt.NDArray[np.float32]:
    filled = pc.fill_null(pc.cast(column, pa.float32()), np.float32("nan"))
    return np.asarray(filled.to_numpy(), dtype=np.float32)
