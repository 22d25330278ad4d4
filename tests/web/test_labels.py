"""The shared label filters, and the crawl's detector of raw codes (it must catch what the crawl is for)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.web.page_text import problems, read_page, visible_text

from zhili.access.models import Account
from zhili.core.actor_names import actor_names
from zhili.org.models import Person
from zhili.web import labels

NOON_UTC = datetime(2026, 12, 2, 10, 10, tzinfo=UTC)


def test_times_are_local_without_a_zone() -> None:
    assert labels.local_time(NOON_UTC, "zh") == "2026-12-02 18:10"
    assert labels.local_time(NOON_UTC, "en") == "2 Dec 2026 18:10"
    assert labels.local_date(NOON_UTC, "zh") == "2026-12-02"
    assert labels.local_time(None) == ""


def test_durations_agree_with_their_number() -> None:
    assert labels.duration(1, "hours", "zh") == "1 小时"
    assert labels.duration(2, "working_days", "zh") == "2 个工作日"
    assert labels.duration(1, "hours", "en") == "1 hour"
    assert labels.duration(2, "working_days", "en") == "2 working days"
    assert labels.minutes(90, "zh") == "1 小时 30 分钟"
    assert labels.minutes(1440, "en") == "1 day"
    assert labels.minutes(30, "en") == "30 minutes"


def test_enums_lists_yes_no_and_counts_by_label() -> None:
    assert labels.label("in_progress", "status", "zh") == "处置中"
    assert labels.labels(["text", "photo"], "task_evidence", "zh") == "文字、照片"
    assert labels.labels(["text", "photo"], "task_evidence", "en") == "Text, Photos"
    assert labels.yesno("yes", "zh") == "是"
    assert labels.yesno(value=False, language="en") == "No"
    assert labels.more(3, "zh") == "另有 3 项"
    assert labels.more(3, "en") == "3 more"


def test_actors_and_topics_by_name() -> None:
    assert labels.actor("system:clock", "zh") == "系统时钟"
    assert labels.actor("system:clock", "en") == "the clock"
    assert labels.actor("account:8:gridworker", "zh", {"account:8:gridworker": "王芳"}) == "王芳"
    assert labels.actor("person:7520:程华琪", "zh") == "程华琪"
    assert labels.actor("hotline:12345", "zh") == "热线 12345"
    assert labels.topic("case.red_card", "zh") == "红牌警告"
    assert labels.topic("campaign.task", "en") == "New task"
    assert labels.topic_labels("zh")["case.urge"] == "催办"


def test_the_filters_read_the_page_language() -> None:
    environment = Environment(autoescape=True)
    labels.install(environment)
    template = environment.from_string("{{ t|local }} · {{ 2|duration('hours') }} · {{ 'red'|label('severity') }}")
    assert template.render(t=NOON_UTC, lang="en") == "2 Dec 2026 18:10 · 2 hours · Red alert"
    assert template.render(t=NOON_UTC, lang="zh") == "2026-12-02 18:10 · 2 小时 · 红色警示"


@pytest.mark.parametrize(
    ("text", "language", "kind"),
    [
        ("in_progress", "zh", "raw code"),
        ("plate_number", "en", "raw code"),
        ("1 working_days", "zh", "raw code"),
        ("case.red_card", "en", "untranslated key"),
        ("status.xxx", "zh", "untranslated key"),
        ("account:8:gridworker", "en", "actor string"),
        ("system:clock", "zh", "actor string"),
        ("due 2026-12-02T18:10+00:00", "en", "UTC/ISO time"),
        ("2026-07-23 07:00 UTC", "en", "time zone"),
        ("2026-07-23 15:00 CST", "en", "time zone"),
        ("['production_permit']", "en", "Python repr"),
        ("True", "en", "Python repr"),
        ("是否拥堵：None", "zh", "Python repr"),
        ("typhoon · red", "zh", "English"),
        ("任务评价：good", "zh", "English"),
        ("另有 3 项 / 3 more", "zh", "mixed languages"),
        ("1 hours", "en", "mixed languages"),
        ("Status: 处置中", "en", "Chinese label"),
        ("2 个工作日", "en", "Chinese label"),
    ],
)
def test_the_detector_catches_raw_codes(text: str, language: str, kind: str) -> None:
    assert any(found.startswith(kind) for found in problems(text, language)), problems(text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("ZL202607230001 · 浙H A1234", "zh"),
        ("治理 Zhili · English", "zh"),
        ("导出 CSV · XLSX · GPS", "zh"),
        ("330825101", "zh"),
        ("王芳 · 湖镇镇第3网格", "en"),
        ("Name or code, e.g. 龙游县湖镇镇", "en"),
        ("None", "en"),
        ("False advertising", "en"),
        ("Banned subject tutoring, False advertising", "en"),  # labels listed after a comma, not a repr
        ("ops@quzhou.example.cn", "zh"),
    ],
)
def test_the_detector_lets_data_and_the_allowlist_through(text: str, language: str) -> None:
    assert problems(text, language) == []


def test_visible_text_reads_attributes_and_skips_scripts() -> None:
    html = """<html><head><title>收件箱</title><script>var x = "in_progress";</script></head>
    <body><input type="submit" value="提交"><input placeholder="plate_number"><img alt="照片">
    <select><option>处置中</option></select><p lang="zh-CN">红牌警告：ZL1</p>
    <style>.a_b {}</style><template>raw_code</template></body></html>"""
    found = visible_text(html)
    texts = [f.text for f in found]
    assert texts == ["收件箱", "提交", "plate_number", "照片", "处置中", "红牌警告：ZL1"]
    assert [f.is_marked_chinese for f in found][-1]
    assert problems("红牌警告：ZL1", "en", is_marked_chinese=True) == []


def test_visible_text_reads_tails_and_links_and_skips_what_is_not_language() -> None:
    html = """<div id="d" title="提示">前<!-- note_x -->后<b>粗</b>尾
    <span translate="no">file_format <i>csv_x</i></span>再<template><a href="/t">in_template</a></template>
    <section lang="zh"><p>甲</p></section>完</div>"""
    found, links = read_page(html)
    assert [(f.text, f.where, f.is_marked_chinese) for f in found] == [
        ("提示", "div#d[title]", False),
        ("前", "div", False),
        ("后", "div", False),
        ("粗", "b", False),
        ("尾", "div", False),
        ("再", "div", False),
        ("甲", "p", True),
        ("完", "div", False),
    ]
    assert links == ["/t"]
    assert read_page("") == ([], [])
    assert read_page("<!-- only a comment -->") == ([], [])
    deep = "<div>" * 300 + "深" + "</div>" * 300  # deeper than libxml2's default limit
    assert [f.text for f in visible_text(deep)] == ["深"]


def test_account_actors_are_named_by_their_person(session: Session) -> None:
    account = session.execute(select(Account).where(Account.username == "gridworker")).scalar_one()
    person = session.get(Person, account.person_id)
    assert person is not None
    key, admin = f"account:{account.id}:gridworker", "account:1:admin"
    names = actor_names(session, [key, admin, "system:clock", None, "account:x:y"])
    assert names == {key: person.name, admin: "admin"}
    assert labels.actor(key, "zh", names) == person.name
