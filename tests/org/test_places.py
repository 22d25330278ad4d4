"""Place names resolve to divisions, through the API and within scope."""

from __future__ import annotations

from typing import Any

import pytest

from zhili.org.division_code import DivisionLevel
from zhili.org.places import near_home
from zhili.org.schemas import DivisionRef, PlaceMatch


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("龙游县湖镇镇", "330825101"),
        ("湖镇镇", "330825101"),
        ("湖镇", "330825101"),
        ("衢州市柯城区府山街道", "330802006"),
        ("柯城府山", "330802006"),
        ("衢江区双桥乡", "330803203"),
        ("龙游县", "330825"),
        ("浙江省衢州市", "3308"),
    ],
)
def test_place_names_resolve_to_division_codes(api: Any, text: str, code: str) -> None:
    api.login("admin")
    matches = api.get("/api/v1/org/places", params={"q": text}).json()
    assert matches, text
    assert matches[0]["division"]["code"] == code
    assert matches[0]["score"] == 1.0


def test_a_name_outside_the_scope_is_not_offered(api: Any) -> None:
    api.login("huzhen")
    assert api.get("/api/v1/org/places", params={"q": "府山街道"}).json() == []


def test_empty_and_overlong_names_are_422(api: Any) -> None:
    api.login("admin")
    assert api.get("/api/v1/org/places", params={"q": ""}).status_code == 422
    assert api.get("/api/v1/org/places", params={"q": "长" * 61}).status_code == 422


@pytest.mark.parametrize(
    ("item", "division", "unit"),
    [
        ("ENF-ILLEGAL-BUILD", "330825101", "湖镇镇综合行政执法队"),
        ("ENF-WAGES", "330825101", "龙游县人力资源和社会保障局"),
        ("ENF-ILLEGAL-BUILD", "330825", "龙游县综合行政执法队"),
        ("ENF-PARK-PAVEMENT", "330802006", "柯城区公安交警大队"),
    ],
)
def test_the_unit_exercising_an_enforcement_item(api: Any, item: str, division: str, unit: str) -> None:
    api.login("admin")
    response = api.get(f"/api/v1/org/enforcement-items/{item}/unit", params={"division": division})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == unit


def test_enforcement_routing_refusals(api: Any) -> None:
    api.login("huzhen")
    assert api.get("/api/v1/org/enforcement-items/ENF-NOPE/unit", params={"division": "330825101"}).status_code == 404
    assert api.get("/api/v1/org/enforcement-items/ENF-WAGES/unit", params={"division": "330802006"}).status_code == 404
    api.login("admin")
    assert api.get("/api/v1/org/enforcement-items/ENF-WAGES/unit", params={"division": "3308"}).status_code == 422
    kinds = api.get("/api/v1/org/department-kinds").json()
    assert {"traffic_police", "hrss", "enforcement"} <= {k["code"] for k in kinds}


def _match(code: str) -> PlaceMatch:
    ref = DivisionRef(code=code, name="上安村委会", level=DivisionLevel.VILLAGE)
    return PlaceMatch(division=ref, path=[ref], score=1.0)


def test_a_shared_name_means_the_one_in_the_reporters_own_county_then_city() -> None:
    changshan, kaihua, shaoxing = _match("330822111236"), _match("330824218208"), _match("330602002")
    both = [changshan, kaihua]
    assert near_home(both, ("330822111",)) == [changshan]  # a 常山县 township's operator
    assert near_home([changshan, shaoxing], ("3308",)) == [changshan]  # Quzhou's public channel: its city
    assert near_home(both, ("3308",)) == both  # both in Quzhou: still ambiguous
    assert near_home(both, ("",)) == both  # an administrator has no home
    assert near_home(both, ()) == both  # nor has a citizen
    assert near_home(both, ("330802", "330822")) == [changshan]
    assert near_home(both, ("330822", "330824")) == both  # at home in both counties
    assert near_home([kaihua], ("330822",)) == [kaihua]  # a single match is never second-guessed
