"""The catalog API: any logged-in user reads it, only administrators reload it."""

from __future__ import annotations

from typing import Any


def test_the_list_shows_the_current_version_of_every_matter(api: Any) -> None:
    api.login("kc-traffic")
    response = api.get("/api/v1/matters")
    assert response.status_code == 200
    matters = {m["code"]: m for m in response.json()}
    assert len(matters) == 17
    assert matters["wage_arrears"]["lead_kind"] == "hrss"
    assert "court" in matters["wage_arrears"]["collaborator_kinds"]
    assert matters["illegal_parking"]["version"] == 1
    assert matters["illegal_parking"]["is_default_assignment"] is False
    assert matters["dust_pollution"]["is_default_assignment"] is True


def test_one_matter_with_its_definition_and_versions(api: Any) -> None:
    api.login("ly-centre")
    body = api.get("/api/v1/matters/illegal_parking").json()
    assert body["latest"]["definition"]["enforcement_item"] == "ENF-PARK-PAVEMENT"
    assert body["latest"]["definition"]["limits"]["department"]["handle"] == {"amount": 4, "unit": "hours"}
    assert [v["version"] for v in body["versions"]] == [1]
    version = api.get("/api/v1/matters/illegal_parking/versions/1").json()
    assert version["id"] == body["versions"][0]["id"]
    assert version["definition"]["attributes"][0]["code"] == "plate_number"


def test_unknown_codes_and_versions_are_404_and_bad_ones_422(api: Any) -> None:
    api.login("ly-centre")
    assert api.get("/api/v1/matters/nothing").status_code == 404
    missing = api.get("/api/v1/matters/illegal_parking/versions/7")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert api.get("/api/v1/matters/Bad-Code").status_code == 422
    assert api.get("/api/v1/matters/illegal_parking/versions/0").status_code == 422


def test_reading_needs_a_login(api: Any) -> None:
    assert api.get("/api/v1/matters").status_code == 401


def test_only_administrators_may_reload(api: Any) -> None:
    api.login("ly-centre")
    refused = api.send("POST", "/api/v1/matters/reload")
    assert refused.status_code == 403
    assert "administrators" in refused.json()["detail"]
    api.login("admin")
    reloaded = api.send("POST", "/api/v1/matters/reload")
    assert reloaded.status_code == 200, reloaded.text
    assert len(reloaded.json()["unchanged"]) == 17
    assert reloaded.json()["added"] == []
