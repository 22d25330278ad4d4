"""The big screen's data: the centre's county, labelled, counted within scope; the page shell."""

from __future__ import annotations

from tests.conftest import Api


def test_the_centre_sees_its_county_with_tiles_lights_rankings_and_cases(api: Api) -> None:
    data = api.login("kc-centre").get("/api/v1/command-centre").json()
    assert data["area"] == "330802"
    assert data["area_label"] == "柯城区"
    assert {tile["key"] for tile in data["tiles"]} >= {"month_volume", "open", "on_time_rate", "satisfaction_rate"}
    assert data["area_level"] == "township"
    assert any(bar["label"] == "府山街道" for bar in data["areas"])
    assert data["points"], "open cases are on the map"
    assert all(point["light"] in {"green", "yellow", "red"} for point in data["points"])
    assert sum(data["lights"].values()) == len(data["points"])
    assert len(data["trend"]) >= 1
    assert all(not bar["label"].isascii() for bar in data["matters"])  # matters by their Chinese names


def test_the_centre_sees_its_open_command_groups_and_another_county_does_not(api: Api) -> None:
    panel = api.login("kc-centre").get("/api/v1/command-centre").json()["command_groups"]
    titles = {g["title"]: g for g in panel["groups"]}
    fushan = titles["府山街道暴雨内涝应急处置指挥组"]
    assert fushan["state"] == "active"
    assert fushan["area_name"] == "府山街道"
    assert fushan["number"].startswith("ZH")
    assert fushan["members"] >= 8
    assert fushan["overdue_instructions"] >= 1
    assert fushan["open_instructions"] >= fushan["overdue_instructions"]
    assert titles["柯城区高温天气防范指挥组"]["state"] == "stable"
    assert (panel["active"], panel["stable"]) == (1, 1)
    assert "龙游县防御台风应急指挥组" not in titles  # closed, and in another county
    api.client.cookies.clear()
    longyou = api.login("ly-centre").get("/api/v1/command-centre").json()["command_groups"]
    assert longyou == {"active": 0, "stable": 0, "groups": []}


def test_labels_follow_the_language(api: Api) -> None:
    data = api.login("kc-centre").get("/api/v1/command-centre?lang=en").json()
    assert all(bar["label"].isascii() for bar in data["matters"])


def test_a_township_sees_only_itself_and_a_stranger_nothing(api: Api) -> None:
    township = api.login("fushan").get("/api/v1/command-centre").json()
    assert township["area"] == "330802006"
    assert {bar["key"] for bar in township["areas"]} <= {"330802006"}
    assert all(point["lon"] for point in township["points"])
    api.client.cookies.clear()
    assert api.get("/api/v1/command-centre").status_code == 401


def test_a_departments_reader_is_told_the_figures_are_its_units_cases_and_a_centre_is_not(api: Api) -> None:
    """The traffic police head counts its unit's cases in the county: the screen and the KPI page say whose."""
    unit = api.login("kc-traffic-head").get("/api/v1/command-centre").json()
    assert (unit["area_label"], unit["units"]) == ("柯城区", ["柯城区公安交警大队"])
    page = api.get("/kpis", headers={"accept": "text/html"})
    assert '以下数字只统计本单位的办件：<span translate="no">柯城区公安交警大队</span>' in page.text
    centre = api.login("kc-centre").get("/api/v1/command-centre").json()
    assert centre["units"] == []
    assert 'id="units-only"' not in api.get("/kpis", headers={"accept": "text/html"}).text


def test_the_page_is_in_the_centres_menu(api: Api) -> None:
    page = api.login("kc-centre").get("/command-centre")
    assert page.status_code == 200
    assert "驾驶舱" in page.text
    assert 'data-url="/api/v1/command-centre?lang=zh"' in page.text
    assert "各项比率与办理时长为近12个月受理的办件" in page.text  # the tiles say which period they count
    home = api.get("/")
    assert 'href="/command-centre"' in home.text
