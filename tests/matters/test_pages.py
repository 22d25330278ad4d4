"""Catalog pages in Chinese and English."""

from __future__ import annotations

from typing import Any

HTML = {"accept": "text/html"}


def test_the_catalog_page_lists_the_matters_in_chinese(api: Any) -> None:
    api.login("fushan")
    page = api.get("/matters", headers=HTML)
    assert page.status_code == 200
    for text in (
        "事项目录",
        "城区机动车违停治理",
        "公安交警",
        "欠薪处置",
        "人力社保",
        "改革清单确定",
        "&#34;三小一摊&#34;监管",
    ):
        assert text in page.text, text
    assert 'href="/matters"' in page.text  # the navigation entry


def test_the_catalog_page_in_english(api: Any) -> None:
    api.login("fushan")
    page = api.get("/matters?lang=en", headers=HTML)
    for text in ("Matter catalog", "Illegal parking in the city", "Traffic police", "Editable default"):
        assert text in page.text, text


def test_a_matter_page_shows_assignment_limits_ladder_intake_and_history(api: Any) -> None:
    api.login("kc-traffic")
    page = api.get("/matters/wage_arrears", headers=HTML)
    assert page.status_code == 200
    for text in (
        "欠薪处置",
        "人力社保",
        "住建、法院、公安、司法",
        "拖欠劳动者工资查处",
        "5 个工作日",
        "催办",
        "70%",
        "红牌",
        "200%",
        "用人单位名称",
        "劳务派遣",
        "版本历史",
        "当前版本",
    ):
        assert text in page.text, text


def test_a_matter_page_in_english(api: Any) -> None:
    api.login("kc-traffic")
    page = api.get("/matters/illegal_parking?lang=en", headers=HTML)
    for text in (
        "Illegal parking in the city",
        "Pavement",
        "4 hours",
        "Yellow card",
        "Plate number",
        "Version history",
    ):
        assert text in page.text, text
    assert "1 hour<" in page.text
    assert "1 hours" not in page.text
    assert "Public security, Housing" in page.text


def test_an_old_version_can_be_shown_and_unknown_matters_are_404_pages(api: Any) -> None:
    api.login("kc-traffic")
    assert api.get("/matters/urban_gas?version=1", headers=HTML).status_code == 200
    missing = api.get("/matters/urban_gas?version=5", headers=HTML)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert api.get("/matters/nothing", headers=HTML).status_code == 404


def test_pages_need_a_login(api: Any) -> None:
    page = api.get("/matters", headers=HTML, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login")
