"""A citizen's report without a login: the tracking link it is followed by, and the rating given through it.

The public report form (`citizens.pages`) reports as `PUBLIC`, an actor with no person, no account
and no scope (a citizen party, as an Open311 client's reports are), and issues the report a tracker:
a random token shown once, on the page the form leads to, whose digest alone is stored. Whoever holds
the link sees the case in public words (`citizens.views`) and, once the lead has closed it, rates it
as the citizen (`rate`): the token is their proof of being the one who reported it. The centre that
dispatched the case may record the rating from a call-back instead (`cases.parties.calls_back`);
whichever comes first rates it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from zhili.cases import intake, location, states, store
from zhili.cases.commands import COMMAND_BODY
from zhili.cases.schemas import CaseCreate
from zhili.cases.service import apply_command
from zhili.cases.store import StoredCase
from zhili.citizens.models import CaseTracker
from zhili.core import media
from zhili.core.auth import Actor, Scope
from zhili.core.clock import Clock
from zhili.core.credentials import digest_token
from zhili.core.db import commit, deferred_commit
from zhili.core.errors import ConflictError, NotFoundError
from zhili.org.geo import LocatorCache

# Who a report from the public form is by: nobody with a login. The audit record names it.
PUBLIC = Actor(username="web:public", display_name="网上群众", roles=frozenset(), scope=Scope())
TRACKER_PREFIX = "zt_"  # a link's token, to tell it from an API token (`zl_`) in a log or a support call


def report(
    session: Session,
    *,
    data: CaseCreate,
    taken: Sequence[bytes | media.CheckedPhoto],
    clock: Clock,
    locators: LocatorCache,
    secret: str,
    seed: str | None,
    jurisdiction: str,
) -> tuple[int, str]:
    """Report a case from the public form with its photos and its tracking link, in one transaction.

    The case id and the link's token (`tracker_token` of `seed`, the form's once-key: the same form
    sent again is answered with the same link; a random one without a seed). The place must lie in
    the jurisdiction (衢州市 by default), as an Open311 report's must (422 by the field, nothing written).
    """
    location.resolve_within(session, locators, point=data.point, place=data.place, jurisdiction=jurisdiction)
    with deferred_commit(session):
        case = intake.report_with_photos(session, data=data, taken=taken, actor=PUBLIC, clock=clock, locators=locators)
        token = _store_tracker(session, case.id, tracker_token(case.id, seed, secret=secret), secret, clock.now())
    commit(session)
    return case.id, token


def tracker_token(case_id: int, seed: str | None, *, secret: str) -> str:
    """A case's link token: derived from the form's once-key under the server secret, else random.

    Only its digest is stored, so the answer to a form sent twice cannot read it back: it derives it again.
    """
    if seed is None:
        return TRACKER_PREFIX + secrets.token_urlsafe(32)
    mac = hmac.new(secret.encode(), f"tracker:{case_id}:{seed}".encode(), hashlib.sha256).digest()
    return TRACKER_PREFIX + base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def issue_tracker(session: Session, *, case_id: int, secret: str, now: datetime) -> str:
    """A new random tracking link for a case already reported (a link given later, by hand), stored as its digest."""
    return _store_tracker(session, case_id, tracker_token(case_id, None, secret=secret), secret, now)


def _store_tracker(session: Session, case_id: int, token: str, secret: str, now: datetime) -> str:
    """Keep a link's digest (never the token itself) for the case; the token."""
    session.execute(
        insert(CaseTracker).values(case_id=case_id, digest=digest_token(token, secret=secret), created_at=now)
    )
    return token


def tracked_case(session: Session, token: str, *, secret: str) -> StoredCase:
    """The case a tracking link shows; 404 for a token that is not one (the same answer whatever was wrong)."""
    if not token.startswith(TRACKER_PREFIX):
        raise NotFoundError("no report has this link")
    case_id = session.scalar(
        select(CaseTracker.case_id).where(CaseTracker.digest == digest_token(token, secret=secret))
    )
    if case_id is None:
        raise NotFoundError("no report has this link")
    return store.load_any(session, case_id)


def tracker_actor(case: StoredCase) -> Actor:
    """Who acts through a case's link, as the audit record and the timeline name them: its reporter."""
    return Actor(username=f"tracker:{case.number}", display_name="反映人", roles=frozenset(), scope=Scope())


def rate(session: Session, case: StoredCase, *, given: dict[str, Any], clock: Clock) -> StoredCase:
    """Rate a tracked case as the citizen who reported it (its link is their proof); 409 unless it is closed.

    `given` is the rating form (`rating`, `comment`, `version`), checked as the API's rate body is
    (a dissatisfied rating says why, and reopens the case).
    """
    body = COMMAND_BODY.validate_python({**given, "command": "rate"})
    if body.version is not None and body.version != case.version:
        raise ConflictError("the case has moved on since the page was shown; reload it", current_version=case.version)
    command = body.to_command(frozenset({states.Party.CITIZEN}), routed_unit_id=case.routed_unit_id)
    case = apply_command(session, case, command, actor=tracker_actor(case), now=clock.now())
    commit(session)
    return case
