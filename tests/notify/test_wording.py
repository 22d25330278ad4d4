"""A notice's title and body in the reader's language: message keys filled in, else the text stored."""

from __future__ import annotations

import json
import re
import string
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.notify.helpers import as_read, people_of

from zhili.core.auth import Actor, Scope
from zhili.core.clock import FrozenClock
from zhili.notify.models import Notification
from zhili.notify.service import Notice, notify
from zhili.notify.wording import Name, When, Words, body_pieces, fill, localized_body, localized_title
from zhili.web.i18n import messages

PARAMS = json.dumps({"matter": "欠薪处置", "matter_en": "Wage arrears", "place": "湖镇镇"})
NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
DUE = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)  # 17:30 in Quzhou
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_a_title_with_a_key_is_rendered_in_each_language() -> None:
    assert (
        localized_title("旧", "handoff.return", PARAMS, "en")
        == "Case returned, to dispatch again: Wage arrears · 湖镇镇"
    )
    assert localized_title("旧", "handoff.return", PARAMS, "zh") == "办件被退回，待重新派单：欠薪处置 · 湖镇镇"


def test_without_a_usable_key_the_stored_title_is_shown() -> None:
    assert localized_title("旧标题", None, PARAMS, "en") == "旧标题"
    assert localized_title("旧标题", "handoff.no_such_kind", PARAMS, "en") == "旧标题"
    assert localized_title("旧标题", "handoff.return", "not json", "en") == "旧标题"
    assert localized_title("旧标题", "handoff.return", "[1, 2]", "en") == "旧标题"
    assert localized_title("旧标题", "handoff.return", json.dumps({"matter": "x"}), "en") == "旧标题"


def test_fill_needs_every_field_and_a_well_formed_template() -> None:
    assert fill("{a} · {b}", {"a": 1, "b": "二"}) == "1 · 二"
    assert fill("{a} · {b}", {"a": 1}) == ""
    assert fill("{a", {"a": 1}) == ""
    assert fill("{0}", {"a": 1}) == ""


def test_names_and_times_are_written_as_each_language_writes_them() -> None:
    words = Words("notice.case.case", {"number": "KC-1", "matter": Name("欠薪处置", "Wage arrears")})
    assert (words.said("zh", NOW), words.said("en", NOW)) == ("办件 KC-1 · 欠薪处置", "Case KC-1 · Wage arrears")
    due = Words("notice.case.deadline.handle", {"due": When(DUE)})
    assert (due.said("zh", NOW), due.said("en", NOW)) == ("办理时限：12月8日 17:30 前", "Due by 8 Dec 17:30")
    next_year = Words("notice.case.deadline.handle", {"due": When(datetime(2027, 1, 4, 1, 0, tzinfo=UTC))})
    assert next_year.said("en", NOW) == "Due by 4 Jan 2027 09:00"  # the year, when it is not the notice's
    sweep = Words("notice.campaign.sweep_task", {"place": "某村", "due": When(DUE, "month_day"), "verb": "领办"})
    assert sweep.said("zh", NOW) == "· 某村 · 应于 12-08 17:30 前领办"
    unnamed = Words("notice.case.place", {"place": Name("湖镇镇")})  # no English name: the Chinese in both
    assert unnamed.said("en", NOW) == "Place: 湖镇镇"


def test_a_body_is_its_parts_line_by_line_and_verbatim_text_stays_as_written() -> None:
    notice = Notice.worded(
        topic="test.words",
        severity="info",
        title=Words("notice.calendar.unknown_year", {"year": 2027}),
        body=["请尽快处理", Words("notice.case.deadline.handle", {"due": When(DUE)})],
        key="test:words",
        now=NOW,
    )
    assert notice.title == "工作日历缺少 2027 年的官方节假日安排"
    assert notice.body == "请尽快处理\n办理时限：12月8日 17:30 前"
    parts = notice.key_columns()["body_parts"]
    assert localized_body(notice.body, parts, "zh", NOW) == notice.body
    assert localized_body(notice.body, parts, "en", NOW) == "请尽快处理\nDue by 8 Dec 17:30"


def test_chinese_as_written_is_marked_in_an_english_body_and_english_names_are_not() -> None:
    parts = [["notice.case.case", {"number": "KC-1", "matter": {"zh": "欠薪处置", "en": "Wage arrears"}}], "请尽快处理"]
    parts.append(["notice.case.place", {"place": "湖镇镇"}])
    pieces = body_pieces(json.dumps(parts), "en", NOW)
    assert pieces is not None
    assert [text for text, is_chinese in pieces if is_chinese] == ["请尽快处理", "湖镇镇"]
    assert "".join(text for text, _ in pieces) == "Case KC-1 · Wage arrears\n请尽快处理\nPlace: 湖镇镇"


def test_a_body_whose_parts_do_not_fit_is_the_body_stored() -> None:
    assert localized_body("旧正文", None, "en") == "旧正文"
    assert localized_body("旧正文", "not json", "en") == "旧正文"
    assert localized_body("旧正文", json.dumps({"a": 1}), "en") == "旧正文"
    assert localized_body("旧正文", json.dumps([["notice.no_such_line", {}]]), "en") == "旧正文"
    assert localized_body("旧正文", json.dumps([["notice.case.reason", {}]]), "en") == "旧正文"  # {text} missing
    bad_time = json.dumps([["notice.case.deadline.handle", {"due": {"at": "x"}}]])
    assert localized_body("旧正文", bad_time, "en") == "旧正文"
    assert localized_body("旧正文", json.dumps([[1, 2, 3]]), "en") == "旧正文"


def test_words_the_catalog_does_not_fit_are_refused_when_the_notice_is_written() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        Words("notice.no_such_key").said("zh", NOW)
    with pytest.raises(ValueError, match="do not fit"):
        Words("notice.case.reason", {}).said("zh", NOW)


def test_every_notice_message_says_in_english_what_it_says_in_chinese() -> None:
    """Each `notice.*` and `handoff.*` entry: English without Chinese, filled from the fields the Chinese has."""
    found = {key: pair for key, pair in messages().items() if key.startswith(("notice.", "handoff."))}
    assert len(found) > 60
    for key, (zh, en) in found.items():
        fields = {name for _text, name, _spec, _conv in string.Formatter().parse(zh) if name}
        english = {name for _text, name, _spec, _conv in string.Formatter().parse(en) if name}
        assert english <= fields | {f"{name}_en" for name in fields}, key
        assert not CJK.search(en), key


def test_an_old_notice_without_keys_shows_its_stored_text_to_an_english_reader(
    session: Session, clock: FrozenClock
) -> None:
    (person,) = people_of(session, "330802", 1)
    old = {"topic": "test.old", "severity": "info", "title": "旧标题", "body": "旧正文", "key": "t:o"}
    notify(session, recipients=[person], clock=clock, **old)
    stored = session.scalars(select(Notification).where(Notification.key == "t:o")).one()
    assert (stored.title_key, stored.title_params, stored.body_parts) == (None, None, None)  # as rows before 0022/0027
    english = as_read(session, "t:o", person, "en")
    assert (english.title, english.body, english.lang) == ("旧标题", "旧正文", "zh")


def test_who_acted_is_a_person_by_name_and_a_channel_by_its_label() -> None:
    """经办：12345 热线 reads "Handled by: Hotline" on an English page; a person's name is their name in both."""
    hotline = Actor(username="hotline:12345", display_name="12345 热线", roles=frozenset(), scope=Scope())
    warning = Actor(username="early-warning", display_name="事前预警", roles=frozenset(), scope=Scope())
    person = Actor(username="kc-traffic", display_name="张伟", roles=frozenset(), scope=Scope(), person_id=7)
    unknown = Actor(username="importer", display_name="导入程序", roles=frozenset(), scope=Scope())
    assert Name.of_actor(hotline) == Name("12345 热线", "Hotline")
    assert Name.of_actor(warning) == Name("事前预警", "early warning")
    assert Name.of_actor(person) == Name("张伟")
    assert Name.of_actor(unknown) == Name("导入程序")  # no label: its own name in both languages
    said = Words("notice.case.by", {"name": Name.of_actor(hotline)})
    assert (said.said("zh", NOW), said.said("en", NOW)) == ("经办：12345 热线", "Handled by: Hotline")
