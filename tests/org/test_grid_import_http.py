"""导入网格边界 over HTTP: the API (`POST /api/v1/org/grids/import`) and the page, for managers of the villages only.

The demo's 府山街道 command room (`fushan`) manages the township's villages; 柯城区's centre (`kc-centre`)
cannot see 龙游县; 柯城区's traffic police head (`kc-traffic-head`) sees 柯城区's places but manages only
their unit; a grid worker manages nothing.
"""

from __future__ import annotations

import html
import json
from typing import Any

import pytest
from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import Api

from zhili.core.audit import AuditRecord
from zhili.demo.partition import partition
from zhili.org import grid_import, grid_pages
from zhili.org.geometry import areal_from_geojson
from zhili.org.models import Division
from zhili.web.i18n import messages

URL = "/api/v1/org/grids/import"
PAGE = "/org/grids/import"
GEOJSON = {"content-type": "application/geo+json"}
HTML = {"accept": "text/html"}
FUSHAN_GRID = "330802006001001"  # the demo grid worker's grid, in 府山街道
HUZHEN_GRID = "330825101003001"  # the demo grid head's grid, in 龙游县湖镇镇
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[118.87, 28.94], [118.88, 28.95], [118.88, 28.94], [118.87, 28.95], [118.87, 28.94]]],
}


def _feature(village: str, name: str, geometry: Any, code: str | None = None) -> dict[str, Any]:
    props = {"village_code": village, "name": name, **({"code": code} if code else {})}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _file(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def _split(session: Session, code: str, name: str = "新划网格") -> bytes:
    """A file redrawing the grid smaller and putting a new grid on the ground it frees."""
    grid = session.get(Division, code)
    assert grid is not None
    kept, freed = partition(areal_from_geojson(grid.geometry), 2, seed=1)
    return _file(
        _feature(grid.parent_code, name, mapping(freed)), _feature(grid.parent_code, grid.name, mapping(kept), code)
    )


def _grids(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Division).where(Division.level == "grid")) or 0


def test_a_manager_imports_a_file_once_and_is_told_each_grid(api: Api, session: Session) -> None:
    api.login("fushan")
    raw, before = _split(session, FUSHAN_GRID), _grids(session)
    headers = {**GEOJSON, "Idempotency-Key": "grids-1"}
    first = api.send("POST", URL, content=raw, headers=headers, params={"source": "府山.geojson"})
    again = api.send("POST", URL, content=raw, headers=headers, params={"source": "府山.geojson"})
    assert first.status_code == again.status_code == 200, first.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json() == again.json()
    (new,) = first.json()["inserted"]
    (redrawn,) = first.json()["updated"]
    assert new["name"] == "新划网格"
    assert new["code"].startswith(FUSHAN_GRID[:12])
    assert redrawn["code"] == FUSHAN_GRID
    assert new["village_code"] == FUSHAN_GRID[:12]
    assert new["village_name"] == session.get(Division, FUSHAN_GRID[:12]).name  # type: ignore[union-attr]
    assert _grids(session) == before + 1  # the replay imported nothing
    stored = session.get(Division, new["code"])
    assert stored is not None
    assert stored.source == "import:府山.geojson"
    entry = session.scalars(select(AuditRecord).where(AuditRecord.action == "org.grids.imported")).one()
    assert entry.entity_id == "府山.geojson"
    assert json.loads(entry.after or "") == {
        "inserted": 1,
        "updated": 1,
        "inserted_codes": [new["code"]],
        "updated_codes": [FUSHAN_GRID],
    }
    reused = api.send("POST", URL, content=_split(session, FUSHAN_GRID, name="另一个"), headers=headers)
    assert reused.status_code == 409  # the key was used for another file


def test_only_managers_of_the_village_may_import(api: Api, session: Session) -> None:
    raw = _split(session, HUZHEN_GRID)
    api.login("gridworker")
    assert api.send("POST", URL, content=raw, headers=GEOJSON).status_code == 403
    api.login("kc-centre")  # 龙游县 is not theirs to see
    hidden = api.send("POST", URL, content=raw, headers=GEOJSON)
    assert hidden.status_code == 404
    assert hidden.json()["errors"][0]["field"] == "features[0].properties.village_code"
    api.login("kc-traffic-head")  # sees 府山街道's places, manages only their unit
    seen = api.send("POST", URL, content=_split(session, FUSHAN_GRID), headers=GEOJSON)
    assert seen.status_code == 403
    assert seen.json()["errors"][0]["kind"] == "village_not_managed"
    assert session.scalar(select(func.count()).select_from(Division).where(Division.name == "新划网格")) == 0


def _square(lon: float, lat: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + 0.001, lat], [lon + 0.001, lat + 0.001], [lon, lat]]],
    }


def _villages(session: Session, county: str, n: int) -> list[str]:
    found = select(Division.code).where(Division.level == "village", Division.code.like(f"{county}%"))
    return list(session.scalars(found.order_by(Division.code).limit(n)))


def test_every_feature_outside_the_scope_is_named_not_only_the_first(api: Api, session: Session) -> None:
    mine = FUSHAN_GRID[:12]
    longyou = _villages(session, "330825", 2)
    raw = _file(
        _feature(mine, "柯城的网格", _square(118.80, 28.90)),
        _feature(longyou[0], "龙游甲", _square(119.10, 29.00)),
        _feature(longyou[1], "龙游乙", _square(119.20, 29.00)),
        _feature(longyou[0], "龙游丙", _square(119.30, 29.00)),
    )
    api.login("kc-centre")  # manages 柯城区, cannot see 龙游县
    hidden = api.send("POST", URL, content=raw, headers=GEOJSON)
    assert hidden.status_code == 404
    problem = hidden.json()
    assert [(e["feature"], e["kind"], e["params"]["village"]) for e in problem["errors"]] == [
        (2, "village_hidden", longyou[0]),
        (3, "village_hidden", longyou[1]),
        (4, "village_hidden", longyou[0]),
    ]
    assert problem["problem_count"] == 3
    assert "feature 3" in problem["detail"]
    page = api.send("POST", PAGE, data={}, files={"file": ("龙游.geojson", raw, "application/geo+json")})
    assert page.status_code == 404
    listed = page.text.split('id="grid-import-errors"', 1)[1].split("</div>", 1)[0]
    assert "发现 3 个问题" in listed
    assert [f'data-feature="{n}"' in listed for n in (1, 2, 3, 4)] == [False, True, True, True]
    api.login("kc-traffic-head")  # sees 柯城区's places, manages none of them: 403, each feature named
    seen = api.send(
        "POST",
        URL,
        content=_file(*json.loads(raw)["features"][:1], _feature(mine, "又一个", _square(118.81, 28.90))),
        headers=GEOJSON,
    )
    assert seen.status_code == 403
    assert [(e["feature"], e["kind"]) for e in seen.json()["errors"]] == [
        (1, "village_not_managed"),
        (2, "village_not_managed"),
    ]
    assert (
        session.scalar(
            select(func.count()).select_from(Division).where(Division.name.in_(["龙游甲", "柯城的网格", "又一个"]))
        )
        == 0
    )


def test_a_bad_file_is_refused_by_feature_and_field(
    api: Api, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.login("fushan")
    before = _grids(session)
    raw = _split(session, FUSHAN_GRID)
    bad = json.loads(raw)
    bad["features"].append(_feature(FUSHAN_GRID[:12], "自相交", BOWTIE))
    bad["features"].append(_feature("3308", "错码", BOWTIE))
    refused = api.send("POST", URL, content=json.dumps(bad).encode(), headers=GEOJSON)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert "nothing was imported" in problem["detail"]
    assert [(e["field"], e["kind"], e["feature"]) for e in problem["errors"]] == [
        ("features[2].geometry", "geometry_invalid", 3),
        ("features[3].properties.village_code", "village_code", 4),
    ]
    assert problem["errors"][0]["params"]["reason"] == "Self-intersection"
    assert _grids(session) == before
    assert api.send("POST", URL, content=raw, headers={"content-type": "text/plain"}).status_code == 415
    monkeypatch.setattr(grid_import, "MAX_FILE_BYTES", 100)
    too_big = api.send("POST", URL, content=raw, headers=GEOJSON)
    assert too_big.status_code == 413
    assert too_big.json()["errors"][0]["field"] == "body"
    assert session.scalar(select(func.count()).select_from(Division).where(Division.name == "新划网格")) == 0


def _form_key(page: str) -> str:
    return page.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]


def test_a_manager_imports_from_the_page_and_a_refused_file_names_each_problem(
    api: Api, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.login("fushan")
    village = api.get(f"/org/divisions/{FUSHAN_GRID[:12]}", headers=HTML).text
    assert f'href="{PAGE}"' in village  # where a manager looks
    form_page = api.get(PAGE, headers=HTML)
    assert form_page.status_code == 200
    assert "village_code" in form_page.text
    bad = _file(_feature(FUSHAN_GRID[:12], "自相交", BOWTIE), _feature(FUSHAN_GRID[:12], "", BOWTIE))
    data = {"idempotency_key": _form_key(form_page.text)}
    refused = api.send("POST", PAGE, data=data, files={"file": ("坏.geojson", bad, "application/geo+json")})
    assert refused.status_code == 422
    assert 'id="grid-import-form"' in refused.text  # the form stays, to choose the corrected file
    assert "文件 坏.geojson 未导入：发现 2 个问题" in refused.text
    assert (
        '<li data-field="features[0].geometry" data-feature="1">'
        "<strong>第 1 个要素（自相交） · 边界（geometry）</strong>" in refused.text
    )
    assert "边界无效：自相交（位置" in refused.text
    assert "第 2 个要素 · 网格名称（name）</strong>：请填写网格名称" in refused.text
    raw = _split(session, FUSHAN_GRID, name="府山新网格")
    files = {"file": ("府山.geojson", raw, "application/geo+json")}
    done = api.send("POST", PAGE, data=data, files=files)
    again = api.send("POST", PAGE, data=data, files=files)  # sent twice (a double tap): imported once
    assert done.status_code == again.status_code == 200
    new = session.scalars(select(Division).where(Division.name == "府山新网格")).one()
    village_name = session.get(Division, FUSHAN_GRID[:12]).name  # type: ignore[union-attr]
    for answer in (done.text, again.text):
        assert "已导入文件 府山.geojson：新建 1 个网格，重画 1 个网格。" in answer
        assert f'<a href="/org/divisions/{new.code}">府山新网格</a>' in answer
        assert f'<a href="/org/divisions/{FUSHAN_GRID[:12]}">{village_name}</a>' in answer
        assert 'id="grid-import-map" data-map="' in answer
        shown = json.loads(html.unescape(answer.split('data-map="', 1)[1].split('"', 1)[0]))["features"]
        # The village first, as an outline under its grids; then the grids, new and redrawn.
        assert [(f["properties"]["code"], f["properties"].get("village", False)) for f in shown] == [
            (FUSHAN_GRID[:12], True),
            (new.code, False),
            (FUSHAN_GRID, False),
        ]
        assert shown[0]["properties"]["name"] == village_name
        assert "灰色虚线：所属村（社区）的边界" in answer
    assert session.scalar(select(func.count()).select_from(Division).where(Division.name == "府山新网格")) == 1
    english = api.send("POST", f"{PAGE}?lang=en", data={}, files={"file": ("bad.geojson", bad, "application/json")})
    assert (
        "<strong>Feature 1 (自相交) · boundary (geometry)</strong>: The boundary is invalid: it crosses itself (at "
        in english.text
    )
    assert "边界" not in english.text.split('id="grid-import-errors"', 1)[1].split("</div>", 1)[0]
    monkeypatch.setattr(grid_import, "MAX_FILE_BYTES", 100)
    too_big = api.send("POST", PAGE, data={}, files={"file": ("big.geojson", raw, "application/json")})
    assert too_big.status_code == 413
    assert '<span class="field-error" role="alert" data-field="file">The file is over ' in too_big.text  # by its input
    api.login("gridworker")
    assert api.get(PAGE, headers=HTML).status_code == 403


def test_every_problem_is_worded_in_both_languages() -> None:
    keys = [f"grid_import.error.{kind}" for kind in grid_pages.KINDS]
    keys += [f"grid_import.validity.{key}" for key in grid_pages.VALIDITY.values()]
    keys += [f"grid_import.type.{kind}" for kind in grid_pages.GEOMETRY_TYPES]
    assert [key for key in keys if key not in messages()] == []
    error = {
        "field": "features[4].geometry",
        "kind": "geometry_type",
        "params": {"feature_name": "甲", "type": "Point"},
    }
    zh, en = grid_pages.shown_problem(error, "zh"), grid_pages.shown_problem(error, "en")
    assert (zh.feature, zh.where, zh.text) == (
        5,
        "第 5 个要素（甲） · 边界（geometry）",
        "边界应为面（Polygon 或 MultiPolygon），而不是点（Point）",
    )
    assert (en.where, en.text) == (
        "Feature 5 (甲) · boundary (geometry)",
        "Must be a Polygon or MultiPolygon, not a Point",
    )


def test_a_problem_of_no_known_kind_is_not_said_in_english_on_the_chinese_page() -> None:
    error = {"field": "file", "kind": "", "message": "the form expired"}
    assert grid_pages.shown_problem(error, "zh").text == "此处有误"
    assert grid_pages.shown_problem(error, "en").text == "This is wrong (the form expired)"
