"""Open311 GeoReport v2 over HTTP: every endpoint in XML and JSON, the key, the filters, the limits.

XML answers are parsed back with defusedxml (the tests parse; the server only writes).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from xml.etree.ElementTree import Element

import pytest
from defusedxml import ElementTree as SafeET
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.cases.test_flow import PNG, fushan_point

from zhili.cases.models import Case, CasePhoto
from zhili.core.audit import AuditRecord
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.core.rate_limit import RateLimiter
from zhili.core.settings import DEFAULT_SECRET
from zhili.open311 import service

BASE = "/open311/v2"
XML = "text/xml; charset=utf-8"
JSON = "application/json; charset=utf-8"
PARKING = {
    "service_code": "illegal_parking",
    "attribute[plate_number]": "浙H12345",
    "attribute[vehicle_type]": "car",
    "attribute[parked_on]": "pavement",
    "description": "人行道上停了一辆车，挡住了盲道",
    "first_name": "三",
    "last_name": "张",
    "phone": "0570-888 1234",
    "email": "zhang@example.com",
}
PERSONAL = ("张三", "05708881234", "0570-888 1234", "zhang@example.com")


@pytest.fixture
def key(session: Session, clock: FrozenClock) -> str:
    """A registered client's API key."""
    created = service.create_client(
        session, name="衢州市民App", actor=system_actor("test"), clock=clock, secret=DEFAULT_SECRET
    )
    return created.key


def xml(response: Any) -> Element:
    """An XML answer parsed safely, after checking its declaration and content type."""
    assert response.headers["content-type"] == XML
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root: Element = SafeET.fromstring(response.content)
    assert "}" not in root.tag  # no namespace
    return root


def as_json(response: Any) -> Any:
    assert response.headers["content-type"] == JSON
    return response.json()


def report(api: Any, session: Session, key: str, fmt: str = "json", **extra: Any) -> Any:
    _, point = fushan_point(session)
    form = {**PARKING, "lat": str(point["lat"]), "long": str(point["lon"]), "api_key": key, **extra}
    return api.client.post(f"{BASE}/requests.{fmt}", data=form)


def posted_number(response: Any) -> str:
    assert response.status_code == 201, response.text
    created = as_json(response)
    assert isinstance(created, list)
    assert len(created) == 1
    assert set(created[0]) == {"service_request_id", "service_notice", "account_id"}
    number = created[0]["service_request_id"]
    assert isinstance(number, str)
    assert number.startswith("ZL")
    return number


# ---- discovery and services --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/open311/discovery", f"{BASE}/discovery"])
def test_discovery_in_both_formats(api: Any, path: str) -> None:
    found = as_json(api.get(f"{path}.json"))
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(found)
    endpoint = found["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert endpoint["type"] in {"production", "test"}
    root = xml(api.get(f"{path}.xml"))
    assert root.tag == "discovery"
    formats = [f.text for f in root.findall("endpoints/endpoint/formats/format")]
    assert formats == ["text/xml", "application/json"]
    assert root.findtext("endpoints/endpoint/specification") == "http://wiki.open311.org/GeoReport_v2"


def test_services_are_the_matters_of_the_catalog(api: Any) -> None:
    services = as_json(api.get(f"{BASE}/services.json"))
    assert isinstance(services, list)
    by_code = {s["service_code"]: s for s in services}
    assert len(by_code) == 17
    parking = by_code["illegal_parking"]
    assert parking["service_name"] == "城区机动车违停治理"
    assert parking["metadata"] is True
    assert parking["type"] == "realtime"
    assert parking["group"]
    assert "illegal_parking" in parking["keywords"].split(",")
    root = xml(api.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    assert {s.findtext("service_code") for s in root.findall("service")} == set(by_code)
    assert root.find("service/metadata") is not None
    assert {s.findtext("metadata") for s in root.findall("service")} <= {"true", "false"}
    english = as_json(api.get(f"{BASE}/services.json?lang=en"))
    assert {s["service_code"]: s["service_name"] for s in english}["illegal_parking"] == "Illegal parking in the city"


@pytest.mark.parametrize("path", ["services", "service"])
def test_a_service_definition_maps_the_intake_attributes(api: Any, path: str) -> None:
    found = as_json(api.get(f"{BASE}/{path}/illegal_parking.json"))
    assert found["service_code"] == "illegal_parking"
    attributes = found["attributes"]
    codes = [a["code"] for a in attributes]
    assert codes[:3] == ["plate_number", "vehicle_type", "parked_on"]
    orders = [a["order"] for a in attributes]
    assert orders == sorted(orders)
    assert len(set(orders)) == len(orders)
    vehicle = attributes[1]
    assert vehicle["datatype"] == "singlevaluelist"
    assert vehicle["required"] is True
    assert vehicle["variable"] is True
    assert {"key", "name"} == set(vehicle["values"][0])
    root = xml(api.get(f"{BASE}/{path}/illegal_parking.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "illegal_parking"
    first = root.find("attributes/attribute")
    assert first is not None
    assert first.findtext("code") == "plate_number"
    assert first.findtext("required") == "true"
    assert root.findall("attributes/attribute")[1].find("values/value/key") is not None


def test_an_unknown_service_is_404_in_the_open311_shape(api: Any) -> None:
    response = api.get(f"{BASE}/services/no_such_matter.json")
    assert response.status_code == 404
    errors = as_json(response)
    assert errors[0]["code"] == 404
    assert "no_such_matter" in errors[0]["description"]
    response = api.get(f"{BASE}/services/no_such_matter.xml")
    assert response.status_code == 404
    root = xml(response)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"
    assert root.findtext("error/description")


def test_an_unknown_format_is_404(api: Any) -> None:
    assert api.get(f"{BASE}/services.html").status_code == 404


def test_framework_refusals_come_in_the_open311_shape_too(api: Any) -> None:
    unknown = api.get(f"{BASE}/nothing.json")
    assert unknown.status_code == 404
    assert as_json(unknown)[0]["code"] == 404
    wrong_method = api.client.delete(f"{BASE}/services.xml")
    assert wrong_method.status_code == 405
    assert xml(wrong_method).findtext("error/code") == "405"
    assert "problem" not in wrong_method.headers["content-type"]


# ---- posting a report --------------------------------------------------------------------------------


def test_a_report_becomes_a_case_the_kecheng_centre_sees(api: Any, session: Session, key: str) -> None:
    number = posted_number(report(api, session, key))
    case = session.scalars(select(Case).where(Case.number == number)).one()
    assert case.channel == "open311"
    assert case.reporter_name == "张三"
    assert case.reporter_phone == "05708881234"
    assert case.originator_person_id is None
    assert case.originator_account_id is None
    api.login("kc-centre")
    seen = api.get(f"/api/v1/cases/{case.id}")
    assert seen.status_code == 200
    assert seen.json()["channel"] == "open311"
    page = api.get(f"/cases/{case.id}", headers={"accept": "text/html"})
    assert "Open311 应用 衢州市民App" in page.text  # the timeline names the client
    (actor,) = session.scalars(
        select(AuditRecord.actor).where(AuditRecord.entity_id == str(case.id), AuditRecord.action == "case.reported")
    )
    assert actor.startswith("open311:")
    assert actor.endswith(":衢州市民App")


def test_a_report_answers_in_xml(api: Any, session: Session, key: str) -> None:
    response = report(api, session, key, fmt="xml")
    assert response.status_code == 201
    root = xml(response)
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id", "").startswith("ZL")
    assert root.find("request/token") is None


def test_the_key_may_come_in_the_query_string(api: Any, session: Session, key: str) -> None:
    _, point = fushan_point(session)
    form = {**PARKING, "lat": str(point["lat"]), "long": str(point["lon"])}
    response = api.client.post(f"{BASE}/requests.json?api_key={key}", data=form)
    posted_number(response)


@pytest.mark.parametrize("given", [None, "o311_not-a-key"])
def test_a_missing_or_wrong_key_is_403(api: Any, session: Session, key: str, given: str | None) -> None:
    _, point = fushan_point(session)
    form = {**PARKING, "lat": str(point["lat"]), "long": str(point["lon"])}
    if given is not None:
        form["api_key"] = given
    before = session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))
    response = api.client.post(f"{BASE}/requests.xml", data=form)
    assert response.status_code == 403
    assert xml(response).findtext("error/code") == "403"
    assert session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) == before
    nothing = api.client.post(f"{BASE}/requests.json", data={"description": "no key, no service"})
    assert nothing.status_code == 403  # the key is checked first


def test_a_revoked_key_is_403(api: Any, session: Session, clock: FrozenClock) -> None:
    created = service.create_client(
        session, name="旧App", actor=system_actor("test"), clock=clock, secret=DEFAULT_SECRET
    )
    service.revoke_client(session, client_id=created.id, actor=system_actor("test"), clock=clock)
    assert report(api, session, created.key).status_code == 403


def test_an_unknown_service_on_post_is_404(api: Any, session: Session, key: str) -> None:
    response = report(api, session, key, service_code="no_such_matter")
    assert response.status_code == 404
    assert as_json(response)[0]["code"] == 404


def test_a_report_without_a_location_is_400(api: Any, key: str) -> None:
    response = api.client.post(f"{BASE}/requests.json", data={**PARKING, "api_key": key})
    assert response.status_code == 400
    errors = as_json(response)
    assert any(e["description"].startswith("lat:") for e in errors)


def test_a_point_outside_quzhou_is_400(api: Any, session: Session, key: str) -> None:
    hangzhou = {**PARKING, "lat": "30.2741", "long": "120.1551", "api_key": key}
    response = api.client.post(f"{BASE}/requests.json", data=hangzhou)
    assert response.status_code == 400
    assert "lat" in as_json(response)[0]["description"]
    far = {**PARKING, "lat": "0", "long": "0", "api_key": key}
    response = api.client.post(f"{BASE}/requests.xml", data=far)
    assert response.status_code == 400
    assert xml(response).findtext("error/description")


def test_a_place_name_locates_a_report(api: Any, session: Session, key: str) -> None:
    form = {**PARKING, "address_string": "柯城区府山街道", "api_key": key}
    number = posted_number(api.client.post(f"{BASE}/requests.json", data=form))
    case = session.scalars(select(Case).where(Case.number == number)).one()
    assert case.place_code.startswith("330802006")
    assert case.address == "柯城区府山街道"


def test_missing_and_wrong_attributes_are_400_by_name(api: Any, session: Session, key: str) -> None:
    response = report(api, session, key, **{"attribute[vehicle_type]": "spaceship", "attribute[plate_number]": ""})
    assert response.status_code == 400
    descriptions = " ".join(e["description"] for e in as_json(response))
    assert "attribute[vehicle_type]" in descriptions
    assert "attribute[plate_number]" in descriptions


def test_a_retry_with_the_same_idempotency_key_makes_one_case(api: Any, session: Session, key: str) -> None:
    _, point = fushan_point(session)
    form = {**PARKING, "lat": str(point["lat"]), "long": str(point["lon"]), "api_key": key}
    headers = {"Idempotency-Key": "report-1"}
    first = api.client.post(f"{BASE}/requests.json", data=form, headers=headers)
    second = api.client.post(f"{BASE}/requests.json", data=form, headers=headers)
    assert posted_number(first) == posted_number(second)
    number = posted_number(first)
    assert session.scalar(select(Case.id).where(Case.number == number)) is not None
    count = len(
        list(
            session.scalars(
                select(Case.id).where(Case.channel == "open311", Case.description == PARKING["description"])
            )
        )
    )
    assert count == 1
    other = api.client.post(f"{BASE}/requests.json", data={**form, "description": "别的"}, headers=headers)
    assert other.status_code == 400  # the key was used for a different report (a 409, said as GeoReport's 400)


def test_the_intake_is_rate_limited_per_key_and_address(api: Any, session: Session, key: str) -> None:
    app = api.client.app
    app.state.rate_limiters = {
        "open311-address": RateLimiter(rate=0.001, burst=100),
        "open311-key": RateLimiter(rate=0.001, burst=1),
    }
    posted_number(report(api, session, key))
    refused = report(api, session, key)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert as_json(refused)[0]["code"] == 429
    app.state.rate_limiters = {
        "open311-address": RateLimiter(rate=0.001, burst=1),
        "open311-key": RateLimiter(rate=1, burst=100),
    }
    posted_number(report(api, session, key))
    by_address = report(api, session, key, fmt="xml")
    assert by_address.status_code == 429
    assert xml(by_address).findtext("error/code") == "429"


def test_a_media_file_is_stored_as_the_case_photo(api: Any, session: Session, key: str) -> None:
    _, point = fushan_point(session)
    form = {**PARKING, "lat": str(point["lat"]), "long": str(point["lon"]), "api_key": key}
    response = api.client.post(f"{BASE}/requests.json", data=form, files={"media": ("p.png", PNG, "image/png")})
    number = posted_number(response)
    case = session.scalars(select(Case).where(Case.number == number)).one()
    photo = session.scalars(select(CasePhoto).where(CasePhoto.case_id == case.id)).one()
    assert photo.data == PNG
    assert photo.uploaded_by.startswith("open311:")
    found = as_json(api.get(f"{BASE}/requests/{number}.json"))[0]
    assert found["media_url"].endswith(f"/open311/v2/media/{photo.id}")
    served = api.get(f"{BASE}/media/{photo.id}")
    assert served.status_code == 200
    assert served.content == PNG


def test_a_media_file_that_is_no_photo_is_refused(api: Any, session: Session, key: str) -> None:
    _, point = fushan_point(session)
    form = {**PARKING, "lat": str(point["lat"]), "long": str(point["lon"]), "api_key": key}
    response = api.client.post(f"{BASE}/requests.json", data=form, files={"media": ("p.png", b"MZ\x90", "image/png")})
    assert response.status_code == 415
    assert as_json(response)[0]["code"] == 415


# ---- reading requests --------------------------------------------------------------------------------


def test_a_request_reads_back_without_personal_data(api: Any, session: Session, key: str) -> None:
    number = posted_number(report(api, session, key))
    for path in (f"{BASE}/requests/{number}.json", f"{BASE}/request/{number}.json"):
        response = api.get(path)
        found = as_json(response)
        assert len(found) == 1
        request = found[0]
        assert request["service_request_id"] == number
        assert request["status"] == "open"
        assert request["service_code"] == "illegal_parking"
        assert request["agency_responsible"]
        assert request["requested_datetime"].endswith("+08:00")
        assert request["expected_datetime"].endswith("+08:00")
        assert request["status_notes"] == "已上报"
        assert "address_string" not in request
        for secret in PERSONAL:
            assert secret not in response.text
    root = xml(api.get(f"{BASE}/requests/{number}.xml"))
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == number
    assert root.findtext("request/status") == "open"
    assert float(root.findtext("request/lat") or "nan") > 28


def test_the_list_filters(api: Any, session: Session, key: str) -> None:
    number = posted_number(report(api, session, key))
    listed = as_json(api.get(f"{BASE}/requests.json"))
    assert number in {r["service_request_id"] for r in listed}
    assert all(r["service_request_id"] for r in listed)
    by_code = as_json(api.get(f"{BASE}/requests.json?service_code=urban_noise"))
    assert number not in {r["service_request_id"] for r in by_code}
    assert all(r["service_code"] == "urban_noise" for r in by_code)
    closed = as_json(api.get(f"{BASE}/requests.json?status=closed"))
    assert number not in {r["service_request_id"] for r in closed}
    assert all(r["status"] == "closed" for r in closed)
    opened = as_json(api.get(f"{BASE}/requests.json?status=open&service_code=illegal_parking,urban_noise"))
    assert number in {r["service_request_id"] for r in opened}
    by_id = as_json(api.get(f"{BASE}/requests.json?service_request_id={number}&status=closed"))
    assert [r["service_request_id"] for r in by_id] == [number]  # ids override the other filters
    root = xml(api.get(f"{BASE}/requests.xml?status=open"))
    assert number in {r.findtext("service_request_id") for r in root.findall("request")}
    paged = as_json(api.get(f"{BASE}/requests.json?page_size=1&page=1"))
    assert len(paged) == 1
    assert api.get(f"{BASE}/requests.json?status=pending").status_code == 400
    assert api.get(f"{BASE}/requests.json?page_size=5000").status_code == 400


def test_dates_filter_and_the_span_is_at_most_90_days(api: Any, session: Session, key: str, clock: FrozenClock) -> None:
    number = posted_number(report(api, session, key))
    today = clock.now()
    inside = f"start_date={(today - timedelta(days=1)).date()}&end_date={(today + timedelta(days=1)).date()}"
    assert number in {r["service_request_id"] for r in as_json(api.get(f"{BASE}/requests.json?{inside}"))}
    before = f"start_date={(today - timedelta(days=30)).date()}&end_date={(today - timedelta(days=2)).date()}"
    assert number not in {r["service_request_id"] for r in as_json(api.get(f"{BASE}/requests.json?{before}"))}
    too_long = f"start_date={(today - timedelta(days=120)).date()}&end_date={today.date()}"
    response = api.get(f"{BASE}/requests.json?{too_long}")
    assert response.status_code == 400
    assert "90 days" in as_json(response)[0]["description"]
    response = api.get(f"{BASE}/requests.xml?start_date=yesterday")
    assert response.status_code == 400
    assert xml(response).findtext("error/code") == "400"
    updated = as_json(api.get(f"{BASE}/requests.json?updated_after={(today - timedelta(hours=1)).isoformat()}"))
    assert number in {r["service_request_id"] for r in updated}


def test_extensions_add_the_extended_attributes(api: Any, session: Session, key: str) -> None:
    number = posted_number(report(api, session, key))
    plain = as_json(api.get(f"{BASE}/requests/{number}.json"))[0]
    assert "extended_attributes" not in plain
    found = as_json(api.get(f"{BASE}/requests/{number}.json?extensions=true"))[0]
    extended = found["extended_attributes"]
    assert extended["detailed_status"] == "reported"
    assert extended["lead_unit"] == found["agency_responsible"]
    assert extended["grid_code"].startswith("330802006")
    assert extended["collaborating_units"] == []
    root = xml(api.get(f"{BASE}/requests/{number}.xml?extensions=true"))
    assert root.findtext("request/extended_attributes/detailed_status") == "reported"


def test_closed_cases_read_as_closed_with_the_reply(api: Any, session: Session, key: str) -> None:
    number = posted_number(report(api, session, key))
    case = session.scalars(select(Case).where(Case.number == number)).one()
    case.status = "closed"
    case.closed_at = case.updated_at
    session.commit()
    found = as_json(api.get(f"{BASE}/requests/{number}.json"))[0]
    assert found["status"] == "closed"
    assert found["expected_datetime"] is None
    assert found["status_notes"].startswith("已办结")


def test_an_unknown_request_and_any_token_are_404(api: Any) -> None:
    response = api.get(f"{BASE}/requests/ZL20269999999.json")
    assert response.status_code == 404
    assert as_json(response)[0]["code"] == 404
    response = api.get(f"{BASE}/tokens/abc.xml")
    assert response.status_code == 404
    assert xml(response).findtext("error/code") == "404"


def test_cases_of_other_channels_are_not_public(api: Any, session: Session) -> None:
    staff = session.scalars(select(Case.number).where(Case.channel == "phone").limit(1)).one()
    assert api.get(f"{BASE}/requests/{staff}.json").status_code == 404
    listed = as_json(api.get(f"{BASE}/requests.json?service_request_id={staff}"))
    assert listed == []


def test_json_lists_are_bare_arrays(api: Any) -> None:
    for path in ("services.json", "requests.json"):
        assert isinstance(json.loads(api.get(f"{BASE}/{path}").content), list)


def test_a_phone_nobody_can_call_back_is_400_by_its_field(api: Any, session: Session, key: str) -> None:
    before = session.scalar(select(func.count()).select_from(Case))
    response = report(api, session, key, phone="12345")
    assert response.status_code == 400
    assert as_json(response)[0]["description"].startswith("phone:")
    assert session.scalar(select(func.count()).select_from(Case)) == before
    assert report(api, session, key, phone="13905701234").status_code == 201
