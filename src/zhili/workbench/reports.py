"""我上报的: the cases a field worker reported, newest first, to follow them to 核查 and 评价 from the home page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.models import Case
from zhili.cases.states import CaseStatus
from zhili.core.auth import Actor
from zhili.matters.models import MatterVersion
from zhili.workbench.tiles import FIELD

SHOWN = 5
# Cases still in the loop or waiting for the reporter's rating; archived and rejected ones are done with
# (a rejected report is told in the inbox). Listing statuses lets the status index narrow the rows.
FOLLOWED = tuple(s.value for s in CaseStatus if s not in {CaseStatus.ARCHIVED, CaseStatus.REJECTED})
# Where the reporter acts: the reply to verify, the rating to give.
ACTS = {CaseStatus.FEEDBACK.value: ("verify", "reply"), CaseStatus.CLOSED.value: ("rate", "actions")}


@dataclass(frozen=True, slots=True)
class MyReport:
    """One case I reported: its number, matter, status, when, and what waits for me on it (if anything)."""

    id: int
    number: str
    matter_zh: str
    matter_en: str
    status: str
    reported_at: datetime
    waiting: str | None  # verify / rate: the reporter's turn

    @property
    def href(self) -> str:
        """The case page, at the part where the reporter acts when it is their turn."""
        anchor = ACTS[self.status][1] if self.status in ACTS else "summary"
        return f"/cases/{self.id}#{anchor}"


def my_reports(session: Session, actor: Actor) -> list[MyReport]:
    """The newest cases a field worker reported and is still following (none for other roles)."""
    if actor.person_id is None or not actor.has_any_role(FIELD):
        return []
    rows = session.execute(
        select(Case.id, Case.number, MatterVersion.name_zh, MatterVersion.name_en, Case.status, Case.created_at)
        .join(MatterVersion, MatterVersion.id == Case.matter_version_id)
        .where(Case.originator_person_id == actor.person_id, Case.status.in_(FOLLOWED))
        .order_by(Case.id.desc())
        .limit(SHOWN)
    )
    return [
        MyReport(
            id=row.id,
            number=row.number,
            matter_zh=row.name_zh,
            matter_en=row.name_en,
            status=row.status,
            reported_at=row.created_at,
            waiting=ACTS[row.status][0] if row.status in ACTS else None,
        )
        for row in rows
    ]
