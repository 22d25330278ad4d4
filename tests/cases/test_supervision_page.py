"""The supervision page (督办中心) as a unit's head reads it on a phone: which filter is on, what each card is about."""

from __future__ import annotations

import re

from tests.conftest import Api

HTML = {"accept": "text/html"}


def test_the_chosen_kind_of_card_is_marked_and_named(api: Api) -> None:
    api.login("kc-traffic-head")
    page = api.get("/supervision?action=red_card", headers=HTML).text
    tabs = page.split('id="card-filter"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/supervision?action=red_card" class="active" aria-current="page">红牌</a>' in tabs
    assert tabs.count("aria-current") == 1
    assert "最近督办 · 红牌" in page
    everything = api.get("/supervision", headers=HTML).text.split('id="card-filter"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/supervision" class="active" aria-current="page">全部</a>' in everything


def test_a_card_from_the_clock_says_which_phase_it_was_on(api: Api) -> None:
    api.login("kc-traffic-head")
    recent = api.get("/supervision?action=yellow_card", headers=HTML).text.split('id="recent"', 1)[1]
    assert '<span class="auto-note">环节：' in recent
    english = api.get("/supervision?action=yellow_card&lang=en", headers=HTML).text.split('id="recent"', 1)[1]
    assert '<span class="auto-note">Phase: ' in english


def test_a_units_staff_read_the_cards_their_unit_received(api: Api) -> None:
    """The traffic police's cases carry the centre's own cards too: the 本单位 tab lists only the unit's."""
    api.login("kc-traffic")
    everything = api.get("/supervision", headers=HTML).text
    tab = everything.split('id="unit-filter"', 1)[1].split("</nav>", 1)[0]
    own = tab.split('<a href="/supervision?unit=', 1)[1].split('"', 1)[0]
    assert "社会治理中心（受理/核查）" in everything.split('id="recent"', 1)[1]
    mine = api.get(f"/supervision?unit={own}&action=yellow_card", headers=HTML).text
    recent = mine.split('id="recent"', 1)[1]
    assert "最近督办 · 柯城区公安交警大队 · 黄牌" in mine
    assert "社会治理中心（受理/核查）" not in recent
    assert recent.count('data-label="责任单位">柯城区公安交警大队</td>') >= 1
    filters = mine.split('id="card-filter"', 1)[1].split("</nav>", 1)[0]
    assert f'<a href="/supervision?action=red_card&unit={own}">红牌</a>' in filters  # the unit kept
    assert api.get("/supervision?unit=0", headers=HTML).status_code == 422
    api.login("kc-centre")
    assert 'id="unit-filter"' not in api.get("/supervision", headers=HTML).text  # a centre holds no unit


def test_a_township_reads_every_unit_but_links_only_the_pages_it_may_open(api: Api) -> None:
    api.login("huzhen")
    page = api.get("/supervision", headers=HTML).text
    table = page.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    assert table.count("<tr") > 1  # the county's units that handle the township's cases are listed
    for unit in set(re.findall(r'href="/org/departments/(\d+)"', table)):
        assert api.get(f"/org/departments/{unit}", headers=HTML).status_code == 200, unit
    api.login("kc-centre")
    county = api.get("/supervision", headers=HTML).text.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    assert 'href="/org/departments/' in county  # the centre opens its county's units


def test_cards_come_newest_issued_first_page_after_page(api: Api) -> None:
    """The demo's year of cards is loaded in bulk (ids out of time order): the list follows when they were issued."""
    api.login("kc-centre")
    first = api.get("/api/v1/supervision/cards", params={"limit": 20}).json()
    assert first["next_cursor"]
    second = api.get("/api/v1/supervision/cards", params={"limit": 20, "cursor": first["next_cursor"]}).json()
    issued = [card["issued_at"] for card in first["items"] + second["items"]]
    ids = [card["id"] for card in first["items"] + second["items"]]
    assert issued == sorted(issued, reverse=True)
    assert len(set(ids)) == len(ids)  # no card twice across the pages
