"""The division-code value type alone: validation, levels, parent, ancestors, subtrees (no database)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from zhili.core.errors import InvalidInputError
from zhili.org.division_code import (
    CODE_LENGTHS,
    LEVELS,
    PATTERN,
    DivisionCode,
    DivisionLevel,
    InvalidDivisionCodeError,
    codes_of,
    common_ancestor,
    outermost,
)
from zhili.org.routing import ancestor_codes, parent_code

MICROGRID = "33082510120100107"
L = DivisionLevel


def codes(level: st.SearchStrategy[DivisionLevel] | None = None) -> st.SearchStrategy[DivisionCode]:
    """Valid codes of any level (or of the levels drawn), small alphabets so that relatives occur."""
    levels = level if level is not None else st.sampled_from(LEVELS)
    return levels.flatmap(lambda lv: st.text("0123", min_size=lv.length, max_size=lv.length).map(DivisionCode))


def test_the_levels_in_use_have_their_lengths_and_names() -> None:
    assert [(lv.value, lv.length) for lv in LEVELS] == [
        ("province", 2),
        ("city", 4),
        ("county", 6),
        ("township", 9),
        ("village", 12),
        ("grid", 15),
        ("microgrid", 17),
    ]
    assert CODE_LENGTHS == (2, 4, 6, 9, 12, 15, 17)
    assert L.GRID.finer is L.MICROGRID
    assert L.MICROGRID.finer is None
    assert L.PROVINCE.coarser is None
    assert L.COUNTY.coarser is L.CITY
    assert L.of_length(17) is L.MICROGRID
    assert L.of_length(16) is None
    assert L.GRID.is_finer_than(L.VILLAGE)
    assert not L.VILLAGE.is_finer_than(L.VILLAGE)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("33", L.PROVINCE),
        ("3308", L.CITY),
        ("330825", L.COUNTY),
        ("330825101", L.TOWNSHIP),
        ("330825101201", L.VILLAGE),
        ("330825101201001", L.GRID),
        (MICROGRID, L.MICROGRID),
    ],
)
def test_a_code_knows_its_level(text: str, level: DivisionLevel) -> None:
    assert DivisionCode(text).level is level
    assert str(DivisionCode(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "3",
        "330",
        "33082",
        "3308251012",
        "3308251012010010",
        "330825101201001071",
        "33 ",
        " 33",
        "3a",
        "３３",
        "33\n",
        "-33",
        "٣٣",
        "330825101201001000",
    ],
)
def test_anything_else_is_refused_on_construction(text: str) -> None:
    with pytest.raises(InvalidDivisionCodeError) as refused:
        DivisionCode(text)
    assert isinstance(refused.value, InvalidInputError)  # a 422 from a service
    assert isinstance(refused.value, ValueError)  # a validation error inside pydantic
    assert not DivisionCode.is_valid(text)
    assert DivisionCode.parse(text) is None


def test_non_strings_are_not_codes() -> None:
    assert not DivisionCode.is_valid(330825)
    assert not DivisionCode.is_valid(None)
    assert DivisionCode.parse(None) is None
    with pytest.raises(InvalidDivisionCodeError):
        DivisionCode(330825)  # type: ignore[arg-type]


def test_a_code_is_a_frozen_hashable_ordered_value() -> None:
    code = DivisionCode("330825")
    with pytest.raises(AttributeError):
        code.value = "330826"  # type: ignore[misc]
    assert code == DivisionCode("330825")
    assert len({code, DivisionCode("330825")}) == 1
    assert sorted(codes_of(["330825101", "3308", "330825"])) == codes_of(["3308", "330825", "330825101"])


def test_parent_and_ancestors_of_a_micro_grid() -> None:
    code = DivisionCode(MICROGRID)
    assert code.parent == DivisionCode("330825101201001")
    assert [str(a) for a in code.ancestors] == [
        "33",
        "3308",
        "330825",
        "330825101",
        "330825101201",
        "330825101201001",
    ]
    assert code.lineage[-1] == code
    assert DivisionCode("33").parent is None
    assert DivisionCode("33").ancestors == ()


def test_at_a_level_and_at_most_a_level() -> None:
    code = DivisionCode(MICROGRID)
    assert code.at(L.COUNTY) == DivisionCode("330825")
    assert code.at(L.MICROGRID) is code
    assert DivisionCode("330825101").at_most(L.GRID) == DivisionCode("330825101")
    assert code.at_most(L.GRID) == DivisionCode("330825101201001")
    assert DivisionCode("3308").has_level(L.CITY)
    assert not DivisionCode("3308").has_level(L.COUNTY)
    with pytest.raises(InvalidDivisionCodeError):
        DivisionCode("3308").at(L.COUNTY)


def test_under_contains_and_related() -> None:
    county, township, other = DivisionCode("330825"), DivisionCode("330825101"), DivisionCode("330826")
    assert township.under(county)
    assert county.contains(township)
    assert county.under(county)
    assert not county.under(township)
    assert not other.under(county)
    assert township.is_related(county)
    assert county.is_related(township)
    assert not other.is_related(township)


def test_children_are_numbered_in_the_digits_of_the_level_below() -> None:
    village = DivisionCode("330825101201")
    assert village.child_level is L.GRID
    assert village.max_children == 999
    assert village.child(7) == DivisionCode("330825101201007")
    grid = village.child(1)
    assert grid.max_children == 99
    assert grid.child(12) == DivisionCode("33082510120100112")
    assert DivisionCode("330825").child(101) == DivisionCode("330825101")
    assert DivisionCode(MICROGRID).child_level is None
    assert DivisionCode(MICROGRID).max_children == 0
    for bad in (0, 1000):
        with pytest.raises(InvalidDivisionCodeError):
            village.child(bad)
    with pytest.raises(InvalidDivisionCodeError):
        DivisionCode(MICROGRID).child(1)


def test_common_ancestor_and_outermost() -> None:
    assert common_ancestor(codes_of(["330825101", "330825102201"])) == DivisionCode("330825")
    assert common_ancestor(codes_of(["330825101201001", MICROGRID])) == DivisionCode("330825101201001")
    assert common_ancestor(codes_of([MICROGRID])) == DivisionCode(MICROGRID)
    assert common_ancestor(codes_of(["33", "34"])) is None
    assert common_ancestor([]) is None
    assert outermost(codes_of(["330825101", "330825", "330826", "330825"])) == codes_of(["330825", "330826"])


def test_the_sql_condition_is_a_prefix_match() -> None:
    table = Table("t", MetaData(), Column("code", String))
    condition = DivisionCode("330825").subtree(table.c.code)
    for dialect in (sqlite.base.SQLiteDialect(), postgresql.psycopg.dialect()):  # type: ignore[no-untyped-call]
        compiled = (
            select(table.c.code).where(condition).compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        )
        assert "LIKE '330825%" in str(compiled)


def test_the_pattern_matches_exactly_the_valid_codes() -> None:
    class Body(BaseModel):
        code: str = Field(pattern=PATTERN)

    assert Body(code=MICROGRID).code == MICROGRID
    for bad in ("3308251", "３３", "33\n"):
        with pytest.raises(ValidationError):
            Body(code=bad)


@given(codes())
def test_every_ancestor_contains_the_code_and_is_one_level_up_from_the_next(code: DivisionCode) -> None:
    lineage = code.lineage
    assert [a.level.depth for a in lineage] == list(range(code.level.depth + 1))
    for upper, lower in itertools.pairwise(lineage):
        assert lower.parent == upper
        assert upper.contains(code)
        assert code.under(upper)
        assert upper.child_level is lower.level


@given(codes(), codes())
def test_under_is_the_prefix_relation_and_agrees_with_ancestors(a: DivisionCode, b: DivisionCode) -> None:
    assert a.under(b) == a.value.startswith(b.value)
    assert a.under(b) == (b in a.lineage)
    assert a.contains(b) == b.under(a)
    if a.under(b) and b.under(a):
        assert a == b


@given(st.lists(codes(), min_size=1, max_size=6))
def test_the_common_ancestor_is_the_deepest_container(found: list[DivisionCode]) -> None:
    shared = common_ancestor(found)
    if shared is None:
        assert len({code.at(L.PROVINCE) for code in found}) > 1
        return
    assert all(code.under(shared) for code in found)
    finer = shared.child_level
    if finer is not None and all(code.has_level(finer) for code in found):
        assert len({code.at(finer) for code in found}) > 1


@given(st.lists(codes(), max_size=8))
def test_outermost_keeps_every_subtree_and_drops_nesting(found: list[DivisionCode]) -> None:
    kept = outermost(found)
    assert all(any(code.under(top) for top in kept) for code in found)
    assert not any(a != b and a.under(b) for a in kept for b in kept)
    assert kept == sorted(set(kept))


@given(st.text(max_size=20))
def test_is_valid_is_exactly_the_constructor_check(text: str) -> None:
    valid = text.isascii() and text.isdigit() and len(text) in CODE_LENGTHS
    assert DivisionCode.is_valid(text) == valid
    if valid:
        assert DivisionCode(text).value == text
    else:
        with pytest.raises(InvalidDivisionCodeError):
            DivisionCode(text)


def test_routing_knows_the_micro_grid() -> None:
    assert ancestor_codes(MICROGRID) == [
        MICROGRID,
        *(code.value for code in reversed(DivisionCode(MICROGRID).ancestors)),
    ]
    assert parent_code(MICROGRID) == MICROGRID[:15]
    assert parent_code("330825") == "3308"
    assert parent_code("3308") == "3308"  # the city is the top of the governance ladder
    assert parent_code("33") == "33"
