"""Photos on a case: type checked by content, size and pixel count limited, decoded whole, stored with their digest.

The same check serves every upload (case photos here, task report photos in `campaigns.task_photos`):
413 for a file over `MAX_PHOTO_BYTES` or an image over `MAX_PHOTO_PIXELS`, 415 for anything that is
not a JPEG, PNG or WebP image whose every pixel decodes. Each answer names the `photo` field. The
check decodes the image, so it runs before the upload's transaction starts: no lock is held meanwhile.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.models import Case, CasePhoto
from zhili.cases.service import add_event, load_as_party, lock_case
from zhili.cases.visibility import visible_cases
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit, insert_rows
from zhili.core.errors import DomainError, ForbiddenError, NotFoundError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# 40 megapixels (a 7,300 × 5,500 photo) is more than any phone's default picture; a larger image is
# refused before it is decoded: an 875 KB PNG may declare 30,000 × 30,000 pixels (gigabytes decoded).
MAX_PHOTO_PIXELS = 40_000_000
# Pillow's own guard, in case anything else opens an image: over twice this it refuses to open.
Image.MAX_IMAGE_PIXELS = MAX_PHOTO_PIXELS
# The type is taken from the bytes, never from what the client claims.
SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


class PayloadTooLargeError(DomainError):
    """A photo over the size limit."""

    status = 413
    title = "Payload too large"
    type_slug = "payload-too-large"
    form_kind: ClassVar[str] = "photo_size"  # the message a form shows beside the photo input


class TooManyPixelsError(PayloadTooLargeError):
    """A photo whose image is larger than `MAX_PHOTO_PIXELS` (a decompression bomb, or close to one)."""

    form_kind: ClassVar[str] = "photo_pixels"


class UnsupportedMediaTypeError(DomainError):
    """A file that is not a photo we accept."""

    status = 415
    title = "Unsupported media type"
    type_slug = "unsupported-media-type"
    form_kind: ClassVar[str] = "photo_type"


def sniff(data: bytes) -> str | None:
    """The image type the bytes really are (JPEG, PNG or WebP), or None."""
    for signature, content_type in SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True, slots=True)
class CheckedPhoto:
    """A photo that passed `check_photo`, with its type: stored without decoding it again."""

    data: bytes
    content_type: str


def _refused(error: type[DomainError], message: str) -> DomainError:
    return error(message, errors=[{"field": "photo", "message": message}])


def check_photo(data: bytes) -> CheckedPhoto:
    """The photo with its content type, once its size, type, pixel count and whole decoding pass; else 413 or 415."""
    if len(data) > MAX_PHOTO_BYTES:
        raise _refused(PayloadTooLargeError, f"a photo may have at most {MAX_PHOTO_BYTES // (1024 * 1024)} MiB")
    content_type = sniff(data)
    if content_type is None:
        raise _refused(UnsupportedMediaTypeError, "photos must be JPEG, PNG or WebP images")
    _decode(data, PILLOW_FORMATS[content_type])
    return CheckedPhoto(data, content_type)


def _decode(data: bytes, image_format: str) -> None:
    """Decode the whole image (its size read from the header first); 413 when too large, 415 when broken."""
    too_large = f"a photo may have at most {MAX_PHOTO_PIXELS:,} pixels"
    try:
        with Image.open(io.BytesIO(data), formats=[image_format]) as image:
            if image.width * image.height > MAX_PHOTO_PIXELS:
                raise _refused(TooManyPixelsError, too_large)
            image.verify()  # the structure and checksums; the image cannot be used after this
        with Image.open(io.BytesIO(data), formats=[image_format]) as image:
            image.load()  # every pixel: a truncated or corrupt file fails here
    except Image.DecompressionBombError as exc:
        raise _refused(TooManyPixelsError, too_large) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        broken = "the photo does not decode as a whole JPEG, PNG or WebP image"
        raise _refused(UnsupportedMediaTypeError, broken) from exc


def attach_photo(
    session: Session, *, case_id: int, data: bytes | CheckedPhoto, actor: Actor, clock: Clock
) -> CasePhoto:
    """Attach a photo to a case the actor takes part in; its id serves as evidence (`photo:<id>`)."""
    checked = data if isinstance(data, CheckedPhoto) else check_photo(data)  # before any database work
    case, parties = load_as_party(session, actor, case_id)
    if not parties:
        raise ForbiddenError("only people taking part in the case add photos to it")
    data, content_type = checked.data, checked.content_type
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


def insert_photos(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store many photos whole (ids given), set-based: a bulk load of case histories.

    Each distinct image passes `check_photo` as an upload does. The cases and their timelines come
    first (`store.insert_many`); the caller audits and commits.
    """
    for data in {bytes(row["data"]) for row in rows}:
        check_photo(data)
    insert_rows(session, CasePhoto, rows)
