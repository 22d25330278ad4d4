"""The live board in a real headless Chromium: claims written elsewhere show up without a reload."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.campaigns.board_helpers import insert_campaign, remove_campaign
from tests.command_centre.test_browser import CHART_OVERLAPS
from tests.conftest import World, live_server, log_in_context
from tests.early_warning.test_browser import PHONE
from tests.web.test_browser import _login

from zhili.app import create_app
from zhili.campaigns.board import stream as board_stream
from zhili.core.auth import system_actor
from zhili.core.clock import SystemClock
from zhili.core.settings import Settings
from zhili.demo.campaign_responses import Shares, apply_until, start_simulation, step_instants

HUZHEN = "330825101"


@pytest.fixture(scope="module")
def server(sqlite_world: World) -> Iterator[str]:
    """The app on a real port over the SQLite demo world, reading boards often."""
    patch = pytest.MonkeyPatch()
    patch.setattr(board_stream, "POLL_SECONDS", 0.2)
    settings = Settings(environment="test", database_url=sqlite_world.url)
    with live_server(create_app(settings, engine=sqlite_world.engine)) as base:
        yield base
    patch.undo()


@pytest.fixture
def campaign(sqlite_world: World) -> Iterator[tuple[Session, int]]:
    """A campaign to 湖镇镇 written straight to the shared world, and removed afterwards."""
    with Session(sqlite_world.engine) as session:
        campaign_id = insert_campaign(session, owner=HUZHEN, now=SystemClock().now() - timedelta(minutes=30))
        yield session, campaign_id
        session.rollback()
        remove_campaign(session, campaign_id)


def test_claims_arrive_on_the_open_board(
    browser: Any,
    server: str,
    campaign: tuple[Session, int],
) -> None:
    session, campaign_id = campaign
    page = _login(browser, server, "huzhen")
    page.goto(f"{server}/campaigns/{campaign_id}/board")
    page.wait_for_selector("#board-live.live", timeout=10_000)
    assert page.inner_text("[data-field='claimed']") == "0"
    assert page.query_selector("#board-chart canvas") is not None  # ECharts drew the chart
    total = int(page.inner_text("[data-field='total']"))
    shares = Shares(claim=0.5, report=0.25, over=timedelta(minutes=20), seed=3)
    clock = SystemClock()
    script = start_simulation(session, campaign_id=campaign_id, shares=shares, actor=system_actor("test"), clock=clock)
    apply_until(session, script, step_instants(script, 1)[0])
    session.commit()
    claimed = sum(1 for state in script.states.values() if state in {"claimed", "reported"})
    page.wait_for_function(
        f"() => document.querySelector(\"[data-field='claimed']\").textContent === '{claimed}'", timeout=10_000
    )
    page.wait_for_function(
        "() => document.querySelectorAll('#list-finished tbody tr.board-late, #list-finished tbody tr').length > 0"
    )
    assert 0 < claimed < total
    shots = os.environ.get("ZHILI_SCREENSHOTS")
    if shots:
        page.wait_for_timeout(1_000)  # the chart's bars grow for a moment
        page.screenshot(path=str(Path(shots) / "campaign-board.png"))
    village = page.query_selector("#board-children a")
    assert village is not None
    with page.expect_navigation():
        village.click()
    assert "division=330825101" in page.url
    page.set_viewport_size({"width": 1920, "height": 1080})  # the command room's wall
    page.goto(f"{server}/campaigns/{campaign_id}/board?screen=1")
    page.wait_for_selector("#board-live.live", timeout=10_000)
    assert page.inner_text("[data-field='claimed']") == str(claimed)
    if shots:
        page.wait_for_timeout(1_000)
        page.screenshot(path=str(Path(shots) / "campaign-board-screen.png"))
    page.close()


def test_the_claim_time_chart_labels_do_not_overlap_on_a_phone(
    browser: Any, server: str, campaign: tuple[Session, int]
) -> None:
    _, campaign_id = campaign
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    log_in_context(context, server, "huzhen")
    page = context.new_page()
    page.goto(f"{server}/campaigns/{campaign_id}/board")
    page.wait_for_selector("#board-chart canvas")
    drawn = page.evaluate(CHART_OVERLAPS, "#board-chart")
    assert "<15" in drawn["names"]  # the figures over their unit
    assert drawn["overlaps"] == []


def test_the_role_table_beside_the_chart_fits_its_card_on_a_desk(
    browser: Any, server: str, campaign: tuple[Session, int]
) -> None:
    _, campaign_id = campaign
    page = _login(browser, server, "huzhen")
    page.goto(f"{server}/campaigns/{campaign_id}/board")
    page.wait_for_selector("#board-roles tr td.card-head")
    hidden = page.evaluate(
        "() => { const w = document.querySelector('#board-roles').closest('.table-wrap');"
        " return w.scrollWidth - w.clientWidth; }"
    )
    assert hidden <= 1  # 已回复, the last column, is not behind a sideways scroll
    heights = page.evaluate(
        "() => [...document.querySelectorAll('#board-roles td.card-head')]"
        ".map((td) => td.getBoundingClientRect().height)"
    )
    assert max(heights) < 50  # 组团联村团长 on one line


def test_the_board_headings_stand_over_their_figures(browser: Any, server: str, campaign: tuple[Session, int]) -> None:
    _, campaign_id = campaign
    page = _login(browser, server, "huzhen")
    page.goto(f"{server}/campaigns/{campaign_id}/board?screen=1")
    page.wait_for_selector("#board-children tr")
    aligned = page.evaluate(
        "() => [...document.querySelectorAll('table.board-children thead th.num')]"
        ".map((e) => getComputedStyle(e).textAlign)"
    )
    assert aligned
    assert set(aligned) == {"right"}
