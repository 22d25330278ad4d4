"""Photos of a refused form, kept: shown again as previews and sent back with the form, so no photo is lost.

A refused form cannot keep a file input's choice, so the page carries each photo that passed its check
as hidden inputs (`kept_photo.<n>`, its base64 in parts under Starlette's 1 MiB limit per part) with a
small preview and a 移除 box (`kept_photo_removed`). Sent again, the kept photos are read back and
checked once more like any upload. Used by every page form that takes photos: the intake form (上报), the case
page's replies and help replies, the task report (回单) and the command group's timeline post. The photos and the
form's write are one unit of work, so a refused form stores nothing and its photos come back this way.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass

from PIL import Image
from starlette.datastructures import FormData

from zhili.core import media

KEPT_PHOTO = "kept_photo."  # a kept photo's hidden inputs: kept_photo.<n>, its base64 in parts
KEPT_REMOVED = "kept_photo_removed"  # the <n> of each kept photo the reporter removed
# A form field's part is at most 1 MiB (Starlette's limit): a photo's base64 is sent in parts below it.
_PART = 768 * 1024
_THUMBNAIL = (320, 320)


@dataclass(frozen=True, slots=True)
class KeptPhoto:
    """A photo of a refused form, to show (a small preview) and to send again (its base64, in parts)."""

    parts: list[str]
    preview: str  # a data: URL of a JPEG preview

    @classmethod
    def of(cls, photo: media.CheckedPhoto) -> KeptPhoto:
        """The photo's parts and its preview (decoded once more: run it in the thread pool)."""
        encoded = base64.b64encode(photo.data).decode("ascii")
        parts = [encoded[i : i + _PART] for i in range(0, len(encoded), _PART)]
        with Image.open(io.BytesIO(photo.data)) as image:
            image.thumbnail(_THUMBNAIL)
            small = io.BytesIO()
            image.convert("RGB").save(small, format="JPEG", quality=70)
        return cls(parts, "data:image/jpeg;base64," + base64.b64encode(small.getvalue()).decode("ascii"))


def is_photo_input(key: str) -> bool:
    """Whether a form input carries a photo (chosen, kept or removed): not a value to show again as typed."""
    return key in {"photo", KEPT_REMOVED} or key.startswith(KEPT_PHOTO)


def photos_kept(form: FormData, *, limit: int) -> list[bytes]:
    """The photos a refused form sent back, in their order, less those removed (at most `limit`).

    The bytes are not checked here: the caller checks them like any upload (a tampered part is refused there).
    """
    removed = {v for v in form.getlist(KEPT_REMOVED) if isinstance(v, str)}
    numbers = sorted(
        {key.removeprefix(KEPT_PHOTO) for key in form if key.startswith(KEPT_PHOTO)} - removed,
        key=lambda n: (len(n), n),
    )
    kept: list[bytes] = []
    for number in numbers[:limit]:
        encoded = "".join(v for v in form.getlist(KEPT_PHOTO + number) if isinstance(v, str))
        try:
            kept.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            kept.append(b"")  # not a photo: refused by the photo check, beside the photo input
    return kept
