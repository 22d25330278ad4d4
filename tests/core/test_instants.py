"""Times a client gives (`core.params.Instant`): with a zone and within years 1–9999 in UTC, else a 422, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError
from tests.conftest import Api

from zhili.core.params import Instant


def test_an_instant_is_read_in_utc() -> None:
    east = timezone(timedelta(hours=8))
    read = TypeAdapter(Instant).validate_python("2026-07-01T08:00:00+08:00")
    assert read == datetime(2026, 7, 1, 8, tzinfo=east)
    assert read.tzinfo is UTC


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01", "2026-07-01T08:00:00"])
def test_an_instant_outside_utc_or_without_a_zone_is_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Instant).validate_python(text)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        # Found by the long fuzz run: OverflowError when the bound time was converted to UTC.
        ("/api/v1/campaigns/scores", {"by": "person", "until": "0001-01-01T00:00:00+00:01"}),
        ("/api/v1/campaigns/scores", {"since": "9999-12-31T23:59:59-00:01"}),
        ("/api/v1/supervision/units", {"since": "0001-01-01T00:00:00+00:01"}),
        ("/api/v1/supervision/units", {"since": "2026-07-01T08:00:00"}),
        # The case queue's days: the local midnight of 0001-01-01, the day after 9999-12-31.
        ("/api/v1/cases", {"since": "0001-01-01"}),
        ("/api/v1/cases", {"until": "9999-12-31"}),
        ("/api/v1/cases/export.csv", {"until": "9999-12-31"}),
    ],
)
def test_a_time_filter_that_cannot_be_stored_is_a_422(api: Api, path: str, params: dict[str, str]) -> None:
    response = api.login("admin").get(path, params=params)
    assert response.status_code == 422, response.text
