"""Open311 documents in XML and JSON, and the mapping's pure rules: no database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from defusedxml import ElementTree as SafeET

from zhili.core.errors import InvalidInputError
from zhili.matters.definition import AttributeDefinition, Datatype, ListValue
from zhili.open311 import mapping
from zhili.open311.formats import Format, errors_document, format_of, render
from zhili.web.labels import actor

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def test_a_list_renders_as_a_bare_array_and_named_xml_items() -> None:
    document = [{"service_code": "a", "metadata": True, "order": 1, "nothing": None}]
    assert json.loads(render(document, root="services", fmt=Format.JSON)) == document
    written = render(document, root="services", fmt=Format.XML)
    assert written.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<services>')
    root = SafeET.fromstring(written)
    assert root.findtext("service/service_code") == "a"
    assert root.findtext("service/metadata") == "true"
    assert root.findtext("service/order") == "1"
    assert root.find("service/nothing") is not None
    assert root.findtext("service/nothing") == ""  # an empty element


def test_xml_escapes_text_and_keeps_chinese() -> None:
    written = render([{"description": "<b>车</b> & 路"}], root="service_requests", fmt=Format.XML)
    assert b"&lt;b&gt;" in written
    assert SafeET.fromstring(written).findtext("request/description") == "<b>车</b> & 路"


def test_nested_lists_are_named_by_their_parent() -> None:
    document = {"attributes": [{"values": [{"key": "k", "name": "n"}]}]}
    root = SafeET.fromstring(render(document, root="service_definition", fmt=Format.XML))
    assert root.findtext("attributes/attribute/values/value/key") == "k"


def test_errors_and_the_format_of_a_path() -> None:
    assert errors_document(403, ["no key"]) == [{"code": 403, "description": "no key"}]
    assert format_of("/open311/v2/services.json") is Format.JSON
    assert format_of("/open311/v2/services.xml") is Format.XML
    assert format_of("/open311/v2/nothing") is Format.XML


def test_a_chinese_name_is_family_name_first() -> None:
    assert mapping.reporter_name("三", "张") == "张三"
    assert mapping.reporter_name("Ann", "Lee") == "Ann Lee"
    assert mapping.reporter_name(None, "张") == "张"
    assert mapping.reporter_name(None, None) is None


def test_a_report_needs_a_service_and_a_place() -> None:
    with pytest.raises(InvalidInputError) as refused:
        mapping.read_report({"description": ["x"]})
    fields = {error["field"] for error in refused.value.extra["errors"]}
    assert fields == {"service_code", "lat"}


def test_a_report_refuses_bad_points_phones_and_control_characters() -> None:
    with pytest.raises(InvalidInputError) as refused:
        mapping.read_report(
            {"service_code": ["a"], "lat": ["91"], "long": ["118"], "phone": ["call me"], "description": ["a\x00b"]}
        )
    fields = {error["field"] for error in refused.value.extra["errors"]}
    assert fields == {"lat", "phone", "description"}


def test_a_report_reads_its_fields() -> None:
    read = mapping.read_report(
        {"service_code": ["a"], "lat": ["28.97"], "long": ["118.87"], "phone": ["+86 (570) 123-4567"], "email": [""]}
    )
    assert (read.lon, read.lat) == (118.87, 28.97)
    assert read.reporter_phone == "05701234567", "as dialled in China, as the 12345 desk types it"
    assert "email" not in read.fields


def test_attributes_are_typed_by_the_definition() -> None:
    def attribute(code: str, datatype: Datatype, order: int) -> AttributeDefinition:
        values = (ListValue(key="x", name_zh="甲", name_en="X"), ListValue(key="y", name_zh="乙", name_en="Y"))
        listed = datatype in {Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST}
        return AttributeDefinition(
            code=code, datatype=datatype, order=order, name_zh=code, name_en=code, values=values if listed else ()
        )

    class Definition:
        attributes = (
            attribute("count", Datatype.NUMBER, 1),
            attribute("kinds", Datatype.MULTIVALUELIST, 2),
            attribute("kind", Datatype.SINGLEVALUELIST, 3),
        )

    form = {"attribute[count]": ["3"], "attribute[kinds][]": ["x", "y"], "attribute[kind]": ["x"], "other": ["z"]}
    assert mapping.read_attributes(form, Definition()) == {"count": 3, "kinds": ["x", "y"], "kind": "x"}  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        mapping.read_attributes({"attribute[kind][]": ["x", "y"]}, Definition())  # type: ignore[arg-type]


def test_no_dates_mean_the_last_90_days() -> None:
    where = mapping.parse_filter({}, now=NOW)
    assert (where.start, where.end) == (NOW - timedelta(days=90), NOW)
    assert where.page_size == 1000


def test_a_start_alone_opens_90_days_and_a_longer_span_is_refused() -> None:
    where = mapping.parse_filter({"start_date": "2026-10-01T00:00:00Z"}, now=NOW)
    assert where.end == datetime(2026, 12, 30, tzinfo=UTC)
    with pytest.raises(InvalidInputError, match="90 days"):
        mapping.parse_filter({"start_date": "2026-01-01", "end_date": "2026-12-01"}, now=NOW)
    with pytest.raises(InvalidInputError, match="before"):
        mapping.parse_filter({"start_date": "2026-12-01", "end_date": "2026-11-01"}, now=NOW)


def test_ids_override_the_dates_and_updates_lift_the_default_window() -> None:
    where = mapping.parse_filter({"service_request_id": "ZL1, ZL2,ZL1", "start_date": "bad?"}, now=NOW)
    assert where.numbers == ("ZL1", "ZL2")
    assert where.start is None
    followed = mapping.parse_filter({"updated_after": "2026-12-01T08:00:00 08:00"}, now=NOW)
    assert followed.start is None
    assert followed.updated_after == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def test_local_dates_and_times_are_quzhou_time() -> None:
    assert mapping.parse_instant("2026-12-05") == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert mapping.iso(datetime(2026, 12, 4, 16, 0, tzinfo=UTC)) == "2026-12-05T00:00:00+08:00"


def test_statuses_map_to_open_and_closed() -> None:
    assert mapping.open_or_closed("closed") == "closed"
    assert mapping.open_or_closed("rated") == "closed"
    assert mapping.open_or_closed("rejected") == "closed"
    assert mapping.open_or_closed("verified") == "open"
    assert mapping.open_or_closed("reopened") == "open"
    with pytest.raises(InvalidInputError):
        mapping.parse_filter({"status": "done"}, now=NOW)


def test_a_client_is_shown_by_its_name() -> None:
    assert actor("open311:3:衢州市民App") == "Open311 应用 衢州市民App"
    assert actor("open311:3:衢州市民App", "en") == "Open311 app 衢州市民App"


def test_status_notes_say_the_reason_or_the_reply() -> None:
    def row(status: str, **said: str | None) -> mapping.RequestRow:
        fields: dict[str, Any] = {"reply": None, "reason": None, "rejected_for": None, **said}
        return mapping.RequestRow(
            number="ZL1", status=status, matter_code="m", matter_name_zh="甲", matter_name_en="A", description="d",
            lead_unit=None, created_at=NOW, updated_at=NOW, closed_at=None, due_at=None, address=None, lon=None,
            lat=None, photo_id=None, **fields,
        )  # fmt: skip

    assert mapping.status_notes(row("rejected", reason="重复上报"), "不予受理") == "不予受理：重复上报"
    assert mapping.status_notes(row("archived", rejected_for="重复上报"), "已归档") == "已归档：重复上报"
    assert mapping.status_notes(row("closed", reply="已清理", reason="x"), "已办结") == "已办结：已清理"
    assert mapping.status_notes(row("reported"), "已上报") == "已上报"
