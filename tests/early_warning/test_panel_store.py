"""The panel packed per month and indicator and read back: values by firm and month, NaN where nothing came."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session

from tests.conftest import BACKENDS, migrated_database
from tests.early_warning.helpers import code
from zhili.core.db import make_engine
from zhili.core.months import Month
from zhili.early_warning import register
from zhili.early_warning.feeds import packed, store
from zhili.early_warning.feeds.packed import load_panel
from zhili.early_warning.feeds.schema import FeedKind
from zhili.early_warning.indicators import Indicator
from zhili.early_warning.panel import Panel

MAY, JUNE, JULY = Month.parse("2026-05"), Month.parse("2026-06"), Month.parse("2026-07")
NOW = datetime(2026, 7, 23, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    url = migrated_database(request.param, tmp_path, "panel")
    engine = make_engine(url)
    with Session(engine) as session:
        firms = [
            {
                "id": n,
                "credit_code": code(n),
                "name": f"企业{n}",
                "industry": industry,
                "legal_representative": "王某",
                "address": "地址",
                "division_code": "330802006",
                "size": "small",
                "registered_at": NOW,
                "updated_at": NOW,
            }
            for n, industry in ((3, "E"), (7, "C"))
        ]
        register.insert_many(session, firms)
        batch = store.add_batch(
            session,
            kind=FeedKind.LEGAL_EVENTS,
            mode="replace",
            source="t",
            provider="p",
            months=[JUNE],
            accepted=1,
            rejected=0,
            rejections=[],
            at=NOW,
            by="t",
        )
        store.insert_panel(
            session,
            ("enterprise_id", "month", "electricity_kwh", "si_headcount"),
            [(7, MAY.index, 100.0, 40.0), (7, JUNE.index, 40.0, None), (3, JULY.index, 5.0, None)],
        )
        packed.refresh(session, [MAY, JUNE, JULY], [Indicator.ELECTRICITY_KWH, Indicator.SI_HEADCOUNT])
        store.upsert_events(
            session,
            [
                {
                    "enterprise_id": 3,
                    "feed": "legal_events",
                    "kind": "penalty",
                    "month": JUNE.index,
                    "occurred_on": datetime(2026, 6, 2, tzinfo=UTC).date(),
                    "reference": "R1",
                    "authority": None,
                    "workers": None,
                    "batch_id": batch,
                }
            ],
        )
        session.commit()
    engine.dispose()
    return url


def load(database: str, first: Month, last: Month, indicators: tuple[Indicator, ...] = tuple(Indicator)) -> Panel:
    engine = make_engine(database)
    try:
        with Session(engine) as session:
            return load_panel(session, first, last, indicators)
    finally:
        engine.dispose()  # the next test drops this database


def test_the_panel_holds_each_firms_months(database: str) -> None:
    panel = load(database, MAY, JULY)
    assert panel.firm_ids.tolist() == [3, 7]
    assert panel.industries.tolist() == [4, 2]  # E, C
    assert (panel.first, panel.months, panel.last) == (MAY, 3, JULY)
    kwh = panel.values[Indicator.ELECTRICITY_KWH]
    np.testing.assert_array_equal(kwh, np.array([[np.nan, np.nan, 5.0], [100.0, 40.0, np.nan]], np.float32))
    assert np.isnan(panel.values[Indicator.SI_HEADCOUNT][0]).all()
    assert panel.values[Indicator.SI_HEADCOUNT][1, 0] == 40.0
    # Events count per month up to the last month the feed delivered (June), unknown after it.
    np.testing.assert_array_equal(
        panel.values[Indicator.LEGAL_EVENTS], np.array([[0, 1, np.nan], [0, 0, np.nan]], np.float32)
    )
    assert np.isnan(panel.values[Indicator.COMPLAINTS]).all()  # the feed never delivered


def test_a_window_and_a_choice_of_indicators(database: str) -> None:
    panel = load(database, JUNE, JUNE, (Indicator.ELECTRICITY_KWH,))
    assert list(panel.values) == [Indicator.ELECTRICITY_KWH]
    assert panel.values[Indicator.ELECTRICITY_KWH][:, 0].tolist()[1] == 40.0
