"""The feeds and register API: CSV or JSON batches, every refusal by line, and the refusals of the API itself."""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.early_warning.helpers import FUSHAN, REGISTER_HEADER, code, csv_of
from zhili.early_warning.feeds.csv_text import decode
from zhili.early_warning.feeds.rows import FeedRefusedError

CSV = {"Content-Type": "text/csv"}


def register_two(api: Api) -> None:
    data = csv_of(REGISTER_HEADER, *((code(n), f"企业{n}", "C", "王某", "地址", FUSHAN, "small") for n in (1, 2)))
    response = api.send("POST", "/api/v1/enterprises?source=register.csv", content=data, headers=CSV)
    assert response.status_code == 201, response.text
    assert response.json() == {"added": 2, "updated": 0, "rejected": []}


def test_an_administrator_posts_a_feed_as_csv(api: Api) -> None:
    api.login("admin")
    register_two(api)
    data = csv_of(("credit_code", "month", "kwh"), (code(1), "2026-06", 100), (code(2), "2026-06", -1))
    response = api.send("POST", "/api/v1/feeds/electricity?source=grid-2026-06.csv", content=data, headers=CSV)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["kind"], body["mode"], body["accepted"], body["months"]) == ("electricity", "replace", 1, ["2026-06"])
    reason = "kwh 不能为负数（-1） / kwh cannot be negative (-1)"
    assert body["rejected"] == [{"line": 3, "column": "kwh", "reason": reason}]


def test_a_feed_posted_as_json_rows(api: Api) -> None:
    api.login("admin")
    register_two(api)
    rows = [
        {"credit_code": code(1), "month": "2026-06", "insured": 40, "arrears_yuan": 12000.5},
        {"credit_code": code(2), "month": "2026-06", "insured": 3.5},
    ]
    response = api.send("POST", "/api/v1/feeds/social_insurance?mode=merge", json={"rows": rows})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["accepted"], body["mode"]) == (1, "merge")
    assert [(r["line"], r["column"]) for r in body["rejected"]] == [(3, "insured")]


def test_the_api_refuses_what_it_cannot_read(api: Api) -> None:
    api.login("admin")
    unknown = api.send("POST", "/api/v1/feeds/weather", content=b"credit_code,month\n", headers=CSV)
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith("application/problem+json")
    columns = api.send("POST", "/api/v1/feeds/electricity", content=b"credit_code,month,watts\n", headers=CSV)
    assert columns.status_code == 422
    assert "unknown columns: watts" in columns.json()["detail"]
    media = api.send("POST", "/api/v1/feeds/electricity", content=b"x", headers={"Content-Type": "text/plain"})
    assert media.status_code == 422
    empty = api.send("POST", "/api/v1/feeds/electricity", json={"rows": []})
    assert empty.status_code == 422
    broken = api.send("POST", "/api/v1/feeds/electricity", content=b"{", headers={"Content-Type": "application/json"})
    assert broken.status_code == 422


def test_only_administrators_post_feeds_and_everyone_reads_the_schemas(api: Api) -> None:
    api.login("kc-centre")
    data = csv_of(("credit_code", "month", "kwh"), (code(1), "2026-06", 100))
    assert api.send("POST", "/api/v1/feeds/electricity", content=data, headers=CSV).status_code == 403
    assert api.send("POST", "/api/v1/enterprises", content=data, headers=CSV).status_code == 403
    feeds = api.get("/api/v1/feeds").json()
    assert [feed["kind"] for feed in feeds] == [
        "electricity",
        "water",
        "payroll",
        "tax",
        "social_insurance",
        "legal_events",
        "complaints",
    ]
    assert feeds[0]["columns"][2] | {"description": ""} == {
        "name": "kwh",
        "type": "number",
        "required": True,
        "unit": "kwh",
        "indicator": "electricity_kwh",
        "choices": [],
        "description": "",
    }


def test_an_administrator_reads_the_batches_with_their_refusals(api: Api) -> None:
    api.login("admin")
    register_two(api)
    data = csv_of(("credit_code", "month", "kwh"), (code(1), "2026-06", 100), (code(2), "2026-06", "x"))
    posted = api.send("POST", "/api/v1/feeds/electricity?source=power.csv", content=data, headers=CSV).json()
    batches = api.get("/api/v1/feeds/batches?kind=electricity&limit=5").json()
    mine = next(batch for batch in batches if batch["id"] == posted["batch_id"])
    assert (mine["source"], mine["provider"], mine["months"]) == ("power.csv", "供电公司", ["2026-06"])
    assert (mine["rows_accepted"], mine["rows_rejected"]) == (1, 1)
    assert mine["rejections"][0]["line"] == 3
    assert api.login("kc-centre").get("/api/v1/feeds/batches").status_code == 403


def test_a_stray_carriage_return_is_a_line_end_not_a_500(api: Api) -> None:
    """Old exports end lines with a bare CR: read as line ends, as the department meant them."""
    api.login("admin")
    strayed = csv_of(REGISTER_HEADER, (code(1), "企业1", "C", "王某", "地址", FUSHAN, "small")).replace(b"\n", b"\r")
    response = api.send("POST", "/api/v1/enterprises?source=old.csv", content=strayed, headers=CSV)
    assert response.status_code == 201, response.text
    assert response.json()["added"] == 1


def test_text_that_stops_being_csv_is_refused_by_its_line() -> None:
    huge = b"credit_code,name\n" + code(1).encode() + b"," + b"x" * 200_000 + b"\n"
    with pytest.raises(FeedRefusedError, match="line 2 is not valid CSV"):
        list(decode(huge).rows())
