"""Parsing CAP 1.2: the four OASIS examples and the demo message read; unsafe, wrong and oversize messages refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from zhili.alerts.cap import MAX_BYTES, CapRefusedError, CapTooLargeError, UnsafeXmlError, parse_alert
from zhili.alerts.message import (
    Category,
    Certainty,
    Circle,
    MsgType,
    NamedValue,
    Reference,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
    rank,
)

DATA = Path(__file__).parent / "data"
DEMO = Path(__file__).parents[2] / "src" / "zhili" / "demo" / "data" / "longyou_typhoon_orange.xml"
NS = "urn:oasis:names:tc:emergency:cap:1.2"


def example(n: int) -> bytes:
    return next(DATA.glob(f"oasis_example{n}_*.xml")).read_bytes()


def cap(body: str, *, status: str = "Actual", msg_type: str = "Alert", extra: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><alert xmlns="{NS}"><identifier>T-1</identifier><sender>s@x</sender>'
        f"<sent>2026-07-23T15:00:00+08:00</sent><status>{status}</status><msgType>{msg_type}</msgType>"
        f"<scope>Public</scope>{extra}{body}</alert>"
    ).encode()


INFO = (
    "<info><category>Met</category><event>台风</event><urgency>Expected</urgency><severity>Severe</severity>"
    "<certainty>Likely</certainty>{areas}</info>"
)


def test_the_homeland_security_example_reads_with_every_required_element() -> None:
    alert = parse_alert(example(1))
    assert (alert.identifier, alert.sender) == ("43b080713727", "hsas@dhs.gov")
    assert alert.sent == datetime(2003, 4, 2, 19, 39, 1, tzinfo=UTC)
    assert (alert.status, alert.msg_type, alert.scope) == (Status.ACTUAL, MsgType.ALERT, Scope.PUBLIC)
    assert not alert.is_drill
    (info,) = alert.infos
    assert (info.categories, info.urgency, info.severity, info.certainty) == (
        (Category.SECURITY,),
        Urgency.IMMEDIATE,
        Severity.SEVERE,
        Certainty.LIKELY,
    )
    assert info.language == "en-US"  # the default
    assert info.parameters == (NamedValue("HSAS", "ORANGE"),)
    assert [a.description for a in info.areas] == ["U.S. nationwide and interests worldwide"]


def test_the_thunderstorm_example_has_a_polygon_latitude_first_and_same_geocodes() -> None:
    alert = parse_alert(example(2))
    (info,) = alert.infos
    assert info.response_types == (ResponseType.SHELTER,)
    assert info.expires == datetime(2003, 6, 17, 23, 0, tzinfo=UTC)
    (area,) = info.areas
    (ring,) = area.polygons
    assert ring[0] == ring[-1] == (38.47, -120.14)
    assert len(ring) == 5
    assert [g.value for g in area.geocodes] == ["006109", "006009", "006003"]


def test_the_earthquake_update_names_what_it_updates_and_a_circle() -> None:
    alert = parse_alert(example(3))
    assert alert.msg_type is MsgType.UPDATE
    assert alert.references == (Reference("trinet@caltech.edu", "TRI13970876.1", "2003-06-11T20:30:00-07:00"),)
    assert alert.infos[0].areas[0].circles == (Circle(32.9525, -115.5527, 0.0),)
    assert not alert.ends_referenced


def test_the_bilingual_example_keeps_both_infos() -> None:
    alert = parse_alert(example(4))
    assert [i.language for i in alert.infos] == ["en-US", "es-US"]
    assert alert.source == "SW"
    assert alert.main_info() is alert.infos[0]


def test_the_chinese_demo_message_reads_and_its_chinese_info_is_the_main_one() -> None:
    alert = parse_alert(DEMO.read_bytes())
    info = alert.main_info()
    assert info is not None
    assert (alert.sender, info.event, info.severity) == ("衢州市气象台", "台风", Severity.SEVERE)
    assert info.areas[0].geocodes == (NamedValue("CPEAS Geographic Code", "330825000000"),)


def test_scales_rank_unknown_lowest() -> None:
    assert rank(Severity.UNKNOWN) < rank(Severity.MINOR) < rank(Severity.MODERATE) < rank(Severity.SEVERE)
    assert rank(Severity.SEVERE) < rank(Severity.EXTREME)
    assert rank(Urgency.PAST) < rank(Urgency.IMMEDIATE)
    assert rank(Certainty.POSSIBLE) < rank(Certainty.OBSERVED)


@pytest.mark.parametrize("status", ["Exercise", "Test", "System", "Draft"])
def test_a_status_other_than_actual_is_a_drill(status: str) -> None:
    assert parse_alert(cap(INFO.format(areas=""), status=status)).is_drill


def test_an_update_saying_all_clear_ends_what_it_references() -> None:
    info = INFO.format(areas="").replace("<urgency>", "<responseType>AllClear</responseType><urgency>")
    refs = "<references>s@x,T-0,2026-07-23T14:00:00+08:00</references>"
    alert = parse_alert(cap(info, msg_type="Update", extra=refs))
    assert alert.is_all_clear
    assert alert.ends_referenced


def test_whitespace_tabs_and_newlines_separate_coordinates_and_a_signature_is_ignored() -> None:
    area = "<area><areaDesc>x</areaDesc><polygon>29.0,119.0\n\t29.1,119.0 29.1,119.1\n29.0,119.0</polygon></area>"
    signature = '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature>'
    data = cap(INFO.format(areas=area) + signature).replace(b"?>", b'?><?xml-stylesheet href="cap.xsl"?>', 1)
    (ring,) = parse_alert(data).infos[0].areas[0].polygons
    assert len(ring) == 4


def test_a_document_type_definition_is_refused_unread() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>'
    )
    with pytest.raises(UnsafeXmlError) as refused:
        parse_alert(xxe)
    assert refused.value.status == 400
    assert "root:" not in refused.value.detail


def test_billion_laughs_is_refused() -> None:
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10) for n in range(1, 10)
    )
    laughs += b"]><alert>&lol9;</alert>"
    with pytest.raises(UnsafeXmlError):
        parse_alert(laughs)


def test_an_external_entity_without_a_dtd_keyword_is_still_refused() -> None:
    with pytest.raises((UnsafeXmlError, CapRefusedError)):
        parse_alert(b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">&ext;</alert>')


def test_missing_required_elements_are_each_named() -> None:
    data = (
        f'<alert xmlns="{NS}"><identifier>X</identifier><status>Actual</status><msgType>Alert</msgType>'
        "<info><category>Met</category><urgency>Soon</urgency><severity>Severe</severity>"
        "<certainty>Likely</certainty><area></area></info></alert>"
    ).encode()
    with pytest.raises(CapRefusedError) as refused:
        parse_alert(data)
    fields = {e["field"]: e["message"] for e in refused.value.extra["errors"]}
    assert set(fields) == {
        "alert.sender",
        "alert.sent",
        "alert.scope",
        "alert.info[0].event",
        "alert.info[0].urgency",
        "alert.info[0].area[0].areaDesc",
    }
    assert "'Soon' is not one of" in fields["alert.info[0].urgency"]
    assert refused.value.status == 422


def test_cap_1_1_and_other_namespaces_are_refused() -> None:
    with pytest.raises(CapRefusedError, match=r"CAP 1\.1 is not accepted"):
        parse_alert(cap("").replace(b"cap:1.2", b"cap:1.1"))
    with pytest.raises(CapRefusedError, match="root element must be <alert>"):
        parse_alert(b"<alert><identifier>x</identifier></alert>")


def test_an_oversize_document_is_refused_before_it_is_read() -> None:
    with pytest.raises(CapTooLargeError) as refused:
        parse_alert(b" " * (MAX_BYTES + 1))
    assert refused.value.status == 413


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("<references>only-two,parts</references>", "alert.references"),
        ("", "alert.references"),  # an update names what it updates
    ],
)
def test_an_update_needs_well_formed_references(extra: str, field: str) -> None:
    with pytest.raises(CapRefusedError) as refused:
        parse_alert(cap(INFO.format(areas=""), msg_type="Update", extra=extra))
    assert field in {e["field"] for e in refused.value.extra["errors"]}


@pytest.mark.parametrize(
    ("shape", "field"),
    [
        ("<polygon>29,119 29.1,119 29,119</polygon>", "polygon[0]"),  # three points
        ("<polygon>29,119 29.1,119 29.1,119.1 29.2,119</polygon>", "polygon[0]"),  # not closed
        ("<polygon>95,119 29.1,119 29.1,119.1 95,119</polygon>", "polygon[0]"),  # latitude out of range
        ("<circle>29,119</circle>", "circle[0]"),  # no radius
        ("<circle>29,119 -3</circle>", "circle[0]"),
    ],
)
def test_bad_shapes_are_refused_by_their_element(shape: str, field: str) -> None:
    data = cap(INFO.format(areas=f"<area><areaDesc>x</areaDesc>{shape}</area>"))
    with pytest.raises(CapRefusedError) as refused:
        parse_alert(data)
    assert [e["field"] for e in refused.value.extra["errors"]] == [f"alert.info[0].area[0].{field}"]


def test_a_time_without_an_offset_and_an_identifier_with_a_comma_are_refused() -> None:
    data = cap(INFO.format(areas="")).replace(b"+08:00", b"").replace(b"T-1", b"T,1")
    with pytest.raises(CapRefusedError) as refused:
        parse_alert(data)
    assert {e["field"] for e in refused.value.extra["errors"]} == {"alert.sent", "alert.identifier"}
