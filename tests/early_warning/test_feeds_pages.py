"""数据接入: the batches by their labels, a batch's refused rows, the upload form, and who may not use them."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import Api
from tests.early_warning.helpers import code, csv_of
from tests.early_warning.test_feeds_api import CSV, register_two
from zhili.early_warning.feeds_pages import said_in
from zhili.early_warning.models import FeedBatch

PAGE = "/feeds"
GOOD = csv_of(("credit_code", "month", "kwh"), (code(1), "2026-06", 100), (code(2), "2026-06", -1))


def form(api: Api, **fields: str) -> dict[str, str]:
    return {"csrf_token": api.csrf, "kind": "electricity", "mode": "replace", "source": "", **fields}


def upload(api: Api, data: bytes, name: str = "电力-2026-06.csv", **fields: str) -> object:
    return api.send("POST", PAGE, data=form(api, **fields), files={"file": (name, data, "text/csv")})


def test_the_page_lists_batches_by_label_and_a_batch_shows_its_refused_rows(api: Api) -> None:
    api.login("admin")
    register_two(api)
    posted = api.send("POST", "/api/v1/feeds/electricity?source=grid-2026-06.csv", content=GOOD, headers=CSV)
    batch = posted.json()["batch_id"]
    page = api.get(PAGE)
    assert page.status_code == 200
    row = re.search(rf'<tr data-batch="{batch}">.*?</tr>', page.text, re.DOTALL)
    assert row is not None
    assert "电力" in row.group(0)
    assert "替换" in row.group(0)
    assert "grid-2026-06.csv" in row.group(0)
    assert "供电公司" in row.group(0)
    assert ">electricity<" not in page.text  # the feed by its label, never its code
    assert ">replace<" not in page.text
    english = api.get(f"{PAGE}?lang=en")
    assert "Electricity" in english.text
    detail = api.get(f"{PAGE}/{batch}?lang=zh")
    assert detail.status_code == 200
    assert "第 3 行" in detail.text
    assert "当月用电量" in detail.text
    assert "kwh 不能为负数（-1）" in detail.text  # the value refused, in either language
    assert "cannot be negative" not in detail.text  # one language at a time
    detail_en = api.get(f"{PAGE}/{batch}?lang=en")
    assert "Line 3" in detail_en.text
    assert "kwh cannot be negative (-1)" in detail_en.text
    assert api.get(f"{PAGE}/999999").status_code == 404


def test_an_upload_imports_once_and_opens_its_batch(api: Api, session: Session) -> None:
    api.login("admin")
    register_two(api)
    fields = form(api, idempotency_key="a" * 32, source="供电公司 6 月")
    files = {"file": ("电力-2026-06.csv", GOOD, "text/csv")}
    done = api.send("POST", PAGE, data=fields, files=files, follow_redirects=False)
    assert done.status_code == 303, done.text
    location = done.headers["location"]
    assert re.fullmatch(r"/feeds/\d+\?imported=1", location)
    page = api.get(location)
    assert "已导入：接收 1 行，拒收 1 行。" in page.text
    assert "供电公司 6 月" in page.text
    again = api.send("POST", PAGE, data=fields, files=files, follow_redirects=False)
    assert again.headers["location"] == location  # the same form sent twice imported once
    count = session.scalar(select(func.count()).select_from(FeedBatch).where(FeedBatch.source == "供电公司 6 月"))
    assert count == 1
    named = upload(api, GOOD)
    assert "电力-2026-06.csv" in named.text  # without a source, the file's name is the batch's source


def test_a_refused_file_keeps_the_chosen_feed_and_shows_problems_by_row(api: Api) -> None:
    api.login("admin")
    register_two(api)
    columns = upload(api, csv_of(("credit_code", "month", "watts"), (code(1), "2026-06", 1)), mode="merge")
    assert columns.status_code == 422
    assert '<option value="electricity" selected>' in columns.text
    assert 'value="merge" checked' in columns.text
    assert "文件中有此类数据没有的列" in columns.text
    assert "watts" in columns.text
    assert "电力-2026-06.csv" in columns.text  # the file chosen is named, to choose again
    rows = upload(api, csv_of(("credit_code", "month", "kwh"), (code(1), "2026-06", "abc")))
    assert rows.status_code == 422
    assert 'data-line="2"' in rows.text
    assert "第 2 行" in rows.text
    assert "不是数字" in rows.text
    english = api.send(
        "POST",
        f"{PAGE}?lang=en",
        data=form(api),
        files={"file": ("x.csv", csv_of(("credit_code", "month", "kwh"), (code(1), "2026-06", "abc")), "text/csv")},
    )
    assert "Line 2" in english.text
    assert "'abc' is not a number" in html.unescape(english.text)  # the value refused, in either language
    api.get(f"{PAGE}?lang=zh")  # the language chosen sticks: back to Chinese
    nothing = api.send("POST", PAGE, data=form(api, kind=""), files={"file": ("x.csv", GOOD, "text/csv")})
    assert nothing.status_code == 422
    assert 'data-field="kind"' in nothing.text
    assert "请选择数据类别" in nothing.text
    not_csv = upload(api, b"\x00\x01")
    assert not_csv.status_code == 422
    assert "文件无法作为 CSV 读取" in not_csv.text


@pytest.mark.parametrize("username", ["qj-hrss", "kc-centre"])
def test_those_who_may_not_import_feeds_are_refused(api: Api, username: str) -> None:
    api.login(username)
    assert api.get(PAGE).status_code == 403
    assert api.get(f"{PAGE}/1").status_code == 403
    assert upload(api, GOOD).status_code == 403
    assert 'href="/feeds"' not in api.get("/warnings").text


def test_the_administrators_menu_leads_to_the_page(api: Api) -> None:
    page = api.login("admin").get("/warnings")
    assert 'href="/feeds"' in page.text


def test_a_reason_is_said_in_the_pages_language() -> None:
    reason = "'a / b' 不是数字 / not a number"
    assert said_in(reason, "zh") == "'a / b' 不是数字"
    assert said_in(reason, "en") == "not a number"
    assert said_in("plain", "en") == "plain"
