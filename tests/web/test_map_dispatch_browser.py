"""Headless Chromium: the map opens on a grid worker's grid with case points; a dispatch previewed, then confirmed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import World
from tests.web.test_browser import _login

from zhili.campaigns.models import Campaign, CampaignTask
from zhili.org.models import Division, Position

FUSHAN_GRID = "330802006001001"  # the `gridworker` login's grid
HUZHEN = "330825101"


def _shot(page: Any, name: str) -> None:
    shots = os.environ.get("ZHILI_SCREENSHOTS")
    if shots:
        page.screenshot(path=str(Path(shots) / name))


def _click_elsewhere_in_kecheng(page: Any) -> None:
    """A click on 柯城区七里乡 (118.87, 28.94): a known county, far from 府山街道's grids."""
    page.evaluate("() => window.zhiliMap.map.setView([28.94, 118.87], 12, { animate: false })")
    x, y = page.evaluate(
        "() => { const p = window.zhiliMap.map.latLngToContainerPoint([28.94, 118.87]); return [p.x, p.y]; }"
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_the_map_opens_on_the_grid_draws_cases_and_explains_a_click_outside(
    browser: Any,
    server: str,
    sqlite_world: World,
) -> None:
    with Session(sqlite_world.engine) as session:
        grid = session.get(Division, FUSHAN_GRID)
        assert grid is not None
        box = (grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat)
    page = _login(browser, server, "gridworker")
    page.goto(f"{server}/map")
    page.wait_for_selector("#map[data-ready='1']", timeout=20_000)
    centre = page.evaluate("() => { const c = window.zhiliMap.map.getCenter(); return [c.lng, c.lat]; }")
    assert box[0] <= centre[0] <= box[2]
    assert box[1] <= centre[1] <= box[3]
    assert page.evaluate("() => window.zhiliMap.map.getZoom()") >= 13
    page.check("#map-closed")  # the demo's cases in this grid are all closed: show them, grey
    page.wait_for_function("() => Number(document.getElementById('map').dataset.casePoints || 0) > 0")
    assert page.evaluate("() => window.zhiliMap.cases.getLayers().length") > 0
    page.select_option("#map-matter", "illegal_parking")
    page.wait_for_function("() => document.getElementById('map').dataset.casePoints !== undefined")
    _shot(page, "map-grid.png")
    _click_elsewhere_in_kecheng(page)  # in a county we know, outside the grid worker's grid
    page.wait_for_selector("#map-panel .alert.error", timeout=10_000)
    assert "该位置不在您的辖区内" in page.inner_text("#map-panel")
    page.goto(f"{server}/map?lang=en")
    page.wait_for_selector("#map[data-ready='1']", timeout=20_000)
    _click_elsewhere_in_kecheng(page)
    page.wait_for_selector("#map-panel .alert.error", timeout=10_000)
    assert "outside your area" in page.inner_text("#map-panel")
    page.goto(f"{server}/map?lang=zh")
    page.close()


def test_a_dispatch_is_chosen_from_the_tree_previewed_and_confirmed(
    browser: Any,
    server: str,
    sqlite_world: World,
) -> None:
    with Session(sqlite_world.engine) as session:
        village = session.scalars(
            select(Division.code).where(Division.parent_code == HUZHEN).order_by(Division.code)
        ).first()
        assert village is not None
        heads = session.scalar(
            select(func.count())
            .select_from(Position)
            .where(Position.role == "grid_head", Position.division_code.startswith(village))
        )
    page = _login(browser, server, "huzhen")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/campaigns")
    page.select_option("select[name=template]", "urgent_notice")
    # The role boxes follow the template (the default 疫情防控 has no 网格长): wait for the new ones.
    page.wait_for_selector("#roles input[name=role][value=grid_head]", timeout=10_000)
    assert page.locator("#roles input[name=role][value=party_member]").count() == 0
    page.click(f"details[data-code='{HUZHEN}'] > summary", position={"x": 2, "y": 8})
    page.wait_for_selector(f"input[name=division][value='{village}']", timeout=10_000)
    page.check(f"input[name=division][value='{village}']")
    page.check("input[name=role][value=grid_head]")
    page.fill("textarea[name=message]", "请今晚完成巡查")
    page.click("#dispatch-form button[type=submit]")
    page.wait_for_selector("#preview-counts", timeout=10_000)
    assert f"将派发给 {heads:,} 人" in page.inner_text("#preview")
    _shot(page, "dispatch-preview.png")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_url(f"{server}/campaigns/*", timeout=10_000)
    campaign_id = int(page.url.rsplit("/", 1)[1])
    with Session(sqlite_world.engine) as session:
        sent = session.scalar(
            select(func.count()).select_from(CampaignTask).where(CampaignTask.campaign_id == campaign_id)
        )
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert campaign.message == "请今晚完成巡查"
    assert sent == heads
    page.close()
