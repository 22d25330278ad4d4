"""Server-rendered organisation pages: content, language switch, scope."""

from __future__ import annotations

import json
from html import unescape
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from zhili.access.models import Account
from zhili.org.models import Division, Household, Person, Position

HTML = {"accept": "text/html"}


def test_the_longyou_page_shows_the_three_links_network(api: Any) -> None:
    api.login("ly-centre")
    page = api.get("/org/divisions/330825", headers=HTML)
    assert page.status_code == 200
    for text in ("龙游县", "组团联村团长", "263", "561", "10,300", "联系户"):
        assert text in page.text
    assert '<span class="badge">330825</span>' not in page.text  # the code says what it is
    assert "统计用区划代码 <span" in page.text


def test_a_party_members_page_shows_their_households(api: Any, session: Session) -> None:
    post = session.scalars(select(Position).where(Position.role == "party_member").order_by(Position.id)).first()
    assert post is not None
    count = len(session.scalars(select(Household.id).where(Household.member_position_id == post.id)).all())
    api.login("ly-centre")
    page = api.get(f"/org/people/{post.person_id}", headers=HTML)
    assert page.status_code == 200
    assert "联户党员" in page.text
    assert f'<td class="num" data-label="联系户">{count}</td>' in page.text


def test_the_english_switch_translates_and_is_remembered(api: Any) -> None:
    api.login("fushan")
    english = api.get("/org/divisions/330802006?lang=en", headers=HTML)
    assert "Subdivisions" in english.text
    assert api.client.cookies.get("zhili_lang") == "en"
    assert "Subdivisions" in api.get("/org/divisions/330802006", headers=HTML).text
    assert "下级区划" in api.get("/org/divisions/330802006?lang=zh", headers=HTML).text


def test_a_grid_page_starts_with_the_grid_not_an_empty_list_of_children(api: Any, session: Session) -> None:
    child = aliased(Division)
    has_children = select(child.code).where(child.parent_code == Division.code).exists()
    grid = session.scalars(
        select(Division.code)
        .where(Division.level == "grid", Division.code.startswith("330802006"), ~has_children)
        .order_by(Division.code)
    ).first()
    assert grid is not None
    api.login("fushan")
    page = api.get(f"/org/divisions/{grid}", headers=HTML)
    assert page.status_code == 200
    assert 'id="children"' not in page.text
    assert "下级区划" not in page.text
    assert 'class="split"' not in page.text  # no empty column kept for the list either
    township = api.get("/org/divisions/330802006", headers=HTML).text
    assert 'id="children"' in township
    assert township.index("下级区划") < township.index("<h1>")  # a division with children lists them first


def test_pages_outside_the_scope_are_404_pages(api: Any) -> None:
    api.login("fushan")
    page = api.get("/org/divisions/330825", headers=HTML)
    assert page.status_code == 404
    assert "未找到" in page.text
    assert "division 330825 not found" in api.get("/org/divisions/330825?lang=en", headers=HTML).text
    assert page.headers["content-type"].startswith("text/html")


def test_the_breadcrumb_links_only_the_places_the_reader_may_open(api: Any) -> None:
    # 府山街道's command room sees its township and below: the province, the city and the county are named, not linked.
    api.login("fushan")
    page = api.get("/org/divisions/330802006", headers=HTML).text
    crumbs = page.split('class="breadcrumb"', 1)[1].split("</nav>", 1)[0]
    assert "<span>浙江省</span>" in crumbs
    assert "<span>衢州市</span>" in crumbs
    assert "<span>柯城区</span>" in crumbs
    assert 'href="/org/divisions/330802"' not in crumbs
    assert '<span aria-current="page">府山街道</span>' in crumbs
    assert 'href="' not in crumbs
    village = api.get("/org/divisions/330802006001", headers=HTML)
    assert village.status_code == 200
    village_crumbs = village.text.split('class="breadcrumb"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/org/divisions/330802006">府山街道</a>' in village_crumbs  # its own township is linked
    assert "<span>柯城区</span>" in village_crumbs
    # Every link a reader is given opens.
    for href in {h.split('"', 1)[0] for h in village_crumbs.split('href="')[1:]}:
        assert api.get(href, headers=HTML).status_code == 200
    # The city's centre may open the county: linked for it.
    api.login("qz-centre")
    county = api.get("/org/divisions/330802006", headers=HTML).text.split('class="breadcrumb"', 1)[1]
    assert '<a href="/org/divisions/330802">柯城区</a>' in county


def test_search_finds_divisions_in_scope(api: Any) -> None:
    api.login("ly-centre")
    page = api.get("/org/search", params={"q": "湖镇"}, headers=HTML)
    assert "/org/divisions/330825101" in page.text
    api.login("fushan")
    assert "/org/divisions/330825101" not in api.get("/org/search", params={"q": "湖镇"}, headers=HTML).text


def test_search_finds_people_by_name_or_phone_in_scope(api: Any, session: Session) -> None:
    person_id = session.scalar(select(Account.person_id).where(Account.username == "gridworker"))
    worker = session.get(Person, person_id)
    assert worker is not None
    assert worker.phone
    api.login("fushan")
    for text in (worker.name, worker.phone):
        found = api.get("/org/search", params={"q": text}, headers=HTML)
        assert f'href="/org/people/{worker.id}"' in found.text
    api.login("ly-centre")  # another county's centre does not find them
    assert (
        f'href="/org/people/{worker.id}"' not in api.get("/org/search", params={"q": worker.phone}, headers=HTML).text
    )


def test_the_language_asked_for_survives_the_redirects(api: Any) -> None:
    api.client.cookies.clear()  # nobody logged in: the login page, in the language asked for
    to_login = api.client.get("/?lang=en", headers=HTML, follow_redirects=False)
    assert to_login.status_code == 303
    assert to_login.headers["location"].endswith("&lang=en")
    api.login("ly-centre")
    to_county = api.get("/org?lang=en", headers=HTML, follow_redirects=False)
    assert to_county.headers["location"] == "/org/divisions/330825?lang=en"


def test_names_are_escaped_in_pages(api: Any) -> None:
    api.login("huzhen")
    village = "330825101003"
    created = api.send(
        "POST",
        "/api/v1/org/people",
        json={"name": "<script>alert(1)</script>", "position": {"role": "village_cadre", "division_code": village}},
    )
    assert created.status_code == 201
    page = api.get(f"/org/people/{created.json()['id']}", headers=HTML)
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text


def test_the_traffic_police_page_shows_its_grids_over_community_grids(api: Any) -> None:
    api.login("kc-traffic")
    unit = api.get("/api/v1/org/departments").json()[0]
    grids = api.get(f"/api/v1/org/departments/{unit['id']}/grids").json()
    assert grids
    assert all(g["grid_codes"] and g["contacts"] for g in grids)
    assert all(code.startswith("330802") for g in grids for code in g["grid_codes"])
    page = api.get(f"/org/departments/{unit['id']}", headers=HTML)
    assert "部门网格（两网融合）" in page.text
    assert grids[0]["name"] in page.text


def test_department_grids_of_another_unit_are_404(api: Any) -> None:
    api.login("kc-traffic")
    api.login("fushan")
    units = api.get("/api/v1/org/departments").json()
    api.login("kc-traffic")
    assert api.get(f"/api/v1/org/departments/{units[0]['id']}/grids").status_code == 404


def test_the_maps_matter_filter_is_named_as_the_queues(api: Any) -> None:
    page = api.login("kc-centre").get("/map", headers={"accept": "text/html"}).text
    text = json.loads(unescape(page.split('data-text="', 1)[1].split('"', 1)[0]))
    assert (text["matter"], text["matterAll"]) == ("事项", "全部事项")  # as the case queue and the KPI page say
