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
    assert "attributes.vehicle_type" in response.text
    assert "违停占用人行道" in response.text
