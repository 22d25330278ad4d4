"""Every list that takes a cursor answers a tampered one with a 4xx naming the cursor, in the API and on pages."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.campaigns.board_helpers import seed_campaign
from tests.conftest import START, Api

HUZHEN = "330825101"  # 湖镇镇
# What a security review sent: a number past BIGINT (OverflowError in the driver), a word for a time.
TAMPERED = ([10**30], ["x", 1], ["2026-01-01T00:00:00+08:00", 10**30], ["", "1"], [None], "not base64!")

API_LISTS = (
    "/api/v1/cases",
    "/api/v1/cases?sort=due",
    "/api/v1/cases?sort=oldest",
    "/api/v1/campaigns",
    "/api/v1/inbox",
    "/api/v1/supervision/cards",
    "/api/v1/tasks",
    "/api/v1/tasks?sort=due",
    "/api/v1/tasks?sort=oldest",
    "/api/v1/notify/deliveries",
    "/api/v1/org/people",
    f"/api/v1/org/divisions/{HUZHEN}/children",
)
PAGES = ("/cases", "/cases?sort=due", "/campaigns", "/inbox", "/supervision", "/tasks", "/admin/deliveries")


def _cursor(value: Any) -> str:
    if isinstance(value, str):
        return value
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.fixture
def admin(api: Api) -> Api:
    return api.login("admin")


def _refused(api: Api, path: str, values: tuple[Any, ...]) -> None:
    for value in values:
        base, _, query = path.partition("?")
        params = dict(part.split("=") for part in query.split("&") if part) | {"cursor": _cursor(value)}
        response = api.get(base, params=params)
        assert response.status_code == 422, (path, value, response.text[:300])
        problem = response.json()
        assert problem["detail"].startswith("the cursor is not one this API issued"), problem
        assert problem["errors"][0]["field"] == "query.cursor"


@pytest.mark.parametrize("path", API_LISTS)
def test_a_tampered_cursor_is_a_422_naming_the_cursor(admin: Api, path: str) -> None:
    _refused(admin, path, TAMPERED)


def test_a_tampered_cursor_of_the_boards_people_is_a_422(admin: Api, session: Session) -> None:
    campaign = seed_campaign(session, owner=HUZHEN, now=START)
    # ["x", 1] has this list's shape (a code, an id): it reads as a place after which nothing is found.
    values = tuple(value for value in TAMPERED if value != ["x", 1])
    _refused(admin, f"/api/v1/campaigns/{campaign}/people?which=unclaimed", values)


@pytest.mark.parametrize("path", PAGES)
def test_a_tampered_cursor_on_a_page_is_the_page_error_not_a_500(admin: Api, path: str) -> None:
    api = admin
    for value in TAMPERED:
        base, _, query = path.partition("?")
        params = dict(part.split("=") for part in query.split("&") if part) | {"cursor": _cursor(value)}
        response = api.get(base, params=params, headers={"Accept": "text/html"})
        assert response.status_code == 422, (path, value, response.text[:300])
        assert "text/html" in response.headers["content-type"]


def test_a_tampered_cursor_on_the_division_page_is_a_422(admin: Api) -> None:
    page = f"/org/divisions/{HUZHEN}"
    response = admin.get(page, params={"cursor": _cursor([10**30])}, headers={"Accept": "text/html"})
    assert response.status_code == 422
