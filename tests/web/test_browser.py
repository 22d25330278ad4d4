"""The web UI in a real headless Chromium: log in, browse the organisation, see Quzhou on the map."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import World, live_server, require_or_skip

from zhili.app import create_app
from zhili.core.settings import Settings
from zhili.demo import DEMO_PASSWORD

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> str:
    path = os.environ.get("ZHILI_CHROMIUM") or shutil.which("chromium") or ""
    if not path or not Path(path).exists():
        require_or_skip("ZHILI_REQUIRE_BROWSER", "no Chromium found (set ZHILI_CHROMIUM)")
    return path


@pytest.fixture(scope="module")
def server(sqlite_world: World) -> Iterator[str]:
    """The app on a real port, over the SQLite demo world (the API tests cover PostgreSQL)."""
    app = create_app(Settings(environment="test", database_url=sqlite_world.url), engine=sqlite_world.engine)
    with live_server(app) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright."""
    executable = _chromium()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only when a browser exists

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def _login(browser: Any, server: str, username: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(f"{server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")
    return page


def test_the_map_shows_quzhou_with_its_layers(browser: Any, server: str) -> None:
    page = _login(browser, server, "qz-centre")
    page.goto(f"{server}/map")
    page.wait_for_selector("#map[data-ready='1']", timeout=20_000)
    assert page.get_attribute("#map", "data-county-count") == "6"
    townships = page.evaluate("() => window.zhiliMap.layers.township.getLayers().length")
    assert townships == 100
    page.mouse.click(640, 480)
    page.wait_for_selector("#map-panel a", timeout=10_000)
    assert "衢州市" in page.inner_text("#map-panel")
    shots = os.environ.get("ZHILI_SCREENSHOTS")
    if shots:
        page.screenshot(path=str(Path(shots) / "map.png"))
    page.close()


def test_the_org_browser_shows_the_longyou_network(browser: Any, server: str) -> None:
    page = _login(browser, server, "ly-centre")
    page.goto(f"{server}/org")
    page.wait_for_url(f"{server}/org/divisions/330825")
    counts = page.inner_text("#role-counts")
    for figure in ("263", "561", "10,300"):
        assert figure in counts
    page.click("text=湖镇镇")
    page.wait_for_url(f"{server}/org/divisions/330825101")
    assert "湖镇镇" in page.inner_text("h1")
    page.click("a.lang-switch")
    page.wait_for_selector("text=Subdivisions")
    shots = os.environ.get("ZHILI_SCREENSHOTS")
    if shots:
        page.screenshot(path=str(Path(shots) / "org.png"), full_page=False)
    page.close()


def test_show_on_map_zooms_to_the_division(browser: Any, server: str) -> None:
    page = _login(browser, server, "ly-centre")
    page.goto(f"{server}/org/divisions/330825101")
    page.click("a[href='/map#330825101']")
    page.wait_for_selector("#map[data-focused='330825101']", timeout=20_000)
    center = page.evaluate("() => window.zhiliMap.map.getCenter()")
    bbox = page.evaluate("async () => (await (await fetch('/api/v1/org/divisions/330825101')).json()).bbox")
    assert bbox[0] <= center["lng"] <= bbox[2]
    assert bbox[1] <= center["lat"] <= bbox[3]
    assert page.evaluate("() => window.zhiliMap.map.getZoom()") >= 10
    page.close()


def test_a_grid_worker_is_kept_to_their_grid_in_the_browser(browser: Any, server: str) -> None:
    page = _login(browser, server, "gridworker")
    response = page.goto(f"{server}/org/divisions/330825")
    assert response is not None
    assert response.status == 404
    page.close()
