"""Photos on a case: checked like every upload (`core.media.check_photo`), attached by a party, read in scope."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases import store
from zhili.cases.models import Case, CasePhoto
from zhili.cases.service import add_event, load_as_party
from zhili.cases.states import CaseStatus
from zhili.cases.visibility import visible_cases
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit, insert_rows
from zhili.core.errors import ConflictError, ForbiddenError, NotFoundError
from zhili.core.media import CheckedPhoto, add_photo, check_photo


def attach_photo(
    session: Session, *, case_id: int, data: bytes | CheckedPhoto, actor: Actor, clock: Clock
) -> CasePhoto:
    """Attach a photo to a case the actor takes part in; its id serves as evidence (`photo:<id>`)."""
    checked = check_photo(data)  # before any database work
    case, parties = load_as_party(session, actor, case_id)
    if not parties:
        raise ForbiddenError("only people taking part in the case add photos to it", message_key="forbidden.case_photo")
    if case.duplicate_of_id is not None:
        raise ConflictError(f"case {case.number} was merged into another case: add the photo there")
    if case.state.status is CaseStatus.ARCHIVED:
        raise ConflictError(f"case {case.number} is archived: its record is closed")
    if case.state.status is CaseStatus.REJECTED:
        raise ConflictError(f"case {case.number} was not taken (不予受理): report it again with the photo")
    photo = attach_to_report(session, case=case, data=checked, actor=actor, clock=clock)
    commit(session)
    return photo


def attach_to_report(
    session: Session, *, case: store.StoredCase, data: CheckedPhoto, actor: Actor, clock: Clock
) -> CasePhoto:
    """Attach a photo sent with the report that opened `case` in this transaction; the caller commits.

    For a reporter who cannot load the case by scope afterwards (an Open311 app: no login, no post):
    the case was just inserted by this actor, so there is no party to check. `attach_photo` ends here.
    """
    checked = data
    now = clock.now()
    case = store.lock(session, case, now)
    row = CasePhoto(case_id=case.id, **checked.columns(), uploaded_by=actor.audit_name, uploaded_at=now)
    photo = add_photo(session, row, checked, actor=actor, action="case.photo_added", entity=("case", case.id), at=now)
    add_event(
        session,
        case,
        kind="photo_added",
        actor=actor,
        parties=frozenset(),
        details={"photo_id": photo.id, "sha256": photo.sha256},
        at=now,
    )
    return photo


def read_photo(session: Session, *, photo_id: int, actor: Actor) -> CasePhoto:
    """A photo of a case the actor may see."""
    photo = session.scalars(
        select(CasePhoto).join(Case, Case.id == CasePhoto.case_id).where(CasePhoto.id == photo_id, visible_cases(actor))
    ).first()
    if photo is None:
        raise NotFoundError(f"photo {photo_id} not found")
    return photo


def insert_photos(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store many photos whole (ids given), set-based: a bulk load of case histories.

    Each distinct image passes `check_photo` as an upload does. The cases and their timelines come
    first (`store.insert_many`); the caller audits and commits.
    """
    for data in {bytes(row["data"]) for row in rows}:
        check_photo(data)
    insert_rows(session, CasePhoto, rows)
