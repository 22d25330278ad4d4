"""Pilots: the demo's parking pilot compared from the record on its page; registering one from the form."""

from __future__ import annotations

import re

from tests.conftest import Api


def _pilot_link(api: Api) -> str:
    page = api.get("/kpis/pilots")
    assert page.status_code == 200
    found = re.search(r'href="(/kpis/pilots/\d+)"', page.text)
    assert found, "the demo registers its parking pilot"
    return found.group(1)


def test_the_demo_pilot_shows_the_seeds_effects_borne_out_by_the_record(api: Api) -> None:
    page = api.login("kc-centre").get(_pilot_link(api.login("kc-centre")))
    assert page.status_code == 200
    assert "城区机动车违停治理一件事（府山街道试点）" in page.text
    assert 'id="pilot-effects"' in page.text
    handling = page.text.split('data-measure="handling_time"', 1)[1].split("</tr>", 1)[0]
    assert "-66.7%" in handling  # the reported figure
    assert "在区间内，记录支持" in handling
    assert "显著下降" in handling
    assert "荷花街道" in page.text  # a control
    assert "事项：城区机动车违停治理" in page.text
    english = api.get(_pilot_link(api) + "?lang=en")
    assert english.status_code == 200
    assert "Matter: Illegal parking" in english.text  # an English colon on the English page


def test_a_township_elsewhere_does_not_find_the_pilot(api: Api) -> None:
    link = _pilot_link(api.login("kc-centre"))
    api.login("huzhen")
    assert "府山街道试点" not in api.get("/kpis/pilots").text
    assert api.get(link).status_code == 404
    # A pilot is compared with areas beside it: registered by a centre over them, not by a township or a grid.
    assert 'id="pilot-form"' not in api.get("/kpis/pilots").text
    api.login("gridworker")
    assert 'id="pilot-form"' not in api.get("/kpis/pilots").text
    assert 'id="pilot-who"' in api.get("/kpis/pilots").text
    api.login("kc-centre")
    assert 'id="pilot-form"' in api.get("/kpis/pilots").text


def test_registering_a_pilot_keeps_the_input_and_names_each_error(api: Api) -> None:
    api.login("kc-centre")
    token = api.get("/kpis/pilots").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {"csrf_token": token, "name": "", "matter": "urban_noise", "area": "330802006", "start": "2026-13",
            "reported_volume": "abc"}  # fmt: skip
    refused = api.client.post("/kpis/pilots", data=form)
    assert refused.status_code == 422
    assert 'id="error-start"' in refused.text
    assert 'id="error-reported_volume"' in refused.text
    assert 'value="abc"' in refused.text
    form |= {"name": "噪声扰民夜查试点", "start": "2026-03", "reported_volume": "-10", "control": ["330802007"]}
    form["reported_volume"] = "-10"
    saved = api.client.post("/kpis/pilots", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert "噪声扰民夜查试点" in api.get(saved.headers["location"]).text
    outside = api.client.post("/kpis/pilots", data=form | {"area": "330825001"})
    assert outside.status_code == 422
    assert "该区域不在您的管辖范围内" in outside.text
