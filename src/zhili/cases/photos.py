"""Photos on a case: type checked by content, size limited, stored with their digest."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.models import Case, CasePhoto
from zhili.cases.service import add_event, load_as_party, lock_case
from zhili.cases.visibility import visible_cases
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import DomainError, ForbiddenError, NotFoundError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# The type is taken from the bytes, never from what the client claims.
SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


class PayloadTooLargeError(DomainError):
    """A photo over the size limit."""

    status = 413
    title = "Payload too large"
    type_slug = "payload-too-large"


class UnsupportedMediaTypeError(DomainError):
    """A file that is not a photo we accept."""

    status = 415
    title = "Unsupported media type"
    type_slug = "unsupported-media-type"


def sniff(data: bytes) -> str | None:
    """The image type the bytes really are (JPEG, PNG or WebP), or None."""
    for signature, content_type in SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def attach_photo(session: Session, *, case_id: int, data: bytes, actor: Actor, clock: Clock) -> CasePhoto:
    """Attach a photo to a case the actor takes part in; its id serves as evidence (`photo:<id>`)."""
    case, parties = load_as_party(session, actor, case_id)
    if not parties:
        raise ForbiddenError("only people taking part in the case add photos to it")
    if len(data) > MAX_PHOTO_BYTES:
        raise PayloadTooLargeError(f"a photo may have at most {MAX_PHOTO_BYTES // (1024 * 1024)} MiB")
    content_type = sniff(data)
    if content_type is None:
        raise UnsupportedMediaTypeError("photos must be JPEG, PNG or WebP images")
    now = clock.now()
    lock_case(session, case, now)
    photo = CasePhoto(
        case_id=case.id,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_by=actor.audit_name,
        uploaded_at=now,
    )
    session.add(photo)
    session.flush()
    add_event(
        session,
        case,
        kind="photo_added",
        actor=actor,
        parties=frozenset(),
        details=f'{{"photo_id": {photo.id}, "sha256": "{photo.sha256}"}}',
        at=now,
    )
    audit.record_by(
        session,
        actor,
        "case.photo_added",
        entity_type="case",
        entity_id=case.id,
        after={"photo_id": photo.id, "sha256": photo.sha256, "size": photo.size},
        at=now,
    )
    commit(session)
    return photo


def read_photo(session: Session, *, photo_id: int, actor: Actor) -> CasePhoto:
    """A photo of a case the actor may see."""
    photo = session.scalars(
        select(CasePhoto).join(Case, Case.id == CasePhoto.case_id).where(CasePhoto.id == photo_id, visible_cases(actor))
    ).first()
    if photo is None:
        raise NotFoundError(f"photo {photo_id} not found")
    return photo
