"""`UtcDateTime` on SQLite: the stored text made in one step is exactly SQLAlchemy's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, create_engine, insert, select, text
from sqlalchemy.dialects import sqlite

from zhili.core.db import UtcDateTime, sqlite_text

_SQLALCHEMYS = DateTime().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
ZONES = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-23 * 60 - 59, 23 * 60 + 59))
# Whole years 2..9998, so that the time in UTC is a year SQLite's text can hold (four digits).
AWARE = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=ZONES)  # noqa: DTZ001


@given(AWARE)
def test_the_text_is_sqlalchemys_of_the_time_in_utc(value: datetime) -> None:
    assert _SQLALCHEMYS is not None
    assert sqlite_text(value) == _SQLALCHEMYS(value.astimezone(UTC))


def test_whole_seconds_keep_their_microseconds_and_none_stays_none() -> None:
    assert sqlite_text(datetime(2026, 12, 6, 8, 0, tzinfo=UTC)) == "2026-12-06 08:00:00.000000"
    shanghai = timezone(timedelta(hours=8))
    assert sqlite_text(datetime(2026, 12, 6, 16, 0, tzinfo=shanghai)) == "2026-12-06 08:00:00.000000"
    assert sqlite_text(None) is None


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        sqlite_text(datetime(2026, 12, 6, 8, 0))  # noqa: DTZ001 - the point of the test


def test_sqlite_stores_and_gives_back_the_same_instant() -> None:
    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime))
    table.metadata.create_all(engine)
    shanghai = datetime(2026, 12, 6, 16, 30, 15, 250, tzinfo=timezone(timedelta(hours=8)))
    with engine.begin() as connection:
        connection.execute(insert(table), [{"id": 1, "at": shanghai}, {"id": 2, "at": None}])
        stored = connection.execute(text("SELECT at FROM t ORDER BY id")).scalars().all()
        back = connection.execute(select(table.c.at).order_by(table.c.id)).scalars().all()
    assert stored == ["2026-12-06 08:30:15.000250", None]
    assert back == [shanghai, None]
    assert back[0] is not None
    assert back[0].tzinfo is UTC
