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

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from zhili.cases import lifecycle, store
from zhili.cases.commands import COMMAND_BODY
from zhili.cases.service import apply_command
from zhili.cases.store import StoredCase
from zhili.citizens.models import CaseTracker
from zhili.core.auth import Actor, Scope
from zhili.core.clock import Clock
from zhili.core.credentials import digest_token, new_token
from zhili.core.db import commit
from zhili.core.errors import ConflictError, NotFoundError

# Who a report from the public form is by: nobody with a login. The audit record names it.
PUBLIC = Actor(username="web:public", display_name="网上群众", roles=frozenset(), scope=Scope())
TRACKER_PREFIX = "zt_"  # a link's token, to tell it from an API token (`zl_`) in a log or a support call


def issue_tracker(session: Session, *, case_id: int, secret: str, now: datetime) -> str:
    """A new tracking link's token for the case, stored as its digest in the caller's transaction; shown once."""
    token = TRACKER_PREFIX + new_token().removeprefix("zl_")
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
    command = body.to_command(frozenset({lifecycle.Party.CITIZEN}), routed_unit_id=case.routed_unit_id)
    case = apply_command(session, case, command, actor=tracker_actor(case), now=clock.now())
    commit(session)
    return case
