"""Case pages: intake form, work queue, the case page and its action buttons."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from tests.cases.test_flow import fushan_point

HTML = {"accept": "text/html"}


def _form(api: Any, session: Session) -> dict[str, str]:
    _grid, point = fushan_point(session)
    return {
        "csrf_token": api.csrf,
        "matter": "illegal_parking",
        "description": "违停占用人行道",
        "lon": str(point["lon"]),
        "lat": str(point["lat"]),
        "attr.plate_number": "浙H54321",
        "attr.vehicle_type": "car",
        "attr.parked_on": "pavement",
        "channel": "phone",
    }


def test_report_from_the_form_and_act_from_the_buttons(api: Any, session: Session) -> None:
    api.login("gridworker")
    form_page = api.get("/cases/new?matter=illegal_parking", headers=HTML)
    assert form_page.status_code == 200
    assert 'name="attr.plate_number"' in form_page.text
    created = api.client.post("/cases/new", data=_form(api, session), follow_redirects=False)
    assert created.status_code == 303, created.text
    case_url = created.headers["location"]
    page = api.get(case_url, headers=HTML)
    assert "柯城区公安交警大队" in page.text
    assert 'data-kind="contact_informed"' in page.text
    assert 'data-command="accept"' not in page.text

    api.login("kc-centre")
    queue = api.get("/cases", headers=HTML)
    assert case_url in queue.text
    page = api.get(case_url, headers=HTML)
    assert 'data-command="accept"' in page.text
    version = page.text.split('name="version" value="', 1)[1].split('"', 1)[0]
    acted = api.client.post(
        f"{case_url}/act",
        data={"csrf_token": api.csrf, "command": "accept", "version": version},
        follow_redirects=False,
    )
    assert acted.status_code == 303
    assert "已受理" in api.get(case_url, headers=HTML).text


def test_a_wrong_form_is_shown_again_with_the_reasons(api: Any, session: Session) -> None:
    api.login("gridworker")
    data = _form(api, session)
    data["attr.vehicle_type"] = "spaceship"
    response = api.client.post("/cases/new", data=data, headers=HTML)
    assert response.status_code == 422
    assert 'data-field="attr.vehicle_type">请从列表中选择' in response.text
    assert "attributes.vehicle_type" not in response.text
    assert "违停占用人行道" in response.text


def test_photos_and_merges_from_the_case_page(api: Any, session: Session) -> None:
    from tests.cases.test_photos_and_disputes import _png  # noqa: PLC0415

    api.login("gridworker")
    first = api.client.post("/cases/new", data=_form(api, session), follow_redirects=False).headers["location"]
    second = api.client.post("/cases/new", data=_form(api, session), follow_redirects=False).headers["location"]
    uploaded = api.client.post(
        f"{second}/photo",
        data={"csrf_token": api.csrf},
        files={"photo": ("p.png", _png(), "image/png")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303
    assert 'data-kind="photo_added"' in api.get(second, headers=HTML).text
    api.login("kc-centre")
    page = api.get(second, headers=HTML).text
    first_id = first.rsplit("/", 1)[1]
    assert f'name="into_case_id" value="{first_id}"' in page
    merged = api.client.post(
        f"{second}/merge", data={"csrf_token": api.csrf, "into_case_id": first_id}, follow_redirects=False
    )
    assert merged.status_code == 303
    assert "不予受理" in api.get(second, headers=HTML).text
