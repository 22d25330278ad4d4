"""The intake page's report: a case and the photos taken with it, in one transaction.

A report from the page carries photos; they land with the case or not at all (one commit), so a
crash or a refused photo never leaves a case without the photos its reporter sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from zhili.cases import photos
from zhili.cases.schemas import CaseCreate
from zhili.cases.service import report_case
from zhili.cases.store import StoredCase
from zhili.core import media
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit, deferred_commit
from zhili.org.geo import LocatorCache

MAX_INTAKE_PHOTOS = 6

# The grid net and the party members and team leaders linked to it report from the field on their phone (渠道 手机,
# as every grid report of the demo): their own channel.
FIELD_REPORTERS = frozenset({"grid_worker", "grid_head", "party_member", "team_leader"})


def default_channel(actor: Actor) -> str:
    """The channel the intake form starts on: the field's own (`phone`: grid net, party members, leaders), else web.

    No role marks a 12345 hotline desk (its operators hold centre posts that also file web reports), so
    热线 stays a choice the operator makes on the form, never a default guessed from the role.
    """
    return "phone" if actor.has_any_role(FIELD_REPORTERS) else "web"


def check_photos(taken: Sequence[bytes]) -> tuple[list[media.CheckedPhoto], set[str]]:
    """The photos that pass `media.check_photo`, and why the others are refused (`photo_size`, `photo_pixels`, …)."""
    ready: list[media.CheckedPhoto] = []
    problems: set[str] = set()
    for data in taken:
        try:
            ready.append(media.check_photo(data))
        except media.PHOTO_REFUSALS as exc:
            problems.add(exc.form_kind)
    return ready, problems


def report_with_photos(
    session: Session,
    *,
    data: CaseCreate,
    taken: Sequence[bytes | media.CheckedPhoto],
    actor: Actor,
    clock: Clock,
    locators: LocatorCache,
) -> StoredCase:
    """Report the case and attach its photos; all of it commits together (the photos are decoded before).

    The photos go onto the case just inserted with no party check (`photos.attach_to_report`): a reporter
    without a login (the public form) could not load it by scope.
    """
    checked = [media.check_photo(p) for p in taken]
    with deferred_commit(session):
        case = report_case(session, data=data, actor=actor, clock=clock, locators=locators)
        for photo in checked:
            photos.attach_to_report(session, case=case, data=photo, actor=actor, clock=clock)
    commit(session)
    return case
