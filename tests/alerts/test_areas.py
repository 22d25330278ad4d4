"""Areas to divisions: CPEAS geocodes by prefix, polygons and circles intersected with the division polygons."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import Polygon, box
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.alerts.helpers import HUZHEN, LONGYOU
from zhili.alerts.areas import (
    DivisionShape,
    How,
    Resolved,
    circle_shape,
    division_of_geocode,
    geocode_codes,
    is_division_scheme,
    resolve_area,
    shape_divisions,
)
from zhili.alerts.message import Area, Circle, NamedValue
from zhili.alerts.resolve import resolve_divisions
from zhili.org.models import Division


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("330825000000", LONGYOU),
        ("330825101000", HUZHEN),
        ("330825101201", "330825101201"),
        ("330800000000", "3308"),
        ("330000000000", "33"),
        ("330825", LONGYOU),
        ("330825101", HUZHEN),
        ("3308250", None),  # no level has seven digits
        ("33082510100A", None),
        ("３３０８２５", None),  # full-width digits are not a code
    ],
)
def test_a_cpeas_code_names_its_division_with_the_zero_padding_dropped(value: str, code: str | None) -> None:
    found = division_of_geocode(value)
    assert (found.value if found else None) == code


def test_only_division_schemes_are_read_as_division_codes() -> None:
    assert is_division_scheme("CPEAS Geographic Code")
    assert is_division_scheme("行政区划代码")
    assert not is_division_scheme("SAME")
    geocodes = [NamedValue("SAME", "006109"), NamedValue("CPEAS Geographic Code", "330825000000")]
    assert [c.value for c in geocode_codes(geocodes)] == [LONGYOU]


COUNTY = DivisionShape("330825", box(0, 0, 10, 10))
TOWNSHIPS = [DivisionShape("330825101", box(0, 0, 5, 10)), DivisionShape("330825102", box(5, 0, 10, 10))]


def test_a_shape_covering_a_county_resolves_to_the_county_and_a_part_to_its_townships() -> None:
    assert shape_divisions(box(-1, -1, 11, 11), [COUNTY], TOWNSHIPS) == ["330825"]
    assert shape_divisions(box(1, 1, 3, 3), [COUNTY], TOWNSHIPS) == ["330825101"]
    assert shape_divisions(box(4, 1, 6, 3), [COUNTY], TOWNSHIPS) == ["330825101", "330825102"]
    assert shape_divisions(box(20, 20, 21, 21), [COUNTY], TOWNSHIPS) == []
    assert shape_divisions(box(1, 1, 3, 3), [COUNTY], []) == ["330825"]  # no township polygons: the county


def test_a_circle_is_an_ellipse_in_degrees_and_radius_zero_its_centre() -> None:
    disc = circle_shape(Circle(lat=29.0, lon=119.0, radius_km=10))
    min_lon, min_lat, max_lon, max_lat = disc.bounds
    assert max_lat - min_lat == pytest.approx(20 / 111.32, rel=0.01)
    assert max_lon - min_lon > max_lat - min_lat  # a degree of longitude is shorter at 29°N
    assert circle_shape(Circle(29.0, 119.0, 0)).geom_type == "Point"


def test_an_area_resolves_by_geocode_polygon_and_circle_with_how() -> None:
    area = Area(
        "x",
        polygons=(((1.0, 1.0), (1.0, 3.0), (3.0, 3.0), (1.0, 1.0)),),  # lat, lon: inside township 101
        circles=(Circle(lat=5.0, lon=8.0, radius_km=0),),
        geocodes=(NamedValue("CPEAS", "330802006000"),),
    )
    assert resolve_area(area, [COUNTY], TOWNSHIPS) == [
        Resolved("330802006", How.GEOCODE),
        Resolved("330825101", How.POLYGON),
        Resolved("330825102", How.CIRCLE),
    ]


def _ring(geometry: Polygon) -> tuple[tuple[float, float], ...]:
    return tuple((lat, lon) for lon, lat in geometry.exterior.coords)


def test_stored_polygons_resolve_a_small_circle_to_its_township_and_a_large_polygon_to_the_county(
    session: Session,
) -> None:
    township = session.scalar(select(Division.geometry).where(Division.code == HUZHEN))
    point = shapely.from_geojson(township).representative_point()
    circle = Area("湖镇", circles=(Circle(lat=point.y, lon=point.x, radius_km=0.1),))
    assert resolve_divisions(session, [circle]) == [Resolved(HUZHEN, How.CIRCLE)]
    county = shapely.from_geojson(session.scalar(select(Division.geometry).where(Division.code == LONGYOU)))
    around = Area("龙游全境", polygons=(_ring(box(*county.bounds).buffer(0.01, join_style="mitre")),))
    found = resolve_divisions(session, [around])
    assert Resolved(LONGYOU, How.POLYGON) in found
    assert all(not r.code.startswith(LONGYOU) or r.code == LONGYOU for r in found)


def test_a_geocode_of_a_division_not_held_falls_back_to_its_nearest_stored_ancestor(session: Session) -> None:
    area = Area("x", geocodes=(NamedValue("CPEAS", "330825101999"), NamedValue("CPEAS", "110101000000")))
    assert resolve_divisions(session, [area]) == [Resolved(HUZHEN, How.GEOCODE)]
