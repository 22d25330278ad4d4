"""The intake page's report: a case and the photos taken with it, in one transaction.

A report from the page carries photos; they land with the case or not at all (one commit), so a
crash or a refused photo never leaves a case without the photos its reporter sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from zhili.cases import photos
from zhili.cases.models import Case
from zhili.cases.schemas import CaseCreate
from zhili.cases.service import report_case
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit, deferred_commit
from zhili.org.geo import LocatorCache

MAX_INTAKE_PHOTOS = 6


def photo_problem(data: bytes) -> str | None:
    """Why a photo would be refused (`photo_size`, `photo_pixels`, `photo_type`), or None."""
    try:
        photos.check_photo(data)
    except (photos.PayloadTooLargeError, photos.UnsupportedMediaTypeError) as exc:
        return exc.form_kind
    return None


def report_with_photos(
    session: Session,
    *,
    data: CaseCreate,
    taken: Sequence[bytes],
    actor: Actor,
    clock: Clock,
    locators: LocatorCache,
) -> Case:
    """Report the case and attach its photos; all of it commits together."""
    with deferred_commit(session):
        case = report_case(session, data=data, actor=actor, clock=clock, locators=locators)
        for photo in taken:
            photos.attach_photo(session, case_id=case.id, data=photo, actor=actor, clock=clock)
    commit(session)
    return case
