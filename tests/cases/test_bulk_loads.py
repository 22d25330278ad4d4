"""The case store's and services' bulk loads (the demo's year of cases goes in through them)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import START

from zhili.cases import photos, store
from zhili.cases.models import Case, CaseEvent, CasePhoto
from zhili.core.media import UnsupportedMediaTypeError


def _copy_of_a_stored_case(session: Session) -> dict[str, Any]:
    """A whole `cases` row copied from a stored one, with the next id and no number."""
    row = dict(session.execute(select(Case.__table__).order_by(Case.id.desc()).limit(1)).mappings().one())
    row["id"] += 1
    row["created_at"] = START - timedelta(days=1)
    row["number"] = "ignored"
    return row


def test_a_bulk_load_numbers_each_case_by_the_one_rule_and_keeps_its_timeline(session: Session) -> None:
    row = _copy_of_a_stored_case(session)
    event = {
        "case_id": row["id"], "seq": 1, "kind": "report", "at": row["created_at"], "actor": "hotline:12345",
        "parties": "citizen", "status_after": row["status"], "details": {},
    }  # fmt: skip
    store.insert_many(session, [row], [event])
    stored = store.load_any(session, row["id"])
    assert stored.number == store.case_number(row["id"], row["created_at"]) == f"ZL{START.year}{row['id']:07d}"
    assert session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == row["id"])).all() == ["report"]
    # The next line of the timeline follows the loaded one, as for any case.
    assert (
        store.append_event(session, stored, kind="note", actor="system", parties=frozenset(), details={}, at=START) == 2
    )


def test_a_bulk_load_of_photos_checks_each_image_as_an_upload_does(session: Session) -> None:
    case_id = session.scalar(select(func.min(Case.id)))
    data = b"<svg onload=alert(1)>"
    row = {
        "case_id": case_id, "content_type": "image/png", "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
        "data": data, "uploaded_by": "system", "uploaded_at": START,
    }  # fmt: skip
    before = session.scalar(select(func.count()).select_from(CasePhoto))
    with pytest.raises(UnsupportedMediaTypeError):
        photos.insert_photos(session, [row])
    assert session.scalar(select(func.count()).select_from(CasePhoto)) == before


def test_an_empty_bulk_load_writes_nothing(session: Session) -> None:
    before = session.scalar(select(func.count()).select_from(Case))
    store.insert_many(session, [], [])
    assert session.scalar(select(func.count()).select_from(Case)) == before


def test_a_case_is_numbered_by_the_local_year_it_was_reported_in() -> None:
    # 2026-12-31 17:00 UTC is already 1 January 2027 in Quzhou (UTC+8).
    assert store.case_number(42, datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == "ZL20270000042"
    assert store.case_number(42, datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == "ZL20260000042"
