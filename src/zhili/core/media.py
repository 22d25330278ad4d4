"""Photos, for every upload (case photos, task report photos): checked by content, limited, stored with their digest.

413 for a file over `MAX_PHOTO_BYTES` or an image over `MAX_PHOTO_PIXELS`, 415 for anything that is
not a JPEG, PNG or WebP image whose every pixel decodes; each answer names the `photo` field and
carries the `form_kind` a form shows. The check decodes the image, so it runs before the upload's
transaction starts: no lock is held meanwhile. A checked photo gives the columns its row stores;
`add_photo` inserts the row with the audit record of its upload; `photo_response` serves one back.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import ClassVar, Protocol, TypedDict, TypeVar, cast

from PIL import Image
from sqlalchemy import Table, insert, inspect
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.responses import Response

from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.errors import DomainError
from zhili.core.prepared import Prepared

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# 40 megapixels (a 7,300 × 5,500 photo) is more than any phone's default picture; a larger image is
# refused before it is decoded: an 875 KB PNG may declare 30,000 × 30,000 pixels (gigabytes decoded).
MAX_PHOTO_PIXELS = 40_000_000
# Pillow's own guard, in case anything else opens an image: over twice this it refuses to open.
Image.MAX_IMAGE_PIXELS = MAX_PHOTO_PIXELS
# The type is taken from the bytes, never from what the client claims.
SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# A photo served back is private to whoever may see it, and never changes.
PHOTO_CACHE = "private, max-age=3600"


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


# What `check_photo` raises: catch these to show a form's photo error.
PHOTO_REFUSALS = (PayloadTooLargeError, UnsupportedMediaTypeError)


class PhotoRow(Protocol):
    """A stored photo's row (a mapped class's instance): its id is known once stored."""

    id: int


Row = TypeVar("Row", bound=PhotoRow)


class PhotoColumns(TypedDict):
    """The columns a photo row stores (`CasePhoto`, `TaskPhoto`)."""

    content_type: str
    size: int
    sha256: str
    data: bytes


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
    """A photo that passed `check_photo`, with its type and digest: stored without decoding it again."""

    data: bytes
    content_type: str
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.data).hexdigest())

    def columns(self) -> PhotoColumns:
        """What the photo's row stores."""
        return {"content_type": self.content_type, "size": len(self.data), "sha256": self.sha256, "data": self.data}

    def audited(self, photo_id: int) -> dict[str, object]:
        """The `after` of the upload's audit record."""
        return {"photo_id": photo_id, "sha256": self.sha256, "size": len(self.data)}


def _refused(error: type[DomainError], message: str) -> DomainError:
    return error(message, errors=[{"field": "photo", "message": message}])


def check_photo(data: bytes | CheckedPhoto) -> CheckedPhoto:
    """The photo with its content type, once its size, type, pixel count and whole decoding pass; else 413 or 415."""
    if isinstance(data, CheckedPhoto):
        return data
    if len(data) > MAX_PHOTO_BYTES:
        raise _refused(PayloadTooLargeError, f"a photo may have at most {MAX_PHOTO_BYTES // (1024 * 1024)} MiB")
    content_type = sniff(data)
    if content_type is None:
        raise _refused(UnsupportedMediaTypeError, "photos must be JPEG, PNG or WebP images")
    _decode(data, PILLOW_FORMATS[content_type])
    return CheckedPhoto(data, content_type)


def check_photos(taken: list[bytes]) -> tuple[list[CheckedPhoto], DomainError | None]:
    """The photos that pass `check_photo` (a form keeps those), and why the first other one was refused."""
    passed: list[CheckedPhoto] = []
    refusal: DomainError | None = None
    for data in taken:
        try:
            passed.append(check_photo(data))
        except PHOTO_REFUSALS as exc:
            refusal = refusal or exc
    return passed, refusal


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


def add_photo(
    session: Session,
    row: Row,
    checked: CheckedPhoto,
    *,
    actor: Actor,
    action: str,
    entity: tuple[str, int],
    at: datetime,
) -> Row:
    """Insert a photo's row and the audit record of its upload (`action`, on `entity`), in the caller's transaction.

    One prepared INSERT of the columns given to `row`, its new id set on `row`, which stays a plain
    value outside the session (an ORM flush would cost several times the statement): never add it
    to a session afterwards (that would insert it again).
    """
    table = _photo_table(row)
    given = {column.key: getattr(row, column.key) for column in table.columns if column.key in vars(row)}
    row.id = int(_insert_returning_id(table).run(session, given).scalar_one())
    entity_type, entity_id = entity
    audit.record_by(
        session, actor, action, entity_type=entity_type, entity_id=entity_id, after=checked.audited(row.id), at=at
    )
    return row


def _photo_table(row: PhotoRow) -> Table:
    """The table of a photo row's class; refused for a class whose rows are more than their columns."""
    mapper = inspect(row).mapper
    if mapper.relationships:
        message = f"{mapper.class_.__name__} has relationships; add_photo inserts a photo's own columns only"
        raise TypeError(message)
    return cast("Table", mapper.local_table)


@cache
def _insert_returning_id(table: Table) -> Prepared:
    return Prepared(insert(table).returning(table.c.id))


async def read_upload(upload: UploadFile) -> bytes:
    """An uploaded file's bytes, one more than the limit at most: enough for `check_photo` to say 413."""
    return await upload.read(MAX_PHOTO_BYTES + 1)


def photo_response(data: bytes, content_type: str) -> Response:
    """A stored photo served back (its type was checked on the way in)."""
    return Response(data, media_type=content_type, headers={"Cache-Control": PHOTO_CACHE})
