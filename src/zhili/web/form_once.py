"""A page form sent twice acts once: a double tap or a retried POST gets the first answer and writes nothing.

Each form that writes carries a hidden `idempotency_key`, new on every page load (`form_key()` in the
templates). Its handler runs the write through `run_form`: the key, with a digest of what the form
says, is stored with the write's outcome in the write's own transaction (`core.idempotency.run_once`),
so the same form sent again answers as the first did. Sent again from the browser's history with
other words, it is another request and acts. A form without a key (an older page, a script) simply
runs, as before.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from zhili.core.idempotency import fingerprint, run_once

FIELD = "idempotency_key"
MAX_FORM_KEY = 64  # `form_key` gives 32 hex digits
_NOT_SAID = frozenset({"csrf_token", FIELD})


def form_key() -> str:
    """A new form's key (the templates' `form_key()`)."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class FormOnce:
    """A form's key with a digest of what it says (`key`), and that digest (what `run_once` checks)."""

    key: str
    content: str

    @classmethod
    def of(cls, form: FormData, path: str) -> FormOnce | None:
        """The form's once-key for the page at `path`; None when it carries none (or one no form of ours gives)."""
        given = form.get(FIELD)
        if not isinstance(given, str) or not 0 < len(given) <= MAX_FORM_KEY or not given.isprintable():
            return None
        said = sorted((name, value) for name, value in form.multi_items() if isinstance(value, str))
        content = fingerprint("POST", path, [pair for pair in said if pair[0] not in _NOT_SAID])
        return cls(f"{given}:{content[:16]}", content)


def run_form(once: FormOnce | None, session: Session, *, owner: str, now: datetime, action: Callable[[], Any]) -> Any:
    """`action`'s answer (plain JSON values), run at most once for this form; its writes commit with the answer.

    `action` writes through services that end with `core.db.commit`. With a key, that commit waits for
    the answer to be stored beside it; a form seen before gets its stored answer and `action` does
    not run. Without a key, `action` simply runs.
    """
    if once is None:
        return action()
    stored = run_once(
        session,
        owner=owner,
        key=once.key,
        request_fingerprint=once.content,
        now=now,
        action=lambda: (200, action()),
    )
    return stored.body
