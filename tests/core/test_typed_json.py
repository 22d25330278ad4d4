"""`JsonText` and `FrozenJsonText`: JSON columns read and written as typed values."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.exc import StatementError

from zhili.core.typed_json import FrozenJsonText, JsonText


class Snapshot(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    names: tuple[str, ...]


META = MetaData()
ROWS = Table(
    "rows",
    META,
    Column("id", Integer, primary_key=True),
    Column("kept", FrozenJsonText(Snapshot)),
    Column("plain", JsonText(dict[str, int])),
)


def test_a_frozen_snapshot_is_parsed_once_per_text_and_shared_by_every_row_that_repeats_it() -> None:
    engine = create_engine("sqlite://")
    META.create_all(engine)
    typhoon = Snapshot(code="typhoon", names=("台风", "typhoon"))
    with engine.begin() as connection:
        connection.execute(
            insert(ROWS),
            [
                {"id": 1, "kept": typhoon, "plain": {"a": 1}},
                {"id": 2, "kept": typhoon, "plain": {"a": 1}},
                {"id": 3, "kept": Snapshot(code="flood", names=()), "plain": None},
            ],
        )
        stored = connection.exec_driver_sql("SELECT kept FROM rows WHERE id = 1").scalar_one()
        rows = connection.execute(select(ROWS).order_by(ROWS.c.id)).all()
    assert '"台风"' in stored  # Chinese as itself in the database
    assert rows[0].kept == typhoon
    assert rows[0].kept is rows[1].kept  # one parse for the repeated text
    assert rows[2].kept.code == "flood"
    assert rows[0].plain == {"a": 1}
    assert rows[0].plain is not rows[1].plain  # a mutable value is never shared
    assert rows[2].plain is None


def test_a_stored_text_that_is_not_the_type_is_refused_on_read() -> None:
    engine = create_engine("sqlite://")
    META.create_all(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO rows (id, kept) VALUES (1, '{}')")
        with pytest.raises(ValidationError):
            connection.execute(select(ROWS.c.kept)).all()


def test_a_text_compared_with_a_json_column_is_matched_against_the_stored_text() -> None:
    engine = create_engine("sqlite://")
    META.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(ROWS), [{"id": 1, "plain": {"浙H": 7}}, {"id": 2, "plain": {"b": 2}}])
        found = connection.execute(select(ROWS.c.id).where(ROWS.c.plain.icontains("浙h"))).scalars().all()
    assert found == [1]


def test_json_text_given_for_an_object_is_refused_rather_than_stored_as_a_string() -> None:
    engine = create_engine("sqlite://")
    META.create_all(engine)
    with engine.begin() as connection, pytest.raises(StatementError, match="takes the value itself"):
        connection.execute(insert(ROWS), [{"id": 1, "plain": '{"a": 1}'}])
    with engine.begin() as connection, pytest.raises(StatementError, match="takes the value itself"):
        connection.execute(insert(ROWS), [{"id": 1, "kept": Snapshot(code="x", names=()).model_dump_json()}])


@dataclass(frozen=True)
class Fix:
    lon: float
    lat: float


@pytest.mark.parametrize("value_type", [Fix, tuple[Fix, ...], list[int], dict[str, int], Snapshot])
def test_every_object_or_array_type_refuses_its_json_text(value_type: object) -> None:
    column = JsonText(value_type)
    with pytest.raises(TypeError, match="takes the value itself"):
        column.process_bind_param("[]", dialect=None)


def test_a_dataclass_is_kept_as_json_and_read_back_whole() -> None:
    column = JsonText(tuple[Fix, ...])
    kept = column.process_bind_param((Fix(118.87, 28.94),), dialect=None)
    assert kept == '[{"lon": 118.87, "lat": 28.94}]'
    assert column.process_result_value(kept, dialect=None) == (Fix(118.87, 28.94),)
    assert (
        JsonText(str).process_bind_param("a text column of JSON strings", dialect=None)
        == '"a text column of JSON strings"'
    )
