"""In a real headless Chromium: a collaborating unit replies from the case page on a phone, the verifier sees it all."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.cases.test_flow import PNG, fushan_point, unit
from tests.conftest import World, live_server, log_in_context
from tests.demo_logins import first_of, login_for

from zhili.access.models import Account
from zhili.app import create_app
from zhili.core.clock import SystemClock
from zhili.core.settings import Settings

DESK = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
UNIT_LOGIN = "kc-enforce-browser"


@pytest.fixture(scope="module")
def server(sqlite_world: World) -> Iterator[str]:
    """The app on a real port over the SQLite demo world, with a login for the 柯城区 enforcement team."""
    with Session(sqlite_world.engine) as session:
        if session.scalar(select(Account.id).where(Account.username == UNIT_LOGIN)) is None:
            unit_id = unit(session, "enforcement", "330802")
            login_for(session, first_of(session, unit_id), UNIT_LOGIN, clock=SystemClock())
    app = create_app(Settings(environment="test", database_url=sqlite_world.url), engine=sqlite_world.engine)
    with live_server(app) as base:
        yield base


# The session's CSRF token of each logged-in page (every page carries it; these may not have loaded one yet).
CSRF: dict[Any, str] = {}


def _login(browser: Any, server: str, username: str, viewport: dict[str, int], **options: Any) -> Any:
    """A page logged in by the login form's requests (`log_in_context`), on no page yet."""
    context = browser.new_context(viewport=viewport, **options)
    token = log_in_context(context, server, username)
    page = context.new_page()
    CSRF[page] = token
    return page


def _api(page: Any, server: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call the JSON API with the page's session (and its CSRF token)."""
    token = CSRF[page]
    if body is None:
        response = page.request.get(f"{server}{path}")
    else:
        response = page.request.post(f"{server}{path}", data=body, headers={"X-CSRF-Token": token})
    assert response.ok, response.text()
    found: dict[str, Any] = response.json()
    return found


def _step(page: Any, server: str, case: dict[str, Any], name: str, **body: Any) -> dict[str, Any]:
    return _api(
        page, server, f"/api/v1/cases/{case['id']}/commands", {"command": name, "version": case["version"], **body}
    )


def _case_in_progress(browser: Any, server: str, point: dict[str, float]) -> dict[str, Any]:
    """Reported, dispatched, signed and started by the traffic police."""
    reporter = _login(browser, server, "gridworker", DESK)
    brief = _api(
        reporter,
        server,
        "/api/v1/cases",
        {
            "matter": "illegal_parking",
            "point": point,
            "description": "人行道违停，挡住盲道",
            "channel": "phone",
            "attributes": {"plate_number": "浙H66666", "vehicle_type": "car", "parked_on": "tactile_path"},
        },
    )
    case = _api(reporter, server, f"/api/v1/cases/{brief['id']}")
    reporter.context.close()
    centre = _login(browser, server, "kc-centre", DESK)
    case = _step(centre, server, _step(centre, server, case, "accept"), "dispatch")
    centre.context.close()
    lead = _login(browser, server, "kc-traffic", DESK)
    case = _step(lead, server, _step(lead, server, case, "sign"), "start")
    lead.context.close()
    return case


def _case_with_help_asked(browser: Any, server: str, point: dict[str, float]) -> dict[str, Any]:
    """Reported, dispatched, signed, started; the lead asked the enforcement team and housing for help."""
    case = _case_in_progress(browser, server, point)
    lead = _login(browser, server, "kc-traffic", DESK)
    units = [u for u in (_unit_id(lead, server, case, "执法"), _unit_id(lead, server, case, "住房")) if u]
    requests = [{"unit_id": u, "deadline_hours": 24, "text": "请协助现场核查"} for u in units]
    case = _api(lead, server, f"/api/v1/cases/{case['id']}/help-requests", {"requests": requests})
    lead.context.close()
    return case


def _unit_id(page: Any, server: str, case: dict[str, Any], name_part: str) -> int | None:
    """The id of a unit the case page offers for help, by part of its name."""
    page.goto(f"{server}/cases/{case['id']}")
    for box in page.locator("#ask-help label.choice").all():
        if name_part in box.inner_text():
            return int(box.locator("input").get_attribute("value"))
    return None


def _reply_as_the_unit(browser: Any, server: str, case: dict[str, Any], point: dict[str, float]) -> None:
    """On a phone: open the request, take a photo, use the phone's location, write, send."""
    geo = {"longitude": point["lon"] + 0.0003, "latitude": point["lat"] + 0.0002}
    page = _login(browser, server, UNIT_LOGIN, PHONE, geolocation=geo, permissions=["geolocation"], is_mobile=True)
    request_id = next(r["id"] for r in case["collaboration"] if "执法" in r["unit"]["name"])
    page.goto(f"{server}/cases/{case['id']}#help-{request_id}")
    section = page.locator(f"#help-{request_id}")
    section.locator("textarea[name=text]").fill("已到现场核查，占道属实，已开具告知单")
    section.locator("input[name=photo]").set_input_files(
        files=[{"name": "scene.png", "mimeType": "image/png", "buffer": PNG}]
    )
    section.locator("button.use-gps").click()
    page.wait_for_function(
        f"() => document.querySelector('#help-{request_id} input[name=evidence_gps]').value.includes(',')"
    )
    section.locator("input[name=evidence_document]").fill("告知单 KC-2026-118")
    section.locator("button[type=submit]").click()
    page.wait_for_url(f"**/cases/{case['id']}#help-{request_id}")
    assert "已回复" in page.inner_text(f"#help-{request_id}")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(page, "case-help-reply-phone.png")
    page.context.close()


def _shot(page: Any, name: str) -> None:
    shots = os.environ.get("ZHILI_SCREENSHOTS")
    if shots:
        page.screenshot(path=str(Path(shots) / name), full_page=True)


def test_a_unit_replies_from_the_page_and_the_verifier_sees_the_evidence(
    browser: Any, server: str, sqlite_world: World
) -> None:
    with Session(sqlite_world.engine) as session:
        _grid, point = fushan_point(session)
    case = _case_with_help_asked(browser, server, point)
    _reply_as_the_unit(browser, server, case, point)
    lead = _login(browser, server, "kc-traffic", DESK)
    lead.goto(f"{server}/cases/{case['id']}")
    photo = lead.request.post(
        f"{server}/api/v1/cases/{case['id']}/photos",
        multipart={"photo": {"name": "done.png", "mimeType": "image/png", "buffer": PNG}},
        headers={"X-CSRF-Token": CSRF[lead]},
    ).json()
    case = _api(lead, server, f"/api/v1/cases/{case['id']}")
    evidence = [
        {"kind": "photo", "ref": photo["ref"]},
        {"kind": "gps", "ref": f"{point['lon']:.6f},{point['lat']:.6f}"},
        {"kind": "text", "ref": "车辆已拖离，盲道已恢复"},
    ]
    _step(lead, server, case, "reply", text="车辆已拖离", evidence=evidence)
    lead.context.close()
    for viewport, name in ((DESK, "case-verify-desk.png"), (PHONE, "case-verify-phone.png")):
        verifier = _login(browser, server, "gridworker", viewport)
        errors: list[str] = []
        verifier.on("pageerror", lambda e: errors.append(str(e)))  # noqa: B023 - read in this iteration
        verifier.goto(f"{server}/cases/{case['id']}")
        verifier.wait_for_selector("#case-map[data-ready='1']", timeout=20_000)
        assert not errors, errors
        assert int(verifier.get_attribute("#case-map", "data-points")) >= 3  # the case, the reply, the unit's fix
        # The fixes lie close together: the labels shown never cover each other (a crowded one shows on a tap).
        verifier.wait_for_function(  # a label moved to a tap fades out of the map first
            "() => document.querySelectorAll('#case-map .leaflet-tooltip').length"
            " == Number(document.getElementById('case-map').dataset.labels)"
        )
        boxes = verifier.evaluate(
            "() => [...document.querySelectorAll('#case-map .leaflet-tooltip')].map((e) => {"
            " const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"
        )
        assert len(boxes) == int(verifier.get_attribute("#case-map", "data-labels")) >= 1
        for n, a in enumerate(boxes):
            for b in boxes[n + 1 :]:
                assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
        reply = verifier.inner_text("#reply")
        assert "车辆已拖离" in reply
        assert "盲道已恢复" in reply
        assert verifier.locator("#reply img").count() == 1
        assert verifier.evaluate("() => document.querySelector('#reply img').naturalWidth") > 0
        help_text = verifier.inner_text("#collaboration")
        assert "告知单 KC-2026-118" in help_text
        assert verifier.locator("#collaboration .help-reply img").count() == 1
        assert "盲道" in verifier.inner_text("#summary")
        assert verifier.locator("form[data-command='verify']").count() == 1
        if viewport is PHONE:
            assert verifier.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        _shot(verifier, name)
        verifier.context.close()


def _lead_on_a_phone(browser: Any, server: str, world: World) -> tuple[Any, dict[str, Any], dict[str, float]]:
    """The traffic police's page of a new case in progress in 府山街道, on a phone: the page, the case, its point."""
    with Session(world.engine) as session:
        _grid, point = fushan_point(session)
    case = _case_in_progress(browser, server, point)
    page = _login(browser, server, "kc-traffic", PHONE, is_mobile=True)
    page.goto(f"{server}/cases/{case['id']}")
    return page, case, point


def test_a_reply_refused_on_a_phone_opens_at_the_missing_photo(browser: Any, server: str, sqlite_world: World) -> None:
    page, case, point = _lead_on_a_phone(browser, server, sqlite_world)
    form = page.locator("form[data-command='reply']")
    form.locator("textarea[name=text]").fill("已联系车主将车辆驶离，并对其进行教育。")
    form.locator("input[name=evidence_gps]").fill(f"{point['lon']:.5f},{point['lat']:.5f}")
    # A photo over 5 MB is said by its input as soon as it is chosen, and nothing is sent (the server's body
    # limit would answer the whole form with a bare 413 otherwise).
    photo = form.locator("input[name=photo]")
    photo.set_input_files(
        files=[{"name": "big.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * (5 * 1024 * 1024 + 1)}]
    )
    assert form.locator("[data-photo-note]").inner_text() == "照片不能超过 5 MB，请换一张或压缩后再选"
    form.locator("button[type=submit]").click()
    assert page.url.endswith(f"/cases/{case['id']}")
    assert page.evaluate("() => document.activeElement.name") == "photo"
    photo.set_input_files(files=[])
    assert form.locator("[data-photo-note]").count() == 0
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/cases/{case['id']}/act")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'refused'")
    reason = page.locator("#refused")
    assert reason.get_attribute("data-field") == "evidence_photo"
    assert "缺少办结所需证据：照片" in reason.inner_text()
    assert page.evaluate("() => window.scrollY") > 0, "not at the top of the page"
    box = reason.bounding_box()
    assert box is not None
    assert box["y"] >= 56, "below the top bar"
    assert box["y"] + box["height"] <= PHONE["height"], "on the first screen"
    assert form.locator("textarea[name=text]").input_value() == "已联系车主将车辆驶离，并对其进行教育。"
    _shot(page, "case-reply-refused-phone.png")
    page.goto(f"{server}/cases/{case['id']}/act")  # the address bar's address, opened again: back to the case
    page.wait_for_url(f"**/cases/{case['id']}#actions")
    assert page.locator("form[data-command='reply']").count() == 1
    page.context.close()


def _camera_photo() -> bytes:
    """A phone camera's full-size photo: 4000 × 3000 of fine detail, well over the 5 MB limit as a JPEG."""
    import io  # noqa: PLC0415 - only this test draws a photo

    import numpy as np  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415

    noise = np.random.default_rng(7).integers(0, 256, (3000, 4000, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise).save(out, "JPEG", quality=95)
    return out.getvalue()


def test_a_camera_photo_over_the_limit_is_made_smaller_on_the_phone_and_sent(
    browser: Any, server: str, sqlite_world: World
) -> None:
    page, case, point = _lead_on_a_phone(browser, server, sqlite_world)
    form = page.locator("form[data-command='reply']")
    big = _camera_photo()
    assert len(big) > 5 * 1024 * 1024
    photo = form.locator("input[name=photo]")
    photo.set_input_files(files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": big}])
    page.wait_for_function(
        "() => { const f = document.querySelector(\"form[data-command='reply'] input[name=photo]\").files[0];"
        " return f && f.size <= 5 * 1024 * 1024; }",
        timeout=20_000,
    )
    assert form.locator("[data-photo-note]").count() == 0  # taken, not refused
    form.locator("textarea[name=text]").fill("已联系车主将车辆驶离。")
    form.locator("input[name=evidence_gps]").fill(f"{point['lon']:.5f},{point['lat']:.5f}")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/cases/{case['id']}*")
    page.wait_for_selector("#summary")
    assert page.locator("#reply img").count() == 1  # the photo is on the case, shown with the reply that cites it
    page.context.close()


def test_an_empty_reply_sent_from_the_page_is_told_every_missing_input_at_once(
    browser: Any, server: str, sqlite_world: World
) -> None:
    """The browser does not stop at its first required box: the page names the text, the photo and the place."""
    page, case, _point = _lead_on_a_phone(browser, server, sqlite_world)
    page.locator("form[data-command='reply'] button[type=submit]").click()
    page.wait_for_url(f"**/cases/{case['id']}/act")
    form = page.locator("form[data-command='reply']")
    named = {form.locator(f"[data-field='{name}']").count() for name in ("text", "evidence_photo", "evidence_gps")}
    assert named == {1}
    page.context.close()
