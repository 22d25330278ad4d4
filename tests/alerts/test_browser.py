"""In a real headless Chromium: a drill handed in over HTTP shows on the desk and the phone, its area on the map."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from tests.alerts.helpers import variant
from tests.conftest import World, log_in_context
from tests.early_warning.test_browser import DESK, PHONE
from zhili.alerts.models import AlertDivision, AlertFiring, AlertRecord

POLYGON = "<polygon>29.02,119.10 29.02,119.25 29.12,119.25 29.12,119.10 29.02,119.10</polygon>"  # lat,lon: in Longyou
AREA = f"<area><areaDesc>龙游县城区</areaDesc>{POLYGON}</area>"


def test_a_drill_is_shown_with_its_badge_and_its_area_on_the_map(
    browser: Any, server: str, sqlite_world: World
) -> None:
    admin = browser.new_context(viewport=DESK)
    token = log_in_context(admin, server, "admin")
    data = variant(
        identifier="BROWSER-DRILL-1", status="Exercise", area=AREA, sent=datetime.now(UTC)
    )  # the server's clock
    answer = admin.request.post(
        f"{server}/api/v1/alerts", data=data, headers={"Content-Type": "application/cap+xml", "X-CSRF-Token": token}
    )
    assert answer.status == 201, answer.text()
    alert_id = answer.json()["id"]
    admin.close()
    try:
        for viewport in (DESK, PHONE):
            context = browser.new_context(viewport=viewport)
            log_in_context(context, server, "ly-centre")
            page = context.new_page()
            page.goto(f"{server}/alerts")
            row = page.locator(f"#alert-{alert_id}")
            assert "演练" in row.inner_text()
            row.locator("a").first.click()
            page.wait_for_url(f"{server}/alerts/{alert_id}")
            page.wait_for_selector("#alert-map path.leaflet-interactive")
            assert page.locator("#alert-map path.leaflet-interactive").count() >= 2  # divisions and the polygon
            assert page.locator("#drill-note").is_visible()
            assert "演练（未派发）" in page.locator("#alert-firings").inner_text()
            assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
            context.close()
    finally:  # the shared world is left as it was found (the audit record keeps its lines)
        with Session(sqlite_world.engine) as session:
            for model in (AlertFiring, AlertDivision):
                session.execute(delete(model).where(model.alert_id == alert_id))
            session.execute(delete(AlertRecord).where(AlertRecord.id == alert_id))
            session.commit()
