"""Versions in the database: the demo holds version 1 of every matter; a change is version N+1."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.core.audit import AuditRecord
from zhili.core.auth import Actor, Scope, system_actor
from zhili.core.clock import FrozenClock
from zhili.core.errors import ForbiddenError, InvalidInputError, NotFoundError
from zhili.matters import queries
from zhili.matters.catalog import load_catalog
from zhili.matters.definition import MatterDefinition
from zhili.matters.models import MatterVersion
from zhili.matters.service import sync_catalog

ADMIN = system_actor("test")


def with_parking(change: dict[str, object]) -> list[MatterDefinition]:
    return [d.model_copy(update=change) if d.code == "illegal_parking" else d for d in load_catalog()]


def test_the_demo_holds_version_one_of_all_seventeen_matters(session: Session) -> None:
    matters = queries.list_current(session)
    assert len(matters) == 17
    assert {m.version for m in matters} == {1}
    parking = next(m for m in matters if m.code == "illegal_parking")
    assert (parking.lead_kind, parking.handling_level, parking.is_default_assignment) == (
        "traffic_police",
        "county",
        False,
    )


def test_syncing_again_adds_nothing(session: Session, clock: FrozenClock) -> None:
    before = session.scalar(select(func.count()).select_from(AuditRecord))
    report = sync_catalog(session, actor=ADMIN, clock=clock)
    assert len(report.unchanged) == 17
    assert not report.is_changed
    assert session.scalar(select(func.count()).select_from(MatterVersion)) == 17
    assert session.scalar(select(func.count()).select_from(AuditRecord)) == before


def test_a_changed_definition_becomes_version_two_and_version_one_stays(session: Session, clock: FrozenClock) -> None:
    first = queries.current_version(session, "illegal_parking")
    clock.advance(timedelta(days=30))
    report = sync_catalog(session, actor=ADMIN, clock=clock, definitions=with_parking({"name_en": "Parking (v2)"}))
    assert report.new_versions == {"illegal_parking": 2}
    assert len(report.unchanged) == 16
    version, definition = queries.current_definition(session, "illegal_parking")
    assert (version.version, definition.name_en) == (2, "Parking (v2)")
    assert version.id != first.id
    # A case that stored the first version's id keeps seeing the first definition.
    assert queries.definition_by_version_id(session, first.id).name_en == "Illegal parking in the city"
    assert queries.definition_at(session, "illegal_parking", 1) == first.definition
    history = queries.get_matter(session, "illegal_parking")
    assert [(v.version, v.is_current) for v in history.versions] == [(2, True), (1, False)]
    assert history.latest.loaded_at == clock.now()
    audit = session.scalars(select(AuditRecord).where(AuditRecord.action == "matters.matter.versioned")).one()
    assert (audit.entity_type, audit.entity_id) == ("matter", "illegal_parking")
    assert '"version":2' in (audit.after or "")


def test_reverting_a_file_is_a_third_version_not_a_rewind(session: Session, clock: FrozenClock) -> None:
    sync_catalog(session, actor=ADMIN, clock=clock, definitions=with_parking({"urgent": True}))
    report = sync_catalog(session, actor=ADMIN, clock=clock)
    assert report.new_versions == {"illegal_parking": 3}
    assert queries.definition_at(session, "illegal_parking", 3) == queries.definition_at(session, "illegal_parking", 1)


def test_a_removed_file_withdraws_the_matter_and_its_return_restores_it(session: Session, clock: FrozenClock) -> None:
    without = [d for d in load_catalog() if d.code != "urban_noise"]
    assert sync_catalog(session, actor=ADMIN, clock=clock, definitions=without).withdrawn == ["urban_noise"]
    assert "urban_noise" not in {m.code for m in queries.list_current(session)}
    with pytest.raises(NotFoundError):
        queries.current_definition(session, "urban_noise")
    assert queries.get_matter(session, "urban_noise").latest.is_current is False
    assert sync_catalog(session, actor=ADMIN, clock=clock).restored == ["urban_noise"]
    assert queries.current_version(session, "urban_noise").version == 1


def test_only_administrators_may_sync(session: Session, clock: FrozenClock) -> None:
    clerk = Actor(username="clerk", display_name="clerk", roles=frozenset({"centre_staff"}), scope=Scope.everything())
    with pytest.raises(ForbiddenError):
        sync_catalog(session, actor=clerk, clock=clock)


def test_a_definition_list_with_a_code_twice_is_refused(session: Session, clock: FrozenClock) -> None:
    catalog = load_catalog()
    with pytest.raises(InvalidInputError, match="only once"):
        sync_catalog(session, actor=ADMIN, clock=clock, definitions=[*catalog, catalog[0]])


def test_unknown_matters_and_versions_are_not_found(session: Session) -> None:
    with pytest.raises(NotFoundError, match="matter nothing not found"):
        queries.get_matter(session, "nothing")
    with pytest.raises(NotFoundError, match="has no version 9"):
        queries.get_version(session, "illegal_parking", 9)
    with pytest.raises(NotFoundError):
        queries.definition_by_version_id(session, 2**31 - 1)
