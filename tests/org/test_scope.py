"""The Scope rules alone: blocks reach places, strips narrow units."""

from __future__ import annotations

import pytest

from zhili.core.auth import Grant, Scope
from zhili.core.errors import NotFoundError

GRID_WORKER = Scope.of([Grant("330802006001001")])
TOWNSHIP = Scope.of([Grant("330825101")])
TRAFFIC = Scope.of([Grant("330802", department_id=7)])


def test_a_block_reaches_its_subtree_only() -> None:
    assert TOWNSHIP.reaches_place("330825101")
    assert TOWNSHIP.reaches_place("330825101201001")
    assert not TOWNSHIP.reaches_place("330825102")
    assert not TOWNSHIP.reaches_place("330825")


def test_a_strip_reaches_places_of_its_block_but_units_of_its_department_only() -> None:
    assert TRAFFIC.reaches_place("330802006001")
    assert TRAFFIC.reaches_unit("330802", 7)
    assert not TRAFFIC.reaches_unit("330802", 8)
    assert not TRAFFIC.reaches_unit("330802006001001", None)
    assert not TRAFFIC.reaches_place("330825")


def test_grants_inside_a_wider_grant_are_dropped() -> None:
    scope = Scope.of([Grant("3308"), Grant("330825101"), Grant("330802", 3), Grant("3308")])
    assert scope.grants == (Grant("3308"),)


def test_strip_grants_of_different_departments_are_kept_apart() -> None:
    scope = Scope.of([Grant("330802", 3), Grant("330802", 4)])
    assert scope.reaches_unit("330802", 3)
    assert scope.reaches_unit("330802", 4)
    assert not scope.reaches_unit("330802", 5)


def test_the_empty_scope_reaches_nothing_and_everything_reaches_all() -> None:
    assert not Scope().reaches_place("33")
    assert Scope.everything().reaches_unit("330825101", 99)
    assert Scope.everything().division_prefixes == ("",)


def test_require_refuses_with_not_found() -> None:
    with pytest.raises(NotFoundError, match="grid 3301 not found"):
        GRID_WORKER.require_place("3301", what="grid 3301")


def test_a_block_and_a_strip_with_the_same_prefix_can_be_held_together() -> None:
    scope = Scope.of([Grant("330802", 2), Grant("330802"), Grant("330802006", 5)])
    assert scope.grants == (Grant("330802"),)
    mixed = Scope.of([Grant("330802006", 2), Grant("330802", 3), Grant("330802006")])
    assert mixed.reaches_unit("330802", 3)
    assert mixed.reaches_unit("330802006001", None)
    assert not mixed.reaches_unit("330802", 4)


def test_village_names_are_shortened_without_doubling() -> None:
    from zhili.demo.names import short_village_name  # noqa: PLC0415

    assert short_village_name("全旺村村委会") == "全旺村"
    assert short_village_name("戴家村委会") == "戴家村"
    assert short_village_name("新光村村民委员会") == "新光村"
    assert short_village_name("城南居委会") == "城南社区"
    assert short_village_name("丹桂社区居委会") == "丹桂社区"  # not 丹桂社区社区
    assert short_village_name("书院社区") == "书院社区"
